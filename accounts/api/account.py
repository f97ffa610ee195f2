"""REST resources: the account, its audit log and the caller (docs/rest-api/account.md).

GetAccountSummary, ListAccountAliases, CreateAccountAlias, DeleteAccountAlias,
GetAccountPasswordPolicy, UpdateAccountPasswordPolicy, DeleteAccountPasswordPolicy,
GenerateCredentialReport, GetCredentialReport; the audit log
(ListAuditEvents, GetAuditEvent: CloudTrail LookupEvents' permission); GetCallerIdentity (/me/).
Each action parses its input, calls ONE service or selector with the caller's RequestContext, and
shapes the answer; authorization, rules and the audit record are the service's (iam_portal/rest.py).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import quotas
from accounts.context import CONSOLE, INTERNAL, QUERY, REST
from accounts.models import AuditEvent
from accounts.selectors import account as account_reads
from accounts.selectors import audit as audit_reads
from accounts.selectors import credential_report as report_reads
from accounts.selectors import passwords as password_reads
from accounts.selectors import sts as sts_reads
from accounts.services import account, credential_report, passwords
from iam_portal.rest import IamViewSet, PageOut, PageQuery, TimestampField, errors, page_response, paginated

INVALID = "ValidationError, naming the field (or AWS's ValidationError from the service)."
NO_PASSWORD_POLICY = (
    "NoSuchEntity: the account has no password policy of its own "
    '("The Password Policy with domain name <account id> cannot be found.").'
)

# --- Shapes: the account --------------------------------------------------------------------------

# GetAccountSummary's usage keys (QUOTAS.md §6), as the selector computes them; the quota keys follow.
SUMMARY_USAGE = {
    "Users": "IAM users of the account (the root user is not one).",
    "Groups": "Groups of the account.",
    "Roles": "Roles of the account.",
    "Policies": "Customer managed policies of the account.",
    "PolicyVersionsInUse": "Attachments of managed policies (customer and AWS) to users, groups and roles.",
    "AccountPasswordPresent": "1 when the root user has a password, else 0.",
    "AccountAccessKeysPresent": "1 when the root user has an access key (active or not), else 0.",
    "MFADevices": "Virtual MFA devices of the account, assigned or not.",
    "MFADevicesInUse": "Virtual MFA devices assigned to a user.",
    "AccountMFAEnabled": "1 when the root user has an MFA device, else 0.",
    "AccountSigningCertificatesPresent": "1 when the root user has a signing certificate (none here).",
    "ServerCertificates": "Server certificates (the portal has none).",
    "InstanceProfiles": "Instance profiles (the portal has none).",
    "Providers": "SAML and OIDC identity providers (the portal has none).",
    "GlobalEndpointTokenVersion": "The STS global endpoint's token version (1, AWS's default).",
}
SUMMARY_KEYS = (*SUMMARY_USAGE, *quotas.SUMMARY_QUOTAS)

# AWS's SummaryMap keys are the field names (PascalCase, as GetAccountSummary writes them).
AccountSummaryOut = type(
    "AccountSummaryOut",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "GetAccountSummary's SummaryMap: entity usage and quotas, AWS's 34 keys.",
        **{
            key: serializers.IntegerField(help_text=SUMMARY_USAGE.get(key, "The quota (AWS's default)."))
            for key in SUMMARY_KEYS
        },
    },
)

ALIAS_FIELD = {
    "min_length": 3,
    "max_length": 63,
    "error_messages": {
        "invalid": "Use lowercase letters, digits and single inner hyphens only (3 to 63 characters)."
    },
}


class AccountAliasList(PageOut):
    """A page of ListAccountAliases: an account has at most one alias."""

    items = serializers.ListField(child=serializers.CharField(), help_text="The account's alias, if any.")


class AliasQuery(PageQuery):
    pass


class CreateAccountAliasIn(serializers.Serializer):
    account_alias = serializers.RegexField(
        account.ALIAS_PATTERN,
        help_text="3 to 63 lowercase letters, digits and single inner hyphens; not a 12-digit number.",
        **ALIAS_FIELD,
    )


class DeleteAccountAliasQuery(serializers.Serializer):
    account_alias = serializers.RegexField(
        account.ALIAS_PATTERN, help_text="The alias to delete: the account's current alias.", **ALIAS_FIELD
    )


class PasswordPolicyOut(serializers.Serializer):
    """PasswordPolicy, as GetAccountPasswordPolicy returns it."""

    minimum_password_length = serializers.IntegerField()
    require_symbols = serializers.BooleanField()
    require_numbers = serializers.BooleanField()
    require_uppercase_characters = serializers.BooleanField()
    require_lowercase_characters = serializers.BooleanField()
    allow_users_to_change_password = serializers.BooleanField(
        help_text="Whether IAM users may change their own password (and read this policy)."
    )
    expire_passwords = serializers.BooleanField(help_text="Whether max_password_age is set.")
    max_password_age = serializers.IntegerField(allow_null=True, help_text="Days a password is valid.")
    password_reuse_prevention = serializers.IntegerField(
        allow_null=True, help_text="How many previous passwords a user may not reuse."
    )
    hard_expiry = serializers.BooleanField(
        help_text="Whether an expired password blocks sign-in until an administrator resets it."
    )


class UpdateAccountPasswordPolicyIn(serializers.Serializer):
    """UpdateAccountPasswordPolicy's members. As in AWS, each one omitted goes back to its default."""

    minimum_password_length = serializers.IntegerField(
        required=False,
        min_value=passwords.MIN_LENGTH_RANGE[0],
        max_value=passwords.MIN_LENGTH_RANGE[1],
        help_text=f"Default {passwords.DEFAULT_MINIMUM_LENGTH}.",
    )
    require_symbols = serializers.BooleanField(required=False, help_text="Default false.")
    require_numbers = serializers.BooleanField(required=False, help_text="Default false.")
    require_uppercase_characters = serializers.BooleanField(required=False, help_text="Default false.")
    require_lowercase_characters = serializers.BooleanField(required=False, help_text="Default false.")
    allow_users_to_change_password = serializers.BooleanField(required=False, help_text="Default false.")
    max_password_age = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=passwords.MAX_AGE_RANGE[0],
        max_value=passwords.MAX_AGE_RANGE[1],
        help_text="Days; default none (passwords never expire).",
    )
    password_reuse_prevention = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=passwords.REUSE_RANGE[0],
        max_value=passwords.REUSE_RANGE[1],
        help_text="Default none (any password may be reused).",
    )
    hard_expiry = serializers.BooleanField(required=False, help_text="Default false.")


