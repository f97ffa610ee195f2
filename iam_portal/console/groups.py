"""Console pages: User groups (CONSOLE.md §7, id_groups_create / id_groups_manage_*).

The list with member and policy counts; Create group (name, users to add, policies to attach: one
service call, all or nothing); a group's page with its Users and Permissions tabs (add and remove
members, attach and detach managed policies, inline policies), rename and move (UpdateGroup); and
Delete, which removes members and policies first after a confirmation that lists them.

Each view parses the request, calls one service (a write) or one selector (a read), and renders.
Controls the caller may not use are not shown; a forged request gets the AccessDenied page. What
groups share with roles (the list, attaching and detaching policies, inline policies, Delete)
is entity_policies.py's, for GROUP.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from accounts import arns
from accounts.selectors import groups as group_reads
from accounts.services import groups as group_writes
from accounts.services import policy_attachments as policy_writes
from iam_portal.errors import AccessDeniedError, IamError

from . import ConsoleView
from .entity_policies import EntityKind, EntityListView, entity_urls, query, show_error, text_input

if TYPE_CHECKING:
    from accounts.context import RequestContext
    from accounts.models import Group

# Where an IamError goes on a form: the field whose AWS member (or error code) it concerns.
GROUP_FIELDS = {
    "groupName": "group_name",
    "newGroupName": "group_name",
    "path": "path",
    "newPath": "path",
    "EntityAlreadyExists": "group_name",
}


# What the pages groups share with roles (entity_policies.py) need to know about groups.
def _get_group(ctx: RequestContext, *, group_name: str) -> Group:
    """GetGroup for a page about the group itself (no members shown)."""
    return group_reads.get_group(ctx, group_name=group_name, max_items=1).group


GROUP = EntityKind(
    noun="group",
    label="user group",
    plural="User groups",
    tab_query="?tab=permissions",  # Users is the first tab
    inline_quota="5,120",
    inline_loss="Its users lose the permissions it grants at once.",
    search=group_reads.search_groups,
    get=_get_group,
    inline_policy=group_reads.group_inline_policy,
    policy_choices=partial(group_reads.group_choices, users=False),
    attach_policies=group_writes.attach_group_policies,
    detach_policy=policy_writes.detach_group_policy,
    put_policy=policy_writes.put_group_policy,
    delete_policy=policy_writes.delete_group_policy,
    dependents=group_reads.group_dependents,
    delete_all=group_writes.delete_group_and_dependents,
)


class GroupForm(forms.Form):
    group_name = text_input("User group name", required=True, maxlength=128, autocomplete="off")
    path = forms.CharField(
        label="Path",
        required=False,
        initial="/",
        widget=forms.TextInput(attrs={"maxlength": 512}),
        help_text="Optional. Part of the group's ARN, e.g. /engineering/. Leave / if you do not use paths.",
    )

    def cleaned_path(self) -> str:
        return self.cleaned_data["path"] or "/"


def _group_may(view: ConsoleView, arn: str) -> dict[str, bool]:
    return view.may(
        update=("iam:UpdateGroup", arn),
        delete=("iam:DeleteGroup", arn),
        add_users=("iam:AddUserToGroup", arn),
        remove_users=("iam:RemoveUserFromGroup", arn),
        attach=("iam:AttachGroupPolicy", arn),
        detach=("iam:DetachGroupPolicy", arn),
        put_inline=("iam:PutGroupPolicy", arn),
        get_inline=("iam:GetGroupPolicy", arn),
        delete_inline=("iam:DeleteGroupPolicy", arn),
    )


class GroupListView(EntityListView):
    """User groups: name, users, permissions, created; search by name; 100 a page."""

    kind = GROUP

    def rows(self, items: list) -> dict[str, object]:
        return {"groups": items}


class GroupCreateView(ConsoleView):
    """Create group: name, users to add, policies to attach; one all-or-nothing service call."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(GroupForm(), [], [])

    def post(self, request: HttpRequest) -> HttpResponse:
        form = GroupForm(request.POST)
        users, policies = request.POST.getlist("users"), request.POST.getlist("policies")
        if form.is_valid():
            try:
                group = group_writes.create_group_with_members(
                    self.ctx,
                    group_name=form.cleaned_data["group_name"],
                    path=form.cleaned_path(),
                    user_names=users,
                    policy_arns=policies,
                )
            except IamError as exc:
                show_error(form, exc, GROUP_FIELDS)
                return self.show(form, users, policies, status=exc.http_status)
            messages.success(request, f"User group {group.group_name} created.")
            return redirect(GROUP.detail_url(group.group_name))
        return self.show(form, users, policies, status=400)

    def show(self, form: GroupForm, users: list[str], policies: list[str], status: int = 200) -> HttpResponse:
        user_search = self.request.GET.get("user_q", "").strip()
        policy_search = self.request.GET.get("policy_q", "").strip()
        choices = group_reads.group_choices(self.ctx, user_search=user_search, policy_search=policy_search)
        any_group = arns.all_in(self.ctx.account.account_id, "group")
        return self.render(
            "console/groups/create.html",
            {
                "title": "Create user group",
                "form": form,
                "choices": choices,
                "may": self.may(
                    add_users=("iam:AddUserToGroup", any_group), attach=("iam:AttachGroupPolicy", any_group)
                ),
                "user_search": user_search,
                "policy_search": policy_search,
                "checked_users": set(users),
                "checked_policies": set(policies),
            },
            status=status,
        )


