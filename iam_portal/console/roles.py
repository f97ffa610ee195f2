"""Console pages: Roles (CONSOLE.md §10, id_roles_create_for-*, roles-managingrole-editing-console).

The list with each role's trusted entities; Create role with the trust relationship editor (a
template for this or another AWS account, an IAM user or an AWS service, with an optional external
ID and MFA condition, written out as JSON; or a custom trust policy), permissions policies, a
permissions boundary and tags, in one service call; a role's page with its summary (UpdateRole),
the Permissions, Trust relationships and Tags tabs; and Delete, which removes the role's policies
first after a confirmation that lists them.

Each view parses the request, calls one service (a write) or one selector (a read), and renders.
Controls the caller may not use are not shown; a forged request gets the AccessDenied page. What
roles share with user groups (the list, attaching and detaching policies, inline policies, Delete)
is entity_policies.py's, for ROLE.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from accounts import arns
from accounts.selectors import roles as role_reads
from accounts.services import policy_attachments as policy_writes
from accounts.services import roles as role_writes
from iam_portal.errors import AccessDeniedError, IamError

from . import ConsoleView
from .entity_policies import EntityKind, EntityListView, entity_urls, show_error, text_input

HOUR = 3600
TEMPLATES = (
    ("account", "AWS account"),
    ("user", "IAM user"),
    ("service", "AWS service"),
    ("custom", "Custom trust policy"),
)
COMMON_SERVICES = (
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "states.amazonaws.com",
    "events.amazonaws.com",
    "codebuild.amazonaws.com",
    "cloudformation.amazonaws.com",
)
ROLE_FIELDS = {
    "roleName": "role_name",
    "path": "path",
    "description": "description",
    "maxSessionDuration": "max_session_duration",
    "assumeRolePolicyDocument": "trust_policy",
    "policyDocument": "trust_policy",
    "permissionsBoundary": "permissions_boundary",
    "MalformedPolicyDocument": "trust_policy",
    "EntityAlreadyExists": "role_name",
}

# What the pages roles share with user groups (entity_policies.py) need to know about roles.
ROLE = EntityKind(
    noun="role",
    label="role",
    plural="Roles",
    tab_query="",  # Permissions is the first tab
    inline_quota="10,240",
    inline_loss="New sessions of the role lose the permissions it grants at once.",
    search=role_reads.search_roles,
    get=role_reads.get_role,
    inline_policy=role_reads.role_inline_policy,
    policy_choices=role_reads.role_choices,
    attach_policies=role_writes.attach_role_policies,
    detach_policy=policy_writes.detach_role_policy,
    put_policy=policy_writes.put_role_policy,
    delete_policy=policy_writes.delete_role_policy,
    dependents=role_reads.role_dependents,
    delete_all=role_writes.delete_role_and_dependents,
)


def duration_label(seconds: int) -> str:
    """A session duration as the console says it: "1 hour", "12 hours", "1 hour 30 minutes"."""
    hours, minutes = divmod(seconds // 60, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


DURATIONS = [(str(h * HOUR), duration_label(h * HOUR)) for h in range(1, 13)]


def trust_policy(
    template: str,
    *,
    account_id: str = "",
    user_arn: str = "",
    service: str = "",
    external_id: str = "",
    require_mfa: bool = False,
) -> str:
    """The trust policy a template stands for (static/console/roles.js writes the same text as you
    type). An external ID and MFA apply to AWS accounts and IAM users, as in the AWS console."""
    if template == "service":
        principal = {"Service": service.strip()}
    elif template == "user":
        principal = {"AWS": user_arn.strip()}
    else:
        principal = {"AWS": f"arn:aws:iam::{account_id.strip()}:root"}
    statement: dict[str, object] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    conditions: dict[str, dict[str, str]] = {}
    if template in ("account", "user"):
        if external_id.strip():
            conditions["StringEquals"] = {"sts:ExternalId": external_id.strip()}
        if require_mfa:
            conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    if conditions:
        statement["Condition"] = conditions
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


def seconds(value: str) -> int | str | None:
    """The posted duration as a number if it is one; anything else goes to the service as it came,
    so the answer is AWS's ValidationError."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isdigit() else value


