"""Console pages: the IAM dashboard — the IAM users' sign-in URL, resource counts (GetAccountSummary)
and security recommendations computed from the account's live state.

A caller without iam:GetAccountSummary sees only the sign-in URL (which every user of the account
knows anyway). The selector authorizes; the view asks first so that a plain visit is not audited as
a denial.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, path, reverse

from accounts import arns
from accounts.selectors.recommendations import Recommendation, dashboard

from . import ConsoleView

# The resource counts: (label, SummaryMap key, quota key, list page, the action that lists it, kind).
COUNTS = (
    ("Users", "Users", "UsersQuota", "console:users", "iam:ListUsers", "user"),
    ("User groups", "Groups", "GroupsQuota", "console:groups", "iam:ListGroups", "group"),
    ("Roles", "Roles", "RolesQuota", "console:roles", "iam:ListRoles", "role"),
    (
        "Customer managed policies",
        "Policies",
        "PoliciesQuota",
        "console:policies",
        "iam:ListPolicies",
        "policy",
    ),
    ("MFA devices in use", "MFADevicesInUse", None, None, None, None),
)


def _link(url_name: str | None) -> str:
    """The page's URL, or "" while that page does not exist."""
    if not url_name:
        return ""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


class DashboardView(ConsoleView):
    """The IAM dashboard (the console's start page)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        account = self.ctx.account
        checks = {
            "summary": ("iam:GetAccountSummary", "*"),
            "alias": ("iam:CreateAccountAlias", "*"),
            **{
                key: (action, arns.all_in(account.account_id, kind))
                for _, key, _, _, action, kind in COUNTS
                if action
            },
        }
        may = self.may(**checks)
        board = dashboard(self.ctx) if may["summary"] else None
        alias = board.alias if board else account.alias
        is_root = self.ctx.caller.is_root
        counts = []
        if board:
            for label, key, quota, url_name, action, _ in COUNTS:
                counts.append(
                    {
                        "label": label,
                        "value": board.summary[key],
                        "quota": board.summary[quota] if quota else None,
                        "url": _link(url_name) if action and may[key] else "",
                    }
                )
        recommendations = [
            {"item": r, "url": self._fix_url(r, is_root)}
            for r in (board.report.recommendations if board else ())
        ]
        return self.render(
            "console/dashboard/dashboard.html",
            {
                "title": "IAM dashboard",
                "board": board,
                "alias": alias,
                "account_id": account.account_id,
                "sign_in_url": request.build_absolute_uri(
                    reverse("accounts:signin_account", args=[alias or account.account_id])
                ),
                "may_edit_alias": may["alias"],
                "counts": counts,
                "recommendations": recommendations,
            },
        )

    @staticmethod
    def _fix_url(recommendation: Recommendation, is_root: bool) -> str:
        """The page that fixes it; none for a root-only fix seen by someone else (they cannot)."""
        if recommendation.root_only and not is_root:
            return ""
        return _link(recommendation.url_name)


urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
]
