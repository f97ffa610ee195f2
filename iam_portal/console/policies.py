"""Console pages: Policies — the list (by type, use and name), Create policy with the JSON editor and
the engine's findings shown live, a policy's page (Permissions, Policy usage, Policy versions, Tags),
Edit (a new default version, as the IAM console saves it), comparing two versions, attaching and
detaching, and Delete (which detaches the policy and deletes its other versions first).

Thin views: each request reads through one selector or writes through one service; the services
authorize (a forged POST gets the AccessDenied page) and audit. Controls the caller may not use are
not shown (ConsoleView.may). AWS managed policies are read-only: no edit, delete or tag controls.
Policies are addressed by ARN, which always starts with "arn:", so no action word can be taken for one.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path, re_path, reverse

from accounts.services import policy_attachments
from iam_portal.errors import (
    AccessDeniedError,
    EntityAlreadyExistsError,
    IamError,
    InvalidInputError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    ValidationError,
    validation_error,
)
from policies import selectors, services
from policies.services import MAX_VERSIONS_PER_POLICY

from . import ConsoleView
from .fields import PolicyDocumentField

LIST = "console:policies"
PAGE_SIZE = 100
SECTIONS = ("permissions", "usage", "versions", "tags")
# ?type= → (label, ListPolicies Scope); ?used_as= → (label, PolicyUsageFilter)
TYPES = {"": ("All types", "All"), "aws": ("AWS managed", "AWS"), "customer": ("Customer managed", "Local")}
USES = {
    "": ("Any use", None),
    "permissions": ("Permissions policy", "PermissionsPolicy"),
    "boundary": ("Permissions boundary", "PermissionsBoundary"),
}
KINDS = ("User", "Group", "Role")
ATTACH = {
    "User": policy_attachments.attach_user_policy,
    "Group": policy_attachments.attach_group_policy,
    "Role": policy_attachments.attach_role_policy,
}
DETACH = {
    "User": policy_attachments.detach_user_policy,
    "Group": policy_attachments.detach_group_policy,
    "Role": policy_attachments.detach_role_policy,
}
NEW_DOCUMENT = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Statement1",
            "Effect": "Allow",
            "Action": [],
            "Resource": []
        }
    ]
}"""
_MEMBER = re.compile(r"at '([\w.]+)' failed to satisfy constraint")
# AWS member name (in a ValidationError) → the form field that carries it
_FIELDS = {
    "policyName": "policy_name",
    "path": "path",
    "description": "description",
    "policyDocument": "policy_document",
    "tags": "tags",
    "tagKeys": "key",
    "userName": "entity_name",
    "groupName": "entity_name",
    "roleName": "entity_name",
}


def policy_name(policy_arn: str) -> str:
    """The name at the end of a policy ARN (for titles when nothing has been read)."""
    return policy_arn.rsplit("/", 1)[-1]


def detail_url(policy_arn: str, section: str = "permissions") -> str:
    url = reverse("console:policy_detail", kwargs={"policy_arn": policy_arn})
    return url if section == "permissions" else f"{url}?{urlencode({'section': section})}"


def _all_of(ctx, kind: str) -> str:
    """The resource a control for "some user / group / role" is decided on."""
    return f"arn:aws:iam::{ctx.account.account_id}:{kind}/*"


def _field_for(form: forms.Form, exc: IamError) -> str | None:
    """The form field an IamError concerns (AWS names the member in a ValidationError), or None."""
    match = _MEMBER.search(exc.message) if isinstance(exc, ValidationError) else None
    if match:
        member = match.group(1)
        if member.startswith("tags."):  # tags.1.member.key / tags.1.member.value
            candidates = [member.rsplit(".", 1)[-1], "tags"]
        else:
            candidates = [_FIELDS.get(member, "")]
    elif isinstance(exc, MalformedPolicyDocumentError) or "PolicySize" in exc.message:
        candidates = ["policy_document"]
    elif isinstance(exc, EntityAlreadyExistsError):
        candidates = ["policy_name"]
    elif isinstance(exc, NoSuchEntityError) and "with name" in exc.message:
        candidates = ["entity_name"]  # the user, group or role to attach to
    elif "tag" in exc.message.lower():
        candidates = ["tags", "key"]
    else:
        candidates = []
    return next((name for name in candidates if name in form.fields), None)


