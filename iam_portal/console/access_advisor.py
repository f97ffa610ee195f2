"""Console: the Access Advisor tab of a user, group, role and policy (CONSOLE.md): each service the
permissions policies allow, when it was last accessed (or "Not accessed in the tracking period"), the
unused ones flagged as permissions to remove.

Each tab is its own URL; the page around it is the entity's own detail view (summary, tab strip), so
these views extend those and only add the tab. The report comes from ONE selector call
(preview_service_last_accessed: GenerateServiceLastAccessedDetails' report, computed for the page and
not stored), which authorizes both actions AWS's console needs; a denial is shown in the tab.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, re_path, reverse

from accounts.selectors import access_advisor as advisor_reads
from accounts.selectors import users as user_reads
from iam_portal.errors import AccessDeniedError

from .groups import GroupDetailView
from .policies import PolicyDetailView
from .roles import RoleDetailView
from .users import UserTabView

TAB = "access_advisor"
TRACKING_DAYS = advisor_reads.TRACKING_PERIOD.days


def advisor_context(ctx, arn: str, *, aggregate: bool) -> dict[str, object]:
    """The tab's context: the report, or the AccessDenied message when the caller may not see it.
    `aggregate`: a group's or policy's report, whose services say who accessed them and how many."""
    try:
        report = advisor_reads.preview_service_last_accessed(ctx, arn=arn)
    except AccessDeniedError as exc:
        return {"advisor": None, "advisor_denied": exc.message}
    return {
        "advisor": report,
        "advisor_aggregate": aggregate,
        "advisor_tracking_days": TRACKING_DAYS,
        "advisor_unused_count": len(report.unused),
    }


def _other_tab(request: HttpRequest, detail_url: str, key: str) -> HttpResponse | None:
    """The detail pages' other tabs are relative links (?tab=users): from this URL, send them home."""
    other = request.GET.get(key)
    if other and other != TAB:
        return redirect(f"{detail_url}?{urlencode(request.GET)}")
    return None


class UserAccessAdvisorView(UserTabView):
    """A user's Access Advisor tab (the user's own attempts)."""

    tab = TAB
    template = "console/access_advisor/user.html"

    def tab_context(self, user_name: str, row: user_reads.UserRow) -> dict:
        return advisor_context(self.ctx, row.user.arn, aggregate=False)


class GroupAccessAdvisorView(GroupDetailView):
    """A group's Access Advisor tab (its members' attempts)."""

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        home = _other_tab(request, reverse("console:group_detail", args=[group_name]), "tab")
        return home or super().get(request, group_name)

    def render(self, template: str, context: dict | None = None, **kwargs) -> TemplateResponse:
        context = dict(context or {})
        context.update(tab=TAB, **advisor_context(self.ctx, context["group"].arn, aggregate=True))
        return super().render(template, context, **kwargs)


class RoleAccessAdvisorView(RoleDetailView):
    """A role's Access Advisor tab (its sessions' attempts)."""

    def get(self, request: HttpRequest, role_name: str) -> HttpResponse:
        home = _other_tab(request, reverse("console:role_detail", args=[role_name]), "tab")
        return home or super().get(request, role_name)

    def render(self, template: str, context: dict | None = None, **kwargs) -> TemplateResponse:
        context = dict(context or {})
        context.update(tab=TAB, **advisor_context(self.ctx, context["role"].arn, aggregate=False))
        return super().render(template, context, **kwargs)


class PolicyAccessAdvisorView(PolicyDetailView):
    """A managed policy's Access Advisor tab (the attempts of the users and roles it is attached to)."""

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        home = _other_tab(
            request, reverse("console:policy_detail", kwargs={"policy_arn": policy_arn}), "section"
        )
        if home:
            return home
        request.GET = request.GET.copy()
        request.GET["section"] = "permissions"  # the lightest section to prepare: the tab replaces it
        return super().get(request, policy_arn)

    def render(self, template: str, context: dict | None = None, **kwargs) -> TemplateResponse:
        context = dict(context or {})
        context.update(section=TAB, **advisor_context(self.ctx, context["policy"].arn, aggregate=True))
        return super().render(template, context, **kwargs)


urlpatterns: list = [
    path(
        "users/<str:user_name>/access-advisor/", UserAccessAdvisorView.as_view(), name="user_access_advisor"
    ),
    path(
        "groups/<str:group_name>/access-advisor/",
        GroupAccessAdvisorView.as_view(),
        name="group_access_advisor",
    ),
    path(
        "roles/<str:role_name>/access-advisor/", RoleAccessAdvisorView.as_view(), name="role_access_advisor"
    ),
    re_path(
        r"^policies/access-advisor/(?P<policy_arn>arn:.+)/$",
        PolicyAccessAdvisorView.as_view(),
        name="policy_access_advisor",
    ),
]
