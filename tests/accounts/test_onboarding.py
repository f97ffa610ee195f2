"""The walkthrough, the exercises and the dashboard's security recommendations, from live state.

Every state is set up through the services (as a user of the console would make it); only the
clocks of access keys are moved with queryset updates, and the 1,000-row tables of the query
counts are made with bulk_create.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.oath import hotp

from accounts.context import system_context
from accounts.models import AccessKey, AuditEvent, GroupMembership, LoginProfile, User, unique_id
from accounts.selectors.onboarding import (
    ADMINISTRATOR_ACCESS,
    CONSOLE_LOGIN,
    exercises,
    onboarding_checklist,
)
from accounts.selectors.recommendations import dashboard, security_recommendations
from accounts.services import access_keys, groups, mfa, passwords, policy_attachments, signin, users
from iam_portal.errors import AccessDeniedError, NoSuchEntityError
from policies import services as policy_services
from tests import factories as f

pytestmark = pytest.mark.django_db
PASSWORD = "First-Pass-1"
T = 1_800_000_000  # the MFA devices' clock
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"

ROOT_MFA = (
    "The root user has no MFA device. Enable MFA on the root user: it has complete access to the account, "
    "and with MFA a stolen or guessed password alone no longer opens it."
)
PASSWORD_POLICY = (
    "No password policy is set. Set one so that IAM users' passwords must meet your rules for length and "
    "complexity, and expire if you want them to."
)
ROOT_USED_TODAY = (
    "The root user was used today. Don't use the root user for everyday or even administrative tasks: "
    "sign in as your own administrator IAM user, and keep the root user for the few tasks that need it."
)


def code(seed: str, step: int) -> str:
    return f"{hotp(base64.b32decode(seed + '=' * (-len(seed) % 8)), step, digits=6):06d}"


def enable_mfa(ctx, monkeypatch, user_name: str | None = None, device: str = "root") -> None:
    """An MFA device for the user (the caller, the root user, without a name), through the services."""
    monkeypatch.setattr("django_otp.oath.time", lambda: T)
    new = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=device)
    mfa.enable_mfa_device(
        ctx,
        user_name=user_name,
        serial_number=new.device.serial_number,
        authentication_code_1=code(new.base32_string_seed, T // 30),
        authentication_code_2=code(new.base32_string_seed, T // 30 + 1),
    )


def console_user(ctx, name: str, *group_names: str) -> User:
    user = users.create_user(ctx, user_name=name)
    passwords.create_login_profile(ctx, user_name=name, password=PASSWORD)
    for group in group_names:
        groups.add_user_to_group(ctx, group_name=group, user_name=name)
    return user


def admins_group(ctx, name: str = "Admins") -> None:
    groups.create_group(ctx, group_name=name)
    policy_attachments.attach_group_policy(ctx, group_name=name, policy_arn=ADMINISTRATOR_ACCESS)


def sign_in(acct: str, name: str, password: str = PASSWORD) -> None:
    signin.authenticate_iam_user(account=acct, user_name=name, password=password, source_ip="203.0.113.9")


def iam_user_with(ctx, name: str, *statements: dict) -> User:
    user = users.create_user(ctx, user_name=name)
    if statements:
        f.put_user_policy(user, "Grant", *statements)
    return user


def states(checklist) -> list[tuple[str, bool, str]]:
    return [(s.lesson.key, s.done, s.status) for s in checklist.steps]


def codes(report) -> list[tuple[str, str]]:
    return [(r.code, r.severity) for r in report.recommendations]


def by_code(report, wanted: str):
    return next(r for r in report.recommendations if r.code == wanted)


def count_queries(function, ctx) -> int:
    with CaptureQueriesContext(connection) as queries:
        function(ctx)
    return len(queries)


class OnboardingChecklistTests:
    def test_a_new_account_has_only_the_root_keys_step_done(self, ctx):
        checklist = onboarding_checklist(ctx)
        assert states(checklist) == [
            ("root-mfa", False, "The root user has no MFA device yet."),
            ("root-access-keys", True, "The root user has no access keys."),
            ("password-policy", False, "No password policy is set yet."),
            ("admins-group", False, "No group has AdministratorAccess yet."),
            ("admin-user", False, "No IAM user is in a group with AdministratorAccess yet."),
            ("admin-sign-in", False, "No administrator IAM user has signed in yet."),
            ("job-function-groups", False, "Still to create: Developers and Security."),
        ]
        assert (checklist.done_count, checklist.total, checklist.percent, checklist.complete) == (
            1,
            7,
            14,
            False,
        )

    def test_every_step_ticks_itself_from_the_accounts_state(self, ctx, acct, monkeypatch):
        enable_mfa(ctx, monkeypatch)
        assert states(onboarding_checklist(ctx))[0] == ("root-mfa", True, "The root user has an MFA device.")

        key = access_keys.create_access_key(ctx).access_key
        assert states(onboarding_checklist(ctx))[1] == (
            "root-access-keys",
            False,
            "The root user has access keys.",
        )
        access_keys.update_access_key(ctx, access_key_id=key.access_key_id, status="Inactive")
        assert not onboarding_checklist(ctx).steps[1].done  # an inactive key is still a key
        access_keys.delete_access_key(ctx, access_key_id=key.access_key_id)
        assert onboarding_checklist(ctx).steps[1].done

        passwords.update_account_password_policy(ctx, minimum_password_length=12)
        assert states(onboarding_checklist(ctx))[2] == ("password-policy", True, "A password policy is set.")

        admins_group(ctx)
        assert states(onboarding_checklist(ctx))[3] == (
            "admins-group",
            True,
            "AdministratorAccess is attached to Admins.",
        )

        console_user(ctx, "alice", "Admins")
        assert states(onboarding_checklist(ctx))[4] == (
            "admin-user",
            True,
            "In a group with AdministratorAccess: alice.",
        )
        assert not onboarding_checklist(ctx).steps[5].done

        sign_in(acct, "alice")
        assert states(onboarding_checklist(ctx))[5] == (
            "admin-sign-in",
            True,
            "Signed in as an administrator: alice.",
        )

        groups.create_group(ctx, group_name="Developers")
        assert states(onboarding_checklist(ctx))[6] == (
            "job-function-groups",
            False,
            "Still to create: Security.",
        )
        groups.create_group(ctx, group_name="security")  # group names are case-insensitive
        checklist = onboarding_checklist(ctx)
        assert states(checklist)[6] == (
            "job-function-groups",
            True,
            "The Developers and Security groups exist.",
        )
        assert checklist.complete and checklist.done_count == 7 and checklist.percent == 100

    def test_a_group_called_admins_without_administrator_access_is_not_enough(self, ctx):
        groups.create_group(ctx, group_name="Admins")
        almost = policy_services.create_policy(
            ctx, policy_name="AlmostAdmin", policy_document=f.document(f.allow())
        )
        policy_attachments.attach_group_policy(ctx, group_name="Admins", policy_arn=almost.arn)
        console_user(ctx, "alice", "Admins")
        steps = onboarding_checklist(ctx).steps
        assert [s.done for s in steps[3:6]] == [False, False, False]

    def test_any_group_with_administrator_access_counts(self, ctx):
        admins_group(ctx, "Administrators")
        admins_group(ctx, "Ops")
        assert (
            onboarding_checklist(ctx).steps[3].status
            == "AdministratorAccess is attached to Administrators, Ops."
        )

    def test_only_a_successful_sign_in_of_an_administrator_counts(self, ctx, acct):
        admins_group(ctx)
        console_user(ctx, "alice", "Admins")
        console_user(ctx, "bob")  # not an administrator
        sign_in(acct, "bob")
        with pytest.raises(signin.SignInError):
            sign_in(acct, "alice", password="wrong")
        assert not onboarding_checklist(ctx).steps[5].done
        sign_in(acct, "alice")
        assert onboarding_checklist(ctx).steps[5].status == "Signed in as an administrator: alice."

    def test_a_sign_in_that_must_change_the_password_counts(self, ctx, acct):
        admins_group(ctx)
        users.create_user(ctx, user_name="alice")
        passwords.create_login_profile(
            ctx, user_name="alice", password=PASSWORD, password_reset_required=True
        )
        groups.add_user_to_group(ctx, group_name="Admins", user_name="alice")
        result = signin.authenticate_iam_user(
            account=acct, user_name="alice", password=PASSWORD, source_ip=None
        )
        assert result.password_change_required
        assert onboarding_checklist(ctx).steps[5].done

    def test_a_user_of_another_account_with_the_same_name_does_not_count(self, ctx):
        other = f.root_context()
        admins_group(other)
        console_user(other, "alice", "Admins")
        sign_in(other.account.account_id, "alice")
        admins_group(ctx)
        console_user(ctx, "alice", "Admins")
        assert not onboarding_checklist(ctx).steps[5].done

    def test_an_iam_user_needs_get_account_summary(self, ctx, acct):
        iam_user_with(ctx, "carol")
        caller = f.context_for(User.objects.get(user_name="carol"))
        with pytest.raises(AccessDeniedError) as raised:
            onboarding_checklist(caller)
        assert raised.value.message == f.denial(acct, "carol", "iam:GetAccountSummary", "*")
        assert f.events("iam:GetAccountSummary") == [("denied", "AccessDenied")]

    def test_names_only_for_a_caller_who_may_list_them(self, ctx, acct):
        admins_group(ctx)
        console_user(ctx, "alice", "Admins")
        sign_in(acct, "alice")
        summary_only = iam_user_with(ctx, "carol", f.allow("iam:GetAccountSummary"))
        statuses = [s.status for s in onboarding_checklist(f.context_for(summary_only)).steps[3:6]]
        assert statuses == [
            "AdministratorAccess is attached to a group.",
            "In a group with AdministratorAccess: an IAM user.",
            "Signed in as an administrator: an IAM user.",
        ]
        reader = users.create_user(ctx, user_name="dave")
        policy_attachments.attach_user_policy(ctx, user_name="dave", policy_arn=READ_ONLY)
        statuses = [s.status for s in onboarding_checklist(f.context_for(reader)).steps[3:6]]
        assert statuses == [
            "AdministratorAccess is attached to Admins.",
            "In a group with AdministratorAccess: alice.",
            "Signed in as an administrator: alice.",
        ]

    def test_at_most_ten_names(self, ctx, acct):
        admins_group(ctx)
        for i in range(12):
            console_user(ctx, f"admin{i:02d}", "Admins")
        sign_in(acct, "admin11")
        steps = onboarding_checklist(ctx).steps
        # Those who signed in come first (one query tells whether any did), then by name.
        names = ", ".join(f"admin{i:02d}" for i in (11, *range(9)))
        assert steps[4].status == f"In a group with AdministratorAccess: {names} and more."
        assert steps[5].status == "Signed in as an administrator: admin11."

    @pytest.mark.parametrize("as_root", [True, False])
    def test_constant_queries_at_10_and_1000_users(self, ctx, acct, as_root):
        admins_group(ctx)
        reader = users.create_user(ctx, user_name="reader")
        policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
        caller = ctx if as_root else f.context_for(reader)
        onboarding_checklist(system_context(caller.caller))  # warm the policy cache
        counts = []
        for total in (10, 1000):
            bulk_admins(ctx, total)
            counts.append(count_queries(onboarding_checklist, system_context(caller.caller)))
        assert counts[0] == counts[1]
        assert counts[0] == (3 if as_root else 4)  # + the authorization generation of an IAM user


def bulk_admins(ctx, total: int) -> None:
    """Bring the account to `total` bulk users, each an administrator with a console password, a
    successful sign-in, no MFA and an active access key 200 days old that was never used."""
    account = ctx.account
    have = User.objects.filter(account=account, user_name__startswith="bulk").count()
    new = User.objects.bulk_create(
        User(account=account, user_name=f"bulk{i:04d}", user_id=unique_id("AIDA"), password="!")
        for i in range(have, total)
    )
    admins = account.groups.get(group_name="Admins")
    GroupMembership.objects.bulk_create(GroupMembership(group=admins, user=u) for u in new)
    LoginProfile.objects.bulk_create(LoginProfile(user=u) for u in new)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            account=account,
            actor_arn=f"arn:aws:iam::{account.account_id}:user/{u.user_name}",
            channel="console",
            action=CONSOLE_LOGIN,
            target_arn=f"arn:aws:iam::{account.account_id}:user/{u.user_name}",
            outcome="success",
        )
        for u in new
    )
    AccessKey.objects.bulk_create(
        AccessKey(
            user=u,
            access_key_id=f"AKIABULK{u.user_id[-12:]}",
            secret_ciphertext="x",
            created=ctx.now - timedelta(days=200),
        )
        for u in new
    )


class SecurityRecommendationsTests:
    def test_a_new_account(self, ctx):
        report = security_recommendations(ctx)
        assert codes(report) == [
            ("root-mfa", "critical"),
            ("root-used-recently", "medium"),
            ("password-policy", "medium"),
        ]
        assert [r.text for r in report.recommendations] == [ROOT_MFA, ROOT_USED_TODAY, PASSWORD_POLICY]
        first = report.recommendations[0]
        assert (first.url_name, first.fix, first.root_only, first.help_topic) == (
            "console:security_credentials",
            "Assign an MFA device",
            True,
            "mfa",
        )
        assert by_code(report, "password-policy").url_name == "console:account_settings"
        assert report.unchecked == ()

    def test_all_clear(self, ctx, monkeypatch):
        enable_mfa(ctx, monkeypatch)
        passwords.update_account_password_policy(ctx, minimum_password_length=12)
        later = system_context(ctx.caller, now=ctx.now + timedelta(days=31))
        report = security_recommendations(later)
        assert report.recommendations == ()
        assert report.root_last_used is None

    def test_root_access_keys(self, ctx):
        access_keys.create_access_key(ctx)
        report = security_recommendations(ctx)
        assert by_code(report, "root-access-keys").text == (
            "The root user has 1 access key. Delete it: root access keys can do everything in the account and "
            "no policy restricts them. Give IAM users their own access keys instead."
        )
        key = access_keys.create_access_key(ctx).access_key
        access_keys.update_access_key(ctx, access_key_id=key.access_key_id, status="Inactive")
        recommendation = by_code(security_recommendations(ctx), "root-access-keys")
        assert recommendation.severity == "critical"
        assert recommendation.text.startswith("The root user has 2 access keys. Delete them: ")

    def test_root_use_from_the_audit_trail_and_from_its_keys(self, ctx):
        key = access_keys.create_access_key(ctx).access_key
        in_40_days = ctx.now + timedelta(days=40)
        later = system_context(ctx.caller, now=in_40_days)
        report = security_recommendations(later)
        assert "root-used-recently" not in dict(codes(report))
        AccessKey.objects.filter(pk=key.pk).update(last_used_date=in_40_days - timedelta(days=3))
        report = security_recommendations(later)
        assert by_code(report, "root-used-recently").text.startswith("The root user was used 3 days ago. ")
        assert report.root_last_used == in_40_days - timedelta(days=3)

    def test_console_users_without_mfa(self, ctx, monkeypatch):
        console_user(ctx, "carol")
        console_user(ctx, "bob")
        console_user(ctx, "dana")
        users.create_user(ctx, user_name="api-only")  # no console password: not counted
        enable_mfa(ctx, monkeypatch, user_name="dana", device="dana")
        recommendation = by_code(security_recommendations(ctx), "users-without-mfa")
        assert (recommendation.severity, recommendation.text) == (
            "high",
            "2 IAM users with console access have no MFA device. Assign one to each: a password alone is "
            "easy to guess or steal.",
        )
        assert (recommendation.names, recommendation.more) == (("bob", "carol"), 0)
        assert recommendation.url_name == "console:users" and not recommendation.root_only

    def test_one_user_without_mfa_and_many(self, ctx):
        console_user(ctx, "bob")
        assert by_code(security_recommendations(ctx), "users-without-mfa").text.startswith(
            "1 IAM user with console access has no MFA device. "
        )
        for i in range(11):
            console_user(ctx, f"user{i:02d}")
        recommendation = by_code(security_recommendations(ctx), "users-without-mfa")
        assert len(recommendation.names) == 10 and recommendation.more == 2

    def test_unused_and_old_access_keys(self, ctx):
        # The findings' definitions (accounts/selectors/findings.py): a key never used counts as
        # unused once it is 90 days old, as Access Analyzer's; a younger one is not judged yet (there
        # is no "access-keys-never-used" recommendation any more).
        for name in ("erin", "frank", "gina", "hal"):
            users.create_user(ctx, user_name=name)
        now = ctx.now
        fresh = access_keys.create_access_key(ctx, user_name="erin").access_key  # new, never used
        forgotten = access_keys.create_access_key(ctx, user_name="erin").access_key  # old, never used
        stale = access_keys.create_access_key(ctx, user_name="frank").access_key
        old = access_keys.create_access_key(ctx, user_name="gina").access_key
        fine = access_keys.create_access_key(ctx, user_name="hal").access_key
        off = access_keys.create_access_key(ctx, user_name="hal").access_key  # inactive: not counted
        access_keys.update_access_key(
            ctx, user_name="hal", access_key_id=off.access_key_id, status="Inactive"
        )
        AccessKey.objects.filter(pk__in=[stale.pk, off.pk]).update(
            created=now - timedelta(days=150), last_used_date=now - timedelta(days=100)
        )
        AccessKey.objects.filter(pk=old.pk).update(created=now - timedelta(days=120), last_used_date=now)
        AccessKey.objects.filter(pk=forgotten.pk).update(created=now - timedelta(days=95))
        AccessKey.objects.filter(pk=fine.pk).update(last_used_date=now)
        report = security_recommendations(ctx)
        unused, too_old = by_code(report, "access-keys-unused"), by_code(report, "access-keys-old")
        assert (unused.severity, unused.text, unused.names) == (
            "medium",
            "2 active access keys have not been used in the last 90 days. Deactivate unused keys, and "
            "delete them once you are sure nothing needs them.",
            (f"frank ({stale.access_key_id})", f"erin ({forgotten.access_key_id})"),  # oldest first
        )
        assert (too_old.severity, too_old.text, too_old.names) == (
            "medium",
            "3 active access keys are older than 90 days. Rotate old keys: create a new key, switch "
            "applications to it, then deactivate and delete the old one.",
            (
                f"frank ({stale.access_key_id})",
                f"gina ({old.access_key_id})",
                f"erin ({forgotten.access_key_id})",
            ),
        )
        assert "access-keys-never-used" not in dict(codes(report))
        assert not any(fresh.access_key_id in name for r in report.recommendations for name in r.names)
        assert codes(report)[-2:] == [("access-keys-unused", "medium"), ("access-keys-old", "medium")]

    def test_singular_and_plural_key_texts(self, ctx):
        users.create_user(ctx, user_name="erin")
        access_keys.create_access_key(ctx, user_name="erin")
        AccessKey.objects.filter(user__user_name="erin").update(created=ctx.now - timedelta(days=91))
        report = security_recommendations(ctx)
        assert by_code(report, "access-keys-old").text.startswith(
            "1 active access key is older than 90 days."
        )
        assert by_code(report, "access-keys-unused").text.startswith(
            "1 active access key has not been used in the last 90 days."  # never used, 91 days old
        )
        access_keys.create_access_key(ctx, user_name="erin")
        AccessKey.objects.filter(user__user_name="erin").update(created=ctx.now - timedelta(days=91))
        report = security_recommendations(ctx)
        assert by_code(report, "access-keys-old").text.startswith(
            "2 active access keys are older than 90 days."
        )
        assert by_code(report, "access-keys-unused").text.startswith(
            "2 active access keys have not been used in the last 90 days."
        )

    def test_an_iam_user_needs_get_account_summary(self, ctx, acct):
        caller = f.context_for(iam_user_with(ctx, "carol"))
        with pytest.raises(AccessDeniedError) as raised:
            security_recommendations(caller)
        assert raised.value.message == f.denial(acct, "carol", "iam:GetAccountSummary", "*")

    def test_checks_the_caller_may_not_run_are_reported_not_passed(self, ctx):
        console_user(ctx, "bob")
        caller = f.context_for(iam_user_with(ctx, "carol", f.allow("iam:GetAccountSummary")))
        report = security_recommendations(caller)
        assert codes(report) == [("root-mfa", "critical")]
        assert [(u.check, u.action) for u in report.unchecked] == [
            ("When the root user was last used", "iam:GetCredentialReport"),
            ("The account's password policy", "iam:GetAccountPasswordPolicy"),
            ("IAM users' MFA devices and access keys", "iam:GetCredentialReport"),
        ]
        assert AuditEvent.objects.filter(outcome="denied").count() == 0  # asking is not attempting

    def test_a_password_policy_every_user_may_read_is_checked(self, ctx):
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        caller = f.context_for(iam_user_with(ctx, "carol", f.allow("iam:GetAccountSummary")))
        report = security_recommendations(caller)
        assert "The account's password policy" not in [u.check for u in report.unchecked]
        assert "password-policy" not in dict(codes(report))

    def test_a_read_only_user_sees_everything(self, ctx):
        console_user(ctx, "bob")
        reader = users.create_user(ctx, user_name="reader")
        policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
        report = security_recommendations(f.context_for(reader))
        assert report.unchecked == ()
        assert dict(codes(report)).keys() >= {
            "root-mfa",
            "root-used-recently",
            "password-policy",
            "users-without-mfa",
        }

    def test_the_dashboard_has_the_summary_and_the_alias(self, ctx):
        from accounts.services.account import create_account_alias

        create_account_alias(ctx, account_alias="acme-co")
        users.create_user(ctx, user_name="bob")
        board = dashboard(ctx)
        assert (board.account_id, board.alias) == (ctx.account.account_id, "acme-co")
        assert board.summary["Users"] == 1 and board.summary["UsersQuota"] == 5000
        assert [r.code for r in board.report.recommendations] == [
            "root-mfa",
            "root-used-recently",
            "password-policy",
        ]

    @pytest.mark.parametrize("as_root", [True, False])
    def test_constant_queries_at_10_and_1000_users(self, ctx, as_root):
        admins_group(ctx)
        reader = users.create_user(ctx, user_name="reader")
        policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
        caller = (ctx if as_root else f.context_for(reader)).caller
        dashboard(system_context(caller))  # warm the policy cache
        counts = []
        for total in (10, 1000):
            bulk_admins(ctx, total)
            report = dashboard(system_context(caller)).report
            assert by_code(report, "users-without-mfa").more == total - 10
            assert by_code(report, "access-keys-old").more == total - 10
            assert by_code(report, "access-keys-unused").more == total - 10  # never used, 200 days old
            counts.append(count_queries(dashboard, system_context(caller)))
        assert counts[0] == counts[1]
        assert counts[0] == (5 if as_root else 6)  # summary, facts, three lists of names


class ExerciseTests:
    def check(self, ctx, key: str):
        return next(e for e in exercises(ctx) if e.task.key == key)

    def test_nothing_done_in_a_new_account(self, ctx):
        assert [(e.task.key, e.done, e.status) for e in exercises(ctx)] == [
            ("new-developer", False, "No user with console access has joined Developers yet."),
            ("developer-to-security", False, "No user has moved from Developers to Security yet."),
            ("own-password-policy", False, "No customer managed policy passes the check yet."),
        ]

    def test_a_new_developer_joins(self, ctx):
        groups.create_group(ctx, group_name="Developers")
        users.create_user(ctx, user_name="dana")
        groups.add_user_to_group(ctx, group_name="Developers", user_name="dana")
        assert not self.check(ctx, "new-developer").done  # no console access yet
        passwords.create_login_profile(ctx, user_name="dana", password=PASSWORD, password_reset_required=True)
        exercise = self.check(ctx, "new-developer")
        assert (exercise.done, exercise.status) == (True, "Joined Developers with console access: dana.")

    def test_members_added_without_the_audited_service_count_too(self, ctx):
        groups.create_group(ctx, group_name="Developers")
        dana = console_user(ctx, "dana")
        GroupMembership.objects.create(group=ctx.account.groups.get(), user=dana)  # e.g. a data import
        assert self.check(ctx, "new-developer").done

    def test_console_access_outside_developers_is_not_enough(self, ctx):
        groups.create_group(ctx, group_name="Testers")
        console_user(ctx, "dana", "Testers")
        assert not self.check(ctx, "new-developer").done

    def test_a_developer_becomes_a_security_engineer(self, ctx):
        groups.create_group(ctx, group_name="Developers")
        groups.create_group(ctx, group_name="Security")
        console_user(ctx, "dana", "Developers")
        groups.add_user_to_group(ctx, group_name="Security", user_name="dana")
        assert not self.check(ctx, "developer-to-security").done  # still in Developers
        groups.remove_user_from_group(ctx, group_name="developers", user_name="DANA")  # any case
        exercise = self.check(ctx, "developer-to-security")
        assert (exercise.done, exercise.status) == (True, "Moved from Developers to Security: dana.")
        assert self.check(ctx, "new-developer").done  # moving on does not undo joining
        groups.add_user_to_group(ctx, group_name="Developers", user_name="dana")
        assert not self.check(ctx, "developer-to-security").done  # back in Developers

    def test_joining_security_directly_is_not_a_move(self, ctx):
        groups.create_group(ctx, group_name="Developers")
        groups.create_group(ctx, group_name="Security")
        console_user(ctx, "sam", "Security")
        with pytest.raises(NoSuchEntityError):  # not a member: the failed removal is audited, not counted
            groups.remove_user_from_group(ctx, group_name="Developers", user_name="sam")
        assert f.events("iam:RemoveUserFromGroup") == [("failed", "NoSuchEntity")]
        assert not self.check(ctx, "developer-to-security").done

    def own_password(self, resource: str) -> str:
        return f.document(f.allow("iam:ChangePassword", resource))

    def test_a_policy_that_lets_users_change_only_their_own_password(self, ctx, acct):
        policy_services.create_policy(
            ctx,
            policy_name="ChangeOwnPassword",
            policy_document=self.own_password(f"arn:aws:iam::{acct}:user/${{aws:username}}"),
        )
        exercise = self.check(ctx, "own-password-policy")
        assert (exercise.done, exercise.status, exercise.notes) == (
            True,
            "Passes the check: ChangeOwnPassword.",
            (),
        )

    def test_policies_that_fail_are_explained(self, ctx, acct):
        for name, resource in (
            ("AnyUser", f"arn:aws:iam::{acct}:user/*"),
            ("OnlyAlice", f"arn:aws:iam::{acct}:user/alice"),
            ("OtherAccount", "arn:aws:iam::111122223333:user/${aws:username}"),
        ):
            policy_services.create_policy(ctx, policy_name=name, policy_document=self.own_password(resource))
        policy_services.create_policy(ctx, policy_name="Everything", policy_document=f.document(f.allow()))
        exercise = self.check(ctx, "own-password-policy")
        assert not exercise.done
        assert exercise.notes == (
            "AnyUser: alice may change bob's password.",
            "OnlyAlice: bob may not change his own password.",
            "OtherAccount: alice may not change her own password.",
        )

    def test_an_explicit_deny_for_others_makes_a_broad_policy_pass(self, ctx, acct):
        document = f.document(
            f.allow("iam:ChangePassword", f"arn:aws:iam::{acct}:user/*"),
            {
                "Effect": "Deny",
                "Action": "iam:ChangePassword",
                "NotResource": f"arn:aws:iam::{acct}:user/${{aws:username}}",
            },
        )
        policy_services.create_policy(ctx, policy_name="AllowThenDeny", policy_document=document)
        assert self.check(ctx, "own-password-policy").status == "Passes the check: AllowThenDeny."

    def test_aws_managed_policies_do_not_count(self, ctx):
        users.create_user(ctx, user_name="dana")
        policy_attachments.attach_user_policy(
            ctx, user_name="dana", policy_arn="arn:aws:iam::aws:policy/IAMUserChangePassword"
        )
        assert not self.check(ctx, "own-password-policy").done

    def test_policy_names_only_for_a_caller_who_may_list_policies(self, ctx, acct):
        policy_services.create_policy(
            ctx, policy_name="AnyUser", policy_document=self.own_password(f"arn:aws:iam::{acct}:user/*")
        )
        policy_services.create_policy(
            ctx,
            policy_name="Mine",
            policy_document=self.own_password(f"arn:aws:iam::{acct}:user/${{aws:username}}"),
        )
        caller = f.context_for(iam_user_with(ctx, "carol", f.allow("iam:GetAccountSummary")))
        exercise = self.check(caller, "own-password-policy")
        assert (exercise.status, exercise.notes) == ("Passes the check: a customer managed policy.", ())

    def test_an_iam_user_needs_get_account_summary(self, ctx, acct):
        caller = f.context_for(iam_user_with(ctx, "carol"))
        with pytest.raises(AccessDeniedError) as raised:
            exercises(caller)
        assert raised.value.message == f.denial(acct, "carol", "iam:GetAccountSummary", "*")

    def test_constant_queries_at_10_and_1000_users(self, ctx):
        groups.create_group(ctx, group_name="Developers")
        groups.create_group(ctx, group_name="Security")
        admins_group(ctx)
        counts = []
        for total in (10, 1000):
            bulk_admins(ctx, total)
            counts.append(count_queries(exercises, system_context(ctx.caller)))
        assert counts[0] == counts[1] == 3