def _show_on_form(form: forms.Form, exc: IamError) -> None:
    """An IamError on the field it concerns, else above the form."""
    form.add_error(_field_for(form, exc), exc.message)


def _tags(text: str) -> list[dict[str, str]]:
    """Tags typed one per line as key=value (a line without "=" is a key with an empty value)."""
    tags = []
    for line in text.splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            tags.append({"Key": key.strip(), "Value": value.strip()})
    return tags


# Forms --------------------------------------------------------------------------------------------
# Fields are optional here: the services check every member and their AWS messages go on the fields.


def _editor(**attrs: str) -> forms.Textarea:
    return forms.Textarea(
        attrs={
            "class": "vLargeTextField policy-editor",
            "rows": "20",
            "spellcheck": "false",
            "autocomplete": "off",
            "autocapitalize": "off",
            "data-policy-editor": "",
            "aria-describedby": "policy-findings-summary",
            **attrs,
        }
    )


class PolicyCreateForm(forms.Form):
    policy_name = forms.CharField(
        label="Policy name",
        required=False,
        help_text="Up to 128 letters, digits and + = , . @ _ - ; unique in the account, whatever the case.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": "2"}), strip=False
    )
    path = forms.CharField(
        label="Path",
        required=False,
        initial="/",
        help_text="Optional, for organizing policies: / or /like/this/.",
    )
    policy_document = PolicyDocumentField(label="Policy editor (JSON)", widget=_editor())
    tags = forms.CharField(
        label="Tags",
        required=False,
        widget=forms.Textarea(attrs={"rows": "3"}),
        help_text="Optional. One tag per line, as key=value.",
    )


class PolicyVersionForm(forms.Form):
    policy_document = PolicyDocumentField(label="Policy editor (JSON)", widget=_editor())
    set_as_default = forms.BooleanField(
        label="Set this new version as the default",
        required=False,
        initial=True,
        help_text="The default version is the one in force for every user, group and role it is attached to.",
    )


class AttachForm(forms.Form):
    entity_type = forms.ChoiceField(label="Attach to a", choices=[(k, k.lower()) for k in KINDS])
    entity_name = forms.CharField(label="Name", required=False)


class TagForm(forms.Form):
    key = forms.CharField(label="Key", required=False, strip=False)
    value = forms.CharField(label="Value", required=False, strip=False)


class DeleteConfirmForm(forms.Form):
    confirm = forms.CharField(label="To confirm deletion, enter the policy name", required=False)


# The list -----------------------------------------------------------------------------------------


class PolicyListView(ConsoleView):
    """Policies: AWS managed and customer managed, filtered by type and use, searched by name."""

    def get(self, request: HttpRequest) -> HttpResponse:
        kind = request.GET.get("type", "") if request.GET.get("type", "") in TYPES else ""
        used_as = request.GET.get("used_as", "") if request.GET.get("used_as", "") in USES else ""
        query = request.GET.get("q", "").strip()
        page = selectors.find_policies(
            self.ctx,
            scope=TYPES[kind][1],
            name_contains=query,
            policy_usage_filter=USES[used_as][1],
            marker=request.GET.get("marker") or None,
            max_items=PAGE_SIZE,
        )
        may = self.may(create=("iam:CreatePolicy", f"arn:aws:iam::{self.ctx.account.account_id}:policy/*"))
        current = {"type": kind, "used_as": used_as, "q": query}

        def link(**changes: str) -> str:
            params = {k: v for k, v in {**current, **changes}.items() if v}
            return f"?{urlencode(params)}" if params else "?"

        filters = [
            ("By type", [(label, link(type=key), key == kind) for key, (label, _) in TYPES.items()]),
            ("By use", [(label, link(used_as=key), key == used_as) for key, (label, _) in USES.items()]),
        ]
        return self.render(
            "console/policies/list.html",
            {
                "title": "Policies",
                "page": page,
                "policies": page.items,
                "filters": filters,
                "query": query,
                "kind": kind,
                "used_as": used_as,
                "filtered": bool(kind or used_as or query),
                "next_url": link(marker=page.marker) if page.is_truncated else None,
                "first_url": link() if request.GET.get("marker") else None,
                "may": may,
            },
        )


# Create, validate, edit ---------------------------------------------------------------------------


