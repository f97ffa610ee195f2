"""Console pages: User groups (CONSOLE.md §7, id_groups_create / id_groups_manage_*).

The list with member and policy counts; Create group (name, users to add, policies to attach: one
service call, all or nothing); a group's page with its Users and Permissions tabs (add and remove
members, attach and detach managed policies, inline policies), rename and move (UpdateGroup); and
Delete, which removes members and policies first after a confirmation that lists them.

Each view parses the request, calls one service (a write) or one selector (a read), and renders.
Controls the caller may not use are not shown; a forged request gets the AccessDenied page.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode

from accounts import arns
from accounts.selectors import groups as group_reads
from accounts.services import groups as group_writes
from accounts.services import policy_attachments as policy_writes
from iam_portal.errors import AccessDeniedError, IamError

from . import ConsoleView

PAGE_SIZE = 100
NEW_POLICY_DOCUMENT = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [],
            "Resource": []
        }
    ]
}"""

# Where an IamError goes on a form: the field whose AWS member (or error code) it concerns.
GROUP_FIELDS = {
    "groupName": "group_name",
    "newGroupName": "group_name",
    "path": "path",
    "newPath": "path",
    "EntityAlreadyExists": "group_name",
}
INLINE_FIELDS = {
    "policyName": "policy_name",
    "policyDocument": "policy_document",
    "MalformedPolicyDocument": "policy_document",
    "LimitExceeded": "policy_document",
}


def show_error(form: forms.Form, exc: IamError, fields: Mapping[str, str]) -> None:
    """An IamError, in AWS's words, on the field whose member or error code it concerns (else on
    the form). AccessDenied is no form error: it goes on to the AccessDenied page."""
    if isinstance(exc, AccessDeniedError):
        raise exc
    for member, field in fields.items():
        if f"at '{member}'" in exc.message:
            form.add_error(field, exc.message)
            return
    form.add_error(fields.get(exc.code), exc.message)


def query(**params: str | None) -> str:
    """A query string with the non-empty parameters, or ""."""
    kept = {k: v for k, v in params.items() if v}
    return "?" + urlencode(kept) if kept else ""


def text_input(label: str, **attrs: object) -> forms.CharField:
    """A text field checked by the service, not the form, so that errors are AWS's own words."""
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))


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


class InlinePolicyForm(forms.Form):
    policy_name = text_input("Policy name", required=True, maxlength=128, autocomplete="off")
    policy_document = forms.CharField(
        label="Policy document (JSON)",
        required=False,
        strip=False,
        initial=NEW_POLICY_DOCUMENT,
        widget=forms.Textarea(attrs={"rows": 18, "cols": 80, "spellcheck": "false", "class": "policy-json"}),
    )


class DeleteConfirmForm(forms.Form):
    confirm = text_input("To confirm deletion, enter the user group name", autocomplete="off")


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


def detail_url(group_name: str, tab: str | None = None) -> str:
    return reverse("console:group_detail", args=[group_name]) + query(tab=tab)


