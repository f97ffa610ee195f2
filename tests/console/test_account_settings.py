"""Account settings pages through Django's test client: password policy, account alias, root MFA."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Account, AuditEvent, PasswordPolicy
from accounts.services import passwords
from accounts.services.account import create_account_alias
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user
from tests import factories as f

pytestmark = pytest.mark.django_db
SETTINGS = "/console/account-settings/"
POLICY = "/console/account-settings/password-policy/"
POLICY_DELETE = "/console/account-settings/password-policy/delete/"
ALIAS = "/console/account-settings/alias/"
ALIAS_DELETE = "/console/account-settings/alias/delete/"
ROOT_MFA = "/console/account-settings/root-mfa/"
FULL_POLICY = {
    "minimum_password_length": "14",
    "require_uppercase_characters": "on",
    "require_lowercase_characters": "on",
    "require_numbers": "on",
    "require_symbols": "on",
    "expire_passwords": "on",
    "max_password_age": "90",
    "hard_expiry": "on",
    "allow_users_to_change_password": "on",
    "prevent_reuse": "on",
    "password_reuse_prevention": "5",
}


def range_error(value, member: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value &#x27;{value}&#x27; at &#x27;{member}&#x27; failed to satisfy "
        f"constraint: Member must {constraint}"
    )


def iam_user(ctx, name: str, *managed: str):
    user = create_user(ctx, user_name=name)
    for policy in managed:
        attach_user_policy(ctx, user_name=name, policy_arn=f"arn:aws:iam::aws:policy/{policy}")
    return user


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def reader(ctx):
    return iam_user(ctx, "reader", "IAMReadOnlyAccess")


@pytest.fixture
def as_reader(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def as_admin(client, ctx):
    client.force_login(iam_user(ctx, "admin", "AdministratorAccess"))
    return client


def page(response) -> str:
    return response.content.decode()


def nav_labels(response) -> list[str]:
    return [item["label"] for item in response.context["console_nav"]]


class AccountSettingsPageTests:
    def test_signed_out_goes_to_sign_in(self, client):
        response = client.get(SETTINGS)
        assert response.status_code == 302
        assert response["Location"] == "/signin/?next=%2Fconsole%2Faccount-settings%2F"

    def test_root_sees_the_default_policy_the_sign_in_url_and_every_control(self, as_root, acct):
        response = as_root.get(SETTINGS)
        assert response.status_code == 200
        html = page(response)
        assert "<h1>Account settings</h1>" in html
        assert "IAM default" in html and "Minimum password length of 8 characters" in html
        assert f'href="http://testserver/signin/{acct}/" id="sign-in-url"' in html
        assert f'href="{POLICY}"' in html and f'href="{ALIAS}"' in html and "Create alias" in html
        # Nothing to delete yet: no custom policy, no alias.
        assert POLICY_DELETE not in html and ALIAS_DELETE not in html
        assert f'action="{ROOT_MFA}"' in html and "Stop requiring MFA for the root user" in html
        assert "Account settings" in nav_labels(response)

    def test_a_custom_policy_and_an_alias_are_shown(self, as_root, ctx, acct):
        passwords.update_account_password_policy(
            ctx, minimum_password_length=12, max_password_age=30, password_reuse_prevention=3
        )
        create_account_alias(ctx, account_alias="acme-co")
        html = page(as_root.get(SETTINGS))
        assert "<td>12 characters</td>" in html
        assert "Expire passwords in 30 days" in html and "Remember 3 passwords" in html
        assert f'href="{POLICY_DELETE}"' in html and "Use the default policy" in html
        assert 'href="http://testserver/signin/acme-co/" id="sign-in-url"' in html
        assert f'href="http://testserver/signin/{acct}/"' in html  # the account-ID URL keeps working
        assert f'href="{ALIAS_DELETE}"' in html and "Edit alias" in html

    def test_a_read_only_user_sees_no_controls(self, as_reader, ctx):
        passwords.update_account_password_policy(ctx, minimum_password_length=10)
        create_account_alias(ctx, account_alias="acme-co")
        response = as_reader.get(SETTINGS)
        assert response.status_code == 200
        html = page(response)
        assert "<td>10 characters</td>" in html and "acme-co" in html
        for url in (POLICY, POLICY_DELETE, ALIAS, ALIAS_DELETE, ROOT_MFA):
            assert url not in html
        assert "Root user MFA" not in html

    def test_an_admin_iam_user_has_the_controls_but_not_root_mfa(self, as_admin, ctx):
        passwords.update_account_password_policy(ctx)
        html = page(as_admin.get(SETTINGS))
        assert f'href="{POLICY}"' in html and f'href="{POLICY_DELETE}"' in html and f'href="{ALIAS}"' in html
        assert ROOT_MFA not in html and "Root user MFA" not in html

    def test_a_user_without_rights_gets_the_access_denied_page(self, client, ctx, acct):
        client.force_login(iam_user(ctx, "nobody"))
        response = client.get(SETTINGS)
        assert response.status_code == 403
        assert f.denial(acct, "nobody", "iam:GetAccountPasswordPolicy", "*") in page(response)
        assert "Account settings" not in nav_labels(response)


class PasswordPolicyEditTests:
    def test_the_form_starts_from_the_console_suggestions_then_from_the_policy(self, as_root, ctx):
        response = as_root.get(POLICY)
        assert response.status_code == 200
        form = response.context["form"]
        assert (form["minimum_password_length"].value(), form["max_password_age"].value()) == (8, 90)
        assert form["expire_passwords"].value() is None
        html = page(response)
        for label in (
            "Password minimum length",
            "Require at least one number",
            "Turn on password expiration",
            "Password expiration requires administrator reset",
            "Allow users to change their own password",
            "Prevent password reuse",
        ):
            assert label in html
        assert 'name="csrfmiddlewaretoken"' in html
        passwords.update_account_password_policy(ctx, minimum_password_length=20, max_password_age=45)
        form = as_root.get(POLICY).context["form"]
        assert (form["minimum_password_length"].value(), form["max_password_age"].value()) == (20, 45)
        assert form["expire_passwords"].value() is True and form["prevent_reuse"].value() is False

    def test_saving_every_member(self, as_root, ctx, acct):
        response = as_root.post(POLICY, FULL_POLICY)
        assert response.status_code == 302 and response["Location"] == SETTINGS
        policy = PasswordPolicy.objects.get(account=ctx.account)
        assert (
            policy.minimum_password_length,
            policy.max_password_age,
            policy.password_reuse_prevention,
        ) == (
            14,
            90,
            5,
        )
        assert all(
            getattr(policy, name)
            for name in (
                "require_symbols",
                "require_numbers",
                "require_uppercase_characters",
                "require_lowercase_characters",
                "allow_users_to_change_password",
                "hard_expiry",
            )
        )
        event = AuditEvent.objects.get(action="iam:UpdateAccountPasswordPolicy")
        assert (event.outcome, event.channel, event.target_arn) == (
            "success",
            "console",
            f"arn:aws:iam::{acct}:root",
        )
        assert event.parameters["minimum_password_length"] == 14 and event.parameters["hard_expiry"] is True
        assert "The password policy was saved." in page(as_root.get(SETTINGS))

    def test_unticked_boxes_turn_settings_off_and_their_numbers_are_ignored(self, as_root, ctx):
        passwords.update_account_password_policy(ctx, require_symbols=True, max_password_age=10)
        response = as_root.post(
            POLICY,
            {"minimum_password_length": "", "max_password_age": "0", "password_reuse_prevention": "99"},
        )
        assert response.status_code == 302
        policy = PasswordPolicy.objects.get(account=ctx.account)
        # An omitted MinimumPasswordLength is 6, as in AWS; no expiry, no reuse rule.
        assert (
            policy.minimum_password_length,
            policy.max_password_age,
            policy.password_reuse_prevention,
        ) == (
            6,
            None,
            None,
        )
        assert policy.require_symbols is False

    @pytest.mark.parametrize(
        ("field", "value", "member", "constraint"),
        [
            (
                "minimum_password_length",
                "5",
                "minimumPasswordLength",
                "have value greater than or equal to 6",
            ),
            (
                "minimum_password_length",
                "129",
                "minimumPasswordLength",
                "have value less than or equal to 128",
            ),
            ("max_password_age", "0", "maxPasswordAge", "have value greater than or equal to 1"),
            ("max_password_age", "1096", "maxPasswordAge", "have value less than or equal to 1095"),
            (
                "password_reuse_prevention",
                "25",
                "passwordReusePrevention",
                "have value less than or equal to 24",
            ),
        ],
    )
    def test_out_of_range_values_get_awss_message_on_their_field(
        self, as_root, ctx, field, value, member, constraint
    ):
        response = as_root.post(POLICY, {**FULL_POLICY, field: value})
        assert response.status_code == 400
        assert response.context["form"].errors == {
            field: [
                f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                f"Member must {constraint}"
            ]
        }
        assert range_error(value, member, constraint) in page(response)
        assert 'role="alert"' in page(response)
        assert not PasswordPolicy.objects.filter(account=ctx.account).exists()

    def test_a_ticked_box_needs_its_number_and_numbers_must_be_numbers(self, as_root):
        response = as_root.post(
            POLICY, {**FULL_POLICY, "max_password_age": "", "minimum_password_length": "ten"}
        )
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "max_password_age": ["Enter a number to use this setting."],
            "minimum_password_length": ["Enter a whole number."],
        }

    def test_a_read_only_user_cannot_open_the_form_nor_forge_the_post(self, as_reader, ctx, acct):
        response = as_reader.get(POLICY)
        assert response.status_code == 403
        assert "iam:UpdateAccountPasswordPolicy" in page(response)
        response = as_reader.post(POLICY, FULL_POLICY)
        assert response.status_code == 403
        assert f.denial(acct, "reader", "iam:UpdateAccountPasswordPolicy", "*") in page(response)
        assert not PasswordPolicy.objects.filter(account=ctx.account).exists()
        assert f.events("iam:UpdateAccountPasswordPolicy") == [("denied", "AccessDenied")]

    def test_csrf(self, root):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(POLICY, FULL_POLICY).status_code == 403
        token = strict.get(POLICY).cookies["csrftoken"].value
        assert strict.post(POLICY, {**FULL_POLICY, "csrfmiddlewaretoken": token}).status_code == 302


class PasswordPolicyDeleteTests:
    def test_confirm_then_delete(self, as_root, ctx, acct):
        passwords.update_account_password_policy(ctx, minimum_password_length=12)
        response = as_root.get(POLICY_DELETE)
        assert response.status_code == 200
        assert "Yes, use the default policy" in page(response)
        response = as_root.post(POLICY_DELETE)
        assert response.status_code == 302 and response["Location"] == SETTINGS
        assert not PasswordPolicy.objects.filter(account=ctx.account).exists()
        assert f.events("iam:DeleteAccountPasswordPolicy") == [("success", "")]
        assert "The account now uses the default password policy." in page(as_root.get(SETTINGS))

    def test_no_policy_to_delete(self, as_root, acct):
        assert "already uses the IAM default password policy" in page(as_root.get(POLICY_DELETE))
        response = as_root.post(POLICY_DELETE)
        assert response.status_code == 404
        assert f"The Password Policy with domain name {acct} cannot be found." in page(response)
        assert f.events("iam:DeleteAccountPasswordPolicy") == [("failed", "NoSuchEntity")]

    def test_a_read_only_user_is_refused(self, as_reader, ctx, acct):
        passwords.update_account_password_policy(ctx)
        assert as_reader.get(POLICY_DELETE).status_code == 403
        response = as_reader.post(POLICY_DELETE)
        assert response.status_code == 403
        assert f.denial(acct, "reader", "iam:DeleteAccountPasswordPolicy", "*") in page(response)
        assert PasswordPolicy.objects.filter(account=ctx.account).exists()

    def test_csrf(self, root, ctx):
        passwords.update_account_password_policy(ctx)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(POLICY_DELETE).status_code == 403
        assert PasswordPolicy.objects.filter(account=ctx.account).exists()


class AccountAliasTests:
    def test_create_then_change(self, as_root, ctx, acct):
        response = as_root.get(ALIAS)
        assert response.status_code == 200 and response.context["title"] == "Create account alias"
        response = as_root.post(ALIAS, {"account_alias": "acme-co"})
        assert response.status_code == 302 and response["Location"] == SETTINGS
        assert Account.objects.get(pk=ctx.account.pk).alias == "acme-co"
        response = as_root.get(ALIAS)
        assert response.context["title"] == "Edit account alias"
        assert response.context["form"]["account_alias"].value() == "acme-co"
        assert as_root.post(ALIAS, {"account_alias": "acme-corp"}).status_code == 302
        assert Account.objects.get(pk=ctx.account.pk).alias == "acme-corp"
        assert f.events("iam:CreateAccountAlias") == [("success", ""), ("success", "")]
        last = AuditEvent.objects.filter(action="iam:CreateAccountAlias").last()
        assert last.parameters == {"account_alias": "acme-corp", "previous_alias": "acme-co"}
        assert 'href="http://testserver/signin/acme-corp/"' in page(as_root.get(SETTINGS))

    @pytest.mark.parametrize(
        ("value", "constraint"),
        [
            ("ab", "have length greater than or equal to 3"),
            ("Acme", r"satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"),
            ("123456789012", "not be a 12-digit number"),
        ],
    )
    def test_invalid_aliases_get_awss_message(self, as_root, ctx, value, constraint):
        response = as_root.post(ALIAS, {"account_alias": value})
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "account_alias": [
                f"1 validation error detected: Value '{value}' at 'accountAlias' failed to satisfy constraint: "
                f"Member must {constraint}"
            ]
        }
        assert Account.objects.get(pk=ctx.account.pk).alias is None

    def test_an_alias_another_account_has(self, as_root):
        create_account_alias(f.root_context(), account_alias="taken")
        response = as_root.post(ALIAS, {"account_alias": "taken"})
        assert response.status_code == 409
        assert response.context["form"].errors == {
            "account_alias": ["The account alias taken already exists."]
        }

    def test_empty_is_a_form_error(self, as_root):
        response = as_root.post(ALIAS, {"account_alias": ""})
        assert response.status_code == 400
        assert response.context["form"].errors == {"account_alias": ["This field is required."]}

    def test_delete_after_confirmation(self, as_root, ctx, acct):
        create_account_alias(ctx, account_alias="acme-co")
        response = as_root.get(ALIAS_DELETE)
        assert response.status_code == 200
        html = page(response)
        assert 'name="account_alias" value="acme-co"' in html and "http://testserver/signin/acme-co/" in html
        response = as_root.post(ALIAS_DELETE, {"account_alias": "acme-co"})
        assert response.status_code == 302 and response["Location"] == SETTINGS
        assert Account.objects.get(pk=ctx.account.pk).alias is None
        assert f.events("iam:DeleteAccountAlias") == [("success", "")]
        assert "This account has no alias" in page(as_root.get(ALIAS_DELETE))

    def test_a_stale_confirmation_deletes_nothing(self, as_root, ctx):
        create_account_alias(ctx, account_alias="acme-co")
        response = as_root.post(ALIAS_DELETE, {"account_alias": "old-name"})
        assert response.status_code == 404
        assert "The account alias old-name cannot be found." in page(response)
        assert Account.objects.get(pk=ctx.account.pk).alias == "acme-co"

    def test_a_read_only_user_is_refused(self, as_reader, ctx, acct):
        create_account_alias(ctx, account_alias="acme-co")
        assert as_reader.get(ALIAS).status_code == 403
        assert as_reader.get(ALIAS_DELETE).status_code == 403
        response = as_reader.post(ALIAS, {"account_alias": "mine-now"})
        assert response.status_code == 403
        assert f.denial(acct, "reader", "iam:CreateAccountAlias", "*") in page(response)
        response = as_reader.post(ALIAS_DELETE, {"account_alias": "acme-co"})
        assert response.status_code == 403
        assert f.denial(acct, "reader", "iam:DeleteAccountAlias", "*") in page(response)
        assert Account.objects.get(pk=ctx.account.pk).alias == "acme-co"

    def test_csrf(self, root, ctx):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(ALIAS, {"account_alias": "acme-co"}).status_code == 403
        create_account_alias(ctx, account_alias="acme-co")
        assert strict.post(ALIAS_DELETE, {"account_alias": "acme-co"}).status_code == 403
        assert Account.objects.get(pk=ctx.account.pk).alias == "acme-co"


class RootMfaTests:
    def test_root_turns_the_requirement_off_and_on(self, as_root, ctx, acct):
        response = as_root.post(ROOT_MFA, {"required": "off"})
        assert response.status_code == 302 and response["Location"] == SETTINGS
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is False
        html = page(as_root.get(SETTINGS))
        assert "The root user no longer has to use MFA to sign in." in html
        assert "Require MFA for the root user" in html
        assert as_root.post(ROOT_MFA, {"required": "on"}).status_code == 302
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is True
        events = AuditEvent.objects.filter(action="portal:SetRootMfaRequired").order_by("id")
        assert [(e.outcome, e.parameters, e.channel) for e in events] == [
            ("success", {"required": False}, "console"),
            ("success", {"required": True}, "console"),
        ]

    def test_an_iam_user_cannot_even_as_administrator(self, as_admin, ctx):
        response = as_admin.post(ROOT_MFA, {"required": "off"})
        assert response.status_code == 400
        assert "Only the root user can change whether the root user must use MFA." in page(response)
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is True
        assert f.events("portal:SetRootMfaRequired") == [("failed", "InvalidUserType")]

    def test_post_only_and_a_choice_is_needed(self, as_root, ctx):
        assert as_root.get(ROOT_MFA).status_code == 405
        assert as_root.post(ROOT_MFA, {"required": "maybe"}).status_code == 400
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is True

    def test_csrf(self, root, ctx):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(ROOT_MFA, {"required": "off"}).status_code == 403
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is True
