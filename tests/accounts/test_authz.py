"""The kernel: authorize() over every policy source, request context keys, caching, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from accounts import audit
from accounts.authz import authorize, is_allowed, request_context
from accounts.models import Account, AuditEvent, Group, GroupMembership, unique_id
from accounts.services import policy_attachments, users
from iam_portal.errors import AccessDeniedError
from policies.models import GroupPolicy, UserPolicyAttachment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    return f.root_context()


@pytest.fixture
def alice(ctx):
    return users.create_user(ctx, user_name="alice", tags=[{"Key": "team", "Value": "blue"}])


def group(ctx, name: str, *members) -> Group:
    g = Group.objects.create(account=ctx.account, group_name=name, group_id=unique_id("AGPA"))
    for m in members:
        GroupMembership.objects.create(group=g, user=m)
    return g


def denied_events() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(outcome="denied").values_list("action", "target_arn"))


class RootUserTests:
    def test_root_may_do_anything_in_its_own_account(self, ctx):
        for arn in ("*", f"arn:aws:iam::{ctx.account.account_id}:user/anyone", "arn:aws:s3:::bucket"):
            authorize(ctx, "iam:DeleteUser", arn)
        assert denied_events() == []

    def test_root_may_do_nothing_in_another_account(self, ctx):
        other = f.root_context().account.account_id
        arn = f"arn:aws:iam::{other}:user/bob"
        with pytest.raises(AccessDeniedError) as caught:
            authorize(ctx, "iam:DeleteUser", arn)
        assert caught.value.message == (
            f"User: arn:aws:iam::{ctx.account.account_id}:root is not authorized to perform: iam:DeleteUser on "
            f"resource: {arn} because no resource-based policy allows the iam:DeleteUser action"
        )
        assert denied_events() == [("iam:DeleteUser", arn)]


class PolicySourceTests:
    """An IAM user is evaluated against every policy that applies to it, and nothing else."""

    def user_arn(self, ctx, name="anyone") -> str:
        return f"arn:aws:iam::{ctx.account.account_id}:user/{name}"

    def assert_allowed_only_via(self, ctx, alice, grant) -> None:
        with pytest.raises(AccessDeniedError):
            authorize(f.context_for(alice), "iam:GetUser", self.user_arn(ctx))
        grant()
        authorize(f.context_for(alice), "iam:GetUser", self.user_arn(ctx))

    def test_inline_user_policy(self, ctx, alice):
        self.assert_allowed_only_via(
            ctx, alice, lambda: f.put_user_policy(alice, "p", f.allow("iam:GetUser"))
        )

    def test_attached_managed_policy(self, ctx, alice):
        policy = f.managed_policy(ctx.account, "Read", f.allow("iam:Get*"))

        def attach():
            UserPolicyAttachment.objects.create(user=alice, policy=policy)
            f._bump(ctx.account)

        self.assert_allowed_only_via(ctx, alice, attach)

    def test_aws_managed_policy(self, ctx, alice):
        policy = f.managed_policy(None, "IAMReadOnlyAccess", f.allow(["iam:Get*", "iam:List*"]))

        def attach():
            UserPolicyAttachment.objects.create(user=alice, policy=policy)
            f._bump(ctx.account)

        self.assert_allowed_only_via(ctx, alice, attach)

    def test_group_inline_policy(self, ctx, alice):
        devs = group(ctx, "devs", alice)
        self.assert_allowed_only_via(
            ctx, alice, lambda: f.put_group_policy(devs, "p", f.allow("iam:GetUser"))
        )

    def test_group_attached_policy(self, ctx, alice):
        devs = group(ctx, "devs", alice)
        policy = f.managed_policy(ctx.account, "Read", f.allow("iam:GetUser"))
        self.assert_allowed_only_via(ctx, alice, lambda: f.attach_to_group(devs, policy))

    def test_other_groups_and_users_policies_do_not_apply(self, ctx, alice):
        bob = users.create_user(ctx, user_name="bob")
        f.put_group_policy(group(ctx, "admins", bob), "all", f.allow())
        f.put_user_policy(bob, "all", f.allow())
        assert not is_allowed(f.context_for(alice), "iam:GetUser", self.user_arn(ctx))
        assert is_allowed(f.context_for(bob), "iam:GetUser", self.user_arn(ctx))

    def test_permissions_boundary_limits(self, ctx):
        boundary = f.managed_policy(ctx.account, "ReadOnly", f.allow(["iam:Get*", "iam:List*"]))
        carol = users.create_user(ctx, user_name="carol", permissions_boundary=boundary.arn)
        f.put_user_policy(carol, "admin", f.allow())
        assert is_allowed(f.context_for(carol), "iam:GetUser", self.user_arn(ctx))
        with pytest.raises(
            AccessDeniedError, match="because no permissions boundary allows the iam:DeleteUser action$"
        ):
            authorize(f.context_for(carol), "iam:DeleteUser", self.user_arn(ctx))

    def test_explicit_deny_wins_with_aws_wording(self, ctx, alice):
        f.put_user_policy(alice, "all", f.allow())
        f.put_group_policy(group(ctx, "guard", alice), "noDelete", f.deny("iam:Delete*"))
        with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
            authorize(f.context_for(alice), "iam:DeleteUser", self.user_arn(ctx))

    def test_users_of_another_account_are_not_reachable_by_policy(self, ctx, alice):
        f.put_user_policy(alice, "all", f.allow())
        other = f.root_context().account.account_id
        with pytest.raises(AccessDeniedError):
            authorize(f.context_for(alice), "iam:GetUser", f"arn:aws:iam::{other}:user/bob")


class RequestContextTests:
    def test_keys_for_an_iam_user(self, ctx, alice):
        request = f.context_for(alice, source_ip="203.0.113.9", user_agent="aws-cli/2")
        keys = request_context(request, {"iam:PolicyARN": "arn:x"})
        account = ctx.account.account_id
        assert keys["aws:username"] == "alice" and keys["aws:userid"] == alice.user_id
        assert keys["aws:PrincipalArn"] == f"arn:aws:iam::{account}:user/alice"
        assert (keys["aws:PrincipalAccount"], keys["aws:PrincipalType"]) == (account, "User")
        assert keys["aws:PrincipalTag/team"] == "blue"
        assert (keys["aws:SourceIp"], keys["aws:UserAgent"], keys["aws:SecureTransport"]) == (
            "203.0.113.9",
            "aws-cli/2",
            "true",
        )
        assert keys["aws:MultiFactorAuthPresent"] == "false" and "aws:MultiFactorAuthAge" not in keys
        assert keys["aws:CurrentTime"].endswith("Z") and keys["aws:EpochTime"].isdigit()
        assert keys["iam:PolicyARN"] == "arn:x"

    def test_mfa_keys(self, alice):
        request = f.context_for(alice)
        request = f.context_for(
            alice, mfa_authenticated_at=request.now - timedelta(seconds=90), now=request.now
        )
        keys = request_context(request)
        assert (keys["aws:MultiFactorAuthPresent"], keys["aws:MultiFactorAuthAge"]) == ("true", "90")

    def test_long_term_access_keys_send_no_mfa_key(self, alice):
        keys = request_context(f.context_for(alice, access_key_id="AKIAEXAMPLE"))
        assert "aws:MultiFactorAuthPresent" not in keys

    def test_root_keys(self, ctx):
        keys = request_context(ctx)
        assert (keys["aws:PrincipalType"], keys["aws:userid"]) == ("Account", ctx.account.account_id)
        assert "aws:username" not in keys

    def test_policies_see_the_keys(self, ctx, alice):
        f.put_user_policy(
            alice,
            "mfa",
            f.allow(
                "iam:*",
                Condition={
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                },
            ),
        )
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        now = f.context_for(alice).now
        good = f.context_for(alice, source_ip="203.0.113.9", mfa_authenticated_at=now, now=now)
        assert is_allowed(good, "iam:GetUser", arn)
        assert not is_allowed(f.context_for(alice, source_ip="203.0.113.9"), "iam:GetUser", arn)
        assert not is_allowed(
            f.context_for(alice, source_ip="198.51.100.1", mfa_authenticated_at=now, now=now),
            "iam:GetUser",
            arn,
        )


class CachingTests:
    def test_a_warm_authorize_costs_one_primary_key_read(self, ctx, alice, django_assert_num_queries):
        f.put_user_policy(alice, "p", f.allow("iam:GetUser"))
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        authorize(f.context_for(alice), "iam:GetUser", arn)
        request = f.context_for(alice)
        with django_assert_num_queries(1):
            authorize(request, "iam:GetUser", arn)
            authorize(request, "iam:GetUser", arn)  # the generation is read once per request

    def test_a_write_elsewhere_is_obeyed_at_once(self, ctx, alice):
        """Another process removes alice from the group: the next request is denied, with no cache flush."""
        devs = group(ctx, "devs", alice)
        f.put_group_policy(devs, "p", f.allow("iam:GetUser"))
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        authorize(f.context_for(alice), "iam:GetUser", arn)  # cached in this process
        with connection.cursor() as cursor:  # what another process's RemoveUserFromGroup writes
            cursor.execute("DELETE FROM accounts_groupmembership WHERE user_id = %s", [alice.pk])
            cursor.execute(
                "UPDATE accounts_account SET authz_generation = authz_generation + 1 WHERE id = %s",
                [ctx.account.pk],
            )
        with pytest.raises(AccessDeniedError):
            authorize(f.context_for(alice), "iam:GetUser", arn)

    def test_a_users_own_generation_is_obeyed_at_once(self, ctx, alice):
        """What another process's RemoveUserFromGroup writes now: the membership, and her generation."""
        devs = group(ctx, "devs", alice)
        f.put_group_policy(devs, "p", f.allow("iam:GetUser"))
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        authorize(f.context_for(alice), "iam:GetUser", arn)  # cached in this process
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_groupmembership WHERE user_id = %s", [alice.pk])
            cursor.execute(
                "UPDATE accounts_user SET authz_generation = authz_generation + 1 WHERE id = %s", [alice.pk]
            )
        with pytest.raises(AccessDeniedError):
            authorize(f.context_for(alice), "iam:GetUser", arn)

    def test_a_write_about_another_user_leaves_the_callers_cached_policies_alone(
        self, ctx, alice, django_assert_num_queries
    ):
        f.put_user_policy(alice, "p", f.allow("iam:GetUser"))
        users.create_user(ctx, user_name="bob")
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        authorize(f.context_for(alice), "iam:GetUser", arn)
        policy_attachments.put_user_policy(
            ctx, user_name="bob", policy_name="q", policy_document=f.document(f.allow("s3:*"))
        )
        request = f.context_for(alice)
        with django_assert_num_queries(1):  # the generations only: alice's policies are not read again
            authorize(request, "iam:GetUser", arn)

    def test_a_change_of_a_groups_policies_marks_each_member_and_no_one_else_stale(
        self, ctx, alice, django_assert_num_queries
    ):
        carol, bob = users.create_user(ctx, user_name="carol"), users.create_user(ctx, user_name="bob")
        devs = group(ctx, "devs", alice, carol)
        f.put_group_policy(devs, "p", f.allow("iam:GetUser"))
        f.put_user_policy(bob, "own", f.allow("iam:GetUser"))
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        for member in (alice, carol, bob):
            authorize(f.context_for(member), "iam:GetUser", arn)  # all three cached
        policy_attachments.delete_group_policy(ctx, group_name="devs", policy_name="p")
        for member in (alice, carol):
            with pytest.raises(AccessDeniedError):
                authorize(f.context_for(member), "iam:GetUser", arn)
        request = f.context_for(bob)
        with django_assert_num_queries(1):  # bob is no member: his cached policies still hold
            authorize(request, "iam:GetUser", arn)

    def test_changing_a_policy_without_bumping_would_be_a_bug_the_generation_catches(self, ctx, alice):
        f.put_user_policy(alice, "p", f.allow("iam:GetUser"))
        arn = f"arn:aws:iam::{ctx.account.account_id}:user/x"
        assert is_allowed(f.context_for(alice), "iam:GetUser", arn)
        GroupPolicy.objects.all().delete()
        alice.inline_policies.all().delete()
        assert is_allowed(f.context_for(alice), "iam:GetUser", arn)  # stale: nothing bumped
        Account.objects.filter(pk=ctx.account.pk).update(authz_generation=ctx.account.authz_generation + 99)
        assert not is_allowed(f.context_for(alice), "iam:GetUser", arn)