class TrustForm(forms.Form):
    """The trust relationship editor: a template and its fields, or a custom policy."""

    template = forms.ChoiceField(
        label="Trusted entity type", choices=TEMPLATES, initial="account", widget=forms.RadioSelect
    )
    account_id = text_input("Account ID", maxlength=12, inputmode="numeric", autocomplete="off")
    user_arn = text_input("IAM user ARN", placeholder="arn:aws:iam::123456789012:user/name")
    service = text_input("Service principal", list="service-principals", placeholder="ec2.amazonaws.com")
    external_id = text_input("Require external ID", maxlength=1224, autocomplete="off")
    require_mfa = forms.BooleanField(label="Require MFA", required=False)
    trust_policy = forms.CharField(
        label="Trust policy (JSON)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80, "spellcheck": "false", "class": "policy-json"}),
    )

    def document(self) -> str:
        """The trust policy to send: the custom text, or the chosen template written out (server
        side too, so the editor works without JavaScript)."""
        data = self.cleaned_data
        if data.get("template") in (None, "", "custom"):
            return data.get("trust_policy", "")
        return trust_policy(
            data["template"],
            account_id=data["account_id"] or self.initial.get("account_id", ""),
            user_arn=data["user_arn"],
            service=data["service"],
            external_id=data["external_id"],
            require_mfa=data["require_mfa"],
        )


class RoleCreateForm(TrustForm):
    role_name = forms.CharField(
        label="Role name",
        required=False,
        widget=forms.TextInput(attrs={"required": True, "maxlength": 64, "autocomplete": "off"}),
        help_text="Unique in the account whatever the case; it cannot be changed later.",
    )
    path = forms.CharField(
        label="Path",
        required=False,
        initial="/",
        widget=forms.TextInput(attrs={"maxlength": 512}),
        help_text="Optional. Part of the role's ARN, e.g. /service-role/.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60, "maxlength": 1000}),
    )
    max_session_duration = forms.CharField(
        label="Maximum session duration",
        required=False,
        initial=str(HOUR),
        widget=forms.Select(choices=DURATIONS),
        help_text="How long sessions of this role may last (AssumeRole's DurationSeconds up to this).",
    )
    permissions_boundary = forms.CharField(label="Permissions boundary", required=False)

    field_order = ["role_name", "path", "description"]


class RoleEditForm(forms.Form):
    description = RoleCreateForm.base_fields["description"]
    max_session_duration = RoleCreateForm.base_fields["max_session_duration"]


class TagForm(forms.Form):
    tag_key = text_input("Key", required=True, maxlength=128)
    tag_value = text_input("Value (optional)", maxlength=256)


def _tags(keys: list[str], values: list[str]) -> list[dict[str, str]]:
    """Tag rows of the form; rows left blank are no tags."""
    return [
        {"Key": k.strip(), "Value": v.strip()}
        for k, v in zip(keys, values, strict=False)
        if k.strip() or v.strip()
    ]


class RoleListView(EntityListView):
    """Roles: name, trusted entities, creation time, maximum session duration; search; 100 a page."""

    kind = ROLE

    def rows(self, items: list) -> dict[str, object]:
        return {"rows": [(row, duration_label(row.role.max_session_duration)) for row in items]}


