"""GetAccountAuthorizationDetails: the account's users, groups, roles and managed policies with their
relationships (inline policies, attachments, memberships, boundaries, tags), in AWS's shapes.

Pages run across the four lists in AWS's order (UserDetailList, GroupDetailList, RoleDetailList,
Policies). The marker is a cursor, not an offset: it names the list and the last row shown (rows in
primary-key order), so an entity created or deleted between two calls never makes a later page repeat
or skip another. Each page costs a constant number of queries whatever the account holds: one per
list it reaches plus one per prefetched relation.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from iam_portal.errors import validation_error
from iam_portal.pagination import page_bounds
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    ManagedPolicy,
    PolicyVersion,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)
from policies.selectors import with_usage

from ..authz import authorize
from ..context import RequestContext
from ..models import Account, Group, GroupMembership, Role, User
from .role_usage import roles_last_used

ACTION = "iam:GetAccountAuthorizationDetails"
ENTITY_TYPES = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")  # the model's enum
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")  # AWS's order of the pages
_CURSOR_PREFIX = "aad"


@dataclass(frozen=True)
class AuthorizationDetails:
    """One page: model instances carrying the prefetched relations the shapes need (see _users etc.)."""

    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    policies: list[ManagedPolicy] = field(default_factory=list)
    is_truncated: bool = False
    marker: str | None = None


def _check_filter(values: Sequence[str] | None) -> frozenset[str]:
    """Filter (entityListType); none or an empty list means every type, as in AWS."""
    if values is None:
        return frozenset(ENTITY_TYPES)
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise validation_error(values, "filter", "be a list of entity types")
    if any(value not in ENTITY_TYPES for value in values):
        # AWS's wording for a list member's enum: the values and the set without quotes.
        shown = f"[{', '.join(map(str, values))}]"
        raise validation_error(
            shown,
            "filter",
            f"satisfy constraint: [Member must satisfy enum value set: [{', '.join(ENTITY_TYPES)}]]",
        )
    return frozenset(values) or frozenset(ENTITY_TYPES)


def _encode(list_index: int, last_pk: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{list_index}:{last_pk}".encode()).decode()


def _decode(marker: str) -> tuple[int, int]:
    """(list index, last primary key shown in that list)."""
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        index, pk = text.removeprefix(_CURSOR_PREFIX).split(":")
        if (
            text.startswith(_CURSOR_PREFIX)
            and index in {"0", "1", "2", "3"}
            and pk.isdigit()
            and len(pk) <= 19
        ):
            return int(index), int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise validation_error(marker, "marker", "be a marker returned by a previous response")


def _users(account: Account) -> QuerySet[User]:
    return (
        User.objects.filter(account=account, is_root=False)
        .select_related("permissions_boundary")
        .defer("password")  # never read a secret the answer does not need
        .prefetch_related(
            Prefetch("inline_policies", UserPolicy.objects.order_by("policy_name"), to_attr="detail_inline"),
            Prefetch(
                "memberships",
                GroupMembership.objects.select_related("group").order_by("group__group_name"),
                to_attr="detail_memberships",
            ),
            Prefetch(
                "policy_attachments",
                UserPolicyAttachment.objects.select_related("policy").order_by("policy__policy_name"),
                to_attr="detail_attached",
            ),
        )
    )


def _groups(account: Account) -> QuerySet[Group]:
    return Group.objects.filter(account=account).prefetch_related(
        Prefetch("inline_policies", GroupPolicy.objects.order_by("policy_name"), to_attr="detail_inline"),
        Prefetch(
            "policy_attachments",
            GroupPolicyAttachment.objects.select_related("policy").order_by("policy__policy_name"),
            to_attr="detail_attached",
        ),
    )


def _roles(account: Account) -> QuerySet[Role]:
    return (
        Role.objects.filter(account=account)
        .select_related("permissions_boundary")
        .prefetch_related(
            Prefetch("inline_policies", RolePolicy.objects.order_by("policy_name"), to_attr="detail_inline"),
            Prefetch(
                "policy_attachments",
                RolePolicyAttachment.objects.select_related("policy").order_by("policy__policy_name"),
                to_attr="detail_attached",
            ),
        )
    )


def _in_use(account: Account) -> Q:
    """An AWS managed policy appears only when the account uses it: attached to one of its users,
    groups or roles, or the permissions boundary of one (AWS lists the policies "in use")."""
    mine = OuterRef("pk")
    return (
        Q(Exists(UserPolicyAttachment.objects.filter(policy=mine, user__account=account)))
        | Q(Exists(GroupPolicyAttachment.objects.filter(policy=mine, group__account=account)))
        | Q(Exists(RolePolicyAttachment.objects.filter(policy=mine, role__account=account)))
        | Q(Exists(User.objects.filter(permissions_boundary=mine, account=account)))
        | Q(Exists(Role.objects.filter(permissions_boundary=mine, account=account)))
    )


def _policies(account: Account, types: frozenset[str]) -> QuerySet[ManagedPolicy]:
    scope = Q(pk__in=[])
    if "LocalManagedPolicy" in types:
        scope |= Q(account=account)
    if "AWSManagedPolicy" in types:
        scope |= Q(account__isnull=True) & _in_use(account)
    return with_usage(ManagedPolicy.objects.filter(scope), account.pk).prefetch_related(
        Prefetch("versions", PolicyVersion.objects.order_by("created", "pk"), to_attr="detail_versions")
    )


def _wanted(types: frozenset[str]) -> tuple[bool, bool, bool, bool]:
    """Which of the four lists the filter asks for, in LISTS order."""
    return (
        "User" in types,
        "Group" in types,
        "Role" in types,
        bool(types & {"LocalManagedPolicy", "AWSManagedPolicy"}),
    )


def get_account_authorization_details(
    ctx: RequestContext,
    *,
    filter: Sequence[str] | None = None,  # AWS's member name
    marker: str | None = None,
    max_items: int | None = None,
) -> AuthorizationDetails:
    """GetAccountAuthorizationDetails (iam:GetAccountAuthorizationDetails on "*": no resource type)."""
    types = _check_filter(filter)
    _, size = page_bounds(None, max_items)  # MaxItems as every pager checks it
    if marker is not None and (not isinstance(marker, str) or not 1 <= len(marker) <= 320):
        raise validation_error(marker, "marker", "have length between 1 and 320")
    start, after = _decode(marker) if marker is not None else (0, 0)
    authorize(ctx, ACTION, "*")
    account = ctx.account
    sources = (
        lambda: _users(account),
        lambda: _groups(account),
        lambda: _roles(account),
        lambda: _policies(account, types),
    )
    found: list[list] = [[], [], [], []]
    room = size + 1  # one more than asked: it says whether more follow
    last: tuple[int, int] | None = None
    for index, (wanted, source) in enumerate(zip(_wanted(types), sources, strict=True)):
        if index < start or not wanted or room == 0:
            continue
        rows = source()
        if index == start and after:
            rows = rows.filter(pk__gt=after)
        fetched = list(rows.order_by("pk")[:room])
        found[index] = fetched
        room -= len(fetched)
    # Cut at `size` items over the concatenation; the marker names the last item kept.
    kept, remaining = [], size
    for index, rows in enumerate(found):
        kept.append(rows[:remaining])
        if rows[:remaining]:
            last = (index, rows[:remaining][-1].pk)
        remaining -= len(kept[-1])
    truncated = room == 0
    for user in kept[0]:
        user.account = account  # the ARN needs the account id: no query per row
    for group in kept[1]:
        group.account = account
    used = roles_last_used(account) if kept[2] else {}  # a constant number of queries, for every role
    for role in kept[2]:
        role.account = account
        role.detail_last_used = used.get(role.role_id)
    return AuthorizationDetails(
        users=kept[0],
        groups=kept[1],
        roles=kept[2],
        policies=kept[3],
        is_truncated=truncated,
        marker=_encode(*last) if truncated and last is not None else None,
    )


# --- AWS's shapes -----------------------------------------------------------------------------------
# One definition of GetAccountAuthorizationDetails' members, for every adapter: `document` turns a
# stored policy document (JSON text) into what the channel sends (URL-encoded text for the Query
# API, a JSON object for the REST API); datetimes stay datetimes for the adapter to write.


def _attached(rows: list) -> list[dict]:
    return [{"PolicyName": a.policy.policy_name, "PolicyArn": a.policy.arn} for a in rows]


def _inline(rows: list, document: Callable[[str], object]) -> list[dict]:
    return [{"PolicyName": p.policy_name, "PolicyDocument": document(p.document)} for p in rows]


def _boundary(policy: ManagedPolicy | None) -> dict | None:
    if policy is None:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": policy.arn}


def _tags(values: dict[str, str]) -> list[dict] | None:
    """Tags; left out when there are none, as AWS does."""
    return [{"Key": k, "Value": v} for k, v in values.items()] or None


def user_detail(u: User, document: Callable[[str], object]) -> dict:
    """UserDetail."""
    return _without_none(
        {
            "Path": u.path,
            "UserName": u.user_name,
            "UserId": u.user_id,
            "Arn": u.arn,
            "CreateDate": u.created,
            "UserPolicyList": _inline(u.detail_inline, document),
            "GroupList": [m.group.group_name for m in u.detail_memberships],
            "AttachedManagedPolicies": _attached(u.detail_attached),
            "PermissionsBoundary": _boundary(u.permissions_boundary),
            "Tags": _tags(u.tags),
        }
    )


def group_detail(g: Group, document: Callable[[str], object]) -> dict:
    """GroupDetail."""
    return {
        "Path": g.path,
        "GroupName": g.group_name,
        "GroupId": g.group_id,
        "Arn": g.arn,
        "CreateDate": g.created,
        "GroupPolicyList": _inline(g.detail_inline, document),
        "AttachedManagedPolicies": _attached(g.detail_attached),
    }


def role_detail(r: Role, document: Callable[[str], object]) -> dict:
    """RoleDetail. The portal has no instance profiles; RoleLastUsed comes from the audit log."""
    return _without_none(
        {
            "Path": r.path,
            "RoleName": r.role_name,
            "RoleId": r.role_id,
            "Arn": r.arn,
            "CreateDate": r.created,
            "AssumeRolePolicyDocument": document(r.assume_role_policy_document),
            "InstanceProfileList": [],
            "RolePolicyList": _inline(r.detail_inline, document),
            "AttachedManagedPolicies": _attached(r.detail_attached),
            "PermissionsBoundary": _boundary(r.permissions_boundary),
            "Tags": _tags(r.tags),
            "RoleLastUsed": _last_used(r.detail_last_used),
        }
    )


def _last_used(used: tuple[datetime, str] | None) -> dict:
    """RoleLastUsed: empty for a role not used since it was created, as AWS answers."""
    if used is None:
        return {}
    return {"LastUsedDate": used[0], "Region": used[1]}


def policy_detail(p: ManagedPolicy, document: Callable[[str], object]) -> dict:
    """ManagedPolicyDetail, with every version and its document."""
    return _without_none(
        {
            "PolicyName": p.policy_name,
            "PolicyId": p.policy_id,
            "Arn": p.arn,
            "Path": p.path,
            "DefaultVersionId": p.default_version_id,
            "AttachmentCount": p.attachment_count,
            "PermissionsBoundaryUsageCount": p.permissions_boundary_usage_count,
            "IsAttachable": p.is_attachable,
            "Description": p.description or None,
            "CreateDate": p.created,
            "UpdateDate": p.updated,
            "PolicyVersionList": [
                {
                    "Document": document(v.document),
                    "VersionId": v.version_id,
                    "IsDefaultVersion": v.is_default,
                    "CreateDate": v.created,
                }
                for v in p.detail_versions
            ],
        }
    )


def _without_none(shape: dict) -> dict:
    return {k: v for k, v in shape.items() if v is not None}


def as_aws(details: AuthorizationDetails, document: Callable[[str], object]) -> dict:
    """The response members of GetAccountAuthorizationDetails (Marker only when truncated)."""
    return _without_none(
        {
            "UserDetailList": [user_detail(u, document) for u in details.users],
            "GroupDetailList": [group_detail(g, document) for g in details.groups],
            "RoleDetailList": [role_detail(r, document) for r in details.roles],
            "Policies": [policy_detail(p, document) for p in details.policies],
            "IsTruncated": details.is_truncated,
            "Marker": details.marker,
        }
    )
