"""Policy simulation: SimulatePrincipalPolicy and SimulateCustomPolicy (selectors: reads).

Each action name is evaluated against each resource ARN by the policy engine, with the context
entries given and nothing else (as AWS's simulator: `${aws:username}` and the like are context
entries to supply). The answer is one EvaluationResult per action, in the order given, a page of
actions at a time (Marker / MaxItems), as AWS's simulator now answers: the top-level fields are the
aggregate over the resources (the most restrictive decision: explicitDeny > implicitDeny > allowed;
the statements that decided it; the boundary's and each policy type's most restrictive verdict) and
ResourceSpecificResults holds each resource's own decision, statements, missing context keys and
the engine's explanation. EvalResourceName at the top is the ARN template of the action's resource
type, or "*" when none is known: policies/engine/catalog.py records no resource types, so it is "*".

- simulate_principal_policy: the identity policies of a user (its inline and attached policies and
  its groups'), a group or a role of the caller's account, and the user's or role's permissions
  boundary, read as accounts/authz.py reads them for authorize(); PolicyInputList adds policies and
  PermissionsBoundaryPolicyInputList replaces the boundary. Authorized as
  iam:SimulatePrincipalPolicy on the principal's ARN.
- simulate_custom_policy: policy documents given as text, and at most one permissions boundary
  document. Authorized as iam:SimulateCustomPolicy on "*".

Both take a ResourcePolicy (evaluated as the engine's resource layer: its matched statements are
SourcePolicyType "resource", SourcePolicyId "ResourcePolicy"), the CallerArn the requests come from
(required with a ResourcePolicy unless the source is a user, as AWS says), the ResourceOwner of
resources whose ARN names no account, and a ResourceHandlingOption (checked against AWS's enum).
MissingContextValues are at the top when the resources are "*" (given or by default), else in each
ResourceSpecificResult; EvalDecisionDetails is absent for "*" in one account, empty for named
resources in one account, and across accounts each policy type's (most restrictive) decision.

Cost: the members are checked first (ValidationError, then the cheap InvalidInput checks: the
documents given total at most MAX_GIVEN_POLICY_CHARACTERS, no action, resource or CallerArn holds a
character outside XML 1.0), then authorize(), and only then are the documents parsed. A page holds
at most MAX_EVALUATIONS_PER_PAGE evaluations and MAX_STATEMENT_EVALUATIONS_PER_PAGE statement checks
(resources times statements, per action), and at least one action.

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
    validation_error,
)
from iam_portal.pagination import Page, page_bounds, paginate

from .documents import DOCUMENT_PATTERN, MAX_DOCUMENT_LENGTH, check_document
from .engine import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, Decision, Policy, PolicySet, Request, parse_policy
from .engine.conditions import parse_date
from .engine.document import read_document, statement_nodes
from .engine.evaluate import (
    BOUNDARY,
    IDENTITY,
    RESOURCE,
    SERVICE,
    SESSION,
    normalize_context,
    principal_grant,
)
from .engine.matching import arn_account
from .models import (
    GroupPolicy,
    GroupPolicyAttachment,
    PolicyVersion,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)
from .selectors import ARN_MAX, ARN_MIN, ENTITY_ARN, entity_by_arn

EVAL_DECISIONS = {ALLOWED: "allowed", EXPLICIT_DENY: "explicitDeny", IMPLICIT_DENY: "implicitDeny"}
# The aggregate over an action's resources is the most restrictive decision (AWS's EvaluationResult).
RESTRICTIVENESS = {"explicitDeny": 2, "implicitDeny": 1, "allowed": 0}
# EvalResourceName at the top: AWS gives the action's resource type's ARN template, or "*" when no
# ARN format is defined for it. policies/engine/catalog.py records no resource types, so always "*".
NO_ARN_TEMPLATE = "*"
# A page evaluates its actions on every resource: it holds fewer actions than MaxItems when more
# would pass this many evaluations (AWS may return a short page; IsTruncated says more follow).
MAX_EVALUATIONS_PER_PAGE = 1000
# …and when more would pass this many statement checks (each action's resources times the
# statements simulated): a page's cost grows with the statements too, not only with its evaluations.
MAX_STATEMENT_EVALUATIONS_PER_PAGE = 100_000
# The policy documents a request gives (PolicyInputList, PermissionsBoundaryPolicyInputList and
# ResourcePolicy) may total this many characters: AWS's size of one document. AWS sets no total; the
# portal does, so that one page (at least one action on every resource) stays about a second.
MAX_GIVEN_POLICY_CHARACTERS = 131_072
# XML 1.0's Char production: an action name, resource or CallerArn with anything else is InvalidInput
# (the Query API could not echo it in a well-formed answer).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DOCUMENT = re.compile(DOCUMENT_PATTERN)  # policyDocumentType's pattern, as check_document applies it
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
USER, GROUP, ROLE, AWS_MANAGED, USER_MANAGED, RESOURCE_SOURCE, NONE = (
    "user",
    "group",
    "role",
    "aws-managed",
    "user-managed",
    "resource",
    "none",
)
RESOURCE_POLICY_ID = "ResourcePolicy"  # the SourcePolicyId of the resource policy's statements
# ResourceHandlingOptionType: the EC2 scenarios AWS's simulator knows.
RESOURCE_HANDLING_OPTIONS = (
    "EC2-VPC-InstanceStore",
    "EC2-VPC-InstanceStore-Subnet",
    "EC2-VPC-EBS",
    "EC2-VPC-EBS-Subnet",
)
RESOURCE_HANDLING_OPTION_MIN, RESOURCE_HANDLING_OPTION_MAX = 1, 64
# EvalDecisionDetails keys: the policy types of a cross-account decision.
IDENTITY_POLICY_DETAIL, RESOURCE_POLICY_DETAIL = "IAM Policy", "Resource Policy"
RESOURCE_ARN = re.compile(r"arn:[^:]+:[^:]*:[^:]*:[^:]*:.+", re.DOTALL)
ACCOUNT_OWNER = re.compile(r"(\d{12})|arn:aws:iam::(\d{12}):root")  # an account id or its root ARN
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

    source_policy_id: str  # an inline or managed policy's name, "PolicyInputList.1", "ResourcePolicy"
    source_policy_type: str  # user | group | role | aws-managed | user-managed | resource | none
    policy_arn: str | None  # managed policies only
    policy_type: str  # the layer: identity | boundary | resource
    statement_index: int  # 0-based, in the document
    sid: str | None
    effect: str  # Allow | Deny
    start_position: Position | None
    end_position: Position | None
    # Not AWS's: the user, group or role an inline policy belongs to (a user's group's policy names
    # its group here, which AWS's SourcePolicyId alone does not), so a reader can fetch the document.
    source_entity: str | None = None
    source_entity_arn: str | None = None


@dataclass(frozen=True)
class ResourceSpecificResult:
    """The decision on one resource (AWS's ResourceSpecificResult), with the engine's explanation."""

    eval_resource_name: str
    eval_resource_decision: str  # allowed | explicitDeny | implicitDeny
    matched_statements: tuple[MatchedStatement, ...]
    missing_context_values: tuple[str, ...]
    eval_decision_details: Mapping[str, str] | None  # across accounts only (AWS's rule)
    allowed_by_permissions_boundary: bool | None  # None: no boundary was simulated
    decided_by: str  # identity | boundary | resource | service (the layer that decided)
    explanation: str


@dataclass(frozen=True)
class EvaluationResult:
    """One action on every resource asked for (AWS's EvaluationResult): the aggregate decision at
    the top, each resource's own in resource_specific_results (none when the resources are "*")."""

    eval_action_name: str
    eval_resource_name: str  # the ARN template of the action's resource type, or "*"
    eval_decision: str  # the most restrictive decision over the resources
    decided_by: str  # the layer that decided the first resource with that decision
    matched_statements: tuple[MatchedStatement, ...]  # the union of those that decided it
    missing_context_values: tuple[str, ...]  # only when the resources are "*"; else per resource
    allowed_by_permissions_boundary: bool | None  # False if the boundary refuses any resource
    explanation: str
    # None for "*" in one account; {} for named resources in one account; across accounts, each
    # policy type's most restrictive decision ("IAM Policy", "Resource Policy").
    eval_decision_details: Mapping[str, str] | None = None
    resource_specific_results: tuple[ResourceSpecificResult, ...] = ()


@dataclass(frozen=True)
class _Source:
    """Where a compiled policy came from (the engine only knows a policy's name)."""

    source_policy_id: str
    source_policy_type: str
    policy_arn: str | None = None
    entity: str | None = None  # an inline policy's user, group or role: its name and ARN
    entity_arn: str | None = None


@dataclass(frozen=True)
class _Subject:
    """What is simulated: the principal ARN the requests come from and its compiled policies."""

    principal_arn: str
    identity: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    resource_policy: Policy | None = None
    resource_owner: str | None = None  # the account of resources whose ARN names none
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
    policy_input_list: Sequence[str] | None = None,
    permissions_boundary_policy_input_list: Sequence[str] | None = None,
    resource_policy: str | None = None,
    resource_owner: str | None = None,
    caller_arn: str | None = None,
    resource_handling_option: str | None = None,
) -> Page[EvaluationResult]:
    """SimulatePrincipalPolicy: the policies of a user (with its groups'), group or role of the
    caller's account, with the policies given added and the boundary given in place of its own;
    resource_arns default to "*"."""
    _check_arn(policy_source_arn, "policySourceArn")
    actions, resources, context = _requests(action_names, resource_arns, context_entries)
    # Cheap checks of the texts first (AWS's order: ValidationError before AccessDenied); they are
    # compiled only once the caller is authorized.
    texts, boundary_texts = _given_texts(policy_input_list, permissions_boundary_policy_input_list)
    owner = _resource_owner(resource_owner, resource_handling_option)
    if resource_policy is not None:
        _text(resource_policy, "resourcePolicy")
    _check_total_size([*texts, *boundary_texts, resource_policy])
    caller = _caller(caller_arn)
    entity, kind = _principal(ctx, policy_source_arn)
    if resource_policy is not None and caller is None and kind != "user":
        # The resource policy's Principal element needs a caller to match (AWS's rule).
        raise InvalidInputError(CALLER_ARN_REQUIRED)
    # Users and roles are tagged: their tags are aws:ResourceTag/* here, as for any action on them.
    authorize(
        ctx, "iam:SimulatePrincipalPolicy", entity.arn, resource_tag_context(getattr(entity, "tags", {}))
    )
    extra, boundary = _compiled_given(texts, boundary_texts)
    resource_side = (_resource_policy(resource_policy), owner)
    subject = _LOADERS[kind](entity)
    subject = _completed(subject, extra, boundary, resource_side, caller)
    return _simulate(subject, actions, resources, context, marker, max_items)


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
    resource_policy: str | None = None,
    resource_owner: str | None = None,
    caller_arn: str | None = None,
    resource_handling_option: str | None = None,
) -> Page[EvaluationResult]:
    """SimulateCustomPolicy: identity policies given as documents, and at most one permissions
    boundary; the requests are the CallerArn's, or else the caller's (its ARN is the principal)."""
    if not isinstance(policy_input_list, list | tuple) or not policy_input_list:
        raise validation_error(policy_input_list, "policyInputList", "not be null")
    texts, boundary_texts = _given_texts(policy_input_list, permissions_boundary_policy_input_list)
    actions, resources, context = _requests(action_names, resource_arns, context_entries)
    owner = _resource_owner(resource_owner, resource_handling_option)
    if resource_policy is not None:
        _text(resource_policy, "resourcePolicy")
    _check_total_size([*texts, *boundary_texts, resource_policy])
    caller = _caller(caller_arn)
    if resource_policy is not None and caller is None:
        raise InvalidInputError(CALLER_ARN_REQUIRED)
    # Before any document is parsed: a caller without the permission must not make the server
    # compile what it sent.
    authorize(ctx, "iam:SimulateCustomPolicy", "*")
    identity, boundary = _compiled_given(texts, boundary_texts)
    resource_side = (_resource_policy(resource_policy), owner)
    subject = _completed(_Subject(ctx.caller.arn), identity, boundary, resource_side, caller)
    return _simulate(subject, actions, resources, context, marker, max_items)


