"""IAM group writes: CreateGroup, UpdateGroup, DeleteGroup, AddUserToGroup, RemoveUserFromGroup;
and what the console does in one go: create a group with members and policies, add or remove several
users, attach several policies, delete a group with what hangs off it (each all or nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from iam_portal import validation
from iam_portal.errors import (
    DeleteConflictError,
    EntityAlreadyExistsError,
    LimitExceededError,
    NoSuchEntityError,
)
from iam_portal.prepared import PreparedInsert, PreparedQuery, PreparedStatement, lock_row
from policies.models import GroupPolicy, GroupPolicyAttachment

from .. import arns, audit, lookups, quotas
from ..authz import authorize, bump_principal_generation
from ..context import RequestContext
from ..models import Account, Group, GroupMembership, User, unique_id
from .entity_policies import Target, policies_of
from .policy_attachments import GROUP
from .steps import Step, run_all_or_nothing

MAX_GROUPS_PER_ACCOUNT = quotas.GROUPS_QUOTA
MAX_GROUPS_PER_USER = quotas.GROUPS_PER_USER_QUOTA
GROUP_NAME_MAX = 128
USER_NAME_MAX = 128  # existingUserNameType: membership calls name users that already exist


_named = PreparedStatement(
    lambda account_id, name: Group.objects.filter(account_id=account_id, group_name__lower=name).exists(),
    account_id=int,
    name=str,
)
_count = PreparedStatement(
    lambda account_id: Group.objects.filter(account_id=account_id).count(), account_id=int
)


def _exists(account: Account, group_name: str, other_than: Group | None = None) -> bool:
    if other_than is None:
        return _named.scalar(account_id=account.pk, name=group_name.lower()) is not None
    groups = Group.objects.filter(account=account, group_name__lower=group_name.lower())
    return groups.exclude(pk=other_than.pk).exists()


def create_group(ctx: RequestContext, *, group_name: str, path: str = "/") -> Group:
    """CreateGroup. A new group has no members and no policies."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    validation.path(path)
    arn = arns.group(ctx.account.account_id, path, group_name)
    authorize(ctx, "iam:CreateGroup", arn)
    already = EntityAlreadyExistsError(f"Group with name {group_name} already exists.")
    with audit.write(
        ctx, "iam:CreateGroup", arn, on_integrity_error=already, group_name=group_name, path=path
    ):
        # The account row serializes creations, so the quota and the name check cannot race.
        lock_row(Account, ctx.account.pk)
        if _exists(ctx.account, group_name):
            raise already
        if _count.scalar(account_id=ctx.account.pk) >= MAX_GROUPS_PER_ACCOUNT:
            raise LimitExceededError(f"Cannot exceed quota for GroupsPerAccount: {MAX_GROUPS_PER_ACCOUNT}")
        group = Group.objects.create(
            account=ctx.account, group_name=group_name, path=path, group_id=unique_id("AGPA")
        )
    return group


def update_group(
    ctx: RequestContext, *, group_name: str, new_path: str | None = None, new_group_name: str | None = None
) -> Group:
    """UpdateGroup: rename and/or move. The caller needs permission on the old and the new ARN."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    if new_group_name is not None:
        validation.name(new_group_name, "newGroupName", GROUP_NAME_MAX)
    if new_path is not None:
        validation.path(new_path, "newPath")
    group = lookups.group_by_name(ctx.account, group_name)
    new_name = group.group_name if new_group_name is None else new_group_name
    new_arn = arns.group(ctx.account.account_id, new_path or group.path, new_name)
    authorize(ctx, "iam:UpdateGroup", group.arn)
    if new_arn != group.arn:
        authorize(ctx, "iam:UpdateGroup", new_arn)
    already = EntityAlreadyExistsError(f"Group with name {new_name} already exists.")
    with audit.write(
        ctx,
        "iam:UpdateGroup",
        group.arn,
        on_integrity_error=already,
        group_name=group_name,
        new_path=new_path,
        new_group_name=new_group_name,
    ):
        # The group row first, then the account row: the order every write here takes them in.
        _lock_group(group, group_name)
        Account.objects.select_for_update().get(pk=ctx.account.pk)
        if new_group_name is not None and _exists(ctx.account, new_name, other_than=group):
            raise already
        group.group_name, group.path = new_name, new_path or group.path
        group.save(update_fields=["group_name", "path"])
        # Cached policy sets name the group's policies after the group; keep them current.
        bump_principal_generation(group)
    return group


def _lock_group(group: Group, group_name: str) -> None:
    """Lock the group's row: it serializes the group's policy and membership changes and its deletion."""
    if not lock_row(Group, group.pk):
        raise NoSuchEntityError(f"The group with name {group_name} cannot be found.")


def _lock_user(user: User, user_name: str) -> None:
    """Lock the user row: it serializes this user's membership changes (and DeleteUser)."""
    if not lock_row(User, user.pk):
        raise NoSuchEntityError(f"The user with name {user_name} cannot be found.")


