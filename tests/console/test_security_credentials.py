"""Security credentials pages through Django's test client: the caller's own (root user, IAM user) and
an administrator's view of a user; console sign-in, MFA (assign wizard, remove, resync), access keys.

MFA codes are real RFC 6238 codes computed from the seed shown on the page, at a fixed time
(django-otp's TOTP.time), as in tests/accounts/test_mfa.py.
"""

from __future__ import annotations

import base64
import re
from html import unescape
from urllib.parse import quote, urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django_otp.oath import TOTP, hotp

from accounts.models import AccessKey, LoginProfile, MFADevice, User
from accounts.selectors.access_keys import secret_for_signing
from accounts.services import access_keys, mfa, passwords
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user
from iam_portal.console.security_credentials import MFA_ENROLLMENT
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = 1_800_000_015  # a fixed Unix time, 15 seconds into a step
T = NOW // 30
ROOT_PAGE = "/console/security-credentials/"
ALICE_PAGE = "/console/users/alice/security-credentials/"
INVALID_CODE = "Authentication code for device is not valid."
DENIED_PAGE = "Access denied"


class Clock:
    now = NOW


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    """django-otp's clock, set by the test (the services read time through TOTP.time)."""
    fixed = Clock()
    monkeypatch.setattr(TOTP, "time", property(lambda self: fixed.now))
    return fixed


def code(seed: str, step: int) -> str:
    return f"{hotp(base64.b32decode(seed), step, digits=6):06d}"


def wrong_code(seed: str) -> str:
    near = {code(seed, step) for step in range(T - 25, T + 26)}
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)


def iam_user(ctx, name: str, *managed: str) -> User:
    user = create_user(ctx, user_name=name)
    for policy in managed:
        attach_user_policy(ctx, user_name=name, policy_arn=f"arn:aws:iam::aws:policy/{policy}")
    return user


def signed_in(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(User.objects.get(pk=user.pk))  # its current password hash: the session's
    return client


def text(response) -> str:
    return unescape(response.content.decode())


def events(action: str) -> list[tuple[str, str]]:
    return f.events(action)


def enabled_device(ctx, user_name: str | None, name: str) -> tuple[str, str]:
    """A device enabled for the user through the services: (serial number, seed)."""
    made = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=name)
    mfa.enable_mfa_device(
        ctx,
        user_name=user_name,
        serial_number=made.device.serial_number,
        authentication_code_1=code(made.base32_string_seed, T - 1),
        authentication_code_2=code(made.base32_string_seed, T),
    )
    return made.device.serial_number, made.base32_string_seed


@pytest.fixture
def as_root(root) -> Client:
    return signed_in(root)


@pytest.fixture
def alice(ctx) -> User:
    return create_user(ctx, user_name="alice")


@pytest.fixture
def admin(ctx) -> User:
    return iam_user(ctx, "admin", "AdministratorAccess")


@pytest.fixture
def as_admin(admin) -> Client:
    return signed_in(admin)


@pytest.fixture
def reader(ctx) -> User:
    return iam_user(ctx, "reader", "IAMReadOnlyAccess")


@pytest.fixture
def as_reader(reader) -> Client:
    return signed_in(reader)


def seed_on(page: str) -> str:
    found = re.search(r'<code id="mfa-secret" class="secret">([A-Z2-7=]+)</code>', page)
    assert found, "the secret key is on the page"
    return found.group(1)


# The page ------------------------------------------------------------------------------------------


