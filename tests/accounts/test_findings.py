"""Findings (accounts/selectors/findings.py) and when roles were last used (role_usage.py), from
crafted accounts: state through the services; only clocks (created, last used, event times) are set
directly, and the many-row tables of the query counts are made with bulk_create."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.oath import hotp

from accounts.models import AccessKey, AuditEvent, Group, LoginProfile, Role, User, unique_id
from accounts.selectors.findings import (
    ACCESS_KEYS_OLD,
    ACCESS_KEYS_UNUSED,
    POLICIES_ALLOW_ALL,
    ROLES_UNUSED,
    SEVERITY,
    USERS_WITH_DIRECT_POLICIES,
    USERS_WITHOUT_MFA,
    FindingItem,
    Unchecked,
    allows_all,
    list_findings,
)
from accounts.selectors.recommendations import FROM_FINDINGS, MAX_NAMES, security_recommendations
from accounts.selectors.role_usage import REGION, roles_last_used
from accounts.services import access_keys, groups, mfa, passwords, policy_attachments, roles, users
from accounts.services.sts import assume_role
from iam_portal.errors import AccessDeniedError
from policies import services as policy_services
from policies.models import ManagedPolicy, PolicyVersion, RolePolicy, UserPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db
PASSWORD = "First-Pass-1"
T = 1_800_000_000  # the MFA device's clock
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def trust_account(acct: str) -> str:
    return f.document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}
    )


def make_role(ctx, name: str, *, days_old: int = 0, path: str = "/") -> Role:
    role = roles.create_role(
        ctx, role_name=name, path=path, assume_role_policy_document=trust_account(ctx.account.account_id)
    )
    Role.objects.filter(pk=role.pk).update(created=ctx.now - timedelta(days=days_old))
    return Role.objects.get(pk=role.pk)


def event(
    ctx, actor: str, action: str, *, days_ago: float, target: str = "", outcome: str = "success"
) -> None:
    AuditEvent.objects.create(
        account=ctx.account,
        actor_arn=actor,
        channel="query",
        action=action,
        target_arn=target,
        outcome=outcome,
        time=ctx.now - timedelta(days=days_ago),
    )


def by_code(found, code: str):
    return next(x for x in found.findings if x.code == code)


def codes(found) -> list[tuple[str, str, int]]:
    return [(x.code, x.severity, x.count) for x in found.findings]


class RolesLastUsedTests:
    def test_a_role_is_used_when_assumed_and_when_its_sessions_act(self, ctx, acct):
        assumed = make_role(ctx, "Assumed", days_old=200)
        acting = make_role(ctx, "Acting", days_old=200, path="/ops/")
        idle = make_role(ctx, "Idle", days_old=200)
        event(ctx, ctx.caller_arn, "sts:AssumeRole", days_ago=5, target=assumed.arn)
        event(ctx, ctx.caller_arn, "sts:AssumeRole", days_ago=50, target=assumed.arn)
        event(ctx, ctx.caller_arn, "sts:AssumeRole", days_ago=1, target=idle.arn, outcome="denied")
        session = f"arn:aws:sts::{acct}:assumed-role/Acting/"
        event(ctx, session + "build-1", "iam:ListUsers", days_ago=30, outcome="denied")
        event(ctx, session + "build-2", "iam:CreateUser", days_ago=20)
        event(ctx, f"arn:aws:sts::{acct}:assumed-role/Acting2/x", "iam:CreateUser", days_ago=1)
        used = roles_last_used(ctx.account)
        assert used == {
            assumed.role_id: (ctx.now - timedelta(days=5), REGION),
            acting.role_id: (ctx.now - timedelta(days=20), REGION),  # any outcome: the session acted
        }
        assert idle.role_id not in used  # a denied AssumeRole is no use

    def test_a_real_assume_role_counts(self, ctx, acct):
        role = make_role(ctx, "Deploy")
        ops = users.create_user(ctx, user_name="ops")
        f.put_user_policy(ops, "Assume", f.allow("sts:AssumeRole", role.arn))
        assume_role(f.context_for(ops), role_arn=role.arn, role_session_name="s1")
        ((when, region),) = roles_last_used(ctx.account).values()
        assert region == "us-east-1" and when == AuditEvent.objects.get(action="sts:AssumeRole").time

    def test_a_role_created_again_does_not_inherit_the_old_ones_use(self, ctx):
        old = make_role(ctx, "Again")
        event(ctx, ctx.caller_arn, "sts:AssumeRole", days_ago=10, target=old.arn)
        roles.delete_role(ctx, role_name="Again")
        new = make_role(ctx, "Again", days_old=0)
        assert roles_last_used(ctx.account) == {}
        assert new.role_id != old.role_id

    def test_only_the_accounts_own_log_is_read(self, ctx, acct):
        role = make_role(ctx, "Shared", days_old=30)
        other = f.root_context(f.root_user())
        # Another account's log: its AssumeRole of this account's role is not scanned (nor counted).
        AuditEvent.objects.create(
            account=other.account,
            actor_arn=other.caller_arn,
            channel="query",
            action="sts:AssumeRole",
            target_arn=role.arn,
            outcome="success",
            time=ctx.now - timedelta(days=1),
        )
        with CaptureQueriesContext(connection) as queries:
            assert roles_last_used(ctx.account) == {}
        assume_sql = next(q["sql"] for q in queries if "sts:AssumeRole" in q["sql"])
        assert '"account_id"' in assume_sql
        event(ctx, ctx.caller_arn, "sts:AssumeRole", days_ago=3, target=role.arn)
        assert roles_last_used(ctx.account) == {role.role_id: (ctx.now - timedelta(days=3), REGION)}

    def test_two_queries_over_the_log_whatever_its_size(self, ctx, acct):
        role = make_role(ctx, "R", days_old=300)
        counts = []
        for total in (10, 500):
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    account=ctx.account,
                    actor_arn=f"arn:aws:sts::{acct}:assumed-role/R/s{i}",
                    channel="query",
                    action="iam:GetUser",
                    outcome="success",
                    time=ctx.now - timedelta(days=i % 100),
                )
                for i in range(total)
            )
            with CaptureQueriesContext(connection) as queries:
                used = roles_last_used(ctx.account)
            counts.append(len(queries))
            assert used[role.role_id][0] == ctx.now
        assert counts == [3, 3]


class UserAndKeyFindingsTests:
    def test_console_users_without_mfa(self, ctx, acct):
        for name in ("carol", "bob"):
            users.create_user(ctx, user_name=name, path="/staff/" if name == "bob" else "/")
            passwords.create_login_profile(ctx, user_name=name, password=PASSWORD)
        users.create_user(ctx, user_name="api-only")
        finding = by_code(list_findings(ctx), USERS_WITHOUT_MFA)
        assert (finding.severity, finding.title, finding.count) == (
            "high",
            "IAM users with console access and no MFA",
            2,
        )
        assert finding.recommendation == (
            "2 IAM users have a console password and no MFA device. Assign an MFA device to each: with "
            "MFA, a stolen or guessed password alone no longer opens the console."
        )
        today = ctx.now.date().isoformat()
        assert finding.items == (
            FindingItem("user", "bob", f"arn:aws:iam::{acct}:user/staff/bob", f"Console password since {today}; no MFA device."),
            FindingItem("user", "carol", f"arn:aws:iam::{acct}:user/carol", f"Console password since {today}; no MFA device."),
        )  # fmt: skip

    def test_unused_and_old_access_keys(self, ctx, acct):
        for name in ("erin", "frank", "gina", "hal"):
            users.create_user(ctx, user_name=name)
        now = ctx.now
        fresh = access_keys.create_access_key(ctx, user_name="erin").access_key  # never used, new
        forgotten = access_keys.create_access_key(ctx, user_name="erin").access_key  # never used, old
        stale = access_keys.create_access_key(ctx, user_name="frank").access_key
        old = access_keys.create_access_key(ctx, user_name="gina").access_key
        off = access_keys.create_access_key(ctx, user_name="hal").access_key
        access_keys.update_access_key(
            ctx, user_name="hal", access_key_id=off.access_key_id, status="Inactive"
        )
        AccessKey.objects.filter(pk=forgotten.pk).update(created=now - timedelta(days=95))
        AccessKey.objects.filter(pk__in=[stale.pk, off.pk]).update(
            created=now - timedelta(days=150), last_used_date=now - timedelta(days=100)
        )
        AccessKey.objects.filter(pk=old.pk).update(created=now - timedelta(days=120), last_used_date=now)
        found = list_findings(ctx)
        unused, too_old = by_code(found, ACCESS_KEYS_UNUSED), by_code(found, ACCESS_KEYS_OLD)
        day = (now - timedelta(days=100)).date().isoformat()
        assert unused.items == (
            FindingItem("access-key", stale.access_key_id, f"arn:aws:iam::{acct}:user/frank", f"Last used 100 days ago ({day}).", owner="frank"),
            FindingItem("access-key", forgotten.access_key_id, f"arn:aws:iam::{acct}:user/erin", "Never used; created 95 days ago.", owner="erin"),
        )  # fmt: skip
        assert fresh.access_key_id not in {i.name for i in unused.items}
        assert [(i.owner, i.name) for i in too_old.items] == [
            ("frank", stale.access_key_id),  # oldest first
            ("gina", old.access_key_id),
            ("erin", forgotten.access_key_id),
        ]
        assert unused.recommendation.startswith(
            "2 active access keys have not been used in the last 90 days."
        )
        assert too_old.recommendation.startswith("3 active access keys were created 90 days ago or more.")
        assert (unused.severity, too_old.severity) == ("medium", "medium")

    def test_the_root_users_keys_are_the_dashboards_not_findings(self, ctx):
        key = access_keys.create_access_key(ctx).access_key
        AccessKey.objects.filter(pk=key.pk).update(created=ctx.now - timedelta(days=400))
        assert list_findings(ctx).findings == ()


class SharedWithTheDashboardTests:
    """Each user and key finding is defined once (findings.py): the dashboard's recommendation counts
    and names exactly ListFindings' items, with the same severity, at the same boundaries."""

    def key(self, ctx, user_name: str, *, created_days: float, used_days: float | None = None):
        key = access_keys.create_access_key(ctx, user_name=user_name).access_key
        last_used = None if used_days is None else ctx.now - timedelta(days=used_days)
        AccessKey.objects.filter(pk=key.pk).update(
            created=ctx.now - timedelta(days=created_days), last_used_date=last_used
        )
        return key.access_key_id

    def test_the_recommendations_count_and_name_list_findings_items(self, ctx, monkeypatch):
        for i in range(12):
            users.create_user(ctx, user_name=f"c{i:02d}")
            passwords.create_login_profile(ctx, user_name=f"c{i:02d}", password=PASSWORD)
        users.create_user(ctx, user_name="guarded")
        passwords.create_login_profile(ctx, user_name="guarded", password=PASSWORD)
        monkeypatch.setattr("django_otp.oath.time", lambda: T)
        device = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="guarded")
        seed = base64.b32decode(device.base32_string_seed + "=" * (-len(device.base32_string_seed) % 8))
        mfa.enable_mfa_device(
            ctx,
            user_name="guarded",
            serial_number=device.device.serial_number,
            authentication_code_1=f"{hotp(seed, T // 30, digits=6):06d}",
            authentication_code_2=f"{hotp(seed, T // 30 + 1, digits=6):06d}",
        )
        for i in range(12):
            users.create_user(ctx, user_name=f"k{i:02d}")
            self.key(ctx, f"k{i:02d}", created_days=100 + i)  # never used: unused and old
        for name in ("edge", "used", "idle"):
            users.create_user(ctx, user_name=name)
        at_90 = self.key(ctx, "edge", created_days=90)  # never used, exactly 90 days: both
        self.key(ctx, "edge", created_days=90 - 1 / 86400)  # a second younger: neither
        last_used_at_90 = self.key(ctx, "used", created_days=200, used_days=90)  # both
        used_lately = self.key(ctx, "used", created_days=95, used_days=90 - 1 / 86400)  # old only
        off = self.key(ctx, "idle", created_days=300)
        access_keys.update_access_key(ctx, user_name="idle", access_key_id=off, status="Inactive")
        root_key = access_keys.create_access_key(ctx).access_key  # the root user's: never a finding
        AccessKey.objects.filter(pk=root_key.pk).update(created=ctx.now - timedelta(days=400))

        found, report = list_findings(ctx), security_recommendations(ctx)
        assert codes(found) == [(USERS_WITHOUT_MFA, "high", 12), (ACCESS_KEYS_UNUSED, "medium", 14), (ACCESS_KEYS_OLD, "medium", 15)]  # fmt: skip
        unused = [i.name for i in by_code(found, ACCESS_KEYS_UNUSED).items]
        old = [i.name for i in by_code(found, ACCESS_KEYS_OLD).items]
        assert (unused[0], unused[-1], old[0], old[-2:]) == (last_used_at_90, at_90, last_used_at_90, [used_lately, at_90])  # fmt: skip
        recommendations = {r.code: r for r in report.recommendations}
        for code in FROM_FINDINGS:
            finding, recommendation = by_code(found, code), recommendations[code]
            labels = tuple(
                f"{item.owner} ({item.name})" if item.owner else item.name for item in finding.items
            )
            assert recommendation.names == labels[:MAX_NAMES]  # the same rows, in the same order
            assert len(recommendation.names) + recommendation.more == finding.count
            assert recommendation.severity == finding.severity == SEVERITY[code]
            assert recommendation.help_topic == finding.help_topic
        without_mfa = [item.name for item in by_code(found, USERS_WITHOUT_MFA).items]
        assert without_mfa[0] == "c00" and "guarded" not in without_mfa  # guarded has an MFA device

    def test_unchecked_alike(self, ctx):
        carol = users.create_user(ctx, user_name="carol")
        f.put_user_policy(carol, "Summary", f.allow("iam:GetAccountSummary"))
        caller = f.context_for(carol)
        credentials = Unchecked("IAM users' MFA devices and access keys", "iam:GetCredentialReport")
        assert credentials in security_recommendations(caller).unchecked
        assert list_findings(caller, codes=FROM_FINDINGS, strict=False).unchecked == (credentials,)


