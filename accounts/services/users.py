"""IAM user writes: CreateUser, UpdateUser, DeleteUser, TagUser, UntagUser; and what the console does
in one go: create a user with its console access, groups and policies (create_user_with_access),
add permissions to one (add_user_permissions), and delete users with everything they own
(delete_user_and_dependents), each all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db.models import Exists, OuterRef
from django.views.decorators.debug import sensitive_variables

from iam_portal import validation
from iam_portal.errors import (
    DeleteConflictError,
    EntityAlreadyExistsError,
    LimitExceededError,
    NoSuchEntityError,
)
from iam_portal.prepared import PreparedDelete, PreparedInsert, PreparedQuery, PreparedStatement, lock_row
from policies.models import UserPolicy, UserPolicyAttachment

from .. import arns, audit, lookups, quotas
from ..authz import authorize, authorize_on, creation_context, resource_tag_context
from ..context import RequestContext
from ..models import (
    AccessKey,
    Account,
    GroupMembership,
    LoginProfile,
    MFADevice,
    PasswordPolicy,
    User,
    unique_id,
)
from ..selectors import groups as group_reads
from ..selectors import policy_attachments as policy_reads
from ..selectors.users import get_user
from . import access_keys, groups, mfa, passwords, policy_attachments
from .entity_policies import Target, policies_of
from .policy_attachments import USER
from .steps import Step, run_all_or_nothing

MAX_USERS_PER_ACCOUNT = quotas.USERS_QUOTA
USER_NAME_MAX = 64


_insert_user = PreparedInsert(User)  # User.save() adds nothing to an insert without a new password
_named = PreparedStatement(
    lambda account_id, name: User.objects.filter(
        account_id=account_id, is_root=False, user_name__lower=name
    ).exists(),
    account_id=int,
    name=str,
)
_count = PreparedStatement(
    lambda account_id: User.objects.filter(account_id=account_id, is_root=False).count(), account_id=int
)


def _exists(account: Account, user_name: str, other_than: User | None = None) -> bool:
    if other_than is None:
        return _named.scalar(account_id=account.pk, name=user_name.lower()) is not None
    users = User.objects.filter(account=account, is_root=False, user_name__lower=user_name.lower())
    return users.exclude(pk=other_than.pk).exists()


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
        lock_row(Account, ctx.account.pk)
        if boundary is not None:
            lookups.lock_boundary(boundary)  # so the only integrity error left is a taken name
        if _exists(ctx.account, user_name):
            raise already
        if _count.scalar(account_id=ctx.account.pk) >= MAX_USERS_PER_ACCOUNT:
            raise LimitExceededError(f"Cannot exceed quota for UsersPerAccount: {MAX_USERS_PER_ACCOUNT}")
        user = _insert_user.create(
            account=ctx.account,
            user_name=user_name,
            path=path,
            user_id=unique_id("AIDA"),
            tags=tag_values,
            permissions_boundary=boundary,
            password=make_password(None),  # unusable: a console password is a login profile's
        )
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


# What may still hang off a user, in the order AWS's DeleteUser documentation lists it.
_DEPENDENTS = (
    (LoginProfile, "Cannot delete entity, must delete login profile first."),
    (AccessKey, "Cannot delete entity, must delete access keys first."),
    (MFADevice, "Cannot delete entity, must delete MFA device first."),
    (UserPolicy, "Cannot delete entity, must delete policies first."),
    (UserPolicyAttachment, "Cannot delete entity, must detach all policies first."),
    (GroupMembership, "Cannot delete entity, must remove users from group first."),
)
_dependents = PreparedQuery(  # one row of flags, one per kind of dependent
    lambda user_id: User.objects.filter(pk=user_id).values_list(
        *(Exists(model.objects.filter(user=OuterRef("pk"))) for model, _message in _DEPENDENTS)
    ),
    user_id=int,
)


_delete_row = PreparedDelete(User)


def _delete_conflict(user: User) -> str | None:
    """What still hangs off the user (the first kind AWS would name), in one query."""
    flags = _dependents.first(user_id=user.pk)  # the caller holds the row's lock: it is there
    found = (message for present, (_model, message) in zip(flags, _DEPENDENTS, strict=True) if present)
    return next(found, None)


def delete_user(ctx: RequestContext, *, user_name: str) -> None:
    """DeleteUser: only once nothing hangs off the user (DeleteConflict otherwise)."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize_on(ctx, "iam:DeleteUser", user)
    with audit.write(ctx, "iam:DeleteUser", user.arn, user_name=user_name):
        if not lock_row(User, user.pk):  # a racing AddUserToGroup waits for us
            raise NoSuchEntityError(f"The user with name {user_name} cannot be found.")
        conflict = _delete_conflict(user)
        if conflict:
            raise DeleteConflictError(conflict)
        # What is left: password history, STS sessions, recovery codes.
        _delete_row.delete(user.pk, checked_absent=[model for model, _message in _DEPENDENTS])


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


