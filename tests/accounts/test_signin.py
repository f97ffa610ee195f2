"""Console sign-up and sign-in services: sign_up, account_for_sign_in, authenticate_root,
authenticate_iam_user, complete_mfa, session_context; the brute-force throttle."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import hashers
from django.db import connection
from django.utils import timezone
from django_otp.oath import hotp

from accounts.authz import authorize
from accounts.context import CONSOLE
from accounts.models import Account, AuditEvent, LoginProfile, SignInThrottle, User
from accounts.services import mfa, passwords, signin, users
from accounts.services.signin import SignInError, SignInLockedError
from iam_portal.errors import (
    AccessDeniedError,
    EntityAlreadyExistsError,
    InvalidInputError,
    PasswordPolicyViolationError,
    ValidationError,
)
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

STRONG = "Tr0ub4dor&3-horse"
ALICE_PASSWORD = "Alice-Password-1"
WRONG = "not-the-password"
FAILED = "Your authentication information is incorrect. Please try again."
IP = "203.0.113.9"
OTHER_IP = "198.51.100.7"


def locked(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts. Try again in {minutes} {unit}."


class Clock:
    """timezone.now() under the test's control: time moves only when the test says so."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def alice(ctx) -> User:
    """An IAM user with a console password."""
    user = users.create_user(ctx, user_name="alice")
    passwords.create_login_profile(ctx, user_name="alice", password=ALICE_PASSWORD)
    return user


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """The hashes django.contrib.auth.hashers.check_password was called with, in order."""
    calls: list[str] = []
    real = hashers.check_password

    def counting(password, encoded, *args, **kwargs):
        calls.append(encoded)
        return real(password, encoded, *args, **kwargs)

    monkeypatch.setattr(hashers, "check_password", counting)
    return calls


def sign_in_alice(acct: str, password: str = ALICE_PASSWORD, ip: str | None = IP, name: str = "alice"):
    return signin.authenticate_iam_user(account=acct, user_name=name, password=password, source_ip=ip)


def password_set(user: User) -> datetime:
    """When the user's password was set (RequestContext.now, which timezone.now patching misses)."""
    return LoginProfile.objects.values_list("password_changed", flat=True).get(user=user)


def stored(key: str) -> str:
    """The throttle key as stored: identities (which may be mistyped passwords) only as hashes."""
    kind, _, value = key.partition(":")
    return key if kind == "ip" else signin._key(kind, value)


def failures(key: str) -> int | None:
    return SignInThrottle.objects.filter(key=stored(key)).values_list("failures", flat=True).first()


def audit_rows(action: str = signin.CONSOLE_LOGIN) -> list[dict]:
    return list(
        AuditEvent.objects.filter(action=action).values(
            "actor_arn", "target_arn", "channel", "source_ip", "outcome", "error_code", "parameters"
        )
    )


def no_secret_in_audit(*secrets: str) -> bool:
    dumped = json.dumps(list(AuditEvent.objects.values()), default=str)
    return not any(secret in dumped for secret in secrets)