class RoleFindingsTests:
    def test_never_used_and_long_unused_roles(self, ctx, acct):
        make_role(ctx, "Young", days_old=10)  # too new to judge
        make_role(ctx, "Never", days_old=120, path="/svc/")
        lapsed = make_role(ctx, "Lapsed", days_old=400)
        busy = make_role(ctx, "Busy", days_old=400)
        event(ctx, ctx.caller_arn, "sts:AssumeRole", days_ago=91, target=lapsed.arn)
        event(ctx, f"arn:aws:sts::{acct}:assumed-role/Busy/s", "iam:ListUsers", days_ago=89, outcome="denied")
        finding = by_code(list_findings(ctx), ROLES_UNUSED)
        day = (ctx.now - timedelta(days=91)).date().isoformat()
        assert finding.items == (
            FindingItem("role", "Lapsed", f"arn:aws:iam::{acct}:role/Lapsed", f"Last used 91 days ago ({day})."),
            FindingItem("role", "Never", f"arn:aws:iam::{acct}:role/svc/Never", "Never used; created 120 days ago."),
        )  # fmt: skip
        assert busy.role_name not in {i.name for i in finding.items}
        assert (finding.severity, finding.title) == ("low", "Roles unused for 90 days or more")
        assert finding.recommendation == (
            "2 roles have not been used in the last 90 days. Delete roles that nobody needs: fewer "
            "identities mean fewer ways into the account."
        )