class OverviewTests:
    def test_signed_out_goes_to_sign_in(self, client):
        response = client.get(ALICE_PAGE)
        assert response.status_code == 302
        assert response["Location"] == "/signin/?" + urlencode({"next": ALICE_PAGE})

    def test_the_root_users_page(self, as_root, root):
        response = as_root.get(ROOT_PAGE)
        page = text(response)
        assert response.status_code == 200
        assert "Don't use the root user for everyday tasks" in page
        assert root.email in page
        assert "Multi-factor authentication (MFA)" in page and "Access keys" in page
        assert "Console sign-in" not in page  # the root user's password is not a login profile
        assert f'href="{ROOT_PAGE}mfa/assign/"' in page
        assert f'href="{ROOT_PAGE}access-keys/create/"' in page
        assert "No MFA devices." in page and "No access keys." in page

    def test_the_root_callout_links_to_creating_an_admin_user_once_that_page_exists(self, as_root):
        page = text(as_root.get(ROOT_PAGE))
        try:
            create_url = reverse("console:user_create")
        except NoReverseMatch:
            assert "Create an administrator IAM user" not in page
        else:
            assert f'href="{create_url}"' in page

    def test_an_iam_user_without_permissions_sees_its_own_page(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        response = signed_in(alice).get(ROOT_PAGE)
        page = text(response)
        assert response.status_code == 200
        assert "You don't have permission to list your access keys (iam:ListAccessKeys)." in page
        assert "You don't have permission to list your MFA devices (iam:ListMFADevices)." in page
        assert "You don't have permission to see your console access (iam:GetLoginProfile)." in page
        assert 'href="/password/"' in page  # Change password (AllowUsersToChangePassword decides)
        assert "Create access key" not in page and "Assign MFA device" not in page
        assert "Don't use the root user" not in page

    def test_an_administrator_manages_a_user(self, as_admin, alice, acct):
        response = as_admin.get(ALICE_PAGE)
        page = text(response)
        assert response.status_code == 200
        assert f"arn:aws:iam::{acct}:user/alice" in page
        assert "Console access</dt><dd>Disabled" in page
        for url in ("console-access/", "mfa/assign/", "access-keys/create/"):
            assert f'href="{ALICE_PAGE}{url}"' in page
        assert "Enable console access" in page
        try:  # the user pages are another module's; the breadcrumbs link to them once they exist
            assert f'href="{reverse("console:user_detail", args=["alice"])}">alice</a>' in page
        except NoReverseMatch:
            assert ">alice</a>" not in page

    def test_an_unknown_user(self, as_admin):
        response = as_admin.get("/console/users/nobody/security-credentials/")
        assert response.status_code == 404
        assert "The user with name nobody cannot be found." in text(response)

    def test_someone_who_may_read_nothing_of_the_user_gets_access_denied(self, ctx, alice, acct):
        bob = create_user(ctx, user_name="bob")
        response = signed_in(bob).get(ALICE_PAGE)
        assert response.status_code == 403
        page = text(response)
        assert DENIED_PAGE in page
        assert f.denial(acct, "bob", "iam:ListAccessKeys", f"arn:aws:iam::{acct}:user/alice") in page
        assert events("iam:ListAccessKeys") == [("denied", "AccessDenied")]

    def test_a_read_only_user_sees_everything_and_no_control(self, ctx, alice, as_reader):
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        serial, _ = enabled_device(ctx, "alice", "alice-phone")
        key = access_keys.create_access_key(ctx, user_name="alice").access_key
        response = as_reader.get(ALICE_PAGE)
        page = text(response)
        assert response.status_code == 200
        assert key.access_key_id in page and "alice-phone" in page and serial in page
        assert "Console access</dt><dd>Enabled" in page
        for control in (
            "Create access key",
            "Assign MFA device",
            "Manage console access",
            "Deactivate",
            ">Delete<",
            ">Remove<",
            ">Resync<",
            "access-keys/create/",
            "console-access/",
        ):
            assert control not in page, control

    def test_keys_show_status_age_and_last_use(self, ctx, as_root, root):
        used = access_keys.create_access_key(ctx).access_key
        unused = access_keys.create_access_key(ctx).access_key
        access_keys.record_access_key_use(used.access_key_id, service="iam", region="us-east-1")
        access_keys.update_access_key(ctx, access_key_id=unused.access_key_id, status="Inactive")
        page = text(as_root.get(ROOT_PAGE))
        rows = re.findall(r"<tr class=\"(?:active|inactive)\">.*?</tr>", page, re.S)
        used_row, unused_row = rows  # oldest first
        assert used.access_key_id in used_row and unused.access_key_id in unused_row
        assert "<td>Active</td>" in used_row and "<td>iam</td><td>us-east-1</td>" in used_row
        assert "Inactive" in unused_row and "Never" in unused_row and "N/A" in unused_row
        assert ">Activate<" in unused_row and ">Deactivate<" in used_row

    def test_create_is_not_offered_at_two_keys(self, ctx, as_root):
        access_keys.create_access_key(ctx)
        access_keys.create_access_key(ctx)
        page = text(as_root.get(ROOT_PAGE))
        assert f'href="{ROOT_PAGE}access-keys/create/"' not in page
        assert "The limit of 2 access keys is reached" in page

    def test_assign_is_not_offered_at_eight_devices(self, ctx, alice, as_admin):
        for n in range(mfa.MAX_MFA_DEVICES_PER_USER):
            enabled_device(ctx, "alice", f"phone-{n}")
        page = text(as_admin.get(ALICE_PAGE))
        assert "phone-7" in page
        assert "mfa/assign/" not in page

    def test_the_page_costs_the_same_queries_whatever_it_lists(self, ctx, alice, as_admin):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert as_admin.get(ALICE_PAGE).status_code == 200
            return len(queries)

        as_admin.get(ALICE_PAGE)  # warm the policy cache
        empty = count()
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        for n in range(3):
            enabled_device(ctx, "alice", f"phone-{n}")
        access_keys.create_access_key(ctx, user_name="alice")
        access_keys.create_access_key(ctx, user_name="alice")
        assert count() == empty


# Console sign-in -----------------------------------------------------------------------------------


class ConsoleAccessTests:
    URL = ALICE_PAGE + "console-access/"

    def test_the_form(self, as_admin, alice):
        response = as_admin.get(self.URL)
        page = text(response)
        assert response.status_code == 200
        assert "Autogenerated password" in page and "Custom password" in page
        assert "User must create a new password at next sign-in" in page
        assert "Keep the current password" not in page and 'value="disable"' not in page
        assert 'name="csrfmiddlewaretoken"' in page

    def test_enable_with_an_autogenerated_password_shown_once(self, as_admin, alice, acct):
        response = as_admin.post(
            self.URL,
            {"console_access": "enable", "password_choice": "autogenerated", "password_reset_required": "on"},
        )
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        password = re.search(r'<code id="console-password" class="secret">([^<]+)</code>', text(response))
        password = unescape(password.group(1))
        alice.refresh_from_db()
        assert alice.check_password(password) and len(password) >= 20
        assert LoginProfile.objects.get(user=alice).password_reset_required is True
        assert f"/signin/{acct}/" in text(response)
        assert events("iam:CreateLoginProfile") == [("success", "")]
        later = text(as_admin.get(ALICE_PAGE))
        assert password not in later and "Console access</dt><dd>Enabled" in later
        assert "Password reset required</dt><dd>Yes" in later

    def test_a_custom_password_must_meet_the_policy(self, as_admin, alice):
        response = as_admin.post(
            self.URL, {"console_access": "enable", "password_choice": "custom", "password": "abc"}
        )
        assert response.status_code == 400
        assert (
            "Password should have a minimum length of 8, Password should meet 2 more of the following "
            "requirements: uppercase letter, number, symbol"
        ) in text(response)
        assert not LoginProfile.objects.filter(user=alice).exists()
        assert events("iam:CreateLoginProfile") == [("failed", "PasswordPolicyViolation")]

    def test_a_custom_password_must_be_given(self, as_admin, alice):
        response = as_admin.post(self.URL, {"console_access": "enable", "password_choice": "custom"})
        assert response.status_code == 400
        assert "Enter the custom password." in text(response)
        assert events("iam:CreateLoginProfile") == []

    def test_enable_with_a_custom_password(self, as_admin, alice):
        response = as_admin.post(
            self.URL, {"console_access": "enable", "password_choice": "custom", "password": "Alice-Pass-1"}
        )
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        alice.refresh_from_db()
        assert alice.check_password("Alice-Pass-1")
        assert LoginProfile.objects.get(user=alice).password_reset_required is False

    def test_manage_keeps_the_password_and_sets_the_reset_flag(self, ctx, as_admin, alice):
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        page = text(as_admin.get(self.URL))
        assert "Manage console access" in page and "Keep the current password" in page
        response = as_admin.post(
            self.URL, {"console_access": "enable", "password_choice": "keep", "password_reset_required": "on"}
        )
        assert response.status_code == 302 and response["Location"] == ALICE_PAGE
        alice.refresh_from_db()
        assert alice.check_password("Alice-Pass-1")
        assert LoginProfile.objects.get(user=alice).password_reset_required is True
        assert events("iam:UpdateLoginProfile") == [("success", "")]

    def test_manage_sets_a_new_password(self, ctx, as_admin, alice):
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        response = as_admin.post(
            self.URL, {"console_access": "enable", "password_choice": "custom", "password": "Alice-Pass-2"}
        )
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        alice.refresh_from_db()
        assert alice.check_password("Alice-Pass-2")

    def test_disable(self, ctx, as_admin, alice):
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        response = as_admin.post(self.URL, {"console_access": "disable", "password_choice": "keep"})
        assert response.status_code == 302 and response["Location"] == ALICE_PAGE
        assert not LoginProfile.objects.filter(user=alice).exists()
        assert events("iam:DeleteLoginProfile") == [("success", "")]
        assert "Console access</dt><dd>Disabled" in text(as_admin.get(ALICE_PAGE))

    def test_the_root_user_has_no_such_page(self, as_root):
        assert as_root.get(ROOT_PAGE + "console-access/").status_code == 404

    def test_an_iam_user_manages_its_own(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password="Alice-Pass-1")
        f.put_user_policy(alice, "Own", f.allow(["iam:GetLoginProfile", "iam:UpdateLoginProfile"], alice.arn))
        client = signed_in(alice)
        assert f'href="{ROOT_PAGE}console-access/"' in text(client.get(ROOT_PAGE))
        response = client.post(
            ROOT_PAGE + "console-access/",
            {"console_access": "enable", "password_choice": "keep", "password_reset_required": "on"},
        )
        assert response.status_code == 302 and response["Location"] == ROOT_PAGE
        assert LoginProfile.objects.get(user=alice).password_reset_required is True

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, as_reader, alice, acct):
        response = as_reader.post(
            self.URL, {"console_access": "enable", "password_choice": "custom", "password": "Alice-Pass-1"}
        )
        assert response.status_code == 403
        page = text(response)
        assert DENIED_PAGE in page
        assert f.denial(acct, "reader", "iam:CreateLoginProfile", alice.arn) in page
        assert not LoginProfile.objects.filter(user=alice).exists()
        assert events("iam:CreateLoginProfile") == [("denied", "AccessDenied")]

    def test_the_form_needs_its_csrf_token(self, admin, alice):
        strict = signed_in(admin, enforce_csrf_checks=True)
        response = strict.post(self.URL, {"console_access": "enable", "password_choice": "autogenerated"})
        assert response.status_code == 403
        assert not LoginProfile.objects.filter(user=alice).exists()


