"""Policy simulation: SimulatePrincipalPolicy and SimulateCustomPolicy (selectors: reads).

Each action name is evaluated against each resource ARN by the policy engine, with the context
entries given and nothing else (as AWS's simulator: `${aws:username}` and the like are context
entries to supply). The answer is one EvaluationResult per (action, resource) pair, in the order
given, a page at a time (Marker / MaxItems), each with AWS's EvalDecision word, the statements that
decided it (with their place in the document), the missing context keys and the engine's
explanation.

- simulate_principal_policy: the identity policies of a user (its inline and attached policies and
  its groups'), a group or a role of the caller's account, and the user's or role's permissions
  boundary, read as accounts/authz.py reads them for authorize(). Authorized as
  iam:SimulatePrincipalPolicy on the principal's ARN.
- simulate_custom_policy: policy documents given as text, and at most one permissions boundary
  document. Authorized as iam:SimulateCustomPolicy on "*".

Nothing is written: no audit row on success; a denial is audited by authorize() as always. Inputs
are AWS's members (ContextEntries as {"ContextKeyName", "ContextKeyValues", "ContextKeyType"}), so
the Query API can call these functions as they are.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from django.db.models import Model, Q

from accounts.authz import authorize, resource_tag_context
from accounts.context import RequestContext
from iam_portal.errors import (
    InvalidInputError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    validation_error,
)
from iam_portal.pagination import Page, paginate

from .documents import check_document
from .engine import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, Decision, Policy, PolicySet, Request, parse_policy
from .engine.conditions import parse_date
from .engine.document import read_document, statement_nodes
from .engine.evaluate import BOUNDARY, IDENTITY, RESOURCE, SERVICE, SESSION
from .models import (
    GroupPolicy,
    GroupPolicyAttachment,
    PolicyVersion,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)
from .selectors import ARN_MAX, ARN_MIN, _entity_model

EVAL_DECISIONS = {ALLOWED: "allowed", EXPLICIT_DENY: "explicitDeny", IMPLICIT_DENY: "implicitDeny"}
# ContextKeyTypeEnum; a *List type takes any number of values, the others exactly one.
CONTEXT_KEY_TYPES = (
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
)
ACTION_NAME_MIN, ACTION_NAME_MAX = 3, 128  # ActionNameType
RESOURCE_NAME_MIN, RESOURCE_NAME_MAX = 1, 2048  # ResourceNameType
CONTEXT_KEY_NAME_MIN, CONTEXT_KEY_NAME_MAX = 5, 256  # ContextKeyNameType
MAX_BOUNDARY_POLICIES = 1  # "You can input only one permissions boundary"
# Source policy types (the Statement structure's SourcePolicyType).
USER, GROUP, ROLE, AWS_MANAGED, USER_MANAGED, NONE = (
    "user",
    "group",
    "role",
    "aws-managed",
    "user-managed",
    "none",
)
PRINCIPAL_ARN = re.compile(r"arn:aws:iam::(\d{12}):(user|group|role)(/(?:.*/)?)([^/]+)")
_LAYER_WORDS = {
    IDENTITY: "an identity-based policy",
    BOUNDARY: "a permissions boundary",
    SESSION: "a session policy",
    RESOURCE: "a resource-based policy",
}


# --- What a simulation answers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """A place in a policy document: 1-based line and column (the Position structure)."""

    line: int
    column: int


@dataclass(frozen=True)
class MatchedStatement:
    """A statement that decided a result (AWS's Statement structure, with what the engine knows)."""

    source_policy_id: str  # an inline policy's name, a managed policy's name, or "PolicyInputList.1"
    source_policy_type: str  # user | group | role | aws-managed | user-managed | none
    policy_arn: str | None  # managed policies only
    policy_type: str  # the layer: identity | boundary
    statement_index: int  # 0-based, in the document
    sid: str | None
    effect: str  # Allow | Deny
    start_position: Position | None
    end_position: Position | None


@dataclass(frozen=True)
class EvaluationResult:
    """One action on one resource (AWS's EvaluationResult), with the engine's explanation."""

    eval_action_name: str
    eval_resource_name: str
    eval_decision: str  # allowed | explicitDeny | implicitDeny
    decided_by: str  # identity | boundary | service (the layer that decided)
    matched_statements: tuple[MatchedStatement, ...]
    missing_context_values: tuple[str, ...]
    allowed_by_permissions_boundary: bool | None  # None: no boundary was simulated
    explanation: str


@dataclass(frozen=True)
class _Source:
    """Where a compiled policy came from (the engine only knows a policy's name)."""

    source_policy_id: str
    source_policy_type: str
    policy_arn: str | None = None


@dataclass(frozen=True)
class _Subject:
    """What is simulated: the principal ARN the requests come from and its compiled policies."""

    principal_arn: str
    identity: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    # Each policy's source, by (the compiled policy's name, the layer it counts in).
    sources: dict[tuple[str, str], _Source] = field(default_factory=dict)


# --- The actions ---------------------------------------------------------------------------------------


def simulate_principal_policy(
    ctx: RequestContext,
    *,
    policy_source_arn: str,
    action_names: Sequence[str],
    resource_arns: Sequence[str] | None = None,
    context_entries: Sequence[Mapping[str, object]] | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[EvaluationResult]:
    """SimulatePrincipalPolicy: the policies of a user (with its groups'), group or role of the
    caller's account; resource_arns default to "*"."""
    _check_arn(policy_source_arn, "policySourceArn")
    actions, resources, context = _requests(action_names, resource_arns, context_entries)
    entity, kind = _principal(ctx, policy_source_arn)
    # Users and roles are tagged: their tags are aws:ResourceTag/* here, as for any action on them.
    authorize(
        ctx, "iam:SimulatePrincipalPolicy", entity.arn, resource_tag_context(getattr(entity, "tags", {}))
    )
    return _simulate(_LOADERS[kind](entity), actions, resources, context, marker, max_items)


def simulate_custom_policy(
    ctx: RequestContext,
    *,
    policy_input_list: Sequence[str],
    permissions_boundary_policy_input_list: Sequence[str] | None = None,
    action_names: Sequence[str],
    resource_arns: Sequence[str] | None = None,
    context_entries: Sequence[Mapping[str, object]] | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[EvaluationResult]:
    """SimulateCustomPolicy: identity policies given as documents, and at most one permissions
    boundary; the requests are the caller's (its ARN is the principal)."""
    if not isinstance(policy_input_list, list | tuple) or not policy_input_list:
        raise validation_error(policy_input_list, "policyInputList", "not be null")
    boundaries = list(permissions_boundary_policy_input_list or [])
    if len(boundaries) > MAX_BOUNDARY_POLICIES:
        raise validation_error(
            "…",
            "permissionsBoundaryPolicyInputList",
            f"have length less than or equal to {MAX_BOUNDARY_POLICIES}",
        )
    subject = _Subject(ctx.caller.arn)
    for number, document in enumerate(policy_input_list, 1):
        policy = _given(document, "PolicyInputList", number)
        subject.identity.append(policy)
        subject.sources[(policy.name, IDENTITY)] = _Source(policy.name, NONE)
    for number, document in enumerate(boundaries, 1):
        boundary = _given(document, "PermissionsBoundaryPolicyInputList", number)
        subject.sources[(boundary.name, BOUNDARY)] = _Source(boundary.name, NONE)
        subject = replace(subject, boundary=boundary)
    actions, resources, context = _requests(action_names, resource_arns, context_entries)
    authorize(ctx, "iam:SimulateCustomPolicy", "*")
    return _simulate(subject, actions, resources, context, marker, max_items)


# --- Checks of the request -----------------------------------------------------------------------------


def _check_arn(value: object, member: str) -> str:
    if not isinstance(value, str) or not value:
        raise validation_error(value, member, "not be null")
    if not ARN_MIN <= len(value) <= ARN_MAX:
        raise validation_error(value, member, f"have length between {ARN_MIN} and {ARN_MAX}")
    return value


def _strings(values: object, member: str, low: int, high: int, *, required: bool) -> list[str]:
    if values is None or (isinstance(values, list | tuple) and not values):
        if required:
            raise validation_error(values, member, "not be null")
        return []
    if not isinstance(values, list | tuple):
        raise validation_error(values, member, "be a list")
    for number, value in enumerate(values, 1):
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise validation_error(
                value, f"{member}.{number}.member", f"have length between {low} and {high}"
            )
    return list(values)


def _requests(
    action_names: object, resource_arns: object, context_entries: object
) -> tuple[list[str], list[str], dict[str, object]]:
    actions = _strings(action_names, "actionNames", ACTION_NAME_MIN, ACTION_NAME_MAX, required=True)
    resources = _strings(resource_arns, "resourceArns", RESOURCE_NAME_MIN, RESOURCE_NAME_MAX, required=False)
    return actions, resources or ["*"], _context(context_entries)


def _context(entries: object) -> dict[str, object]:
    """ContextEntries as the engine's context: one value for a single-valued type, a list for a *List type."""
    if entries is None:
        return {}
    if not isinstance(entries, list | tuple):
        raise validation_error(entries, "contextEntries", "be a list")
    context: dict[str, object] = {}
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        member = f"contextEntries.{number}.member"
        if not isinstance(entry, Mapping):
            raise validation_error(entry, member, "be a ContextEntry")
        name, values, kind = (
            entry.get("ContextKeyName"),
            entry.get("ContextKeyValues"),
            entry.get("ContextKeyType"),
        )
        if not isinstance(name, str) or not CONTEXT_KEY_NAME_MIN <= len(name) <= CONTEXT_KEY_NAME_MAX:
            raise validation_error(
                name,
                f"{member}.contextKeyName",
                f"have length between {CONTEXT_KEY_NAME_MIN} and {CONTEXT_KEY_NAME_MAX}",
            )
        if kind not in CONTEXT_KEY_TYPES:
            raise validation_error(
                kind, f"{member}.contextKeyType", f"satisfy enum value set: [{', '.join(CONTEXT_KEY_TYPES)}]"
            )
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise validation_error(values, f"{member}.contextKeyValues", "be a list of strings")
        if name.lower() in seen:  # keys are case-insensitive: a second entry would be ambiguous
            raise InvalidInputError(f"The context key {name} is given more than once.")
        seen.add(name.lower())
        for value in values:
            _check_value(name, kind, value)  # type: ignore[arg-type]
        if kind.endswith("List"):  # type: ignore[union-attr]
            context[name] = list(values)
        elif len(values) == 1:
            context[name] = values[0]
        else:
            raise InvalidInputError(
                f"The context key {name} of type {kind} takes exactly one value; use {kind}List for several."
            )
    return context


def _check_value(name: str, kind: str, value: str) -> None:
    """A value that its ContextKeyType cannot read is refused (the engine would never match it)."""
    base = kind.removesuffix("List")
    ok = True
    if base == "numeric":
        try:
            float(value)
        except ValueError:
            ok = False
    elif base == "boolean":
        ok = value.lower() in ("true", "false")
    elif base == "ip":
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            ok = False
    elif base == "date":
        try:
            ok = parse_date(value) is not None
        except (OverflowError, ValueError):  # a date beyond what datetime holds
            ok = False
    elif base == "binary":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            ok = False
    if not ok:
        raise InvalidInputError(f"The value {value!r} of context key {name} is not a valid {base}.")


@lru_cache(maxsize=1024)
def _compile(document: str, name: str) -> Policy:
    """Stored documents were validated when written and never change: compiled once per process."""
    return parse_policy(document, kind="identity", name=name)


def _given(document: object, member: str, number: int) -> Policy:
    """A policy document of the request: checked as every channel checks one (the engine's located
    message, naming which input it is)."""
    name = f"{member}.{number}"
    try:
        policy = check_document(document, member=f"{member[0].lower()}{member[1:]}.{number}.member")
    except MalformedPolicyDocumentError as exc:
        raise MalformedPolicyDocumentError(f"{name}: {exc.message}") from None
    return replace(policy, name=name)


# --- The principal and its policies --------------------------------------------------------------------


_NOT_FOUND = {
    "user": "The user with name {} cannot be found.",
    "group": "The group with name {} cannot be found.",
    "role": "The role with name {} cannot be found.",
}
_ENTITY_MODELS = {
    "user": (UserPolicyAttachment, "user"),
    "group": (GroupPolicyAttachment, "group"),
    "role": (RolePolicyAttachment, "role"),
}


def _principal(ctx: RequestContext, arn: str) -> tuple[Model, str]:
    """The user, group or role the ARN names in the caller's account (NoSuchEntity, as AWS words
    it for the name, when there is none: another account's entities cannot be seen)."""
    found = PRINCIPAL_ARN.fullmatch(arn)
    if found is None:
        raise InvalidInputError(f"ARN {arn} is not a valid user, group or role ARN.")
    account_id, kind, path, name = found.groups()
    missing = NoSuchEntityError(_NOT_FOUND[kind].format(name))
    if account_id != ctx.account.account_id:
        raise missing
    model = _entity_model(*_ENTITY_MODELS[kind])
    rows = model.objects.select_related("account").filter(
        account=ctx.account, path=path, **{f"{kind}_name__lower": name.lower()}
    )
    if kind == "user":
        rows = rows.filter(is_root=False)
    entity = rows.first()
    if entity is None or getattr(entity, f"{kind}_name") != name:  # ARNs are case-sensitive
        raise missing
    return entity, kind


def _managed(arn: str, policy_name: str, account_id: int | None) -> _Source:
    return _Source(policy_name, AWS_MANAGED if account_id is None else USER_MANAGED, arn)


_MANAGED_COLUMNS = ("policy__arn", "policy__policy_name", "policy__account_id", "document")


def _attached(subject: _Subject, attached_to: Q) -> None:
    """The default versions of the managed policies attached as `attached_to` says (once each)."""
    rows = (
        PolicyVersion.objects.filter(attached_to, is_default=True)
        .distinct()
        .order_by("policy__policy_name", "policy__arn")
        .values_list(*_MANAGED_COLUMNS)
    )
    for arn, policy_name, account_id, document in rows:
        subject.identity.append(_compile(document, arn))
        subject.sources[(arn, IDENTITY)] = _managed(arn, policy_name, account_id)


def _inline(subject: _Subject, kind: str, rows: Iterable[tuple[str, str, str]]) -> None:
    """Inline policies as (owner name, policy name, document) rows of a user, group or role."""
    for owner, policy_name, document in rows:
        label = f"{kind}/{owner}/{policy_name}"  # unique across the principal's inline policies
        subject.identity.append(_compile(document, label))
        subject.sources[(label, IDENTITY)] = _Source(policy_name, kind)


def _with_boundary(subject: _Subject, policy_id: int | None) -> _Subject:
    """The subject with its permissions boundary (the policy's default version), if it has one."""
    if policy_id is None:
        return subject
    arn, policy_name, account_id, document = (
        PolicyVersion.objects.filter(policy_id=policy_id, is_default=True)
        .values_list(*_MANAGED_COLUMNS)
        .get()
    )
    subject.sources[(arn, BOUNDARY)] = _managed(arn, policy_name, account_id)
    return replace(subject, boundary=_compile(document, arn))


def _user_subject(user: Model) -> _Subject:
    """As authz loads a user's policies: inline, attached, its groups' inline and attached, and the
    permissions boundary."""
    subject = _Subject(user.arn)
    own = UserPolicy.objects.filter(user=user).order_by("policy_name")
    _inline(subject, USER, own.values_list("user__user_name", "policy_name", "document"))
    groups = GroupPolicy.objects.filter(group__memberships__user=user).order_by(
        "group__group_name", "policy_name"
    )
    _inline(subject, GROUP, groups.values_list("group__group_name", "policy_name", "document"))
    _attached(
        subject,
        Q(policy__user_attachments__user=user) | Q(policy__group_attachments__group__memberships__user=user),
    )
    return _with_boundary(subject, user.permissions_boundary_id)


def _group_subject(group: Model) -> _Subject:
    """A group's inline and attached policies (a group has no permissions boundary)."""
    subject = _Subject(group.arn)
    own = GroupPolicy.objects.filter(group=group).order_by("policy_name")
    _inline(subject, GROUP, own.values_list("group__group_name", "policy_name", "document"))
    _attached(subject, Q(policy__group_attachments__group=group))
    return subject


def _role_subject(role: Model) -> _Subject:
    """A role's inline and attached policies and its boundary (no session, so no session policies)."""
    subject = _Subject(role.arn)
    own = RolePolicy.objects.filter(role=role).order_by("policy_name")
    _inline(subject, ROLE, own.values_list("role__role_name", "policy_name", "document"))
    _attached(subject, Q(policy__role_attachments__role=role))
    return _with_boundary(subject, role.permissions_boundary_id)


_LOADERS = {"user": _user_subject, "group": _group_subject, "role": _role_subject}


# --- The evaluation ------------------------------------------------------------------------------------


def _simulate(
    subject: _Subject,
    actions: list[str],
    resources: list[str],
    context: dict[str, object],
    marker: str | None,
    max_items: int | None,
) -> Page[EvaluationResult]:
    """Only the page asked for is evaluated: the (action, resource) pairs are paged first."""
    page = paginate(_Pairs(actions, resources), marker, max_items)  # type: ignore[arg-type]
    boundaries = None if subject.boundary is None else [subject.boundary]
    policy_set = PolicySet(subject.identity, boundaries)
    boundary_alone = None if subject.boundary is None else PolicySet([subject.boundary])
    results = []
    for action, resource in page.items:
        request = Request(subject.principal_arn, action, resource, context)
        decision = policy_set.evaluate(request)
        in_boundary = None if boundary_alone is None else boundary_alone.evaluate(request).allowed
        results.append(_result(subject, action, resource, decision, in_boundary))
    return Page(results, page.is_truncated, page.marker)


class _Pairs:
    """Every (action, resource) pair, in order, made only for the window a page slices out (a thousand
    actions on a thousand resources are a million pairs)."""

    def __init__(self, actions: list[str], resources: list[str]):
        self.actions, self.resources = actions, resources

    def __getitem__(self, window: slice) -> list[tuple[str, str]]:
        width = len(self.resources)
        stop = min(window.stop, len(self.actions) * width)
        return [(self.actions[i // width], self.resources[i % width]) for i in range(window.start, stop)]


def _result(
    subject: _Subject, action: str, resource: str, decision: Decision, in_boundary: bool | None
) -> EvaluationResult:
    matched = []
    for m in decision.matched:
        source = subject.sources[(m.policy, m.policy_type)]
        policy = _policy_named(subject, m.policy, m.policy_type)
        start, end = _statement_span(policy.text, m.index) if policy is not None else (None, None)
        matched.append(
            MatchedStatement(
                source.source_policy_id,
                source.source_policy_type,
                source.policy_arn,
                m.policy_type,
                m.index,
                m.sid,
                m.effect,
                start,
                end,
            )
        )
    return EvaluationResult(
        eval_action_name=action,
        eval_resource_name=resource,
        eval_decision=EVAL_DECISIONS[decision.decision],
        decided_by=decision.decided_by,
        matched_statements=tuple(matched),
        missing_context_values=decision.missing_context_keys,
        allowed_by_permissions_boundary=in_boundary,
        explanation=explain(decision, action, resource, has_boundary=in_boundary is not None),
    )


def _policy_named(subject: _Subject, name: str, layer: str) -> Policy | None:
    if layer == BOUNDARY:
        return subject.boundary
    return next((p for p in subject.identity if p.name == name), None)


def explain(decision: Decision, action: str, resource: str, *, has_boundary: bool = False) -> str:
    """The engine's decision in a sentence; a denial ends as AWS's AccessDenied message does."""
    if decision.decision == ALLOWED:
        if decision.decided_by == SERVICE:
            text = f"{action} is allowed: it needs no permission."
        else:
            text = f"{action} on {resource} is allowed by {_LAYER_WORDS[decision.decided_by]}"
            text += " within the permissions boundary." if has_boundary else "."
    else:
        text = f"{action} on {resource} is denied {decision.reason(action)}."
    if decision.missing_context_keys:
        keys = ", ".join(decision.missing_context_keys)
        text += f" The policies test context keys that were not given: {keys}."
    return text


@lru_cache(maxsize=256)  # documents given to SimulateCustomPolicy may be 128 KiB each
def _statement_spans(text: str) -> dict[int, tuple[Position, Position]]:
    """Where each statement of a document starts and ends (its braces), by statement index."""
    tree, _, _ = read_document(text)
    if tree is None:
        return {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    decoder = json.JSONDecoder()
    spans = {}
    for index, (_, node) in enumerate(statement_nodes(tree)):
        start = node.start
        try:
            _, after = decoder.raw_decode(text, start.offset)
        except ValueError:
            continue
        end = after - 1  # the closing brace
        line = bisect.bisect_right(line_starts, end)  # 1-based
        spans[index] = (Position(start.line, start.column), Position(line, end - line_starts[line - 1] + 1))
    return spans


def _statement_span(text: str, index: int) -> tuple[Position | None, Position | None]:
    return _statement_spans(text).get(index, (None, None))
