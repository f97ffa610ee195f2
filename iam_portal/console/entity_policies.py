"""Console pages that user groups and roles share: the list, attach and detach managed policies,
create, edit and delete inline policies, and Delete with its confirmation (CONSOLE.md §7 and §10).

The views are the same for both; an EntityKind (GROUP in groups.py, ROLE in roles.py) gives them
what differs: the name in the URL, the selectors and services to call, the URL names and the labels
the shared templates (templates/console/entity/) show. Each view parses the request, calls one
service (a write) or one selector (a read), and renders; a forged request gets the AccessDenied page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode

from accounts import arns
from iam_portal.errors import AccessDeniedError, IamError

from . import ConsoleView

PAGE_SIZE = 100
# A kind's pages whose URL names templates need: console:<noun>_<page>.
PAGES = (
    "create",
    "detail",
    "attach_policies",
    "detach_policy",
    "inline_create",
    "inline_detail",
    "inline_delete",
)
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

# Where an IamError goes on the inline policy form: the field whose AWS member (or error code) it concerns.
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
    confirm = text_input("", autocomplete="off")

    def __init__(self, *args: Any, label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = f"To confirm deletion, enter the {label} name"


@dataclass(frozen=True)
class EntityKind:
    """What differs between the group and the role pages. The selectors and services are called
    with the name by its AWS member, <noun>_name= (group_name=, role_name=)."""

    noun: str  # "group": URL names (console:group_detail), the URL's <group_name>, selectors' fields
    label: str  # "user group": in sentences, the delete confirmation and its message
    plural: str  # "User groups": the list's title and the breadcrumbs
    tab_query: str  # what links back to the Permissions tab add: "?tab=permissions", or "" (first tab)
    inline_quota: str  # the characters all its inline policies may hold together: "5,120"
    inline_loss: str  # who loses an inline policy's permissions at once when it is deleted
    search: Callable[..., Any]  # the list's page (.page) and how many match (.total)
    get: Callable[..., Any]  # Get<Kind>: the group or role
    inline_policy: Callable[..., Any]  # Get<Kind>Policy with the entity (.group or .role)
    policy_choices: Callable[..., Any]  # policies it can attach (.policies, .more_policies)
    attach_policies: Callable[..., None]  # Attach<Kind>Policy for each, all or nothing
    detach_policy: Callable[..., None]  # Detach<Kind>Policy
    put_policy: Callable[..., None]  # Put<Kind>Policy
    delete_policy: Callable[..., None]  # Delete<Kind>Policy
    dependents: Callable[..., Any]  # what Delete removes first (.group or .role)
    delete_all: Callable[..., Any]  # the console's Delete (.group_name or .role_name)

    @property
    def title(self) -> str:
        """In action names: iam:Delete{title}Policy."""
        return self.noun.capitalize()

    @property
    def list_view(self) -> str:
        return f"console:{self.noun}s"

    @property
    def urls(self) -> dict[str, str]:
        """The URL names of its pages, for templates: urls.detail is "console:group_detail"."""
        return {page: f"console:{self.noun}_{page}" for page in PAGES}

    @property
    def assets(self) -> str:
        """The template that adds the area's stylesheets and scripts."""
        return f"console/{self.noun}s/_assets.html"

    def name_of(self, found: object) -> str:
        """The group_name (role_name) of an entity or of what a service answered."""
        return getattr(found, f"{self.noun}_name")

    def detail_url(self, name: str, tab: str | None = None) -> str:
        return reverse(self.urls["detail"], args=[name]) + query(tab=tab)


class EntityView(ConsoleView):
    """A page about groups or roles; `kind` (given to as_view, or set by a subclass) says which."""

    kind: EntityKind = None  # type: ignore[assignment]

    @property
    def entity_name(self) -> str:
        """The name in the URL, as the caller wrote it."""
        return self.kwargs[f"{self.kind.noun}_name"]

    @property
    def by_name(self) -> dict[str, str]:
        """That name as the selectors and services take it: {"group_name": name}."""
        return {f"{self.kind.noun}_name": self.entity_name}

    def page(self, template: str, context: dict, status: int = 200) -> HttpResponse:
        """A page whose template is laid out with the kind's labels (templates/console/entity/)."""
        return self.render(template, {"kind": self.kind, **context}, status=status)

    def back_to_permissions(self, name: str) -> HttpResponse:
        return redirect(self.kind.detail_url(name, "permissions"))


