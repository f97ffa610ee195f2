"""Console passwords and the account password policy: CreateLoginProfile, GetLoginProfile,
UpdateLoginProfile, DeleteLoginProfile, ChangePassword, Update/Get/DeleteAccountPasswordPolicy."""

from __future__ import annotations

import logging
import sys
import threading
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.views.debug import ExceptionReporter

from accounts.models import AuditEvent, LoginProfile, PasswordHistory, PasswordPolicy, User
from accounts.selectors import passwords as password_reads
from accounts.selectors import users as user_reads
from accounts.services import passwords, users
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    EntityAlreadyExistsError,
    IamError,
    InvalidInputError,
    NoSuchEntityError,
    PasswordPolicyViolationError,
    ValidationError,
)
from tests import factories as f
from tests.factories import denial, events, generation

pytestmark = pytest.mark.django_db

FIRST = "First-Password-1"
SECOND = "Second-Password-2"
THIRD = "Third-Password-3"
STRICT = {
    "minimum_password_length": 12,
    "require_symbols": True,
    "require_numbers": True,
    "require_uppercase_characters": True,
    "require_lowercase_characters": True,
}


@pytest.fixture
def alice(ctx):
    return users.create_user(ctx, user_name="alice")


def stored_hash(user: User) -> str:
    return User.objects.values_list("password", flat=True).get(pk=user.pk)


def invalid(member: str, constraint: str) -> str:
    return f"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must {constraint}"


def self_service(user: User, acct: str) -> None:
    """The policy AWS documents for users who manage their own password."""
    f.put_user_policy(
        user,
        "SelfService",
        f.allow(["iam:ChangePassword", "iam:GetUser"], f"arn:aws:iam::{acct}:user/${{aws:username}}"),
    )