# What the console does in one go -----------------------------------------------------------------
#
# Several AWS actions through their own services, all or nothing (accounts/services/steps.py):
# every action authorized before anything is written, each audited as itself.

CHANGE_PASSWORD_POLICY = "arn:aws:iam::aws:policy/IAMUserChangePassword"
FORMULA_STARTS = frozenset("=+-@")  # what makes a spreadsheet read a .csv cell as a formula


def _permission_steps(
    ctx: RequestContext,
    *,
    user_name: str,
    user_arn: str,
    user_tags: dict[str, str],
    group_names: Sequence[str],
    policy_arns: Sequence[str],
    inline_policies: Sequence[tuple[str, str]],
) -> list[Step]:
    """AddUserToGroup, AttachUserPolicy and PutUserPolicy steps, each target looked up (NoSuchEntity
    before anything happens) and named once."""
    tags = resource_tag_context(user_tags)
    steps = []
    seen_groups: set[str] = set()
    for name in group_names:
        validation.name(name, "groupName", groups.GROUP_NAME_MAX)
        group = lookups.group_by_name(ctx.account, name)
        if group.group_name.lower() in seen_groups:
            continue
        seen_groups.add(group.group_name.lower())
        steps.append(
            Step(
                "iam:AddUserToGroup",
                group.arn,
                {},
                lambda group_name=group.group_name: groups.add_user_to_group(
                    ctx, group_name=group_name, user_name=user_name
                ),
                {"group_name": group.group_name, "user_name": user_name},
            )
        )
    steps += Target(USER, user_arn, user_name, tags).attach_steps(ctx, policy_arns)
    for policy_name, document in inline_policies:
        validation.name(policy_name, "policyName", policy_attachments.POLICY_NAME_MAX)
        steps.append(
            Step(
                "iam:PutUserPolicy",
                user_arn,
                tags,
                lambda policy_name=policy_name, document=document: policy_attachments.put_user_policy(
                    ctx, user_name=user_name, policy_name=policy_name, policy_document=document
                ),
                {"user_name": user_name, "policy_name": policy_name, "policy_document": document},
            )
        )
    return steps


@dataclass(frozen=True)
class CopiedPermissions:
    """What "Copy permissions" takes from a user: groups, attached and inline policies, boundary."""

    group_names: list[str]
    policy_arns: list[str]
    inline_policies: list[tuple[str, str]]  # (name, document)
    permissions_boundary: str | None


def _copied_permissions(ctx: RequestContext, *, user_name: str) -> CopiedPermissions:
    """Read a user's permissions to copy them, each read authorized as its AWS action (GetUser,
    ListGroupsForUser, ListAttachedUserPolicies, ListUserPolicies, GetUserPolicy)."""
    source = get_user(ctx, user_name=user_name)
    name = source.user_name
    group_names = [
        g.group_name for g in group_reads.list_groups_for_user(ctx, user_name=name, max_items=1000).items
    ]
    policy_arns = [
        p.arn for p in policy_reads.list_attached_user_policies(ctx, user_name=name, max_items=1000).items
    ]
    inline = [
        (
            policy_name,
            policy_reads.get_user_policy(ctx, user_name=name, policy_name=policy_name).policy_document,
        )
        for policy_name in policy_reads.list_user_policies(ctx, user_name=name, max_items=1000).items
    ]
    boundary = source.permissions_boundary.arn if source.permissions_boundary_id else None
    return CopiedPermissions(group_names, policy_arns, inline, boundary)


