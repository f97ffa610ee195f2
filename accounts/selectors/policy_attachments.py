"""Policies of identities, read: ListAttachedUserPolicies, ListAttachedGroupPolicies,
ListAttachedRolePolicies, GetUserPolicy, GetGroupPolicy, GetRolePolicy, ListUserPolicies,
ListGroupPolicies, ListRolePolicies.

Each costs the identity's lookup and one query for the page, whatever the number of policies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models

from iam_portal import validation
from iam_portal.errors import NoSuchEntityError, validation_error
from iam_portal.pagination import Page, paginate, paginate_prepared
from iam_portal.prepared import PreparedQuery
from policies.models import GroupPolicy, ManagedPolicy, RolePolicy, UserPolicy

from .. import lookups
from ..authz import authorize, resource_tag_context
from ..context import RequestContext

POLICY_NAME_MAX = 128
USER_NAME_MAX, EXISTING_USER_NAME_MAX, GROUP_NAME_MAX, ROLE_NAME_MAX = 64, 128, 128, 64
POLICY_PATH_PREFIX = re.compile(r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")  # the model's policyPathType


@dataclass(frozen=True)
class InlinePolicy:
    """Get{User,Group,Role}Policy's answer: whose policy it is (as stored), its name and document."""

    entity_name: str
    policy_name: str
    policy_document: str


def _policy_path_prefix(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 512:
        raise validation_error(value, "pathPrefix", "have length between 1 and 512")
    if not POLICY_PATH_PREFIX.fullmatch(value):
        raise validation_error(
            value, "pathPrefix", r"satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/"
        )
    return value


_attached_to_user = PreparedQuery(
    lambda user_id: ManagedPolicy.objects.filter(user_attachments__user_id=user_id).order_by(
        "policy_name", "pk"
    ),
    user_id=int,
)


def _attached(
    policies: models.QuerySet, path_prefix: str, marker: str | None, max_items: int | None
) -> Page[ManagedPolicy]:
    """One page of an identity's managed policies by name, in one query."""
    return paginate(
        policies.filter(path__startswith=path_prefix).order_by("policy_name", "pk"), marker, max_items
    )


_INLINE_DOCUMENTS: dict[type[models.Model], PreparedQuery] = {}


def _get(inline: type[models.Model], noun: str, entity: models.Model, policy_name: str) -> InlinePolicy:
    query = _INLINE_DOCUMENTS.get(inline)
    if query is None:
        query = _INLINE_DOCUMENTS[inline] = PreparedQuery(
            lambda owner, name: inline.objects.filter(**{f"{noun}_id": owner}, policy_name=name).values_list(
                "document"
            )[:1],
            owner=int,
            name=str,
        )
    found = query.first(owner=entity.pk, name=policy_name)
    document = None if found is None else found[0]
    if document is None:
        raise NoSuchEntityError(f"The {noun} policy with name {policy_name} cannot be found.")
    return InlinePolicy(getattr(entity, f"{noun}_name"), policy_name, document)


def _names(
    inline: type[models.Model], noun: str, entity: models.Model, marker: str | None, max_items: int | None
) -> Page[str]:
    names = (
        inline.objects.filter(**{noun: entity}).order_by("policy_name").values_list("policy_name", flat=True)
    )
    return paginate(names, marker, max_items)


# Attached managed policies --------------------------------------------------------------------


def list_attached_user_policies(
    ctx: RequestContext,
    *,
    user_name: str,
    path_prefix: str = "/",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[ManagedPolicy]:
    """ListAttachedUserPolicies: the user's own attachments (not its groups'), by policy name."""
    validation.name(user_name, "userName", USER_NAME_MAX)
    _policy_path_prefix(path_prefix)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize(ctx, "iam:ListAttachedUserPolicies", user.arn, resource_tag_context(user.tags))
    if path_prefix == "/":  # every path starts with "/": the common call, compiled once
        return paginate_prepared(_attached_to_user, marker, max_items, user_id=user.pk)
    return _attached(
        ManagedPolicy.objects.filter(user_attachments__user=user), path_prefix, marker, max_items
    )


def list_attached_group_policies(
    ctx: RequestContext,
    *,
    group_name: str,
    path_prefix: str = "/",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[ManagedPolicy]:
    """ListAttachedGroupPolicies, by policy name."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    _policy_path_prefix(path_prefix)
    group = lookups.group_by_name(ctx.account, group_name)
    authorize(ctx, "iam:ListAttachedGroupPolicies", group.arn)
    return _attached(
        ManagedPolicy.objects.filter(group_attachments__group=group), path_prefix, marker, max_items
    )


def list_attached_role_policies(
    ctx: RequestContext,
    *,
    role_name: str,
    path_prefix: str = "/",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[ManagedPolicy]:
    """ListAttachedRolePolicies, by policy name."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    _policy_path_prefix(path_prefix)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:ListAttachedRolePolicies", role.arn, resource_tag_context(role.tags))
    return _attached(
        ManagedPolicy.objects.filter(role_attachments__role=role), path_prefix, marker, max_items
    )


# Inline policies ------------------------------------------------------------------------------


def get_user_policy(ctx: RequestContext, *, user_name: str, policy_name: str) -> InlinePolicy:
    """GetUserPolicy: the document as it was put."""
    validation.name(user_name, "userName", EXISTING_USER_NAME_MAX)
    validation.name(policy_name, "policyName", POLICY_NAME_MAX)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize(ctx, "iam:GetUserPolicy", user.arn, resource_tag_context(user.tags))
    return _get(UserPolicy, "user", user, policy_name)


def get_group_policy(ctx: RequestContext, *, group_name: str, policy_name: str) -> InlinePolicy:
    """GetGroupPolicy: the document as it was put."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    validation.name(policy_name, "policyName", POLICY_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    authorize(ctx, "iam:GetGroupPolicy", group.arn)
    return _get(GroupPolicy, "group", group, policy_name)


def get_role_policy(ctx: RequestContext, *, role_name: str, policy_name: str) -> InlinePolicy:
    """GetRolePolicy: the document as it was put."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    validation.name(policy_name, "policyName", POLICY_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:GetRolePolicy", role.arn, resource_tag_context(role.tags))
    return _get(RolePolicy, "role", role, policy_name)


def list_user_policies(
    ctx: RequestContext, *, user_name: str, marker: str | None = None, max_items: int | None = None
) -> Page[str]:
    """ListUserPolicies: the names of the user's inline policies, in order."""
    validation.name(user_name, "userName", EXISTING_USER_NAME_MAX)
    user = lookups.user_by_name(ctx.account, user_name)
    authorize(ctx, "iam:ListUserPolicies", user.arn, resource_tag_context(user.tags))
    return _names(UserPolicy, "user", user, marker, max_items)


def list_group_policies(
    ctx: RequestContext, *, group_name: str, marker: str | None = None, max_items: int | None = None
) -> Page[str]:
    """ListGroupPolicies: the names of the group's inline policies, in order."""
    validation.name(group_name, "groupName", GROUP_NAME_MAX)
    group = lookups.group_by_name(ctx.account, group_name)
    authorize(ctx, "iam:ListGroupPolicies", group.arn)
    return _names(GroupPolicy, "group", group, marker, max_items)


def list_role_policies(
    ctx: RequestContext, *, role_name: str, marker: str | None = None, max_items: int | None = None
) -> Page[str]:
    """ListRolePolicies: the names of the role's inline policies, in order."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:ListRolePolicies", role.arn, resource_tag_context(role.tags))
    return _names(RolePolicy, "role", role, marker, max_items)
