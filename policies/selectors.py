"""Managed policy reads: GetPolicy, ListPolicies, GetPolicyVersion, ListPolicyVersions,
ListEntitiesForPolicy, ListPolicyTags.

Policies come back annotated with what AWS's Policy structure reports, computed in the query that
reads them: `default_version_id`, `attachment_count`, `permissions_boundary_usage_count` and
`is_attachable`. The counts are the caller's account's: an AWS managed policy is shared by every
account, its attachments are not.

Also the checks and the fetch that policies.services shares (ARNs, paths, version ids), and the
console's reads: a searchable list, a policy page, a comparison of two versions, what a delete takes
with it, and Access Analyzer's ValidatePolicy for the policy editor.
"""

from __future__ import annotations

import difflib
import json
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from itertools import zip_longest

from django.db import models
from django.db.models import BooleanField, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.authz import authorize, resource_tag_context
from accounts.context import RequestContext
from iam_portal import validation
from iam_portal.errors import InvalidInputError, NoSuchEntityError, validation_error
from iam_portal.pagination import Page, paginate
from iam_portal.prepared import PreparedQuery

from .documents import MAX_DOCUMENT_LENGTH
from .engine import Finding, lint_policy
from .models import (
    GroupPolicyAttachment,
    ManagedPolicy,
    PolicyVersion,
    RolePolicyAttachment,
    UserPolicyAttachment,
)

ARN_MIN, ARN_MAX = 20, 2048  # the model's arnType
POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):policy(/.*)?/[^/]+")
POLICY_PATH_PATTERN = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/"
POLICY_PATH = re.compile(POLICY_PATH_PATTERN)
VERSION_ID_PATTERN = r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"
VERSION_ID = re.compile(VERSION_ID_PATTERN)
SCOPES = ("All", "AWS", "Local")
POLICY_USAGES = ("PermissionsPolicy", "PermissionsBoundary")
ENTITY_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
POLICY_NAME_MAX = 128


# Checks and the internal fetch (no authorization; the services and the selectors below authorize).


def check_policy_arn(value: object, member: str = "policyArn") -> str:
    if not isinstance(value, str) or not value:
        raise validation_error(value, member, "not be null")
    if not ARN_MIN <= len(value) <= ARN_MAX:
        raise validation_error(value, member, f"have length between {ARN_MIN} and {ARN_MAX}")
    if not POLICY_ARN.fullmatch(value):
        raise InvalidInputError(f"ARN {value} is not valid.")
    return value


def check_policy_path(value: object, member: str = "path") -> str:
    """A managed policy path (policyPathType), stricter than the path of users, groups and roles."""
    if not isinstance(value, str) or not 1 <= len(value) <= 512:
        raise validation_error(value, member, "have length between 1 and 512")
    if not POLICY_PATH.fullmatch(value):
        raise validation_error(value, member, f"satisfy regular expression pattern: {POLICY_PATH_PATTERN}")
    return value


def check_version_id(value: object, member: str = "versionId") -> str:
    if not isinstance(value, str) or not value:
        raise validation_error(value, member, "not be null")
    if not VERSION_ID.fullmatch(value):
        raise validation_error(value, member, f"satisfy regular expression pattern: {VERSION_ID_PATTERN}")
    return value