class AuditTests:
    def test_events_are_append_only(self, ctx):
        event = audit.record(ctx, "iam:GetUser", target="x")
        with pytest.raises(TypeError, match="append-only"):
            event.save()
        with pytest.raises(TypeError, match="append-only"):
            event.delete()
        with pytest.raises(TypeError, match="append-only"):
            AuditEvent.objects.filter(pk=event.pk).update(outcome="denied")
        with pytest.raises(TypeError, match="append-only"):
            AuditEvent.objects.all().delete()

    def test_secrets_never_reach_the_audit_trail(self, ctx):
        event = audit.record(
            ctx,
            "iam:CreateLoginProfile",
            target="x",
            user_name="a",
            password="hunter2!",
            secret_access_key="abc",
            new_password="n",
        )
        assert event.parameters == {"user_name": "a"}

    def test_a_denial_is_recorded_with_who_where_and_how(self, ctx, alice):
        request = f.context_for(alice, source_ip="198.51.100.7", channel="query", access_key_id="AKIAEXAMPLE")
        with pytest.raises(AccessDeniedError):
            authorize(request, "iam:ListUsers", f"arn:aws:iam::{ctx.account.account_id}:user/")
        event = AuditEvent.objects.get(outcome="denied")
        assert (event.actor_arn, event.source_ip, event.channel, event.access_key_id, event.error_code) == (
            alice.arn,
            "198.51.100.7",
            "query",
            "AKIAEXAMPLE",
            "AccessDenied",
        )
        assert event.request_id == request.request_id and event.account == ctx.account


class ResourceTagParityTests:
    """Every action on a tagged user sees its tags (aws:ResourceTag/*), as actions on roles do."""

    def test_a_deny_on_a_users_tags_holds_for_every_user_action(self, ctx):
        from accounts.selectors import users as user_reads
        from accounts.services import access_keys, passwords

        users.create_user(ctx, user_name="vip", tags=[{"Key": "protected", "Value": "true"}])
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(
            admin,
            "AllButProtected",
            f.allow(),
            f.deny(Condition={"StringEquals": {"aws:ResourceTag/protected": "true"}}),
        )
        admin_ctx = f.context_for(admin)
        attempts = [
            lambda: users.delete_user(admin_ctx, user_name="vip"),
            lambda: users.update_user(admin_ctx, user_name="vip", new_path="/x/"),
            lambda: user_reads.get_user(admin_ctx, user_name="vip"),
            lambda: access_keys.create_access_key(admin_ctx, user_name="vip"),
            lambda: passwords.create_login_profile(admin_ctx, user_name="vip", password="First-Pass-1"),
        ]
        for attempt in attempts:
            with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
                attempt()
        assert user_reads.get_user(admin_ctx, user_name="admin") == admin  # untagged: allowed