class EntityListView(EntityView):
    """The list: search by name, 100 a page. A subclass sets `kind` and says in rows() what the
    kind's list.html shows of each."""

    def rows(self, items: list) -> dict[str, object]:
        raise NotImplementedError

    def get(self, request: HttpRequest) -> HttpResponse:
        search = request.GET.get("q", "").strip()
        marker = request.GET.get("marker") or None
        listing = self.kind.search(self.ctx, search=search, marker=marker, max_items=PAGE_SIZE)
        page, every = listing.page, arns.all_in(self.ctx.account.account_id, self.kind.noun)
        return self.page(
            f"console/{self.kind.noun}s/list.html",
            {
                "title": self.kind.plural,
                "search": search,
                **self.rows(page.items),
                "total": listing.total,
                "next_query": query(q=search, marker=page.marker) if page.is_truncated else None,
                "first_query": query(q=search) or "?" if marker else None,
                "may": self.may(create=(f"iam:Create{self.kind.title}", every)),
            },
        )


class AttachPoliciesView(EntityView):
    """Permissions tab → Attach policies: check managed policies not attached yet."""

    def get(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        return self.show([])

    def post(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        name, policies = self.entity_name, request.POST.getlist("policies")
        if not policies:
            return self.show(policies, error="Select at least one policy to attach.", status=400)
        try:
            self.kind.attach_policies(self.ctx, **self.by_name, policy_arns=policies)
        except AccessDeniedError:
            raise
        except IamError as exc:
            return self.show(policies, error=exc.message, status=exc.http_status)
        count = len(policies)
        messages.success(request, f"Attached {count} polic{'ies' if count != 1 else 'y'} to {name}.")
        return self.back_to_permissions(name)

    def show(self, policies: list[str], error: str = "", status: int = 200) -> HttpResponse:
        name, search = self.entity_name, self.request.GET.get("policy_q", "").strip()
        choices = self.kind.policy_choices(self.ctx, **self.by_name, policy_search=search)
        return self.page(
            "console/entity/attach_policies.html",
            {
                "title": f"Attach policies to {name}",
                "entity_name": name,
                "choices": choices,
                "policy_search": search,
                "checked_policies": set(policies),
                "error": error,
            },
            status=status,
        )


class DetachPolicyView(EntityView):
    """Permissions tab → Remove on an attached policy (Detach<Kind>Policy; the policy stays)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        name, policy_arn = self.entity_name, request.POST.get("policy_arn", "")
        try:
            self.kind.detach_policy(self.ctx, **self.by_name, policy_arn=policy_arn)
        except AccessDeniedError:
            raise
        except IamError as exc:  # e.g. detached meanwhile
            messages.error(request, exc.message)
            return self.back_to_permissions(name)
        messages.success(request, f"Policy {policy_arn} detached from {name}.")
        return self.back_to_permissions(name)


class InlinePolicyCreateView(EntityView):
    """Permissions tab → Create inline policy (Put<Kind>Policy), written in JSON."""

    def get(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        entity = self.kind.get(self.ctx, **self.by_name)
        return self.show(self.kind.name_of(entity), InlinePolicyForm())

    def post(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        name, form = self.entity_name, InlinePolicyForm(request.POST)
        if not form.is_valid():
            return self.show(name, form, status=400)
        policy_name = form.cleaned_data["policy_name"]
        try:
            self.kind.put_policy(
                self.ctx,
                **self.by_name,
                policy_name=policy_name,
                policy_document=form.cleaned_data["policy_document"],
            )
        except IamError as exc:
            show_error(form, exc, INLINE_FIELDS)
            return self.show(name, form, status=exc.http_status)
        messages.success(request, f"Inline policy {policy_name} saved on {name}.")
        return self.back_to_permissions(name)

    def show(self, name: str, form: InlinePolicyForm, status: int = 200) -> HttpResponse:
        return self.page(
            "console/entity/inline_create.html",
            {"title": f"Create inline policy for {name}", "entity_name": name, "form": form},
            status=status,
        )


class InlinePolicyView(EntityView):
    """An inline policy: its JSON (Get<Kind>Policy), edited in place (Put<Kind>Policy)."""

    def get(self, request: HttpRequest, policy_name: str, **kwargs: str) -> HttpResponse:
        found = self.kind.inline_policy(self.ctx, **self.by_name, policy_name=policy_name)
        form = InlinePolicyForm(
            initial={"policy_name": policy_name, "policy_document": found.policy_document}
        )
        return self.show(found, form)

    def post(self, request: HttpRequest, policy_name: str, **kwargs: str) -> HttpResponse:
        name, document = self.entity_name, request.POST.get("policy_document", "")
        form = InlinePolicyForm({"policy_name": policy_name, "policy_document": document})
        form.is_valid()  # nothing to check here (the service does), but errors can be added now
        try:
            self.kind.put_policy(self.ctx, **self.by_name, policy_name=policy_name, policy_document=document)
        except IamError as exc:
            show_error(form, exc, INLINE_FIELDS)
            found = self.kind.inline_policy(self.ctx, **self.by_name, policy_name=policy_name)
            return self.show(found, form, status=exc.http_status)
        messages.success(request, f"Inline policy {policy_name} saved on {name}.")
        return self.back_to_permissions(name)

    def show(self, found: Any, form: InlinePolicyForm, status: int = 200) -> HttpResponse:
        entity, title = getattr(found, self.kind.noun), self.kind.title
        return self.page(
            "console/entity/inline_detail.html",
            {
                "title": f"Inline policy {found.policy_name}",
                "entity_name": self.kind.name_of(entity),
                "policy_name": found.policy_name,
                "form": form,
                "may": self.may(
                    put_inline=(f"iam:Put{title}Policy", entity.arn),
                    delete_inline=(f"iam:Delete{title}Policy", entity.arn),
                ),
            },
            status=status,
        )


class InlinePolicyDeleteView(EntityView):
    """Delete an inline policy (Delete<Kind>Policy), after a confirmation."""

    def get(self, request: HttpRequest, policy_name: str, **kwargs: str) -> HttpResponse:
        found = self.kind.inline_policy(self.ctx, **self.by_name, policy_name=policy_name)
        entity = getattr(found, self.kind.noun)
        return self.page(
            "console/entity/inline_delete.html",
            {
                "title": f"Delete inline policy {policy_name}",
                "entity_name": self.kind.name_of(entity),
                "policy_name": policy_name,
                "may": self.may(delete=(f"iam:Delete{self.kind.title}Policy", entity.arn)),
            },
        )

    def post(self, request: HttpRequest, policy_name: str, **kwargs: str) -> HttpResponse:
        name = self.entity_name
        self.kind.delete_policy(self.ctx, **self.by_name, policy_name=policy_name)
        messages.success(request, f"Inline policy {policy_name} deleted from {name}.")
        return self.back_to_permissions(name)


class EntityDeleteView(EntityView):
    """Delete: a confirmation listing what goes first (the kind's own template says it), then the
    console's Delete, all or nothing."""

    def get(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        return self.show(DeleteConfirmForm(label=self.kind.label))

    def post(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        name, form = self.entity_name, DeleteConfirmForm(request.POST, label=self.kind.label)
        form.is_valid()
        if form.cleaned_data.get("confirm") != name:
            form.add_error("confirm", f"Enter {name} to confirm the deletion.")
            return self.show(form, status=400)
        try:
            deleted = self.kind.delete_all(self.ctx, **self.by_name)
        except IamError as exc:
            show_error(form, exc, {})
            return self.show(form, status=exc.http_status)
        messages.success(request, f"{self.kind.label.capitalize()} {self.kind.name_of(deleted)} deleted.")
        return redirect(self.kind.list_view)

    def show(self, form: DeleteConfirmForm, status: int = 200) -> HttpResponse:
        dependents = self.kind.dependents(self.ctx, **self.by_name)
        entity = getattr(dependents, self.kind.noun)
        return self.page(
            f"console/{self.kind.noun}s/delete.html",
            {
                "title": f"Delete {self.kind.name_of(entity)}",
                "dependents": dependents,
                self.kind.noun: entity,
                "entity_name": self.kind.name_of(entity),
                "form": form,
                "may": self.may(delete=(f"iam:Delete{self.kind.title}", entity.arn)),
            },
            status=status,
        )


def entity_urls(kind: EntityKind) -> list:
    """The URLs of these pages for one kind, e.g. groups/<group_name>/attach-policies/ named
    group_attach_policies; also <noun>_delete, _detach_policy, _inline_create, _inline_detail and
    _inline_delete."""
    at, noun = f"{kind.noun}s/<str:{kind.noun}_name>/", kind.noun
    return [
        path(f"{at}delete/", EntityDeleteView.as_view(kind=kind), name=f"{noun}_delete"),
        path(f"{at}attach-policies/", AttachPoliciesView.as_view(kind=kind), name=f"{noun}_attach_policies"),
        path(f"{at}detach-policy/", DetachPolicyView.as_view(kind=kind), name=f"{noun}_detach_policy"),
        path(f"{at}inline/", InlinePolicyCreateView.as_view(kind=kind), name=f"{noun}_inline_create"),
        path(
            f"{at}inline/<str:policy_name>/",
            InlinePolicyView.as_view(kind=kind),
            name=f"{noun}_inline_detail",
        ),
        path(
            f"{at}inline/<str:policy_name>/delete/",
            InlinePolicyDeleteView.as_view(kind=kind),
            name=f"{noun}_inline_delete",
        ),
    ]
