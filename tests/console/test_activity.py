"""Activity pages through Django's test client: the audit log list with filters and paging, each event."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user
from tests import factories as f

pytestmark = pytest.mark.django_db
LIST = "/console/activity/"
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


def iam_user(ctx, name: str, *managed: str):
    user = create_user(ctx, user_name=name)
    for policy in managed:
        attach_user_policy(ctx, user_name=name, policy_arn=f"arn:aws:iam::aws:policy/{policy}")
    return user


def listed(response) -> list[int]:
    return [event.pk for event in response.context["events"]]


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def history(ctx, acct):
    """Four events of this account over four days (oldest first), and one of another account."""
    add(f.root_context(), days=1)
    return [
        add(ctx, days=0, target_arn=f"arn:aws:iam::{acct}:user/alice", parameters={"user_name": "alice"}),
        add(
            ctx,
            days=1,
            actor_arn=f"arn:aws:iam::{acct}:user/bob",
            channel="query",
            outcome="failed",
            error_code="EntityAlreadyExists",
            access_key_id="AKIAEXAMPLEEXAMPLE12",
            source_ip="203.0.113.9",
        ),
        add(ctx, days=2, action="iam:DeleteUser", outcome="denied", error_code="AccessDenied"),
        add(ctx, days=3, action="iam:CreateGroup", channel="rest"),
    ]


class ActivityListTests:
    def test_signed_out_goes_to_sign_in(self, client):
        response = client.get(LIST)
        assert (
            response.status_code == 302 and response["Location"] == "/signin/?next=%2Fconsole%2Factivity%2F"
        )

    def test_newest_first_only_this_account(self, as_root, ctx, history):
        response = as_root.get(LIST)
        assert response.status_code == 200
        signup = AuditEvent.objects.get(account=ctx.account, action="portal:CreateAccount")
        assert listed(response) == [signup.pk] + [e.pk for e in reversed(history)]
        html = page(response)
        assert '<table id="result_list">' in html and '<th scope="col">Actor</th>' in html
        assert f'href="/console/activity/{history[1].pk}/"' in html
        assert "Activity" in [item["label"] for item in response.context["console_nav"]]

    def test_filters(self, as_root, acct, history):
        def only(**query) -> list[int]:
            response = as_root.get(LIST, {"since": "2024-03-01", "until": "2024-03-31", **query})
            assert response.status_code == 200
            return listed(response)

        assert only() == [e.pk for e in reversed(history)]
        assert only(actor="USER/BOB") == [history[1].pk]
        assert only(action="iam:CreateUser") == [history[1].pk, history[0].pk]
        assert only(outcome="denied") == [history[2].pk]
        assert only(channel="rest") == [history[3].pk]
        assert only(outcome="failed", channel="query", actor="bob") == [history[1].pk]
        assert only(since="2024-03-02", until="2024-03-03") == [history[2].pk, history[1].pk]  # whole days
        assert only(actor="carol") == []
        assert "No events match these filters." in page(as_root.get(LIST, {"actor": "carol"}))

    def test_filter_links_keep_the_other_filters(self, as_root, history):
        response = as_root.get(LIST, {"actor": "bob", "outcome": "failed"})
        html = page(response)
        assert 'href="?actor=bob&amp;outcome=failed&amp;channel=query"' in html
        assert 'href="?actor=bob"' in html  # "All" outcomes
        assert '<input type="hidden" name="outcome" value="failed">' in html
        assert 'value="bob"' in html  # the search box keeps what was typed

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"since": "yesterday"}, "Enter a valid date."),
            (
                {"since": "2024-03-05", "until": "2024-03-01"},
                "The end date must be on or after the start date.",
            ),
            ({"outcome": "maybe"}, "Select a valid choice. maybe is not one of the available choices."),
        ],
    )
    def test_invalid_filters_are_form_errors(self, as_root, query, message):
        response = as_root.get(LIST, query)
        assert response.status_code == 400
        assert message in page(response) and 'role="alert"' in page(response)
        assert response.context["events"] == []

    def test_an_invalid_marker_is_awss_validation_error(self, as_root):
        response = as_root.get(LIST, {"marker": "bogus!"})
        assert response.status_code == 400
        assert "at &#x27;marker&#x27; failed to satisfy constraint" in page(response)

    def test_pages_of_100_with_a_marker(self, as_root, ctx):
        AuditEvent.objects.bulk_create(
            AuditEvent(
                account=ctx.account,
                actor_arn=ctx.caller_arn,
                channel="query",
                action=f"iam:Op{i}",
                outcome="success",
                time=DAY + timedelta(seconds=i),
            )
            for i in range(150)
        )
        first = as_root.get(LIST, {"channel": "query"})
        assert len(listed(first)) == 100
        assert [e.action for e in first.context["events"]][:2] == ["iam:Op149", "iam:Op148"]
        next_link = re.search(r'href="(\?[^"]+)" rel="next"', page(first)).group(1).replace("&amp;", "&")
        assert "channel=query" in next_link
        second = as_root.get(LIST + next_link)
        assert [e.action for e in second.context["events"]] == [f"iam:Op{i}" for i in range(49, -1, -1)]
        assert 'rel="next"' not in page(second) and "First page" in page(second)

    def test_constant_queries_at_10_and_1000_events(self, as_root, ctx):
        def queries_with(n: int) -> int:
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    account=ctx.account,
                    actor_arn=ctx.caller_arn,
                    channel="query",
                    action="iam:ListUsers",
                    outcome="success",
                )
                for _ in range(n)
            )
            with CaptureQueriesContext(connection) as captured:
                response = as_root.get(LIST)
            assert response.status_code == 200 and len(listed(response)) == min(100, n + 1)
            return len(captured)

        assert queries_with(10) == queries_with(990)

    def test_a_read_only_user_has_no_activity(self, client, ctx, acct):
        client.force_login(iam_user(ctx, "reader", "IAMReadOnlyAccess"))
        home = client.get("/console/account-settings/")
        assert "Activity" not in [item["label"] for item in home.context["console_nav"]]
        response = client.get(LIST)
        assert response.status_code == 403
        assert f.denial(acct, "reader", "cloudtrail:LookupEvents", "*") in page(response)
        assert f.events("cloudtrail:LookupEvents") == [("denied", "AccessDenied")]

    def test_an_administrator_reads_it(self, client, ctx, history):
        client.force_login(iam_user(ctx, "admin", "AdministratorAccess"))
        response = client.get(LIST, {"since": "2024-03-01", "until": "2024-03-31"})
        assert response.status_code == 200 and listed(response) == [e.pk for e in reversed(history)]


class ActivityEventTests:
    def test_every_field(self, as_root, acct, history):
        event = history[1]
        response = as_root.get(f"/console/activity/{event.pk}/")
        assert response.status_code == 200
        html = page(response)
        for text in (
            f"arn:aws:iam::{acct}:user/bob",
            "<code>AKIAEXAMPLEEXAMPLE12</code>",
            "<td>query</td>",
            "<td>203.0.113.9</td>",
            f"<code>{event.request_id}</code>" if event.request_id else '<th scope="row">Request ID</th>',
            "<code>iam:CreateUser</code>",
            "EntityAlreadyExists",
            "Failed",
            '<time datetime="2024-03-02T12:00:00+00:00">',
        ):
            assert text in html
        assert f'href="/console/activity/?actor=arn%3Aaws%3Aiam%3A%3A{acct}%3Auser%2Fbob"' in html

    def test_parameters_are_pretty_json(self, as_root, history):
        html = page(as_root.get(f"/console/activity/{history[0].pk}/"))
        assert "{\n  &quot;user_name&quot;: &quot;alice&quot;\n}" in html

    def test_events_written_by_the_console_are_there(self, as_root, ctx, acct):
        as_root.post("/console/account-settings/alias/", {"account_alias": "acme-co"})
        event = AuditEvent.objects.get(action="iam:CreateAccountAlias")
        html = page(as_root.get(f"/console/activity/{event.pk}/"))
        assert "<td>console</td>" in html and "<td>127.0.0.1</td>" in html
        assert "&quot;account_alias&quot;: &quot;acme-co&quot;" in html

    def test_another_accounts_event_is_not_found(self, as_root):
        theirs = add(f.root_context())
        response = as_root.get(f"/console/activity/{theirs.pk}/")
        assert response.status_code == 404
        assert f"The audit event with id {theirs.pk} cannot be found." in page(response)

    def test_a_read_only_user_is_refused(self, client, ctx, acct, history):
        client.force_login(iam_user(ctx, "reader", "IAMReadOnlyAccess"))
        response = client.get(f"/console/activity/{history[0].pk}/")
        assert response.status_code == 403
        assert f.denial(acct, "reader", "cloudtrail:LookupEvents", "*") in page(response)
