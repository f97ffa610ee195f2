"""IAM role writes: CreateRole, UpdateRole, UpdateAssumeRolePolicy, DeleteRole, TagRole, UntagRole;
and what the console does in one go: create a role with its permissions policies, attach several
policies, delete a role with its policies (each all or nothing).
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
from policies.documents import check_document
from policies.models import ManagedPolicy, RolePolicy, RolePolicyAttachment

from .. import arns, audit, lookups, quotas
from ..authz import authorize, bump_generation, creation_context, resource_tag_context
from ..context import RequestContext
from ..models import Account, Role, unique_id
from .entity_policies import Target, policies_of
from .policy_attachments import ROLE
from .steps import Step, run_all_or_nothing

MAX_ROLES_PER_ACCOUNT = quotas.ROLES_QUOTA
ROLE_NAME_MAX = 64
MAX_TRUST_POLICY_SIZE = quotas.ASSUME_ROLE_POLICY_SIZE_QUOTA  # non-whitespace characters (ACLSizePerRole)
MIN_SESSION_DURATION, MAX_SESSION_DURATION = 3600, 43200
SESSION_DURATION_RANGE = (MIN_SESSION_DURATION, MAX_SESSION_DURATION)


def _trust_policy(document: object, member: str) -> str:
    """A role trust policy: the model's constraints, then the size quota, then the policy grammar."""
    check_document(
        document,
        member=member,
        kind="trust",
        max_size=MAX_TRUST_POLICY_SIZE,
        too_large=f"Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_SIZE}",
    )
    return document  # type: ignore[return-value]


def _exists(account: Account, role_name: str) -> bool:
    return Role.objects.filter(account=account, role_name__lower=role_name.lower()).exists()


def _lock(role: Role) -> Role:
    """The role's row, locked for the rest of the transaction (it may have gone since the lookup)."""
    locked = Role.objects.select_for_update().filter(pk=role.pk).first()
    if locked is None:
        raise NoSuchEntityError(f"The role with name {role.role_name} cannot be found.")
    return locked


