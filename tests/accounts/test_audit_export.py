"""The audit log as CloudTrail records (accounts/selectors/audit_export.py): exact records for
each kind of actor and outcome, the filters, authorization before the first record, secrets never
exported, and a constant number of queries whatever the number of events."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.context import QUERY, AssumedRole, RequestContext
from accounts.models import AuditEvent, Role, SessionCredential, User
from accounts.selectors.audit_export import EVENT_ID_NAMESPACE, export_audit_events, json_lines
from accounts.services import access_keys, passwords, roles, users
from accounts.services.policy_attachments import put_role_policy
from iam_portal.errors import AccessDeniedError, ValidationError
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def event(ctx, minutes: int, **fields) -> AuditEvent:
    values = {
        "account": ctx.account,
        "actor_arn": ctx.caller_arn,
        "channel": "console",
        "action": "iam:CreateUser",
        "outcome": AuditEvent.SUCCESS,
        "time": T0 + timedelta(minutes=minutes),
        **fields,
    }
    return AuditEvent.objects.create(**values)


def since_t0(ctx, **filters) -> list[dict]:
    """The records of the crafted events (from T0 on); the account's sign-up, now, is left out."""
    return list(export_audit_events(ctx, since=T0, until=T0 + timedelta(days=1), **filters))


def event_id(e: AuditEvent) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, str(e.pk)))


class RecordTests:
    def test_a_root_users_call_through_the_query_api(self, ctx, acct):
        e = event(
            ctx,
            0,
            channel=QUERY,
            source_ip="203.0.113.9",
            access_key_id="AKIAROOTEXAMPLE",
            request_id="req-1",
            target_arn=f"arn:aws:iam::{acct}:user/alice",
            parameters={"user_name": "alice", "path": "/", "permissions_boundary": None},
        )
        assert since_t0(ctx) == [
            {
                "eventVersion": "1.08",
                "userIdentity": {
                    "type": "Root",
                    "principalId": acct,
                    "arn": f"arn:aws:iam::{acct}:root",
                    "accountId": acct,
                    "accessKeyId": "AKIAROOTEXAMPLE",
                },
                "eventTime": "2024-03-01T12:00:00Z",
                "eventSource": "iam.amazonaws.com",
                "eventName": "CreateUser",
                "awsRegion": "us-east-1",
                "sourceIPAddress": "203.0.113.9",
                "requestParameters": {"userName": "alice", "path": "/", "permissionsBoundary": None},
                "responseElements": None,
                "requestID": "req-1",
                "eventID": event_id(e),
                "readOnly": False,
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": acct,
                "eventCategory": "Management",
                "resources": [{"ARN": f"arn:aws:iam::{acct}:user/alice", "accountId": acct}],
            }
        ]

    def test_an_iam_users_denied_read(self, ctx, acct):
        bob = users.create_user(ctx, user_name="bob", path="/staff/")
        User.objects.filter(pk=bob.pk).update(created=T0 - timedelta(days=1))  # bob existed at T0
        e = event(
            ctx,
            0,
            actor_arn=bob.arn,
            action="iam:ListUsers",
            outcome="denied",
            error_code="AccessDenied",
            target_arn=f"arn:aws:iam::{acct}:user/",
        )
        (record,) = since_t0(ctx)
        assert record["userIdentity"] == {
            "type": "IAMUser",
            "principalId": bob.user_id,
            "arn": f"arn:aws:iam::{acct}:user/staff/bob",
            "accountId": acct,
            "userName": "bob",
        }
        assert (record["eventName"], record["readOnly"], record["sourceIPAddress"]) == (
            "ListUsers",
            True,
            "AWS Internal",
        )
        assert record["errorCode"] == "AccessDenied"
        assert record["errorMessage"] == (
            f"User: {bob.arn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{acct}:user/"
        )
        assert record["requestID"] is None and record["requestParameters"] is None
        assert record["eventID"] == event_id(e)

    def test_a_role_sessions_failed_call(self, ctx, acct):
        role = roles.create_role(
            ctx,
            role_name="Deploy",
            path="/ci/",
            assume_role_policy_document=f.document(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
        )
        Role.objects.filter(pk=role.pk).update(created=T0 - timedelta(days=1))  # the role existed at T0
        event(
            ctx,
            0,
            actor_arn=f"arn:aws:sts::{acct}:assumed-role/Deploy/build-7",
            access_key_id="ASIASESSIONEXAMPLE",
            outcome="failed",
            error_code="EntityAlreadyExists",
        )
        (record,) = since_t0(ctx)
        assert record["userIdentity"] == {
            "type": "AssumedRole",
            "principalId": f"{role.role_id}:build-7",
            "arn": f"arn:aws:sts::{acct}:assumed-role/Deploy/build-7",
            "accountId": acct,
            "accessKeyId": "ASIASESSIONEXAMPLE",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role.role_id,
                    "arn": f"arn:aws:iam::{acct}:role/ci/Deploy",
                    "accountId": acct,
                    "userName": "Deploy",
                }
            },
        }
        assert record["errorCode"] == "EntityAlreadyExists" and "errorMessage" not in record

    def test_console_sign_ins_are_signin_events(self, ctx, acct):
        event(ctx, 0, action="signin:ConsoleLogin", parameters={"mfa_used": "No"})
        event(
            ctx, 1, actor_arn=f"arn:aws:iam::{acct}:user/ghost", action="signin:ConsoleLogin", outcome="failed",
            error_code="InvalidCredentials",
        )  # fmt: skip
        ok, failed = since_t0(ctx)
        assert (ok["eventSource"], ok["eventName"], ok["eventType"]) == (
            "signin.amazonaws.com",
            "ConsoleLogin",
            "AwsConsoleSignIn",
        )
        assert ok["responseElements"] == {"ConsoleLogin": "Success"}
        assert ok["requestParameters"] == {"mfaUsed": "No"}
        assert failed["responseElements"] == {"ConsoleLogin": "Failure"}
        # A user name that does not exist: the ARN is kept, the unique id is unknown.
        assert failed["userIdentity"]["principalId"] == ""

    def test_an_actor_that_is_no_principal_is_unknown(self, ctx, acct):
        event(ctx, 0, actor_arn="anonymous", action="sts:GetCallerIdentity")
        (record,) = since_t0(ctx)
        assert record["userIdentity"] == {
            "type": "Unknown",
            "principalId": "",
            "arn": "anonymous",
            "accountId": acct,
        }
        assert record["eventSource"] == "sts.amazonaws.com" and record["readOnly"] is True

    def test_json_lines(self, ctx):
        event(ctx, 0, parameters={"user_name": "zoë"})
        lines = b"".join(json_lines(iter(since_t0(ctx)))).decode().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["requestParameters"] == {"userName": "zoë"}