class RoleCreateView(ConsoleView):
    """Create role: trusted entity, permissions, boundary, name, description, duration, tags."""

    def get(self, request: HttpRequest) -> HttpResponse:
        account_id = self.ctx.account.account_id
        form = RoleCreateForm(
            initial={"account_id": account_id, "trust_policy": trust_policy("account", account_id=account_id)}
        )
        return self.show(form, [], [])

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RoleCreateForm(request.POST, initial={"account_id": self.ctx.account.account_id})
        policies = request.POST.getlist("policies")
        tags = _tags(request.POST.getlist("tag_key"), request.POST.getlist("tag_value"))
        if not form.is_valid():
            return self.show(form, policies, tags, status=400)
        data = form.cleaned_data
        document = form.document()
        try:
            role = role_writes.create_role_with_policies(
                self.ctx,
                role_name=data["role_name"],
                assume_role_policy_document=document,
                path=data["path"] or "/",
                description=data["description"] or None,
                max_session_duration=seconds(data["max_session_duration"]),
                permissions_boundary=data["permissions_boundary"] or None,
                tags=tags,
                policy_arns=policies,
            )
        except IamError as exc:
            show_error(form, exc, ROLE_FIELDS)
            return self.show(form, policies, tags, document=document, status=exc.http_status)
        messages.success(request, f"Role {role.role_name} created.")
        return redirect(ROLE.detail_url(role.role_name))

    def show(
        self,
        form: RoleCreateForm,
        policies: list[str],
        tags: list[dict],
        document: str | None = None,
        status: int = 200,
    ) -> HttpResponse:
        if document is not None and form.is_bound:
            # The editor shows the policy that was sent, so a finding's line and column point into it.
            form.data = form.data.copy()
            form.data["trust_policy"] = document
        search = self.request.GET.get("policy_q", "").strip()
        choices = role_reads.role_choices(self.ctx, policy_search=search)
        return self.render(
            "console/roles/create.html",
            {
                "title": "Create role",
                "form": form,
                "choices": choices,
                "may": self.may(
                    attach=("iam:AttachRolePolicy", arns.all_in(self.ctx.account.account_id, "role"))
                ),
                "policy_search": search,
                "checked_policies": set(policies),
                "tags": tags or [{"Key": "", "Value": ""}],
                "services": COMMON_SERVICES,
                "account_id": self.ctx.account.account_id,
            },
            status=status,
        )


class RoleDetailView(ConsoleView):
    """A role's summary with the Permissions, Trust relationships and Tags tabs."""

    TABS = ("permissions", "trust", "tags")

    def get(self, request: HttpRequest, role_name: str) -> HttpResponse:
        tab = request.GET.get("tab")
        tab = tab if tab in self.TABS else "permissions"
        summary = role_reads.role_summary(self.ctx, role_name=role_name)
        role = summary.role
        arn = role.arn
        return self.render(
            "console/roles/detail.html",
            {
                "title": role.role_name,
                "role": role,
                "kind": ROLE,
                "summary": summary,
                "tab": tab,
                "duration": duration_label(role.max_session_duration),
                "trust_json": _pretty(role.assume_role_policy_document),
                "tag_form": TagForm(),
                "may": self.may(
                    update=("iam:UpdateRole", arn),
                    update_trust=("iam:UpdateAssumeRolePolicy", arn),
                    delete=("iam:DeleteRole", arn),
                    attach=("iam:AttachRolePolicy", arn),
                    detach=("iam:DetachRolePolicy", arn),
                    put_inline=("iam:PutRolePolicy", arn),
                    get_inline=("iam:GetRolePolicy", arn),
                    delete_inline=("iam:DeleteRolePolicy", arn),
                    tag=("iam:TagRole", arn),
                    untag=("iam:UntagRole", arn),
                ),
            },
        )


def _pretty(document: str) -> str:
    """A stored policy for reading: indented if it came on one line, as it was otherwise."""
    if "\n" in document:
        return document
    try:
        return json.dumps(json.loads(document), indent=4)
    except ValueError:
        return document


class RoleEditView(ConsoleView):
    """Edit the description and maximum session duration (UpdateRole); the name cannot change."""

    def get(self, request: HttpRequest, role_name: str) -> HttpResponse:
        role = role_reads.get_role(self.ctx, role_name=role_name)
        form = RoleEditForm(
            initial={"description": role.description, "max_session_duration": str(role.max_session_duration)}
        )
        return self.show(role.role_name, form, role.max_session_duration)

    def post(self, request: HttpRequest, role_name: str) -> HttpResponse:
        form = RoleEditForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        duration = seconds(data.get("max_session_duration", ""))
        try:
            role = role_writes.update_role(
                self.ctx,
                role_name=role_name,
                description=data.get("description", ""),
                max_session_duration=duration,
            )
        except IamError as exc:
            show_error(form, exc, ROLE_FIELDS)
            return self.show(role_name, form, duration, status=exc.http_status)
        messages.success(request, f"Role {role.role_name} updated.")
        return redirect(ROLE.detail_url(role.role_name))

    def show(self, role_name: str, form: RoleEditForm, current: object, status: int = 200) -> HttpResponse:
        choices = list(DURATIONS)
        if isinstance(current, int) and str(current) not in dict(choices):
            choices.append((str(current), duration_label(current)))  # set through the API, not a whole hour
            form.fields["max_session_duration"].widget.choices = sorted(choices, key=lambda c: int(c[0]))
        return self.render(
            "console/roles/edit.html",
            {"title": f"Edit {role_name}", "role_name": role_name, "form": form},
            status=status,
        )