def _check_new_role(
    ctx: RequestContext,
    role_name: str,
    document: str,
    path: str,
    description: str | None,
    max_session_duration: int | None,
    tags: list[dict] | None,
    permissions_boundary: str | None,
) -> tuple[int, dict[str, str], ManagedPolicy | None]:
    """CreateRole's members, checked in the model's order; the duration, tag values and boundary."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    validation.path(path)
    _trust_policy(document, "assumeRolePolicyDocument")
    if description is not None:
        validation.description(description, pattern=validation.ROLE_DESCRIPTION)
    duration = MIN_SESSION_DURATION if max_session_duration is None else max_session_duration
    validation.integer(duration, "maxSessionDuration", SESSION_DURATION_RANGE)
    tag_values = validation.tags(tags or [])
    boundary = lookups.boundary_by_arn(ctx.account, permissions_boundary) if permissions_boundary else None
    return duration, tag_values, boundary


def create_role(
    ctx: RequestContext,
    *,
    role_name: str,
    assume_role_policy_document: str,
    path: str = "/",
    description: str | None = None,
    max_session_duration: int | None = None,
    permissions_boundary: str | None = None,
    tags: list[dict] | None = None,
) -> Role:
    """CreateRole. The trust policy says who may assume the role; a new role can do nothing."""
    duration, tag_values, boundary = _check_new_role(
        ctx, role_name, assume_role_policy_document, path, description, max_session_duration, tags,
        permissions_boundary,
    )  # fmt: skip
    arn = arns.role(ctx.account.account_id, path, role_name)
    extra = creation_context(tag_values, boundary)
    authorize(ctx, "iam:CreateRole", arn, extra)
    already = EntityAlreadyExistsError(f"Role with name {role_name} already exists.")
    with audit.write(
        ctx,
        "iam:CreateRole",
        arn,
        on_integrity_error=already,
        role_name=role_name,
        path=path,
        assume_role_policy_document=assume_role_policy_document,
        description=description,
        max_session_duration=duration,
        permissions_boundary=permissions_boundary,
        tags=tag_values or None,
    ):
        # The account row serializes creations, so the quota and the name check cannot race.
        Account.objects.select_for_update().get(pk=ctx.account.pk)
        if boundary is not None:
            lookups.lock_boundary(boundary)  # so the only integrity error left is a taken name
        if _exists(ctx.account, role_name):
            raise already
        if Role.objects.filter(account=ctx.account).count() >= MAX_ROLES_PER_ACCOUNT:
            raise LimitExceededError(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES_PER_ACCOUNT}")
        role = Role.objects.create(
            account=ctx.account,
            role_name=role_name,
            path=path,
            role_id=unique_id("AROA"),
            assume_role_policy_document=assume_role_policy_document,
            description=description or "",
            max_session_duration=duration,
            tags=tag_values,
            permissions_boundary=boundary,
        )
    return role


def update_role(
    ctx: RequestContext,
    *,
    role_name: str,
    description: str | None = None,
    max_session_duration: int | None = None,
) -> Role:
    """UpdateRole: the description and/or the maximum session duration; omitted members stay."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    if description is not None:
        validation.description(description, pattern=validation.ROLE_DESCRIPTION)
    if max_session_duration is not None:
        validation.integer(max_session_duration, "maxSessionDuration", SESSION_DURATION_RANGE)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:UpdateRole", role.arn, resource_tag_context(role.tags))
    with audit.write(
        ctx,
        "iam:UpdateRole",
        role.arn,
        role_name=role_name,
        description=description,
        max_session_duration=max_session_duration,
    ):
        _lock(role)
        fields = []
        if description is not None:
            role.description = description
            fields.append("description")
        if max_session_duration is not None:
            role.max_session_duration = max_session_duration
            fields.append("max_session_duration")
        if fields:
            role.save(update_fields=fields)
    return role


def update_assume_role_policy(ctx: RequestContext, *, role_name: str, policy_document: str) -> Role:
    """UpdateAssumeRolePolicy: replace the trust policy, which decides who may assume the role."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    _trust_policy(policy_document, "policyDocument")
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:UpdateAssumeRolePolicy", role.arn, resource_tag_context(role.tags))
    with audit.write(
        ctx, "iam:UpdateAssumeRolePolicy", role.arn, role_name=role_name, policy_document=policy_document
    ):
        _lock(role)
        role.assume_role_policy_document = policy_document
        role.save(update_fields=["assume_role_policy_document"])
        bump_generation(ctx.account)  # a cached decision on who may assume the role is now stale
    return role


def _delete_conflict(role: Role) -> str | None:
    """What still hangs off the role, in the order AWS reports it (instance profiles come later)."""
    if RolePolicy.objects.filter(role=role).exists():
        return "Cannot delete entity, must delete policies first."
    if RolePolicyAttachment.objects.filter(role=role).exists():
        return "Cannot delete entity, must detach all policies first."
    return None


def delete_role(ctx: RequestContext, *, role_name: str) -> None:
    """DeleteRole: only once it has no inline or attached policies (DeleteConflict otherwise)."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:DeleteRole", role.arn, resource_tag_context(role.tags))
    with audit.write(ctx, "iam:DeleteRole", role.arn, role_name=role_name):
        _lock(role)  # a racing PutRolePolicy / AttachRolePolicy waits for us
        conflict = _delete_conflict(role)
        if conflict:
            raise DeleteConflictError(conflict)
        role.delete()
        # Sessions of the role and cached trust decisions must not outlive it in any process.
        bump_generation(ctx.account)