class CreateLoginProfileTests:
    def test_creates_a_password_that_verifies_and_is_audited_without_it(self, ctx, alice):
        profile = passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        assert (profile.user.user_name, profile.password_reset_required) == ("alice", False)
        assert profile.created == profile.password_changed == ctx.now
        assert check_password(FIRST, stored_hash(alice))
        assert not check_password(SECOND, stored_hash(alice))
        assert events("iam:CreateLoginProfile") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:CreateLoginProfile")
        assert (event.actor_arn, event.target_arn) == (ctx.caller.arn, alice.arn)
        assert event.parameters == {"user_name": "alice", "password_reset_required": False}

    def test_password_reset_required_is_stored(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST, password_reset_required=True)
        assert LoginProfile.objects.get(user=alice).password_reset_required is True

    def test_a_second_profile_is_entity_already_exists(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        with pytest.raises(EntityAlreadyExistsError, match="^Login Profile for user alice already exists.$"):
            passwords.create_login_profile(ctx, user_name="alice", password=SECOND)
        assert check_password(FIRST, stored_hash(alice))
        assert events("iam:CreateLoginProfile") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_a_racing_duplicate_caught_by_the_database_is_entity_already_exists(
        self, ctx, alice, monkeypatch
    ):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        real_filter = LoginProfile.objects.filter

        class Blind:  # as if the other request's row were not visible yet
            def exists(self):
                return False

        monkeypatch.setattr(
            LoginProfile.objects, "filter", lambda **kw: Blind() if "user" in kw else real_filter(**kw)
        )
        with pytest.raises(EntityAlreadyExistsError, match="^Login Profile for user alice already exists.$"):
            passwords.create_login_profile(ctx, user_name="alice", password=SECOND)
        monkeypatch.undo()
        assert events("iam:CreateLoginProfile") == [("success", ""), ("failed", "EntityAlreadyExists")]
        assert check_password(FIRST, stored_hash(alice))

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            passwords.create_login_profile(ctx, user_name="ghost", password=FIRST)

    @pytest.mark.parametrize(
        ("password", "constraint"),
        [
            (None, "not be null"),
            ("", "have length greater than or equal to 1"),
            ("x" * 129, "have length less than or equal to 128"),
            ("naïve\u0100", r"satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"),
            ("bell\u0007", r"satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"),
            ("emoji-🔑", r"satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"),
        ],
    )
    def test_passwords_follow_the_model_constraints_and_never_appear_in_the_message(
        self, ctx, alice, password, constraint
    ):
        with pytest.raises(ValidationError) as caught:
            passwords.create_login_profile(ctx, user_name="alice", password=password)
        assert caught.value.message == invalid("password", constraint)
        assert not LoginProfile.objects.exists()
        assert not events("iam:CreateLoginProfile")  # rejected before anything was attempted

    @pytest.mark.parametrize("password", ["Yy1" + "y" * 125, "Tab\there\nand\r1returns", 'Café9 ÿ ~`"<>?,./'])
    def test_any_characters_of_the_pattern_that_meet_the_default_policy(self, ctx, alice, password):
        passwords.create_login_profile(ctx, user_name="alice", password=password)
        assert check_password(password, stored_hash(alice))

    def test_user_names_follow_the_model_constraints(self, ctx):
        with pytest.raises(ValidationError, match="at 'userName' failed to satisfy constraint"):
            passwords.create_login_profile(ctx, user_name="a" * 65, password=FIRST)
        with pytest.raises(ValidationError, match="at 'userName' failed to satisfy constraint"):
            passwords.create_login_profile(ctx, user_name="bad name", password=FIRST)

    def test_without_a_user_name_it_is_for_the_calling_iam_user(self, ctx, alice, acct):
        f.put_user_policy(alice, "Own", f.allow("iam:CreateLoginProfile", f"arn:aws:iam::{acct}:user/alice"))
        profile = passwords.create_login_profile(f.context_for(alice), password=FIRST)
        assert profile.user == alice
        assert check_password(FIRST, stored_hash(alice))

    def test_the_root_user_must_name_a_user(self, ctx):
        with pytest.raises(ValidationError) as caught:
            passwords.create_login_profile(ctx, password=FIRST)
        assert caught.value.message == (
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
            "Member must not be null"
        )

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        users.create_user(ctx, user_name="bob")
        with pytest.raises(AccessDeniedError) as caught:
            passwords.create_login_profile(f.context_for(alice), user_name="bob", password=FIRST)
        assert caught.value.message == denial(
            acct, "alice", "iam:CreateLoginProfile", f"arn:aws:iam::{acct}:user/bob"
        )
        assert events("iam:CreateLoginProfile") == [("denied", "AccessDenied")]
        assert not LoginProfile.objects.exists()


class PasswordPolicyRulesTests:
    """Every rule of the account password policy, as CreateLoginProfile applies it."""

    @pytest.mark.parametrize(
        ("rules", "password", "message"),
        [
            ({"minimum_password_length": 8}, "Abc1!xy", "Password should have a minimum length of 8"),
            (
                {"require_uppercase_characters": True},
                "abc1!xyz",
                "Password should have at least one uppercase letter",
            ),
            (
                {"require_lowercase_characters": True},
                "ABC1!XYZ",
                "Password should have at least one lowercase letter",
            ),
            ({"require_numbers": True}, "Abcd!xyz", "Password should have at least one number"),
            ({"require_symbols": True}, "Abc1dxyz", "Password should have at least one symbol"),
        ],
    )
    def test_each_rule_in_aws_words(self, ctx, alice, rules, password, message):
        passwords.update_account_password_policy(ctx, **rules)
        with pytest.raises(PasswordPolicyViolationError) as caught:
            passwords.create_login_profile(ctx, user_name="alice", password=password)
        assert (caught.value.code, caught.value.http_status, caught.value.message) == (
            "PasswordPolicyViolation",
            400,
            message,
        )
        assert events("iam:CreateLoginProfile") == [("failed", "PasswordPolicyViolation")]
        assert not LoginProfile.objects.exists()
        assert not User.objects.get(pk=alice.pk).has_usable_password()

    def test_the_message_names_every_rule_broken(self, ctx, alice):
        passwords.update_account_password_policy(ctx, **STRICT)
        with pytest.raises(PasswordPolicyViolationError) as caught:
            passwords.create_login_profile(ctx, user_name="alice", password="short")
        assert caught.value.message == (
            "Password should have a minimum length of 12, Password should have at least one uppercase letter, "
            "Password should have at least one number, Password should have at least one symbol"
        )

    def test_a_password_meeting_every_rule_is_accepted(self, ctx, alice):
        passwords.update_account_password_policy(ctx, **STRICT)
        passwords.create_login_profile(ctx, user_name="alice", password="Abcdefgh1234'")
        assert check_password("Abcdefgh1234'", stored_hash(alice))

    def test_the_minimum_length_is_inclusive(self, ctx, alice):
        passwords.update_account_password_policy(ctx, minimum_password_length=8)
        passwords.create_login_profile(ctx, user_name="alice", password="12345678")

    @pytest.mark.parametrize("symbol", list("!@#$%^&*()_+-=[]{}|'"))
    def test_each_of_the_twenty_symbols_counts(self, ctx, alice, symbol):
        passwords.update_account_password_policy(ctx, require_symbols=True)
        passwords.create_login_profile(ctx, user_name="alice", password=f"abcdef{symbol}")

    @pytest.mark.parametrize("other", [*'~`"<>?,./:;\\ ', "\t", "é"])
    def test_other_characters_are_not_symbols(self, ctx, alice, other):
        passwords.update_account_password_policy(ctx, require_symbols=True)
        with pytest.raises(PasswordPolicyViolationError, match="^Password should have at least one symbol$"):
            passwords.create_login_profile(ctx, user_name="alice", password=f"abcdef{other}")

    def test_letters_and_numbers_are_the_ascii_ones(self, ctx, alice):
        passwords.update_account_password_policy(
            ctx, require_uppercase_characters=True, require_lowercase_characters=True
        )
        with pytest.raises(PasswordPolicyViolationError) as caught:
            passwords.create_login_profile(ctx, user_name="alice", password="ÉÀÇéàç")
        assert caught.value.message == (
            "Password should have at least one uppercase letter, Password should have at least one lowercase letter"
        )

    def test_without_a_policy_aws_default_policy_applies(self, ctx, alice):
        with pytest.raises(PasswordPolicyViolationError) as caught:
            passwords.create_login_profile(ctx, user_name="alice", password="a")
        assert caught.value.message == (
            "Password should have a minimum length of 8, Password should meet 2 more of the following "
            "requirements: uppercase letter, number, symbol"
        )
        with pytest.raises(
            PasswordPolicyViolationError,
            match="^Password should meet 1 more of the following requirements: number, symbol$",
        ):
            passwords.create_login_profile(ctx, user_name="alice", password="abcdEFGHij")
        passwords.create_login_profile(ctx, user_name="alice", password="abcdEFGH1j")  # three kinds of four
        assert check_password("abcdEFGH1j", stored_hash(alice))


class GetLoginProfileTests:
    def test_returns_the_profile_without_any_password(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST, password_reset_required=True)
        profile = password_reads.get_login_profile(ctx, user_name="ALICE")
        assert (profile.user, profile.password_reset_required) == (alice, True)
        assert FIRST not in repr(profile) and FIRST not in str(profile)

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            password_reads.get_login_profile(ctx, user_name="ghost")

    def test_a_user_without_a_password(self, ctx, alice):
        with pytest.raises(NoSuchEntityError, match="^Login Profile for User alice cannot be found.$"):
            password_reads.get_login_profile(ctx, user_name="alice")

    def test_without_a_user_name_it_is_the_callers(self, ctx, alice, acct):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        f.put_user_policy(alice, "Own", f.allow("iam:GetLoginProfile", f"arn:aws:iam::{acct}:user/alice"))
        assert password_reads.get_login_profile(f.context_for(alice)).user == alice

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        users.create_user(ctx, user_name="bob")
        passwords.create_login_profile(ctx, user_name="bob", password=FIRST)
        with pytest.raises(AccessDeniedError) as caught:
            password_reads.get_login_profile(f.context_for(alice), user_name="bob")
        assert caught.value.message == denial(
            acct, "alice", "iam:GetLoginProfile", f"arn:aws:iam::{acct}:user/bob"
        )
        assert events("iam:GetLoginProfile") == [("denied", "AccessDenied")]


class UpdateLoginProfileTests:
    def test_sets_a_new_password_and_audits_that_it_changed_not_what_to(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        later = f.root_context(ctx.caller)
        passwords.update_login_profile(later, user_name="alice", password=SECOND)
        assert check_password(SECOND, stored_hash(alice))
        assert not check_password(FIRST, stored_hash(alice))
        profile = LoginProfile.objects.get(user=alice)
        assert (profile.created, profile.password_changed) == (ctx.now, later.now)
        event = AuditEvent.objects.get(action="iam:UpdateLoginProfile")
        assert (event.outcome, event.target_arn) == ("success", alice.arn)
        assert event.parameters == {"user_name": "alice", "password_set": True}

    def test_only_the_reset_flag(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_login_profile(ctx, user_name="alice", password_reset_required=True)
        assert LoginProfile.objects.get(user=alice).password_reset_required is True
        assert check_password(FIRST, stored_hash(alice))
        passwords.update_login_profile(ctx, user_name="alice", password_reset_required=False)
        assert LoginProfile.objects.get(user=alice).password_reset_required is False
        assert AuditEvent.objects.filter(action="iam:UpdateLoginProfile").last().parameters == {
            "user_name": "alice",
            "password_reset_required": False,
        }

    def test_a_user_without_a_password(self, ctx, alice):
        with pytest.raises(NoSuchEntityError, match="^Login Profile for User alice cannot be found.$"):
            passwords.update_login_profile(ctx, user_name="alice", password=FIRST)
        assert events("iam:UpdateLoginProfile") == [("failed", "NoSuchEntity")]
        assert not User.objects.get(pk=alice.pk).has_usable_password()

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            passwords.update_login_profile(ctx, user_name="ghost", password=FIRST)

    def test_the_user_name_is_required(self, ctx):
        with pytest.raises(
            ValidationError, match="at 'userName' failed to satisfy constraint: Member must not be null"
        ):
            passwords.update_login_profile(ctx, user_name=None, password=FIRST)

    def test_an_explicit_deny_still_refuses_what_the_password_policy_grants(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        f.put_user_policy(
            alice,
            "NoChangesWithoutMfa",
            f.deny("iam:ChangePassword", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
        )
        with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
            passwords.change_password(f.context_for(alice), old_password=FIRST, new_password=SECOND)
        request = f.context_for(alice)
        with_mfa = f.context_for(alice, mfa_authenticated_at=request.now, now=request.now)
        passwords.change_password(with_mfa, old_password=FIRST, new_password=SECOND)
        assert check_password(SECOND, stored_hash(alice))

    def test_the_new_password_is_checked_against_the_policy(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_account_password_policy(ctx, minimum_password_length=20)
        with pytest.raises(
            PasswordPolicyViolationError, match="^Password should have a minimum length of 20$"
        ):
            passwords.update_login_profile(
                ctx, user_name="alice", password=SECOND, password_reset_required=True
            )
        assert check_password(FIRST, stored_hash(alice))
        assert LoginProfile.objects.get(user=alice).password_reset_required is False  # all or nothing
        assert events("iam:UpdateLoginProfile") == [("failed", "PasswordPolicyViolation")]

    def test_the_password_is_validated_without_being_shown(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        with pytest.raises(ValidationError) as caught:
            passwords.update_login_profile(ctx, user_name="alice", password="Ünïcode-Ā")
        assert caught.value.message == invalid(
            "password", r"satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"
        )

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        users.create_user(ctx, user_name="bob")
        passwords.create_login_profile(ctx, user_name="bob", password=FIRST)
        with pytest.raises(AccessDeniedError) as caught:
            passwords.update_login_profile(f.context_for(alice), user_name="bob", password=SECOND)
        assert caught.value.message == denial(
            acct, "alice", "iam:UpdateLoginProfile", f"arn:aws:iam::{acct}:user/bob"
        )
        assert events("iam:UpdateLoginProfile") == [("denied", "AccessDenied")]
        assert check_password(FIRST, stored_hash(User.objects.get(user_name="bob")))


class DeleteLoginProfileTests:
    def test_deletes_and_makes_the_password_unusable(self, ctx, alice):
        passwords.update_account_password_policy(ctx, password_reuse_prevention=5)
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        assert PasswordHistory.objects.filter(user=alice).count() == 1
        passwords.delete_login_profile(ctx, user_name="alice")
        fresh = User.objects.get(pk=alice.pk)
        assert not fresh.has_usable_password() and not fresh.check_password(FIRST)
        assert not LoginProfile.objects.filter(user=alice).exists()
        assert not PasswordHistory.objects.filter(user=alice).exists()
        assert events("iam:DeleteLoginProfile") == [("success", "")]
        assert AuditEvent.objects.get(action="iam:DeleteLoginProfile").parameters == {"user_name": "alice"}
        with pytest.raises(NoSuchEntityError, match="^Login Profile for User alice cannot be found.$"):
            password_reads.get_login_profile(ctx, user_name="alice")

    def test_a_user_without_a_password(self, ctx, alice):
        with pytest.raises(NoSuchEntityError, match="^Login Profile for User alice cannot be found.$"):
            passwords.delete_login_profile(ctx, user_name="alice")
        assert events("iam:DeleteLoginProfile") == [("failed", "NoSuchEntity")]

    def test_a_password_can_be_created_again_afterwards(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.delete_login_profile(ctx, user_name="alice")
        passwords.create_login_profile(ctx, user_name="alice", password=SECOND)
        assert check_password(SECOND, stored_hash(alice))

    def test_delete_user_needs_the_login_profile_deleted_first(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must delete login profile first.$"
        ):
            users.delete_user(ctx, user_name="alice")
        assert events("iam:DeleteUser") == [("failed", "DeleteConflict")]
        passwords.delete_login_profile(ctx, user_name="alice")
        users.delete_user(ctx, user_name="alice")
        assert not User.objects.filter(pk=alice.pk).exists()

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        users.create_user(ctx, user_name="bob")
        passwords.create_login_profile(ctx, user_name="bob", password=FIRST)
        with pytest.raises(AccessDeniedError) as caught:
            passwords.delete_login_profile(f.context_for(alice), user_name="bob")
        assert caught.value.message == denial(
            acct, "alice", "iam:DeleteLoginProfile", f"arn:aws:iam::{acct}:user/bob"
        )
        assert LoginProfile.objects.filter(user__user_name="bob").exists()


class ChangePasswordTests:
    def test_self_service_end_to_end(self, ctx, alice, acct):
        """An IAM user with AWS's self-service policy changes its own password and nobody else's."""
        bob = users.create_user(ctx, user_name="bob")
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST, password_reset_required=True)
        passwords.create_login_profile(ctx, user_name="bob", password=FIRST)
        self_service(alice, acct)
        request = f.context_for(alice)
        assert user_reads.get_user(request) == alice

        passwords.change_password(request, old_password=FIRST, new_password=SECOND)
        assert check_password(SECOND, stored_hash(alice))
        assert not check_password(FIRST, stored_hash(alice))
        profile = LoginProfile.objects.get(user=alice)
        assert (profile.password_reset_required, profile.password_changed) == (False, request.now)
        event = AuditEvent.objects.get(action="iam:ChangePassword")
        assert (event.outcome, event.actor_arn, event.target_arn) == ("success", alice.arn, alice.arn)
        assert event.parameters == {"user_name": "alice"}

        with pytest.raises(AccessDeniedError) as caught:
            passwords.update_login_profile(f.context_for(alice), user_name="bob", password=THIRD)
        assert caught.value.message == denial(acct, "alice", "iam:UpdateLoginProfile", bob.arn)
        with pytest.raises(AccessDeniedError):
            passwords.delete_login_profile(f.context_for(alice), user_name="bob")
        with pytest.raises(AccessDeniedError):
            user_reads.get_user(f.context_for(alice), user_name="bob")
        assert check_password(FIRST, stored_hash(bob))
        assert events("iam:UpdateLoginProfile") == [("denied", "AccessDenied")]

    def test_the_old_password_must_be_right(self, ctx, alice, acct):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        self_service(alice, acct)
        with pytest.raises(InvalidInputError) as caught:
            passwords.change_password(f.context_for(alice), old_password=THIRD, new_password=SECOND)
        assert (caught.value.code, caught.value.http_status, caught.value.message) == (
            "InvalidInput",
            400,
            "The old password was incorrect.",
        )
        assert check_password(FIRST, stored_hash(alice))
        assert events("iam:ChangePassword") == [("failed", "InvalidInput")]

    def test_the_root_user_gets_invalid_user_type(self, ctx):
        with pytest.raises(IamError) as caught:
            passwords.change_password(ctx, old_password=f.PASSWORD, new_password=SECOND)
        assert (caught.value.code, caught.value.http_status) == ("InvalidUserType", 400)
        assert caught.value.message == "ChangePassword is for IAM users; the root user cannot call it."
        assert check_password(f.PASSWORD, stored_hash(ctx.caller))  # the root password is untouched
        assert events("iam:ChangePassword") == [("failed", "InvalidUserType")]

    def test_a_user_without_a_password(self, ctx, alice, acct):
        self_service(alice, acct)
        with pytest.raises(NoSuchEntityError, match="^Login Profile for User alice cannot be found.$"):
            passwords.change_password(f.context_for(alice), old_password=FIRST, new_password=SECOND)
        assert events("iam:ChangePassword") == [("failed", "NoSuchEntity")]

    def test_without_a_policy_or_the_account_setting_it_is_denied(self, ctx, alice, acct):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        with pytest.raises(AccessDeniedError) as caught:
            passwords.change_password(f.context_for(alice), old_password=FIRST, new_password=SECOND)
        assert caught.value.message == denial(acct, "alice", "iam:ChangePassword", alice.arn)
        assert events("iam:ChangePassword") == [("denied", "AccessDenied")]
        assert check_password(FIRST, stored_hash(alice))

    def test_allow_users_to_change_password_grants_it_without_a_policy(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        passwords.change_password(f.context_for(alice), old_password=FIRST, new_password=SECOND)
        assert check_password(SECOND, stored_hash(alice))
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=False)
        with pytest.raises(AccessDeniedError):
            passwords.change_password(f.context_for(alice), old_password=SECOND, new_password=THIRD)

    def test_the_new_password_is_checked_against_the_policy(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST, password_reset_required=True)
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True, **STRICT)
        with pytest.raises(PasswordPolicyViolationError) as caught:
            passwords.change_password(f.context_for(alice), old_password=FIRST, new_password="newpassword")
        assert caught.value.message == (
            "Password should have a minimum length of 12, Password should have at least one uppercase letter, "
            "Password should have at least one number, Password should have at least one symbol"
        )
        assert check_password(FIRST, stored_hash(alice))
        assert LoginProfile.objects.get(user=alice).password_reset_required is True
        assert events("iam:ChangePassword") == [("failed", "PasswordPolicyViolation")]

    @pytest.mark.parametrize(
        ("old", "new", "member"),
        [("", SECOND, "oldPassword"), (FIRST, "", "newPassword"), (FIRST, "x" * 129, "newPassword")],
    )
    def test_both_passwords_follow_the_model_constraints(self, ctx, alice, old, new, member):
        with pytest.raises(
            ValidationError, match=f"^1 validation error detected: Value at '{member}' failed"
        ):
            passwords.change_password(f.context_for(alice), old_password=old, new_password=new)


class PasswordReuseTests:
    @pytest.fixture
    def request_as_alice(self, ctx, alice):
        passwords.update_account_password_policy(
            ctx, allow_users_to_change_password=True, password_reuse_prevention=2
        )
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        return f.context_for(alice)

    def test_the_last_n_passwords_cannot_be_reused(self, request_as_alice, alice):
        change = passwords.change_password
        change(request_as_alice, old_password=FIRST, new_password=SECOND)
        with pytest.raises(PasswordPolicyViolationError, match="^Password cannot be reused$"):
            change(request_as_alice, old_password=SECOND, new_password=FIRST)  # 2nd to last
        with pytest.raises(PasswordPolicyViolationError, match="^Password cannot be reused$"):
            change(request_as_alice, old_password=SECOND, new_password=SECOND)  # the current one
        change(request_as_alice, old_password=SECOND, new_password=THIRD)
        change(request_as_alice, old_password=THIRD, new_password=FIRST)  # 3rd to last: allowed again
        assert check_password(FIRST, stored_hash(alice))

    def test_reuse_is_one_more_rule_broken(self, ctx, request_as_alice):
        passwords.update_account_password_policy(
            ctx, allow_users_to_change_password=True, password_reuse_prevention=2, minimum_password_length=20
        )
        with pytest.raises(PasswordPolicyViolationError) as caught:
            passwords.change_password(request_as_alice, old_password=FIRST, new_password=FIRST)
        assert (
            caught.value.message == "Password should have a minimum length of 20, Password cannot be reused"
        )

    def test_administrators_setting_a_password_are_held_to_it_too(self, ctx, request_as_alice):
        with pytest.raises(PasswordPolicyViolationError, match="^Password cannot be reused$"):
            passwords.update_login_profile(ctx, user_name="alice", password=FIRST)

    def test_only_the_hashes_needed_are_kept(self, ctx, request_as_alice, alice):
        for old, new in [(FIRST, SECOND), (SECOND, THIRD), (THIRD, "Fourth-4")]:
            passwords.change_password(request_as_alice, old_password=old, new_password=new)
        history = list(PasswordHistory.objects.filter(user=alice).values_list("password_hash", flat=True))
        assert len(history) == 2 and history[0] == stored_hash(alice)
        assert check_password(THIRD, history[1])
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        assert not PasswordHistory.objects.exists()  # no reuse rule: nothing to compare with

    def test_without_reuse_prevention_no_history_is_kept(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_login_profile(ctx, user_name="alice", password=SECOND)
        passwords.update_login_profile(ctx, user_name="alice", password=FIRST)
        assert not PasswordHistory.objects.exists()

    def test_the_current_password_counts_even_if_set_before_the_rule(self, ctx, alice):
        passwords.create_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_account_password_policy(ctx, password_reuse_prevention=1)
        with pytest.raises(PasswordPolicyViolationError, match="^Password cannot be reused$"):
            passwords.update_login_profile(ctx, user_name="alice", password=FIRST)
        passwords.update_login_profile(ctx, user_name="alice", password=SECOND)

    def test_deleting_the_policy_forgets_the_history(self, ctx, request_as_alice):
        passwords.change_password(request_as_alice, old_password=FIRST, new_password=SECOND)
        assert PasswordHistory.objects.exists()
        passwords.delete_account_password_policy(ctx)
        assert not PasswordHistory.objects.exists()


class UpdateAccountPasswordPolicyTests:
    def test_sets_every_parameter(self, ctx):
        before = generation(ctx)
        policy = passwords.update_account_password_policy(
            ctx,
            minimum_password_length=14,
            require_symbols=True,
            require_numbers=True,
            require_uppercase_characters=True,
            require_lowercase_characters=True,
            allow_users_to_change_password=True,
            max_password_age=90,
            password_reuse_prevention=24,
            hard_expiry=True,
        )
        stored = password_reads.get_account_password_policy(ctx)
        assert stored.pk == policy.pk
        assert (
            stored.minimum_password_length,
            stored.require_symbols,
            stored.require_numbers,
            stored.require_uppercase_characters,
            stored.require_lowercase_characters,
            stored.allow_users_to_change_password,
            stored.max_password_age,
            stored.password_reuse_prevention,
            stored.hard_expiry,
            stored.expire_passwords,
        ) == (14, True, True, True, True, True, 90, 24, True, True)
        assert generation(ctx) == before + 1
        event = AuditEvent.objects.get(action="iam:UpdateAccountPasswordPolicy")
        assert (event.outcome, event.target_arn) == ("success", ctx.account.root_arn)
        assert event.parameters == {
            "minimum_password_length": 14,
            "require_symbols": True,
            "require_numbers": True,
            "require_uppercase_characters": True,
            "require_lowercase_characters": True,
            "allow_users_to_change_password": True,
            "max_password_age": 90,
            "password_reuse_prevention": 24,
            "hard_expiry": True,
        }

    def test_omitted_parameters_go_back_to_their_defaults(self, ctx):
        passwords.update_account_password_policy(
            ctx,
            minimum_password_length=14,
            require_symbols=True,
            max_password_age=90,
            password_reuse_prevention=5,
        )
        passwords.update_account_password_policy(ctx, require_numbers=True)
        policy = PasswordPolicy.objects.get(account=ctx.account)
        assert (
            policy.minimum_password_length,
            policy.require_symbols,
            policy.require_numbers,
            policy.max_password_age,
            policy.password_reuse_prevention,
            policy.expire_passwords,
        ) == (6, False, True, None, None, False)
        assert PasswordPolicy.objects.count() == 1

    def test_no_parameters_at_all_is_the_default_policy(self, ctx):
        policy = passwords.update_account_password_policy(ctx)
        assert (policy.minimum_password_length, policy.require_symbols, policy.expire_passwords) == (
            6,
            False,
            False,
        )
        assert AuditEvent.objects.get(action="iam:UpdateAccountPasswordPolicy").parameters == {
            "minimum_password_length": 6,
            "require_symbols": False,
            "require_numbers": False,
            "require_uppercase_characters": False,
            "require_lowercase_characters": False,
            "allow_users_to_change_password": False,
            "hard_expiry": False,
        }

    @pytest.mark.parametrize(
        ("parameter", "member", "value", "constraint"),
        [
            ("minimum_password_length", "minimumPasswordLength", 5, "have value greater than or equal to 6"),
            ("minimum_password_length", "minimumPasswordLength", 129, "have value less than or equal to 128"),
            ("max_password_age", "maxPasswordAge", 0, "have value greater than or equal to 1"),
            ("max_password_age", "maxPasswordAge", 1096, "have value less than or equal to 1095"),
            (
                "password_reuse_prevention",
                "passwordReusePrevention",
                0,
                "have value greater than or equal to 1",
            ),
            (
                "password_reuse_prevention",
                "passwordReusePrevention",
                25,
                "have value less than or equal to 24",
            ),
            ("minimum_password_length", "minimumPasswordLength", "8", "be an integer"),
            ("max_password_age", "maxPasswordAge", True, "be an integer"),
            ("require_symbols", "requireSymbols", "yes", "be a boolean"),
            ("hard_expiry", "hardExpiry", 1, "be a boolean"),
        ],
    )
    def test_values_out_of_range(self, ctx, parameter, member, value, constraint):
        with pytest.raises(ValidationError) as caught:
            passwords.update_account_password_policy(ctx, **{parameter: value})
        assert caught.value.message == (
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must {constraint}"
        )
        assert not PasswordPolicy.objects.exists()

    @pytest.mark.parametrize(
        "values",
        [
            {"minimum_password_length": 6, "max_password_age": 1, "password_reuse_prevention": 1},
            {"minimum_password_length": 128, "max_password_age": 1095, "password_reuse_prevention": 24},
        ],
    )
    def test_the_bounds_are_inclusive(self, ctx, values):
        policy = passwords.update_account_password_policy(ctx, **values)
        assert policy.max_password_age == values["max_password_age"]

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        with pytest.raises(AccessDeniedError) as caught:
            passwords.update_account_password_policy(f.context_for(alice), minimum_password_length=8)
        assert caught.value.message == denial(acct, "alice", "iam:UpdateAccountPasswordPolicy", "*")
        assert events("iam:UpdateAccountPasswordPolicy") == [("denied", "AccessDenied")]
        assert not PasswordPolicy.objects.exists()

    def test_an_allowed_user_sets_it(self, ctx, alice):
        f.put_user_policy(alice, "Admin", f.allow("iam:*AccountPasswordPolicy"))
        passwords.update_account_password_policy(f.context_for(alice), minimum_password_length=8)
        assert PasswordPolicy.objects.get(account=ctx.account).minimum_password_length == 8


class GetAccountPasswordPolicyTests:
    def test_none_set_is_no_such_entity_naming_the_account(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as caught:
            password_reads.get_account_password_policy(ctx)
        assert caught.value.message == f"The Password Policy with domain name {acct} cannot be found."

    def test_each_account_has_its_own(self, ctx):
        passwords.update_account_password_policy(ctx, minimum_password_length=10)
        other = f.root_context()
        with pytest.raises(NoSuchEntityError):
            password_reads.get_account_password_policy(other)
        assert password_reads.get_account_password_policy(ctx).minimum_password_length == 10

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        passwords.update_account_password_policy(ctx, minimum_password_length=10)
        with pytest.raises(AccessDeniedError) as caught:
            password_reads.get_account_password_policy(f.context_for(alice))
        assert caught.value.message == denial(acct, "alice", "iam:GetAccountPasswordPolicy", "*")
        assert events("iam:GetAccountPasswordPolicy") == [("denied", "AccessDenied")]

    def test_denied_before_no_such_entity(self, ctx, alice):
        with pytest.raises(AccessDeniedError):
            password_reads.get_account_password_policy(f.context_for(alice))

    def test_allow_users_to_change_password_lets_every_user_read_it(self, ctx, alice):
        passwords.update_account_password_policy(
            ctx, allow_users_to_change_password=True, minimum_password_length=10
        )
        assert password_reads.get_account_password_policy(f.context_for(alice)).minimum_password_length == 10


class DeleteAccountPasswordPolicyTests:
    def test_deletes_and_nothing_is_required_any_more(self, ctx, alice):
        passwords.update_account_password_policy(ctx, **STRICT)
        before = generation(ctx)
        passwords.delete_account_password_policy(ctx)
        assert generation(ctx) == before + 1
        assert not PasswordPolicy.objects.exists()
        with pytest.raises(NoSuchEntityError, match="cannot be found.$"):
            password_reads.get_account_password_policy(ctx)
        passwords.create_login_profile(ctx, user_name="alice", password="weakish-but-default-ok1")
        event = AuditEvent.objects.get(action="iam:DeleteAccountPasswordPolicy")
        assert (event.outcome, event.target_arn, event.parameters) == ("success", ctx.account.root_arn, {})

    def test_none_set_is_no_such_entity(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as caught:
            passwords.delete_account_password_policy(ctx)
        assert caught.value.message == f"The Password Policy with domain name {acct} cannot be found."
        assert events("iam:DeleteAccountPasswordPolicy") == [("failed", "NoSuchEntity")]

    def test_a_user_without_permission_is_denied(self, ctx, alice, acct):
        passwords.update_account_password_policy(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            passwords.delete_account_password_policy(f.context_for(alice))
        assert caught.value.message == denial(acct, "alice", "iam:DeleteAccountPasswordPolicy", "*")
        assert PasswordPolicy.objects.exists()


# Module-level, so that no test frame holds them in a local variable (crash reports show locals).
SECRETS = SimpleNamespace(
    first="Plain-Secret-Alpha-91!",
    second="Plain-Secret-Bravo-92!",
    third="Plain-Secret-Charlie-93!",
    wrong="Plain-Secret-Wrong-94!",
    weak="plainsecretweak",
)


class SecrecyTests:
    def test_no_plaintext_password_in_audit_rows_logs_messages_or_reprs(self, ctx, alice, acct, caplog):
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="django")  # Django's own default is INFO
        connection.force_debug_cursor = True  # log every SQL statement and its parameters too
        seen: list[str] = []
        try:
            bob = users.create_user(ctx, user_name="bob")
            passwords.update_account_password_policy(
                ctx, allow_users_to_change_password=True, password_reuse_prevention=3, require_numbers=True
            )
            results = [
                passwords.create_login_profile(ctx, user_name="alice", password=SECRETS.first),
                passwords.create_login_profile(ctx, user_name="bob", password=SECRETS.first),
                passwords.update_login_profile(ctx, user_name="bob", password=SECRETS.second),
                password_reads.get_login_profile(ctx, user_name="alice"),
            ]
            request = f.context_for(alice)
            attempts = [
                lambda: passwords.create_login_profile(ctx, user_name="alice", password=SECRETS.second),
                lambda: passwords.create_login_profile(ctx, user_name="ghost", password=SECRETS.second),
                lambda: passwords.update_login_profile(ctx, user_name="bob", password=SECRETS.weak),
                lambda: passwords.update_login_profile(ctx, user_name="bob", password=SECRETS.second),
                lambda: passwords.change_password(
                    request, old_password=SECRETS.wrong, new_password=SECRETS.third
                ),
                lambda: passwords.change_password(
                    request, old_password=SECRETS.first, new_password=SECRETS.weak
                ),
                lambda: passwords.change_password(
                    request, old_password=SECRETS.first, new_password=SECRETS.first
                ),
                lambda: passwords.change_password(
                    ctx, old_password=SECRETS.first, new_password=SECRETS.third
                ),
                lambda: passwords.update_login_profile(
                    f.context_for(bob), user_name="alice", password=SECRETS.third
                ),
                lambda: passwords.create_login_profile(
                    ctx, user_name="alice", password=SECRETS.first + "\u0100"
                ),
            ]
            for attempt in attempts:
                with pytest.raises(IamError) as caught:
                    attempt()
                seen += [caught.value.message, str(caught.value), repr(caught.value)]
            passwords.change_password(request, old_password=SECRETS.first, new_password=SECRETS.third)
            passwords.delete_login_profile(ctx, user_name="bob")
        finally:
            connection.force_debug_cursor = False
        seen += [repr(r) + str(r) for r in results]
        seen += [repr(p) for p in PasswordHistory.objects.all()] + [repr(alice), str(alice)]
        seen += [str(row) for row in AuditEvent.objects.values_list()]
        seen += [r.getMessage() + repr(r.args) for r in caplog.records]
        assert any("UPDATE" in r.getMessage() for r in caplog.records)  # the SQL really was logged
        assert AuditEvent.objects.count() == 17  # sign-up, alice and every write above, failed ones too
        text = "\n".join(seen)
        for plaintext in vars(SECRETS).values():
            assert plaintext not in text
        assert "password" not in {
            k for p in AuditEvent.objects.values_list("parameters", flat=True) for k in p
        }

    def test_a_crash_report_of_a_password_call_shows_no_password(self, ctx, alice, settings):
        settings.DEBUG = False  # Django hides sensitive variables in production reports only
        passwords.create_login_profile(ctx, user_name="alice", password=SECRETS.first)
        passwords.update_account_password_policy(
            ctx, allow_users_to_change_password=True, require_numbers=True
        )
        try:
            passwords.change_password(
                f.context_for(alice), old_password=SECRETS.first, new_password=SECRETS.weak
            )
        except PasswordPolicyViolationError:
            report = ExceptionReporter(None, *sys.exc_info()).get_traceback_html()
        assert "policy_violations" in report  # the frames below the service are in the report
        assert "new_password" in report and "********************" in report  # named, value hidden
        assert SECRETS.first not in report and SECRETS.weak not in report

    def test_the_production_hasher_stores_argon2(self, ctx, alice, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
        passwords.create_login_profile(ctx, user_name="alice", password=SECRETS.first)
        assert stored_hash(alice).startswith("argon2$argon2id$")
        assert check_password(SECRETS.first, stored_hash(alice))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_create_login_profile_for_one_user_lets_exactly_one_through():
    ctx = f.root_context()
    users.create_user(ctx, user_name="racer")
    results: list[str] = []
    barrier = threading.Barrier(10)

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            passwords.create_login_profile(ctx, user_name="racer", password=f"password-{i}")
            results.append("ok")
        except EntityAlreadyExistsError as exc:
            assert exc.message == "Login Profile for user racer already exists."
            results.append("exists")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["exists"] * 9 + ["ok"]
    assert LoginProfile.objects.filter(user__user_name="racer").count() == 1
    assert sorted(events("iam:CreateLoginProfile")) == [("failed", "EntityAlreadyExists")] * 9 + [
        ("success", "")
    ]
