"""IAM role reads: GetRole, ListRoles, ListRoleTags; and what the console's role pages show (a list
with trusted entities, a role's page, its delete confirmation, policies to attach)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from iam_portal import validation
from iam_portal.pagination import Page, paginate
from policies.models import ManagedPolicy

from .. import arns, lookups
from ..authz import authorize, is_allowed, resource_tag_context
from ..context import RequestContext
from ..models import Role
from .entity_policies import CHOICES_SHOWN, ROLE, Listing, attachable_policies

ROLE_NAME_MAX = 64
ACCOUNT_ROOT = re.compile(r"(\d{12})|arn:aws:iam::(\d{12}):root")


def get_role(ctx: RequestContext, *, role_name: str) -> Role:
    """GetRole: the role with its trust policy document as it was stored."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:GetRole", role.arn, resource_tag_context(role.tags))
    return role


def list_roles(
    ctx: RequestContext,
    *,
    path_prefix: str = "/",
    name_contains: str = "",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Role]:
    """ListRoles, ordered by name; one query whatever the number of roles. `name_contains` (the
    REST API's filter, in any case) is no AWS member."""
    validation.path_prefix(path_prefix)
    authorize(ctx, "iam:ListRoles", arns.all_in(ctx.account.account_id, "role"))
    roles = Role.objects.select_related("account", "permissions_boundary").filter(
        account=ctx.account, path__startswith=path_prefix
    )
    if name_contains:
        validation.search_text(name_contains)
        roles = roles.filter(role_name__icontains=name_contains)
    return paginate(roles.order_by("role_name", "pk"), marker, max_items)


def list_role_tags(
    ctx: RequestContext, *, role_name: str, marker: str | None = None, max_items: int | None = None
) -> Page[tuple[str, str]]:
    """ListRoleTags: (key, value) pairs ordered by key.

    Sorted here because PostgreSQL's jsonb does not keep the order tags were set in; SQLite does.
    """
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:ListRoleTags", role.arn, resource_tag_context(role.tags))
    # Keys are unique case-insensitively, so this order is total and the same on every database.
    return paginate(sorted(role.tags.items(), key=lambda tag: tag[0].lower()), marker, max_items)


# What the console's role pages show, each in a constant number of queries.


def trusted_entities(document: str) -> list[str]:
    """Who a trust policy lets assume the role, as the console's Trusted entities column says it:
    the principals of its Allow statements, in order, each once."""
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return []  # stored trust policies were validated; nothing to say about anything else
    out: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            out.append("Anyone (*)")
            continue
        for kind, values in (principal or {}).items():
            for value in [values] if isinstance(values, str) else values:
                out.append(_entity(kind, value))
    return list(dict.fromkeys(out))


def _entity(kind: str, value: str) -> str:
    if kind == "AWS":
        if value == "*":
            return "Any AWS principal (*)"
        account = ACCOUNT_ROOT.fullmatch(value)
        if account:
            return f"AWS account: {account.group(1) or account.group(2)}"
        if ":user/" in value:
            return f"IAM user: {value}"
        if ":role/" in value or ":assumed-role/" in value:
            return f"IAM role: {value}"
        return f"AWS: {value}"
    if kind == "Service":
        return f"AWS service: {value}"
    if kind == "Federated":
        return f"Identity provider: {value}"
    return f"{kind}: {value}"


@dataclass(frozen=True)
class RoleRow:
    role: Role
    trusted_entities: list[str]


def search_roles(
    ctx: RequestContext, *, search: str = "", marker: str | None = None, max_items: int | None = None
) -> Listing[RoleRow]:
    """ListRoles narrowed to names containing `search` (any case), each with its trusted entities;
    two queries whatever the number of roles."""
    authorize(ctx, "iam:ListRoles", arns.all_in(ctx.account.account_id, "role"))
    roles = Role.objects.select_related("account").filter(account=ctx.account)
    if search:
        roles = roles.filter(role_name__icontains=search)
    page = paginate(roles.order_by("role_name", "pk"), marker, max_items)
    rows = [RoleRow(role, trusted_entities(role.assume_role_policy_document)) for role in page.items]
    return Listing(Page(rows, page.is_truncated, page.marker), roles.count())


