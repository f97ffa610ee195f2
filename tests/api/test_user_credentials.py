"""A user's credentials through the REST API, signed with SigV4: login profiles and ChangePassword,
access keys (a named user's and the caller's own), MFA devices and virtual MFA devices; shapes,
status codes, AWS codes and messages, authorization, audit rows (never a secret in them), query
counts and the schema's shapes.

TOTP codes are real RFC 6238 codes of the seed the API answered, at a fixed time (django-otp's
TOTP.time), as in tests/accounts/test_mfa.py.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from urllib.parse import quote

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.oath import TOTP, hotp
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from accounts.models import AccessKey, AuditEvent, LoginProfile, MFADevice, User
from accounts.selectors.access_keys import secret_for_signing
from accounts.services import mfa, passwords
from accounts.services.users import create_user
from tests import factories as f

from .conftest import HOST, USERS, Key, denial, error, iam_user, issue_key
from .test_schema import _json_schema

pytestmark = pytest.mark.django_db

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
NOW = 1_800_000_015  # a fixed Unix time, 15 seconds into a 30-second step
T = NOW // 30
GOOD_PASSWORD = "Corr3ct-Horse!"
OTHER_PASSWORD = "Battery-Stapl3?"
VIRTUAL = "/api/v1/virtual-mfa-devices/"
OWN_KEYS = "/api/v1/access-keys/"
ME_PASSWORD = "/api/v1/me/password/"
INVALID_CODE = "Authentication code for device is not valid."


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """django-otp's clock at NOW (the MFA services read time through TOTP.time)."""
    monkeypatch.setattr(TOTP, "time", property(lambda self: NOW))


@pytest.fixture
def alice(ctx) -> User:
    return create_user(ctx, user_name="alice")


def profile_url(user_name: str) -> str:
    return f"{USERS}{user_name}/login-profile/"


def keys_url(user_name: str) -> str:
    return f"{USERS}{user_name}/access-keys/"


def devices_url(user_name: str) -> str:
    return f"{USERS}{user_name}/mfa-devices/"


def serial_query(serial_number: str) -> str:
    return "?serial_number=" + quote(serial_number, safe="")


def code(seed: str, step: int) -> str:
    """The device's code at a time step."""
    return f"{hotp(base64.b32decode(seed), step):06d}"


def codes(serial_number: str, seed: str, step: int = T) -> dict[str, str]:
    """An enable/resync body: the codes of the step before `step` and of `step`."""
    return {
        "serial_number": serial_number,
        "authentication_code1": code(seed, step - 1),
        "authentication_code2": code(seed, step),
    }


def enabled_device(ctx, name: str, user_name: str | None) -> MFADevice:
    """A device made and enabled through the services (the caller's own without a user name)."""
    new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=name)
    return mfa.enable_mfa_device(
        ctx,
        user_name=user_name,
        serial_number=new.device.serial_number,
        authentication_code_1=code(new.base32_string_seed, T - 1),
        authentication_code_2=code(new.base32_string_seed, T),
    )


def events(action: str) -> list[tuple[str, str, str]]:
    """(outcome, error code, channel) of one action's audit rows, oldest first."""
    return list(AuditEvent.objects.filter(action=action).values_list("outcome", "error_code", "channel"))


def audited_text() -> str:
    """Every audit row's parameters as one text: no secret may be in it."""
    return json.dumps(list(AuditEvent.objects.values_list("parameters", flat=True)))


def user_with_policy(ctx, name: str, *actions: str) -> Key:
    """An IAM user allowed these actions on every resource, and its access key."""
    user = iam_user(ctx, name)
    f.put_user_policy(user, "allow", f.allow(list(actions)))
    return issue_key(ctx, name)


# --- Login profiles --------------------------------------------------------------------------------


