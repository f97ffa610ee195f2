"""IAM group reads: GetGroup, ListGroups, ListGroupsForUser; and what the console's group pages
show (a list with counts, a group's page, its delete confirmation, users and policies to add)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from iam_portal import validation
from iam_portal.pagination import Page, paginate
from policies.models import GroupPolicy, GroupPolicyAttachment, ManagedPolicy

from .. import arns, lookups
from ..authz import authorize, authorize_on, is_allowed
from ..context import RequestContext
from ..models import Group, GroupMembership, User
from .entity_policies import GROUP, Listing, first_shown


@dataclass(frozen=True)
class GroupWithUsers:
    """GetGroup's answer: the group and one page of its members."""

    group: Group
    users: Page[User]


def get_group(
    ctx: RequestContext, *, group_name: str, marker: str | None = None, max_items: int | None = None
) -> GroupWithUsers:
    """GetGroup: the group and its users by name; two queries whatever the number of members."""
    validation.name(group_name, "groupName", 128)
    group = lookups.group_by_name(ctx.account, group_name)
    authorize(ctx, "iam:GetGroup", group.arn)
    users = (
        User.objects.select_related("account")
        .filter(memberships__group=group, is_root=False)
        .order_by("user_name", "pk")
    )
    return GroupWithUsers(group, paginate(users, marker, max_items))


def list_groups(
    ctx: RequestContext,
    *,
    path_prefix: str = "/",
    name_contains: str = "",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Group]:
    """ListGroups, ordered by name; one query whatever the number of groups. `name_contains` (the
    REST API's filter, in any case) is no AWS member."""
    validation.path_prefix(path_prefix)
    authorize(ctx, "iam:ListGroups", arns.all_in(ctx.account.account_id, "group"))
    groups = Group.objects.select_related("account").filter(account=ctx.account, path__startswith=path_prefix)
    if name_contains:
        validation.search_text(name_contains)
        groups = groups.filter(group_name__icontains=name_contains)
    return paginate(groups.order_by("group_name", "pk"), marker, max_items)


def list_groups_for_user(
    ctx: RequestContext, *, user_name: str, marker: str | None = None, max_items: int | None = None
) -> Page[Group]:
    """ListGroupsForUser, ordered by name; two queries whatever the number of groups."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:ListGroupsForUser", user)
    groups = (
        Group.objects.select_related("account").filter(memberships__user=user).order_by("group_name", "pk")
    )
    return paginate(groups, marker, max_items)


# What the console's group pages show, each in a constant number of queries.


def _count(rows: QuerySet, by: str) -> Coalesce:
    """A correlated COUNT of `rows` per group, as a subquery (no join that multiplies rows)."""
    counted = rows.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def search_groups(
    ctx: RequestContext, *, search: str = "", marker: str | None = None, max_items: int | None = None
) -> Listing[Group]:
    """ListGroups narrowed to names containing `search` (any case), each group annotated with
    user_count, attached_policy_count and inline_policy_count; two queries whatever the numbers."""
    authorize(ctx, "iam:ListGroups", arns.all_in(ctx.account.account_id, "group"))
    mine = OuterRef("pk")
    groups = Group.objects.select_related("account").filter(account=ctx.account)
    if search:
        groups = groups.filter(group_name__icontains=search)
    annotated = groups.annotate(
        user_count=_count(GroupMembership.objects.filter(group=mine), "group"),
        attached_policy_count=_count(GroupPolicyAttachment.objects.filter(group=mine), "group"),
        inline_policy_count=_count(GroupPolicy.objects.filter(group=mine), "group"),
    ).order_by("group_name", "pk")
    return Listing(paginate(annotated, marker, max_items), groups.count())


@dataclass(frozen=True)
class GroupSummary:
    """The console's group page. A list is None when the caller may not read it (the page says so)."""

    group: Group
    users: Page[User]
    attached: list[ManagedPolicy] | None  # iam:ListAttachedGroupPolicies
    inline: list[str] | None  # iam:ListGroupPolicies


