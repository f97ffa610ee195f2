"""The Activity page's "Download JSON lines" link and its streamed download through Django's test
client: the link keeps the page's filters, the download is CloudTrail records, one per line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.html import escape

from accounts.models import AuditEvent
from accounts.services.users import create_user
from tests import factories as f

pytestmark = pytest.mark.django_db
LIST, EXPORT = "/console/activity/", "/console/activity/export/"
DAY = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def add(ctx, *, days: int = 0, **fields) -> AuditEvent:
    values = {
        "account": ctx.account,
        "actor_arn": ctx.caller_arn,
        "channel": "console",
        "action": "iam:CreateUser",
        "outcome": AuditEvent.SUCCESS,
        "time": DAY + timedelta(days=days),
        **fields,
    }
    return AuditEvent.objects.create(**values)


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


def records(response) -> list[dict]:
    assert response.streaming
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


class ActivityExportLinkTests:
    def test_the_link_keeps_the_pages_filters(self, as_root):
        page = as_root.get(LIST + "?outcome=denied&action=iam%3ADeleteUser&since=2024-03-01").content.decode()
        link = escape(f"{EXPORT}?action=iam%3ADeleteUser&outcome=denied&since=2024-03-01")
        assert f'<a href="{link}" download>Download JSON lines</a>' in page
        assert "CloudTrail records matching these filters, oldest first" in page

    def test_without_filters_the_whole_log(self, as_root):
        page = as_root.get(LIST).content.decode()
        assert f'<a href="{EXPORT}?" download>Download JSON lines</a>' in page


class ActivityExportTests:
    def test_a_streamed_attachment_of_cloudtrail_records(self, as_root, ctx, acct):
        add(ctx, days=0, action="iam:DeleteUser", outcome="denied", error_code="AccessDenied")
        add(ctx, days=1)
        response = as_root.get(EXPORT + "?outcome=denied&since=2024-03-01&until=2024-03-01")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-ndjson"
        assert response["Content-Disposition"] == f'attachment; filename="audit-events-{acct}.jsonl"'
        assert response["Cache-Control"] == "no-store"
        (record,) = records(response)
        assert (record["eventName"], record["errorCode"], record["eventTime"]) == (
            "DeleteUser",
            "AccessDenied",
            "2024-03-01T12:00:00Z",
        )

    def test_the_until_day_is_included_whole(self, as_root, ctx):
        add(ctx, days=0)
        add(ctx, days=1)
        add(ctx, days=2)
        got = records(as_root.get(EXPORT + "?since=2024-03-01&until=2024-03-02"))
        assert [r["eventTime"][:10] for r in got] == ["2024-03-01", "2024-03-02"]

    def test_invalid_filters_show_the_form_errors(self, as_root):
        response = as_root.get(EXPORT + "?since=2024-03-02&until=2024-03-01")
        assert response.status_code == 400 and not response.streaming
        assert "The end date must be on or after the start date." in response.content.decode()

    def test_a_user_without_lookup_events_gets_the_error_page_and_the_denial_is_audited(
        self, client, ctx, acct
    ):
        client.force_login(create_user(ctx, user_name="nobody"))
        response = client.get(EXPORT)
        assert response.status_code == 403 and not response.streaming
        assert escape(f.denial(acct, "nobody", "cloudtrail:LookupEvents", "*")) in response.content.decode()
        assert f.events("cloudtrail:LookupEvents") == [("denied", "AccessDenied")]

    def test_anonymous_visitors_go_to_the_sign_in_page(self, client):
        response = client.get(EXPORT)
        assert response.status_code == 302 and response["Location"].startswith("/signin/")