class GetLoginProfileTests:
    def test_answers_when_and_whether_a_reset_is_required_never_the_password(
        self, signed, root_key, ctx, alice
    ):
        passwords.create_login_profile(
            ctx, user_name="alice", password=GOOD_PASSWORD, password_reset_required=True
        )
        response = signed("GET", profile_url("ALICE"), root_key)
        assert response.status_code == 200
        profile = LoginProfile.objects.get(user=alice)
        assert response.json() == {
            "user_name": "alice",
            "create_date": profile.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "password_reset_required": True,
        }

    def test_a_user_without_one_and_a_user_that_is_not_there(self, signed, root_key, alice):
        assert error(signed("GET", profile_url("alice"), root_key)) == (
            404,
            "NoSuchEntity",
            "Login Profile for User alice cannot be found.",
        )
        assert error(signed("GET", profile_url("ghost"), root_key)) == (
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        )

    def test_a_name_longer_than_the_login_profile_actions_take(self, signed, root_key):
        response = signed("GET", profile_url("a" * 65), root_key)
        assert error(response) == (
            400,
            "ValidationError",
            f"1 validation error detected: Value '{'a' * 65}' at 'userName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64",
        )

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        passwords.create_login_profile(ctx, user_name="alice", password=GOOD_PASSWORD)
        response = signed("GET", profile_url("alice"), nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetLoginProfile", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert events("iam:GetLoginProfile") == [("denied", "AccessDenied", "rest")]


class CreateLoginProfileTests:
    def test_sets_the_password_and_answers_201_with_the_profile_and_its_url(self, signed, root_key, alice):
        response = signed(
            "POST",
            profile_url("alice"),
            root_key,
            {"password": GOOD_PASSWORD, "password_reset_required": True},
        )
        assert response.status_code == 201
        profile = LoginProfile.objects.get(user=alice)
        assert response.json() == {
            "user_name": "alice",
            "create_date": profile.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "password_reset_required": True,
        }
        assert response["Location"] == f"http://{HOST}/api/v1/users/alice/login-profile/"
        assert response["Cache-Control"] == "no-store"
        assert User.objects.get(pk=alice.pk).check_password(GOOD_PASSWORD)

    def test_whitespace_is_part_of_the_password(self, signed, root_key, alice):
        spaced = f" {GOOD_PASSWORD} "
        assert signed("POST", profile_url("alice"), root_key, {"password": spaced}).status_code == 201
        stored = User.objects.get(pk=alice.pk)
        assert stored.check_password(spaced) and not stored.check_password(GOOD_PASSWORD)
        assert LoginProfile.objects.get(user=alice).password_reset_required is False

    def test_one_audit_row_with_the_flag_and_never_the_password(self, signed, root_key, alice, acct):
        response = signed("POST", profile_url("alice"), root_key, {"password": GOOD_PASSWORD})
        event = AuditEvent.objects.get(action="iam:CreateLoginProfile")
        assert (event.outcome, event.channel, event.target_arn, event.request_id) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:user/alice",
            response["x-amzn-RequestId"],
        )
        assert event.parameters == {"user_name": "alice", "password_reset_required": False}
        assert GOOD_PASSWORD not in audited_text()
        assert GOOD_PASSWORD not in response.content.decode()

    def test_a_second_profile_is_entity_already_exists(self, signed, root_key, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=GOOD_PASSWORD)
        response = signed("POST", profile_url("alice"), root_key, {"password": OTHER_PASSWORD})
        assert error(response) == (409, "EntityAlreadyExists", "Login Profile for user alice already exists.")
        assert User.objects.get(pk=alice.pk).check_password(GOOD_PASSWORD)

    def test_a_password_that_breaks_awss_default_policy(self, signed, root_key, alice):
        response = signed("POST", profile_url("alice"), root_key, {"password": "short"})
        assert error(response) == (
            400,
            "PasswordPolicyViolation",
            "Password should have a minimum length of 8, Password should meet 2 more of the following "
            "requirements: uppercase letter, number, symbol",
        )
        assert not LoginProfile.objects.exists()
        assert events("iam:CreateLoginProfile") == [("failed", "PasswordPolicyViolation", "rest")]
        assert "short" not in audited_text()

    def test_invalid_fields_are_named_without_showing_the_password(self, signed, root_key, alice):
        response = signed("POST", profile_url("alice"), root_key, {"password_reset_required": "maybe"})
        assert response.json()["error"]["fields"] == {
            "password": ["This field is required."],
            "password_reset_required": ["Must be a valid boolean."],
        }
        bad = "Pässwörd-1\u0100"  # U+0100 is outside passwordType
        response = signed("POST", profile_url("alice"), root_key, {"password": bad})
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: password: Use tab, newline, carriage return and U+0020 to U+00FF "
            "only",
        )
        assert bad not in response.content.decode()
        response = signed("POST", profile_url("alice"), root_key, {"password": "x" * 129})
        assert response.json()["error"]["fields"] == {
            "password": ["Ensure this field has no more than 128 characters."]
        }
        assert not LoginProfile.objects.exists()

    def test_an_iam_user_without_a_policy_is_denied_and_audited(self, signed, nobody_key, alice, acct):
        response = signed("POST", profile_url("alice"), nobody_key, {"password": GOOD_PASSWORD})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateLoginProfile", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert not LoginProfile.objects.exists()
        denied = AuditEvent.objects.get(action="iam:CreateLoginProfile")
        assert (denied.outcome, denied.channel, denied.access_key_id) == (
            "denied",
            "rest",
            nobody_key.access_key_id,
        )
        assert GOOD_PASSWORD not in audited_text()


class UpdateLoginProfileTests:
    def test_sets_a_new_password_and_the_reset_flag(self, signed, root_key, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=GOOD_PASSWORD)
        response = signed(
            "PATCH",
            profile_url("alice"),
            root_key,
            {"password": OTHER_PASSWORD, "password_reset_required": True},
        )
        assert (response.status_code, response.content) == (204, b"")
        assert response["Cache-Control"] == "no-store"
        assert User.objects.get(pk=alice.pk).check_password(OTHER_PASSWORD)
        assert LoginProfile.objects.get(user=alice).password_reset_required is True
        event = AuditEvent.objects.get(action="iam:UpdateLoginProfile")
        assert (event.outcome, event.channel) == ("success", "rest")
        assert event.parameters == {
            "user_name": "alice",
            "password_set": True,
            "password_reset_required": True,
        }
        assert OTHER_PASSWORD not in audited_text()

    def test_the_flag_alone_keeps_the_password(self, signed, root_key, ctx, alice):
        passwords.create_login_profile(
            ctx, user_name="alice", password=GOOD_PASSWORD, password_reset_required=True
        )
        response = signed("PATCH", profile_url("alice"), root_key, {"password_reset_required": False})
        assert response.status_code == 204
        assert LoginProfile.objects.get(user=alice).password_reset_required is False
        assert User.objects.get(pk=alice.pk).check_password(GOOD_PASSWORD)

    def test_a_user_without_a_profile_is_no_such_entity(self, signed, root_key, alice):
        response = signed("PATCH", profile_url("alice"), root_key, {"password": OTHER_PASSWORD})
        assert error(response) == (404, "NoSuchEntity", "Login Profile for User alice cannot be found.")
        assert events("iam:UpdateLoginProfile") == [("failed", "NoSuchEntity", "rest")]

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        passwords.create_login_profile(ctx, user_name="alice", password=GOOD_PASSWORD)
        response = signed("PATCH", profile_url("alice"), nobody_key, {"password": OTHER_PASSWORD})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UpdateLoginProfile", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert User.objects.get(pk=alice.pk).check_password(GOOD_PASSWORD)
        assert events("iam:UpdateLoginProfile") == [("denied", "AccessDenied", "rest")]