# Access keys ---------------------------------------------------------------------------------------


class CreateAccessKeyTests:
    def test_the_root_user_must_acknowledge_it_is_not_a_best_practice(self, as_root):
        page = text(as_root.get(ROOT_PAGE + "access-keys/create/"))
        assert "Root user access keys are not recommended" in page
        assert "I understand creating a root access key is not a best practice" in page
        response = as_root.post(ROOT_PAGE + "access-keys/create/", {})
        assert response.status_code == 400
        assert "Confirm that you understand the risk before you create a root access key." in text(response)
        assert AccessKey.objects.count() == 0

    def test_the_secret_is_shown_once_with_a_csv(self, as_root, root):
        response = as_root.post(ROOT_PAGE + "access-keys/create/", {"acknowledge": "on"})
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        key = AccessKey.objects.get(user=root)
        signing_key, secret = secret_for_signing(key.access_key_id)
        assert signing_key.user == root
        page = text(response)
        assert f'<code id="access-key-id">{key.access_key_id}</code>' in page
        assert f'<code id="secret-access-key" class="secret">{secret}</code>' in page
        csv = quote(f"Access key ID,Secret access key\r\n{key.access_key_id},{secret}\r\n", safe="")
        assert f'href="data:text/csv;charset=utf-8,{csv}" download="rootkey.csv"' in page
        assert events("iam:CreateAccessKey") == [("success", "")]
        later = text(as_root.get(ROOT_PAGE))
        assert key.access_key_id in later and secret not in later
        assert secret not in text(as_root.get(ROOT_PAGE + "access-keys/create/"))

    def test_an_administrator_creates_a_users_key(self, as_admin, alice):
        page = text(as_admin.get(ALICE_PAGE + "access-keys/create/"))
        assert "Access key best practices & alternatives" in page
        assert "acknowledge" not in page and "Root user access keys" not in page
        response = as_admin.post(ALICE_PAGE + "access-keys/create/", {})
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        assert 'download="alice_accessKeys.csv"' in text(response)
        assert AccessKey.objects.filter(user=alice, status="Active").count() == 1

    def test_at_most_two_keys(self, ctx, as_admin, alice):
        access_keys.create_access_key(ctx, user_name="alice")
        access_keys.create_access_key(ctx, user_name="alice")
        page = text(as_admin.get(ALICE_PAGE + "access-keys/create/"))
        assert "alice already has 2 access keys" in page and 'value="Create access key"' not in page
        response = as_admin.post(ALICE_PAGE + "access-keys/create/", {})
        assert response.status_code == 409
        assert "Cannot exceed quota for AccessKeysPerUser: 2" in text(response)
        assert AccessKey.objects.filter(user=alice).count() == 2
        assert events("iam:CreateAccessKey")[-1] == ("failed", "LimitExceeded")

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, as_reader, alice):
        response = as_reader.post(ALICE_PAGE + "access-keys/create/", {})
        assert response.status_code == 403 and DENIED_PAGE in text(response)
        assert AccessKey.objects.count() == 0

    def test_csrf(self, admin, alice):
        response = signed_in(admin, enforce_csrf_checks=True).post(ALICE_PAGE + "access-keys/create/", {})
        assert response.status_code == 403 and AccessKey.objects.count() == 0


