"""IAM user reads: GetUser, ListUsers, ListUserTags."""

from __future__ import annotations

from iam_portal import validation
from iam_portal.pagination import Page, paginate

from .. import arns, lookups
from ..authz import authorize, authorize_on
from ..context import RequestContext
from ..models import User


def get_user(ctx: RequestContext, *, user_name: str | None = None) -> User:
    """GetUser. Without user_name, the caller (the root user included), as in AWS."""
    if user_name is None:
        user = ctx.calling_user()
    else:
        validation.name(user_name, "userName", 128)
        user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:GetUser", user)
    return user


def list_users(
    ctx: RequestContext, *, path_prefix: str = "/", marker: str | None = None, max_items: int | None = None
) -> Page[User]:
    """ListUsers, ordered by name; one query whatever the number of users."""
    validation.path_prefix(path_prefix)
    authorize(ctx, "iam:ListUsers", arns.all_in(ctx.account.account_id, "user"))
    users = (
        User.objects.select_related("account")
        .filter(account=ctx.account, is_root=False, path__startswith=path_prefix)
        .order_by("user_name", "pk")
    )
    return paginate(users, marker, max_items)


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