class DeleteLoginProfileTests:
    def test_removes_console_access(self, signed, root_key, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=GOOD_PASSWORD)
        response = signed("DELETE", profile_url("alice"), root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not LoginProfile.objects.exists()
        assert not User.objects.get(pk=alice.pk).has_usable_password()
        assert events("iam:DeleteLoginProfile") == [("success", "", "rest")]
        assert error(signed("DELETE", profile_url("alice"), root_key)) == (
            404,
            "NoSuchEntity",
            "Login Profile for User alice cannot be found.",
        )

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        passwords.create_login_profile(ctx, user_name="alice", password=GOOD_PASSWORD)
        response = signed("DELETE", profile_url("alice"), nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeleteLoginProfile", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert LoginProfile.objects.filter(user=alice).exists()


class ChangePasswordTests:
    @pytest.fixture
    def carol_key(self, ctx) -> Key:
        """An IAM user with a console password, in an account whose policy lets users change theirs."""
        iam_user(ctx, "carol")
        passwords.create_login_profile(
            ctx, user_name="carol", password=GOOD_PASSWORD, password_reset_required=True
        )
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        return issue_key(ctx, "carol")

    def test_the_caller_changes_its_own_password(self, signed, carol_key, acct):
        body = {"old_password": GOOD_PASSWORD, "new_password": OTHER_PASSWORD}
        response = signed("POST", ME_PASSWORD, carol_key, body)
        assert (response.status_code, response.content) == (204, b"")
        assert response["Cache-Control"] == "no-store"
        carol = User.objects.get(user_name="carol")
        assert carol.check_password(OTHER_PASSWORD)
        assert LoginProfile.objects.get(user=carol).password_reset_required is False
        event = AuditEvent.objects.get(action="iam:ChangePassword")
        assert (event.outcome, event.channel, event.actor_arn, event.parameters) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:user/carol",
            {"user_name": "carol"},
        )
        assert GOOD_PASSWORD not in audited_text() and OTHER_PASSWORD not in audited_text()

    def test_a_wrong_old_password_is_invalid_input(self, signed, carol_key):
        body = {"old_password": "Wr0ng-Password!", "new_password": OTHER_PASSWORD}
        response = signed("POST", ME_PASSWORD, carol_key, body)
        assert error(response) == (400, "InvalidInput", "The old password was incorrect.")
        assert User.objects.get(user_name="carol").check_password(GOOD_PASSWORD)
        assert events("iam:ChangePassword") == [("failed", "InvalidInput", "rest")]

    def test_both_passwords_are_required(self, signed, carol_key):
        response = signed("POST", ME_PASSWORD, carol_key, {})
        assert response.json()["error"]["fields"] == {
            "old_password": ["This field is required."],
            "new_password": ["This field is required."],
        }

    def test_the_root_user_cannot(self, signed, root_key):
        body = {"old_password": GOOD_PASSWORD, "new_password": OTHER_PASSWORD}
        assert error(signed("POST", ME_PASSWORD, root_key, body)) == (
            400,
            "InvalidUserType",
            "ChangePassword is for IAM users; the root user cannot call it.",
        )

    def test_an_iam_user_that_nothing_allows_is_denied(self, signed, nobody_key, acct):
        body = {"old_password": GOOD_PASSWORD, "new_password": OTHER_PASSWORD}
        response = signed("POST", ME_PASSWORD, nobody_key, body)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ChangePassword", f"arn:aws:iam::{acct}:user/nobody"),
        )
        assert events("iam:ChangePassword") == [("denied", "AccessDenied", "rest")]


# --- Access keys -----------------------------------------------------------------------------------