class PolicyCreateView(ConsoleView):
    """Create policy: name, path, description, tags and the JSON document, with live findings."""

    template = "console/policies/create.html"

    def show(self, form: PolicyCreateForm, status: int = 200) -> HttpResponse:
        may = self.may(create=("iam:CreatePolicy", f"arn:aws:iam::{self.ctx.account.account_id}:policy/*"))
        return self.render(self.template, {"title": "Create policy", "form": form, "may": may}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(PolicyCreateForm(initial={"policy_document": NEW_DOCUMENT, "path": "/"}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PolicyCreateForm(request.POST)
        form.is_valid()  # every field is optional: the service checks them
        data = form.cleaned_data
        try:
            policy = services.create_policy(
                self.ctx,
                policy_name=data["policy_name"],
                policy_document=data["policy_document"],
                path=data["path"] or "/",
                description=data["description"] or None,
                tags=_tags(data["tags"]),
            )
        except AccessDeniedError:
            raise  # the AccessDenied page
        except IamError as exc:
            _show_on_form(form, exc)
            return self.show(form, status=exc.http_status)
        messages.success(request, f"Policy {policy.policy_name} created.")
        return redirect(detail_url(policy.arn))


class PolicyValidateView(ConsoleView):
    """The editor's findings as JSON (Access Analyzer's ValidatePolicy), for the live pane."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            findings = selectors.validate_policy_document(
                self.ctx,
                policy_document=request.POST.get("policy_document", ""),
                policy_type=request.POST.get("policy_type", "IDENTITY_POLICY"),
                validate_policy_resource_type=request.POST.get("validate_policy_resource_type") or None,
            )
        except IamError as exc:
            return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.http_status)
        counts = dict.fromkeys(("ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"), 0)
        for finding in findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return JsonResponse(
            {
                "findings": [
                    {**finding.as_dict(), "message": f"{finding.title}: {finding.detail}"}
                    for finding in findings
                ],
                "counts": counts,
            }
        )


class PolicyEditView(ConsoleView):
    """Edit policy: the document becomes a new version, the default one unless unticked (≤ 5 versions)."""

    template = "console/policies/edit.html"

    def show(self, policy_arn: str, form: PolicyVersionForm, status: int = 200) -> HttpResponse:
        may = self.may(save=("iam:CreatePolicyVersion", policy_arn))
        return self.render(
            self.template,
            {
                "title": f"Edit policy {policy_name(policy_arn)}",
                "policy_arn": policy_arn,
                "name": policy_name(policy_arn),
                "form": form,
                "may": may,
                "max_versions": MAX_VERSIONS_PER_POLICY,
            },
            status=status,
        )

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        details = selectors.get_policy_details(self.ctx, policy_arn=policy_arn, include=("document",))
        if details.policy.account_id is None:
            raise InvalidInputError("Cannot modify an AWS managed policy.")  # as the service would say
        document = selectors.formatted_document(details.default_version.document)
        return self.show(details.policy.arn, PolicyVersionForm(initial={"policy_document": document}))

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        form = PolicyVersionForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        try:
            version = services.create_policy_version(
                self.ctx,
                policy_arn=policy_arn,
                policy_document=data["policy_document"],
                set_as_default=data["set_as_default"],
            )
        except AccessDeniedError:
            raise
        except IamError as exc:
            _show_on_form(form, exc)
            return self.show(policy_arn, form, status=exc.http_status)
        if version.is_default:
            messages.success(
                request,
                f"Policy {policy_name(policy_arn)} updated: {version.version_id} is the default version.",
            )
            return redirect(detail_url(policy_arn))
        messages.success(
            request,
            f"Version {version.version_id} of {policy_name(policy_arn)} created; "
            "the default version is unchanged.",
        )
        return redirect(detail_url(policy_arn, "versions"))


# A policy's page ----------------------------------------------------------------------------------


class PolicyDetailView(ConsoleView):
    """A policy's summary and one tab: Permissions, Policy usage, Policy versions or Tags."""

    PARTS = {
        "permissions": ("document",),
        "usage": ("entities",),
        "versions": ("versions",),
        "tags": ("tags",),
    }

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        section = request.GET.get("section", "permissions")
        section = section if section in SECTIONS else "permissions"
        details = selectors.get_policy_details(
            self.ctx,
            policy_arn=policy_arn,
            include=self.PARTS[section],
            entities_marker=request.GET.get("marker") or None,
        )
        policy = details.policy
        customer = policy.account_id is not None
        if section == "tags" and not customer:
            return redirect(detail_url(policy.arn))  # AWS managed policies have no Tags tab
        checks = {
            f"attach_{kind}": (f"iam:Attach{kind}Policy", _all_of(self.ctx, kind.lower())) for kind in KINDS
        }
        if customer:
            checks |= {
                "edit": ("iam:CreatePolicyVersion", policy.arn),
                "delete": ("iam:DeletePolicy", policy.arn),
                "set_default": ("iam:SetDefaultPolicyVersion", policy.arn),
                "delete_version": ("iam:DeletePolicyVersion", policy.arn),
                "tag": ("iam:TagPolicy", policy.arn),
                "untag": ("iam:UntagPolicy", policy.arn),
            }
        usage = []
        if details.entities is not None:
            for kind, entities in (
                ("Group", details.entities.groups),
                ("User", details.entities.users),
                ("Role", details.entities.roles),
            ):
                for entity in entities:
                    checks[f"detach {kind} {entity.pk}"] = (f"iam:Detach{kind}Policy", entity.arn)
                    usage.append((kind, entity))
        may = self.may(**checks)
        context = {
            "title": policy.policy_name,
            "policy": policy,
            "customer": customer,
            "section": section,
            "sections": [
                (key, label, detail_url(policy.arn, key))
                for key, label in (
                    ("permissions", "Permissions"),
                    ("usage", "Policy usage"),
                    ("versions", "Policy versions"),
                    ("tags", "Tags"),
                )
                if key != "tags" or customer
            ],
            "may": may,
            "can_attach": any(may[f"attach_{kind}"] for kind in KINDS),
            "max_versions": MAX_VERSIONS_PER_POLICY,
        }
        if details.default_version is not None:
            context["document"] = selectors.formatted_document(details.default_version.document)
        if details.versions is not None:
            context["versions"] = details.versions
            context["at_version_limit"] = len(details.versions) >= MAX_VERSIONS_PER_POLICY
        if details.entities is not None:
            context["usage"] = [
                {
                    "kind": kind,
                    "name": getattr(entity, f"{kind.lower()}_name"),
                    "arn": entity.arn,
                    "detach": may[f"detach {kind} {entity.pk}"],
                }
                for kind, entity in usage
            ]
            if details.entities.is_truncated:
                context["next_url"] = (
                    f"{detail_url(policy.arn, 'usage')}&{urlencode({'marker': details.entities.marker})}"
                )
        if details.tags is not None:
            context["tags"] = details.tags
        return self.render("console/policies/detail.html", context)


class PolicyVersionCompareView(ConsoleView):
    """Two versions side by side, line by line."""

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        comparison = selectors.compare_policy_versions(
            self.ctx,
            policy_arn=policy_arn,
            version_id=request.GET.get("version_id", ""),
            other_version_id=request.GET.get("other_version_id", ""),
        )
        return self.render(
            "console/policies/compare.html",
            {
                "title": f"Compare {comparison.old.version_id} and {comparison.new.version_id}",
                "policy": comparison.policy,
                "comparison": comparison,
            },
        )


class PolicyVersionSetDefaultView(ConsoleView):
    """Set as default (SetDefaultPolicyVersion)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        version_id = request.POST.get("version_id", "")
        services.set_default_policy_version(self.ctx, policy_arn=policy_arn, version_id=version_id)
        messages.success(
            request, f"Version {version_id} is now the default version of {policy_name(policy_arn)}."
        )
        return redirect(detail_url(policy_arn, "versions"))


class PolicyVersionDeleteView(ConsoleView):
    """Delete a version that is not the default, after a confirmation."""

    template = "console/policies/delete_version.html"

    def show(self, policy_arn: str, version_id: str, error: IamError | None = None) -> HttpResponse:
        return self.render(
            self.template,
            {
                "title": f"Delete version {version_id}",
                "policy_arn": policy_arn,
                "name": policy_name(policy_arn),
                "version_id": version_id,
                "error": error,
                "may": self.may(delete=("iam:DeletePolicyVersion", policy_arn)),
            },
            status=error.http_status if error else 200,
        )

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        version = selectors.get_policy_version(
            self.ctx, policy_arn=policy_arn, version_id=request.GET.get("version_id", "")
        )
        if version.is_default:
            return self.render(
                self.template,
                {
                    "title": f"Delete version {version.version_id}",
                    "policy_arn": policy_arn,
                    "name": policy_name(policy_arn),
                    "version_id": version.version_id,
                    "is_default": True,
                },
            )
        return self.show(policy_arn, version.version_id)

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        version_id = request.POST.get("version_id", "")
        try:
            services.delete_policy_version(self.ctx, policy_arn=policy_arn, version_id=version_id)
        except AccessDeniedError:
            raise
        except IamError as exc:
            return self.show(policy_arn, version_id, exc)
        messages.success(request, f"Version {version_id} of {policy_name(policy_arn)} deleted.")
        return redirect(detail_url(policy_arn, "versions"))


# Usage: attach and detach -------------------------------------------------------------------------


class PolicyAttachView(ConsoleView):
    """Attach the policy to a user, group or role of the account."""

    template = "console/policies/attach.html"

    def show(self, policy_arn: str, form: AttachForm, status: int = 200) -> HttpResponse:
        may = self.may(
            **{kind: (f"iam:Attach{kind}Policy", _all_of(self.ctx, kind.lower())) for kind in KINDS}
        )
        return self.render(
            self.template,
            {
                "title": f"Attach {policy_name(policy_arn)}",
                "policy_arn": policy_arn,
                "name": policy_name(policy_arn),
                "form": form,
                "can_attach": any(may.values()),
            },
            status=status,
        )

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        kind = request.GET.get("entity_type", "User")
        return self.show(policy_arn, AttachForm(initial={"entity_type": kind if kind in KINDS else "User"}))

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        form = AttachForm(request.POST)
        if not form.is_valid():  # only entity_type can be wrong: a choice that is not offered
            return self.show(policy_arn, form, status=400)
        kind, name = form.cleaned_data["entity_type"], form.cleaned_data["entity_name"]
        try:
            ATTACH[kind](self.ctx, **{f"{kind.lower()}_name": name, "policy_arn": policy_arn})
        except AccessDeniedError:
            raise
        except IamError as exc:
            _show_on_form(form, exc)
            return self.show(policy_arn, form, status=exc.http_status)
        messages.success(request, f"Policy {policy_name(policy_arn)} attached to {kind.lower()} {name}.")
        return redirect(detail_url(policy_arn, "usage"))


class PolicyDetachView(ConsoleView):
    """Detach the policy from one user, group or role (the Policy usage tab's Detach button)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        kind, name = request.POST.get("entity_type", ""), request.POST.get("entity_name", "")
        if kind not in KINDS:  # only a forged form sends another
            raise validation_error(kind, "entityType", f"satisfy enum value set: [{', '.join(KINDS)}]")
        DETACH[kind](self.ctx, **{f"{kind.lower()}_name": name, "policy_arn": policy_arn})
        messages.success(request, f"Policy {policy_name(policy_arn)} detached from {kind.lower()} {name}.")
        return redirect(detail_url(policy_arn, "usage"))


# Tags ---------------------------------------------------------------------------------------------


class PolicyTagView(ConsoleView):
    """Add a tag (or give an existing key a new value): TagPolicy."""

    template = "console/policies/tag.html"

    def show(self, policy_arn: str, form: TagForm, status: int = 200) -> HttpResponse:
        return self.render(
            self.template,
            {
                "title": f"Add a tag to {policy_name(policy_arn)}",
                "policy_arn": policy_arn,
                "name": policy_name(policy_arn),
                "form": form,
                "may": self.may(tag=("iam:TagPolicy", policy_arn)),
            },
            status=status,
        )

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        return self.show(policy_arn, TagForm())

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        form = TagForm(request.POST)
        form.is_valid()
        key, value = form.cleaned_data["key"], form.cleaned_data["value"]
        try:
            services.tag_policy(self.ctx, policy_arn=policy_arn, tags=[{"Key": key, "Value": value}])
        except AccessDeniedError:
            raise
        except IamError as exc:
            _show_on_form(form, exc)
            return self.show(policy_arn, form, status=exc.http_status)
        messages.success(request, f"Tag {key} saved on {policy_name(policy_arn)}.")
        return redirect(detail_url(policy_arn, "tags"))


class PolicyUntagView(ConsoleView):
    """Remove a tag: UntagPolicy."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        key = request.POST.get("tag_key", "")
        services.untag_policy(self.ctx, policy_arn=policy_arn, tag_keys=[key])
        messages.success(request, f"Tag {key} removed from {policy_name(policy_arn)}.")
        return redirect(detail_url(policy_arn, "tags"))


# Delete -------------------------------------------------------------------------------------------


class PolicyDeleteView(ConsoleView):
    """Delete policy: confirm what goes with it (attachments, other versions), typing its name."""

    template = "console/policies/delete.html"

    def show(self, policy_arn: str, form: DeleteConfirmForm, status: int = 200) -> HttpResponse:
        dependents = selectors.get_policy_dependents(self.ctx, policy_arn=policy_arn)
        policy = dependents.policy
        may = self.may(delete=("iam:DeletePolicy", policy.arn)) if dependents.deletable else {"delete": False}
        return self.render(
            self.template,
            {
                "title": f"Delete {policy.policy_name}",
                "policy": policy,
                "dependents": dependents,
                "attached": [
                    (kind, getattr(entity, f"{kind.lower()}_name")) for kind, entity in dependents.attached_to
                ],
                "boundary_of": [
                    (kind, getattr(entity, f"{kind.lower()}_name")) for kind, entity in dependents.boundary_of
                ],
                "form": form,
                "may": may,
            },
            status=status,
        )

    def get(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        return self.show(policy_arn, DeleteConfirmForm())

    def post(self, request: HttpRequest, policy_arn: str) -> HttpResponse:
        form = DeleteConfirmForm(request.POST)
        form.is_valid()
        name = policy_name(policy_arn)
        if form.cleaned_data["confirm"] != name:
            form.add_error("confirm", f"Enter the policy name, {name}, to confirm deletion.")
            return self.show(policy_arn, form, status=400)
        try:
            deleted = services.delete_policy_and_dependents(self.ctx, policy_arn=policy_arn)
        except AccessDeniedError:
            raise
        except IamError as exc:
            # The confirmation again, now with why it failed (what is attached may have changed).
            form.add_error(None, exc.message)
            return self.show(policy_arn, form, status=exc.http_status)
        what = [f"Policy {name} deleted"]
        if deleted.detached_from:
            count = len(deleted.detached_from)
            what.append(f"detached from {count} {'entity' if count == 1 else 'entities'}")
        if deleted.deleted_versions:
            what.append(f"versions {', '.join(deleted.deleted_versions)} deleted")
        messages.success(request, "; ".join(what) + ".")
        return redirect(LIST)


_ARN = r"(?P<policy_arn>arn:.+)"

urlpatterns: list = [
    path("policies/", PolicyListView.as_view(), name="policies"),
    path("policies/create/", PolicyCreateView.as_view(), name="policy_create"),
    path("policies/validate/", PolicyValidateView.as_view(), name="policy_validate"),
    re_path(rf"^policies/edit/{_ARN}/$", PolicyEditView.as_view(), name="policy_edit"),
    re_path(rf"^policies/delete/{_ARN}/$", PolicyDeleteView.as_view(), name="policy_delete"),
    re_path(rf"^policies/compare/{_ARN}/$", PolicyVersionCompareView.as_view(), name="policy_compare"),
    re_path(
        rf"^policies/set-default/{_ARN}/$", PolicyVersionSetDefaultView.as_view(), name="policy_set_default"
    ),
    re_path(
        rf"^policies/delete-version/{_ARN}/$", PolicyVersionDeleteView.as_view(), name="policy_delete_version"
    ),
    re_path(rf"^policies/attach/{_ARN}/$", PolicyAttachView.as_view(), name="policy_attach"),
    re_path(rf"^policies/detach/{_ARN}/$", PolicyDetachView.as_view(), name="policy_detach"),
    re_path(rf"^policies/tag/{_ARN}/$", PolicyTagView.as_view(), name="policy_tag"),
    re_path(rf"^policies/untag/{_ARN}/$", PolicyUntagView.as_view(), name="policy_untag"),
    re_path(rf"^policies/{_ARN}/$", PolicyDetailView.as_view(), name="policy_detail"),
]
