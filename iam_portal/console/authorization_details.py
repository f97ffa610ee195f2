"""Console: the account's authorization details on Account settings — download them as JSON
(GetAccountAuthorizationDetails, every page) and import such a file (the portal's import service).

Thin views: the download reads through the selector, the import writes through one service (which
authorizes each write, audits it and undoes everything on the first error); an error is shown on
the form, naming the item of the file it concerns.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from accounts.selectors import authorization_details as details_reads
from accounts.services import account_import
from iam_portal.errors import IamError

from . import ConsoleView

PAGE_SIZE = 1000  # AWS's largest MaxItems: the fewest pages


class AuthorizationDetailsImportForm(forms.Form):
    file = forms.FileField(
        label="Authorization details (JSON)",
        help_text="A file from “Download authorization details”, `aws iam get-account-authorization-details` "
        "or the REST API. Passwords, access keys and MFA devices are never part of it.",
    )
    on_conflict = forms.ChoiceField(
        label="When an entity exists already",
        choices=[
            (account_import.FAIL, "Stop and import nothing"),
            (account_import.SKIP, "Leave it as it is and import the rest"),
        ],
        initial=account_import.FAIL,
        required=False,  # left out: stop on a conflict, the service's default
    )


class AuthorizationDetailsDownloadView(ConsoleView):
    """Every user, group, role and managed policy of the account, as one JSON file."""

    def get(self, request: HttpRequest) -> HttpResponse:
        merged: dict = {name: [] for name in details_reads.LISTS}
        marker = None
        while True:  # the selector's pages, joined as the AWS CLI joins them
            page = details_reads.get_account_authorization_details(
                self.ctx, marker=marker, max_items=PAGE_SIZE
            )
            shaped = details_reads.as_aws(page, json.loads)
            for name in details_reads.LISTS:
                merged[name] += shaped[name]
            if not page.is_truncated:
                break
            marker = page.marker
        body = json.dumps(merged, indent=2, default=_timestamp)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        name = f"authorization-details-{self.ctx.account.account_id}-{stamp}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"  # who may do what: not for shared caches
        return response


def _timestamp(value: datetime) -> str:
    """Dates as AWS writes them (2026-01-31T12:00:00Z)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AuthorizationDetailsImportView(ConsoleView):
    """Import users, groups, roles and policies from a file; the page then lists what was created."""

    template = "console/account_settings/authorization_details_import.html"

    def show(self, form: AuthorizationDetailsImportForm, summary=None, status: int = 200) -> HttpResponse:
        return self.render(
            self.template,
            {"title": "Import authorization details", "form": form, "summary": summary},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(AuthorizationDetailsImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AuthorizationDetailsImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.show(form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > account_import.MAX_DOCUMENT_BYTES:
            form.add_error("file", f"The file is larger than {account_import.MAX_DOCUMENT_BYTES} bytes.")
            return self.show(form, status=400)
        try:
            summary = account_import.import_account_authorization_details(
                self.ctx,
                content=upload.read(),
                on_conflict=form.cleaned_data["on_conflict"] or account_import.FAIL,
            )
        except IamError as exc:  # a denial too: it names the write the caller may not make
            form.add_error("file", f"{exc.code}: {exc.message}")
            return self.show(form, status=exc.http_status)
        return self.show(AuthorizationDetailsImportForm(), summary=summary)


urlpatterns: list = [
    path(
        "account-settings/authorization-details/",
        AuthorizationDetailsDownloadView.as_view(),
        name="authorization_details_download",
    ),
    path(
        "account-settings/authorization-details/import/",
        AuthorizationDetailsImportView.as_view(),
        name="authorization_details_import",
    ),
]