# --- Checks of the request -----------------------------------------------------------------------------

CALLER_ARN_REQUIRED = (
    "CallerArn is required when a ResourcePolicy is included and the PolicySourceArn is not an IAM user."
)


def _given_texts(documents: object, boundaries: object) -> tuple[list[str], list[str]]:
    """PolicyInputList and PermissionsBoundaryPolicyInputList, checked as the model constrains them
    (ValidationError) without being parsed: cheap enough to come before authorize()."""
    if boundaries is not None and not isinstance(boundaries, list | tuple):
        raise validation_error(boundaries, "permissionsBoundaryPolicyInputList", "be a list")
    if documents is not None and not isinstance(documents, list | tuple):
        raise validation_error(documents, "policyInputList", "be a list")
    if len(boundaries or ()) > MAX_BOUNDARY_POLICIES:
        raise validation_error(
            "…",
            "permissionsBoundaryPolicyInputList",
            f"have length less than or equal to {MAX_BOUNDARY_POLICIES}",
        )
    texts = [_text(d, "policyInputList", n) for n, d in enumerate(documents or (), 1)]  # type: ignore[arg-type]
    boundary_texts = [
        _text(d, "permissionsBoundaryPolicyInputList", n)
        for n, d in enumerate(boundaries or (), 1)  # type: ignore[arg-type]
    ]
    return texts, boundary_texts