class RoleTrustEditView(ConsoleView):
    """Trust relationships → Edit trust policy (UpdateAssumeRolePolicy), with the engine's findings."""

    def get(self, request: HttpRequest, role_name: str) -> HttpResponse:
        role = role_reads.get_role(self.ctx, role_name=role_name)
        form = TrustForm(
            initial={
                "template": "custom",
                "account_id": self.ctx.account.account_id,
                "trust_policy": _pretty(role.assume_role_policy_document),
            }
        )
        return self.show(role.role_name, form)

    def post(self, request: HttpRequest, role_name: str) -> HttpResponse:
        form = TrustForm(request.POST, initial={"account_id": self.ctx.account.account_id})
        form.is_valid()
        document = form.document()
        try:
            role = role_writes.update_assume_role_policy(
                self.ctx, role_name=role_name, policy_document=document
            )
        except IamError as exc:
            show_error(form, exc, ROLE_FIELDS)
            form.data = form.data.copy()
            form.data["trust_policy"] = document
            return self.show(role_name, form, status=exc.http_status)
        messages.success(request, f"Trust policy of {role.role_name} updated.")
        return redirect(ROLE.detail_url(role.role_name, "trust"))

    def show(self, role_name: str, form: TrustForm, status: int = 200) -> HttpResponse:
        return self.render(
            "console/roles/trust.html",
            {
                "title": f"Edit trust policy of {role_name}",
                "role_name": role_name,
                "form": form,
                "services": COMMON_SERVICES,
                "account_id": self.ctx.account.account_id,
            },
            status=status,
        )


class RoleTagView(ConsoleView):
    """Tags tab → Add tag (TagRole): a key that exists gets the new value."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, role_name: str) -> HttpResponse:
        key, value = request.POST.get("tag_key", "").strip(), request.POST.get("tag_value", "").strip()
        try:
            role_writes.tag_role(self.ctx, role_name=role_name, tags=[{"Key": key, "Value": value}])
        except AccessDeniedError:
            raise
        except IamError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Tag {key} saved.")
        return redirect(ROLE.detail_url(role_name, "tags"))


class RoleUntagView(ConsoleView):
    """Tags tab → Remove on a tag (UntagRole)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, role_name: str) -> HttpResponse:
        key = request.POST.get("tag_key", "")
        try:
            role_writes.untag_role(self.ctx, role_name=role_name, tag_keys=[key])
        except AccessDeniedError:
            raise
        except IamError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Tag {key} removed.")
        return redirect(ROLE.detail_url(role_name, "tags"))


urlpatterns: list = [
    path("roles/", RoleListView.as_view(), name="roles"),
    # "~" cannot be part of a role name, so no role's page is hidden behind this one.
    path("roles/~create/", RoleCreateView.as_view(), name="role_create"),
    path("roles/<str:role_name>/", RoleDetailView.as_view(), name="role_detail"),
    path("roles/<str:role_name>/edit/", RoleEditView.as_view(), name="role_edit"),
    path("roles/<str:role_name>/trust/", RoleTrustEditView.as_view(), name="role_trust"),
    path("roles/<str:role_name>/tags/", RoleTagView.as_view(), name="role_tag"),
    path("roles/<str:role_name>/untag/", RoleUntagView.as_view(), name="role_untag"),
    *entity_urls(ROLE),
]