class ListAccessKeysTests:
    def test_lists_the_users_keys_oldest_first_without_secrets(self, signed, root_key, ctx, alice):
        first, second = issue_key(ctx, "alice"), issue_key(ctx, "alice")
        AccessKey.objects.filter(access_key_id=second.access_key_id).update(status=AccessKey.INACTIVE)
        response = signed("GET", keys_url("alice"), root_key)
        assert response.status_code == 200
        created = {k.access_key_id: k.created for k in AccessKey.objects.filter(user=alice)}
        assert response.json() == {
            "items": [
                {
                    "user_name": "alice",
                    "access_key_id": key.access_key_id,
                    "status": status,
                    "create_date": created[key.access_key_id].strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                for key, status in ((first, "Active"), (second, "Inactive"))
            ],
            "is_truncated": False,
            "marker": None,
        }
        assert first.secret_access_key not in response.content.decode()

    def test_pages(self, signed, root_key, ctx, alice):
        first, second = issue_key(ctx, "alice"), issue_key(ctx, "alice")
        page = signed("GET", keys_url("alice") + "?max_items=1", root_key).json()
        assert ([k["access_key_id"] for k in page["items"]], page["is_truncated"]) == (
            [first.access_key_id],
            True,
        )
        marker = quote(page["marker"], safe="")  # base64: "=" percent-encoded, as clients send it
        rest = signed("GET", f"{keys_url('alice')}?max_items=1&marker={marker}", root_key).json()
        assert [k["access_key_id"] for k in rest["items"]] == [second.access_key_id]

    def test_a_user_that_is_not_there(self, signed, root_key):
        assert error(signed("GET", keys_url("ghost"), root_key)) == (
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        )

    def test_a_constant_number_of_queries(self, signed, root_key, ctx, alice, django_assert_max_num_queries):
        signed("GET", keys_url("alice"), root_key)  # warm the policy cache

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", keys_url("alice"), root_key).status_code == 200
            return len(queries)

        none = count()
        issue_key(ctx, "alice"), issue_key(ctx, "alice")
        with django_assert_max_num_queries(none):
            assert len(signed("GET", keys_url("alice"), root_key).json()["items"]) == 2

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, alice, acct):
        assert error(signed("GET", keys_url("alice"), nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListAccessKeys", f"arn:aws:iam::{acct}:user/alice"),
        )


class CreateAccessKeyTests:
    def test_answers_201_with_the_secret_once_and_no_store(self, signed, root_key, alice):
        response = signed("POST", keys_url("alice"), root_key)
        assert response.status_code == 201
        body = response.json()
        key = AccessKey.objects.get(user=alice)
        assert body == {
            "user_name": "alice",
            "access_key_id": key.access_key_id,
            "status": "Active",
            "secret_access_key": body["secret_access_key"],
            "create_date": key.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key.access_key_id)
        assert re.fullmatch(r"[A-Za-z0-9+/]{40}", body["secret_access_key"])
        assert secret_for_signing(key.access_key_id)[1] == body["secret_access_key"]
        assert response["Cache-Control"] == "no-store"
        assert response["Location"] == f"http://{HOST}/api/v1/users/alice/access-keys/{key.access_key_id}/"
        # The new key signs requests at once: alice is known (AccessDenied, not InvalidClientTokenId).
        issued = Key(key.access_key_id, body["secret_access_key"])
        assert error(signed("GET", USERS, issued))[:2] == (403, "AccessDenied")

    def test_one_audit_row_with_the_key_id_and_never_the_secret(self, signed, root_key, alice, acct):
        body = signed("POST", keys_url("alice"), root_key).json()
        event = AuditEvent.objects.get(action="iam:CreateAccessKey", channel="rest")
        assert (event.outcome, event.target_arn, event.parameters) == (
            "success",
            f"arn:aws:iam::{acct}:user/alice",
            {"user_name": "alice", "access_key_id": body["access_key_id"]},
        )
        assert body["secret_access_key"] not in audited_text()

    def test_a_third_key_is_limit_exceeded(self, signed, root_key, ctx, alice):
        issue_key(ctx, "alice"), issue_key(ctx, "alice")
        response = signed("POST", keys_url("alice"), root_key)
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
        assert AccessKey.objects.filter(user=alice).count() == 2

    def test_a_body_is_not_needed_and_a_user_that_is_not_there(self, signed, root_key):
        assert error(signed("POST", keys_url("ghost"), root_key, {})) == (
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        )

    def test_an_iam_user_without_a_policy_is_denied_and_audited(self, signed, nobody_key, alice, acct):
        response = signed("POST", keys_url("alice"), nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateAccessKey", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert not AccessKey.objects.filter(user=alice).exists()
        assert events("iam:CreateAccessKey")[-1] == ("denied", "AccessDenied", "rest")


class UpdateAccessKeyTests:
    def test_deactivates_and_activates(self, signed, root_key, ctx, alice):
        key = issue_key(ctx, "alice")
        url = f"{keys_url('alice')}{key.access_key_id}/"
        response = signed("PUT", url, root_key, {"status": "Inactive"})
        assert (response.status_code, response.content) == (204, b"")
        assert AccessKey.objects.get(access_key_id=key.access_key_id).status == "Inactive"
        assert signed("PUT", url, root_key, {"status": "Active"}).status_code == 204
        assert AccessKey.objects.get(access_key_id=key.access_key_id).status == "Active"
        assert events("iam:UpdateAccessKey") == [("success", "", "rest")] * 2
        assert AuditEvent.objects.filter(action="iam:UpdateAccessKey").first().parameters == {
            "user_name": "alice",
            "access_key_id": key.access_key_id,
            "status": "Inactive",
        }

    def test_the_status_is_required_and_one_of_two(self, signed, root_key, ctx, alice):
        key = issue_key(ctx, "alice")
        url = f"{keys_url('alice')}{key.access_key_id}/"
        assert signed("PUT", url, root_key, {}).json()["error"]["fields"] == {
            "status": ["This field is required."]
        }
        assert signed("PUT", url, root_key, {"status": "active"}).json()["error"]["fields"] == {
            "status": ['"active" is not a valid choice.']
        }

    def test_a_key_of_another_user_is_no_such_entity(self, signed, root_key, ctx, alice):
        iam_user(ctx, "bob")
        bobs = issue_key(ctx, "bob")
        response = signed(
            "PUT", f"{keys_url('alice')}{bobs.access_key_id}/", root_key, {"status": "Inactive"}
        )
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"The Access Key with id {bobs.access_key_id} cannot be found.",
        )
        assert AccessKey.objects.get(access_key_id=bobs.access_key_id).status == "Active"

    def test_a_key_id_that_is_too_short(self, signed, root_key, alice):
        response = signed("PUT", f"{keys_url('alice')}AKIASHORT/", root_key, {"status": "Inactive"})
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: Value 'AKIASHORT' at 'accessKeyId' failed to satisfy constraint: "
            "Member must have length greater than or equal to 16",
        )

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        key = issue_key(ctx, "alice")
        response = signed(
            "PUT", f"{keys_url('alice')}{key.access_key_id}/", nobody_key, {"status": "Inactive"}
        )
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UpdateAccessKey", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert events("iam:UpdateAccessKey") == [("denied", "AccessDenied", "rest")]