def _text(document: object, member: str, number: int | None = None) -> str:
    """check_document's checks of the text alone (null, length, characters), with its messages."""
    name = member if number is None else f"{member}.{number}.member"
    if document is None:
        raise validation_error(document, name, "not be null")
    if not isinstance(document, str) or not document:
        raise validation_error(document, name, "have length greater than or equal to 1")
    if len(document) > MAX_DOCUMENT_LENGTH:
        raise validation_error("…", name, f"have length less than or equal to {MAX_DOCUMENT_LENGTH}")
    if not _DOCUMENT.fullmatch(document):
        raise validation_error("…", name, f"satisfy regular expression pattern: {DOCUMENT_PATTERN}")
    return document


def _check_total_size(documents: Iterable[str | None]) -> None:
    """The documents given may total MAX_GIVEN_POLICY_CHARACTERS (the portal's limit, not AWS's):
    InvalidInput, as AWS answers a request its service refuses whose members are each well-formed."""
    total = sum(len(d) for d in documents if d is not None)
    if total > MAX_GIVEN_POLICY_CHARACTERS:
        raise InvalidInputError(
            f"The policy documents given total {total} characters: PolicyInputList, "
            "PermissionsBoundaryPolicyInputList and ResourcePolicy together may have at most "
            f"{MAX_GIVEN_POLICY_CHARACTERS}."
        )