def mfa_statements() -> list[dict]:
    """AWS's classic "deny everything but managing your own password unless signed in with MFA"."""
    return [
        f.allow("*", "*"),
        {
            "Effect": "Deny",
            "NotAction": ["iam:ChangePassword", "iam:GetUser"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ]


class SignUpTests:
    def test_creates_the_account_and_its_root_user_who_must_enroll_mfa(self):
        root = signin.sign_up(email="Owner@Example.com", password=STRONG, source_ip=IP)
        assert (root.is_root, root.email) == (True, "owner@example.com")
        assert root.check_password(STRONG)
        assert Account.objects.get(pk=root.account_id).require_root_mfa is True
        event = AuditEvent.objects.get(action="portal:CreateAccount")
        assert (event.outcome, event.channel, event.source_ip) == ("success", CONSOLE, IP)
        result = signin.authenticate_root(email="owner@example.com", password=STRONG, source_ip=IP)
        assert (result.mfa_required, result.mfa_enrollment_required) == (False, True)

    def test_sets_the_alias_in_the_same_transaction(self):
        root = signin.sign_up(email="owner@example.com", password=STRONG, account_alias="acme", source_ip=IP)
        assert root.account.alias == "acme"
        assert Account.objects.get(pk=root.account_id).alias == "acme"
        assert signin.account_for_sign_in("acme") == root.account
        assert events("iam:CreateAccountAlias") == [("success", "")]
        assert AuditEvent.objects.get(action="iam:CreateAccountAlias").actor_arn == root.arn

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("Sh0rt!pass", "Password should have a minimum length of 12"),
            (
                "onlylowercaseletters",
                "Password should meet 2 more of the following requirements: uppercase letter, number, symbol",
            ),
            (
                "lowercase and spaces",
                "Password should meet 1 more of the following requirements: uppercase letter, number",
            ),
            (
                "short",
                "Password should have a minimum length of 12, Password should meet 2 more of the following "
                "requirements: uppercase letter, number, symbol",
            ),
            ("Owner1@example.com", "Password should not be the email address"),
        ],
    )
    def test_weak_root_passwords_are_refused_naming_what_is_missing(self, password, message):
        with pytest.raises(PasswordPolicyViolationError) as caught:
            signin.sign_up(email="owner1@example.com", password=password)
        assert caught.value.message == message
        assert caught.value.code == "PasswordPolicyViolation"
        assert not Account.objects.exists() and not AuditEvent.objects.exists()

    @pytest.mark.parametrize("password", ["UPPER lower 12", "upper-lower-1", "UPPERlower!!x", "Abcdefghijk1"])
    def test_three_of_the_four_kinds_and_twelve_characters_are_enough(self, password):
        assert signin.sign_up(email="owner@example.com", password=password).check_password(password)

    def test_a_taken_alias_undoes_the_whole_sign_up(self):
        signin.sign_up(email="first@example.com", password=STRONG, account_alias="acme")
        with pytest.raises(EntityAlreadyExistsError) as caught:
            signin.sign_up(email="second@example.com", password=STRONG, account_alias="acme")
        assert caught.value.message == "The account alias acme already exists."
        assert Account.objects.count() == 1
        assert not User.objects.filter(email="second@example.com").exists()
        # Nothing half-made is left behind: the same email can sign up again.
        assert signin.sign_up(email="second@example.com", password=STRONG, account_alias="acme2")

    def test_an_invalid_alias_is_refused_before_anything_is_written(self):
        with pytest.raises(ValidationError) as caught:
            signin.sign_up(email="owner@example.com", password=STRONG, account_alias="Bad_Alias")
        assert caught.value.message == (
            "1 validation error detected: Value 'Bad_Alias' at 'accountAlias' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
        )
        assert not Account.objects.exists()

    def test_an_email_in_use_is_entity_already_exists(self):
        signin.sign_up(email="owner@example.com", password=STRONG)
        with pytest.raises(EntityAlreadyExistsError) as caught:
            signin.sign_up(email="OWNER@example.com", password=STRONG)
        assert caught.value.message == "An account with the email address owner@example.com already exists."

    def test_an_invalid_email_is_invalid_input(self):
        with pytest.raises(InvalidInputError) as caught:
            signin.sign_up(email="not-an-email", password=STRONG)
        assert caught.value.message == "The email address 'not-an-email' is not valid."


class AccountForSignInTests:
    def test_finds_the_account_by_id_or_by_alias_in_any_case(self, ctx):
        Account.objects.filter(pk=ctx.account.pk).update(alias="acme")
        assert signin.account_for_sign_in(ctx.account.account_id) == ctx.account
        assert signin.account_for_sign_in("acme") == ctx.account
        assert signin.account_for_sign_in(" ACME ") == ctx.account

    @pytest.mark.parametrize("value", ["", "   ", None, 123456789012, "000000000000", "nope"])
    def test_anything_else_is_none(self, ctx, value):
        assert signin.account_for_sign_in(value) is None


