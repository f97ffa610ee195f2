"""Policies of identities: AttachUserPolicy, DetachUserPolicy, AttachGroupPolicy, DetachGroupPolicy,
AttachRolePolicy, DetachRolePolicy, PutUserPolicy, DeleteUserPolicy, PutGroupPolicy, DeleteGroupPolicy,
PutRolePolicy, DeleteRolePolicy, PutUserPermissionsBoundary, DeleteUserPermissionsBoundary,
PutRolePermissionsBoundary, DeleteRolePermissionsBoundary.

Every change here changes what a principal may do, so each bumps the account's authorization
generation in its own transaction. Each write locks the identity's row first: racing attaches cannot
pass the quota together, racing puts cannot pass the size quota, and DeleteUser / DeleteGroup /
DeleteRole (which lock the same row) either see the new policy or make us fail with NoSuchEntity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import models

from iam_portal import validation
from iam_portal.errors import InvalidInputError, LimitExceededError, NoSuchEntityError, validation_error
from iam_portal.prepared import PreparedInsert, PreparedQuery, PreparedStatement, lock_row
from policies.documents import check_document, size
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)

from .. import audit, lookups, quotas
from ..authz import authorize, bump_principal_generation, resource_tag_context
from ..context import RequestContext
from ..models import Account, Group, Role, User

POLICY_NAME_MAX = 128
ARN_MIN, ARN_MAX = 20, 2048  # the model's arnType


@dataclass(frozen=True)
class _Kind:
    """What differs between users, groups and roles for these actions."""

    noun: str  # "user": in messages, member names and the name attribute (user_name)
    model: type[models.Model]
    lookup: Callable[[Account, str], models.Model]
    name_max: int  # userNameType / groupNameType / roleNameType
    existing_name_max: int  # existingUserNameType for the inline-policy calls on users
    attachment: type[models.Model]
    inline: type[models.Model]
    max_attached: int
    max_inline_size: int

    @property
    def title(self) -> str:
        return self.noun.capitalize()

    @property
    def member(self) -> str:
        return f"{self.noun}Name"

    def name_of(self, entity: models.Model) -> str:
        return getattr(entity, f"{self.noun}_name")

    def mine(self, entity: models.Model) -> dict[str, models.Model]:
        """The filter on attachment and inline rows for this entity."""
        return {self.noun: entity}

    def missing(self, name: str) -> NoSuchEntityError:
        return NoSuchEntityError(f"The {self.noun} with name {name} cannot be found.")


USER = _Kind(
    "user",
    User,
    lookups.user_by_name,
    64,
    128,
    UserPolicyAttachment,
    UserPolicy,
    quotas.ATTACHED_POLICIES_PER_USER_QUOTA,
    quotas.USER_POLICY_SIZE_QUOTA,
)
GROUP = _Kind(
    "group",
    Group,
    lookups.group_by_name,
    128,
    128,
    GroupPolicyAttachment,
    GroupPolicy,
    quotas.ATTACHED_POLICIES_PER_GROUP_QUOTA,
    quotas.GROUP_POLICY_SIZE_QUOTA,
)
ROLE = _Kind(
    "role",
    Role,
    lookups.role_by_name,
    64,
    64,
    RolePolicyAttachment,
    RolePolicy,
    quotas.ATTACHED_POLICIES_PER_ROLE_QUOTA,
    quotas.ROLE_POLICY_SIZE_QUOTA,
)


def policy_arn(value: object, member: str) -> str:
    """An arnType member: 20 to 2048 characters, and an ARN at all (InvalidInput otherwise)."""
    if not isinstance(value, str) or not value:
        raise validation_error(value, member, "not be null")
    if len(value) < ARN_MIN:
        raise validation_error(value, member, f"have length greater than or equal to {ARN_MIN}")
    if len(value) > ARN_MAX:
        raise validation_error(value, member, f"have length less than or equal to {ARN_MAX}")
    if not value.startswith("arn:") or value.count(":") < 5:
        raise InvalidInputError(f"ARN {value} is not valid.")
    return value


def _tags(entity: models.Model) -> dict[str, object]:
    """iam:ResourceTag/* of a tagged user or role (groups cannot be tagged)."""
    return resource_tag_context(getattr(entity, "tags", None) or {})


def _lock(kind: _Kind, entity: models.Model) -> models.Model:
    """The identity's row, locked for the rest of the transaction (it may have gone since the lookup)."""
    locked = kind.model.objects.select_for_update().filter(pk=entity.pk).first()
    if locked is None:
        raise kind.missing(kind.name_of(entity))
    return locked


def _hold(kind: _Kind, entity: models.Model) -> None:
    """Lock the identity's row as _lock does, without reading it again."""
    if not lock_row(kind.model, entity.pk):
        raise kind.missing(kind.name_of(entity))


@dataclass(frozen=True)
class _Statements:
    """A kind's reads and writes on its attachment and inline-policy tables, compiled once per
    process (iam_portal/prepared.py): every attach, detach, put and delete runs them."""

    attached_policy_ids: PreparedQuery  # owner -> (policy_id,): at most the quota, one short read
    inline_policies: PreparedQuery  # owner -> (pk, name, document): a few kB, by the size quota
    detach: PreparedStatement  # owner, arn -> rows deleted
    delete_inline: PreparedStatement  # owner, name -> rows deleted
    insert_attachment: PreparedInsert
    insert_inline: PreparedInsert


@cache
def _statements(kind: _Kind) -> _Statements:
    owner = f"{kind.noun}_id"
    attachments, inline = kind.attachment.objects, kind.inline.objects
    return _Statements(
        attached_policy_ids=PreparedQuery(
            lambda o: attachments.filter(**{owner: o}).values_list("policy_id"), o=int
        ),
        inline_policies=PreparedQuery(
            lambda o: inline.filter(**{owner: o}).values_list("pk", "policy_name", "document"), o=int
        ),
        detach=PreparedStatement(
            lambda o, arn: attachments.filter(**{owner: o}, policy__arn=arn).delete(), o=int, arn=str
        ),
        delete_inline=PreparedStatement(
            lambda o, name: inline.filter(**{owner: o}, policy_name=name).delete(), o=int, name=str
        ),
        insert_attachment=PreparedInsert(kind.attachment),
        insert_inline=PreparedInsert(kind.inline),
    )


# Managed policies -----------------------------------------------------------------------------


def _attach(ctx: RequestContext, kind: _Kind, name: str, arn: str) -> None:
    validation.name(name, kind.member, kind.name_max)
    policy_arn(arn, "policyArn")
    entity = kind.lookup(ctx.account, name)
    policy = lookups.managed_policy_by_arn(ctx.account, arn)
    action = f"iam:Attach{kind.title}Policy"
    authorize(ctx, action, entity.arn, {**_tags(entity), "iam:PolicyARN": policy.arn})
    # An integrity error here means the policy was deleted while we attached it.
    gone = NoSuchEntityError(f"Policy {arn} does not exist or is not attachable.")
    with audit.write(
        ctx, action, entity.arn, on_integrity_error=gone, **{f"{kind.noun}_name": name, "policy_arn": arn}
    ):
        _hold(kind, entity)  # racing attaches to one identity are counted one after another
        attached = {policy_id for (policy_id,) in _statements(kind).attached_policy_ids.all(o=entity.pk)}
        if policy.pk in attached:
            return  # attached already: success, and nothing changed
        if len(attached) >= kind.max_attached:
            raise LimitExceededError(f"Cannot exceed quota for PoliciesPer{kind.title}: {kind.max_attached}")
        _statements(kind).insert_attachment.create(**kind.mine(entity), policy=policy)
        bump_principal_generation(entity)


def _detach(ctx: RequestContext, kind: _Kind, name: str, arn: str) -> None:
    validation.name(name, kind.member, kind.name_max)
    policy_arn(arn, "policyArn")
    entity = kind.lookup(ctx.account, name)
    action = f"iam:Detach{kind.title}Policy"
    authorize(ctx, action, entity.arn, {**_tags(entity), "iam:PolicyARN": arn})
    with audit.write(ctx, action, entity.arn, **{f"{kind.noun}_name": name, "policy_arn": arn}):
        _hold(kind, entity)
        # Only policies of this account or AWS's can be attached, so the ARN alone finds the row;
        # a policy that does not exist at all is, as in AWS, simply not attached.
        if not _statements(kind).detach.execute(o=entity.pk, arn=arn):
            raise NoSuchEntityError(f"Policy {arn} was not found.")
        bump_principal_generation(entity)


def attach_user_policy(ctx: RequestContext, *, user_name: str, policy_arn: str) -> None:
    """AttachUserPolicy: at most 10 per user; attaching an attached policy again changes nothing."""
    _attach(ctx, USER, user_name, policy_arn)


def detach_user_policy(ctx: RequestContext, *, user_name: str, policy_arn: str) -> None:
    """DetachUserPolicy. A policy that is not attached is NoSuchEntity."""
    _detach(ctx, USER, user_name, policy_arn)


def attach_group_policy(ctx: RequestContext, *, group_name: str, policy_arn: str) -> None:
    """AttachGroupPolicy: at most 10 per group; every member gets the policy at once."""
    _attach(ctx, GROUP, group_name, policy_arn)


def detach_group_policy(ctx: RequestContext, *, group_name: str, policy_arn: str) -> None:
    """DetachGroupPolicy. A policy that is not attached is NoSuchEntity."""
    _detach(ctx, GROUP, group_name, policy_arn)


def attach_role_policy(ctx: RequestContext, *, role_name: str, policy_arn: str) -> None:
    """AttachRolePolicy: at most 10 per role; attaching an attached policy again changes nothing."""
    _attach(ctx, ROLE, role_name, policy_arn)


def detach_role_policy(ctx: RequestContext, *, role_name: str, policy_arn: str) -> None:
    """DetachRolePolicy. A policy that is not attached is NoSuchEntity."""
    _detach(ctx, ROLE, role_name, policy_arn)


# Inline policies ------------------------------------------------------------------------------


def _too_large(kind: _Kind, entity: models.Model) -> str:
    return (
        f"Maximum policy size of {kind.max_inline_size} bytes exceeded for {kind.noun} {kind.name_of(entity)}"
    )


def _put(ctx: RequestContext, kind: _Kind, name: str, policy_name: str, document: str) -> None:
    validation.name(name, kind.member, kind.existing_name_max)
    validation.name(policy_name, "policyName", POLICY_NAME_MAX)
    entity = kind.lookup(ctx.account, name)
    too_large = _too_large(kind, entity)
    # One document over the identity's quota is over it in any company, so it is never parsed.
    check_document(document, kind="identity", max_size=kind.max_inline_size, too_large=too_large)
    action = f"iam:Put{kind.title}Policy"
    authorize(ctx, action, entity.arn, _tags(entity))
    with audit.write(
        ctx,
        action,
        entity.arn,
        **{f"{kind.noun}_name": name, "policy_name": policy_name, "policy_document": document},
    ):
        _hold(kind, entity)  # racing puts cannot together pass the size quota
        statements = _statements(kind)
        current = statements.inline_policies.all(o=entity.pk)
        others = [text for pk, name, text in current if name != policy_name]
        # The quota is on all the identity's inline policies together, after this one replaces its
        # namesake; IAM counts characters other than white space.
        if sum(size(other) for other in others) + size(document) > kind.max_inline_size:
            raise LimitExceededError(too_large)
        namesake = next((pk for pk, name, _text in current if name == policy_name), None)
        if namesake is None:
            statements.insert_inline.create(**kind.mine(entity), policy_name=policy_name, document=document)
        else:
            kind.inline.objects.filter(pk=namesake).update(document=document)
        bump_principal_generation(entity)


def _delete(ctx: RequestContext, kind: _Kind, name: str, policy_name: str) -> None:
    validation.name(name, kind.member, kind.existing_name_max)
    validation.name(policy_name, "policyName", POLICY_NAME_MAX)
    entity = kind.lookup(ctx.account, name)
    action = f"iam:Delete{kind.title}Policy"
    authorize(ctx, action, entity.arn, _tags(entity))
    with audit.write(ctx, action, entity.arn, **{f"{kind.noun}_name": name, "policy_name": policy_name}):
        _hold(kind, entity)
        if not _statements(kind).delete_inline.execute(o=entity.pk, name=policy_name):
            raise NoSuchEntityError(f"The {kind.noun} policy with name {policy_name} cannot be found.")
        bump_principal_generation(entity)


def put_user_policy(ctx: RequestContext, *, user_name: str, policy_name: str, policy_document: str) -> None:
    """PutUserPolicy: add or replace; all the user's inline policies together stay within 2,048."""
    _put(ctx, USER, user_name, policy_name, policy_document)


def delete_user_policy(ctx: RequestContext, *, user_name: str, policy_name: str) -> None:
    """DeleteUserPolicy. A policy that is not there is NoSuchEntity."""
    _delete(ctx, USER, user_name, policy_name)


def put_group_policy(ctx: RequestContext, *, group_name: str, policy_name: str, policy_document: str) -> None:
    """PutGroupPolicy: add or replace; all the group's inline policies together stay within 5,120."""
    _put(ctx, GROUP, group_name, policy_name, policy_document)


def delete_group_policy(ctx: RequestContext, *, group_name: str, policy_name: str) -> None:
    """DeleteGroupPolicy. A policy that is not there is NoSuchEntity."""
    _delete(ctx, GROUP, group_name, policy_name)


def put_role_policy(ctx: RequestContext, *, role_name: str, policy_name: str, policy_document: str) -> None:
    """PutRolePolicy: add or replace; all the role's inline policies together stay within 10,240."""
    _put(ctx, ROLE, role_name, policy_name, policy_document)


def delete_role_policy(ctx: RequestContext, *, role_name: str, policy_name: str) -> None:
    """DeleteRolePolicy. A policy that is not there is NoSuchEntity."""
    _delete(ctx, ROLE, role_name, policy_name)


# Permissions boundaries -----------------------------------------------------------------------


def _put_boundary(ctx: RequestContext, kind: _Kind, name: str, arn: str) -> None:
    validation.name(name, kind.member, kind.name_max)
    policy_arn(arn, "permissionsBoundary")
    entity = kind.lookup(ctx.account, name)
    boundary = lookups.boundary_by_arn(ctx.account, arn)
    action = f"iam:Put{kind.title}PermissionsBoundary"
    authorize(ctx, action, entity.arn, {**_tags(entity), "iam:PermissionsBoundary": boundary.arn})
    gone = NoSuchEntityError(f"Scope ARN: {arn} does not exist or is not attachable.")
    with audit.write(
        ctx,
        action,
        entity.arn,
        on_integrity_error=gone,
        **{f"{kind.noun}_name": name, "permissions_boundary": arn},
    ):
        _lock(kind, entity)
        kind.model.objects.filter(pk=entity.pk).update(permissions_boundary=boundary)
        bump_principal_generation(entity)


def _delete_boundary(ctx: RequestContext, kind: _Kind, name: str) -> None:
    validation.name(name, kind.member, kind.name_max)
    entity = kind.lookup(ctx.account, name)
    action = f"iam:Delete{kind.title}PermissionsBoundary"
    extra = _tags(entity)
    if entity.permissions_boundary_id is not None:
        # The condition key names the boundary being removed, so a policy can protect it.
        extra["iam:PermissionsBoundary"] = entity.permissions_boundary.arn
    authorize(ctx, action, entity.arn, extra)
    with audit.write(ctx, action, entity.arn, **{f"{kind.noun}_name": name}):
        if _lock(kind, entity).permissions_boundary_id is None:
            return  # none set: success, and nothing changed
        kind.model.objects.filter(pk=entity.pk).update(permissions_boundary=None)
        bump_principal_generation(entity)


def put_user_permissions_boundary(ctx: RequestContext, *, user_name: str, permissions_boundary: str) -> None:
    """PutUserPermissionsBoundary: set or replace the managed policy that caps the user's permissions."""
    _put_boundary(ctx, USER, user_name, permissions_boundary)


def delete_user_permissions_boundary(ctx: RequestContext, *, user_name: str) -> None:
    """DeleteUserPermissionsBoundary. Succeeds when none is set."""
    _delete_boundary(ctx, USER, user_name)


def put_role_permissions_boundary(ctx: RequestContext, *, role_name: str, permissions_boundary: str) -> None:
    """PutRolePermissionsBoundary: set or replace the managed policy that caps the role's permissions."""
    _put_boundary(ctx, ROLE, role_name, permissions_boundary)


def delete_role_permissions_boundary(ctx: RequestContext, *, role_name: str) -> None:
    """DeleteRolePermissionsBoundary. Succeeds when none is set."""
    _delete_boundary(ctx, ROLE, role_name)