class AccessKeyStatusTests:
    @pytest.fixture
    def key(self, ctx, alice) -> str:
        return access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id

    def test_deactivate_after_a_confirmation(self, as_admin, key):
        url = f"{ALICE_PAGE}access-keys/{key}/deactivate/"
        response = as_admin.get(url)
        assert response.status_code == 200
        assert f"Deactivate the access key <code>{key}</code>?" in response.content.decode()
        response = as_admin.post(url)
        assert response.status_code == 302 and response["Location"] == ALICE_PAGE
        assert AccessKey.objects.get(access_key_id=key).status == "Inactive"
        assert events("iam:UpdateAccessKey") == [("success", "")]
        assert f"Access key {key} deactivated." in text(as_admin.get(ALICE_PAGE))

    def test_activate(self, ctx, as_admin, key):
        access_keys.update_access_key(ctx, user_name="alice", access_key_id=key, status="Inactive")
        response = as_admin.post(f"{ALICE_PAGE}access-keys/{key}/activate/")
        assert response.status_code == 302
        assert AccessKey.objects.get(access_key_id=key).status == "Active"

    def test_an_unknown_key(self, as_admin, alice):
        response = as_admin.get(f"{ALICE_PAGE}access-keys/AKIAAAAAAAAAAAAAAAAA/deactivate/")
        assert response.status_code == 404
        assert "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found." in text(response)
        response = as_admin.post(f"{ALICE_PAGE}access-keys/AKIAAAAAAAAAAAAAAAAA/deactivate/")
        assert response.status_code == 404
        assert "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found." in text(response)

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, as_reader, key):
        response = as_reader.post(f"{ALICE_PAGE}access-keys/{key}/deactivate/")
        assert response.status_code == 403 and DENIED_PAGE in text(response)
        assert AccessKey.objects.get(access_key_id=key).status == "Active"
        assert events("iam:UpdateAccessKey") == [("denied", "AccessDenied")]

    def test_csrf(self, admin, key):
        response = signed_in(admin, enforce_csrf_checks=True).post(
            f"{ALICE_PAGE}access-keys/{key}/deactivate/"
        )
        assert response.status_code == 403
        assert AccessKey.objects.get(access_key_id=key).status == "Active"


