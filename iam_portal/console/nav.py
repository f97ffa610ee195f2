"""The console's sidebar: the IAM console's sections, each shown only to a caller who may list it."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from accounts import arns
from accounts.selectors.permissions import allowed

# (label, URL name, the action that lists the section and the kind of resource it lists, or None)
SECTIONS: tuple[tuple[str, str, tuple[str, str] | None], ...] = (
    ("Dashboard", "console:dashboard", None),
    ("Get started", "console:onboarding", None),
    ("User groups", "console:groups", ("iam:ListGroups", "group")),
    ("Users", "console:users", ("iam:ListUsers", "user")),
    ("Roles", "console:roles", ("iam:ListRoles", "role")),
    ("Policies", "console:policies", ("iam:ListPolicies", "policy")),
    ("Policy simulator", "console:policy_simulator", ("iam:SimulatePrincipalPolicy", "user")),
    ("Access matrix", "console:access_matrix", ("iam:GetAccountAuthorizationDetails", "")),
    ("Account settings", "console:account_settings", ("iam:GetAccountPasswordPolicy", "")),
    ("Activity", "console:activity", ("cloudtrail:LookupEvents", "")),
    ("Help", "console:help", None),
)
# Sections also shown to a caller allowed any one of these instead (the simulator: a principal of
# another kind, or custom policies, which need no principal).
ALTERNATIVES: dict[str, tuple[tuple[str, str], ...]] = {
    "console:policy_simulator": (
        ("iam:SimulatePrincipalPolicy", "group"),
        ("iam:SimulatePrincipalPolicy", "role"),
        ("iam:SimulateCustomPolicy", ""),
    ),
}


def sidebar(request: HttpRequest) -> dict[str, object]:
    """Template context processor: `console_nav`, the sections the signed-in caller may open."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    from . import request_context  # the package's; imported here to keep this module light

    ctx = getattr(request, "iam_ctx", None) or request_context(request)
    account_id = ctx.account.account_id
    checks = {
        url_name: (action, arns.all_in(account_id, kind) if kind else "*")
        for _, url_name, needs in SECTIONS
        if needs
        for action, kind in [needs]
    }
    may = allowed(ctx, checks)
    for url_name, alternatives in ALTERNATIVES.items():
        if url_name in may and not may[url_name]:
            may[url_name] = any(
                allowed(ctx, {url_name: (action, arns.all_in(account_id, kind) if kind else "*")})[url_name]
                for action, kind in alternatives
            )
    items = []
    for label, url_name, needs in SECTIONS:
        if needs and not may[url_name]:
            continue
        url = reverse(url_name)
        current = request.path == url if url_name == "console:dashboard" else request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    return {"console_nav": items, "console_may_simulate": may.get("console:policy_simulator", False)}