def group_summary(ctx: RequestContext, *, group_name: str, marker: str | None = None) -> GroupSummary:
    """GetGroup (the group and a page of its users), and what ListAttachedGroupPolicies and
    ListGroupPolicies answer if the caller may call them; five queries at most."""
    found = get_group(ctx, group_name=group_name, marker=marker)
    return GroupSummary(found.group, found.users, *GROUP.listed(ctx, found.group))


@dataclass(frozen=True)
class GroupDependents:
    """What the console's Delete removes before DeleteGroup: every member, attached and inline policy."""

    group: Group
    user_names: list[str]
    policies: list[ManagedPolicy]
    inline: list[str]


def group_dependents(ctx: RequestContext, *, group_name: str) -> GroupDependents:
    """GetGroup (all its users), ListAttachedGroupPolicies and ListGroupPolicies, for the delete
    confirmation; four queries whatever the numbers."""
    validation.name(group_name, "groupName", 128)
    group = lookups.group_by_name(ctx.account, group_name)
    for action in ("iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:ListGroupPolicies"):
        authorize(ctx, action, group.arn)
    members = User.objects.filter(memberships__group=group, is_root=False).order_by("user_name", "pk")
    user_names = list(members.values_list("user_name", flat=True))
    return GroupDependents(group, user_names, GROUP.attached(group), GROUP.inline_names(group))


@dataclass(frozen=True)
class GroupChoices:
    """Users and policies the console offers to add to a group, the first CHOICES_SHOWN of each by
    name. None when the caller may not list them (iam:ListUsers, iam:ListPolicies)."""

    users: list[User] | None
    more_users: bool
    policies: list[ManagedPolicy] | None
    more_policies: bool


def group_choices(
    ctx: RequestContext,
    *,
    group_name: str | None = None,
    users: bool = True,
    policies: bool = True,
    user_search: str = "",
    policy_search: str = "",
) -> GroupChoices:
    """For a new group, or for group_name (GetGroup): users not in it and policies not attached to
    it whose names contain the searches (any case); three queries at most."""
    group = None
    if group_name is not None:
        validation.name(group_name, "groupName", 128)
        group = lookups.group_by_name(ctx.account, group_name)
        authorize(ctx, "iam:GetGroup", group.arn)
    account_id = ctx.account.account_id
    user_rows = policy_rows = None
    more_users = more_policies = False
    if users and is_allowed(ctx, "iam:ListUsers", arns.all_in(account_id, "user")):
        rows = User.objects.select_related("account").filter(account=ctx.account, is_root=False)
        if group is not None:
            rows = rows.exclude(memberships__group=group)
        if user_search:
            rows = rows.filter(user_name__icontains=user_search)
        user_rows, more_users = first_shown(rows.order_by("user_name", "pk"))
    if policies and is_allowed(ctx, "iam:ListPolicies", f"arn:aws:iam::{account_id}:policy/"):
        policy_rows, more_policies = GROUP.not_attached(ctx, group, policy_search)
    return GroupChoices(user_rows, more_users, policy_rows, more_policies)


@dataclass(frozen=True)
class GroupInlinePolicy:
    """GetGroupPolicy's answer with the group itself (whose ARN decides what the page offers)."""

    group: Group
    policy_name: str
    policy_document: str


def group_inline_policy(ctx: RequestContext, *, group_name: str, policy_name: str) -> GroupInlinePolicy:
    """GetGroupPolicy: the document as it was put, and its group; two queries."""
    validation.name(group_name, "groupName", 128)
    validation.name(policy_name, "policyName", 128)
    group = lookups.group_by_name(ctx.account, group_name)
    authorize(ctx, "iam:GetGroupPolicy", group.arn)
    return GroupInlinePolicy(group, policy_name, GROUP.inline_document(group, policy_name))
