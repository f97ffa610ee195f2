"""The credential report: GetCredentialReport (the stored CSV; QUOTAS.md §5)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from iam_portal.errors import ReportExpiredError, ReportNotPresentError

from ..authz import authorize
from ..context import RequestContext
from ..models import CredentialReport

REPORT_FORMAT = "text/csv"
# AWS regenerates a report only when the stored one is older than this, and GetCredentialReport
# answers ReportExpired for such a report: the caller must generate a new one.
REPORT_LIFETIME = timedelta(hours=4)


# AWS's codes and statuses (API.md); kept here until iam_portal/errors.py takes them.
NOT_PRESENT = (
    "The credential report does not exist. To generate a credential report, use GenerateCredentialReport."
)
EXPIRED = (
    "The most recent credential report has expired. To generate a new credential report, "
    "use GenerateCredentialReport."
)


def get_credential_report(ctx: RequestContext) -> CredentialReport:
    """GetCredentialReport: the account's report (content: the CSV; ReportFormat text/csv)."""
    authorize(ctx, "iam:GetCredentialReport", "*")  # no resource type in IAM: always "*"
    report = CredentialReport.objects.filter(account=ctx.account).first()
    if report is None:
        raise ReportNotPresentError(NOT_PRESENT)
    if timezone.now() - report.generated_time >= REPORT_LIFETIME:
        raise ReportExpiredError(EXPIRED)
    return report