_groups_of_user = PreparedQuery(  # at most GroupsPerUser rows
    lambda user_id: GroupMembership.objects.filter(user_id=user_id).values_list("group_id"), user_id=int
)
_join_group = PreparedInsert(GroupMembership)
_leave_group = PreparedStatement(
    lambda group_id, user_id: GroupMembership.objects.filter(group_id=group_id, user_id=user_id).delete(),
    group_id=int,
    user_id=int,
)


def _delete_conflict(group: Group) -> str | None:
    """What still hangs off the group: members first, then inline, then attached policies."""
    if GroupMembership.objects.filter(group=group).exists():
        return "Cannot delete entity, must remove users from group first."
    if GroupPolicy.objects.filter(group=group).exists():
        return "Cannot delete entity, must delete policies first."
    if GroupPolicyAttachment.objects.filter(group=group).exists():
        return "Cannot delete entity, must detach all policies first."
    return None


def delete_group(ctx: RequestContext, *, group_name: str) -> None:
    """DeleteGroup: only once it has no members and no policies (DeleteConflict otherwise)."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    authorize(ctx, "iam:DeleteGroup", group.arn)
    with audit.write(ctx, "iam:DeleteGroup", group.arn, group_name=group_name):
        # A racing AddUserToGroup either commits first (we see its member) or finds the group gone.
        _lock_group(group, group_name)
        conflict = _delete_conflict(group)
        if conflict:
            raise DeleteConflictError(conflict)
        group.delete()


def add_user_to_group(ctx: RequestContext, *, group_name: str, user_name: str) -> None:
    """AddUserToGroup. Adding a member again succeeds and changes nothing, as in AWS."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    validation.name(user_name, "userName", USER_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize(ctx, "iam:AddUserToGroup", group.arn)
    # Integrity errors: the group (or user) was deleted while we were adding to it.
    gone = NoSuchEntityError(f"The group with name {group_name} cannot be found.")
    with audit.write(
        ctx,
        "iam:AddUserToGroup",
        group.arn,
        on_integrity_error=gone,
        group_name=group_name,
        user_name=user_name,
    ):
        # The group's row first: its policy changes take it too, so they and this change of its
        # members happen one after the other (authz.bump_principal_generation misses no member).
        _lock_group(group, group_name)
        _lock_user(user, user_name)  # racing adds for one user cannot together pass 10 groups
        groups = {group_id for (group_id,) in _groups_of_user.all(user_id=user.pk)}
        if group.pk in groups:
            return
        if len(groups) >= MAX_GROUPS_PER_USER:
            raise LimitExceededError(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
        _join_group.create(group=group, user=user)
        bump_principal_generation(user)  # the group's policies now feed the user's permissions


def remove_user_from_group(ctx: RequestContext, *, group_name: str, user_name: str) -> None:
    """RemoveUserFromGroup. A user who is not a member is NoSuchEntity."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    validation.name(user_name, "userName", USER_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize(ctx, "iam:RemoveUserFromGroup", group.arn)
    with audit.write(ctx, "iam:RemoveUserFromGroup", group.arn, group_name=group_name, user_name=user_name):
        _lock_group(group, group_name)
        _lock_user(user, user_name)
        if not _leave_group.execute(group_id=group.pk, user_id=user.pk):
            raise NoSuchEntityError(f"The user {user_name} is not a member of group {group_name}.")
        bump_principal_generation(user)  # the group's policies no longer feed the user's permissions


# What the console does in one go (all or nothing, each AWS action authorized and audited: steps.py).


def _user_steps(
    ctx: RequestContext, action: str, group_arn: str, group_name: str, user_names: Sequence[str]
) -> list[Step]:
    """AddUserToGroup / RemoveUserFromGroup steps, each user looked up (NoSuchEntity before anything
    happens) and named once."""
    run = add_user_to_group if action == "iam:AddUserToGroup" else remove_user_from_group
    out, seen = [], set()
    for name in user_names:
        validation.name(name, "userName", USER_NAME_MAX)
        user = lookups.user_by_name(ctx.account, name)
        if user.pk in seen:
            continue
        seen.add(user.pk)
        out.append(
            Step(
                action,
                group_arn,
                {},  # authorized on the group: the user is no part of the request's context
                lambda user_name=user.user_name: run(ctx, group_name=group_name, user_name=user_name),
                {"group_name": group_name, "user_name": user.user_name},
            )
        )
    return out


def create_group_with_members(
    ctx: RequestContext,
    *,
    group_name: str,
    path: str = "/",
    user_names: Sequence[str] = (),
    policy_arns: Sequence[str] = (),
) -> Group:
    """The console's Create group: CreateGroup, then AddUserToGroup for each user and
    AttachGroupPolicy for each policy; all or nothing."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    validation.path(path)
    arn = arns.group(ctx.account.account_id, path, group_name)
    steps = [
        Step(
            "iam:CreateGroup",
            arn,
            {},
            lambda: create_group(ctx, group_name=group_name, path=path),
            {"group_name": group_name, "path": path},
        ),
        *_user_steps(ctx, "iam:AddUserToGroup", arn, group_name, user_names),
        *Target(GROUP, arn, group_name).attach_steps(ctx, policy_arns),
    ]
    return run_all_or_nothing(ctx, steps)[0]  # type: ignore[return-value]


def add_users_to_group(ctx: RequestContext, *, group_name: str, user_names: Sequence[str]) -> None:
    """The console's Add users (Users tab): AddUserToGroup for each user; all or nothing."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    run_all_or_nothing(ctx, _user_steps(ctx, "iam:AddUserToGroup", group.arn, group.group_name, user_names))


def remove_users_from_group(ctx: RequestContext, *, group_name: str, user_names: Sequence[str]) -> None:
    """The console's Remove users (Users tab): RemoveUserFromGroup for each user; all or nothing."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    run_all_or_nothing(
        ctx, _user_steps(ctx, "iam:RemoveUserFromGroup", group.arn, group.group_name, user_names)
    )


