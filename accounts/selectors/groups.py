"""IAM group reads: GetGroup, ListGroups, ListGroupsForUser."""

from __future__ import annotations

from dataclasses import dataclass

from iam_portal import validation
from iam_portal.pagination import Page, paginate

from .. import arns, lookups
from ..authz import authorize, authorize_on
from ..context import RequestContext
from ..models import Group, User


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
    ctx: RequestContext, *, path_prefix: str = "/", marker: str | None = None, max_items: int | None = None
) -> Page[Group]:
    """ListGroups, ordered by name; one query whatever the number of groups."""
    validation.path_prefix(path_prefix)
    authorize(ctx, "iam:ListGroups", arns.all_in(ctx.account.account_id, "group"))
    groups = (
        Group.objects.select_related("account")
        .filter(account=ctx.account, path__startswith=path_prefix)
        .order_by("group_name", "pk")
    )
    return paginate(groups, marker, max_items)


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