class AuthenticateRootTests:
    def test_the_right_password_signs_in_and_is_audited(self, root):
        result = signin.authenticate_root(email=root.email, password=f.PASSWORD, source_ip=IP)
        assert result == signin.SignInResult(user=root, mfa_enrollment_required=True)
        assert (result.password_change_required, result.password_change_allowed) == (False, True)
        assert result.days_until_expiry is None
        assert audit_rows() == [
            {
                "actor_arn": root.arn,
                "target_arn": root.arn,
                "channel": "console",
                "source_ip": IP,
                "outcome": "success",
                "error_code": "",
                "parameters": {"email": root.email, "mfa_used": "No", "mfa_enrollment_required": True},
            }
        ]

    def test_the_email_is_matched_in_any_case_and_without_spaces(self, root):
        result = signin.authenticate_root(email=f"  {root.email.upper()} ", password=f.PASSWORD, source_ip=IP)
        assert result.user == root

    def test_an_account_that_does_not_require_root_mfa_needs_no_enrollment(self, root):
        Account.objects.filter(pk=root.account_id).update(require_root_mfa=False)
        result = signin.authenticate_root(email=root.email, password=f.PASSWORD, source_ip=IP)
        assert (result.mfa_required, result.mfa_enrollment_required) == (False, False)

    def test_the_password_policy_does_not_apply_to_the_root_user(self, ctx, root, clock):
        passwords.update_account_password_policy(ctx, max_password_age=30, hard_expiry=True)
        clock.advance(days=400)
        result = signin.authenticate_root(email=root.email, password=f.PASSWORD, source_ip=IP)
        assert (result.password_change_required, result.password_change_allowed) == (False, True)
        assert result.days_until_expiry is None

    @pytest.mark.parametrize(
        ("email", "reason"),
        [("nobody@example.com", "NoSuchUser"), (None, "WrongPassword"), ("", "NoSuchUser")],
    )
    def test_a_wrong_email_or_password_is_one_error_audited_without_the_password(self, root, email, reason):
        email = root.email if email is None else email
        with pytest.raises(SignInError) as caught:
            signin.authenticate_root(email=email, password=WRONG, source_ip=IP)
        assert type(caught.value) is SignInError
        assert (caught.value.code, caught.value.http_status, caught.value.message) == (
            "SignInFailed",
            401,
            FAILED,
        )
        known = email == root.email
        assert audit_rows() == [
            {
                "actor_arn": "anonymous",
                "target_arn": root.arn if known else "",
                "channel": "console",
                "source_ip": IP,
                "outcome": "failed",
                "error_code": "SignInFailed",
                "parameters": {"email": email if known else signin.HIDDEN, "reason": reason},
            }
        ]
        assert AuditEvent.objects.get(action=signin.CONSOLE_LOGIN).account_id == (
            root.account_id if known else None
        )
        assert no_secret_in_audit(WRONG)

    def test_an_iam_user_cannot_sign_in_as_root(self, ctx, alice):
        with pytest.raises(SignInError, match=f"^{FAILED}$"):
            signin.authenticate_root(email="alice", password=ALICE_PASSWORD, source_ip=IP)

    def test_a_bad_source_address_is_left_out_rather_than_failing(self, root):
        signin.authenticate_root(email=root.email, password=f.PASSWORD, source_ip="not an address")
        assert AuditEvent.objects.get(action=signin.CONSOLE_LOGIN).source_ip is None