class DeleteAccessKeyTests:
    """As the AWS console: deactivate first, then delete, confirmed by pasting the key id (root user)."""

    @pytest.fixture
    def key(self, ctx) -> str:
        return access_keys.create_access_key(ctx).access_key.access_key_id

    def url(self, key: str) -> str:
        return f"{ROOT_PAGE}access-keys/{key}/delete/"

    def test_an_active_key_must_be_deactivated_first(self, as_root, key):
        page = as_root.get(self.url(key)).content.decode()
        deactivate = f"{ROOT_PAGE}access-keys/{key}/deactivate/?" + urlencode({"next": self.url(key)})
        assert f'href="{deactivate.replace("&", "&amp;")}"' in page
        assert 'name="confirmation"' not in page
        response = as_root.post(self.url(key), {"confirmation": key})
        assert response.status_code == 400
        assert "Deactivate the access key before you delete it." in text(response)
        assert AccessKey.objects.filter(access_key_id=key).exists()
        assert events("iam:DeleteAccessKey") == []

    def test_deactivate_then_back_to_delete(self, as_root, key):
        response = as_root.post(f"{ROOT_PAGE}access-keys/{key}/deactivate/", {"next": self.url(key)})
        assert response.status_code == 302 and response["Location"] == self.url(key)
        assert 'name="confirmation"' in as_root.get(self.url(key)).content.decode()

    def test_the_confirmation_must_be_the_key_id(self, ctx, as_root, key):
        access_keys.update_access_key(ctx, access_key_id=key, status="Inactive")
        response = as_root.post(self.url(key), {"confirmation": key[:-1]})
        assert response.status_code == 400
        assert "The access key ID you entered does not match." in text(response)
        assert AccessKey.objects.filter(access_key_id=key).exists()

    def test_deletes_an_inactive_key_confirmed_by_its_id(self, ctx, as_root, key):
        access_keys.update_access_key(ctx, access_key_id=key, status="Inactive")
        page = text(as_root.get(self.url(key)))
        assert "paste the access key ID" in page
        response = as_root.post(self.url(key), {"confirmation": f"  {key} "})  # pasted with spaces
        assert response.status_code == 302 and response["Location"] == ROOT_PAGE
        assert not AccessKey.objects.filter(access_key_id=key).exists()
        assert events("iam:DeleteAccessKey") == [("success", "")]
        assert f"Access key {key} deleted." in text(as_root.get(ROOT_PAGE))

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, ctx, alice, as_reader):
        key = access_keys.create_access_key(ctx, user_name="alice").access_key.access_key_id
        access_keys.update_access_key(ctx, user_name="alice", access_key_id=key, status="Inactive")
        response = as_reader.post(f"{ALICE_PAGE}access-keys/{key}/delete/", {"confirmation": key})
        assert response.status_code == 403 and DENIED_PAGE in text(response)
        assert AccessKey.objects.filter(access_key_id=key).exists()
        assert events("iam:DeleteAccessKey") == [("denied", "AccessDenied")]

    def test_csrf(self, ctx, root, key):
        access_keys.update_access_key(ctx, access_key_id=key, status="Inactive")
        response = signed_in(root, enforce_csrf_checks=True).post(self.url(key), {"confirmation": key})
        assert response.status_code == 403
        assert AccessKey.objects.filter(access_key_id=key).exists()


