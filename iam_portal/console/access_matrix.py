"""Console pages: the access matrix (docs/access-matrix.md), a portal extension.

/console/access/: an action (or pattern, the catalogue as suggestions) and a resource → every user
and role allowed, with the reason (policy, statement, group); /console/access/principal/: everything
one user or role may do, grouped by service. Thin views over accounts/selectors/access_matrix.py (which
authorizes); bad input is a form error, AccessDenied the error page.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.http import urlencode

from accounts.selectors import access_matrix
from iam_portal.errors import AccessDeniedError, IamError

from . import ConsoleView

PAGE_SIZE = 100


def _context_lines(text: str) -> dict[str, object]:
    """key=value lines as the selector's context; a key on several lines takes all its values."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(
                f"Line {number}: write key=value, e.g. aws:MultiFactorAuthPresent=true."
            )
        found.setdefault(key.strip(), []).append(value.strip())
    return {key: values[0] if len(values) == 1 else values for key, values in found.items()}


class _MatrixForm(forms.Form):
    resource = forms.CharField(
        label="Resource",
        max_length=access_matrix.ARN_MAX,
        initial="*",
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "* or arn:aws:iam::123456789012:user/alice", "size": 60}
        ),
        help_text='An ARN, or "*" for any resource (only grants on "*" count there).',
    )
    context = forms.CharField(
        label="Context keys",
        required=False,
        max_length=4000,
        widget=forms.Textarea(
            attrs={"rows": 2, "cols": 60, "placeholder": "aws:MultiFactorAuthPresent=true"}
        ),
        help_text="One key=value a line. Each principal's own keys (aws:username, aws:PrincipalTag/…) "
        "are added.",
    )
    include_denied = forms.BooleanField(label="Also show explicit denies", required=False)

    def clean_context(self) -> dict[str, object]:
        return _context_lines(self.cleaned_data["context"])

    def clean_resource(self) -> str:
        return self.cleaned_data["resource"].strip() or "*"


class WhoCanForm(_MatrixForm):
    action = forms.CharField(
        label="Action",
        max_length=access_matrix.ACTION_NAME_MAX,
        widget=forms.TextInput(attrs={"list": "catalogue", "placeholder": "iam:DeleteUser or iam:Delete*"}),
        help_text="An action, or a pattern with * and ?: a principal is listed when allowed any action "
        "it matches.",
    )
    field_order = ["action", "resource", "context", "include_denied"]


class PrincipalForm(_MatrixForm):
    principal_arn = forms.CharField(label="User or role ARN", max_length=access_matrix.ARN_MAX)
    field_order = ["principal_arn", "resource", "context", "include_denied"]


def _show_error(form: forms.Form, exc: IamError) -> None:
    """An input error of the selector (InvalidInput, ValidationError, NoSuchEntity) on the form."""
    if isinstance(exc, AccessDeniedError):
        raise exc  # the error page
    form.add_error(None, f"{exc.code}: {exc.message}")


class AccessMatrixView(ConsoleView):
    """Who can perform an action on a resource (GetAccountAuthorizationDetails' permission)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        asked = "action" in request.GET
        form = WhoCanForm(request.GET if asked else None)
        page, status = None, 200
        if asked and form.is_valid():
            try:
                page = access_matrix.who_can(
                    self.ctx,
                    action_name=form.cleaned_data["action"].strip(),
                    resource_arn=form.cleaned_data["resource"],
                    context=form.cleaned_data["context"],
                    include_denied=form.cleaned_data["include_denied"],
                    marker=request.GET.get("marker") or None,
                    max_items=PAGE_SIZE,
                )
            except IamError as exc:
                _show_error(form, exc)
        if asked and form.errors:
            status = 400
        params = {k: v for k, v in request.GET.items() if k != "marker"}
        return self.render(
            "console/access_matrix.html",
            {
                "title": "Access matrix",
                "form": form,
                "page": page,
                "catalogue": access_matrix.CATALOGUE,
                "resource": form.cleaned_data.get("resource", "*") if page else "*",
                "next_query": urlencode({**params, "marker": page.marker})
                if page and page.is_truncated
                else None,
                "first_query": urlencode(params) if request.GET.get("marker") else None,
            },
            status=status,
        )


class AccessPrincipalView(ConsoleView):
    """What one user or role may do, by service (SimulatePrincipalPolicy's permission on it)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        asked = "principal_arn" in request.GET
        form = PrincipalForm(request.GET if asked else None)
        result, status = None, 200
        if asked and form.is_valid():
            try:
                result = access_matrix.principal_actions(
                    self.ctx,
                    principal_arn=form.cleaned_data["principal_arn"].strip(),
                    resource_arn=form.cleaned_data["resource"],
                    context=form.cleaned_data["context"],
                    include_denied=form.cleaned_data["include_denied"],
                    max_items=1000,  # the whole catalogue fits one page
                )
            except IamError as exc:
                _show_error(form, exc)
        if asked and form.errors:
            status = 400
        title = f"What can {result.principal_name} do?" if result else "What can this principal do?"
        return self.render(
            "console/access_matrix_principal.html",
            {
                "title": title,
                "form": form,
                "result": result,
                "services": [
                    {"name": service, "rows": [{"item": i, "word": ACCESS_WORDS[i.access]} for i in items]}
                    for service, items in (result.by_service if result else [])
                ],
            },
            status=status,
        )


ACCESS_WORDS = {
    access_matrix.ALL_RESOURCES: "All resources",
    access_matrix.SOME_RESOURCES: "Some resources",
    access_matrix.CONDITIONAL: "With conditions",
    access_matrix.THIS_RESOURCE: "This resource",
    access_matrix.DENIED: "Explicitly denied",
}

urlpatterns: list = [
    path("access/", AccessMatrixView.as_view(), name="access_matrix"),
    path("access/principal/", AccessPrincipalView.as_view(), name="access_matrix_principal"),
]