class SecretTests:
    def test_secrets_never_reach_the_export(self, ctx, acct):
        users.create_user(ctx, user_name="alice")
        passwords.create_login_profile(ctx, user_name="alice", password="Sup3r-Secret-Pass")
        issued = access_keys.create_access_key(ctx, user_name="alice")
        # An event written by hand with secret-named parameters: dropped on the way out all the same.
        event(
            ctx, 0, parameters={"password": "Hand-Written-1", "secret_access_key": "x" * 40, "user_name": "a"}
        )
        text = b"".join(json_lines(export_audit_events(ctx))).decode()
        assert issued.access_key.access_key_id in text  # the key id is not a secret
        for secret in ("Sup3r-Secret-Pass", issued.secret_access_key, "Hand-Written-1", "x" * 40):
            assert secret not in text
        assert '"password"' not in text and "secretAccessKey" not in text


class FilterTests:
    @pytest.fixture
    def logged(self, ctx, acct):
        other = f.root_context()
        event(other, 1)  # another account's: never exported
        return [
            event(ctx, 0),
            event(ctx, 1, actor_arn=f"arn:aws:iam::{acct}:user/Alice2", channel="query", outcome="failed",
                  error_code="EntityAlreadyExists"),
            event(ctx, 2, action="iam:DeleteUser", outcome="denied", error_code="AccessDenied"),
            event(ctx, 3, action="sts:CreateUser", channel="rest"),
        ]  # fmt: skip

    def ids(self, records) -> list[str]:
        return [r["eventID"] for r in records]

    def test_oldest_first_and_only_the_callers_account(self, ctx, logged):
        assert self.ids(since_t0(ctx)) == [event_id(e) for e in logged]
        everything = AuditEvent.objects.filter(account=ctx.account).count()
        assert len(list(export_audit_events(ctx))) == everything == 4 + 1  # and the account's sign-up

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"actor_arn": "USER/alice"}, [1]),
            ({"action": "iam:createuser"}, [0, 1]),
            ({"action": "CreateUser"}, [0, 1, 3]),  # an eventName: any service
            ({"outcome": "denied"}, [2]),
            ({"channel": "query"}, [1]),
            ({"since": T0 + timedelta(minutes=1), "until": T0 + timedelta(minutes=3)}, [1, 2]),
            ({"action": "CreateUser", "channel": "rest"}, [3]),
        ],
    )
    def test_filters(self, ctx, logged, filters, expected):
        bounds = {"since": T0, "until": T0 + timedelta(days=1)}
        records = export_audit_events(ctx, **{**bounds, **filters})
        assert self.ids(records) == [event_id(logged[i]) for i in expected]

    def test_an_unknown_outcome_is_a_validation_error(self, ctx):
        with pytest.raises(ValidationError) as raised:
            export_audit_events(ctx, outcome="maybe")
        assert raised.value.message == (
            "1 validation error detected: Value 'maybe' at 'outcome' failed to satisfy constraint: Member "
            "must satisfy enum value set: [success, failed, denied]"
        )