class AuthenticateIamUserTests:
    def test_the_right_password_signs_in_by_account_id_and_is_audited(self, acct, alice):
        result = sign_in_alice(acct)
        assert result == signin.SignInResult(user=alice)
        assert audit_rows() == [
            {
                "actor_arn": alice.arn,
                "target_arn": alice.arn,
                "channel": "console",
                "source_ip": IP,
                "outcome": "success",
                "error_code": "",
                "parameters": {"account": acct, "user_name": "alice", "mfa_used": "No"},
            }
        ]
        assert no_secret_in_audit(ALICE_PASSWORD)

    def test_by_alias_and_with_the_user_name_in_any_case(self, ctx, alice):
        Account.objects.filter(pk=ctx.account.pk).update(alias="acme")
        assert sign_in_alice("ACME", name="Alice").user == alice
        assert AuditEvent.objects.get(action=signin.CONSOLE_LOGIN).parameters["user_name"] == "alice"

    @pytest.mark.parametrize(
        ("case", "reason"),
        [
            ("unknown account", "NoSuchAccount"),
            ("unknown user", "NoSuchUser"),
            ("no login profile", "NoLoginProfile"),
            ("deleted login profile", "NoLoginProfile"),
            ("wrong password", "WrongPassword"),
            ("another account's user", "NoSuchUser"),
        ],
    )
    def test_every_failure_is_the_same_error_with_one_hash_check(
        self, ctx, acct, alice, hash_checks, case, reason
    ):
        users.create_user(ctx, user_name="bob")  # no login profile
        account, name, password = acct, "alice", WRONG
        if case == "unknown account":
            account, password = "999999999999", ALICE_PASSWORD
        elif case == "unknown user":
            name = "carol"
        elif case == "no login profile":
            name = "bob"
        elif case == "deleted login profile":
            passwords.delete_login_profile(ctx, user_name="alice")
            password = ALICE_PASSWORD
        elif case == "another account's user":
            account, password = f.root_context().account.account_id, ALICE_PASSWORD
        hash_checks.clear()
        with pytest.raises(SignInError) as caught:
            sign_in_alice(account, password, name=name)
        assert (type(caught.value), caught.value.code, caught.value.message) == (
            SignInError,
            "SignInFailed",
            FAILED,
        )
        assert len(hash_checks) == 1  # the same work whatever was wrong
        row = AuditEvent.objects.get(action=signin.CONSOLE_LOGIN)
        assert (row.actor_arn, row.outcome, row.error_code) == ("anonymous", "failed", "SignInFailed")
        known_account = account == acct or case == "another account's user"
        known_user = name in ("alice", "bob") and account == acct
        assert row.parameters == {
            "account": account if known_account else signin.HIDDEN,
            "user_name": name if known_user else signin.HIDDEN,
            "reason": reason,
        }
        known = {"alice": alice.arn, "bob": User.objects.get(user_name="bob").arn}
        assert row.target_arn == (known.get(name, "") if account == acct else "")
        assert no_secret_in_audit(ALICE_PASSWORD, WRONG)

    def test_root_and_iam_failures_also_do_one_hash_check_each(self, root, acct, alice, hash_checks):
        attempts = [
            lambda: signin.authenticate_root(email=root.email, password=WRONG, source_ip=IP),
            lambda: signin.authenticate_root(email="nobody@example.com", password=WRONG, source_ip=IP),
            lambda: sign_in_alice(acct, WRONG),
            lambda: sign_in_alice(acct, WRONG, name="nobody"),
            lambda: sign_in_alice(acct, "x" * 5000),
            lambda: sign_in_alice(acct, None),
        ]
        for attempt in attempts:
            hash_checks.clear()
            with pytest.raises(SignInError, match=f"^{FAILED}$"):
                attempt()
            assert len(hash_checks) == 1
        # Against the user's hash when there is one; otherwise against the same dummy hash.
        hash_checks.clear()
        for attempt in attempts[1], attempts[3]:
            with pytest.raises(SignInError):
                attempt()
        assert hash_checks[0] == hash_checks[1] and hashers.is_password_usable(hash_checks[0])

    def test_the_root_user_cannot_sign_in_as_an_iam_user(self, root, acct):
        for name in ("", "root", root.email):
            with pytest.raises(SignInError, match=f"^{FAILED}$"):
                sign_in_alice(acct, f.PASSWORD, name=name)

    def test_reset_required_asks_for_a_new_password(self, ctx, acct, alice):
        passwords.update_login_profile(ctx, user_name="alice", password_reset_required=True)
        result = sign_in_alice(acct)
        assert (result.password_change_required, result.password_change_allowed) == (True, True)
        assert result.days_until_expiry is None
        assert AuditEvent.objects.get(action=signin.CONSOLE_LOGIN).parameters == {
            "account": acct,
            "user_name": "alice",
            "mfa_used": "No",
            "password_change_required": True,
            "password_change_allowed": True,
        }

    def test_max_password_age_warns_then_requires_a_change(self, ctx, acct, alice, clock):
        clock.now = password_set(alice)
        passwords.update_account_password_policy(ctx, max_password_age=90)
        clock.advance(days=75)
        result = sign_in_alice(acct)
        assert (result.password_change_required, result.days_until_expiry) == (False, 15)
        clock.advance(days=14, hours=23)
        result = sign_in_alice(acct)
        assert (result.password_change_required, result.days_until_expiry) == (False, 1)
        clock.advance(hours=1)
        result = sign_in_alice(acct)
        assert (result.password_change_required, result.password_change_allowed) == (True, True)
        assert result.days_until_expiry == 0

    def test_a_new_password_restarts_the_age(self, ctx, acct, alice, clock):
        clock.now = password_set(alice)
        passwords.update_account_password_policy(ctx, max_password_age=90)
        clock.advance(days=100)
        later = f.root_context(ctx.caller, now=clock.now)  # a request made now
        passwords.update_login_profile(later, user_name="alice", password="Alice-Password-2")
        result = sign_in_alice(acct, "Alice-Password-2")
        assert (result.password_change_required, result.days_until_expiry) == (False, 90)

    def test_an_expired_password_under_hard_expiry_cannot_be_changed_by_the_user(
        self, ctx, acct, alice, clock
    ):
        clock.now = password_set(alice)
        passwords.update_account_password_policy(ctx, max_password_age=30, hard_expiry=True)
        clock.advance(days=29)
        assert sign_in_alice(acct).password_change_allowed is True
        clock.advance(days=1)
        result = sign_in_alice(acct)
        assert (result.password_change_required, result.password_change_allowed) == (True, False)
        assert AuditEvent.objects.filter(action=signin.CONSOLE_LOGIN).last().parameters == {
            "account": acct,
            "user_name": "alice",
            "mfa_used": "No",
            "password_change_required": True,
            "password_change_allowed": False,
        }

    def test_hard_expiry_does_not_forbid_an_administrators_reset_request(self, ctx, acct, alice):
        passwords.update_account_password_policy(ctx, max_password_age=30, hard_expiry=True)
        passwords.update_login_profile(ctx, user_name="alice", password_reset_required=True)
        result = sign_in_alice(acct)
        assert (result.password_change_required, result.password_change_allowed) == (True, True)