class CredentialReportStateOut(serializers.Serializer):
    """GenerateCredentialReport's answer."""

    state = serializers.ChoiceField(
        ["STARTED", "INPROGRESS", "COMPLETE"],
        help_text=(
            "STARTED: a new report was generated (none existed or the stored one was 4 hours old or "
            "older); COMPLETE: the stored report is younger than 4 hours and was kept. Generation is "
            "immediate here, so INPROGRESS never occurs."
        ),
    )
    description = serializers.CharField(help_text="AWS's description of the state.")


class CredentialReportOut(serializers.Serializer):
    """GetCredentialReport: the CSV as text (the Query API sends it base64-encoded, as AWS does)."""

    content = serializers.CharField(
        help_text=(
            "The report, CSV with AWS's 22 columns (user, arn, user_creation_time, password_enabled, …, "
            "cert_2_last_rotated): a header line, the root user's row (<root_account>), then IAM users by "
            "name. No secrets."
        )
    )
    report_format = serializers.ChoiceField(["text/csv"], help_text="Always text/csv.")
    generated_time = TimestampField(help_text="When the report was generated.")


REPORT_GONE = (
    "ReportNotPresent: no report was generated yet, or ReportExpired: the report is 4 hours old or "
    "older. Generate one (POST) first."
)


# --- Shapes: the audit log and the caller ---------------------------------------------------------