class AuthorizationTests:
    def test_a_caller_without_lookup_events_is_refused_before_any_record(self, ctx, acct):
        caller = f.context_for(users.create_user(ctx, user_name="nobody"))
        with pytest.raises(AccessDeniedError) as raised:
            export_audit_events(caller)  # not iterated: the refusal comes at once
        assert raised.value.message == f.denial(acct, "nobody", "cloudtrail:LookupEvents", "*")
        assert f.events("cloudtrail:LookupEvents") == [("denied", "AccessDenied")]

    def test_a_policy_allowing_lookup_events_is_enough(self, ctx):
        reader = users.create_user(ctx, user_name="reader")
        f.put_user_policy(reader, "Trail", f.allow("cloudtrail:LookupEvents"))
        assert len(list(export_audit_events(f.context_for(reader)))) >= 1

    def test_a_role_session_reads_its_accounts_log(self, ctx, acct):
        role = roles.create_role(
            ctx,
            role_name="Auditor",
            assume_role_policy_document=f.document(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
        )
        put_role_policy(ctx, role_name="Auditor", policy_name="trail", policy_document=f.document(f.allow("cloudtrail:LookupEvents")))  # fmt: skip
        session = SessionCredential.objects.create(
            account=ctx.account, access_key_id="ASIAEXAMPLESESSION1", secret_ciphertext="x", token_digest="x",
            role=role, role_session_name="audit", issued_by_arn=ctx.caller_arn, expiration=ctx.now + timedelta(hours=1),
        )  # fmt: skip
        caller = RequestContext(caller=AssumedRole(role, session), session=session)
        records = list(export_audit_events(caller))
        assert records and all(r["recipientAccountId"] == acct for r in records)


class QueryCountTests:
    def test_constant_queries_at_10_and_1000_events(self, ctx, acct):
        counts = []
        for total in (10, 1000):
            have = AuditEvent.objects.filter(account=ctx.account).count()
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    account=ctx.account,
                    actor_arn=f"arn:aws:iam::{acct}:user/u{i % 7}",
                    channel="query",
                    action="iam:GetUser",
                    outcome="success",
                    time=T0 + timedelta(seconds=i),
                    parameters={"user_name": f"u{i}"},
                )
                for i in range(have, total)
            )
            with CaptureQueriesContext(connection) as queries:
                exported = sum(1 for _ in export_audit_events(ctx))
            assert exported == total
            counts.append(len(queries))
        assert counts[0] == counts[1]


class KeptErrorsTests:
    """What the caller was told is kept with the event: the export gives AWS's whole message and the
    caller's user agent (not rebuilt)."""

    def test_a_failed_write_keeps_its_message_and_user_agent(self, ctx):
        caller = f.root_context(ctx.caller, user_agent="aws-cli/1.46.3 Python/3.11.7")
        users.create_user(caller, user_name="dup")
        with pytest.raises(Exception, match="User with name dup already exists."):
            users.create_user(caller, user_name="dup")
        failed = [r for r in export_audit_events(ctx, outcome="failed") if r["eventName"] == "CreateUser"]
        assert [(r["errorCode"], r["errorMessage"], r["userAgent"]) for r in failed] == [
            ("EntityAlreadyExists", "User with name dup already exists.", "aws-cli/1.46.3 Python/3.11.7")
        ]

    def test_a_denial_keeps_the_reason(self, ctx, acct):
        nobody = users.create_user(ctx, user_name="nobody")
        with pytest.raises(AccessDeniedError) as denied:
            users.create_user(f.context_for(nobody), user_name="x")
        (record,) = list(export_audit_events(ctx, outcome="denied"))
        assert record["errorMessage"] == denied.value.message
        assert "because no identity-based policy allows the iam:CreateUser action" in record["errorMessage"]
        assert "userAgent" not in record

    def test_a_long_user_agent_is_whole_for_conditions_and_cut_in_the_audit_row(self, ctx):
        agent = "x" * 300 + " tail/1.0"
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(
            alice, "ua", f.allow("iam:CreateUser", Condition={"StringLike": {"aws:UserAgent": "* tail/1.0"}})
        )
        caller = f.context_for(alice, user_agent=agent)
        users.create_user(caller, user_name="bob")  # allowed: the condition saw the whole header
        (event,) = AuditEvent.objects.filter(action="iam:CreateUser", actor_arn=alice.arn)
        assert event.user_agent == agent[:256]


class DeletedEntitiesTests:
    def test_an_event_older_than_the_user_of_that_name_gets_no_principal_id(self, ctx, acct):
        """bob was deleted and another bob created since: the old events are not the new bob's."""
        event(ctx, 0, actor_arn=f"arn:aws:iam::{acct}:user/bob", action="iam:ListUsers")
        users.create_user(ctx, user_name="bob")  # created now, after T0
        (record,) = since_t0(ctx)
        assert record["userIdentity"]["principalId"] == ""
        assert record["userIdentity"]["userName"] == "bob"