# MFA -----------------------------------------------------------------------------------------------


class AssignMfaTests:
    ASSIGN = ROOT_PAGE + "mfa/assign/"
    SETUP = ROOT_PAGE + "mfa/assign/setup/"

    def start(self, client: Client, base: str = ROOT_PAGE, name: str | None = None) -> str:
        """Name the device, open the setup page; the seed on it."""
        data = {"device_name": name} if name else {}
        if name is None:
            initial = re.search(
                r'name="device_name" value="([^"]*)"', client.get(base + "mfa/assign/").content.decode()
            )
            data = {"device_name": unescape(initial.group(1))}
        response = client.post(base + "mfa/assign/", data)
        assert response.status_code == 302 and response["Location"] == base + "mfa/assign/setup/"
        page = client.get(base + "mfa/assign/setup/")
        assert page.status_code == 200 and page["Cache-Control"] == "no-store"
        return seed_on(page.content.decode())

    def test_the_root_user_assigns_a_device_from_the_text_seed(self, as_root, root, acct):
        page = text(as_root.get(self.ASSIGN))
        assert 'value="root-account-mfa-device"' in page and "Authenticator app" in page
        seed = self.start(as_root)
        setup = as_root.get(self.SETUP)
        assert "<svg" in setup.content.decode() and "Show secret key" in text(setup)
        assert "MFA code 1" in text(setup) and "MFA code 2" in text(setup)
        response = as_root.post(
            self.SETUP, {"authentication_code_1": code(seed, T - 1), "authentication_code_2": code(seed, T)}
        )
        assert response.status_code == 302 and response["Location"] == ROOT_PAGE
        device = MFADevice.objects.get(user=root)
        assert device.serial_number == f"arn:aws:iam::{acct}:mfa/root-account-mfa-device"
        assert events("iam:CreateVirtualMFADevice") == [("success", "")]
        assert events("iam:EnableMFADevice") == [("success", "")]
        assert MFA_ENROLLMENT not in as_root.session
        later = text(as_root.get(ROOT_PAGE))
        assert "root-account-mfa-device" in later and "MFA device assigned." in later
        assert seed not in later

    def test_wrong_codes_keep_the_same_seed_on_the_page(self, as_root, root):
        seed = self.start(as_root)
        response = as_root.post(
            self.SETUP, {"authentication_code_1": wrong_code(seed), "authentication_code_2": code(seed, T)}
        )
        assert response.status_code == 403
        assert response["Cache-Control"] == "no-store"
        page = response.content.decode()
        assert INVALID_CODE in page and seed_on(page) == seed
        assert events("iam:EnableMFADevice") == [("failed", "InvalidAuthenticationCode")]
        assert not MFADevice.objects.filter(user=root).exists()
        reloaded = as_root.get(self.SETUP).content.decode()
        assert seed_on(reloaded) == seed

    def test_malformed_codes_are_form_errors(self, as_root):
        self.start(as_root)
        response = as_root.post(self.SETUP, {"authentication_code_1": "12", "authentication_code_2": ""})
        assert response.status_code == 400
        assert "This field is required." in text(response)
        assert events("iam:EnableMFADevice") == []

    def test_an_administrator_assigns_a_named_device_to_a_user(self, as_admin, alice, acct):
        assert 'value="alice"' in as_admin.get(ALICE_PAGE + "mfa/assign/").content.decode()
        seed = self.start(as_admin, ALICE_PAGE, name="alice-phone")
        response = as_admin.post(
            ALICE_PAGE + "mfa/assign/setup/",
            {"authentication_code_1": code(seed, T), "authentication_code_2": code(seed, T + 1)},
        )
        assert response.status_code == 302 and response["Location"] == ALICE_PAGE
        assert MFADevice.objects.get(user=alice).serial_number == f"arn:aws:iam::{acct}:mfa/alice-phone"

    def test_a_taken_name(self, ctx, as_root):
        mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="Phone")
        response = as_root.post(self.ASSIGN, {"device_name": "phone"})
        assert response.status_code == 409
        assert "MFADevice entity at the same path and name already exists." in text(response)

    def test_an_invalid_name(self, as_root):
        response = as_root.post(self.ASSIGN, {"device_name": "my phone"})
        assert response.status_code == 400
        assert "failed to satisfy constraint: Member must satisfy regular expression pattern" in text(
            response
        )

    def test_the_wizard_resumes_and_can_be_cancelled(self, as_root):
        seed = self.start(as_root)
        response = as_root.get(self.ASSIGN)
        assert response.status_code == 302 and response["Location"] == self.SETUP
        serial = MFADevice.objects.get().serial_number
        response = as_root.post(ROOT_PAGE + "mfa/assign/cancel/")
        assert response.status_code == 302 and response["Location"] == ROOT_PAGE
        assert not MFADevice.objects.filter(serial_number=serial).exists()
        assert events("iam:DeleteVirtualMFADevice") == [("success", "")]
        assert MFA_ENROLLMENT not in as_root.session
        assert as_root.get(self.SETUP)["Location"] == self.ASSIGN
        assert seed not in text(as_root.get(ROOT_PAGE))

    def test_the_seed_is_not_shown_to_another_session(self, root, as_root):
        self.start(as_root)
        other = signed_in(root)
        response = other.get(self.SETUP)
        assert response.status_code == 302 and response["Location"] == self.ASSIGN

    def test_a_device_assigned_meanwhile_is_not_shown_again(self, ctx, as_root):
        seed = self.start(as_root)
        serial = MFADevice.objects.get().serial_number
        mfa.enable_mfa_device(
            ctx,
            serial_number=serial,
            authentication_code_1=code(seed, T - 1),
            authentication_code_2=code(seed, T),
        )
        response = as_root.get(self.SETUP)
        assert response.status_code == 302 and response["Location"] == self.ASSIGN
        assert MFA_ENROLLMENT not in as_root.session

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, as_reader, alice):
        response = as_reader.post(ALICE_PAGE + "mfa/assign/", {"device_name": "alice"})
        assert response.status_code == 403 and DENIED_PAGE in text(response)
        assert MFADevice.objects.count() == 0
        assert events("iam:CreateVirtualMFADevice") == [("denied", "AccessDenied")]

    def test_csrf(self, root):
        response = signed_in(root, enforce_csrf_checks=True).post(self.ASSIGN, {"device_name": "x-phone"})
        assert response.status_code == 403 and MFADevice.objects.count() == 0