class BlankAsNullField(serializers.CharField):
    """A text column where "" means "none": null in the answer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


class AuditEventOut(serializers.Serializer):
    """One audited action: a write (success or failure) or a denial."""

    event_id = serializers.IntegerField(source="pk")
    event_time = TimestampField(source="time")
    action = serializers.CharField(help_text='The action as authorized, e.g. "iam:CreateUser".')
    outcome = serializers.ChoiceField(audit_reads.OUTCOMES)
    error_code = BlankAsNullField(help_text="The AWS error code of a failure or denial; null on success.")
    actor_arn = serializers.CharField(help_text="Who acted: the root user, an IAM user or a role session.")
    access_key_id = BlankAsNullField(help_text="The access key that signed the request, if one did.")
    channel = serializers.CharField(help_text="console, query (the AWS Query API), rest or internal.")
    source_ip = serializers.CharField(allow_null=True)
    request_id = BlankAsNullField(help_text="The request's id (its x-amzn-RequestId header).")
    target_arn = BlankAsNullField(help_text="The ARN acted on.")
    parameters = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The request's parameters, AWS member names in snake_case; never a secret.",
    )


CHANNELS = (CONSOLE, QUERY, REST, INTERNAL)


class AuditFilters(serializers.Serializer):
    """The filters of the audit log, shared by ListAuditEvents and ExportAuditEvents."""

    # trim_whitespace=False: DRF would strip before checking max_length, so the schema's limit would not hold.
    action = serializers.CharField(
        required=False,
        max_length=128,
        trim_whitespace=False,
        help_text='Only this action, in any case (e.g. "iam:CreateUser").',
    )
    outcome = serializers.ChoiceField(audit_reads.OUTCOMES, required=False, help_text="Only this outcome.")
    channel = serializers.ChoiceField(CHANNELS, required=False, help_text="Only requests of this channel.")
    actor_arn_contains = serializers.CharField(
        required=False,
        max_length=2048,
        trim_whitespace=False,
        help_text='Only events whose actor ARN contains this, in any case ("user/alice" matches alice2 too).',
    )
    since = serializers.DateTimeField(required=False, help_text="Only events at or after this time.")
    until = serializers.DateTimeField(required=False, help_text="Only events before this time.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "since" in data and "until" in data and data["until"] <= data["since"]:
            raise serializers.ValidationError({"until": ["Must be later than since."]})
        return data


class ListAuditEventsQuery(PageQuery, AuditFilters):
    target_arn = serializers.CharField(
        required=False,
        max_length=2048,
        trim_whitespace=False,
        help_text="Only events on this ARN (in any case).",
    )
    involving_arn = serializers.CharField(
        required=False,
        max_length=2048,
        trim_whitespace=False,
        help_text="Only events whose actor or target is this ARN (in any case): what it did and underwent.",
    )


@extend_schema_serializer(many=False)  # GET /me/ answers one object, not a list of them
class CallerIdentityOut(serializers.Serializer):
    """GetCallerIdentity."""

    account = serializers.CharField(help_text="The caller's 12-digit account id.")
    arn = serializers.CharField(
        help_text="The root user's, an IAM user's or an assumed role session's ARN (arn:aws:sts::…)."
    )
    user_id = serializers.CharField(
        help_text="The account id for the root user, AIDA… for an IAM user, AROA…:<session> for a role."
    )


EVENT_ID = OpenApiParameter(
    "event_id", OpenApiTypes.INT64, OpenApiParameter.PATH, description="The event's id."
)
LOOKUP = (
    'Needs cloudtrail:LookupEvents on "*" (CloudTrail\'s permission to read events; it has no '
    "resource type): the root user may, an IAM user or role needs a policy that allows it."
)


# --- Resources -------------------------------------------------------------------------------------


class AccountViewSet(IamViewSet):
    """/api/v1/account/: the caller's account (summary, alias, password policy)."""

    @extend_schema(
        operation_id="GetAccountSummary",
        summary="Entity usage and quotas",
        description="GetAccountSummary (iam:GetAccountSummary): the SummaryMap with AWS's keys.",
        responses={200: AccountSummaryOut},
        tags=["account"],
    )
    @action(detail=False, methods=["get"], url_path="summary")
    def summary(self, request: Request) -> Response:
        return Response(AccountSummaryOut(account_reads.get_account_summary(self.ctx)).data)

    @extend_schema(
        operation_id="ListAccountAliases",
        summary="The account alias",
        description="ListAccountAliases (iam:ListAccountAliases): the alias, if any (an account has one).",
        parameters=[AliasQuery],
        responses={200: AccountAliasList, **errors(e400=INVALID)},
        tags=["account"],
    )
    @action(detail=False, methods=["get"], url_path="alias")
    def alias(self, request: Request) -> Response:
        query = self.query(AliasQuery)
        page = account_reads.list_account_aliases(
            self.ctx, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return Response({"items": page.items, "is_truncated": page.is_truncated, "marker": page.marker})

    @extend_schema(
        operation_id="CreateAccountAlias",
        summary="Set the account alias",
        description=(
            "CreateAccountAlias (iam:CreateAccountAlias). An account has one alias: a new one replaces "
            "the old, as in AWS. Aliases are unique across the portal."
        ),
        request=CreateAccountAliasIn,
        responses={
            204: None,
            **errors(e400=INVALID, e409="EntityAlreadyExists: another account has this alias."),
        },
        tags=["account"],
    )
    @alias.mapping.put
    def create_alias(self, request: Request) -> Response:
        data = self.body(CreateAccountAliasIn)
        account.create_account_alias(self.ctx, account_alias=data["account_alias"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteAccountAlias",
        summary="Remove the account alias",
        description="DeleteAccountAlias (iam:DeleteAccountAlias): name the alias, as AWS requires.",
        parameters=[DeleteAccountAliasQuery],
        responses={
            204: None,
            **errors(e400=INVALID, e404="NoSuchEntity: the account has no alias of that name."),
        },
        tags=["account"],
    )
    @alias.mapping.delete
    def delete_alias(self, request: Request) -> Response:
        query = self.query(DeleteAccountAliasQuery)
        account.delete_account_alias(self.ctx, account_alias=query["account_alias"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="GetAccountPasswordPolicy",
        summary="The account password policy",
        description=(
            "GetAccountPasswordPolicy (iam:GetAccountPasswordPolicy; every IAM user may read it while "
            "the policy allows users to change their password, as in AWS)."
        ),
        responses={200: PasswordPolicyOut, **errors(e404=NO_PASSWORD_POLICY)},
        tags=["account"],
    )
    @action(detail=False, methods=["get"], url_path="password-policy")
    def password_policy(self, request: Request) -> Response:
        return Response(PasswordPolicyOut(password_reads.get_account_password_policy(self.ctx)).data)

    @extend_schema(
        operation_id="UpdateAccountPasswordPolicy",
        summary="Set the account password policy",
        description=(
            "UpdateAccountPasswordPolicy (iam:UpdateAccountPasswordPolicy). The body replaces the policy: "
            "as in AWS, every member left out goes back to its default."
        ),
        request=UpdateAccountPasswordPolicyIn,
        responses={200: PasswordPolicyOut, **errors(e400=INVALID)},
        tags=["account"],
    )
    @password_policy.mapping.put
    def update_password_policy(self, request: Request) -> Response:
        data = self.body(UpdateAccountPasswordPolicyIn)
        policy = passwords.update_account_password_policy(self.ctx, **data)
        return Response(PasswordPolicyOut(policy).data)

    @extend_schema(
        operation_id="DeleteAccountPasswordPolicy",
        summary="Remove the account password policy",
        description=(
            "DeleteAccountPasswordPolicy (iam:DeleteAccountPasswordPolicy): AWS's default policy "
            "applies again."
        ),
        responses={204: None, **errors(e404=NO_PASSWORD_POLICY)},
        tags=["account"],
    )
    @password_policy.mapping.delete
    def delete_password_policy(self, request: Request) -> Response:
        passwords.delete_account_password_policy(self.ctx)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="GenerateCredentialReport",
        summary="Generate the credential report",
        description=(
            "GenerateCredentialReport (iam:GenerateCredentialReport). As in AWS, a report younger than 4 "
            "hours is kept (state COMPLETE); otherwise a new one replaces it (state STARTED). Audited."
        ),
        request=None,
        responses={200: CredentialReportStateOut},
        tags=["account"],
    )
    @action(detail=False, methods=["post"], url_path="credential-report")
    def generate_report(self, request: Request) -> Response:
        state = credential_report.generate_credential_report(self.ctx)
        return Response(
            CredentialReportStateOut({"state": state.state, "description": state.description}).data
        )

    @extend_schema(
        operation_id="GetCredentialReport",
        summary="Get the credential report",
        description=(
            "GetCredentialReport (iam:GetCredentialReport): the stored report as JSON, its CSV in "
            "`content` (AWS's 22 columns)."
        ),
        responses={200: CredentialReportOut, **errors(e410=REPORT_GONE)},
        tags=["account"],
    )
    @generate_report.mapping.get
    def get_report(self, request: Request) -> Response:
        report = report_reads.get_credential_report(self.ctx)
        return Response(
            CredentialReportOut(
                {
                    "content": report.content,
                    "report_format": report_reads.REPORT_FORMAT,
                    "generated_time": report.generated_time,
                }
            ).data
        )


class AuditEventViewSet(IamViewSet):
    """/api/v1/audit-events/: the account's audit log, newest first."""

    lookup_field = "event_id"
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        operation_id="ListAuditEvents",
        summary="List audit events",
        description=(
            "The account's audit events (every write, successful or not, and every denial), newest first, "
            f"filtered. {LOOKUP} Pages are marker pages, as every list of the API."
        ),
        parameters=[ListAuditEventsQuery],
        responses={
            200: paginated(AuditEventOut, "AuditEventList", "A page of audit events, newest first."),
            **errors(e400=INVALID),
        },
        tags=["audit-events"],
    )
    def list(self, request: Request) -> Response:
        query = self.query(ListAuditEventsQuery)
        page = audit_reads.list_audit_events(
            self.ctx,
            actor_arn=query.get("actor_arn_contains"),
            target_arn=query.get("target_arn"),
            involving_arn=query.get("involving_arn"),
            action=query.get("action"),
            outcome=query.get("outcome"),
            channel=query.get("channel"),
            since=query.get("since"),
            until=query.get("until"),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, AuditEventOut)

    @extend_schema(
        operation_id="GetAuditEvent",
        summary="Get an audit event",
        description=f"One audit event of the account. {LOOKUP}",
        parameters=[EVENT_ID],
        responses={
            200: AuditEventOut,
            **errors(e404="NoSuchEntity: no event of that id in the caller's account."),
        },
        tags=["audit-events"],
    )
    def retrieve(self, request: Request, event_id: str) -> Response:
        # The route admits digits only; an id beyond the column's range simply matches no event.
        event: AuditEvent = audit_reads.get_audit_event(self.ctx, event_id=int(event_id))
        return Response(AuditEventOut(event).data)


class CallerIdentityViewSet(IamViewSet):
    """/api/v1/me/: who signed the request."""

    @extend_schema(
        operation_id="GetCallerIdentity",
        summary="Who am I",
        description=(
            "GetCallerIdentity: the caller's account, ARN and user id. No policy can deny it, as in AWS."
        ),
        responses={200: CallerIdentityOut},
        tags=["identity"],
    )
    def list(self, request: Request) -> Response:
        identity = sts_reads.get_caller_identity(self.ctx)
        return Response(
            CallerIdentityOut(
                {"account": identity["Account"], "arn": identity["Arn"], "user_id": identity["UserId"]}
            ).data
        )


ROUTES = [
    ("account", AccountViewSet, "account"),
    ("audit-events", AuditEventViewSet, "audit-event"),
    ("me", CallerIdentityViewSet, "me"),
]