class GroupListView(ConsoleView):
    """User groups: name, users, permissions, created; search by name; 100 a page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        search = request.GET.get("q", "").strip()
        marker = request.GET.get("marker") or None
        listing = group_reads.search_groups(self.ctx, search=search, marker=marker, max_items=PAGE_SIZE)
        page = listing.page
        return self.render(
            "console/groups/list.html",
            {
                "title": "User groups",
                "search": search,
                "groups": page.items,
                "total": listing.total,
                "next_query": query(q=search, marker=page.marker) if page.is_truncated else None,
                "first_query": query(q=search) or "?" if marker else None,
                "may": self.may(
                    create=("iam:CreateGroup", arns.all_in(self.ctx.account.account_id, "group"))
                ),
            },
        )


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
            return redirect(detail_url(group.group_name))
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
        group = group_reads.get_group(self.ctx, group_name=group_name, max_items=1).group
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
        return redirect(detail_url(group.group_name))

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
        return redirect(detail_url(group_name, "users"))

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
            return redirect(detail_url(group_name, "users"))
        try:
            group_writes.remove_users_from_group(self.ctx, group_name=group_name, user_names=users)
        except AccessDeniedError:
            raise
        except IamError as exc:  # e.g. someone removed one of them meanwhile: nothing changed
            messages.error(request, exc.message)
            return redirect(detail_url(group_name, "users"))
        messages.success(
            request, f"Removed {len(users)} user{'s' if len(users) != 1 else ''} from {group_name}."
        )
        return redirect(detail_url(group_name, "users"))


class GroupAttachPoliciesView(ConsoleView):
    """Permissions tab → Attach policies: check managed policies not attached yet."""

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        return self.show(group_name, [])

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        policies = request.POST.getlist("policies")
        if not policies:
            return self.show(group_name, policies, error="Select at least one policy to attach.", status=400)
        try:
            group_writes.attach_group_policies(self.ctx, group_name=group_name, policy_arns=policies)
        except AccessDeniedError:
            raise
        except IamError as exc:
            return self.show(group_name, policies, error=exc.message, status=exc.http_status)
        count = len(policies)
        messages.success(request, f"Attached {count} polic{'ies' if count != 1 else 'y'} to {group_name}.")
        return redirect(detail_url(group_name, "permissions"))

    def show(self, group_name: str, policies: list[str], error: str = "", status: int = 200) -> HttpResponse:
        search = self.request.GET.get("policy_q", "").strip()
        choices = group_reads.group_choices(
            self.ctx, group_name=group_name, users=False, policy_search=search
        )
        return self.render(
            "console/groups/attach_policies.html",
            {
                "title": f"Attach policies to {group_name}",
                "group_name": group_name,
                "choices": choices,
                "policy_search": search,
                "checked_policies": set(policies),
                "error": error,
            },
            status=status,
        )


class GroupDetachPolicyView(ConsoleView):
    """Permissions tab → Remove on an attached policy (DetachGroupPolicy; the policy stays)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        policy_arn = request.POST.get("policy_arn", "")
        try:
            policy_writes.detach_group_policy(self.ctx, group_name=group_name, policy_arn=policy_arn)
        except AccessDeniedError:
            raise
        except IamError as exc:  # e.g. detached meanwhile
            messages.error(request, exc.message)
            return redirect(detail_url(group_name, "permissions"))
        messages.success(request, f"Policy {policy_arn} detached from {group_name}.")
        return redirect(detail_url(group_name, "permissions"))


class GroupInlinePolicyCreateView(ConsoleView):
    """Permissions tab → Create inline policy (PutGroupPolicy), written in JSON."""

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        group = group_reads.get_group(self.ctx, group_name=group_name, max_items=1).group
        return self.show(group.group_name, InlinePolicyForm())

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        form = InlinePolicyForm(request.POST)
        if not form.is_valid():
            return self.show(group_name, form, status=400)
        name = form.cleaned_data["policy_name"]
        try:
            policy_writes.put_group_policy(
                self.ctx,
                group_name=group_name,
                policy_name=name,
                policy_document=form.cleaned_data["policy_document"],
            )
        except IamError as exc:
            show_error(form, exc, INLINE_FIELDS)
            return self.show(group_name, form, status=exc.http_status)
        messages.success(request, f"Inline policy {name} saved on {group_name}.")
        return redirect(detail_url(group_name, "permissions"))

    def show(self, group_name: str, form: InlinePolicyForm, status: int = 200) -> HttpResponse:
        return self.render(
            "console/groups/inline_create.html",
            {"title": f"Create inline policy for {group_name}", "group_name": group_name, "form": form},
            status=status,
        )


class GroupInlinePolicyView(ConsoleView):
    """An inline policy: its JSON (GetGroupPolicy), edited in place (PutGroupPolicy)."""

    def get(self, request: HttpRequest, group_name: str, policy_name: str) -> HttpResponse:
        found = group_reads.group_inline_policy(self.ctx, group_name=group_name, policy_name=policy_name)
        form = InlinePolicyForm(
            initial={"policy_name": policy_name, "policy_document": found.policy_document}
        )
        return self.show(found, form)

    def post(self, request: HttpRequest, group_name: str, policy_name: str) -> HttpResponse:
        document = request.POST.get("policy_document", "")
        form = InlinePolicyForm({"policy_name": policy_name, "policy_document": document})
        form.is_valid()  # nothing to check here (the service does), but errors can be added now
        try:
            policy_writes.put_group_policy(
                self.ctx, group_name=group_name, policy_name=policy_name, policy_document=document
            )
        except IamError as exc:
            show_error(form, exc, INLINE_FIELDS)
            found = group_reads.group_inline_policy(self.ctx, group_name=group_name, policy_name=policy_name)
            return self.show(found, form, status=exc.http_status)
        messages.success(request, f"Inline policy {policy_name} saved on {group_name}.")
        return redirect(detail_url(group_name, "permissions"))

    def show(
        self, found: group_reads.GroupInlinePolicy, form: InlinePolicyForm, status: int = 200
    ) -> HttpResponse:
        return self.render(
            "console/groups/inline_detail.html",
            {
                "title": f"Inline policy {found.policy_name}",
                "group_name": found.group.group_name,
                "policy_name": found.policy_name,
                "form": form,
                "may": _group_may(self, found.group.arn),
            },
            status=status,
        )