def _check_choice(value: object, member: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise validation_error(value, member, f"satisfy enum value set: [{', '.join(choices)}]")
    return value  # type: ignore[return-value]


def _check_bool(value: object, member: str) -> bool:
    if not isinstance(value, bool):
        raise validation_error(value, member, "be a boolean")
    return value


def visible_policies(ctx: RequestContext) -> QuerySet[ManagedPolicy]:
    """The account's customer managed policies and every AWS managed policy."""
    return ManagedPolicy.objects.filter(Q(account=ctx.account) | Q(account__isnull=True))


def _visible_with_arn(account_id: int, arn: str) -> QuerySet[ManagedPolicy]:
    return ManagedPolicy.objects.filter(Q(account_id=account_id) | Q(account__isnull=True), arn=arn)[:1]


# Most policy requests start here: compiled once (iam_portal/prepared.py).
_by_arn = PreparedQuery(_visible_with_arn, account_id=int, arn=str)
_by_arn_with_usage = PreparedQuery(
    lambda account_id, arn: with_usage(_visible_with_arn(account_id, arn), account_id),
    account_id=int,
    arn=str,
)


def policy_by_arn(ctx: RequestContext, policy_arn: str, *, annotated: bool = False) -> ManagedPolicy:
    """A policy the caller's account can see, by ARN (NoSuchEntity as AWS words it for GetPolicy)."""
    query = _by_arn_with_usage if annotated else _by_arn
    policy = query.first(account_id=ctx.account.pk, arn=policy_arn)
    if policy is None:
        raise NoSuchEntityError(f"Policy {policy_arn} was not found.")
    return policy


def missing_version(policy_arn: str, version_id: str) -> NoSuchEntityError:
    return NoSuchEntityError(f"Policy {policy_arn} version {version_id} does not exist or is not attachable.")


def authorize_on_policy(
    ctx: RequestContext, action: str, policy: ManagedPolicy, extra: dict[str, object] | None = None
) -> None:
    """authorize() on the policy's ARN, with its tags as aws:ResourceTag/*."""
    authorize(ctx, action, policy.arn, {**resource_tag_context(policy.tags), **(extra or {})})


# The computed attributes of AWS's Policy structure.


def _entity_model(attachment: type[models.Model], field: str) -> type[models.Model]:
    """User, Group or Role, reached through an attachment model (policies may not import accounts)."""
    return attachment._meta.get_field(field).related_model  # type: ignore[return-value]


ENTITY_ARN = re.compile(r"arn:aws:iam::(\d{12}):(user|group|role)(/(?:.*/)?)([^/]+)")
_ENTITY_MODELS = {
    "user": (UserPolicyAttachment, "user"),
    "group": (GroupPolicyAttachment, "group"),
    "role": (RolePolicyAttachment, "role"),
}


def entity_by_arn(
    account: models.Model, arn: str, kinds: tuple[str, ...] = ("user", "group", "role")
) -> tuple[models.Model, str] | None:
    """The IAM user (never the root user), group or role an ARN names in the account, with its kind
    ("user", "group", "role"); None when the ARN is no ARN of one of `kinds`. NoSuchEntity, as AWS
    words it for the name, when the account has none, or the ARN is another account's (its entities
    cannot be seen). Names are unique in any case, but an ARN is case-sensitive."""
    found = ENTITY_ARN.fullmatch(arn)
    if found is None or found[2] not in kinds:
        return None
    account_id, kind, path, name = found.groups()
    missing = NoSuchEntityError(f"The {kind} with name {name} cannot be found.")
    if account_id != account.account_id:
        raise missing
    rows = (
        _entity_model(*_ENTITY_MODELS[kind])
        .objects.select_related("account")
        .filter(account=account, path=path, **{f"{kind}_name__lower": name.lower()})
    )
    entity = (rows.filter(is_root=False) if kind == "user" else rows).first()
    if entity is None or getattr(entity, f"{kind}_name") != name:
        raise missing
    return entity, kind


def _count(rows: QuerySet, group_by: str) -> Coalesce:
    counted = rows.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_usage(policies: QuerySet[ManagedPolicy], account_id: int) -> QuerySet[ManagedPolicy]:
    """Annotate default_version_id, attachment_count, permissions_boundary_usage_count, is_attachable
    (the counts of one account's users, groups and roles)."""
    user, role = _entity_model(UserPolicyAttachment, "user"), _entity_model(RolePolicyAttachment, "role")
    mine = OuterRef("pk")
    attached = (
        _count(UserPolicyAttachment.objects.filter(policy=mine, user__account_id=account_id), "policy")
        + _count(GroupPolicyAttachment.objects.filter(policy=mine, group__account_id=account_id), "policy")
        + _count(RolePolicyAttachment.objects.filter(policy=mine, role__account_id=account_id), "policy")
    )
    boundaries = _count(
        user.objects.filter(permissions_boundary=mine, account_id=account_id), "permissions_boundary"
    ) + _count(role.objects.filter(permissions_boundary=mine, account_id=account_id), "permissions_boundary")
    default = PolicyVersion.objects.filter(policy=mine, is_default=True).values("version_id")[:1]
    return policies.annotate(
        default_version_id=Subquery(default),
        attachment_count=attached,
        permissions_boundary_usage_count=boundaries,
        is_attachable=Value(True, output_field=BooleanField()),
    )


# The actions.


def get_policy(ctx: RequestContext, *, policy_arn: str) -> ManagedPolicy:
    """GetPolicy: the policy with its default version id and how it is used in the account."""
    check_policy_arn(policy_arn)
    policy = policy_by_arn(ctx, policy_arn, annotated=True)
    authorize_on_policy(ctx, "iam:GetPolicy", policy)
    return policy


def _in_scope(ctx: RequestContext, scope: str) -> QuerySet[ManagedPolicy]:
    """ListPolicies' Scope: All, AWS (AWS managed) or Local (the account's customer managed)."""
    if scope == "AWS":
        return ManagedPolicy.objects.filter(account__isnull=True)
    if scope == "Local":
        return ManagedPolicy.objects.filter(account=ctx.account)
    return visible_policies(ctx)


def list_policies(
    ctx: RequestContext,
    *,
    scope: str = "All",
    only_attached: bool = False,
    path_prefix: str = "/",
    policy_usage_filter: str | None = None,
    name_contains: str = "",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[ManagedPolicy]:
    """ListPolicies: customer managed (Local), AWS managed (AWS) or both, by name; one query.
    `name_contains` (the REST API's filter, in any case) is no AWS member."""
    _check_choice(scope, "scope", SCOPES)
    _check_bool(only_attached, "onlyAttached")
    check_policy_path(path_prefix, "pathPrefix")
    if policy_usage_filter is not None:
        _check_choice(policy_usage_filter, "policyUsageFilter", POLICY_USAGES)
    authorize(ctx, "iam:ListPolicies", f"arn:aws:iam::{ctx.account.account_id}:policy/")
    policies = with_usage(_in_scope(ctx, scope).filter(path__startswith=path_prefix), ctx.account.pk)
    if only_attached or policy_usage_filter == "PermissionsPolicy":
        policies = policies.filter(attachment_count__gt=0)
    if policy_usage_filter == "PermissionsBoundary":
        policies = policies.filter(permissions_boundary_usage_count__gt=0)
    if name_contains:
        validation.search_text(name_contains)
        policies = policies.filter(policy_name__icontains=name_contains)
    return paginate(policies.order_by("policy_name", "pk"), marker, max_items)


def get_policy_version(ctx: RequestContext, *, policy_arn: str, version_id: str) -> PolicyVersion:
    """GetPolicyVersion: one version, with its document exactly as it was stored."""
    check_policy_arn(policy_arn)
    check_version_id(version_id)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:GetPolicyVersion", policy)
    version = PolicyVersion.objects.filter(policy=policy, version_id=version_id).first()
    if version is None:
        raise missing_version(policy_arn, version_id)
    return version


def list_policy_versions(
    ctx: RequestContext, *, policy_arn: str, marker: str | None = None, max_items: int | None = None
) -> Page[PolicyVersion]:
    """ListPolicyVersions, newest first as in AWS; two queries."""
    check_policy_arn(policy_arn)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:ListPolicyVersions", policy)
    return paginate(
        PolicyVersion.objects.filter(policy=policy).order_by("-created", "-pk"), marker, max_items
    )


@dataclass(frozen=True)
class EntitiesForPolicy:
    """ListEntitiesForPolicy's answer: one page across groups, then users, then roles."""

    groups: list
    users: list
    roles: list
    is_truncated: bool
    marker: str | None


class _Concatenation:
    """Querysets read as one list, one after the other; only the slice asked for is fetched.

    At most two queries per queryset whatever the number of rows, so a page costs a constant number.
    """

    def __init__(self, parts: list[tuple[str, QuerySet]]):
        self.parts = parts

    def __getitem__(self, window: slice) -> list[tuple[str, models.Model]]:
        skip, want = window.start or 0, window.stop - (window.start or 0)
        rows: list[tuple[str, models.Model]] = []
        for kind, queryset in self.parts:
            if want <= 0:
                break
            found = list(queryset[skip : skip + want])
            if found:
                skip, want = 0, want - len(found)
                rows += [(kind, entity) for entity in found]
            elif skip:
                skip = max(0, skip - queryset.count())
        return rows


def list_entities_for_policy(
    ctx: RequestContext,
    *,
    policy_arn: str,
    entity_filter: str | None = None,
    path_prefix: str = "/",
    policy_usage_filter: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> EntitiesForPolicy:
    """ListEntitiesForPolicy: the account's groups, users and roles the policy is attached to (or is
    the permissions boundary of), each kind by name; a constant number of queries.

    EntityFilter LocalManagedPolicy / AWSManagedPolicy name no entities, so they list none.
    """
    check_policy_arn(policy_arn)
    if entity_filter is not None:
        _check_choice(entity_filter, "entityFilter", ENTITY_FILTERS)
    validation.path(path_prefix, "pathPrefix")
    if policy_usage_filter is not None:
        _check_choice(policy_usage_filter, "policyUsageFilter", POLICY_USAGES)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:ListEntitiesForPolicy", policy)

    as_policy = policy_usage_filter in (None, "PermissionsPolicy")
    as_boundary = policy_usage_filter in (None, "PermissionsBoundary")
    parts: list[tuple[str, QuerySet]] = []
    for kind, attachment, field in [
        ("Group", GroupPolicyAttachment, "group"),
        ("User", UserPolicyAttachment, "user"),
        ("Role", RolePolicyAttachment, "role"),
    ]:
        if entity_filter not in (None, kind):
            continue
        uses = [Q(pk__in=attachment.objects.filter(policy=policy).values(field))] if as_policy else []
        if as_boundary and kind != "Group":  # groups have no permissions boundary
            uses.append(Q(permissions_boundary=policy))
        if not uses:
            continue
        entities = (
            _entity_model(attachment, field)
            .objects.select_related("account")
            .filter(reduce(operator.or_, uses), account=ctx.account, path__startswith=path_prefix)
        )
        parts.append((kind, entities.order_by(f"{field}_name", "pk")))
    page = paginate(_Concatenation(parts), marker, max_items)  # type: ignore[arg-type]
    by_kind: dict[str, list] = {"Group": [], "User": [], "Role": []}
    for kind, entity in page.items:
        by_kind[kind].append(entity)
    return EntitiesForPolicy(
        by_kind["Group"], by_kind["User"], by_kind["Role"], page.is_truncated, page.marker
    )


def list_policy_tags(
    ctx: RequestContext, *, policy_arn: str, marker: str | None = None, max_items: int | None = None
) -> Page[tuple[str, str]]:
    """ListPolicyTags: (key, value) pairs ordered by key (PostgreSQL's jsonb keeps no insertion order)."""
    check_policy_arn(policy_arn)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:ListPolicyTags", policy)
    return paginate(sorted(policy.tags.items(), key=lambda tag: tag[0].lower()), marker, max_items)


# The console's reads: one call per page; each part is authorized as the AWS action that reads it.


def find_policies(
    ctx: RequestContext,
    *,
    scope: str = "All",
    name_contains: str = "",
    policy_usage_filter: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[ManagedPolicy]:
    """The console's policy list: ListPolicies (authorized as it, annotated as it) narrowed to the
    names that contain a text, case-insensitively; one query."""
    _check_choice(scope, "scope", SCOPES)
    if not isinstance(name_contains, str) or len(name_contains) > POLICY_NAME_MAX:
        raise validation_error(
            name_contains, "nameContains", f"have length less than or equal to {POLICY_NAME_MAX}"
        )
    if policy_usage_filter is not None:
        _check_choice(policy_usage_filter, "policyUsageFilter", POLICY_USAGES)
    authorize(ctx, "iam:ListPolicies", f"arn:aws:iam::{ctx.account.account_id}:policy/")
    policies = _in_scope(ctx, scope)
    if name_contains:
        policies = policies.filter(policy_name__icontains=name_contains)
    policies = with_usage(policies, ctx.account.pk)
    if policy_usage_filter == "PermissionsPolicy":
        policies = policies.filter(attachment_count__gt=0)
    elif policy_usage_filter == "PermissionsBoundary":
        policies = policies.filter(permissions_boundary_usage_count__gt=0)
    return paginate(policies.order_by("policy_name", "pk"), marker, max_items)


@dataclass(frozen=True)
class PolicyDetails:
    """A policy's console page: GetPolicy's answer and the parts asked for (None: not asked for)."""

    policy: ManagedPolicy
    default_version: PolicyVersion | None = None
    versions: list[PolicyVersion] | None = None
    entities: EntitiesForPolicy | None = None
    tags: list[tuple[str, str]] | None = None


DETAIL_PARTS = ("document", "versions", "entities", "tags")


def get_policy_details(
    ctx: RequestContext, *, policy_arn: str, include: Iterable[str] = (), entities_marker: str | None = None
) -> PolicyDetails:
    """GetPolicy, and as asked: the default version (GetPolicyVersion), the versions
    (ListPolicyVersions), one page of the entities it is attached to (ListEntitiesForPolicy; its uses
    as a permissions boundary are only counted), the tags (ListPolicyTags). A constant number of queries."""
    parts = set(include)
    if not parts <= set(DETAIL_PARTS):
        raise ValueError(f"include names parts of {DETAIL_PARTS}, not {sorted(parts - set(DETAIL_PARTS))}")
    policy = get_policy(ctx, policy_arn=policy_arn)
    return PolicyDetails(
        policy,
        default_version=(
            get_policy_version(ctx, policy_arn=policy.arn, version_id=policy.default_version_id)
            if "document" in parts
            else None
        ),
        versions=list_policy_versions(ctx, policy_arn=policy.arn).items if "versions" in parts else None,
        entities=(
            list_entities_for_policy(
                ctx, policy_arn=policy.arn, policy_usage_filter="PermissionsPolicy", marker=entities_marker
            )
            if "entities" in parts
            else None
        ),
        tags=list_policy_tags(ctx, policy_arn=policy.arn).items if "tags" in parts else None,
    )


def formatted_document(document: str) -> str:
    """A document as the console shows it: JSON with four-space indents, in the order written (the
    text as stored when it does not read as plain JSON)."""
    try:
        return json.dumps(json.loads(document), indent=4, ensure_ascii=False)
    except (ValueError, RecursionError):
        return document


@dataclass(frozen=True)
class DiffLine:
    """One row of a side-by-side comparison; a side without a line has number None."""

    change: str  # "equal" | "changed" | "removed" | "added"
    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str


@dataclass(frozen=True)
class VersionComparison:
    policy: ManagedPolicy
    old: PolicyVersion
    new: PolicyVersion
    lines: list[DiffLine]

    @property
    def identical(self) -> bool:
        return all(line.change == "equal" for line in self.lines)


def _diff_lines(old: list[str], new: list[str]) -> list[DiffLine]:
    rows: list[DiffLine] = []
    for change, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if change == "equal":
            pairs = zip(range(i1, i2), range(j1, j2), strict=True)
            rows += [DiffLine("equal", i + 1, old[i], j + 1, new[j]) for i, j in pairs]
            continue
        for i, j in zip_longest(range(i1, i2), range(j1, j2)):
            kind = "changed" if i is not None and j is not None else ("removed" if j is None else "added")
            rows.append(
                DiffLine(
                    kind,
                    None if i is None else i + 1,
                    "" if i is None else old[i],
                    None if j is None else j + 1,
                    "" if j is None else new[j],
                )
            )
    return rows


def compare_policy_versions(
    ctx: RequestContext, *, policy_arn: str, version_id: str, other_version_id: str
) -> VersionComparison:
    """Two versions' documents, formatted and compared line by line (GetPolicy, GetPolicyVersion)."""
    policy = get_policy(ctx, policy_arn=policy_arn)
    old = get_policy_version(ctx, policy_arn=policy.arn, version_id=version_id)
    new = get_policy_version(ctx, policy_arn=policy.arn, version_id=other_version_id)
    lines = _diff_lines(
        formatted_document(old.document).splitlines(), formatted_document(new.document).splitlines()
    )
    return VersionComparison(policy, old, new, lines)


# What the console's Delete takes with it (policies.services.delete_policy_and_dependents).


def attached_entities(policy: ManagedPolicy, account: models.Model) -> list[tuple[str, models.Model]]:
    """("User" | "Group" | "Role", entity) for each of the account's entities the policy is attached
    to: users, groups, then roles, each by name; three queries."""
    found: list[tuple[str, models.Model]] = []
    for kind, attachment, field in [
        ("User", UserPolicyAttachment, "user"),
        ("Group", GroupPolicyAttachment, "group"),
        ("Role", RolePolicyAttachment, "role"),
    ]:
        entities = (
            _entity_model(attachment, field)
            .objects.select_related("account")
            .filter(pk__in=attachment.objects.filter(policy=policy).values(field), account=account)
            .order_by(f"{field}_name", "pk")
        )
        found += [(kind, entity) for entity in entities]
    return found


def boundary_entities(policy: ManagedPolicy, account: models.Model) -> list[tuple[str, models.Model]]:
    """("User" | "Role", entity) whose permissions boundary the policy is; two queries."""
    found: list[tuple[str, models.Model]] = []
    for kind, attachment, field in [
        ("User", UserPolicyAttachment, "user"),
        ("Role", RolePolicyAttachment, "role"),
    ]:
        entities = (
            _entity_model(attachment, field)
            .objects.select_related("account")
            .filter(permissions_boundary=policy, account=account)
            .order_by(f"{field}_name", "pk")
        )
        found += [(kind, entity) for entity in entities]
    return found


@dataclass(frozen=True)
class PolicyDependents:
    """What the console removes before deleting a policy, and what stops it."""

    policy: ManagedPolicy
    attached_to: list[tuple[str, models.Model]]  # detached first
    versions: list[PolicyVersion]  # the non-default versions, deleted first (oldest first)
    boundary_of: list[tuple[str, models.Model]]  # while any, DeletePolicy is a DeleteConflict

    @property
    def deletable(self) -> bool:
        return self.policy.account_id is not None and not self.boundary_of


def get_policy_dependents(ctx: RequestContext, *, policy_arn: str) -> PolicyDependents:
    """Everything that goes with the policy when the console deletes it: GetPolicy,
    ListEntitiesForPolicy and ListPolicyVersions; a constant number of queries."""
    policy = get_policy(ctx, policy_arn=policy_arn)
    authorize_on_policy(ctx, "iam:ListEntitiesForPolicy", policy)
    authorize_on_policy(ctx, "iam:ListPolicyVersions", policy)
    versions = list(PolicyVersion.objects.filter(policy=policy, is_default=False).order_by("created", "pk"))
    return PolicyDependents(
        policy,
        attached_to=attached_entities(policy, ctx.account),
        versions=versions,
        boundary_of=boundary_entities(policy, ctx.account),
    )


# Access Analyzer's ValidatePolicy, for the console's policy editor.

POLICY_TYPES = {"IDENTITY_POLICY": "identity", "RESOURCE_POLICY": "resource"}
TRUST_POLICY_RESOURCE_TYPE = "AWS::IAM::AssumeRolePolicyDocument"
_NOT_ALLOWED_CHARACTER = re.compile(r"[^\t\n\r\u0020-\u00FF]")


def _invalid_character(document: str) -> Finding | None:
    """The first character IAM's policyDocument pattern refuses (a curly quote pasted from a word
    processor, say), located: saving would be a ValidationError that does not say where."""
    found = _NOT_ALLOWED_CHARACTER.search(document)
    if found is None:
        return None
    offset = found.start()
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    char = found.group()
    return Finding(
        "ERROR",
        "INVALID_CHARACTER",
        "Invalid character",
        f"The character {char!r} (U+{ord(char):04X}) is not allowed in a policy document: use only "
        "tab, line feed, carriage return and the characters U+0020 to U+00FF.",
        (),
        line,
        column,
    )


def validate_policy_document(
    ctx: RequestContext,
    *,
    policy_document: str,
    policy_type: str = "IDENTITY_POLICY",
    validate_policy_resource_type: str | None = None,
) -> list[Finding]:
    """ValidatePolicy (IAM Access Analyzer): the engine's findings, errors first, then security
    warnings, warnings and suggestions in document order, each with its line and column.

    Not authorized: it reads nothing of the account, only the text it is given, and the console's
    editor calls it at every pause in typing (each denial would be an audit event).
    """
    _check_choice(policy_type, "policyType", tuple(POLICY_TYPES))
    kind = POLICY_TYPES[policy_type]
    if validate_policy_resource_type is not None:
        _check_choice(
            validate_policy_resource_type, "validatePolicyResourceType", (TRUST_POLICY_RESOURCE_TYPE,)
        )
        if policy_type != "RESOURCE_POLICY":
            raise InvalidInputError(
                f"validatePolicyResourceType {validate_policy_resource_type} applies only to "
                "policyType RESOURCE_POLICY."
            )
        kind = "trust"
    if not isinstance(policy_document, str):
        raise validation_error(policy_document, "policyDocument", "not be null")
    if len(policy_document) > MAX_DOCUMENT_LENGTH:
        raise validation_error(
            "…", "policyDocument", f"have length less than or equal to {MAX_DOCUMENT_LENGTH}"
        )
    findings = lint_policy(policy_document, kind=kind)
    invalid = _invalid_character(policy_document)
    if invalid is None:
        return findings
    # The lint's order is by severity group, not strictly errors first (a missing Version warning can
    # precede an invalid action): split by severity, never by position.
    errors = [f for f in findings if f.severity == "ERROR"]
    others = [f for f in findings if f.severity != "ERROR"]
    return [*errors, invalid, *others]
