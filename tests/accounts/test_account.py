"""The account: sign-up, CreateAccountAlias, DeleteAccountAlias, ListAccountAliases, GetAccountSummary."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from accounts import quotas
from accounts.models import Account, AuditEvent, Group, Role, User, unique_id
from accounts.selectors import account as account_reads
from accounts.services import account
from accounts.services.users import create_user
from iam_portal.errors import (
    AccessDeniedError,
    EntityAlreadyExistsError,
    InvalidInputError,
    NoSuchEntityError,
    PasswordPolicyViolationError,
    ValidationError,
)
from policies.models import GroupPolicyAttachment, RolePolicyAttachment, UserPolicyAttachment
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

ALIAS_PATTERN = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
SUMMARY_KEYS = {
    "Users",
    "UsersQuota",
    "Groups",
    "GroupsQuota",
    "ServerCertificates",
    "ServerCertificatesQuota",
    "UserPolicySizeQuota",
    "GroupPolicySizeQuota",
    "GroupsPerUserQuota",
    "SigningCertificatesPerUserQuota",
    "AccessKeysPerUserQuota",
    "MFADevices",
    "MFADevicesInUse",
    "AccountMFAEnabled",
    "AccountAccessKeysPresent",
    "AccountPasswordPresent",
    "AccountSigningCertificatesPresent",
    "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota",
    "AttachedPoliciesPerUserQuota",
    "Policies",
    "PoliciesQuota",
    "PolicySizeQuota",
    "PolicyVersionsInUse",
    "PolicyVersionsInUseQuota",
    "VersionsPerPolicyQuota",
    "GlobalEndpointTokenVersion",
    "AssumeRolePolicySizeQuota",
    "InstanceProfiles",
    "InstanceProfilesQuota",
    "Providers",
    "RolePolicySizeQuota",
    "Roles",
    "RolesQuota",
}


def alias_of(ctx) -> str | None:
    return Account.objects.values_list("alias", flat=True).get(pk=ctx.account.pk)


def denial(ctx, action: str) -> str:
    return (
        f"User: {ctx.caller.arn} is not authorized to perform: {action} on resource: * "
        f"because no identity-based policy allows the {action} action"
    )


def iam_user_context(ctx, name: str = "alice", *statements: dict):
    user = create_user(ctx, user_name=name)
    if statements:
        f.put_user_policy(user, "Inline", *statements)
    return f.context_for(user)


def new_group(acct: Account, name: str) -> Group:
    return Group.objects.create(account=acct, group_name=name, group_id=unique_id("AGPA"))


def new_role(acct: Account, name: str) -> Role:
    return Role.objects.create(
        account=acct, role_name=name, role_id=unique_id("AROA"), assume_role_policy_document="{}"
    )


class CreateAccountTests:
    def test_creates_an_account_with_a_12_digit_id_and_its_root_user(self):
        root = account.create_account(email="Owner@Example.com", password=f.PASSWORD)
        assert root.is_root and root.email == "owner@example.com"
        assert len(root.account.account_id) == 12 and root.account.account_id.isdigit()
        assert root.check_password(f.PASSWORD)
        assert root.arn == f"arn:aws:iam::{root.account.account_id}:root"
        event = AuditEvent.objects.get(action="portal:CreateAccount")
        assert (event.outcome, event.target_arn, event.parameters) == (
            "success",
            root.arn,
            {"email": "owner@example.com"},
        )

    def test_an_email_signs_up_once(self):
        account.create_account(email="owner@example.com", password=f.PASSWORD)
        with pytest.raises(
            EntityAlreadyExistsError,
            match="^An account with the email address owner@example.com already exists.$",
        ):
            account.create_account(email="OWNER@example.com", password=f.PASSWORD)
        assert Account.objects.count() == 1

    def test_a_bad_email_is_invalid_input(self):
        with pytest.raises(InvalidInputError, match="^The email address 'nope' is not valid.$"):
            account.create_account(email="nope", password=f.PASSWORD)
        assert Account.objects.count() == 0

    def test_a_weak_password_violates_the_password_policy(self):
        with pytest.raises(
            PasswordPolicyViolationError,
            match="^This password is too short. It must contain at least 8 characters.$",
        ):
            account.create_account(email="owner@example.com", password="short")
        assert Account.objects.count() == 0


class CreateAccountAliasTests:
    def test_root_user_sets_the_alias_and_it_is_audited(self, ctx):
        assert account.create_account_alias(ctx, account_alias="example-corp") is None
        assert alias_of(ctx) == "example-corp"
        assert events("iam:CreateAccountAlias") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:CreateAccountAlias")
        assert (event.actor_arn, event.target_arn, event.parameters) == (
            ctx.caller.arn,
            ctx.account.root_arn,
            {"account_alias": "example-corp"},
        )

    def test_a_new_alias_replaces_the_old_one(self, ctx):
        account.create_account_alias(ctx, account_alias="first")
        account.create_account_alias(ctx, account_alias="second")
        assert alias_of(ctx) == "second"
        assert not Account.objects.filter(alias="first").exists()
        last = AuditEvent.objects.filter(action="iam:CreateAccountAlias").last()
        assert last.parameters == {"account_alias": "second", "previous_alias": "first"}

    def test_the_replaced_alias_is_free_for_another_account(self, ctx):
        account.create_account_alias(ctx, account_alias="first")
        account.create_account_alias(ctx, account_alias="second")
        other = f.root_context()
        account.create_account_alias(other, account_alias="first")
        assert alias_of(other) == "first"

    def test_an_alias_of_another_account_already_exists(self, ctx):
        other = f.root_context()
        account.create_account_alias(other, account_alias="taken")
        account.create_account_alias(ctx, account_alias="mine")
        with pytest.raises(EntityAlreadyExistsError, match="^The account alias taken already exists.$"):
            account.create_account_alias(ctx, account_alias="taken")
        assert (alias_of(ctx), alias_of(other)) == ("mine", "taken")
        assert events("iam:CreateAccountAlias")[-1] == ("failed", "EntityAlreadyExists")

    def test_the_alias_the_account_already_has_already_exists(self, ctx):
        account.create_account_alias(ctx, account_alias="mine")
        with pytest.raises(EntityAlreadyExistsError, match="^The account alias mine already exists.$"):
            account.create_account_alias(ctx, account_alias="mine")
        assert alias_of(ctx) == "mine"

    def test_a_racing_account_that_wins_the_alias_is_entity_already_exists(self, ctx, monkeypatch):
        account.create_account_alias(f.root_context(), account_alias="contested")
        # The other request commits between our check and our write: only the unique column sees it.
        monkeypatch.setattr(QuerySet, "exists", lambda self: False)
        with pytest.raises(EntityAlreadyExistsError, match="^The account alias contested already exists.$"):
            account.create_account_alias(ctx, account_alias="contested")
        assert alias_of(ctx) is None
        assert events("iam:CreateAccountAlias") == [("success", ""), ("failed", "EntityAlreadyExists")]

    @pytest.mark.parametrize(
        ("alias", "constraint"),
        [
            (None, "not be null"),
            ("", "have length greater than or equal to 3"),
            ("ab", "have length greater than or equal to 3"),
            ("a" * 64, "have length less than or equal to 63"),
            ("Example", f"satisfy regular expression pattern: {ALIAS_PATTERN}"),
            ("-example", f"satisfy regular expression pattern: {ALIAS_PATTERN}"),
            ("example-", f"satisfy regular expression pattern: {ALIAS_PATTERN}"),
            ("ex--ample", f"satisfy regular expression pattern: {ALIAS_PATTERN}"),
            ("ex_ample", f"satisfy regular expression pattern: {ALIAS_PATTERN}"),
            ("exämple", f"satisfy regular expression pattern: {ALIAS_PATTERN}"),
            ("123456789012", "not be a 12-digit number"),
        ],
    )
    def test_aliases_follow_the_model_constraints(self, ctx, alias, constraint):
        with pytest.raises(ValidationError) as caught:
            account.create_account_alias(ctx, account_alias=alias)
        assert caught.value.message == (
            f"1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy constraint: "
            f"Member must {constraint}"
        )
        assert caught.value.code == "ValidationError" and caught.value.http_status == 400
        assert alias_of(ctx) is None

    @pytest.mark.parametrize("alias", ["abc", "a" * 63, "a-b-c", "12345678901", "1234567890123", "0-x"])
    def test_aliases_at_the_edges_of_the_rules_are_accepted(self, ctx, alias):
        account.create_account_alias(ctx, account_alias=alias)
        assert alias_of(ctx) == alias

    def test_a_new_iam_user_may_not(self, ctx):
        alice = iam_user_context(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            account.create_account_alias(alice, account_alias="example")
        assert caught.value.message == denial(alice, "iam:CreateAccountAlias")
        assert events("iam:CreateAccountAlias") == [("denied", "AccessDenied")]
        assert AuditEvent.objects.get(action="iam:CreateAccountAlias").target_arn == "*"
        assert alias_of(ctx) is None

    def test_an_iam_user_allowed_on_star_may(self, ctx):
        admin = iam_user_context(ctx, "admin", f.allow("iam:CreateAccountAlias", "*"))
        account.create_account_alias(admin, account_alias="example")
        assert alias_of(ctx) == "example"
        assert AuditEvent.objects.get(action="iam:CreateAccountAlias").actor_arn == admin.caller.arn

    def test_an_explicit_deny_wins(self, ctx):
        user = iam_user_context(ctx, "bob", f.allow("iam:*", "*"), f.deny("iam:CreateAccountAlias", "*"))
        with pytest.raises(AccessDeniedError, match="with an explicit deny"):
            account.create_account_alias(user, account_alias="example")
        assert alias_of(ctx) is None


class DeleteAccountAliasTests:
    def test_deletes_the_alias_and_audits(self, ctx):
        account.create_account_alias(ctx, account_alias="example")
        assert account.delete_account_alias(ctx, account_alias="example") is None
        assert alias_of(ctx) is None
        assert events("iam:DeleteAccountAlias") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:DeleteAccountAlias")
        assert (event.target_arn, event.parameters) == (ctx.account.root_arn, {"account_alias": "example"})

    def test_the_deleted_alias_is_free_again(self, ctx):
        account.create_account_alias(ctx, account_alias="example")
        account.delete_account_alias(ctx, account_alias="example")
        account.create_account_alias(f.root_context(), account_alias="example")
        assert Account.objects.filter(alias="example").count() == 1

    def test_an_account_without_an_alias_has_no_such_entity(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The account alias example cannot be found.$"):
            account.delete_account_alias(ctx, account_alias="example")
        assert events("iam:DeleteAccountAlias") == [("failed", "NoSuchEntity")]

    def test_another_alias_than_the_accounts_has_no_such_entity(self, ctx):
        account.create_account_alias(ctx, account_alias="example")
        with pytest.raises(NoSuchEntityError, match="^The account alias other cannot be found.$"):
            account.delete_account_alias(ctx, account_alias="other")
        assert alias_of(ctx) == "example"

    def test_the_alias_of_another_account_cannot_be_deleted(self, ctx):
        other = f.root_context()
        account.create_account_alias(other, account_alias="theirs")
        with pytest.raises(NoSuchEntityError, match="^The account alias theirs cannot be found.$"):
            account.delete_account_alias(ctx, account_alias="theirs")
        assert alias_of(other) == "theirs"

    def test_an_invalid_alias_is_a_validation_error(self, ctx):
        with pytest.raises(ValidationError, match="at 'accountAlias' failed to satisfy constraint"):
            account.delete_account_alias(ctx, account_alias="Bad_Alias")
        assert events("iam:DeleteAccountAlias") == []

    def test_a_new_iam_user_may_not(self, ctx):
        account.create_account_alias(ctx, account_alias="example")
        alice = iam_user_context(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            account.delete_account_alias(alice, account_alias="example")
        assert caught.value.message == denial(alice, "iam:DeleteAccountAlias")
        assert events("iam:DeleteAccountAlias") == [("denied", "AccessDenied")]
        assert alias_of(ctx) == "example"

    def test_an_allowed_iam_user_may(self, ctx):
        account.create_account_alias(ctx, account_alias="example")
        admin = iam_user_context(ctx, "admin", f.allow("iam:DeleteAccountAlias"))
        account.delete_account_alias(admin, account_alias="example")
        assert alias_of(ctx) is None


class ListAccountAliasesTests:
    def test_an_account_without_an_alias_lists_none(self, ctx):
        page = account_reads.list_account_aliases(ctx)
        assert (page.items, page.is_truncated, page.marker) == ([], False, None)

    def test_lists_the_one_alias_in_one_query(self, ctx, django_assert_num_queries):
        account.create_account_alias(ctx, account_alias="example")
        account.create_account_alias(f.root_context(), account_alias="other")
        with django_assert_num_queries(1):
            page = account_reads.list_account_aliases(ctx)
        assert (page.items, page.is_truncated, page.marker) == (["example"], False, None)

    def test_reads_the_alias_as_it_is_now(self, ctx):
        account.create_account_alias(ctx, account_alias="first")
        account.create_account_alias(ctx, account_alias="second")  # ctx.account was loaded before
        assert account_reads.list_account_aliases(ctx).items == ["second"]
        account.delete_account_alias(ctx, account_alias="second")
        assert account_reads.list_account_aliases(ctx).items == []

    def test_max_items_and_marker_are_validated(self, ctx):
        assert account_reads.list_account_aliases(ctx, max_items=1).is_truncated is False
        with pytest.raises(ValidationError, match="at 'maxItems' failed to satisfy constraint"):
            account_reads.list_account_aliases(ctx, max_items=0)
        with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
            account_reads.list_account_aliases(ctx, marker="not-a-marker")

    def test_a_new_iam_user_may_not(self, ctx):
        alice = iam_user_context(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            account_reads.list_account_aliases(alice)
        assert caught.value.message == denial(alice, "iam:ListAccountAliases")
        assert events("iam:ListAccountAliases") == [("denied", "AccessDenied")]

    def test_an_allowed_iam_user_may(self, ctx):
        account.create_account_alias(ctx, account_alias="example")
        reader = iam_user_context(ctx, "reader", f.allow("iam:List*"))
        assert account_reads.list_account_aliases(reader).items == ["example"]


class GetAccountSummaryTests:
    def test_has_every_summary_map_key_with_integer_values(self, ctx):
        summary = account_reads.get_account_summary(ctx)
        assert set(summary) == SUMMARY_KEYS and len(summary) == 34
        assert all(type(value) is int for value in summary.values())

    def test_a_new_account(self, ctx):
        summary = account_reads.get_account_summary(ctx)
        assert {k: v for k, v in summary.items() if not k.endswith("Quota")} == {
            "Users": 0,
            "Groups": 0,
            "Roles": 0,
            "Policies": 0,
            "PolicyVersionsInUse": 0,
            "ServerCertificates": 0,
            "InstanceProfiles": 0,
            "Providers": 0,
            "MFADevices": 0,
            "MFADevicesInUse": 0,
            "AccountMFAEnabled": 0,
            "AccountAccessKeysPresent": 0,
            "AccountPasswordPresent": 1,
            "AccountSigningCertificatesPresent": 0,
            "GlobalEndpointTokenVersion": 1,
        }

    def test_reports_the_default_quotas(self, ctx):
        summary = account_reads.get_account_summary(ctx)
        assert {k: v for k, v in summary.items() if k.endswith("Quota")} == {
            "UsersQuota": 5000,
            "GroupsQuota": 300,
            "RolesQuota": 1000,
            "PoliciesQuota": 1500,
            "InstanceProfilesQuota": 1000,
            "ServerCertificatesQuota": 20,
            "PolicyVersionsInUseQuota": 10000,
            "GroupsPerUserQuota": 10,
            "AccessKeysPerUserQuota": 2,
            "SigningCertificatesPerUserQuota": 2,
            "AttachedPoliciesPerUserQuota": 10,
            "AttachedPoliciesPerGroupQuota": 10,
            "AttachedPoliciesPerRoleQuota": 10,
            "VersionsPerPolicyQuota": 5,
            "UserPolicySizeQuota": 2048,
            "GroupPolicySizeQuota": 5120,
            "RolePolicySizeQuota": 10240,
            "PolicySizeQuota": 6144,
            "AssumeRolePolicySizeQuota": 2048,
        }
        assert summary["UsersQuota"] == quotas.USERS_QUOTA

    def test_counts_the_accounts_entities(self, ctx):
        acct = ctx.account
        alice = create_user(ctx, user_name="alice")
        create_user(ctx, user_name="bob")
        admins, _ = new_group(acct, "admins"), new_group(acct, "devs")
        deployer = new_role(acct, "deployer")
        mine = f.managed_policy(acct, "Mine", f.allow())
        f.managed_policy(acct, "Unattached", f.allow())
        aws_managed = f.managed_policy(None, "ReadOnlyAccess", f.allow("iam:Get*"))
        UserPolicyAttachment.objects.create(user=alice, policy=mine)
        UserPolicyAttachment.objects.create(user=alice, policy=aws_managed)
        GroupPolicyAttachment.objects.create(group=admins, policy=mine)
        RolePolicyAttachment.objects.create(role=deployer, policy=aws_managed)
        summary = account_reads.get_account_summary(ctx)
        assert (summary["Users"], summary["Groups"], summary["Roles"]) == (2, 2, 1)  # root not a user
        assert summary["Policies"] == 2  # customer managed only
        assert summary["PolicyVersionsInUse"] == 4  # attachments, AWS managed ones included

    def test_other_accounts_do_not_count(self, ctx):
        other = f.root_context()
        bob = create_user(other, user_name="bob")
        group = new_group(other.account, "admins")
        new_role(other.account, "deployer")
        policy = f.managed_policy(other.account, "Theirs", f.allow())
        UserPolicyAttachment.objects.create(user=bob, policy=policy)
        GroupPolicyAttachment.objects.create(group=group, policy=policy)
        summary = account_reads.get_account_summary(ctx)
        assert [summary[k] for k in ("Users", "Groups", "Roles", "Policies", "PolicyVersionsInUse")] == [
            0
        ] * 5

    def test_account_password_present_follows_the_root_password(self, ctx, root):
        root.set_unusable_password()
        root.save(update_fields=["password"])
        assert account_reads.get_account_summary(ctx)["AccountPasswordPresent"] == 0

    @pytest.mark.parametrize("size", [10, 500])
    def test_one_query_whatever_the_number_of_entities(self, ctx, size, django_assert_num_queries):
        acct = ctx.account
        User.objects.bulk_create(
            User(account=acct, user_name=f"u{i}", user_id=unique_id("AIDA"), password="!")
            for i in range(size)
        )
        Group.objects.bulk_create(
            Group(account=acct, group_name=f"g{i}", group_id=unique_id("AGPA")) for i in range(size)
        )
        policy = f.managed_policy(acct, "P", f.allow())
        GroupPolicyAttachment.objects.bulk_create(
            GroupPolicyAttachment(group=group, policy=policy) for group in Group.objects.filter(account=acct)
        )
        with django_assert_num_queries(1):
            summary = account_reads.get_account_summary(ctx)
        assert (summary["Users"], summary["Groups"], summary["PolicyVersionsInUse"]) == (size, size, size)

    def test_a_new_iam_user_may_not(self, ctx):
        alice = iam_user_context(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            account_reads.get_account_summary(alice)
        assert caught.value.message == denial(alice, "iam:GetAccountSummary")
        assert events("iam:GetAccountSummary") == [("denied", "AccessDenied")]

    def test_an_allowed_iam_user_may(self, ctx):
        reader = iam_user_context(ctx, "reader", f.allow("iam:GetAccountSummary"))
        assert account_reads.get_account_summary(reader)["Users"] == 1


class SetRootMfaRequiredTests:
    def test_on_for_new_accounts_and_the_root_user_may_turn_it_off(self, ctx):
        from accounts.services.account import set_root_mfa_required

        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is True
        set_root_mfa_required(ctx, required=False)
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is False
        assert events("portal:SetRootMfaRequired") == [("success", "")]

    def test_an_iam_user_may_not_even_with_full_permissions(self, ctx):
        from accounts.services.account import set_root_mfa_required
        from accounts.services.users import create_user

        admin = create_user(ctx, user_name="admin")
        f.put_user_policy(admin, "all", f.allow())
        from iam_portal.errors import InvalidUserTypeError

        with pytest.raises(InvalidUserTypeError, match="Only the root user can change"):
            set_root_mfa_required(f.context_for(admin), required=False)
        assert Account.objects.get(pk=ctx.account.pk).require_root_mfa is True
        assert events("portal:SetRootMfaRequired") == [("failed", "InvalidUserType")]