def _compiled_given(texts: list[str], boundary_texts: list[str]) -> tuple[list[Policy], Policy | None]:
    """The given documents compiled (MalformedPolicyDocument naming the input): after authorize()."""
    identity = [_given(d, "PolicyInputList", n) for n, d in enumerate(texts, 1)]
    boundary = None
    for number, document in enumerate(boundary_texts, 1):
        boundary = _given(document, "PermissionsBoundaryPolicyInputList", number)
    return identity, boundary


def _resource_policy(document: str | None) -> Policy | None:
    """ResourcePolicy, compiled as a resource policy (after authorize())."""
    if document is None:
        return None
    try:
        policy = check_document(document, member="resourcePolicy", kind="resource")
    except MalformedPolicyDocumentError as exc:
        raise MalformedPolicyDocumentError(f"{RESOURCE_POLICY_ID}: {exc.message}") from None
    return replace(policy, name=RESOURCE_POLICY_ID)


def _resource_owner(owner: str | None, handling: str | None) -> str | None:
    """ResourceOwner (an account id) and a check of ResourceHandlingOption, which only names a
    scenario: it changes no decision here."""
    account = None
    if owner is not None:
        if not isinstance(owner, str) or not RESOURCE_NAME_MIN <= len(owner) <= RESOURCE_NAME_MAX:
            raise validation_error(
                owner, "resourceOwner", f"have length between {RESOURCE_NAME_MIN} and {RESOURCE_NAME_MAX}"
            )
        found = ACCOUNT_OWNER.fullmatch(owner)
        if found is None:
            raise InvalidInputError(f"'{owner}' is not a valid as a Resource Owner.")  # AWS's words
        account = found.group(1) or found.group(2)
    if handling is not None:
        if not isinstance(handling, str) or not (
            RESOURCE_HANDLING_OPTION_MIN <= len(handling) <= RESOURCE_HANDLING_OPTION_MAX
        ):
            raise validation_error(
                handling,
                "resourceHandlingOption",
                f"have length between {RESOURCE_HANDLING_OPTION_MIN} and {RESOURCE_HANDLING_OPTION_MAX}",
            )
        if handling not in RESOURCE_HANDLING_OPTIONS:
            raise InvalidInputError(
                f"Invalid ResourceHandlingOption {handling}: must be one of "
                f"{', '.join(RESOURCE_HANDLING_OPTIONS)}."
            )
    return account


