"""/api/v1/account/credential-report/: POST GenerateCredentialReport, GET GetCredentialReport (JSON with
the CSV), signed with SigV4 through the test client: shapes, AWS codes and statuses, audit rows."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import AuditEvent
from accounts.services import users

from .conftest import denial, error, issue_key

pytestmark = pytest.mark.django_db
REPORT = "/api/v1/account/credential-report/"


class CredentialReportTests:
    def test_get_before_generate_is_report_not_present_410(self, signed, root_key):
        assert error(signed("GET", REPORT, root_key)) == (
            410,
            "ReportNotPresent",
            "The credential report does not exist. To generate a credential report, use "
            "GenerateCredentialReport.",
        )

    def test_post_generates_then_keeps_and_get_answers_the_csv(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice")
        first = signed("POST", REPORT, root_key)
        assert (first.status_code, first.json()) == (
            200,
            {"state": "STARTED", "description": "No report exists. Starting a new report generation task"},
        )
        again = signed("POST", REPORT, root_key)
        assert again.json() == {"state": "COMPLETE", "description": "Report generation is complete"}
        got = signed("GET", REPORT, root_key)
        assert got.status_code == 200
        body = got.json()
        assert set(body) == {"content", "report_format", "generated_time"}
        assert body["report_format"] == "text/csv"
        assert body["generated_time"].endswith("Z")
        found = list(csv.DictReader(io.StringIO(body["content"])))
        assert [(r["user"], r["arn"]) for r in found] == [
            ("<root_account>", f"arn:aws:iam::{acct}:root"),
            ("alice", f"arn:aws:iam::{acct}:user/alice"),
        ]
        rest_events = AuditEvent.objects.filter(action="iam:GenerateCredentialReport", channel="rest")
        assert list(rest_events.values_list("outcome", "parameters")) == [
            ("success", {"generated": True}),
            ("success", {"generated": False}),
        ]

    def test_a_user_without_policy_is_denied_both(self, signed, ctx, acct):
        users.create_user(ctx, user_name="nobody")
        key = issue_key(ctx, "nobody")
        assert error(signed("POST", REPORT, key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GenerateCredentialReport", "*"),
        )
        assert error(signed("GET", REPORT, key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetCredentialReport", "*"),
        )
