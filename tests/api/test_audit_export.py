"""/api/v1/audit-events/export/: GET ExportAuditEvents, signed with SigV4 through the test client:
a streamed JSON lines body of CloudTrail records, the filters, AWS's errors before any byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import AuditEvent
from accounts.services import users
from tests import factories as f

from .conftest import denial, error, issue_key

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/audit-events/export/"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def lines(response) -> list[dict]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.splitlines()]


class ExportAuditEventsTests:
    def test_a_streamed_json_lines_download(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice")
        response = signed("GET", EXPORT, root_key)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-ndjson"
        assert response["Content-Disposition"] == f'attachment; filename="audit-events-{acct}.jsonl"'
        assert response["Cache-Control"] == "private, no-cache"  # as every read of the API
        assert "ETag" not in response  # a stream is not buffered to hash it
        records = lines(response)
        assert [r["eventName"] for r in records] == ["CreateAccount", "CreateAccessKey", "CreateUser"]
        assert all(r["eventVersion"] == "1.08" and r["recipientAccountId"] == acct for r in records)
        assert records[-1]["requestParameters"] == {"userName": "alice", "path": "/"}

    def test_filters(self, signed, root_key, ctx, acct):
        for minutes, outcome in ((0, "success"), (1, "denied"), (2, "failed")):
            AuditEvent.objects.create(
                account=ctx.account, actor_arn=ctx.caller_arn, channel="query", action="iam:DeleteUser",
                outcome=outcome, time=T0 + timedelta(minutes=minutes),
            )  # fmt: skip
        query = "?action=DeleteUser&channel=query&outcome=denied&since=2024-03-01T00:00:00Z&until=2024-03-02T00:00:00Z"
        (record,) = lines(signed("GET", EXPORT + query, root_key))
        assert (record["eventTime"], record["errorCode"]) == ("2024-03-01T12:01:00Z", "AccessDenied")
        only_actor = lines(signed("GET", EXPORT + "?actor_arn_contains=ROOT&since=2024-03-01T12:01:00Z&until=2024-03-02T00:00:00Z", root_key))  # fmt: skip
        assert [r["eventTime"] for r in only_actor] == ["2024-03-01T12:01:00Z", "2024-03-01T12:02:00Z"]

    def test_bad_parameters_are_a_validation_error_not_a_stream(self, signed, root_key):
        status, code, message = error(signed("GET", EXPORT + "?outcome=maybe", root_key))
        assert (status, code) == (400, "ValidationError")
        assert message == '1 validation error detected: outcome: "maybe" is not a valid choice'
        status, code, _ = error(
            signed("GET", EXPORT + "?since=2024-03-02T00:00:00Z&until=2024-03-01T00:00:00Z", root_key)
        )
        assert (status, code) == (400, "ValidationError")

    def test_a_caller_without_lookup_events_is_denied_and_audited(self, signed, nobody_key, acct):
        response = signed("GET", EXPORT, nobody_key)
        assert not response.streaming
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "cloudtrail:LookupEvents", "*"),
        )
        denied = AuditEvent.objects.get(outcome="denied")
        assert (denied.action, denied.channel) == ("cloudtrail:LookupEvents", "rest")

    def test_a_policy_allowing_lookup_events_is_enough(self, signed, ctx):
        reader = users.create_user(ctx, user_name="reader")
        f.put_user_policy(reader, "Trail", f.allow("cloudtrail:LookupEvents"))
        response = signed("GET", EXPORT, issue_key(ctx, "reader"))
        assert response.status_code == 200 and len(lines(response)) == 3

    def test_no_secret_is_exported(self, signed, root_key, ctx):
        secret = issue_key(ctx, None).secret_access_key  # a second root key, through the service
        text = b"".join(signed("GET", EXPORT, root_key).streaming_content).decode()
        assert secret not in text and root_key.secret_access_key not in text