def tag_role(ctx: RequestContext, *, role_name: str, tags: list[dict]) -> Role:
    """TagRole: a key that exists (in any case) gets the new value; at most 50 tags."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    tag_values = validation.tags(tags)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(
        ctx,
        "iam:TagRole",
        role.arn,
        {**resource_tag_context(role.tags), **validation.tag_context(tag_values)},
    )
    with audit.write(ctx, "iam:TagRole", role.arn, role_name=role_name, tags=tag_values):
        role.tags = validation.merge_tags(_lock(role).tags, tag_values)
        role.save(update_fields=["tags"])
    return role


def untag_role(ctx: RequestContext, *, role_name: str, tag_keys: list[str]) -> Role:
    """UntagRole: keys that are not there are ignored, as in AWS."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    keys = validation.tag_keys(tag_keys)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:UntagRole", role.arn, {**resource_tag_context(role.tags), "aws:TagKeys": keys})
    with audit.write(ctx, "iam:UntagRole", role.arn, role_name=role_name, tag_keys=keys):
        role.tags = validation.remove_tags(_lock(role).tags, keys)
        role.save(update_fields=["tags"])
    return role


# What the console does in one go (all or nothing, each AWS action authorized and audited: steps.py).


def create_role_with_policies(
    ctx: RequestContext,
    *,
    role_name: str,
    assume_role_policy_document: str,
    path: str = "/",
    description: str | None = None,
    max_session_duration: int | None = None,
    permissions_boundary: str | None = None,
    tags: list[dict] | None = None,
    policy_arns: Sequence[str] = (),
) -> Role:
    """The console's Create role: CreateRole (with its trust policy, boundary and tags), then
    AttachRolePolicy for each permissions policy; all or nothing."""
    # Checked before anything is authorized, as CreateRole does: a bad request is no audited attempt.
    _, tag_values, boundary = _check_new_role(
        ctx, role_name, assume_role_policy_document, path, description, max_session_duration, tags,
        permissions_boundary,
    )  # fmt: skip
    arn = arns.role(ctx.account.account_id, path, role_name)
    steps = [
        Step(
            "iam:CreateRole",
            arn,
            creation_context(tag_values, boundary),
            lambda: create_role(
                ctx,
                role_name=role_name,
                assume_role_policy_document=assume_role_policy_document,
                path=path,
                description=description,
                max_session_duration=max_session_duration,
                permissions_boundary=permissions_boundary,
                tags=tags,
            ),
            {"role_name": role_name, "path": path},
        ),
        *Target(ROLE, arn, role_name, resource_tag_context(tag_values)).attach_steps(ctx, policy_arns),
    ]
    return run_all_or_nothing(ctx, steps)[0]  # type: ignore[return-value]


def attach_role_policies(ctx: RequestContext, *, role_name: str, policy_arns: Sequence[str]) -> None:
    """The console's Add permissions → Attach policies: AttachRolePolicy for each; all or nothing."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    target = Target(ROLE, role.arn, role.role_name, resource_tag_context(role.tags))
    run_all_or_nothing(ctx, target.attach_steps(ctx, policy_arns))


@dataclass(frozen=True)
class DeletedRole:
    """What the console's Delete removed before DeleteRole."""

    role_name: str
    policy_names: list[str]  # inline policies deleted
    policy_arns: list[str]  # detached (the policies themselves stay)


def delete_role_and_dependents(ctx: RequestContext, *, role_name: str) -> DeletedRole:
    """The console's Delete: DeleteRolePolicy for every inline policy, DetachRolePolicy for every
    attached policy, then DeleteRole; all or nothing.

    What is removed is what the caller confirmed: a policy added since makes DeleteRole fail with
    DeleteConflict (and nothing changes).
    """
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    name, arn, tags = role.role_name, role.arn, resource_tag_context(role.tags)
    target = Target(ROLE, arn, name, tags)
    attached, inline = policies_of(ROLE, role)
    steps = target.inline_delete_steps(ctx, inline)
    steps += target.detach_steps(ctx, attached)
    steps.append(
        Step("iam:DeleteRole", arn, tags, lambda: delete_role(ctx, role_name=name), {"role_name": name})
    )
    run_all_or_nothing(ctx, steps)
    return DeletedRole(name, inline, attached)