class ThrottleTests:
    def test_five_failures_lock_the_identity_even_against_the_right_password(self, acct, alice, clock):
        for _ in range(signin.MAX_IDENTITY_FAILURES):
            with pytest.raises(SignInError) as caught:
                sign_in_alice(acct, WRONG)
            assert type(caught.value) is SignInError
        with pytest.raises(SignInLockedError) as caught:
            sign_in_alice(acct)
        assert (caught.value.code, caught.value.http_status) == ("SignInLocked", 429)
        assert caught.value.message == locked(15)
        assert failures(f"user:{acct}:alice") == 5  # a refused attempt is not counted
        assert events(signin.CONSOLE_LOGIN) == [("failed", "SignInFailed")] * 5 + [("failed", "SignInLocked")]
        assert AuditEvent.objects.filter(action=signin.CONSOLE_LOGIN).last().parameters == {
            "account": acct,
            "user_name": "alice",
            "reason": "Locked",
        }
        lockout = AuditEvent.objects.get(action=signin.LOCKOUT_ACTION)
        assert (lockout.actor_arn, lockout.outcome, lockout.error_code) == (
            "anonymous",
            "failed",
            "SignInLocked",
        )
        assert (lockout.target_arn, lockout.source_ip, lockout.account_id) == (
            alice.arn,
            IP,
            alice.account_id,
        )
        assert lockout.parameters == {
            "key": stored(f"user:{acct}:alice"),
            "failures": 5,
            "locked_until": (clock.now + timedelta(minutes=15)).isoformat(),
        }

    def test_the_lock_tells_the_minutes_left_and_ends_after_the_window(self, acct, alice, clock):
        for _ in range(5):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        clock.advance(minutes=10)
        with pytest.raises(SignInLockedError, match=f"^{locked(5)}$"):
            sign_in_alice(acct)
        clock.advance(minutes=4, seconds=30)
        with pytest.raises(SignInLockedError, match=f"^{locked(1)}$"):
            sign_in_alice(acct)
        clock.advance(seconds=30)
        assert sign_in_alice(acct).user == alice
        assert failures(f"user:{acct}:alice") is None  # the success reset it

    def test_after_the_lock_a_failure_starts_a_new_count(self, acct, alice, clock):
        for _ in range(5):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        clock.advance(minutes=15)
        with pytest.raises(SignInError) as caught:
            sign_in_alice(acct, WRONG)
        assert type(caught.value) is SignInError
        assert failures(f"user:{acct}:alice") == 1
        assert SignInThrottle.objects.get(key=stored(f"user:{acct}:alice")).locked_until is None

    def test_failures_older_than_the_window_do_not_count(self, acct, alice, clock):
        for _ in range(4):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        clock.advance(minutes=15)
        for _ in range(4):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        assert failures(f"user:{acct}:alice") == 4
        assert sign_in_alice(acct).user == alice

    def test_unknown_identities_lock_the_same_way(self, root, acct, alice):
        """Otherwise a lock (or its absence) would tell which identities exist."""
        for _ in range(5):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG, name="nobody")
            with pytest.raises(SignInError):
                signin.authenticate_root(email="nobody@example.com", password=WRONG, source_ip=None)
        with pytest.raises(SignInLockedError, match=f"^{locked(15)}$"):
            sign_in_alice(acct, WRONG, name="nobody")
        with pytest.raises(SignInLockedError, match=f"^{locked(15)}$"):
            signin.authenticate_root(email="NOBODY@example.com", password=WRONG, source_ip=None)
        assert failures("root:nobody@example.com") == 5
        assert sign_in_alice(acct).user == alice

    def test_the_account_id_and_the_alias_share_one_count(self, ctx, acct, alice):
        Account.objects.filter(pk=ctx.account.pk).update(alias="acme")
        for account in [acct, "acme", acct, "ACME", acct]:
            with pytest.raises(SignInError):
                sign_in_alice(account, WRONG, name="ALICE")
        with pytest.raises(SignInLockedError):
            sign_in_alice("acme")

    def test_a_success_resets_the_identity_count_but_not_the_address_count(self, acct, alice):
        for _ in range(4):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        assert (failures(f"user:{acct}:alice"), failures(f"ip:{IP}")) == (4, 4)
        sign_in_alice(acct)
        assert (failures(f"user:{acct}:alice"), failures(f"ip:{IP}")) == (None, 4)
        for _ in range(4):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        assert sign_in_alice(acct).user == alice  # 8 failures, never 5 in a row

    def test_twenty_failures_from_one_address_lock_the_address(self, root, acct, alice):
        for i in range(signin.MAX_ADDRESS_FAILURES):
            with pytest.raises(SignInError) as caught:
                if i % 2:
                    sign_in_alice(acct, WRONG, name=f"guess{i % 5}")  # each name fails twice
                else:
                    signin.authenticate_root(email=f"guess{i}@example.com", password=WRONG, source_ip=IP)
            assert type(caught.value) is SignInError
        with pytest.raises(SignInLockedError, match=f"^{locked(15)}$"):
            sign_in_alice(acct)  # alice never failed: the address is locked
        with pytest.raises(SignInLockedError):
            signin.authenticate_root(email=root.email, password=f.PASSWORD, source_ip=IP)
        assert sign_in_alice(acct, ip=OTHER_IP).user == alice
        assert failures(f"user:{acct}:alice") is None
        lockout = AuditEvent.objects.get(action=signin.LOCKOUT_ACTION)
        assert (lockout.parameters["key"], lockout.parameters["failures"]) == (f"ip:{IP}", 20)

    def test_without_a_source_address_only_the_identity_is_counted(self, acct, alice):
        with pytest.raises(SignInError):
            sign_in_alice(acct, WRONG, ip=None)
        assert list(SignInThrottle.objects.values_list("key", flat=True)) == [stored(f"user:{acct}:alice")]

    def test_very_long_input_fits_the_key_column(self, acct, alice):
        with pytest.raises(SignInError):
            sign_in_alice(acct, WRONG, name="n" * 5000)
        key = SignInThrottle.objects.exclude(key__startswith="ip:").get().key
        assert key.startswith("user:sha256:") and len(key) < 100