class GroupInlinePolicyDeleteView(ConsoleView):
    """Delete an inline policy (DeleteGroupPolicy), after a confirmation."""

    def get(self, request: HttpRequest, group_name: str, policy_name: str) -> HttpResponse:
        found = group_reads.group_inline_policy(self.ctx, group_name=group_name, policy_name=policy_name)
        return self.render(
            "console/groups/inline_delete.html",
            {
                "title": f"Delete inline policy {policy_name}",
                "group_name": found.group.group_name,
                "policy_name": policy_name,
                "may": self.may(delete=("iam:DeleteGroupPolicy", found.group.arn)),
            },
        )

    def post(self, request: HttpRequest, group_name: str, policy_name: str) -> HttpResponse:
        policy_writes.delete_group_policy(self.ctx, group_name=group_name, policy_name=policy_name)
        messages.success(request, f"Inline policy {policy_name} deleted from {group_name}.")
        return redirect(detail_url(group_name, "permissions"))


class GroupDeleteView(ConsoleView):
    """Delete: a confirmation listing the members, attached and inline policies that go first."""

    def get(self, request: HttpRequest, group_name: str) -> HttpResponse:
        return self.show(group_name, DeleteConfirmForm())

    def post(self, request: HttpRequest, group_name: str) -> HttpResponse:
        form = DeleteConfirmForm(request.POST)
        form.is_valid()
        if form.cleaned_data.get("confirm") != group_name:
            form.add_error("confirm", f"Enter {group_name} to confirm the deletion.")
            return self.show(group_name, form, status=400)
        try:
            deleted = group_writes.delete_group_and_dependents(self.ctx, group_name=group_name)
        except IamError as exc:
            show_error(form, exc, {})
            return self.show(group_name, form, status=exc.http_status)
        messages.success(request, f"User group {deleted.group_name} deleted.")
        return redirect("console:groups")

    def show(self, group_name: str, form: DeleteConfirmForm, status: int = 200) -> HttpResponse:
        dependents = group_reads.group_dependents(self.ctx, group_name=group_name)
        return self.render(
            "console/groups/delete.html",
            {
                "title": f"Delete {dependents.group.group_name}",
                "dependents": dependents,
                "group": dependents.group,
                "form": form,
                "may": self.may(delete=("iam:DeleteGroup", dependents.group.arn)),
            },
            status=status,
        )


urlpatterns: list = [
    path("groups/", GroupListView.as_view(), name="groups"),
    # "~" cannot be part of a group name, so no group's page is hidden behind this one.
    path("groups/~create/", GroupCreateView.as_view(), name="group_create"),
    path("groups/<str:group_name>/", GroupDetailView.as_view(), name="group_detail"),
    path("groups/<str:group_name>/edit/", GroupEditView.as_view(), name="group_edit"),
    path("groups/<str:group_name>/delete/", GroupDeleteView.as_view(), name="group_delete"),
    path("groups/<str:group_name>/add-users/", GroupAddUsersView.as_view(), name="group_add_users"),
    path("groups/<str:group_name>/remove-users/", GroupRemoveUsersView.as_view(), name="group_remove_users"),
    path(
        "groups/<str:group_name>/attach-policies/",
        GroupAttachPoliciesView.as_view(),
        name="group_attach_policies",
    ),
    path(
        "groups/<str:group_name>/detach-policy/", GroupDetachPolicyView.as_view(), name="group_detach_policy"
    ),
    path(
        "groups/<str:group_name>/inline/", GroupInlinePolicyCreateView.as_view(), name="group_inline_create"
    ),
    path(
        "groups/<str:group_name>/inline/<str:policy_name>/",
        GroupInlinePolicyView.as_view(),
        name="group_inline_detail",
    ),
    path(
        "groups/<str:group_name>/inline/<str:policy_name>/delete/",
        GroupInlinePolicyDeleteView.as_view(),
        name="group_inline_delete",
    ),
]