class DeleteAccessKeyTests:
    def test_deletes_the_key_for_good(self, signed, root_key, ctx, alice):
        key = issue_key(ctx, "alice")
        url = f"{keys_url('alice')}{key.access_key_id}/"
        response = signed("DELETE", url, root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not AccessKey.objects.filter(access_key_id=key.access_key_id).exists()
        assert error(signed("DELETE", url, root_key)) == (
            404,
            "NoSuchEntity",
            f"The Access Key with id {key.access_key_id} cannot be found.",
        )
        assert events("iam:DeleteAccessKey") == [("success", "", "rest"), ("failed", "NoSuchEntity", "rest")]

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        key = issue_key(ctx, "alice")
        response = signed("DELETE", f"{keys_url('alice')}{key.access_key_id}/", nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeleteAccessKey", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert AccessKey.objects.filter(access_key_id=key.access_key_id).exists()


class GetAccessKeyLastUsedTests:
    def test_a_key_never_used(self, signed, root_key, ctx, alice):
        key = issue_key(ctx, "alice")
        response = signed("GET", f"{keys_url('alice')}{key.access_key_id}/last-used/", root_key)
        assert response.status_code == 200
        assert response.json() == {
            "user_name": "alice",
            "access_key_last_used": {"last_used_date": None, "service_name": "N/A", "region": "N/A"},
        }

    def test_a_key_that_signed_a_request(self, signed, root_key, ctx, alice):
        key = issue_key(ctx, "alice")
        signed("GET", USERS, key, region="eu-west-3")  # denied, but signed and verified: a use
        body = signed("GET", f"{keys_url('alice')}{key.access_key_id}/last-used/", root_key).json()
        used = AccessKey.objects.get(access_key_id=key.access_key_id).last_used_date
        assert body["access_key_last_used"] == {
            "last_used_date": used.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "service_name": "iam",
            "region": "eu-west-3",
        }

    def test_under_another_user_the_key_is_not_found(self, signed, root_key, ctx, alice):
        iam_user(ctx, "bob")
        bobs = issue_key(ctx, "bob")
        response = signed("GET", f"{keys_url('alice')}{bobs.access_key_id}/last-used/", root_key)
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"The Access Key with id {bobs.access_key_id} cannot be found.",
        )
        # The owner's name in any case finds it.
        assert signed("GET", f"{keys_url('BOB')}{bobs.access_key_id}/last-used/", root_key).status_code == 200

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        key = issue_key(ctx, "alice")
        response = signed("GET", f"{keys_url('alice')}{key.access_key_id}/last-used/", nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetAccessKeyLastUsed", f"arn:aws:iam::{acct}:user/alice"),
        )


class CallerAccessKeyTests:
    """/api/v1/access-keys/: the key actions without UserName act on the caller, the root user too."""

    def test_the_root_user_manages_its_own_keys(self, signed, root_key, root, acct):
        listed = signed("GET", OWN_KEYS, root_key).json()
        assert [(k["user_name"], k["access_key_id"]) for k in listed["items"]] == [
            (None, root_key.access_key_id)
        ]
        response = signed("POST", OWN_KEYS, root_key)
        assert response.status_code == 201
        new = response.json()
        assert (new["user_name"], new["status"]) == (None, "Active")
        assert response["Location"] == f"http://{HOST}{OWN_KEYS}{new['access_key_id']}/"
        assert AccessKey.objects.get(access_key_id=new["access_key_id"]).user_id == root.pk
        url = f"{OWN_KEYS}{new['access_key_id']}/"
        assert signed("PUT", url, root_key, {"status": "Inactive"}).status_code == 204
        assert AccessKey.objects.get(access_key_id=new["access_key_id"]).status == "Inactive"
        assert signed("DELETE", url, root_key).status_code == 204
        assert not AccessKey.objects.filter(access_key_id=new["access_key_id"]).exists()
        event = AuditEvent.objects.get(action="iam:CreateAccessKey", channel="rest")
        assert (event.target_arn, event.parameters) == (
            f"arn:aws:iam::{acct}:root",
            {"access_key_id": new["access_key_id"]},
        )

    def test_a_third_key_of_the_caller_is_limit_exceeded(self, signed, root_key, ctx):
        issue_key(ctx)
        assert error(signed("POST", OWN_KEYS, root_key)) == (
            409,
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2",
        )

    def test_last_used_of_any_key_of_the_account(self, signed, root_key, ctx, alice):
        body = signed("GET", f"{OWN_KEYS}{root_key.access_key_id}/last-used/", root_key).json()
        assert body["user_name"] is None
        assert (body["access_key_last_used"]["service_name"], body["access_key_last_used"]["region"]) == (
            "iam",
            "us-east-1",
        )
        alices = issue_key(ctx, "alice")
        body = signed("GET", f"{OWN_KEYS}{alices.access_key_id}/last-used/", root_key).json()
        assert body["user_name"] == "alice"
        other = issue_key(f.root_context())
        assert error(signed("GET", f"{OWN_KEYS}{other.access_key_id}/last-used/", root_key)) == (
            404,
            "NoSuchEntity",
            f"The Access Key with id {other.access_key_id} cannot be found.",
        )

    def test_another_key_of_the_caller_is_no_such_entity(self, signed, root_key, ctx, alice):
        alices = issue_key(ctx, "alice")
        response = signed("DELETE", f"{OWN_KEYS}{alices.access_key_id}/", root_key)
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"The Access Key with id {alices.access_key_id} cannot be found.",
        )

    def test_an_iam_user_needs_a_policy_even_for_its_own_keys(self, signed, nobody_key, ctx, acct):
        response = signed("POST", OWN_KEYS, nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateAccessKey", f"arn:aws:iam::{acct}:user/nobody"),
        )
        assert AccessKey.objects.filter(user__user_name="nobody").count() == 1
        assert events("iam:CreateAccessKey")[-1] == ("denied", "AccessDenied", "rest")

    def test_an_iam_user_allowed_on_its_own_arn(self, signed, ctx, acct):
        user = iam_user(ctx, "dave")
        f.put_user_policy(
            user,
            "own-keys",
            f.allow("iam:*AccessKey*", f"arn:aws:iam::{acct}:user/${{aws:username}}"),
        )
        key = issue_key(ctx, "dave")
        listed = signed("GET", OWN_KEYS, key).json()
        assert [(k["user_name"], k["access_key_id"]) for k in listed["items"]] == [
            ("dave", key.access_key_id)
        ]


# --- MFA devices -----------------------------------------------------------------------------------


class CreateVirtualMFADeviceTests:
    def test_answers_201_with_the_seed_and_qr_code_once(self, signed, root_key, acct):
        response = signed(
            "POST",
            VIRTUAL,
            root_key,
            {"virtual_mfa_device_name": "phone", "path": "/staff/", "tags": [{"key": "k", "value": "v"}]},
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"serial_number", "base32_string_seed", "qr_code_png", "tags"}
        assert body["serial_number"] == f"arn:aws:iam::{acct}:mfa/staff/phone"
        assert len(base64.b32decode(body["base32_string_seed"])) == mfa.SEED_BYTES
        assert base64.b64decode(body["qr_code_png"]).startswith(b"\x89PNG\r\n\x1a\n")
        assert body["tags"] == [{"key": "k", "value": "v"}]
        assert response["Cache-Control"] == "no-store"
        assert "Location" not in response
        device = MFADevice.objects.get(serial_number=body["serial_number"])
        assert (device.user_id, device.enable_date) == (None, None)
        assert body["base32_string_seed"] not in device.seed_ciphertext

    def test_one_audit_row_and_never_the_seed(self, signed, root_key, acct):
        body = signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "phone"}).json()
        event = AuditEvent.objects.get(action="iam:CreateVirtualMFADevice")
        assert (event.outcome, event.channel, event.target_arn, event.parameters) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:mfa/phone",
            {"virtual_mfa_device_name": "phone", "path": "/"},
        )
        assert body["base32_string_seed"] not in audited_text()

    def test_a_taken_name_in_any_case_on_any_path(self, signed, root_key):
        signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "phone"})
        response = signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "PHONE", "path": "/x/"})
        assert error(response) == (
            409,
            "EntityAlreadyExists",
            "MFADevice entity at the same path and name already exists.",
        )

    def test_invalid_fields_are_named(self, signed, root_key):
        response = signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "my phone", "path": "x"})
        assert response.json()["error"]["fields"] == {
            "virtual_mfa_device_name": ["Use letters, digits and +=,.@_- only."],
            "path": ["Must be / or begin and end with / (printable ASCII between)."],
        }
        assert not MFADevice.objects.exists()

    def test_an_iam_user_without_a_policy_is_denied_and_audited(self, signed, nobody_key, acct):
        response = signed("POST", VIRTUAL, nobody_key, {"virtual_mfa_device_name": "phone"})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateVirtualMFADevice", f"arn:aws:iam::{acct}:mfa/phone"),
        )
        assert not MFADevice.objects.exists()
        assert events("iam:CreateVirtualMFADevice") == [("denied", "AccessDenied", "rest")]


