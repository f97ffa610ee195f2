"""The sign-in pages through Django's test client: the steps, the session, CSRF, MFA in authorization."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django_otp.oath import hotp

from accounts.authz import is_allowed
from accounts.models import AuditEvent
from accounts.services import mfa, passwords, users
from iam_portal.console import MFA_AT, request_context
from tests import factories as f

pytestmark = pytest.mark.django_db
PASSWORD = "First-Pass-1"
MFA_OR_NOTHING = [
    f.deny(Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
    f.allow(),
]


def code(seed: str, step: int) -> str:
    return f"{hotp(base64.b32decode(seed + '=' * (-len(seed) % 8)), step, digits=6):06d}"


@pytest.fixture
def dana(ctx):
    user = users.create_user(ctx, user_name="dana")
    passwords.create_login_profile(ctx, user_name="dana", password=PASSWORD)
    return user


def sign_in(client: Client, acct: str, name: str = "dana", password: str = PASSWORD):
    return client.post(f"/signin/{acct}/", {"account": acct, "user_name": name, "password": password})


class IamUserSignInTests:
    def test_signs_in_and_rotates_the_session_key(self, client, acct, dana):
        client.get("/signin/")
        before = client.session.session_key
        response = sign_in(client, acct)
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.session.session_key != before
        page = client.get("/", follow=True)  # a signed-in user goes on to the console's dashboard
        assert page.redirect_chain == [("/console/", 302)]
        assert page.context["ctx"].caller_arn == f"arn:aws:iam::{acct}:user/dana"

    def test_a_wrong_password_is_a_form_error_not_a_500(self, client, acct, dana):
        response = sign_in(client, acct, password="nope")
        assert response.status_code == 400
        assert "Your authentication information is incorrect. Please try again." in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_forms_need_their_csrf_token(self, acct, dana):
        strict = Client(enforce_csrf_checks=True)
        assert sign_in(strict, acct).status_code == 403
        token = strict.get("/signin/").cookies["csrftoken"].value
        response = strict.post(
            f"/signin/{acct}/",
            {"account": acct, "user_name": "dana", "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302

    def test_alias_sign_in_url(self, client, ctx, dana):
        from accounts.services.account import create_account_alias

        create_account_alias(ctx, account_alias="acme-co")
        assert 'value="acme-co"' in client.get("/signin/acme-co/").content.decode()
        assert sign_in(client, "acme-co").status_code == 302

    def test_forced_password_change_then_signed_in(self, client, ctx, acct, dana):
        passwords.update_login_profile(ctx, user_name="dana", password_reset_required=True)
        f.put_user_policy(
            dana, "ChangeOwn", f.allow("iam:ChangePassword", f"arn:aws:iam::{acct}:user/${{aws:username}}")
        )
        assert sign_in(client, acct)["Location"] == "/signin/password/"
        assert client.get("/").status_code == 200  # not signed in yet: the landing page, no redirect
        response = client.post(
            "/signin/password/",
            {"old_password": PASSWORD, "new_password": "Second-Pass-2", "confirm_password": "Second-Pass-2"},
        )
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get("/", follow=True).context["ctx"].caller == dana

    def test_sign_out(self, client, acct, dana):
        sign_in(client, acct)
        client.post("/signout/")
        assert "_auth_user_id" not in client.session
        assert client.get("/password/")["Location"] == "/signin/?next=%2Fpassword%2F"


class MfaSignInTests:
    def enrol(self, ctx, user, monkeypatch, at: float) -> str:
        monkeypatch.setattr("django_otp.oath.time", lambda: at)
        new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=user.user_name)
        step = int(at) // 30
        mfa.enable_mfa_device(
            ctx,
            user_name=user.user_name,
            serial_number=new.device.serial_number,
            authentication_code_1=code(new.base32_string_seed, step),
            authentication_code_2=code(new.base32_string_seed, step + 1),
        )
        return new.base32_string_seed

    def test_mfa_sign_in_reaches_the_policy_engine(self, client, ctx, acct, dana, monkeypatch):
        """A deny-unless-MFA policy blocks a session without MFA and allows the same user after MFA."""
        f.put_user_policy(dana, "MfaOrNothing", *MFA_OR_NOTHING)
        seed = self.enrol(ctx, dana, monkeypatch, at=1_800_000_000)
        assert sign_in(client, acct)["Location"] == "/signin/mfa/"
        monkeypatch.setattr("django_otp.oath.time", lambda: 1_800_000_095)
        response = client.post("/signin/mfa/", {"code": code(seed, 1_800_000_095 // 30)})
        assert response.status_code == 302
        assert client.session[MFA_AT]
        request = client.get("/").wsgi_request
        signed_in = request_context(request)
        assert signed_in.mfa_authenticated_at is not None
        assert is_allowed(signed_in, "iam:ListUsers", f"arn:aws:iam::{acct}:user/")
        without_mfa = f.context_for(dana)  # a console session that did not pass MFA
        assert not is_allowed(without_mfa, "iam:ListUsers", f"arn:aws:iam::{acct}:user/")

    def test_a_wrong_code_stays_on_the_mfa_page(self, client, ctx, acct, dana, monkeypatch):
        self.enrol(ctx, dana, monkeypatch, at=1_800_000_000)
        sign_in(client, acct)
        response = client.post("/signin/mfa/", {"code": "000000"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(outcome="failed").exists()

    def test_steps_cannot_be_skipped(self, client, ctx, acct, dana, monkeypatch):
        self.enrol(ctx, dana, monkeypatch, at=1_800_000_000)
        sign_in(client, acct)
        assert client.get("/signin/password/")["Location"] == "/signin/"
        assert client.get("/password/")["Location"].startswith("/signin/")


class RootSignUpTests:
    def test_sign_up_leads_to_mfa_enrollment(self, client):
        response = client.post(
            "/signup/", {"email": "new@example.com", "password": "Correct-Horse-Battery-9"}
        )
        assert response.status_code == 302 and response["Location"] == "/signin/mfa/enroll/"
        page = client.get("/signin/mfa/enroll/")
        assert page["Cache-Control"] == "no-store"
        assert "<svg" in page.content.decode()

    def test_a_weak_root_password_is_a_form_error(self, client):
        response = client.post("/signup/", {"email": "new@example.com", "password": "short"})
        assert response.status_code == 400
        assert "errornote" in response.content.decode()


class MfaTroubleTests:
    T = 1_800_000_000

    def test_resync_is_offered_after_three_wrong_codes_and_works(self, client, ctx, acct, dana, monkeypatch):
        f.put_user_policy(
            dana, "SelfMfa", f.allow("iam:ResyncMFADevice", f"arn:aws:iam::{acct}:user/${{aws:username}}")
        )
        seed = MfaSignInTests().enrol(ctx, dana, monkeypatch, at=self.T)
        sign_in(client, acct)
        for _ in range(3):
            page = client.post("/signin/mfa/", {"code": "000000"})
        assert "resynchronize your MFA device" in page.content.decode()
        drifted = self.T + 8 * 30  # the phone's clock runs four minutes ahead
        monkeypatch.setattr("django_otp.oath.time", lambda: self.T + 3600)  # past the back-off
        serial = dana.mfa_devices.get().serial_number
        response = client.post(
            "/signin/mfa/resync/",
            {
                "serial_number": serial,
                "authentication_code_1": code(seed, (drifted + 3600) // 30),
                "authentication_code_2": code(seed, (drifted + 3600) // 30 + 1),
            },
        )
        assert response.status_code == 302 and response["Location"] == "/signin/mfa/"
        assert "in sync again" in client.get("/signin/mfa/").content.decode()

    def test_device_choice_when_there_are_several(self, client, ctx, acct, dana, monkeypatch):
        MfaSignInTests().enrol(ctx, dana, monkeypatch, at=self.T)
        second = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="dana-backup")
        seed = second.base32_string_seed
        mfa.enable_mfa_device(
            ctx,
            user_name="dana",
            serial_number=second.device.serial_number,
            authentication_code_1=code(seed, self.T // 30),
            authentication_code_2=code(seed, self.T // 30 + 1),
        )
        sign_in(client, acct)
        page = client.get("/signin/mfa/").content.decode()
        assert '<select name="serial_number"' in page and "dana-backup" in page


class RecoveryCodeTests:
    def test_root_generates_codes_once_and_signs_in_with_one(self, client, monkeypatch):
        client.post("/signup/", {"email": "boss@example.com", "password": "Correct-Horse-Battery-9"})
        page = client.get("/signin/mfa/enroll/").content.decode()
        seed = page.split('id="mfa-secret" class="secret">')[1].split("<")[0].strip()
        monkeypatch.setattr("django_otp.oath.time", lambda: 1_800_000_000)
        client.post(
            "/signin/mfa/enroll/",
            {
                "authentication_code_1": code(seed, 60_000_000),
                "authentication_code_2": code(seed, 60_000_001),
            },
        )
        response = client.post("/mfa/recovery-codes/")
        assert response["Cache-Control"] == "no-store"
        codes = response.context["codes"]
        assert len(codes) == 10
        client.post("/signout/")
        client.post("/signin/root/", {"email": "boss@example.com", "password": "Correct-Horse-Battery-9"})
        assert client.post("/signin/mfa/", {"code": codes[0]}).status_code == 302
        client.post("/signout/")
        client.post("/signin/root/", {"email": "boss@example.com", "password": "Correct-Horse-Battery-9"})
        assert client.post("/signin/mfa/", {"code": codes[0]}).status_code == 200  # used once already

    def test_an_iam_user_gets_a_clear_error_page(self, client, acct, dana):
        sign_in(client, acct)
        response = client.post("/mfa/recovery-codes/")
        assert response.status_code == 400
        assert "Recovery codes are for the root user only." in response.content.decode()


class PasswordExpiryWarningTests:
    def test_a_warning_when_the_password_expires_soon(self, client, ctx, acct, dana):
        from datetime import timedelta

        from accounts.models import LoginProfile

        passwords.update_account_password_policy(ctx, max_password_age=30)
        LoginProfile.objects.filter(user=dana).update(password_changed=ctx.now - timedelta(days=25))
        sign_in(client, acct)
        assert "Your password expires in 5 days." in client.get("/", follow=True).content.decode()


class PendingSignInTests:
    """A sign-in in progress ends when what it proved no longer holds."""

    def test_a_password_change_meanwhile_ends_it(self, client, ctx, acct, dana, monkeypatch):
        MfaSignInTests().enrol(ctx, dana, monkeypatch, at=1_800_000_000)
        assert sign_in(client, acct)["Location"] == "/signin/mfa/"
        passwords.update_login_profile(ctx, user_name="dana", password="Changed-Pass-3")
        assert client.get("/signin/mfa/")["Location"] == "/signin/"

    def test_a_removed_login_profile_meanwhile_ends_it(self, client, ctx, acct, dana, monkeypatch):
        MfaSignInTests().enrol(ctx, dana, monkeypatch, at=1_800_000_000)
        sign_in(client, acct)
        passwords.delete_login_profile(ctx, user_name="dana")
        assert client.get("/signin/mfa/")["Location"] == "/signin/"

    def test_it_expires_after_ten_minutes(self, client, ctx, acct, dana, monkeypatch):
        from datetime import timedelta

        from django.utils import timezone

        MfaSignInTests().enrol(ctx, dana, monkeypatch, at=1_800_000_000)
        sign_in(client, acct)
        later = timezone.now() + timedelta(minutes=11)
        monkeypatch.setattr("accounts.views.timezone.now", lambda: later)
        assert client.get("/signin/mfa/")["Location"] == "/signin/"

    def test_the_enrollment_seed_is_shown_to_one_sign_in_only(self, ctx):
        first, second = Client(), Client()
        for c in (first, second):
            c.post("/signin/root/", {"email": ctx.caller.email, "password": f.PASSWORD})
        seeds = []
        for c in (first, second):
            page = c.get("/signin/mfa/enroll/").content.decode()
            seeds.append(page.split('id="mfa-secret" class="secret">')[1].split("<")[0].strip())
        assert seeds[0] != seeds[1]
        reload = first.get("/signin/mfa/enroll/").content.decode()
        assert seeds[1] not in reload

    def test_mfa_codes_stay_out_of_error_reports(self, client, acct, dana):
        sign_in(client, acct)
        response = client.post("/signin/mfa/", {"code": "123456"})
        assert response.wsgi_request.sensitive_post_parameters == "__ALL__"
