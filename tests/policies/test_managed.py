"""AWS managed policies as data: the JSON files of policies/managed/ and the migration that loads them."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps

from accounts import lookups
from accounts.authz import is_allowed
from accounts.models import Account, Group, GroupMembership
from accounts.services import users
from iam_portal import validation
from policies import managed
from policies import selectors as policy_reads
from policies.engine import parse_policy
from policies.models import ManagedPolicy, PolicyVersion
from policies.selectors import POLICY_PATH
from tests import factories as f

pytestmark = pytest.mark.django_db

EXPECTED = {
    "AdministratorAccess",
    "AmazonS3ReadOnlyAccess",
    "IAMAccessAdvisorReadOnly",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "IAMSelfManageServiceSpecificCredentials",
    "IAMUserChangePassword",
    "IAMUserSSHKeys",
    "PowerUserAccess",
}
DEFINITIONS = managed.definitions()


def aws_policies() -> dict[str, ManagedPolicy]:
    return {p.policy_name: p for p in ManagedPolicy.objects.filter(account__isnull=True)}


def generations() -> list[int]:
    return list(Account.objects.order_by("pk").values_list("authz_generation", flat=True))


class DefinitionsTests:
    def test_the_folder_holds_the_policies_newcomers_need(self):
        assert {d["PolicyName"] for d in DEFINITIONS} == EXPECTED

    @pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d["PolicyName"])
    def test_each_file_is_named_after_its_policy_and_has_the_four_members(self, definition):
        path = managed.DIRECTORY / f"{definition['PolicyName']}.json"
        assert json.loads(path.read_text()) == definition
        assert list(definition) == ["PolicyName", "Path", "Description", "Document"]
        assert validation.name(definition["PolicyName"], "policyName", 128)
        assert POLICY_PATH.fullmatch(definition["Path"])
        assert 0 < len(definition["Description"]) <= 1000

    @pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d["PolicyName"])
    def test_each_document_is_a_valid_identity_policy_for_the_engine(self, definition):
        text = managed.document_text(definition["Document"])
        policy = parse_policy(text, kind="identity", name=definition["PolicyName"])
        assert policy.statements
        assert list(definition["Document"]) == ["Version", "Statement"]  # AWS's order
        assert definition["Document"]["Version"] == "2012-10-17"


class MigrationTests:
    def test_the_migration_runs_sync_and_leaves_the_policies_when_reversed(self):
        migration = importlib.import_module("policies.migrations.0002_aws_managed_policies").Migration
        (operation,) = migration.operations
        assert operation.code is managed.sync
        assert ("policies", "0001_initial") in migration.dependencies

    def test_every_policy_is_loaded_without_an_account_and_with_an_aws_arn(self):
        loaded = aws_policies()
        assert set(loaded) >= EXPECTED
        for definition in DEFINITIONS:
            policy = loaded[definition["PolicyName"]]
            assert policy.account_id is None
            assert policy.arn == f"arn:aws:iam::aws:policy{definition['Path']}{definition['PolicyName']}"
            assert (policy.path, policy.description) == (definition["Path"], definition["Description"])
            assert policy.policy_id.startswith("ANPA") and len(policy.policy_id) == 21
            (version,) = PolicyVersion.objects.filter(policy=policy)
            assert (version.version_id, version.is_default) == ("v1", True)
            assert version.document == managed.document_text(definition["Document"])
            assert json.loads(version.document) == definition["Document"]

    def test_the_documents_are_aws_s_own(self):
        def document(name: str) -> dict:
            return json.loads(
                PolicyVersion.objects.get(policy__arn=f"arn:aws:iam::aws:policy/{name}").document
            )

        assert document("AdministratorAccess")["Statement"] == [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}
        ]
        assert document("IAMUserChangePassword")["Statement"] == [
            {
                "Effect": "Allow",
                "Action": ["iam:ChangePassword"],
                "Resource": ["arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/*/${aws:username}"],
            },
            {"Effect": "Allow", "Action": ["iam:GetAccountPasswordPolicy"], "Resource": "*"},
        ]
        assert document("PowerUserAccess")["Statement"][0] == {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        }

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_each_is_attachable_through_the_lookups_of_every_account(self, name):
        arn = f"arn:aws:iam::aws:policy/{name}"
        for account in (f.root_user().account, f.root_user().account):
            assert lookups.managed_policy_by_arn(account, arn).policy_name == name
            assert lookups.boundary_by_arn(account, arn).policy_name == name

    def test_every_account_sees_them_with_get_policy_and_list_policies(self):
        for ctx in (f.root_context(), f.root_context()):
            listed = policy_reads.list_policies(ctx, scope="AWS", max_items=1000).items
            assert {p.policy_name for p in listed} >= EXPECTED
            got = policy_reads.get_policy(ctx, policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
            assert (got.default_version_id, got.attachment_count, got.is_attachable) == ("v1", 0, True)


class SyncTests:
    def test_running_it_again_changes_nothing(self):
        f.root_user()
        before = {p.arn: (p.pk, p.policy_id, p.updated) for p in aws_policies().values()}
        versions_before = list(PolicyVersion.objects.order_by("pk").values_list("pk", "document"))
        generations_before = generations()
        managed.sync(apps)
        assert {p.arn: (p.pk, p.policy_id, p.updated) for p in aws_policies().values()} == before
        assert list(PolicyVersion.objects.order_by("pk").values_list("pk", "document")) == versions_before
        assert generations() == generations_before

    def test_a_missing_policy_is_created_again(self):
        aws_policies()["IAMUserSSHKeys"].delete()
        managed.sync(apps)
        assert "IAMUserSSHKeys" in aws_policies()

    def test_a_changed_document_becomes_a_new_default_version_and_stales_every_account(self, monkeypatch):
        f.root_user(), f.root_user()
        admin = aws_policies()["AdministratorAccess"]
        old_text = PolicyVersion.objects.get(policy=admin).document
        generations_before = generations()
        changed = json.loads(json.dumps(DEFINITIONS))
        by_name = {d["PolicyName"]: d for d in changed}
        by_name["AdministratorAccess"]["Document"]["Statement"][0]["Action"] = ["*"]
        monkeypatch.setattr(managed, "definitions", lambda: changed)

        managed.sync(apps)
        rows = list(
            PolicyVersion.objects.filter(policy=admin)
            .order_by("pk")
            .values_list("version_id", "is_default", "document")
        )
        assert rows == [
            ("v1", False, old_text),  # a stored document never changes
            ("v2", True, managed.document_text(by_name["AdministratorAccess"]["Document"])),
        ]
        assert generations() == [g + 1 for g in generations_before]
        managed.sync(apps)  # and once more: nothing new
        assert PolicyVersion.objects.filter(policy=admin).count() == 2

    def test_a_changed_description_alone_makes_no_version(self, monkeypatch):
        changed = json.loads(json.dumps(DEFINITIONS))
        changed[0]["Description"] = "Something else."
        monkeypatch.setattr(managed, "definitions", lambda: changed)
        managed.sync(apps)
        policy = aws_policies()[changed[0]["PolicyName"]]
        assert policy.description == "Something else."
        assert PolicyVersion.objects.filter(policy=policy).count() == 1

    def test_at_most_five_versions_are_kept(self, monkeypatch):
        changed = json.loads(json.dumps(DEFINITIONS))
        monkeypatch.setattr(managed, "definitions", lambda: changed)
        for i in range(7):
            changed[0]["Document"]["Statement"][0]["Sid"] = f"Update{i}"
            managed.sync(apps)
        policy = aws_policies()[changed[0]["PolicyName"]]
        rows = list(
            PolicyVersion.objects.filter(policy=policy).order_by("pk").values_list("version_id", "is_default")
        )
        assert rows == [("v4", False), ("v5", False), ("v6", False), ("v7", False), ("v8", True)]


class NewcomerUseTests:
    """Attached AWS managed policies grant what AWS's documents say."""

    def test_iam_user_change_password_lets_a_user_change_only_their_own_password(self):
        ctx = f.root_context()
        alice = users.create_user(ctx, user_name="alice", path="/staff/")
        bob = users.create_user(ctx, user_name="bob")
        everyone = Group.objects.create(
            account=ctx.account, group_name="everyone", group_id="AGPAEVERYONE000001"
        )
        GroupMembership.objects.create(group=everyone, user=alice)
        f.attach_to_group(everyone, aws_policies()["IAMUserChangePassword"])
        as_alice = f.context_for(alice)
        assert is_allowed(
            as_alice, "iam:ChangePassword", alice.arn
        )  # with a path, through user/*/${aws:username}
        assert not is_allowed(as_alice, "iam:ChangePassword", bob.arn)
        assert is_allowed(as_alice, "iam:GetAccountPasswordPolicy", "*")

    def test_iam_read_only_access_reads_but_does_not_write(self):
        ctx = f.root_context()
        alice = users.create_user(ctx, user_name="alice")
        readers = Group.objects.create(
            account=ctx.account, group_name="readers", group_id="AGPAREADERS0000001"
        )
        GroupMembership.objects.create(group=readers, user=alice)
        f.attach_to_group(readers, aws_policies()["IAMReadOnlyAccess"])
        as_alice = f.context_for(alice)
        users_arn = f"arn:aws:iam::{ctx.account.account_id}:user/"
        assert is_allowed(as_alice, "iam:ListUsers", users_arn)
        assert not is_allowed(as_alice, "iam:CreateUser", f"{users_arn}mallory")