def _caller(arn: str | None) -> str | None:
    """CallerArn: an IAM user, group or role ARN (not an assumed role, federated user or service);
    it need not exist, nor be of the caller's account."""
    if arn is None:
        return None
    if not isinstance(arn, str) or not RESOURCE_NAME_MIN <= len(arn) <= RESOURCE_NAME_MAX:
        raise validation_error(
            arn, "callerArn", f"have length between {RESOURCE_NAME_MIN} and {RESOURCE_NAME_MAX}"
        )
    _check_characters(arn, "CallerArn")
    if ENTITY_ARN.fullmatch(arn) is None:
        raise InvalidInputError(f"CallerArn {arn} is not a valid IAM user, group or role ARN.")
    return arn


def _completed(
    subject: _Subject,
    extra: list[Policy],
    boundary: Policy | None,
    resource_side: tuple[Policy | None, str | None],
    caller: str | None,
) -> _Subject:
    """The subject with the given policies added, the given boundary in place of its own, the
    resource policy and owner, and the CallerArn as the principal of the requests."""
    for policy in extra:
        subject.identity.append(policy)
        subject.sources[(policy.name, IDENTITY)] = _Source(policy.name, NONE)
    if boundary is not None:
        subject.sources[(boundary.name, BOUNDARY)] = _Source(boundary.name, NONE)
        subject = replace(subject, boundary=boundary)
    resource_policy, owner = resource_side
    if resource_policy is not None:
        subject.sources[(RESOURCE_POLICY_ID, RESOURCE)] = _Source(RESOURCE_POLICY_ID, RESOURCE_SOURCE)
    return replace(
        subject,
        principal_arn=caller or subject.principal_arn,
        resource_policy=resource_policy,
        resource_owner=owner,
    )


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
    for member, values in (("ActionNames", actions), ("ResourceArns", resources)):
        for number, value in enumerate(values, 1):
            _check_characters(value, f"{member}.member.{number}")
    bad = [r for r in resources if r != "*" and not RESOURCE_ARN.fullmatch(r)]
    if bad:
        raise InvalidInputError(f"ResourceNames are not in a valid ARN format: {', '.join(bad)}.")
    return actions, resources or ["*"], _context(context_entries)


def _check_characters(value: str, member: str) -> None:
    """A control character (or any outside XML 1.0's Char) is InvalidInput: no action, ARN or
    principal holds one, and the Query API could not echo it back in well-formed XML."""
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise InvalidInputError(f"{member} contains the invalid character U+{ord(bad.group()):04X}.")


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