class ListVirtualMFADevicesTests:
    def test_lists_by_name_with_the_assigned_user(self, signed, root_key, ctx, alice, root, acct):
        enabled_device(ctx, "b-alice", "alice")
        enabled_device(ctx, "c-root", None)
        mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="a-spare")
        body = signed("GET", VIRTUAL, root_key).json()
        assert [d["serial_number"].rsplit("/", 1)[1] for d in body["items"]] == [
            "a-spare",
            "b-alice",
            "c-root",
        ]
        spare, of_alice, of_root = body["items"]
        assert spare == {
            "serial_number": f"arn:aws:iam::{acct}:mfa/a-spare",
            "user": None,
            "enable_date": None,
            "tags": [],
        }
        device = MFADevice.objects.get(device_name="b-alice")
        assert of_alice["enable_date"] == device.enable_date.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert of_alice["user"] == {
            "user_name": "alice",
            "user_id": alice.user_id,
            "arn": f"arn:aws:iam::{acct}:user/alice",
            "path": "/",
            "create_date": alice.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert of_root["user"] == {
            "user_name": None,
            "user_id": acct,
            "arn": f"arn:aws:iam::{acct}:root",
            "path": None,
            "create_date": root.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert all(set(item) == {"serial_number", "user", "enable_date", "tags"} for item in body["items"])

    @pytest.mark.parametrize(("status", "names"), [("Assigned", ["b-alice"]), ("Unassigned", ["a-spare"])])
    def test_assignment_status_filters(self, signed, root_key, ctx, alice, status, names):
        enabled_device(ctx, "b-alice", "alice")
        mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="a-spare")
        body = signed("GET", f"{VIRTUAL}?assignment_status={status}", root_key).json()
        assert [d["serial_number"].rsplit("/", 1)[1] for d in body["items"]] == names

    def test_a_bad_assignment_status_is_named(self, signed, root_key):
        response = signed("GET", f"{VIRTUAL}?assignment_status=all", root_key)
        assert error(response) == (
            400,
            "ValidationError",
            '1 validation error detected: assignment_status: "all" is not a valid choice',
        )

    def test_a_constant_number_of_queries(self, signed, root_key, ctx, django_assert_max_num_queries):
        enabled_device(ctx, "first", None)
        signed("GET", VIRTUAL, root_key)  # warm the policy cache

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", VIRTUAL, root_key).status_code == 200
            return len(queries)

        few = count()
        for i in range(8):
            create_user(ctx, user_name=f"u{i}")
            enabled_device(ctx, f"d{i}", f"u{i}")
        with django_assert_max_num_queries(few):
            assert len(signed("GET", VIRTUAL, root_key).json()["items"]) == 9

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, acct):
        assert error(signed("GET", VIRTUAL, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListVirtualMFADevices", f"arn:aws:iam::{acct}:mfa/"),
        )


class EnableMFADeviceTests:
    def test_two_consecutive_codes_enable_the_device_for_the_user(self, signed, root_key, alice, acct):
        new = signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "phone"}).json()
        body = codes(new["serial_number"], new["base32_string_seed"])
        response = signed("POST", devices_url("alice"), root_key, body)
        assert response.status_code == 201
        device = MFADevice.objects.get(serial_number=new["serial_number"])
        assert response.json() == {
            "user_name": "alice",
            "serial_number": f"arn:aws:iam::{acct}:mfa/phone",
            "enable_date": device.enable_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert device.user_id == alice.pk
        event = AuditEvent.objects.get(action="iam:EnableMFADevice")
        assert (event.outcome, event.channel, event.target_arn, event.parameters) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:user/alice",
            {"user_name": "alice", "serial_number": new["serial_number"]},
        )

    def test_codes_that_are_not_the_devices_are_invalid_authentication_code(self, signed, root_key, alice):
        new = signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "phone"}).json()
        body = codes(new["serial_number"], new["base32_string_seed"])
        body["authentication_code1"], body["authentication_code2"] = (
            body["authentication_code2"],
            body["authentication_code1"],
        )
        response = signed("POST", devices_url("alice"), root_key, body)
        assert error(response) == (403, "InvalidAuthenticationCode", INVALID_CODE)
        assert MFADevice.objects.get(serial_number=new["serial_number"]).user_id is None
        assert events("iam:EnableMFADevice") == [("failed", "InvalidAuthenticationCode", "rest")]

    def test_malformed_codes_and_serial_numbers_are_named_without_showing_the_codes(
        self, signed, root_key, alice
    ):
        response = signed(
            "POST",
            devices_url("alice"),
            root_key,
            {
                "serial_number": "no spaces here",
                "authentication_code1": "12a456",
                "authentication_code2": "1234567",
            },
        )
        assert response.json()["error"]["fields"] == {
            "serial_number": ["Use letters, digits and +=/:,.@_- only."],
            "authentication_code1": ["Must be 6 digits."],
            "authentication_code2": ["Must be 6 digits."],
        }
        assert "12a456" not in response.content.decode() and "1234567" not in response.content.decode()

    def test_a_device_in_use_and_a_device_that_is_not_there(self, signed, root_key, ctx, alice, acct):
        used = enabled_device(ctx, "phone", None)
        response = signed("POST", devices_url("alice"), root_key, codes(used.serial_number, "A" * 32))
        assert error(response) == (409, "EntityAlreadyExists", "MFA Device is already in use.")
        missing = f"arn:aws:iam::{acct}:mfa/ghost"
        response = signed("POST", devices_url("alice"), root_key, codes(missing, "A" * 32))
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"MFA Device with serial number {missing} does not exist.",
        )

    def test_an_iam_user_without_a_policy_is_denied_and_audited(self, signed, nobody_key, ctx, alice, acct):
        new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="phone")
        body = codes(new.device.serial_number, new.base32_string_seed)
        response = signed("POST", devices_url("alice"), nobody_key, body)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:EnableMFADevice", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert events("iam:EnableMFADevice") == [("denied", "AccessDenied", "rest")]


