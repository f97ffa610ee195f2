"""The dashboard's findings (unused roles, policies that allow "*" on "*", users with policies of
their own) among its security recommendations, each affected item linked to its console page; the
users' MFA and access keys are the recommendations' rows, made from the same findings (no row
twice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import AccessKey, LoginProfile, Role, User, unique_id
from accounts.services import access_keys, passwords, roles, users
from policies import services as policy_services
from policies.models import UserPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


def row(response, code: str) -> dict:
    return next(entry for entry in response.context["recommendations"] if entry["item"].code == code)


def all_codes(response) -> list[str]:
    return [entry["item"].code for entry in response.context["recommendations"]]


def old_role(ctx, name: str, days: int = 100) -> Role:
    acct = ctx.account.account_id
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}
    role = roles.create_role(ctx, role_name=name, assume_role_policy_document=f.document(trust))
    Role.objects.filter(pk=role.pk).update(created=ctx.now - timedelta(days=days))
    return role


class DashboardFindingsTests:
    def test_findings_rows_with_linked_items(self, root_client, ctx):
        old_role(ctx, "Idle")
        admin = policy_services.create_policy(ctx, policy_name="Admin", policy_document=f.document(f.allow()))
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(alice, "mine", f.allow("s3:*"))
        response = root_client.get("/console/")
        page = response.content.decode()
        assert all_codes(response) == [
            "root-mfa",
            "policies-allow-all",
            "root-used-recently",
            "password-policy",
            "roles-unused",
            "users-with-direct-policies",
        ]  # by severity; within one, the recommendations first
        policies = row(response, "policies-allow-all")
        assert policies["url"] == reverse("console:policies") and policies["fix"] == "Review policies"
        policy_url = reverse("console:policy_detail", args=[admin.arn])
        assert policies["links"] == [
            {"label": "Admin", "url": policy_url, "detail": 'Default version v1: Allows "*" on "*".'}
        ]
        assert f'<a href="{policy_url}">Admin</a>' in page
        assert (
            "<strong>Policies that allow all actions on all resources (&quot;*&quot; on &quot;*&quot;)</strong>"
            in page
        )
        role_url = reverse("console:role_detail", args=["Idle"])
        assert (
            f'<a href="{role_url}">Idle</a> <span class="quiet">Never used; created 100 days ago.</span>'
            in page
        )
        assert f'<a href="{reverse("console:user_detail", args=["alice"])}">alice</a>' in page
        assert f'<a href="{reverse("console:groups")}">Organize users in groups</a>' in page
        assert escape(row(response, "roles-unused")["item"].recommendation) in page

    def test_users_without_mfa_and_keys_are_not_shown_twice(self, root_client, ctx):
        users.create_user(ctx, user_name="bob")
        passwords.create_login_profile(ctx, user_name="bob", password="First-Pass-1")
        key = access_keys.create_access_key(ctx, user_name="bob").access_key
        AccessKey.objects.filter(pk=key.pk).update(created=ctx.now - timedelta(days=100))
        response = root_client.get("/console/")
        codes = all_codes(response)
        for code in ("users-without-mfa", "access-keys-unused", "access-keys-old"):
            assert codes.count(code) == 1  # the recommendation's row, never a finding's row as well
            assert "finding" not in row(response, code)
        # Never used and 100 days old: unused, as ListFindings says (one definition, findings.py).
        assert row(response, "access-keys-unused")["item"].names == (f"bob ({key.access_key_id})",)

    def test_more_than_ten_items_are_counted(self, root_client, ctx):
        for i in range(12):
            f.put_user_policy(users.create_user(ctx, user_name=f"user{i:02d}"), "p", f.allow("s3:*"))
        entry = row(root_client.get("/console/"), "users-with-direct-policies")
        assert len(entry["links"]) == 10 and entry["more"] == 2
        assert entry["item"].count == 12

    def test_a_caller_without_authorization_details_sees_them_unchecked(self, ctx):
        carol = users.create_user(ctx, user_name="carol")
        f.put_user_policy(carol, "Summary", f.allow("iam:GetAccountSummary"))
        old_role(ctx, "Idle")
        client = Client()
        client.force_login(carol)
        response = client.get("/console/")
        assert "roles-unused" not in all_codes(response)
        page = response.content.decode()
        assert (
            "<li>When roles were last used (needs <code>iam:GetAccountAuthorizationDetails</code>)</li>"
            in page
        )
        assert (
            "<li>The account&#x27;s password policy (needs <code>iam:GetAccountPasswordPolicy</code>)</li>"
            in page
        )

    def test_constant_queries_as_users_roles_and_policies_grow(self, root_client, ctx):
        counts = []
        for total in (10, 300):
            have = User.objects.filter(account=ctx.account, is_root=False).count()
            new = User.objects.bulk_create(
                User(account=ctx.account, user_name=f"user{i:04d}", user_id=unique_id("AIDA"), password="!")
                for i in range(have, total)
            )
            LoginProfile.objects.bulk_create(LoginProfile(user=u) for u in new)
            UserPolicy.objects.bulk_create(UserPolicy(user=u, policy_name="all", document=f.document(f.allow())) for u in new)  # fmt: skip
            Role.objects.bulk_create(
                Role(account=ctx.account, role_name=f"r{i:04d}", role_id=unique_id("AROA"),
                     assume_role_policy_document="{}", created=ctx.now - timedelta(days=200))
                for i in range(have, total)
            )  # fmt: skip
            root_client.get("/console/")  # the same state once, so that caches are warm alike
            with CaptureQueriesContext(connection) as queries:
                response = root_client.get("/console/")
            assert row(response, "roles-unused")["more"] == total - 10
            assert row(response, "policies-allow-all")["item"].count == total
            counts.append(len(queries))
        assert counts[0] == counts[1]