class RemoveAndResyncMfaTests:
    @pytest.fixture
    def device(self, ctx, alice) -> tuple[str, str]:
        return enabled_device(ctx, "alice", "alice-phone")

    def url(self, page: str, serial: str) -> str:
        return f"{ALICE_PAGE}mfa/{page}/?" + urlencode({"serial_number": serial})

    def test_the_page_offers_remove_and_resync(self, as_admin, device):
        page = as_admin.get(ALICE_PAGE).content.decode()
        assert self.url("remove", device[0]).replace("&", "&amp;") in page
        assert self.url("resync", device[0]).replace("&", "&amp;") in page

    def test_remove_after_a_confirmation(self, as_admin, device):
        serial, _ = device
        response = as_admin.get(self.url("remove", serial))
        assert response.status_code == 200 and "Remove the MFA device <strong>alice-phone</strong>" in text(
            response
        )
        response = as_admin.post(ALICE_PAGE + "mfa/remove/", {"serial_number": serial})
        assert response.status_code == 302 and response["Location"] == ALICE_PAGE
        assert not MFADevice.objects.filter(serial_number=serial).exists()
        assert events("iam:DeactivateMFADevice") == [("success", "")]
        assert events("iam:DeleteVirtualMFADevice") == [("success", "")]

    def test_remove_an_unknown_device(self, as_admin, alice, acct):
        serial = f"arn:aws:iam::{acct}:mfa/nothing"
        response = as_admin.get(self.url("remove", serial))
        assert response.status_code == 404
        assert f"MFA Device with serial number {serial} does not exist." in text(response)
        response = as_admin.post(ALICE_PAGE + "mfa/remove/", {"serial_number": serial})
        assert response.status_code == 404
        assert f"MFA Device with serial number {serial} does not exist." in text(response)

    def test_resync(self, as_admin, device, clock):
        serial, seed = device
        clock.now = NOW + 600  # ten minutes later; the phone's clock is five minutes slow
        slow = (NOW + 300) // 30
        page = as_admin.get(self.url("resync", serial))
        assert page.status_code == 200 and "MFA code 1" in text(page)
        response = as_admin.post(
            ALICE_PAGE + "mfa/resync/",
            {
                "serial_number": serial,
                "authentication_code_1": code(seed, slow),
                "authentication_code_2": code(seed, slow + 1),
            },
        )
        assert response.status_code == 302 and response["Location"] == ALICE_PAGE
        assert MFADevice.objects.get(serial_number=serial).drift == -9
        assert events("iam:ResyncMFADevice") == [("success", "")]

    def test_resync_with_wrong_codes(self, as_admin, device):
        serial, seed = device
        response = as_admin.post(
            ALICE_PAGE + "mfa/resync/",
            {
                "serial_number": serial,
                "authentication_code_1": wrong_code(seed),
                "authentication_code_2": code(seed, T + 1),
            },
        )
        assert response.status_code == 403
        assert INVALID_CODE in text(response)
        assert events("iam:ResyncMFADevice") == [("failed", "InvalidAuthenticationCode")]

    def test_the_root_user_removes_its_own(self, ctx, as_root, root):
        serial, _ = enabled_device(ctx, None, "root-account-mfa-device")
        response = as_root.post(ROOT_PAGE + "mfa/remove/", {"serial_number": serial})
        assert response.status_code == 302
        assert not MFADevice.objects.filter(user=root).exists()

    def test_forged_posts_by_a_read_only_user_are_access_denied(self, as_reader, device):
        serial, seed = device
        response = as_reader.post(ALICE_PAGE + "mfa/remove/", {"serial_number": serial})
        assert response.status_code == 403 and DENIED_PAGE in text(response)
        response = as_reader.post(
            ALICE_PAGE + "mfa/resync/",
            {
                "serial_number": serial,
                "authentication_code_1": code(seed, T + 1),
                "authentication_code_2": code(seed, T + 2),
            },
        )
        assert response.status_code == 403 and DENIED_PAGE in text(response)
        assert MFADevice.objects.get(serial_number=serial).user.user_name == "alice"
        assert events("iam:DeactivateMFADevice") == [("denied", "AccessDenied")]
        assert events("iam:ResyncMFADevice") == [("denied", "AccessDenied")]

    def test_csrf(self, admin, device):
        response = signed_in(admin, enforce_csrf_checks=True).post(
            ALICE_PAGE + "mfa/remove/", {"serial_number": device[0]}
        )
        assert response.status_code == 403
        assert MFADevice.objects.filter(serial_number=device[0]).exists()
