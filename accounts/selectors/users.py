"""IAM user reads: GetUser, ListUsers, ListUserTags; and the console's views of users (the users
list with its columns, a user's summary, its permissions and where each comes from, and what
deleting it takes away), each in a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from iam_portal import validation
from iam_portal.errors import NoSuchEntityError, validation_error
from iam_portal.pagination import Page, paginate
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    ManagedPolicy,
    UserPolicy,
    UserPolicyAttachment,
)

from .. import arns, lookups
from ..authz import authorize, authorize_on, is_allowed, resource_tag_context
from ..context import RequestContext
from ..models import AccessKey, Group, GroupMembership, LoginProfile, MFADevice, User


def get_user(ctx: RequestContext, *, user_name: str | None = None) -> User:
    """GetUser. Without user_name, the caller (the root user included), as in AWS."""
    if user_name is None:
        user = ctx.calling_user()
    else:
        validation.name(user_name, "userName", 128)
        user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:GetUser", user)
    return user


# ListUsers' orderings: AWS's (by name) and the REST API's others, each made total by the primary key.
USER_ORDERINGS = {
    "user_name": ("user_name", "pk"),
    "-user_name": ("-user_name", "-pk"),
    "create_date": ("created", "pk"),
    "-create_date": ("-created", "-pk"),
}


def list_users(
    ctx: RequestContext,
    *,
    path_prefix: str = "/",
    name_contains: str = "",
    group_name: str = "",
    order_by: str = "user_name",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[User]:
    """ListUsers, ordered by name; one query whatever the number of users. The REST API also filters
    by part of the name and by group (which, as in the console's list, needs the group column's read on
    every user) and orders by name or creation date, ascending or descending."""
    validation.path_prefix(path_prefix)
    if order_by not in USER_ORDERINGS:
        raise validation_error(order_by, "orderBy", f"satisfy enum value set: [{', '.join(USER_ORDERINGS)}]")
    if group_name:
        validation.name(group_name, "groupName", 128)
    account_id = ctx.account.account_id
    authorize(ctx, "iam:ListUsers", arns.all_in(account_id, "user"))
    if group_name:
        authorize(ctx, FILTER_ACTIONS["group"], every_user(account_id))
    users = User.objects.select_related("account").filter(
        account=ctx.account, is_root=False, path__startswith=path_prefix
    )
    if name_contains:
        validation.search_text(name_contains)
        users = users.filter(user_name__icontains=name_contains)
    if group_name:
        member = GroupMembership.objects.filter(user=OuterRef("pk"), group__group_name__iexact=group_name)
        users = users.filter(Exists(member))
    return paginate(users.order_by(*USER_ORDERINGS[order_by]), marker, max_items)


def list_user_tags(
    ctx: RequestContext, *, user_name: str, marker: str | None = None, max_items: int | None = None
) -> Page[tuple[str, str]]:
    """ListUserTags: (key, value) pairs by key (PostgreSQL's jsonb keeps no insertion order)."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:ListUserTags", user)
    return paginate(sorted(user.tags.items(), key=lambda kv: kv[0].lower()), marker, max_items)


def user_for_session(pk: int) -> User | None:
    """The user a console session belongs to (no authorization: the session proved who it is)."""
    return User.objects.select_related("account").filter(pk=pk).first()


# The console's users list and user pages ---------------------------------------------------------

USERS_PER_PAGE = 100
# The read each column of the users list stands for, as the AWS console calls it per user: a column
# the caller may not read for a user is left blank for that user (decided without auditing).
COLUMN_ACTIONS = {
    "groups": "iam:ListGroupsForUser",
    "mfa": "iam:ListMFADevices",
    "console_access": "iam:GetLoginProfile",
    "access_keys": "iam:ListAccessKeys",
    "last_activity": "iam:GetUser",
}
# Filtering by a column reads that column for every user: it needs the read on every user.
FILTER_ACTIONS = {
    "group": COLUMN_ACTIONS["groups"],
    "mfa": COLUMN_ACTIONS["mfa"],
    "console_access": COLUMN_ACTIONS["console_access"],
    "access_key_id": COLUMN_ACTIONS["access_keys"],
}


def every_user(account_id: str) -> str:
    """The resource a read of every user's details is authorized on (arn:aws:iam::<id>:user/*)."""
    return f"arn:aws:iam::{account_id}:user/*"


@dataclass(frozen=True)
class UserRow:
    """One user with the users list's columns; `hidden` names the columns the caller may not read."""

    user: User
    group_names: list[str]
    has_mfa: bool
    has_console_access: bool
    oldest_active_key: datetime | None
    last_activity: datetime | None  # the later of password last used and access key last used
    hidden: frozenset[str]
    now: datetime

    @property
    def access_key_age_days(self) -> int | None:
        """Days since the oldest active key was created (None: no active key), as the AWS column."""
        if self.oldest_active_key is None:
            return None
        return max(0, (self.now - self.oldest_active_key).days)


@dataclass(frozen=True)
class UserList:
    """One page of the users list, with what Django's paginator knows about the others."""

    rows: list[UserRow]
    count: int
    page_number: int
    num_pages: int
    page_range: list[int | str]


def _with_columns(users: QuerySet[User]) -> QuerySet[User]:
    """The list's columns as annotations and one prefetch: the same number of queries for any page."""
    keys = AccessKey.objects.filter(user=OuterRef("pk"))
    return (
        users.select_related("account")
        .defer("password")
        .annotate(
            has_mfa=Exists(MFADevice.objects.filter(user=OuterRef("pk"))),
            has_console_access=Exists(LoginProfile.objects.filter(user=OuterRef("pk"))),
            oldest_active_key=Subquery(
                keys.filter(status=AccessKey.ACTIVE).order_by("created").values("created")[:1]
            ),
            key_last_used=Subquery(
                keys.filter(last_used_date__isnull=False)
                .order_by("-last_used_date")
                .values("last_used_date")[:1]
            ),
        )
        .prefetch_related(
            Prefetch("groups", queryset=Group.objects.only("pk", "group_name").order_by("group_name"))
        )
    )


def _row(ctx: RequestContext, user: User) -> UserRow:
    tags = resource_tag_context(user.tags)
    hidden = frozenset(
        column for column, action in COLUMN_ACTIONS.items() if not is_allowed(ctx, action, user.arn, tags)
    )
    used = [moment for moment in (user.last_login, user.key_last_used) if moment is not None]
    return UserRow(
        user=user,
        group_names=[group.group_name for group in user.groups.all()],
        has_mfa=user.has_mfa,
        has_console_access=user.has_console_access,
        oldest_active_key=user.oldest_active_key,
        last_activity=max(used) if used else None,
        hidden=hidden,
        now=ctx.now,
    )


def list_user_rows(
    ctx: RequestContext,
    *,
    search: str = "",
    group_name: str = "",
    mfa: bool | None = None,
    console_access: bool | None = None,
    page: int | str = 1,
) -> UserList:
    """The console's users list: by name, 100 a page, searched by name or by access key id (which
    finds the key's owner), filtered by group, MFA and console access.

    Needs iam:ListUsers; each filter also needs its column's read on every user (FILTER_ACTIONS),
    and a search matches access key ids only for a caller who may list every user's keys.
    """
    account_id = ctx.account.account_id
    authorize(ctx, "iam:ListUsers", arns.all_in(account_id, "user"))
    if group_name:
        authorize(ctx, FILTER_ACTIONS["group"], every_user(account_id))
    if mfa is not None:
        authorize(ctx, FILTER_ACTIONS["mfa"], every_user(account_id))
    if console_access is not None:
        authorize(ctx, FILTER_ACTIONS["console_access"], every_user(account_id))
    users = User.objects.filter(account=ctx.account, is_root=False)
    search = search.strip()
    if search:
        matches = Q(user_name__icontains=search)
        if is_allowed(ctx, FILTER_ACTIONS["access_key_id"], every_user(account_id)):
            owns = AccessKey.objects.filter(user=OuterRef("pk"), access_key_id=search.upper())
            matches |= Q(Exists(owns))
        users = users.filter(matches)
    if group_name:
        member = GroupMembership.objects.filter(user=OuterRef("pk"), group__group_name__iexact=group_name)
        users = users.filter(Exists(member))
    if mfa is not None:
        users = (
            users.filter(Exists(MFADevice.objects.filter(user=OuterRef("pk"))))
            if mfa
            else users.exclude(Exists(MFADevice.objects.filter(user=OuterRef("pk"))))
        )
    if console_access is not None:
        profile = Exists(LoginProfile.objects.filter(user=OuterRef("pk")))
        users = users.filter(profile) if console_access else users.exclude(profile)
    paginator = Paginator(_with_columns(users).order_by("user_name", "pk"), USERS_PER_PAGE)
    current = paginator.get_page(page)
    return UserList(
        rows=[_row(ctx, user) for user in current.object_list],
        count=paginator.count,
        page_number=current.number,
        num_pages=paginator.num_pages,
        page_range=list(paginator.get_elided_page_range(current.number)),
    )


def get_user_row(ctx: RequestContext, *, user_name: str) -> UserRow:
    """GetUser, with the users list's columns (a user page's summary)."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:GetUser", user)
    found = _with_columns(User.objects.filter(pk=user.pk)).first()
    if found is None:  # deleted since the lookup
        raise NoSuchEntityError(f"The user with name {user_name} cannot be found.")
    return _row(ctx, found)


DIRECT = "Directly"
AWS_MANAGED, CUSTOMER_MANAGED, INLINE = "AWS managed", "Customer managed", "Customer inline"


@dataclass(frozen=True)
class PermissionEntry:
    """One policy that applies to a user, and where it comes from (the Permissions tab's row).

    group_name is None for a policy of the user's own (attached directly, or inline)."""

    policy_name: str
    policy_type: str  # AWS managed, Customer managed or Customer inline
    group_name: str | None
    policy_arn: str | None = None  # managed policies only

    @property
    def attached_via(self) -> str:
        return DIRECT if self.group_name is None else f"Group {self.group_name}"

    @property
    def is_inline(self) -> bool:
        return self.policy_type == INLINE


@dataclass(frozen=True)
class UserPermissions:
    """The user's policies, its own first and then its groups' (by group), and its boundary."""

    user: User
    entries: list[PermissionEntry]
    groups: list[Group]
    boundary: ManagedPolicy | None


def _managed_type(policy: ManagedPolicy) -> str:
    return AWS_MANAGED if policy.account_id is None else CUSTOMER_MANAGED


def list_user_permissions(ctx: RequestContext, *, user_name: str) -> UserPermissions:
    """What the console's Permissions tab lists: ListAttachedUserPolicies, ListUserPolicies,
    ListGroupsForUser, and each group's ListAttachedGroupPolicies and ListGroupPolicies (each
    authorized as that action is); seven queries whatever the number of policies and groups."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    tags = resource_tag_context(user.tags)
    for action in ("iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:ListGroupsForUser"):
        authorize(ctx, action, user.arn, tags)
    groups = list(
        Group.objects.select_related("account").filter(memberships__user=user).order_by("group_name")
    )
    for group in groups:
        authorize(ctx, "iam:ListAttachedGroupPolicies", group.arn)
        authorize(ctx, "iam:ListGroupPolicies", group.arn)
    entries = [
        PermissionEntry(policy.policy_name, _managed_type(policy), None, policy.arn)
        for policy in ManagedPolicy.objects.filter(user_attachments__user=user).order_by("policy_name")
    ]
    entries += [
        PermissionEntry(name, INLINE, None)
        for name in UserPolicy.objects.filter(user=user)
        .order_by("policy_name")
        .values_list("policy_name", flat=True)
    ]
    by_group: dict[int, list[PermissionEntry]] = {group.pk: [] for group in groups}
    for attachment in (
        GroupPolicyAttachment.objects.select_related("policy", "group")
        .filter(group__in=groups)
        .order_by("policy__policy_name")
    ):
        policy = attachment.policy
        by_group[attachment.group_id].append(
            PermissionEntry(
                policy.policy_name, _managed_type(policy), attachment.group.group_name, policy.arn
            )
        )
    for group_pk, group_name, name in (
        GroupPolicy.objects.filter(group__in=groups)
        .order_by("policy_name")
        .values_list("group_id", "group__group_name", "policy_name")
    ):
        by_group[group_pk].append(PermissionEntry(name, INLINE, group_name))
    for group in groups:
        entries += by_group[group.pk]
    boundary = (
        ManagedPolicy.objects.filter(pk=user.permissions_boundary_id).first()
        if user.permissions_boundary_id
        else None
    )
    return UserPermissions(user, entries, groups, boundary)


@dataclass(frozen=True)
class UserDependents:
    """Everything that hangs off a user, which the console's delete removes first (AWS's order)."""

    user: User
    has_login_profile: bool
    access_keys: list[tuple[str, str]]  # (access key id, status)
    mfa_devices: list[str]  # serial numbers: each is deactivated, then deleted (virtual devices)
    inline_policies: list[str]
    attached_policies: list[str]  # ARNs: detached, not deleted
    group_names: list[str]
    tags: list[tuple[str, str]]  # (key, value) by key: they go with the user

    @property
    def is_bare(self) -> bool:
        """Nothing but the user itself (and its tags) would go."""
        return not (
            self.has_login_profile
            or self.access_keys
            or self.mfa_devices
            or self.inline_policies
            or self.attached_policies
            or self.group_names
        )


# Reading what a user owns, as the AWS console does before it deletes one.
DEPENDENT_READS = (
    "iam:GetUser",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListGroupsForUser",
    "iam:ListUserTags",
)


def users_by_names(ctx: RequestContext, user_names: Iterable[str]) -> list[User]:
    """The account's users with these names (case-insensitively), in the order given, in one query;
    NoSuchEntity for the first name that is not there."""
    names = [validation.name(name, "userName", 128) for name in user_names]
    found = {
        user.user_name.lower(): user
        for user in User.objects.select_related("account")
        .annotate(lower_name=Lower("user_name"))
        .filter(account=ctx.account, is_root=False, lower_name__in=[name.lower() for name in names])
    }
    missing = next((name for name in names if name.lower() not in found), None)
    if missing is not None:
        raise NoSuchEntityError(f"The user with name {missing} cannot be found.")
    return list({name.lower(): found[name.lower()] for name in names}.values())  # once each


def list_user_dependents(ctx: RequestContext, *, user_names: list[str]) -> list[UserDependents]:
    """What deleting these users from the console removes (the confirmation page), each read
    authorized as its AWS action is; the same number of queries for one user or a hundred."""
    users = users_by_names(ctx, user_names)
    for user in users:
        tags = resource_tag_context(user.tags)
        for action in DEPENDENT_READS:
            authorize(ctx, action, user.arn, tags)
    pks = [user.pk for user in users]
    profiles = set(LoginProfile.objects.filter(user__in=pks).values_list("user_id", flat=True))
    keys: dict[int, list[tuple[str, str]]] = {pk: [] for pk in pks}
    for owner, key_id, status in (
        AccessKey.objects.filter(user__in=pks)
        .order_by("created", "pk")
        .values_list("user_id", "access_key_id", "status")
    ):
        keys[owner].append((key_id, status))
    devices: dict[int, list[str]] = {pk: [] for pk in pks}
    for owner, serial in (
        MFADevice.objects.filter(user__in=pks)
        .order_by("serial_number")
        .values_list("user_id", "serial_number")
    ):
        devices[owner].append(serial)
    inline: dict[int, list[str]] = {pk: [] for pk in pks}
    for owner, name in (
        UserPolicy.objects.filter(user__in=pks).order_by("policy_name").values_list("user_id", "policy_name")
    ):
        inline[owner].append(name)
    attached: dict[int, list[str]] = {pk: [] for pk in pks}
    for owner, arn in (
        UserPolicyAttachment.objects.filter(user__in=pks)
        .order_by("policy__policy_name")
        .values_list("user_id", "policy__arn")
    ):
        attached[owner].append(arn)
    groups: dict[int, list[str]] = {pk: [] for pk in pks}
    for owner, name in (
        GroupMembership.objects.filter(user__in=pks)
        .order_by("group__group_name")
        .values_list("user_id", "group__group_name")
    ):
        groups[owner].append(name)
    return [
        UserDependents(
            user=user,
            has_login_profile=user.pk in profiles,
            access_keys=keys[user.pk],
            mfa_devices=devices[user.pk],
            inline_policies=inline[user.pk],
            attached_policies=attached[user.pk],
            group_names=groups[user.pk],
            tags=sorted(user.tags.items(), key=lambda kv: kv[0].lower()),
        )
        for user in users
    ]