def _principal(ctx: RequestContext, arn: str) -> tuple[Model, str]:
    """The user, group or role the ARN names in the caller's account (NoSuchEntity when there is none:
    another account's entities cannot be seen)."""
    found = entity_by_arn(ctx.account, arn)
    if found is None:
        raise InvalidInputError(f"ARN {arn} is not a valid user, group or role ARN.")
    return found


def _managed(arn: str, policy_name: str, account_id: int | None) -> _Source:
    return _Source(policy_name, AWS_MANAGED if account_id is None else USER_MANAGED, arn)


_MANAGED_COLUMNS = ("policy__arn", "policy__policy_name", "policy__account_id", "document")


def _attached(subject: _Subject, attached_to: Q) -> None:
    """The default versions of the managed policies attached as `attached_to` says (once each: its
    conditions are `policy__in` subqueries, so no join multiplies a policy's row)."""
    rows = (
        PolicyVersion.objects.filter(attached_to, is_default=True)
        .order_by("policy__policy_name", "policy__arn")
        .values_list(*_MANAGED_COLUMNS)
    )
    for arn, policy_name, account_id, document in rows:
        subject.identity.append(_compile(document, arn))
        subject.sources[(arn, IDENTITY)] = _managed(arn, policy_name, account_id)


def _inline(subject: _Subject, kind: str, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """Inline policies as (owner name, owner ARN, policy name, document) rows of a user, group or role."""
    for owner, owner_arn, policy_name, document in rows:
        label = f"{kind}/{owner}/{policy_name}"  # unique across the principal's inline policies
        subject.identity.append(_compile(document, label))
        subject.sources[(label, IDENTITY)] = _Source(policy_name, kind, None, owner, owner_arn)


def _owned(entity: Model, kind: str, rows: Iterable[tuple[str, str]]) -> Iterable[tuple[str, str, str, str]]:
    """(policy name, document) rows of the entity's own inline policies, with its name and ARN."""
    name = getattr(entity, f"{kind}_name")
    return ((name, entity.arn, policy_name, document) for policy_name, document in rows)


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
    _inline(subject, USER, _owned(user, USER, own.values_list("policy_name", "document")))
    groups = GroupPolicy.objects.filter(group__memberships__user=user).order_by(
        "group__group_name", "policy_name"
    )
    account_id = user.account.account_id
    _inline(
        subject,
        GROUP,
        (  # the group's ARN as Group.arn writes it (policies may not import accounts.arns)
            (name, f"arn:aws:iam::{account_id}:group{path}{name}", policy_name, document)
            for name, path, policy_name, document in groups.values_list(
                "group__group_name", "group__path", "policy_name", "document"
            )
        ),
    )
    # Two subqueries, not OR'd joins through attachments and memberships: PostgreSQL plans those as
    # LEFT JOINs over every attachment of the account plus DISTINCT (86 ms at 5,000 users, 0.9 ms so).
    _attached(
        subject,
        Q(policy__in=UserPolicyAttachment.objects.filter(user=user).values("policy"))
        | Q(policy__in=GroupPolicyAttachment.objects.filter(group__memberships__user=user).values("policy")),
    )
    return _with_boundary(subject, user.permissions_boundary_id)


def _group_subject(group: Model) -> _Subject:
    """A group's inline and attached policies (a group has no permissions boundary)."""
    subject = _Subject(group.arn)
    own = GroupPolicy.objects.filter(group=group).order_by("policy_name")
    _inline(subject, GROUP, _owned(group, GROUP, own.values_list("policy_name", "document")))
    _attached(subject, Q(policy__in=GroupPolicyAttachment.objects.filter(group=group).values("policy")))
    return subject


def _role_subject(role: Model) -> _Subject:
    """A role's inline and attached policies and its boundary (no session, so no session policies)."""
    subject = _Subject(role.arn)
    own = RolePolicy.objects.filter(role=role).order_by("policy_name")
    _inline(subject, ROLE, _owned(role, ROLE, own.values_list("policy_name", "document")))
    _attached(subject, Q(policy__in=RolePolicyAttachment.objects.filter(role=role).values("policy")))
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
    """Paged by action; only the page asked for is evaluated, each of its actions on every resource."""
    _, size = page_bounds(marker, max_items)  # MaxItems and Marker checked as asked, before shortening
    page = paginate(actions, marker, _page_size(subject, size, len(resources)))
    boundaries = None if subject.boundary is None else [subject.boundary]
    policy_set = PolicySet(subject.identity, boundaries, subject.resource_policy)
    identity_alone = PolicySet(subject.identity, boundaries)
    boundary_alone = None if subject.boundary is None else PolicySet([subject.boundary])
    results = []
    for action in page.items:
        outcomes = []
        for resource in resources:
            request = Request(subject.principal_arn, action, resource, context, subject.resource_owner)
            decision = policy_set.evaluate(request)
            # The boundary's own verdict, as within one account (a request of no account is judged so).
            in_boundary = (
                None
                if boundary_alone is None
                else boundary_alone.evaluate(replace(request, principal="")).allowed
            )
            details = _decision_details(subject, identity_alone, request)
            outcomes.append(_resource_result(subject, action, resource, decision, in_boundary, details))
        results.append(_aggregate(action, outcomes, named=any(r != "*" for r in resources)))
    return Page(results, page.is_truncated, page.marker)


def _statement_count(subject: _Subject) -> int:
    """The statements every evaluation may look at: the identity policies', the boundary's and the
    resource policy's."""
    policies = [*subject.identity, subject.boundary, subject.resource_policy]
    return sum(len(p.statements) for p in policies if p is not None)


def _page_size(subject: _Subject, size: int, resources: int) -> int:
    """MaxItems, shortened so that the page's actions stay within MAX_EVALUATIONS_PER_PAGE
    evaluations and MAX_STATEMENT_EVALUATIONS_PER_PAGE statement checks (each action costs its
    resources times the statements); at least one action, whatever it costs."""
    by_evaluations = MAX_EVALUATIONS_PER_PAGE // resources
    by_statements = MAX_STATEMENT_EVALUATIONS_PER_PAGE // (resources * max(1, _statement_count(subject)))
    return min(size, max(1, min(by_evaluations, by_statements)))


def _decision_details(
    subject: _Subject, identity_alone: PolicySet, request: Request
) -> dict[str, str] | None:
    """EvalDecisionDetails: absent for "*" in one account, empty for a named resource in one account;
    across accounts, each policy type's own decision (both must allow)."""
    principal_account = arn_account(request.principal)
    resource_account = arn_account(request.resource) or subject.resource_owner or principal_account
    if resource_account == principal_account:
        return None if request.resource == "*" else {}
    # The identity side alone: a request of no account is judged as one within an account, so only
    # the identity policies (and boundary) decide it; the principal only matters to a resource policy.
    identity = identity_alone.evaluate(replace(request, principal=""))
    details = {IDENTITY_POLICY_DETAIL: EVAL_DECISIONS[identity.decision]}
    if subject.resource_policy is not None:
        details[RESOURCE_POLICY_DETAIL] = _resource_decision(subject.resource_policy, request)
    return details


def _resource_decision(policy: Policy, request: Request) -> str:
    """The resource policy's own decision: a Deny that applies to the caller, else an Allow that
    names it (directly, by its role, or by its account), else none."""
    action_lc = request.action.lower()
    context = normalize_context(request.context)
    decision = EVAL_DECISIONS[IMPLICIT_DENY]
    for st in policy.statements:
        if st.matches_action(action_lc) == st.not_action or principal_grant(st, request.principal) is None:
            continue
        if not st.applies_to(request.resource, context) or not st.conditions_hold(context):
            continue
        if st.effect == "Deny":
            return EVAL_DECISIONS[EXPLICIT_DENY]
        decision = EVAL_DECISIONS[ALLOWED]
    return decision


def _resource_result(
    subject: _Subject,
    action: str,
    resource: str,
    decision: Decision,
    in_boundary: bool | None,
    details: dict[str, str] | None,
) -> tuple[ResourceSpecificResult, dict[str, str] | None]:
    """One resource's result, and its EvalDecisionDetails as the top level aggregates them (None
    for "*" in one account, {} for a named resource in one account)."""
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
                source.entity,
                source.entity_arn,
            )
        )
    result = ResourceSpecificResult(
        eval_resource_name=resource,
        eval_resource_decision=EVAL_DECISIONS[decision.decision],
        matched_statements=tuple(matched),
        missing_context_values=decision.missing_context_keys,
        eval_decision_details=details or None,  # a resource's details only across accounts
        allowed_by_permissions_boundary=in_boundary,
        decided_by=decision.decided_by,
        explanation=explain(decision, action, resource, has_boundary=in_boundary is not None),
    )
    return result, details


