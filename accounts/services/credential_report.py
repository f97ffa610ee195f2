"""The credential report: GenerateCredentialReport (AWS's 22 CSV columns, QUOTAS.md §5).

Generation is synchronous here, so a report is never "in progress" (AWS's ReportInProgress never
happens). A report is regenerated at most once every 4 hours; the account keeps one, as AWS does.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from .. import audit
from ..authz import authorize
from ..context import RequestContext
from ..models import AccessKey, Account, CredentialReport, MFADevice, PasswordPolicy, User
from ..selectors.credential_report import REPORT_LIFETIME

COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)

ROOT_NAME = "<root_account>"
TRUE, FALSE, NA, NO_INFORMATION, NOT_SUPPORTED = "TRUE", "FALSE", "N/A", "no_information", "not_supported"

STARTED, COMPLETE = "STARTED", "COMPLETE"
STARTED_DESCRIPTION = "No report exists. Starting a new report generation task"
REGENERATED_DESCRIPTION = "Report is older than 4 hours. Starting a new report generation task"
COMPLETE_DESCRIPTION = "Report generation is complete"


@dataclass(frozen=True)
class ReportState:
    """GenerateCredentialReport's answer: State (STARTED|INPROGRESS|COMPLETE) and Description."""

    state: str
    description: str


def iso(moment: datetime | None, none: str = NA) -> str:
    """A report time: ISO 8601 in UTC with +00:00 and whole seconds, as AWS writes them."""
    if moment is None:
        return none
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _flag(value: bool) -> str:
    return TRUE if value else FALSE


def _key_columns(key: AccessKey | None) -> list[str]:
    """access_key_N_{active,last_rotated,last_used_date,last_used_region,last_used_service}."""
    if key is None:
        return [FALSE, NA, NA, NA, NA]
    active = key.status == AccessKey.ACTIVE
    used = key.last_used_date is not None
    return [
        _flag(active),
        # AWS: "If the user does not have an active access key, the value in this field is N/A."
        iso(key.created) if active else NA,
        iso(key.last_used_date),
        (key.last_used_region or NA) if used else NA,  # blank region: a non-regional service (s3)
        (key.last_used_service or NA) if used else NA,
    ]


def _row(user: User, arn: str, max_password_age: int | None) -> list[str]:
    keys: list[AccessKey] = list(user.report_keys)[:2]  # at most 2 per user (AccessKeysPerUser)
    keys += [None] * (2 - len(keys))
    if user.is_root:
        # The root user's password is not an IAM login profile: AWS reports not_supported.
        password = [NOT_SUPPORTED, iso(user.last_login, NO_INFORMATION), NOT_SUPPORTED, NOT_SUPPORTED]
    else:
        profile = getattr(user, "login_profile", None)  # reverse one-to-one: absent when none
        if profile is None:
            password = [FALSE, NA, NA, NA]
        else:
            changed = profile.password_changed
            rotation = changed + timedelta(days=max_password_age) if max_password_age else None
            password = [TRUE, iso(user.last_login, NO_INFORMATION), iso(changed), iso(rotation)]
    return [
        ROOT_NAME if user.is_root else user.user_name,
        arn,
        iso(user.created),
        *password,
        _flag(user.mfa_active),
        *_key_columns(keys[0]),
        *_key_columns(keys[1]),
        FALSE,  # the portal has no X.509 signing certificates
        NA,
        FALSE,
        NA,
    ]


def build_report(account: Account) -> str:
    """The CSV for the account: the root row first, then IAM users by name. Three queries, whatever
    the number of users (users with login profile and MFA flag, their keys, the password policy)."""
    users = (
        User.objects.filter(account=account)
        .select_related("login_profile")
        .defer("password")  # never read a secret the report does not need
        .annotate(mfa_active=Exists(MFADevice.objects.filter(user=OuterRef("pk"))))
        .prefetch_related(
            Prefetch(
                "access_keys",
                AccessKey.objects.defer("secret_ciphertext").order_by("created", "pk"),
                to_attr="report_keys",
            )
        )
        .order_by("-is_root", "user_name", "pk")
    )
    policy = PasswordPolicy.objects.filter(account=account).values_list("max_password_age", flat=True).first()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for user in users:
        user.account = account  # the ARN needs the account id: no query per user
        writer.writerow(_row(user, user.arn, policy))
    return out.getvalue()


def generate_credential_report(ctx: RequestContext) -> ReportState:
    """GenerateCredentialReport: a new report unless the stored one is younger than 4 hours."""
    authorize(ctx, "iam:GenerateCredentialReport", "*")  # no resource type in IAM: always "*"
    with audit.write(ctx, "iam:GenerateCredentialReport", ctx.account.root_arn) as entry:
        # Locking the account row makes racing requests generate once: the second sees the first's report.
        account = Account.objects.select_for_update().get(pk=ctx.account.pk)
        existing = CredentialReport.objects.filter(account=account).first()
        now = timezone.now()
        if existing is not None and now - existing.generated_time < REPORT_LIFETIME:
            entry.parameters["generated"] = False
            return ReportState(COMPLETE, COMPLETE_DESCRIPTION)
        content = build_report(account)
        if existing is None:
            CredentialReport.objects.create(account=account, generated_time=now, content=content)
        else:  # AWS keeps one report: the new one replaces it
            existing.generated_time, existing.content = now, content
            existing.save(update_fields=["generated_time", "content"])
        entry.parameters["generated"] = True
    return ReportState(STARTED, REGENERATED_DESCRIPTION if existing else STARTED_DESCRIPTION)