class PolicyFindingsTests:
    def test_what_counts_as_allowing_everything(self):
        def doc(*statements):
            return f.document(*statements)

        assert allows_all(doc(f.allow("*", "*"))) is True
        assert allows_all(doc(f.allow(["s3:GetObject", "*"], ["arn:aws:s3:::b", "*"]))) is True
        assert allows_all(json.dumps({"Statement": f.allow()})) is True  # one statement, not a list
        assert allows_all(doc(f.allow("*", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))) is False  # fmt: skip
        assert allows_all(doc(f.allow("iam:*", "*"))) is None  # a service's actions only
        assert allows_all(doc(f.allow("*:*", "*"))) is None  # not "*" exactly
        assert allows_all(doc(f.allow("*", "arn:aws:s3:::*"))) is None
        assert allows_all(doc(f.deny("*", "*"))) is None
        assert allows_all(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})) is None
        assert allows_all(doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"})) is None
        assert allows_all("not json") is None

    def test_managed_and_inline_policies_and_where_they_are_attached(self, ctx, acct):
        admin = policy_services.create_policy(ctx, policy_name="Admin", policy_document=f.document(f.allow()))
        policy_services.create_policy(
            ctx, policy_name="ReadOnly", policy_document=f.document(f.allow("iam:Get*"))
        )
        was_admin = policy_services.create_policy(
            ctx, policy_name="WasAdmin", policy_document=f.document(f.allow())
        )
        policy_services.create_policy_version(
            ctx, policy_arn=was_admin.arn, policy_document=f.document(f.allow("s3:*")), set_as_default=True
        )  # only the default version counts
        users.create_user(ctx, user_name="alice")
        groups.create_group(ctx, group_name="Admins", path="/ops/")
        make_role(ctx, "Deploy")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=admin.arn)
        policy_attachments.attach_group_policy(ctx, group_name="Admins", policy_arn=admin.arn)
        policy_attachments.attach_role_policy(ctx, role_name="Deploy", policy_arn=admin.arn)
        policy_attachments.attach_group_policy(
            ctx, group_name="Admins", policy_arn=ADMIN_ACCESS
        )  # AWS's: intended
        mfa_only = f.allow("*", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
        policy_attachments.put_user_policy(ctx, user_name="alice", policy_name="Everything", policy_document=f.document(mfa_only))  # fmt: skip
        policy_attachments.put_role_policy(ctx, role_name="Deploy", policy_name="All", policy_document=f.document(f.allow()))  # fmt: skip
        policy_attachments.put_role_policy(ctx, role_name="Deploy", policy_name="Some", policy_document=f.document(f.allow("s3:*", "*")))  # fmt: skip
        f.put_group_policy(Group.objects.get(group_name="Admins"), "Star", f.allow())
        finding = by_code(list_findings(ctx), POLICIES_ALLOW_ALL)
        assert finding.items == (
            FindingItem("policy", "Admin", admin.arn, 'Default version v1: Allows "*" on "*".', attached_to=("user/alice", "group/Admins", "role/Deploy")),
            FindingItem("user-policy", "Everything", f"arn:aws:iam::{acct}:user/alice", 'Inline policy of user alice: Allows "*" on "*" when a condition holds (conditional).', owner="alice", attached_to=("user/alice",)),
            FindingItem("group-policy", "Star", f"arn:aws:iam::{acct}:group/ops/Admins", 'Inline policy of group Admins: Allows "*" on "*".', owner="Admins", attached_to=("group/Admins",)),
            FindingItem("role-policy", "All", f"arn:aws:iam::{acct}:role/Deploy", 'Inline policy of role Deploy: Allows "*" on "*".', owner="Deploy", attached_to=("role/Deploy",)),
        )  # fmt: skip
        assert (finding.severity, finding.count) == ("high", 4)
        assert finding.recommendation.startswith("4 policies allow every action on every resource: full administrator access.")  # fmt: skip

    def test_users_with_policies_of_their_own(self, ctx, acct):
        for name in ("alice", "bob", "carol", "dana"):
            users.create_user(ctx, user_name=name)
        groups.create_group(ctx, group_name="Devs")
        groups.add_user_to_group(ctx, group_name="Devs", user_name="dana")
        policy_attachments.attach_group_policy(ctx, group_name="Devs", policy_arn=ADMIN_ACCESS)
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=ADMIN_ACCESS)
        policy_attachments.put_user_policy(ctx, user_name="alice", policy_name="x", policy_document=f.document(f.allow("s3:*")))  # fmt: skip
        policy_attachments.put_user_policy(ctx, user_name="carol", policy_name="x", policy_document=f.document(f.allow("s3:*")))  # fmt: skip
        finding = by_code(list_findings(ctx), USERS_WITH_DIRECT_POLICIES)
        assert finding.items == (
            FindingItem("user", "alice", f"arn:aws:iam::{acct}:user/alice", "Has managed policies attached and inline policies."),
            FindingItem("user", "carol", f"arn:aws:iam::{acct}:user/carol", "Has inline policies."),
        )  # fmt: skip
        assert (finding.severity, finding.title) == ("low", "Users with permissions granted directly")
        assert finding.recommendation == (
            "2 IAM users have policies attached directly instead of through groups. Granting permissions "
            "to each user does not scale: put users in groups organized by job function (developers, "
            "security, admins), attach the policies to the groups, and remove the users' own policies."
        )


