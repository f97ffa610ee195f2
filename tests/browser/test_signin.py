"""Sign-up, MFA enrollment and sign-in in a real browser, for the root user and an IAM user."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import hotp

from accounts.services import passwords, users
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)
ROOT_PASSWORD = "Correct-Horse-Battery-9"


def code(seed: str, at: float) -> str:
    """The six-digit TOTP code of a Base32 seed at a time (RFC 6238, 30-second steps)."""
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    return f"{hotp(key, int(at) // 30, digits=6):06d}"


class RootUserTests:
    def test_sign_up_enrol_mfa_by_typing_the_seed_then_sign_in_with_a_code(
        self, live_server, page, totp_clock
    ):
        page.goto(f"{live_server.url}/signup/")
        page.get_by_label("Root user email address").fill("owner@example.com")
        page.get_by_label("Root user password").fill(ROOT_PASSWORD)
        page.get_by_label("Account alias (optional)").fill("example-co")
        page.get_by_role("button", name="Create account").click()

        # New accounts require MFA for the root user: enrollment comes first.
        page.get_by_role("heading", name="Set up multi-factor authentication").wait_for()
        seed = page.locator("#mfa-secret").inner_text().strip()
        assert page.locator(".qr svg").count() == 1
        page.reload()  # the pending device keeps its seed across reloads
        assert page.locator("#mfa-secret").inner_text().strip() == seed
        now = totp_clock.now
        page.get_by_label("MFA code 1").fill(code(seed, now))
        page.get_by_label("MFA code 2").fill(code(seed, now + 30))
        page.get_by_role("button", name="Add MFA").click()
        page.get_by_text("(root user)").wait_for()
        assert "with MFA" in page.content()

        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("link", name="Sign in using root user email").click()
        page.get_by_label("Root user email address").fill("owner@example.com")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Your authentication information is incorrect").wait_for()

        page.get_by_label("Password").fill(ROOT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Multi-factor authentication").wait_for()
        totp_clock.now += 90  # the codes used at enrollment are spent
        page.get_by_label("MFA code").fill(code(seed, totp_clock.now))
        page.get_by_role("button", name="Submit").click()
        page.get_by_text("(root user)").wait_for()


class IamUserTests:
    def test_account_sign_in_url_then_forced_password_change(self, live_server, page):
        root = f.root_context(f.root_user("boss@example.com"))
        users.create_user(root, user_name="dana")
        f.put_user_policy(
            users_get(root, "dana"),
            "ChangeOwn",
            f.allow("iam:ChangePassword", f"arn:aws:iam::{root.account.account_id}:user/${{aws:username}}"),
        )
        passwords.create_login_profile(
            root, user_name="dana", password="First-Pass-1", password_reset_required=True
        )

        page.goto(f"{live_server.url}/signin/{root.account.account_id}/")
        assert (
            page.get_by_label("Account ID (12 digits) or account alias").input_value()
            == root.account.account_id
        )
        page.get_by_label("IAM user name").fill("dana")
        page.get_by_label("Password").fill("First-Pass-1")
        page.get_by_role("button", name="Sign in").click()

        page.get_by_role("heading", name="Change your password").wait_for()
        page.get_by_label("Old password").fill("First-Pass-1")
        page.get_by_label("New password", exact=True).fill("Second-Pass-2")
        page.get_by_label("Retype new password").fill("Second-Pass-2")
        page.get_by_role("button", name="Confirm password change").click()
        page.get_by_text(f"dana @ {root.account.account_id}").wait_for()

    def test_unknown_user_and_wrong_password_look_the_same(self, live_server, page):
        root = f.root_context(f.root_user("boss2@example.com"))
        users.create_user(root, user_name="erin")
        passwords.create_login_profile(root, user_name="erin", password="First-Pass-1")
        answers = []
        for name, password in (("erin", "nope-nope-1"), ("nobody", "First-Pass-1")):
            page.goto(f"{live_server.url}/signin/{root.account.account_id}/")
            page.get_by_label("IAM user name").fill(name)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            answers.append(page.locator(".errornote").inner_text())
        assert answers[0] == answers[1] == "Your authentication information is incorrect. Please try again."


def users_get(ctx, name):
    from accounts.selectors.users import get_user

    return get_user(ctx, user_name=name)