class SessionContextTests:
    def test_builds_the_console_request_context(self, alice):
        at = timezone.now()
        ctx = signin.session_context(
            alice, mfa_authenticated_at=at, source_ip=IP, secure_transport=True, user_agent="Firefox"
        )
        assert (ctx.caller, ctx.channel, ctx.source_ip, ctx.secure_transport, ctx.user_agent) == (
            alice,
            "console",
            IP,
            True,
            "Firefox",
        )
        assert (ctx.mfa_authenticated_at, ctx.access_key_id) == (at, "")

    def test_the_deny_unless_mfa_policy_blocks_a_session_without_mfa(self, acct, alice):
        f.put_user_policy(alice, "RequireMFA", *mfa_statements())
        ctx = signin.session_context(
            f.context_for(alice).caller,
            mfa_authenticated_at=None,
            source_ip=IP,
            secure_transport=True,
            user_agent="",
        )
        with pytest.raises(AccessDeniedError) as caught:
            authorize(ctx, "iam:ListUsers", "*")
        assert caught.value.message == (
            f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:ListUsers on resource: * "
            "with an explicit deny in an identity-based policy"
        )
        authorize(ctx, "iam:ChangePassword", alice.arn)  # what it needs to get going is left open
        authorize(ctx, "iam:GetUser", alice.arn)
        assert events("iam:ListUsers") == [("denied", "AccessDenied")]

    def test_the_same_session_with_mfa_is_allowed(self, acct, alice):
        f.put_user_policy(alice, "RequireMFA", *mfa_statements())
        ctx = signin.session_context(
            f.context_for(alice).caller,
            mfa_authenticated_at=timezone.now(),
            source_ip=IP,
            secure_transport=True,
            user_agent="",
        )
        authorize(ctx, "iam:ListUsers", "*")

    @pytest.mark.parametrize(("operator", "denied"), [("BoolIfExists", True), ("Bool", False)])
    def test_access_key_requests_send_no_mfa_key(self, alice, operator, denied):
        """BoolIfExists denies long-term access keys too (the key is missing); plain Bool lets them by."""
        allow_all, deny = mfa_statements()
        deny["Condition"] = {operator: {"aws:MultiFactorAuthPresent": "false"}}
        f.put_user_policy(alice, "RequireMFA", allow_all, deny)
        with_key = f.context_for(alice, access_key_id="AKIAEXAMPLEEXAMPLE12", channel="query")
        console = signin.session_context(
            f.context_for(alice).caller,
            mfa_authenticated_at=None,
            source_ip=IP,
            secure_transport=True,
            user_agent="",
        )
        with pytest.raises(AccessDeniedError):
            authorize(console, "iam:ListUsers", "*")  # "false" is sent: both forms deny
        if denied:
            with pytest.raises(AccessDeniedError):
                authorize(with_key, "iam:ListUsers", "*")
        else:
            authorize(with_key, "iam:ListUsers", "*")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_are_all_counted(monkeypatch):
    ctx = f.root_context()
    users.create_user(ctx, user_name="alice")
    passwords.create_login_profile(ctx, user_name="alice", password=ALICE_PASSWORD)
    acct = ctx.account.account_id
    barrier = threading.Barrier(10)
    real = signin._password_matches

    def in_step(encoded, password):  # all ten pass the lock check before any failure is counted
        matched = real(encoded, password)
        barrier.wait(timeout=30)
        return matched

    monkeypatch.setattr(signin, "_password_matches", in_step)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        try:
            sign_in_alice(acct, WRONG, ip=f"192.0.2.{i}")
        except SignInError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["SignInFailed"] * 10
    row = SignInThrottle.objects.get(key=stored(f"user:{acct}:alice"))
    assert row.failures == 10 and row.locked_until is not None
    assert AuditEvent.objects.filter(action=signin.LOCKOUT_ACTION).count() == 1
    with pytest.raises(SignInLockedError):
        sign_in_alice(acct)


# MFA ------------------------------------------------------------------------------------------