class GroupDetailView(ConsoleView):
    """A group's summary with the Users and Permissions tabs."""

    TABS = ("users", "permissions")

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        tab = request.GET.get("tab")
        tab = tab if tab in self.TABS else "users"
        summary = group_reads.group_summary(
            self.ctx, group_name=group_name, marker=request.GET.get("marker") or None
        )
        group = summary.group
        return self.render(
            "console/groups/detail.html",
            {
                "title": group.group_name,
                "group": group,
                "kind": GROUP,
                "summary": summary,
                "tab": tab,
                "may": _group_may(self, group.arn),
                "next_query": query(tab="users", marker=summary.users.marker)
                if summary.users.is_truncated
                else None,
            },
        )


class GroupEditView(ConsoleView):
    """Edit the group's name and path (UpdateGroup)."""

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        group = _get_group(self.ctx, group_name=group_name)
        form = GroupForm(initial={"group_name": group.group_name, "path": group.path})
        return self.show(group.group_name, form)

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        form = GroupForm(request.POST)
        if not form.is_valid():
            return self.show(group_name, form, status=400)
        new_name, new_path = form.cleaned_data["group_name"], form.cleaned_path()
        try:
            group = group_writes.update_group(
                self.ctx,
                group_name=group_name,
                new_group_name=new_name if new_name != group_name else None,
                new_path=new_path,
            )
        except IamError as exc:
            show_error(form, exc, GROUP_FIELDS)
            return self.show(group_name, form, status=exc.http_status)
        messages.success(request, f"User group {group.group_name} updated.")
        return redirect(GROUP.detail_url(group.group_name))

    def show(self, group_name: str, form: GroupForm, status: int = 200) -> HttpResponse:
        return self.render(
            "console/groups/edit.html",
            {"title": f"Edit {group_name}", "group_name": group_name, "form": form},
            status=status,
        )


class GroupAddUsersView(ConsoleView):
    """Users tab → Add users: check users who are not members yet."""

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        return self.show(group_name, [])

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        users = request.POST.getlist("users")
        if not users:
            return self.show(group_name, users, error="Select at least one user to add.", status=400)
        try:
            group_writes.add_users_to_group(self.ctx, group_name=group_name, user_names=users)
        except AccessDeniedError:
            raise
        except IamError as exc:
            return self.show(group_name, users, error=exc.message, status=exc.http_status)
        messages.success(request, f"Added {len(users)} user{'s' if len(users) != 1 else ''} to {group_name}.")
        return redirect(GROUP.detail_url(group_name, "users"))

    def show(self, group_name: str, users: list[str], error: str = "", status: int = 200) -> HttpResponse:
        search = self.request.GET.get("user_q", "").strip()
        choices = group_reads.group_choices(
            self.ctx, group_name=group_name, policies=False, user_search=search
        )
        return self.render(
            "console/groups/add_users.html",
            {
                "title": f"Add users to {group_name}",
                "group_name": group_name,
                "choices": choices,
                "user_search": search,
                "checked_users": set(users),
                "error": error,
            },
            status=status,
        )


class GroupRemoveUsersView(ConsoleView):
    """Users tab → Remove users: the checked members leave the group."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        users = request.POST.getlist("users")
        if not users:
            messages.error(request, "Select at least one user to remove.")
            return redirect(GROUP.detail_url(group_name, "users"))
        try:
            group_writes.remove_users_from_group(self.ctx, group_name=group_name, user_names=users)
        except AccessDeniedError:
            raise
        except IamError as exc:  # e.g. someone removed one of them meanwhile: nothing changed
            messages.error(request, exc.message)
            return redirect(GROUP.detail_url(group_name, "users"))
        messages.success(
            request, f"Removed {len(users)} user{'s' if len(users) != 1 else ''} from {group_name}."
        )
        return redirect(GROUP.detail_url(group_name, "users"))


urlpatterns: list = [
    path("groups/", GroupListView.as_view(), name="groups"),
    # "~" cannot be part of a group name, so no group's page is hidden behind this one.
    path("groups/~create/", GroupCreateView.as_view(), name="group_create"),
    path("groups/<str:group_name>/", GroupDetailView.as_view(), name="group_detail"),
    path("groups/<str:group_name>/edit/", GroupEditView.as_view(), name="group_edit"),
    path("groups/<str:group_name>/add-users/", GroupAddUsersView.as_view(), name="group_add_users"),
    path("groups/<str:group_name>/remove-users/", GroupRemoveUsersView.as_view(), name="group_remove_users"),
    *entity_urls(GROUP),
]