def _aggregate(
    action: str, outcomes: list[tuple[ResourceSpecificResult, dict[str, str] | None]], *, named: bool
) -> EvaluationResult:
    """AWS's EvaluationResult of one action: the most restrictive decision over the resources, the
    statements of the resources that reached it, the union of missing keys (at the top only for
    "*"), the most restrictive decision of each policy type and of the boundary."""
    specific = [result for result, _ in outcomes]
    decision = max((r.eval_resource_decision for r in specific), key=RESTRICTIVENESS.__getitem__)
    deciding = [r for r in specific if r.eval_resource_decision == decision]
    # Only the statements that contributed to the reported decision: an Allow on one resource does
    # not explain an explicit deny on another.
    matched = tuple(dict.fromkeys(m for r in deciding for m in r.matched_statements))
    missing = () if named else tuple(dict.fromkeys(k for r in specific for k in r.missing_context_values))
    verdicts = [r.allowed_by_permissions_boundary for r in specific]
    in_boundary = None if verdicts[0] is None else all(verdicts)
    return EvaluationResult(
        eval_action_name=action,
        eval_resource_name=NO_ARN_TEMPLATE,
        eval_decision=decision,
        decided_by=deciding[0].decided_by,
        matched_statements=matched,
        missing_context_values=missing,
        allowed_by_permissions_boundary=in_boundary,
        explanation=specific[0].explanation if len(specific) == 1 else _summary(action, specific, decision),
        eval_decision_details=_most_restrictive([details for _, details in outcomes]),
        resource_specific_results=tuple(specific) if named else (),
    )


