"""IAM role reads: GetRole, ListRoles, ListRoleTags."""

from __future__ import annotations

from iam_portal import validation
from iam_portal.pagination import Page, paginate

from .. import arns, lookups
from ..authz import authorize, resource_tag_context
from ..context import RequestContext
from ..models import Role

ROLE_NAME_MAX = 64


def get_role(ctx: RequestContext, *, role_name: str) -> Role:
    """GetRole: the role with its trust policy document as it was stored."""
    validation.name(role_name, "roleName", ROLE_NAME_MAX)
    role = lookups.role_by_name(ctx.account, role_name)
    authorize(ctx, "iam:GetRole", role.arn, resource_tag_context(role.tags))
    return role


def list_roles(
    ctx: RequestContext, *, path_prefix: str = "/", marker: str | None = None, max_items: int | None = None
) -> Page[Role]:
    """ListRoles, ordered by name; one query whatever the number of roles."""
    validation.path_prefix(path_prefix)
    authorize(ctx, "iam:ListRoles", arns.all_in(ctx.account.account_id, "role"))
    roles = (
        Role.objects.select_related("account", "permissions_boundary")
        .filter(account=ctx.account, path__startswith=path_prefix)
        .order_by("role_name", "pk")
    )
    return paginate(roles, marker, max_items)


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