@dataclass(frozen=True)
class CreatedUser:
    """create_user_with_access's answer. The password (generated or given) is here to be shown once,
    on the page that answers the request; it is never stored in clear nor audited."""

    user: User
    password: str | None = field(default=None, repr=False)
    change_password_attached: bool = False  # IAMUserChangePassword was attached for the reset


@sensitive_variables()
def create_user_with_access(
    ctx: RequestContext,
    *,
    user_name: str,
    path: str = "/",
    console_access: bool = False,
    password: str | None = None,
    password_reset_required: bool = True,
    group_names: Sequence[str] = (),
    policy_arns: Sequence[str] = (),
    copy_from_user_name: str | None = None,
    permissions_boundary: str | None = None,
    tags: list[dict] | None = None,
) -> CreatedUser:
    """The console's Create user: CreateUser (with its tags and boundary), CreateLoginProfile,
    AttachUserPolicy IAMUserChangePassword (a reset is required and the account does not let users
    change their password), AddUserToGroup, AttachUserPolicy, PutUserPolicy: all or nothing.

    With console access and no password, one is generated. Copying from a user takes its groups,
    attached and inline policies and (unless one is given) its permissions boundary.
    """
    validation.name(user_name, "userName", USER_NAME_MAX)
    validation.path(path)
    tag_values = validation.tags(tags or [])
    if password is not None:
        passwords.validate_password(password, "password")
    copied = _copied_permissions(ctx, user_name=copy_from_user_name) if copy_from_user_name else None
    boundary_arn = permissions_boundary or (copied.permissions_boundary if copied else None)
    if boundary_arn is not None:
        policy_attachments.policy_arn(boundary_arn, "permissionsBoundary")
    boundary = lookups.boundary_by_arn(ctx.account, boundary_arn) if boundary_arn else None
    arn = arns.user(ctx.account.account_id, path, user_name)
    tags_of_user = resource_tag_context(tag_values)
    created: dict[str, User] = {}

    def create() -> None:
        created["user"] = create_user(
            ctx, user_name=user_name, path=path, permissions_boundary=boundary_arn, tags=tags or None
        )

    steps = [
        Step(
            "iam:CreateUser",
            arn,
            creation_context(tag_values, boundary),
            create,
            {"user_name": user_name, "path": path},
        )
    ]
    policy = PasswordPolicy.objects.filter(account=ctx.account).first()
    attach_change_password = (
        console_access
        and password_reset_required
        and not (policy is not None and policy.allow_users_to_change_password)
    )
    if console_access:
        if password is None:
            password = passwords.generate_password(ctx)
            while password[0] in FORMULA_STARTS:  # the .csv download must not start a formula
                password = passwords.generate_password(ctx)
        steps.append(
            Step(
                "iam:CreateLoginProfile",
                arn,
                tags_of_user,
                lambda: passwords.create_login_profile(
                    ctx,
                    user_name=user_name,
                    password=password,
                    password_reset_required=password_reset_required,
                ),
                {"user_name": user_name, "password_reset_required": password_reset_required},
            )
        )
    steps += _permission_steps(
        ctx,
        user_name=user_name,
        user_arn=arn,
        user_tags=tag_values,
        group_names=[*(copied.group_names if copied else []), *group_names],
        policy_arns=[
            *([CHANGE_PASSWORD_POLICY] if attach_change_password else []),
            *(copied.policy_arns if copied else []),
            *policy_arns,
        ],
        inline_policies=copied.inline_policies if copied else [],
    )
    run_all_or_nothing(ctx, steps)
    return CreatedUser(created["user"], password if console_access else None, attach_change_password)


