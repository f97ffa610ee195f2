"""Console pages: the IAM dashboard — the IAM users' sign-in URL, resource counts (GetAccountSummary)
and security recommendations computed from the account's live state, with the findings
(accounts/selectors/findings.py) that the recommendations do not already make: unused roles,
policies that allow "*" on "*" and users with policies of their own, each affected item linked.
(The recommendations about users without MFA and unused or old access keys are those findings
too, counted and named by the recommendations from the findings' definitions.)

A caller without iam:GetAccountSummary sees only the sign-in URL (which every user of the account
knows anyway). The selector authorizes; the view asks first so that a plain visit is not audited as
a denial.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, path, reverse

from accounts import arns
from accounts.selectors import findings as finding_reads
from accounts.selectors.recommendations import FROM_FINDINGS, MAX_NAMES, Recommendation, dashboard

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

# The findings shown as findings: the recommendations already make the others (users without MFA,
# unused and old access keys), so no finding is shown twice.
DASHBOARD_FINDINGS = tuple(code for code in finding_reads.CODES if code not in FROM_FINDINGS)
# Each finding's fix: the page and its link's label.
FINDING_FIXES = {
    finding_reads.ROLES_UNUSED: ("console:roles", "Review roles"),
    finding_reads.POLICIES_ALLOW_ALL: ("console:policies", "Review policies"),
    finding_reads.USERS_WITH_DIRECT_POLICIES: ("console:groups", "Organize users in groups"),
}
MAX_ITEMS_SHOWN = MAX_NAMES  # as the recommendations' names; the rest are counted ("and 12 more")


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
        unchecked = list(board.report.unchecked) if board else []
        if board:
            found = finding_reads.list_findings(self.ctx, codes=DASHBOARD_FINDINGS, strict=False)
            recommendations += [self._finding_row(finding) for finding in found.findings]
            # Stable: within a severity, the recommendations first, then the findings in their order.
            recommendations.sort(key=lambda entry: finding_reads.SEVERITIES.index(entry["item"].severity))
            unchecked += found.unchecked
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
                "unchecked": unchecked,
            },
        )

    @staticmethod
    def _fix_url(recommendation: Recommendation, is_root: bool) -> str:
        """The page that fixes it; none for a root-only fix seen by someone else (they cannot)."""
        if recommendation.root_only and not is_root:
            return ""
        return _link(recommendation.url_name)

    @staticmethod
    def _finding_row(finding: finding_reads.Finding) -> dict:
        url_name, fix = FINDING_FIXES[finding.code]
        shown = finding.items[:MAX_ITEMS_SHOWN]
        return {
            "item": finding,
            "finding": True,
            "url": _link(url_name),
            "fix": fix,
            "links": [
                {"label": _label(item), "url": item_url(item), "detail": item.detail} for item in shown
            ],
            "more": finding.count - len(shown),
        }


def _label(item: finding_reads.FindingItem) -> str:
    if item.kind == finding_reads.ACCESS_KEY:
        return f"{item.owner} ({item.name})"
    if item.owner:
        return f"{item.name} ({item.kind.split('-')[0]} {item.owner})"  # an inline policy
    return item.name


# The console page of each kind of item, and the item's part that names it in the URL.
ITEM_PAGES = {
    finding_reads.USER: ("console:user_detail", "name"),
    finding_reads.ACCESS_KEY: ("console:user_credentials", "owner"),
    finding_reads.ROLE: ("console:role_detail", "name"),
    finding_reads.POLICY: ("console:policy_detail", "arn"),
    finding_reads.USER_POLICY: ("console:user_detail", "owner"),
    finding_reads.GROUP_POLICY: ("console:group_detail", "owner"),
    finding_reads.ROLE_POLICY: ("console:role_detail", "owner"),
}


def item_url(item: finding_reads.FindingItem) -> str:
    """The console page of a finding's item ("" while that page does not exist)."""
    url_name, part = ITEM_PAGES[item.kind]
    try:
        return reverse(url_name, args=[getattr(item, part)])
    except NoReverseMatch:
        return ""


urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
]