class ListFindingsTests:
    def test_a_new_account_has_none(self, ctx):
        found = list_findings(ctx)
        assert found.findings == () and found.unchecked == ()

    def test_most_urgent_first(self, ctx):
        users.create_user(ctx, user_name="alice")
        passwords.create_login_profile(ctx, user_name="alice", password=PASSWORD)
        policy_attachments.put_user_policy(ctx, user_name="alice", policy_name="all", policy_document=f.document(f.allow()))  # fmt: skip
        make_role(ctx, "Old", days_old=100)
        key = access_keys.create_access_key(ctx, user_name="alice").access_key
        AccessKey.objects.filter(pk=key.pk).update(created=ctx.now - timedelta(days=100))
        assert codes(list_findings(ctx)) == [
            (USERS_WITHOUT_MFA, "high", 1),
            (POLICIES_ALLOW_ALL, "high", 1),
            (ACCESS_KEYS_UNUSED, "medium", 1),
            (ACCESS_KEYS_OLD, "medium", 1),
            (ROLES_UNUSED, "low", 1),
            (USERS_WITH_DIRECT_POLICIES, "low", 1),
        ]
        assert codes(list_findings(ctx, codes=[ROLES_UNUSED])) == [(ROLES_UNUSED, "low", 1)]

    def test_a_caller_allowed_neither_check_is_refused_and_audited(self, ctx, acct):
        caller = f.context_for(users.create_user(ctx, user_name="nobody"))
        with pytest.raises(AccessDeniedError) as raised:
            list_findings(caller)
        action = "iam:GetAccountAuthorizationDetails"
        assert raised.value.message == f.denial(acct, "nobody", action, "*")
        assert f.events(action) == [("denied", "AccessDenied")]

    def test_checks_the_caller_may_not_run_are_reported_not_passed(self, ctx, acct):
        users.create_user(ctx, user_name="alice")
        passwords.create_login_profile(ctx, user_name="alice", password=PASSWORD)
        make_role(ctx, "Old", days_old=100)
        reader = users.create_user(ctx, user_name="reader")
        f.put_user_policy(reader, "Report", f.allow("iam:GetCredentialReport"))
        found = list_findings(f.context_for(reader))
        assert codes(found) == [(USERS_WITHOUT_MFA, "high", 1)]  # the roles were not checked, not passed
        assert [(u.check, u.action) for u in found.unchecked] == [
            ("When roles were last used", "iam:GetAccountAuthorizationDetails"),
            ("Policies that allow everything, and users with policies of their own", "iam:GetAccountAuthorizationDetails"),
        ]  # fmt: skip
        assert AuditEvent.objects.filter(outcome="denied").count() == 0  # asking is not attempting
        assert list_findings(ctx, codes=[ROLES_UNUSED], strict=False).findings  # the root user may

    def test_not_strict_reports_everything_unchecked_without_a_denial(self, ctx):
        caller = f.context_for(users.create_user(ctx, user_name="nobody"))
        found = list_findings(caller, strict=False)
        assert found.findings == () and len(found.unchecked) == 3
        assert AuditEvent.objects.filter(outcome="denied").count() == 0

    def test_constant_queries_as_users_keys_roles_and_policies_grow(self, ctx, acct):
        counts = []
        for total in (5, 200):
            have = User.objects.filter(account=ctx.account, is_root=False).count()
            new = User.objects.bulk_create(
                User(account=ctx.account, user_name=f"u{i:04d}", user_id=unique_id("AIDA"), password="!")
                for i in range(have, total)
            )
            LoginProfile.objects.bulk_create(LoginProfile(user=u) for u in new)
            AccessKey.objects.bulk_create(
                AccessKey(user=u, access_key_id=f"AKIA{u.user_id[-16:]}", secret_ciphertext="x",
                          created=ctx.now - timedelta(days=200))
                for u in new
            )  # fmt: skip
            UserPolicy.objects.bulk_create(UserPolicy(user=u, policy_name="all", document=f.document(f.allow())) for u in new)  # fmt: skip
            new_roles = Role.objects.bulk_create(
                Role(account=ctx.account, role_name=f"r{i:04d}", role_id=unique_id("AROA"),
                     assume_role_policy_document="{}", created=ctx.now - timedelta(days=200))
                for i in range(have, total)
            )  # fmt: skip
            RolePolicy.objects.bulk_create(RolePolicy(role=r, policy_name="all", document=f.document(f.allow())) for r in new_roles)  # fmt: skip
            for i in range(have, total):
                policy = ManagedPolicy.objects.create(
                    account=ctx.account, policy_name=f"p{i:04d}", policy_id=unique_id("ANPA"),
                    arn=f"arn:aws:iam::{acct}:policy/p{i:04d}",
                )  # fmt: skip
                PolicyVersion.objects.create(policy=policy, version_id="v1", document=f.document(f.allow()), is_default=True)  # fmt: skip
            with CaptureQueriesContext(connection) as queries:
                found = list_findings(ctx)
            counts.append(len(queries))
            assert codes(found) == [
                (USERS_WITHOUT_MFA, "high", total),
                (POLICIES_ALLOW_ALL, "high", 3 * total),
                (ACCESS_KEYS_UNUSED, "medium", total),
                (ACCESS_KEYS_OLD, "medium", total),
                (ROLES_UNUSED, "low", total),
                (USERS_WITH_DIRECT_POLICIES, "low", total),
            ]
        assert counts[0] == counts[1]