def attach_group_policies(ctx: RequestContext, *, group_name: str, policy_arns: Sequence[str]) -> None:
    """The console's Attach policies (Permissions tab): AttachGroupPolicy for each; all or nothing."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    run_all_or_nothing(ctx, Target(GROUP, group.arn, group.group_name).attach_steps(ctx, policy_arns))


@dataclass(frozen=True)
class DeletedGroup:
    """What the console's Delete removed before DeleteGroup."""

    group_name: str
    user_names: list[str]
    policy_arns: list[str]  # detached (the policies themselves stay)
    policy_names: list[str]  # inline policies deleted


def delete_group_and_dependents(ctx: RequestContext, *, group_name: str) -> DeletedGroup:
    """The console's Delete (id_groups_manage_delete): RemoveUserFromGroup for every member,
    DetachGroupPolicy for every attached policy, DeleteGroupPolicy for every inline policy, then
    DeleteGroup; all or nothing.

    What is removed is what the caller confirmed: a member or policy added since makes DeleteGroup
    fail with DeleteConflict (and nothing changes).
    """
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    name, arn = group.group_name, group.arn
    target = Target(GROUP, arn, name)
    members = list(
        User.objects.filter(memberships__group=group)
        .order_by("user_name")
        .values_list("user_name", flat=True)
    )
    attached, inline = policies_of(GROUP, group)
    steps = _user_steps(ctx, "iam:RemoveUserFromGroup", arn, name, members)
    steps += target.detach_steps(ctx, attached)
    steps += target.inline_delete_steps(ctx, inline)
    steps.append(
        Step("iam:DeleteGroup", arn, {}, lambda: delete_group(ctx, group_name=name), {"group_name": name})
    )
    run_all_or_nothing(ctx, steps)
    return DeletedGroup(name, members, attached, inline)