def device_code(seed: bytes, step: int | None = None) -> str:
    """The device's code for a time step (now by default)."""
    return f"{hotp(seed, int(time.time()) // 30 if step is None else step, digits=6):06d}"


def wrong_code(seed: bytes) -> str:
    """A 6-digit code the device would not accept now (none of the steps around now)."""
    now = int(time.time()) // 30
    near = {device_code(seed, step) for step in range(now - 2, now + 3)}
    return next(c for c in ("999999", "999998", "999997", "999996", "999995", "999994") if c not in near)


def enable_device(ctx, user: User, name: str = "device") -> tuple[bytes, str]:
    """A virtual MFA device enabled for the user through the MFA service; (seed, serial number).

    It is enabled with the codes of the two steps before now, so the code of now signs in.
    """
    created = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=name)
    seed = base64.b32decode(created.base32_string_seed)
    now = int(time.time()) // 30
    mfa.enable_mfa_device(
        ctx,
        user_name=None if user.is_root else user.user_name,
        serial_number=created.device.serial_number,
        authentication_code_1=device_code(seed, now - 2),
        authentication_code_2=device_code(seed, now - 1),
    )
    return seed, created.device.serial_number


@pytest.fixture
def alice_device(ctx, alice) -> tuple[bytes, str]:
    return enable_device(ctx, alice)