class ListMFADevicesTests:
    def test_lists_the_devices_enabled_for_the_user(self, signed, root_key, ctx, alice, acct):
        device = enabled_device(ctx, "phone", "alice")
        mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="spare")
        response = signed("GET", devices_url("alice"), root_key)
        assert response.status_code == 200
        assert response.json() == {
            "items": [
                {
                    "user_name": "alice",
                    "serial_number": f"arn:aws:iam::{acct}:mfa/phone",
                    "enable_date": device.enable_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ],
            "is_truncated": False,
            "marker": None,
        }

    def test_a_user_that_is_not_there(self, signed, root_key):
        assert error(signed("GET", devices_url("ghost"), root_key)) == (
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        )

    def test_a_constant_number_of_queries(self, signed, root_key, ctx, alice, django_assert_max_num_queries):
        enabled_device(ctx, "d0", "alice")
        signed("GET", devices_url("alice"), root_key)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", devices_url("alice"), root_key).status_code == 200
            return len(queries)

        few = count()
        for i in range(1, 8):
            enabled_device(ctx, f"d{i}", "alice")
        with django_assert_max_num_queries(few):
            assert len(signed("GET", devices_url("alice"), root_key).json()["items"]) == 8

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, alice, acct):
        assert error(signed("GET", devices_url("alice"), nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListMFADevices", f"arn:aws:iam::{acct}:user/alice"),
        )


class ResyncMFADeviceTests:
    def test_two_later_consecutive_codes_set_the_drift(self, signed, root_key, ctx, alice):
        new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="phone")
        serial = new.device.serial_number
        mfa.enable_mfa_device(ctx, user_name="alice", serial_number=serial, **_service_codes(new))
        body = codes(serial, new.base32_string_seed, T + 5)
        response = signed("POST", devices_url("alice") + "resync/", root_key, body)
        assert (response.status_code, response.content) == (204, b"")
        device = MFADevice.objects.get(serial_number=serial)
        assert (device.drift, device.last_t) == (5, T + 5)
        assert events("iam:ResyncMFADevice") == [("success", "", "rest")]
        # The same codes again are replays.
        assert error(signed("POST", devices_url("alice") + "resync/", root_key, body)) == (
            403,
            "InvalidAuthenticationCode",
            INVALID_CODE,
        )

    def test_a_device_of_another_user_is_no_such_entity(self, signed, root_key, ctx, alice):
        theirs = enabled_device(ctx, "rootphone", None)
        response = signed(
            "POST", devices_url("alice") + "resync/", root_key, codes(theirs.serial_number, "A" * 32)
        )
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"MFA Device with serial number {theirs.serial_number} does not exist.",
        )

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        device = enabled_device(ctx, "phone", "alice")
        response = signed(
            "POST", devices_url("alice") + "resync/", nobody_key, codes(device.serial_number, "A" * 32)
        )
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ResyncMFADevice", f"arn:aws:iam::{acct}:user/alice"),
        )


def _service_codes(new: mfa.NewVirtualMFADevice) -> dict[str, str]:
    return {
        "authentication_code_1": code(new.base32_string_seed, T - 1),
        "authentication_code_2": code(new.base32_string_seed, T),
    }


class DeactivateMFADeviceTests:
    def test_unassigns_the_device_which_stays(self, signed, root_key, ctx, alice):
        device = enabled_device(ctx, "phone", "alice")
        response = signed("DELETE", devices_url("alice") + serial_query(device.serial_number), root_key)
        assert (response.status_code, response.content) == (204, b"")
        stored = MFADevice.objects.get(pk=device.pk)
        assert (stored.user_id, stored.enable_date) == (None, None)
        assert events("iam:DeactivateMFADevice") == [("success", "", "rest")]

    def test_the_serial_number_as_sent_unencoded_is_accepted_too(self, signed, root_key, ctx, alice):
        device = enabled_device(ctx, "phone", "alice")
        response = signed("DELETE", f"{devices_url('alice')}?serial_number={device.serial_number}", root_key)
        assert response.status_code == 204

    def test_a_serial_number_is_required_and_must_be_the_users(self, signed, root_key, ctx, alice):
        assert signed("DELETE", devices_url("alice"), root_key).json()["error"]["fields"] == {
            "serial_number": ["This field is required."]
        }
        theirs = enabled_device(ctx, "rootphone", None)
        response = signed("DELETE", devices_url("alice") + serial_query(theirs.serial_number), root_key)
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"MFA Device with serial number {theirs.serial_number} does not exist.",
        )
        assert MFADevice.objects.get(pk=theirs.pk).user_id is not None

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, alice, acct):
        device = enabled_device(ctx, "phone", "alice")
        response = signed("DELETE", devices_url("alice") + serial_query(device.serial_number), nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeactivateMFADevice", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert MFADevice.objects.get(pk=device.pk).user_id == alice.pk


class DeleteVirtualMFADeviceTests:
    def test_deletes_an_unassigned_device(self, signed, root_key, ctx):
        new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="phone")
        serial = new.device.serial_number
        response = signed("DELETE", VIRTUAL + serial_query(serial), root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not MFADevice.objects.exists()
        assert error(signed("DELETE", VIRTUAL + serial_query(serial), root_key)) == (
            404,
            "NoSuchEntity",
            f"MFA Device with serial number {serial} does not exist.",
        )

    def test_a_device_in_use_is_a_delete_conflict(self, signed, root_key, ctx, alice):
        device = enabled_device(ctx, "phone", "alice")
        response = signed("DELETE", VIRTUAL + serial_query(device.serial_number), root_key)
        assert error(response) == (409, "DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.")
        assert events("iam:DeleteVirtualMFADevice") == [("failed", "DeleteConflict", "rest")]

    def test_a_serial_number_too_short(self, signed, root_key):
        response = signed("DELETE", VIRTUAL + "?serial_number=arn", root_key)
        assert response.json()["error"]["fields"] == {
            "serial_number": ["Ensure this field has at least 9 characters."]
        }

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, ctx, acct):
        new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="phone")
        response = signed("DELETE", VIRTUAL + serial_query(new.device.serial_number), nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeleteVirtualMFADevice", new.device.serial_number),
        )
        assert MFADevice.objects.exists()
        assert events("iam:DeleteVirtualMFADevice") == [("denied", "AccessDenied", "rest")]