def _most_restrictive(each: list[dict[str, str] | None]) -> dict[str, str] | None:
    """The top-level EvalDecisionDetails: absent when every resource is "*" in one account, else each
    policy type's most restrictive decision over the resources ({} in one account)."""
    if all(details is None for details in each):
        return None
    merged: dict[str, str] = {}
    for details in each:
        for policy_type, decision in (details or {}).items():
            known = merged.get(policy_type)
            if known is None or RESTRICTIVENESS[decision] > RESTRICTIVENESS[known]:
                merged[policy_type] = decision
    return merged


_DECISION_WORDS = {
    "allowed": "allowed",
    "explicitDeny": "explicitly denied",
    "implicitDeny": "implicitly denied",
}


def _summary(action: str, specific: list[ResourceSpecificResult], decision: str) -> str:
    """The aggregate in a sentence, e.g. "iam:DeleteUser is allowed on 2 and explicitly denied on 1 of
    the 3 resources: the most restrictive decision, explicitDeny, is the action's."."""
    counts = dict.fromkeys(_DECISION_WORDS, 0)
    for result in specific:
        counts[result.eval_resource_decision] += 1
    total = len(specific)
    if counts[decision] == total:
        return f"{action} is {_DECISION_WORDS[decision]} on each of the {total} resources."
    parts = [f"{_DECISION_WORDS[word]} on {n}" for word, n in counts.items() if n]
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return (
        f"{action} is {listed} of the {total} resources: the most restrictive decision, {decision}, "
        "is the action's."
    )


def _policy_named(subject: _Subject, name: str, layer: str) -> Policy | None:
    if layer == BOUNDARY:
        return subject.boundary
    if layer == RESOURCE:
        return subject.resource_policy
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
