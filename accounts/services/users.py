"""IAM user writes: CreateUser, UpdateUser, DeleteUser, TagUser, UntagUser."""

from __future__ import annotations

from iam_portal import validation
from iam_portal.errors import (
    DeleteConflictError,
    EntityAlreadyExistsError,
    LimitExceededError,
    NoSuchEntityError,
)
from policies.models import UserPolicy, UserPolicyAttachment

from .. import arns, audit, lookups, quotas
from ..authz import authorize, authorize_on, creation_context
from ..context import RequestContext
from ..models import AccessKey, Account, GroupMembership, LoginProfile, MFADevice, User, unique_id

MAX_USERS_PER_ACCOUNT = quotas.USERS_QUOTA
USER_NAME_MAX = 64


def _exists(account: Account, user_name: str, other_than: User | None = None) -> bool:
    users = User.objects.filter(account=account, is_root=False, user_name__iexact=user_name)
    return users.exclude(pk=other_than.pk).exists() if other_than else users.exists()


def create_user(
    ctx: RequestContext,
    *,
    user_name: str,
    path: str = "/",
    permissions_boundary: str | None = None,
    tags: list[dict] | None = None,
) -> User:
    """CreateUser. A new user can do nothing until a policy allows it."""
    validation.name(user_name, "userName", USER_NAME_MAX)
    validation.path(path)
    tag_values = validation.tags(tags or [])
    boundary = lookups.boundary_by_arn(ctx.account, permissions_boundary) if permissions_boundary else None
    arn = arns.user(ctx.account.account_id, path, user_name)
    extra = creation_context(tag_values, boundary)
    authorize(ctx, "iam:CreateUser", arn, extra)
    already = EntityAlreadyExistsError(f"User with name {user_name} already exists.")
    with audit.write(
        ctx,
        "iam:CreateUser",
        arn,
        on_integrity_error=already,
        user_name=user_name,
        path=path,
        permissions_boundary=permissions_boundary,
        tags=tag_values or None,
    ):
        # The account row serializes creations, so the quota and the name check cannot race.
        Account.objects.select_for_update().get(pk=ctx.account.pk)
        if boundary is not None:
            lookups.lock_boundary(boundary)  # so the only integrity error left is a taken name
        if _exists(ctx.account, user_name):
            raise already
        if User.objects.filter(account=ctx.account, is_root=False).count() >= MAX_USERS_PER_ACCOUNT:
            raise LimitExceededError(f"Cannot exceed quota for UsersPerAccount: {MAX_USERS_PER_ACCOUNT}")
        user = User(
            account=ctx.account,
            user_name=user_name,
            path=path,
            user_id=unique_id("AIDA"),
            tags=tag_values,
            permissions_boundary=boundary,
        )
        user.set_unusable_password()
        user.save()
    return user


def update_user(
    ctx: RequestContext, *, user_name: str, new_path: str | None = None, new_user_name: str | None = None
) -> User:
    """UpdateUser: rename and/or move. The caller needs permission on the old and the new ARN."""
    validation.name(user_name, "userName", 128)
    if new_user_name is not None:
        validation.name(new_user_name, "newUserName", USER_NAME_MAX)
    if new_path is not None:
        validation.path(new_path, "newPath")
    user = lookups.user_by_name(ctx.account, user_name)
    new_name = user.user_name if new_user_name is None else new_user_name
    new_arn = arns.user(ctx.account.account_id, new_path or user.path, new_name)
    authorize_on(ctx, "iam:UpdateUser", user)
    if new_arn != user.arn:
        authorize(ctx, "iam:UpdateUser", new_arn)
    already = EntityAlreadyExistsError(f"User with name {new_name} already exists.")
    with audit.write(
        ctx,
        "iam:UpdateUser",
        user.arn,
        on_integrity_error=already,
        user_name=user_name,
        new_path=new_path,
        new_user_name=new_user_name,
    ):
        # The user row first, then the account row: the order every write here takes them in.
        user = _lock(user)
        Account.objects.select_for_update().get(pk=ctx.account.pk)
        if new_user_name is not None and _exists(ctx.account, new_name, other_than=user):
            raise already
        user.user_name, user.path = new_name, new_path or user.path
        user.save(update_fields=["user_name", "path"])
    return user


def _lock(user: User) -> User:
    """The user's row, locked for the rest of the transaction (it may have gone since the lookup)."""
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise NoSuchEntityError(f"The user with name {user.user_name} cannot be found.")
    return locked


def _delete_conflict(user: User) -> str | None:
    """What still hangs off the user, in the order AWS's DeleteUser documentation lists it."""
    if LoginProfile.objects.filter(user=user).exists():
        return "Cannot delete entity, must delete login profile first."
    if AccessKey.objects.filter(user=user).exists():
        return "Cannot delete entity, must delete access keys first."
    if MFADevice.objects.filter(user=user).exists():
        return "Cannot delete entity, must delete MFA device first."
    if UserPolicy.objects.filter(user=user).exists():
        return "Cannot delete entity, must delete policies first."
    if UserPolicyAttachment.objects.filter(user=user).exists():
        return "Cannot delete entity, must detach all policies first."
    if GroupMembership.objects.filter(user=user).exists():
        return "Cannot delete entity, must remove users from group first."
    return None


def delete_user(ctx: RequestContext, *, user_name: str) -> None:
    """DeleteUser: only once nothing hangs off the user (DeleteConflict otherwise)."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:DeleteUser", user)
    with audit.write(ctx, "iam:DeleteUser", user.arn, user_name=user_name):
        _lock(user)  # a racing AddUserToGroup waits for us
        conflict = _delete_conflict(user)
        if conflict:
            raise DeleteConflictError(conflict)
        user.delete()


def tag_user(ctx: RequestContext, *, user_name: str, tags: list[dict]) -> None:
    """TagUser: a key that exists (in any case) gets the new value; at most 50 tags."""
    validation.name(user_name, "userName", 128)
    tag_values = validation.tags(tags)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:TagUser", user, validation.tag_context(tag_values))
    with audit.write(ctx, "iam:TagUser", user.arn, user_name=user_name, tags=tag_values):
        locked = _lock(user)
        locked.tags = validation.merge_tags(locked.tags, tag_values)
        locked.save(update_fields=["tags"])


def untag_user(ctx: RequestContext, *, user_name: str, tag_keys: list[str]) -> None:
    """UntagUser: keys that are not there are ignored, as in AWS."""
    validation.name(user_name, "userName", 128)
    keys = validation.tag_keys(tag_keys)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:UntagUser", user, {"aws:TagKeys": keys})
    with audit.write(ctx, "iam:UntagUser", user.arn, user_name=user_name, tag_keys=keys):
        locked = _lock(user)
        locked.tags = validation.remove_tags(locked.tags, keys)
        locked.save(update_fields=["tags"])