class SelfServiceTests:
    """An IAM user with AWS's usual self-service policy sets up its own MFA through the API."""

    def test_create_enable_list_with_a_policy_on_its_own_arns(self, signed, ctx, acct):
        user = iam_user(ctx, "erin")
        f.put_user_policy(
            user,
            "ManageOwnMFA",
            f.allow(
                ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"],
                [
                    f"arn:aws:iam::{acct}:user/${{aws:username}}",
                    f"arn:aws:iam::{acct}:mfa/${{aws:username}}*",
                ],
            ),
        )
        key = issue_key(ctx, "erin")
        denied = signed("POST", VIRTUAL, key, {"virtual_mfa_device_name": "someone-else"})
        assert error(denied)[1] == "AccessDenied"
        new = signed("POST", VIRTUAL, key, {"virtual_mfa_device_name": "erin-phone"}).json()
        body = codes(new["serial_number"], new["base32_string_seed"])
        assert signed("POST", devices_url("erin"), key, body).status_code == 201
        listed = signed("GET", devices_url("erin"), key).json()
        assert [d["serial_number"] for d in listed["items"]] == [new["serial_number"]]


# --- The schema's shapes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict:
    """The OpenAPI schema as served (generated in this process: the validity and warnings are
    tests/api/test_schema.py's)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


class ConformanceTests:
    """Real answers of each endpoint validated against the schema's documented shape for their status."""

    def check(self, schema: dict, path: str, method: str, response) -> None:
        documented = schema["paths"][path][method]["responses"][str(response.status_code)]
        if response.status_code == 204:
            assert "content" not in documented and response.content == b""
            return
        shape = documented["content"]["application/json"]["schema"]
        validator = jsonschema.Draft7Validator(
            _json_schema(copy.deepcopy(shape), schema["components"]["schemas"]),
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )
        validator.validate(response.json())

    def test_each_operations_answers_match_the_schema(self, schema, signed, root_key, nobody_key, ctx, alice):
        user, keys, key, last = (
            "/api/v1/users/{user_name}/login-profile/",
            "/api/v1/users/{user_name}/access-keys/",
            "/api/v1/users/{user_name}/access-keys/{access_key_id}/",
            "/api/v1/users/{user_name}/access-keys/{access_key_id}/last-used/",
        )
        devices, resync = (
            "/api/v1/users/{user_name}/mfa-devices/",
            "/api/v1/users/{user_name}/mfa-devices/resync/",
        )
        own, own_key, own_last = (
            "/api/v1/access-keys/",
            "/api/v1/access-keys/{access_key_id}/",
            "/api/v1/access-keys/{access_key_id}/last-used/",
        )
        calls = [
            (user, "post", signed("POST", profile_url("alice"), root_key, {"password": GOOD_PASSWORD})),
            (user, "post", signed("POST", profile_url("alice"), root_key, {"password": GOOD_PASSWORD})),
            (user, "get", signed("GET", profile_url("alice"), root_key)),
            (
                user,
                "patch",
                signed("PATCH", profile_url("alice"), root_key, {"password_reset_required": True}),
            ),
            (user, "delete", signed("DELETE", profile_url("alice"), nobody_key)),
            (user, "delete", signed("DELETE", profile_url("alice"), root_key)),
            ("/api/v1/me/password/", "post", signed("POST", ME_PASSWORD, root_key, {"old_password": "a"})),
            (keys, "post", signed("POST", keys_url("alice"), root_key)),
            (keys, "get", signed("GET", keys_url("alice"), root_key)),
            (keys, "get", signed("GET", keys_url("ghost"), root_key)),
            (own, "get", signed("GET", OWN_KEYS, root_key)),
            (own, "post", signed("POST", OWN_KEYS, root_key)),
            (own, "post", signed("POST", OWN_KEYS, root_key)),
        ]
        alices = AccessKey.objects.get(user=alice).access_key_id
        roots = calls[11][2].json()["access_key_id"]
        calls += [
            (key, "put", signed("PUT", f"{keys_url('alice')}{alices}/", root_key, {"status": "Inactive"})),
            (last, "get", signed("GET", f"{keys_url('alice')}{alices}/last-used/", root_key)),
            (own_last, "get", signed("GET", f"{OWN_KEYS}{root_key.access_key_id}/last-used/", root_key)),
            (own_key, "put", signed("PUT", f"{OWN_KEYS}{roots}/", root_key, {"status": "Inactive"})),
            (own_key, "delete", signed("DELETE", f"{OWN_KEYS}{roots}/", root_key)),
            (key, "delete", signed("DELETE", f"{keys_url('alice')}{alices}/", root_key)),
            (VIRTUAL, "post", signed("POST", VIRTUAL, root_key, {"virtual_mfa_device_name": "phone"})),
        ]
        new = calls[-1][2].json()
        serial = new["serial_number"]
        calls += [
            (
                devices,
                "post",
                signed("POST", devices_url("alice"), root_key, codes(serial, new["base32_string_seed"])),
            ),
            (devices, "get", signed("GET", devices_url("alice"), root_key)),
            (VIRTUAL, "get", signed("GET", VIRTUAL, root_key)),
            (VIRTUAL, "delete", signed("DELETE", VIRTUAL + serial_query(serial), root_key)),
            (
                resync,
                "post",
                signed(
                    "POST",
                    devices_url("alice") + "resync/",
                    root_key,
                    codes(serial, new["base32_string_seed"], T + 3),
                ),
            ),
            (devices, "delete", signed("DELETE", devices_url("alice") + serial_query(serial), root_key)),
            (VIRTUAL, "delete", signed("DELETE", VIRTUAL + serial_query(serial), root_key)),
        ]
        assert [response.status_code for *_, response in calls] == [
            201, 409, 200, 204, 403, 204, 400, 201, 200, 404, 200, 201, 409,
            204, 200, 200, 204, 204, 204, 201,
            201, 200, 200, 409, 204, 204, 204,
        ]  # fmt: skip
        for path, method, response in calls:
            self.check(schema, path, method, response)
