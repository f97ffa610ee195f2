"""Context keys of policies: GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy (reads).

The keys a simulation may need values for: every key a Condition block tests (the Null operator's
too) and every policy variable (`${aws:username}`) of a Resource, NotResource or condition value in
a policy of Version 2012-10-17 (older versions read `${…}` as text). As AWS answers: each key as
first written, in the order the documents name them, once whatever its case.

- get_context_keys_for_principal_policy: the identity policies simulate_principal_policy reads for
  a user (with its groups'), group or role, and the documents given; not its permissions boundary
  ("Only context keys referenced by the identity-based policies attached to the specified entity,
  and any additional policies that you provide, are included"). Authorized as
  iam:GetContextKeysForPrincipalPolicy on the principal's ARN.
- get_context_keys_for_custom_policy: the documents given. Authorized as
  iam:GetContextKeysForCustomPolicy on "*".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

from accounts.authz import authorize, resource_tag_context
from accounts.context import RequestContext
from iam_portal.errors import validation_error

from .engine import Policy
from .engine.document import VARIABLES_VERSION
from .engine.variables import VariableSyntaxError, parse_template, variables_in
from .simulation import _LOADERS, _check_arn, _compiled_given, _given_texts, _principal


def get_context_keys_for_principal_policy(
    ctx: RequestContext, *, policy_source_arn: str, policy_input_list: Sequence[str] | None = None
) -> list[str]:
    """GetContextKeysForPrincipalPolicy: the keys of a user's (with its groups'), group's or role's
    identity policies, then of the documents given (its permissions boundary's are not included)."""
    _check_arn(policy_source_arn, "policySourceArn")
    texts, _ = _given_texts(policy_input_list, None)
    entity, kind = _principal(ctx, policy_source_arn)
    authorize(
        ctx,
        "iam:GetContextKeysForPrincipalPolicy",
        entity.arn,
        resource_tag_context(getattr(entity, "tags", {})),
    )
    given, _ = _compiled_given(texts, [])  # parsed only for a caller allowed to ask
    return context_keys([*_LOADERS[kind](entity).identity, *given])


def get_context_keys_for_custom_policy(ctx: RequestContext, *, policy_input_list: Sequence[str]) -> list[str]:
    """GetContextKeysForCustomPolicy: the keys of the documents given."""
    if not isinstance(policy_input_list, list | tuple) or not policy_input_list:
        raise validation_error(policy_input_list, "policyInputList", "not be null")
    texts, _ = _given_texts(policy_input_list, None)
    authorize(ctx, "iam:GetContextKeysForCustomPolicy", "*")
    given, _ = _compiled_given(texts, [])  # parsed only for a caller allowed to ask
    return context_keys(given)


def context_keys(policies: Iterable[Policy]) -> list[str]:
    """The keys the policies reference, deduplicated case-insensitively, first spelling kept."""
    seen: dict[str, str] = {}
    for policy in policies:
        for key in _keys_of(policy):
            seen.setdefault(key.lower(), key)
    return list(seen.values())


def _keys_of(policy: Policy) -> Iterator[str]:
    """A valid document's keys in the order its text names them (statement by statement)."""
    document = json.loads(policy.text)
    variables = document.get("Version") == VARIABLES_VERSION
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        for element, value in statement.items():
            if element in ("Resource", "NotResource") and variables:
                yield from _variables(value if isinstance(value, list) else [value])
            elif element == "Condition":
                for block in value.values():
                    for key, values in block.items():
                        yield key
                        if variables:
                            yield from _variables(values if isinstance(values, list) else [values])


def _variables(texts: Iterable[object]) -> Iterator[str]:
    for text in texts:
        if not isinstance(text, str):
            continue
        try:
            template = parse_template(text)
        except VariableSyntaxError:  # the document was accepted: such text is literal here
            continue
        if template is not None:
            yield from (variable.key for variable in variables_in(template))
