"""/api/v1/account/findings/: GET ListFindings, signed with SigV4 through the test client: the shape,
exact findings, the checks a caller may not run, AWS's AccessDenied, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKey, AuditEvent, Role, User, unique_id
from accounts.services import passwords, roles, users
from tests import factories as f

from .conftest import READ_ONLY, denial, error, iam_user, issue_key

pytestmark = pytest.mark.django_db
FINDINGS = "/api/v1/account/findings/"


def old_role(ctx, name: str, days: int = 100) -> Role:
    acct = ctx.account.account_id
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}
    role = roles.create_role(ctx, role_name=name, assume_role_policy_document=f.document(trust))
    Role.objects.filter(pk=role.pk).update(created=ctx.now - timedelta(days=days))
    return role


class ListFindingsTests:
    def test_a_new_account_has_no_findings(self, signed, root_key):
        response = signed("GET", FINDINGS, root_key)
        assert (response.status_code, response.json()) == (200, {"findings": [], "unchecked": []})

    def test_the_findings_with_every_item(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice")
        passwords.create_login_profile(ctx, user_name="alice", password="First-Pass-1")
        f.put_user_policy(User.objects.get(user_name="alice"), "all", f.allow())
        old_role(ctx, "Idle")
        body = signed("GET", FINDINGS, root_key).json()
        assert [(x["code"], x["severity"], x["count"]) for x in body["findings"]] == [
            ("users-without-mfa", "high", 1),
            ("policies-allow-all", "high", 1),
            ("roles-unused", "low", 1),
            ("users-with-direct-policies", "low", 1),
        ]
        policies = body["findings"][1]
        assert policies == {
            "code": "policies-allow-all",
            "severity": "high",
            "title": 'Policies that allow all actions on all resources ("*" on "*")',
            "recommendation": policies["recommendation"],
            "count": 1,
            "items": [
                {
                    "kind": "user-policy",
                    "name": "all",
                    "arn": f"arn:aws:iam::{acct}:user/alice",
                    "owner": "alice",
                    "detail": 'Inline policy of user alice: Allows "*" on "*".',
                    "attached_to": ["user/alice"],
                }
            ],
        }
        assert policies["recommendation"].startswith("1 policy allows every action on every resource")
        role = body["findings"][2]["items"][0]
        assert role == {
            "kind": "role",
            "name": "Idle",
            "arn": f"arn:aws:iam::{acct}:role/Idle",
            "owner": None,
            "detail": "Never used; created 100 days ago.",
            "attached_to": [],
        }

    def test_a_read_only_user_sees_every_check(self, signed, ctx):
        iam_user(ctx, "reader", READ_ONLY)  # iam:Get* and iam:List*: both permissions
        body = signed("GET", FINDINGS, issue_key(ctx, "reader")).json()
        assert body["unchecked"] == []
        # The reader itself has a policy attached directly.
        assert [(x["code"], [i["name"] for i in x["items"]]) for x in body["findings"]] == [
            ("users-with-direct-policies", ["reader"])
        ]

    def test_checks_the_caller_may_not_run_are_listed(self, signed, ctx):
        reader = iam_user(ctx, "reporter")
        f.put_user_policy(reader, "r", f.allow("iam:GetCredentialReport"))
        body = signed("GET", FINDINGS, issue_key(ctx, "reporter")).json()
        assert body["unchecked"] == [
            {"check": "When roles were last used", "action": "iam:GetAccountAuthorizationDetails"},
            {
                "check": "Policies that allow everything, and users with policies of their own",
                "action": "iam:GetAccountAuthorizationDetails",
            },
        ]
        assert AuditEvent.objects.filter(outcome="denied").count() == 0

    def test_a_caller_allowed_neither_is_denied_and_audited(self, signed, nobody_key, acct):
        action = "iam:GetAccountAuthorizationDetails"
        assert error(signed("GET", FINDINGS, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", action, "*"),
        )
        denied = AuditEvent.objects.get(outcome="denied")
        assert (denied.action, denied.channel, denied.actor_arn) == (
            action,
            "rest",
            f"arn:aws:iam::{acct}:user/nobody",
        )

    def test_only_get(self, signed, root_key):
        assert signed("POST", FINDINGS, root_key).status_code == 405

    def test_constant_queries_as_the_account_grows(self, signed, root_key, ctx):
        counts = []
        for total in (5, 100):
            have = User.objects.filter(account=ctx.account, is_root=False).count()
            new = User.objects.bulk_create(
                User(account=ctx.account, user_name=f"u{i:03d}", user_id=unique_id("AIDA"), password="!")
                for i in range(have, total)
            )
            AccessKey.objects.bulk_create(
                AccessKey(user=u, access_key_id=f"AKIA{u.user_id[-16:]}", secret_ciphertext="x",
                          created=ctx.now - timedelta(days=120))
                for u in new
            )  # fmt: skip
            signed("GET", FINDINGS, root_key)  # warm alike
            with CaptureQueriesContext(connection) as queries:
                body = signed("GET", FINDINGS, root_key).json()
            counts.append(len(queries))
            assert [x["count"] for x in body["findings"]] == [total, total]  # unused and old keys
        assert counts[0] == counts[1]