@dataclass(frozen=True)
class RoleSummary:
    """The console's role page. A list is None when the caller may not read it (the page says so)."""

    role: Role
    trusted_entities: list[str]
    attached: list[ManagedPolicy] | None  # iam:ListAttachedRolePolicies
    inline: list[str] | None  # iam:ListRolePolicies
    tags: list[tuple[str, str]] | None  # iam:ListRoleTags, by key


def role_summary(ctx: RequestContext, *, role_name: str) -> RoleSummary:
    """GetRole, and what ListAttachedRolePolicies, ListRolePolicies and ListRoleTags answer if the
    caller may call them; four queries at most."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    if role.permissions_boundary_id is not None:
        role = Role.objects.select_related("account", "permissions_boundary").get(pk=role.pk)
    tags = resource_tag_context(role.tags)
    authorize(ctx, "iam:GetRole", role.arn, tags)
    attached, inline = ROLE.listed(ctx, role, tags)
    tag_list = None
    if is_allowed(ctx, "iam:ListRoleTags", role.arn, tags):
        tag_list = sorted(role.tags.items(), key=lambda tag: tag[0].lower())
    return RoleSummary(role, trusted_entities(role.assume_role_policy_document), attached, inline, tag_list)


@dataclass(frozen=True)
class RoleDependents:
    """What the console's Delete removes before DeleteRole: every inline and attached policy."""

    role: Role
    inline: list[str]
    policies: list[ManagedPolicy]


def role_dependents(ctx: RequestContext, *, role_name: str) -> RoleDependents:
    """GetRole, ListRolePolicies and ListAttachedRolePolicies, for the delete confirmation; three
    queries whatever the numbers."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    tags = resource_tag_context(role.tags)
    for action in ("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"):
        authorize(ctx, action, role.arn, tags)
    return RoleDependents(role, ROLE.inline_names(role), ROLE.attached(role))


@dataclass(frozen=True)
class PolicyChoices:
    """Policies the console offers to attach to a role (not attached yet) and as its permissions
    boundary, the first CHOICES_SHOWN of each by name; None when the caller may not list policies."""

    policies: list[ManagedPolicy] | None
    more_policies: bool
    boundaries: list[ManagedPolicy] | None


def role_choices(
    ctx: RequestContext, *, role_name: str | None = None, policy_search: str = ""
) -> PolicyChoices:
    """For a new role, or for role_name (GetRole): policies not attached to it whose names contain
    the search (any case), and the policies that can be its boundary; three queries at most."""
    role = None
    if role_name is not None:
        validation.name(role_name, "roleName", ROLE_NAME_MAX)
        role = lookups.role_by_name(ctx.account, role_name)
        authorize(ctx, "iam:GetRole", role.arn, resource_tag_context(role.tags))
    if not is_allowed(ctx, "iam:ListPolicies", f"arn:aws:iam::{ctx.account.account_id}:policy/"):
        return PolicyChoices(None, False, None)
    policies, more = ROLE.not_attached(ctx, role, policy_search)
    boundaries = None
    if role is None:
        boundaries = list(attachable_policies(ctx).order_by("policy_name", "pk")[:CHOICES_SHOWN])
    return PolicyChoices(policies, more, boundaries)


@dataclass(frozen=True)
class RoleInlinePolicy:
    """GetRolePolicy's answer with the role itself (whose ARN and tags decide what the page offers)."""

    role: Role
    policy_name: str
    policy_document: str


def role_inline_policy(ctx: RequestContext, *, role_name: str, policy_name: str) -> RoleInlinePolicy:
    """GetRolePolicy: the document as it was put, and its role; two queries."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    validation.name(policy_name, "policyName", 128)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:GetRolePolicy", role.arn, resource_tag_context(role.tags))
    return RoleInlinePolicy(role, policy_name, ROLE.inline_document(role, policy_name))
