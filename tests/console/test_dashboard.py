"""The IAM dashboard and the home page through Django's test client."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django_otp.oath import hotp

from accounts.models import AccessKey, AuditEvent, LoginProfile, User, unique_id
from accounts.services import access_keys, mfa, passwords, policy_attachments, users
from accounts.services.account import create_account_alias
from iam_portal.console import MFA_AT
from tests import factories as f

pytestmark = pytest.mark.django_db
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
PASSWORD = "First-Pass-1"
T = 1_800_000_000  # the MFA device's clock


def code(seed: str, step: int) -> str:
    return f"{hotp(base64.b32decode(seed + '=' * (-len(seed) % 8)), step, digits=6):06d}"


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


def signed_in_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [entry["item"].text for entry in response.context["recommendations"]]


def row(response, code: str) -> dict:
    return next(entry for entry in response.context["recommendations"] if entry["item"].code == code)


class DashboardViewTests:
    def test_anonymous_visitors_go_to_the_sign_in_page(self, client):
        response = client.get("/console/")
        assert response.status_code == 302 and response["Location"] == "/signin/?next=%2Fconsole%2F"

    def test_the_sign_in_url_with_the_account_id(self, root_client, acct):
        response = root_client.get("/console/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>IAM dashboard</h1>" in page
        url = f"http://testserver/signin/{acct}/"
        assert response.context["sign_in_url"] == url
        assert f'<a href="{url}"><code>{url}</code></a>' in page
        assert (
            f'<a class="changelink" href="{reverse("console:account_alias")}">Create an account alias</a>'
            in page
        )

    def test_who_is_signed_in_and_whether_with_mfa(self, root_client, acct):
        page = root_client.get("/console/").content.decode()
        assert f'<p class="signed-in-as">Signed in as <code>arn:aws:iam::{acct}:root</code>.</p>' in page
        session = root_client.session
        session[MFA_AT] = "2030-01-01T00:00:00+00:00"
        session.save()
        page = root_client.get("/console/").content.decode()
        assert f"Signed in as <code>arn:aws:iam::{acct}:root</code> with MFA.</p>" in page

    def test_the_sign_in_url_with_the_alias(self, root_client, ctx):
        create_account_alias(ctx, account_alias="acme-co")
        page = root_client.get("/console/").content.decode()
        assert "<code>http://testserver/signin/acme-co/</code>" in page
        assert "Account alias <code>acme-co</code>" in page
        assert ">Edit the account alias</a>" in page

    def test_recommendations_of_a_new_account(self, root_client):
        response = root_client.get("/console/")
        assert [entry["item"].code for entry in response.context["recommendations"]] == [
            "root-mfa",
            "root-used-recently",
            "password-policy",
        ]
        page = response.content.decode()
        for text in texts(response):
            assert f'<p class="recommendation-text">{escape(text)}</p>' in page
        assert '<span class="severity severity-critical">Critical</span>' in page
        assert row(response, "root-mfa")["url"] == reverse("console:security_credentials")
        assert row(response, "password-policy")["url"] == reverse("console:account_settings")
        assert f'<a href="{reverse("console:security_credentials")}">Assign an MFA device</a>' in page
        assert f'<a href="{reverse("console:help_topic", args=["mfa"])}">Why this matters</a>' in page

    def test_names_of_users_and_keys(self, root_client, ctx):
        users.create_user(ctx, user_name="bob")
        passwords.create_login_profile(ctx, user_name="bob", password=PASSWORD)
        key = access_keys.create_access_key(ctx, user_name="bob").access_key
        AccessKey.objects.filter(pk=key.pk).update(created=ctx.now - timedelta(days=100))
        response = root_client.get("/console/")
        page = response.content.decode()
        assert row(response, "users-without-mfa")["item"].names == ("bob",)
        assert f"<li>bob ({key.access_key_id})</li>" in page
        assert row(response, "access-keys-old")["url"] == reverse("console:users")

    def test_a_key_never_used_is_unused_only_once_90_days_old(self, root_client, ctx):
        # One definition with ListFindings (accounts/selectors/findings.py): a new key nobody used
        # yet is not judged (there is no "never used" recommendation); at 90 days it is unused.
        users.create_user(ctx, user_name="erin")
        key = access_keys.create_access_key(ctx, user_name="erin").access_key
        codes = [entry["item"].code for entry in root_client.get("/console/").context["recommendations"]]
        assert codes == ["root-mfa", "root-used-recently", "password-policy"]
        AccessKey.objects.filter(pk=key.pk).update(created=ctx.now - timedelta(days=91))
        response = root_client.get("/console/")
        unused = row(response, "access-keys-unused")
        assert (unused["item"].severity, unused["item"].names) == ("medium", (f"erin ({key.access_key_id})",))
        assert unused["url"] == reverse("console:users")
        assert (
            '<p class="recommendation-text">1 active access key has not been used in the last 90 days. '
            "Deactivate unused keys, and delete them once you are sure nothing needs them.</p>"
            in response.content.decode()
        )

    def test_resource_counts(self, root_client, ctx):
        users.create_user(ctx, user_name="bob")
        response = root_client.get("/console/")
        counts = {c["label"]: (c["value"], c["quota"], c["url"]) for c in response.context["counts"]}
        assert counts == {
            "Users": (1, 5000, reverse("console:users")),
            "User groups": (0, 300, reverse("console:groups")),
            "Roles": (0, 1000, reverse("console:roles")),
            "Customer managed policies": (0, 1500, reverse("console:policies")),
            "MFA devices in use": (0, None, ""),
        }
        assert (
            f'<th scope="row"><a href="{reverse("console:users")}">Users</a></th>'
            in response.content.decode()
        )

    def test_nothing_to_fix(self, root_client, ctx, monkeypatch):
        monkeypatch.setattr("django_otp.oath.time", lambda: T)
        device = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="root")
        mfa.enable_mfa_device(
            ctx,
            serial_number=device.device.serial_number,
            authentication_code_1=code(device.base32_string_seed, T // 30),
            authentication_code_2=code(device.base32_string_seed, T // 30 + 1),
        )
        passwords.update_account_password_policy(ctx, minimum_password_length=12)

        class InAMonth:  # the requests' clock only: the session must not expire
            @staticmethod
            def now():
                return ctx.now + timedelta(days=31)

        monkeypatch.setattr("accounts.context.timezone", InAMonth)
        response = root_client.get("/console/")
        assert response.context["recommendations"] == []
        assert "No security recommendations: nothing to fix right now." in response.content.decode()

    def test_an_iam_user_without_get_account_summary_sees_only_the_sign_in_url(self, ctx, acct):
        dana = users.create_user(ctx, user_name="dana")
        response = signed_in_as(dana).get("/console/")
        assert response.status_code == 200
        page = response.content.decode()
        assert f"<code>http://testserver/signin/{acct}/</code>" in page
        assert 'id="no-summary"' in page and "iam:GetAccountSummary" in page
        assert 'id="security-recommendations"' not in page and 'id="resource-counts"' not in page
        assert "account alias</a>" not in page  # may not create one
        assert AuditEvent.objects.filter(outcome="denied").count() == 0  # a visit is not a denied attempt

    def test_a_read_only_user_sees_recommendations_but_not_root_only_fixes(self, ctx):
        reader = users.create_user(ctx, user_name="reader")
        policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
        response = signed_in_as(reader).get("/console/")
        page = response.content.decode()
        assert 'id="security-recommendations"' in page
        assert row(response, "root-mfa")["url"] == ""
        assert "Only the root user can do this." in page
        assert ">Assign an MFA device</a>" not in page
        assert row(response, "password-policy")["url"] == reverse("console:account_settings")
        assert "account alias</a>" not in page  # read-only: no iam:CreateAccountAlias
        counts = {c["label"]: c["url"] for c in response.context["counts"]}
        assert counts["Users"] == reverse("console:users")  # iam:List* allows opening the lists

    def test_unchecked_checks_are_listed(self, ctx):
        carol = users.create_user(ctx, user_name="carol")
        f.put_user_policy(carol, "Summary", f.allow("iam:GetAccountSummary"))
        page = signed_in_as(carol).get("/console/").content.decode()
        assert (
            "<li>The account&#x27;s password policy (needs <code>iam:GetAccountPasswordPolicy</code>)</li>"
            in page
        )
        assert (
            "<li>When the root user was last used (needs <code>iam:GetCredentialReport</code>)</li>" in page
        )
        assert "(needs <code>iam:ListUsers</code>)" not in page
        counts = {c["label"]: c["url"] for c in signed_in_as(carol).get("/console/").context["counts"]}
        assert counts["Users"] == ""  # may not list users: no link

    def test_only_get(self, root_client):
        assert root_client.post("/console/").status_code == 405

    def test_constant_queries_at_10_and_1000_users(self, root_client, ctx):
        counts = []
        for total in (10, 1000):
            have = User.objects.filter(account=ctx.account, is_root=False).count()
            new = User.objects.bulk_create(
                User(account=ctx.account, user_name=f"user{i:04d}", user_id=unique_id("AIDA"), password="!")
                for i in range(have, total)
            )
            LoginProfile.objects.bulk_create(LoginProfile(user=u) for u in new)
            AccessKey.objects.bulk_create(
                AccessKey(user=u, access_key_id=f"AKIA{u.user_id[-16:]}", secret_ciphertext="x") for u in new
            )
            root_client.get("/console/")  # the same state once, so that caches are warm alike
            with CaptureQueriesContext(connection) as queries:
                response = root_client.get("/console/")
            assert row(response, "users-without-mfa")["item"].more == total - 10
            counts.append(len(queries))
        assert counts[0] == counts[1]


class HomeViewTests:
    def test_a_signed_in_user_goes_to_the_dashboard(self, root_client):
        response = root_client.get("/")
        assert response.status_code == 302 and response["Location"] == "/console/"

    def test_anonymous_visitors_get_the_landing_page(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert "Create an account" in response.content.decode()

    def test_an_iam_user_goes_to_the_dashboard_after_signing_in(self, ctx, acct):
        users.create_user(ctx, user_name="dana")
        passwords.create_login_profile(ctx, user_name="dana", password=PASSWORD)
        client = Client()
        signed_in = client.post(
            f"/signin/{acct}/", {"account": acct, "user_name": "dana", "password": PASSWORD}
        )
        assert signed_in["Location"] == "/"
        response = client.get("/", follow=True)
        assert response.redirect_chain == [("/console/", 302)]
        assert response.context["ctx"].caller.user_name == "dana"