def add_user_permissions(
    ctx: RequestContext,
    *,
    user_name: str,
    group_names: Sequence[str] = (),
    policy_arns: Sequence[str] = (),
    copy_from_user_name: str | None = None,
) -> None:
    """The console's Add permissions: AddUserToGroup and AttachUserPolicy for each one chosen, or
    those and PutUserPolicy to copy another user's groups and policies (not its boundary, as the
    AWS console); all or nothing."""
    validation.name(user_name, "userName", 128)
    user = lookups.user_by_name(ctx.account, user_name)
    copied = _copied_permissions(ctx, user_name=copy_from_user_name) if copy_from_user_name else None
    steps = _permission_steps(
        ctx,
        user_name=user.user_name,
        user_arn=user.arn,
        user_tags=user.tags,
        group_names=[*(copied.group_names if copied else []), *group_names],
        policy_arns=[*(copied.policy_arns if copied else []), *policy_arns],
        inline_policies=copied.inline_policies if copied else [],
    )
    run_all_or_nothing(ctx, steps)


def _deletion_steps(ctx: RequestContext, user: User) -> list[Step]:
    """Everything the console removes before DeleteUser, in AWS's order, then DeleteUser."""
    name = user.user_name
    tags = resource_tag_context(user.tags)
    steps = []
    if LoginProfile.objects.filter(user=user).exists():
        steps.append(
            Step(
                "iam:DeleteLoginProfile",
                user.arn,
                tags,
                lambda: passwords.delete_login_profile(ctx, user_name=name),
                {"user_name": name},
            )
        )
    for key_id in (
        AccessKey.objects.filter(user=user).order_by("created", "pk").values_list("access_key_id", flat=True)
    ):
        steps.append(
            Step(
                "iam:DeleteAccessKey",
                user.arn,
                tags,
                lambda key_id=key_id: access_keys.delete_access_key(
                    ctx, access_key_id=key_id, user_name=name
                ),
                {"user_name": name, "access_key_id": key_id},
            )
        )
    for serial, device_tags in (
        MFADevice.objects.filter(user=user).order_by("serial_number").values_list("serial_number", "tags")
    ):
        steps.append(
            Step(
                "iam:DeactivateMFADevice",
                user.arn,
                tags,
                lambda serial=serial: mfa.deactivate_mfa_device(ctx, serial_number=serial, user_name=name),
                {"user_name": name, "serial_number": serial},
            )
        )
        steps.append(
            Step(
                "iam:DeleteVirtualMFADevice",
                serial,
                resource_tag_context(device_tags),
                lambda serial=serial: mfa.delete_virtual_mfa_device(ctx, serial_number=serial),
                {"serial_number": serial},
            )
        )
    attached, inline = policies_of(USER, user)
    target = Target(USER, user.arn, name, tags)
    steps += target.inline_delete_steps(ctx, inline) + target.detach_steps(ctx, attached)
    for group in (
        GroupMembership.objects.select_related("group__account")
        .filter(user=user)
        .order_by("group__group_name")
    ):
        group_name = group.group.group_name
        steps.append(
            Step(
                "iam:RemoveUserFromGroup",
                group.group.arn,
                {},
                lambda group_name=group_name: groups.remove_user_from_group(
                    ctx, group_name=group_name, user_name=name
                ),
                {"group_name": group_name, "user_name": name},
            )
        )
    steps.append(
        Step("iam:DeleteUser", user.arn, tags, lambda: delete_user(ctx, user_name=name), {"user_name": name})
    )
    return steps


def delete_users_and_dependents(ctx: RequestContext, *, user_names: Sequence[str]) -> None:
    """The console's Delete for the selected users: for each, DeleteLoginProfile, DeleteAccessKey,
    DeactivateMFADevice and DeleteVirtualMFADevice, DeleteUserPolicy, DetachUserPolicy,
    RemoveUserFromGroup, then DeleteUser (its tags go with it); every action authorized first, and
    all of it or nothing."""
    steps: list[Step] = []
    seen: set[str] = set()
    for user_name in user_names:
        validation.name(user_name, "userName", 128)
        user = lookups.user_by_name(ctx.account, user_name)
        if user.user_name.lower() in seen:
            continue
        seen.add(user.user_name.lower())
        steps += _deletion_steps(ctx, user)
    run_all_or_nothing(ctx, steps)


def delete_user_and_dependents(ctx: RequestContext, *, user_name: str) -> None:
    """The console's Delete of one user: what it owns first, then the user (see above)."""
    delete_users_and_dependents(ctx, user_names=[user_name])