class CompleteMfaTests:
    def test_a_user_with_a_device_must_give_a_code_before_the_sign_in_is_complete(
        self, acct, alice, alice_device, clock
    ):
        seed, _ = alice_device
        result = sign_in_alice(acct)
        assert result == signin.SignInResult(user=alice, mfa_required=True)
        assert audit_rows() == []  # not signed in yet
        challenge = AuditEvent.objects.get(action=signin.CREDENTIAL_CHALLENGE)
        assert (challenge.actor_arn, challenge.outcome, challenge.channel) == (
            alice.arn,
            "success",
            "console",
        )
        assert challenge.parameters == {"account": acct, "user_name": "alice", "challenge": "MFA"}
        at = signin.complete_mfa(result.user, device_code(seed), source_ip=IP)
        assert at == clock.now
        assert audit_rows() == [
            {
                "actor_arn": alice.arn,
                "target_arn": alice.arn,
                "channel": "console",
                "source_ip": IP,
                "outcome": "success",
                "error_code": "",
                "parameters": {"account": acct, "user_name": "alice", "mfa_used": "Yes"},
            }
        ]
        assert events(mfa.VERIFY_ACTION) == [("success", "")]
        assert AuditEvent.objects.get(action=mfa.VERIFY_ACTION).channel == "console"

    def test_the_root_user_with_a_device_needs_no_enrollment_but_a_code(self, ctx, root):
        seed, serial = enable_device(ctx, root, "root-account-mfa-device")
        result = signin.authenticate_root(email=root.email, password=f.PASSWORD, source_ip=IP)
        assert (result.mfa_required, result.mfa_enrollment_required) == (True, False)
        signin.complete_mfa(result.user, device_code(seed), serial_number=serial, source_ip=IP)
        assert AuditEvent.objects.get(action=signin.CONSOLE_LOGIN).parameters == {
            "email": root.email,
            "mfa_used": "Yes",
        }

    @pytest.mark.parametrize("code", ["wrong", "12345", "", None, "abcde-fghij"])
    def test_a_wrong_code_is_the_sign_in_error_counted_and_audited(self, acct, alice, alice_device, code):
        seed, _ = alice_device
        code = wrong_code(seed) if code == "wrong" else code
        with pytest.raises(SignInError) as caught:
            signin.complete_mfa(alice, code, source_ip=IP)
        assert (type(caught.value), caught.value.message) == (SignInError, FAILED)
        assert (failures(f"user:{acct}:alice"), failures(f"ip:{IP}")) == (1, 1)
        row = AuditEvent.objects.get(action=signin.CONSOLE_LOGIN)
        assert (row.actor_arn, row.target_arn, row.outcome, row.error_code) == (
            "anonymous",
            alice.arn,
            "failed",
            "SignInFailed",
        )
        assert row.parameters == {
            "account": acct,
            "user_name": "alice",
            "reason": "InvalidAuthenticationCode",
        }
        if code:
            assert no_secret_in_audit(code)

    def test_a_code_is_good_once(self, alice, alice_device):
        seed, _ = alice_device
        code = device_code(seed)
        signin.complete_mfa(alice, code, source_ip=IP)
        with pytest.raises(SignInError, match=f"^{FAILED}$"):
            signin.complete_mfa(alice, code, source_ip=IP)

    def test_the_code_must_come_from_the_named_device(self, ctx, alice, alice_device):
        seed, _ = alice_device
        _, other_serial = enable_device(ctx, alice, "second")
        with pytest.raises(SignInError, match=f"^{FAILED}$"):
            signin.complete_mfa(alice, device_code(seed), serial_number=other_serial, source_ip=IP)

    def test_passwords_and_codes_count_together_and_the_password_alone_resets_nothing(
        self, acct, alice, alice_device
    ):
        """Otherwise the password would buy five more code guesses each time."""
        seed, _ = alice_device
        for _ in range(3):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        assert sign_in_alice(acct).mfa_required
        assert failures(f"user:{acct}:alice") == 3
        for _ in range(2):
            with pytest.raises(SignInError):
                signin.complete_mfa(alice, wrong_code(seed), source_ip=IP)
        with pytest.raises(SignInLockedError, match=f"^{locked(15)}$"):
            signin.complete_mfa(alice, device_code(seed), source_ip=IP)
        with pytest.raises(SignInLockedError):
            sign_in_alice(acct)
        assert AuditEvent.objects.get(action=signin.LOCKOUT_ACTION).parameters["key"] == stored(f"user:{acct}:alice")

    def test_a_complete_sign_in_resets_the_identity_count(self, acct, alice, alice_device):
        seed, _ = alice_device
        for _ in range(4):
            with pytest.raises(SignInError):
                sign_in_alice(acct, WRONG)
        signin.complete_mfa(sign_in_alice(acct).user, device_code(seed), source_ip=IP)
        assert (failures(f"user:{acct}:alice"), failures(f"ip:{IP}")) == (None, 4)

    def test_the_root_user_may_use_a_recovery_code_once(self, ctx, root):
        enable_device(ctx, root, "root-account-mfa-device")
        codes = mfa.generate_recovery_codes(ctx)
        at = signin.complete_mfa(root, codes[0].upper(), source_ip=IP)
        assert at is not None
        row = AuditEvent.objects.get(action=signin.CONSOLE_LOGIN)
        assert row.parameters == {"email": root.email, "mfa_used": "Yes", "recovery_code_used": True}
        with pytest.raises(SignInError, match=f"^{FAILED}$"):
            signin.complete_mfa(root, codes[0], source_ip=IP)
        assert events("portal:UseRecoveryCode") == [("success", ""), ("failed", "InvalidAuthenticationCode")]
        assert no_secret_in_audit(*codes)

    def test_a_six_digit_code_is_never_tried_as_a_recovery_code(self, ctx, root):
        seed, _ = enable_device(ctx, root, "root-account-mfa-device")
        mfa.generate_recovery_codes(ctx)
        with pytest.raises(SignInError):
            signin.complete_mfa(root, wrong_code(seed), source_ip=IP)
        assert events("portal:UseRecoveryCode") == []

    def test_iam_users_have_no_recovery_codes(self, acct, alice, alice_device, monkeypatch):
        monkeypatch.setattr(mfa, "use_recovery_code", lambda *a, **k: pytest.fail("not for IAM users"))
        with pytest.raises(SignInError, match=f"^{FAILED}$"):
            signin.complete_mfa(alice, "abcde-fghij", source_ip=IP)

    def test_the_deny_unless_mfa_policy_lets_the_user_in_after_complete_mfa(self, acct, alice, alice_device):
        seed, _ = alice_device
        f.put_user_policy(alice, "RequireMFA", *mfa_statements())
        result = sign_in_alice(acct)
        assert result.mfa_required

        def session(mfa_at):
            return signin.session_context(
                f.context_for(result.user).caller,
                mfa_authenticated_at=mfa_at,
                source_ip=IP,
                secure_transport=True,
                user_agent="Firefox",
            )

        with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
            authorize(session(None), "iam:ListUsers", "*")
        at = signin.complete_mfa(result.user, device_code(seed), source_ip=IP)
        authorize(session(at), "iam:ListUsers", "*")
        authorize(session(at), "iam:CreateUser", f"arn:aws:iam::{acct}:user/bob")
        assert events("iam:ListUsers") == [("denied", "AccessDenied")]

    def test_multi_factor_auth_age_counts_from_complete_mfa(self, alice, alice_device):
        seed, _ = alice_device
        f.put_user_policy(
            alice,
            "FreshMFA",
            f.allow("*", "*"),
            f.deny(
                "iam:DeleteUser", "*", Condition={"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}
            ),
        )
        at = signin.complete_mfa(alice, device_code(seed), source_ip=IP)
        fresh = signin.session_context(
            alice, mfa_authenticated_at=at, source_ip=IP, secure_transport=True, user_agent=""
        )
        authorize(fresh, "iam:DeleteUser", alice.arn)
        stale = signin.session_context(
            alice,
            mfa_authenticated_at=at - timedelta(hours=2),
            source_ip=IP,
            secure_transport=True,
            user_agent="",
        )
        with pytest.raises(AccessDeniedError):
            authorize(stale, "iam:DeleteUser", alice.arn)
