"""Console: the credential report (IAM → Credential report → Download Report): GenerateCredentialReport
then GetCredentialReport, served as a CSV file.

Thin views: the POST writes through the service (which authorizes and audits), the GET reads through
the selector; an IamError (AccessDenied, ReportNotPresent, ReportExpired) lands on the error page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from accounts.selectors import credential_report as report_reads
from accounts.services import credential_report

from . import ConsoleView

GENERATE, GET = "iam:GenerateCredentialReport", "iam:GetCredentialReport"


class CredentialReportDownloadView(ConsoleView):
    """POST: generate the report (or keep one younger than 4 hours), then download it; GET: download."""

    http_method_names = ["get", "post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        credential_report.generate_credential_report(self.ctx)
        # Post/redirect/get: reloading the download does not generate (and audit) again.
        return redirect("console:credential_report_download")

    def get(self, request: HttpRequest) -> HttpResponse:
        report = report_reads.get_credential_report(self.ctx)
        response = HttpResponse(report.content, content_type=f"{report_reads.REPORT_FORMAT}; charset=utf-8")
        stamp = report.generated_time.strftime("%Y%m%dT%H%M%SZ")
        # AWS's console names the file status_reports_<time>.csv.
        response["Content-Disposition"] = f'attachment; filename="status_reports_{stamp}.csv"'
        response["Cache-Control"] = "no-store"  # who has which credential: not for shared caches
        return response


urlpatterns: list = [
    path(
        "account-settings/credential-report/",
        CredentialReportDownloadView.as_view(),
        name="credential_report_download",
    ),
]
