"""IAM group services and selectors: CreateGroup, UpdateGroup, DeleteGroup, AddUserToGroup,
RemoveUserFromGroup, GetGroup, ListGroups, ListGroupsForUser."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import AuditEvent, Group, GroupMembership, User
from accounts.selectors import groups as group_reads
from accounts.services import groups, users
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    EntityAlreadyExistsError,
    InvalidInputError,
    LimitExceededError,
    NoSuchEntityError,
    ValidationError,
)
from policies.models import GroupPolicy, GroupPolicyAttachment, ManagedPolicy
from tests import factories as f
from tests.factories import denial, events, generation

pytestmark = pytest.mark.django_db


def bulk_users(ctx, prefix: str, n: int) -> list[User]:
    return User.objects.bulk_create(
        User(
            account=ctx.account,
            user_name=f"{prefix}{i:04}",
            user_id=f"AIDA{prefix.upper()}{i:06}",
            password="!",
        )
        for i in range(n)
    )


def bulk_groups(ctx, prefix: str, n: int) -> list[Group]:
    return Group.objects.bulk_create(
        Group(account=ctx.account, group_name=f"{prefix}{i:04}", group_id=f"AGPA{prefix.upper()}{i:06}")
        for i in range(n)
    )


class CreateGroupTests:
    def test_creates_a_group_with_an_aws_id_and_an_arn_with_its_path(self, ctx, acct):
        group = groups.create_group(ctx, group_name="devs", path="/engineering/")
        assert group.arn == f"arn:aws:iam::{acct}:group/engineering/devs"
        assert group.group_id.startswith("AGPA") and len(group.group_id) == 21
        assert events("iam:CreateGroup") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:CreateGroup")
        assert (event.actor_arn, event.target_arn) == (ctx.caller.arn, group.arn)
        assert event.parameters == {"group_name": "devs", "path": "/engineering/"}

    def test_names_are_unique_case_insensitively(self, ctx):
        groups.create_group(ctx, group_name="devs")
        with pytest.raises(EntityAlreadyExistsError, match="^Group with name DEVS already exists.$"):
            groups.create_group(ctx, group_name="DEVS", path="/other/")
        assert events("iam:CreateGroup") == [("success", ""), ("failed", "EntityAlreadyExists")]
        assert Group.objects.count() == 1

    def test_a_racing_duplicate_caught_by_the_database_is_entity_already_exists(self, ctx, monkeypatch):
        groups.create_group(ctx, group_name="devs")
        monkeypatch.setattr(groups, "_exists", lambda *args, **kwargs: False)  # as if the rows raced
        with pytest.raises(EntityAlreadyExistsError, match="^Group with name Devs already exists.$"):
            groups.create_group(ctx, group_name="Devs")
        assert events("iam:CreateGroup") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_the_same_name_may_exist_in_another_account(self, ctx):
        groups.create_group(ctx, group_name="devs")
        other = groups.create_group(f.root_context(), group_name="devs")
        assert other.account != ctx.account

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Value '' at 'groupName' failed to satisfy constraint: Member must not be null"),
            ("a" * 129, "Member must have length less than or equal to 128"),
            ("bad name", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
            ("naïve", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
            ("a/b", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
        ],
    )
    def test_names_follow_the_model_constraints(self, ctx, name, message):
        with pytest.raises(ValidationError) as caught:
            groups.create_group(ctx, group_name=name)
        assert caught.value.code == "ValidationError"
        assert caught.value.message.startswith("1 validation error detected: ")
        assert message in caught.value.message
        assert not Group.objects.exists()

    def test_names_of_128_characters_and_all_allowed_punctuation(self, ctx):
        assert groups.create_group(ctx, group_name="a" * 128).group_name == "a" * 128
        assert groups.create_group(ctx, group_name="a_+=,.@-b").group_name == "a_+=,.@-b"

    @pytest.mark.parametrize("path", ["engineering", "/engineering", "//x", "/a b/", "/" + "a" * 512 + "/"])
    def test_paths_follow_the_model_constraints(self, ctx, path):
        with pytest.raises(ValidationError, match="at 'path' failed to satisfy constraint"):
            groups.create_group(ctx, group_name="devs", path=path)

    def test_quota_of_300_groups_per_account(self, ctx):
        bulk_groups(ctx, "g", 299)
        groups.create_group(ctx, group_name="last")
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for GroupsPerAccount: 300$"):
            groups.create_group(ctx, group_name="one-too-many")
        assert events("iam:CreateGroup") == [("success", ""), ("failed", "LimitExceeded")]
        assert Group.objects.filter(account=ctx.account).count() == 300
        groups.create_group(f.root_context(), group_name="one-too-many")  # the quota is per account

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            groups.create_group(f.context_for(alice), group_name="devs")
        assert caught.value.code == "AccessDenied"
        assert caught.value.message == denial(
            acct, "alice", "iam:CreateGroup", f"arn:aws:iam::{acct}:group/devs"
        )
        assert events("iam:CreateGroup") == [("denied", "AccessDenied")]
        assert not Group.objects.exists()

    def test_an_allowed_user_creates_groups_only_where_the_policy_says(self, ctx, acct):
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(admin, "DevGroups", f.allow("iam:CreateGroup", f"arn:aws:iam::{acct}:group/dev/*"))
        assert groups.create_group(f.context_for(admin), group_name="devs", path="/dev/").path == "/dev/"
        with pytest.raises(AccessDeniedError):
            groups.create_group(f.context_for(admin), group_name="ops", path="/ops/")


class UpdateGroupTests:
    def test_rename_and_move(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        before = generation(ctx)
        group = groups.update_group(ctx, group_name="devs", new_group_name="developers", new_path="/eng/")
        assert (group.group_name, group.path) == ("developers", "/eng/")
        assert Group.objects.get(pk=group.pk).arn == f"arn:aws:iam::{acct}:group/eng/developers"
        assert events("iam:UpdateGroup") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:UpdateGroup")
        assert event.target_arn == f"arn:aws:iam::{acct}:group/devs"
        assert event.parameters == {"group_name": "devs", "new_group_name": "developers", "new_path": "/eng/"}
        assert generation(ctx) == before + 1

    def test_move_only_keeps_the_name_and_members(self, ctx):
        devs = groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        group = groups.update_group(ctx, group_name="devs", new_path="/eng/")
        assert (group.pk, group.group_name, group.path) == (devs.pk, "devs", "/eng/")
        assert [u.user_name for u in group_reads.get_group(ctx, group_name="devs").users.items] == ["alice"]

    def test_rename_to_a_taken_name(self, ctx):
        groups.create_group(ctx, group_name="devs")
        groups.create_group(ctx, group_name="ops")
        with pytest.raises(EntityAlreadyExistsError, match="^Group with name OPS already exists.$"):
            groups.update_group(ctx, group_name="devs", new_group_name="OPS")
        assert events("iam:UpdateGroup") == [("failed", "EntityAlreadyExists")]
        assert Group.objects.filter(group_name="devs").exists()

    def test_renaming_to_another_case_of_its_own_name(self, ctx):
        groups.create_group(ctx, group_name="devs")
        assert groups.update_group(ctx, group_name="devs", new_group_name="Devs").group_name == "Devs"

    def test_new_name_and_path_follow_the_model_constraints(self, ctx):
        groups.create_group(ctx, group_name="devs")
        with pytest.raises(ValidationError, match="at 'newGroupName' failed to satisfy constraint"):
            groups.update_group(ctx, group_name="devs", new_group_name="bad name")
        with pytest.raises(ValidationError, match="at 'newPath' failed to satisfy constraint"):
            groups.update_group(ctx, group_name="devs", new_path="eng")

    def test_needs_permission_on_the_new_name_too(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(admin, "OnlyDevs", f.allow("iam:UpdateGroup", f"arn:aws:iam::{acct}:group/devs"))
        with pytest.raises(AccessDeniedError) as caught:
            groups.update_group(f.context_for(admin), group_name="devs", new_group_name="developers")
        assert caught.value.message == denial(
            acct, "admin", "iam:UpdateGroup", f"arn:aws:iam::{acct}:group/developers"
        )
        assert events("iam:UpdateGroup") == [("denied", "AccessDenied")]
        assert Group.objects.filter(group_name="devs").exists()

    def test_a_user_without_policies_is_denied_on_the_old_arn(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            groups.update_group(f.context_for(alice), group_name="devs", new_group_name="x")
        assert caught.value.message == denial(
            acct, "alice", "iam:UpdateGroup", f"arn:aws:iam::{acct}:group/devs"
        )

    def test_unknown_group(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The group with name ghost cannot be found.$"):
            groups.update_group(ctx, group_name="ghost", new_group_name="spirit")


class DeleteGroupTests:
    def test_deletes(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        groups.delete_group(ctx, group_name="DEVS")
        assert not Group.objects.exists()
        assert events("iam:DeleteGroup") == [("success", "")]
        assert (
            AuditEvent.objects.get(action="iam:DeleteGroup").target_arn == f"arn:aws:iam::{acct}:group/devs"
        )

    def test_conflicts_while_members_or_policies_hang_off_the_group(self, ctx):
        devs = groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        f.put_group_policy(devs, "inline", f.allow())
        f.attach_to_group(devs, f.managed_policy(ctx.account, "Managed", f.allow()))

        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must remove users from group first.$"
        ):
            groups.delete_group(ctx, group_name="devs")
        groups.remove_user_from_group(ctx, group_name="devs", user_name="alice")
        with pytest.raises(DeleteConflictError, match="^Cannot delete entity, must delete policies first.$"):
            groups.delete_group(ctx, group_name="devs")
        devs.inline_policies.all().delete()
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must detach all policies first.$"
        ):
            groups.delete_group(ctx, group_name="devs")
        assert Group.objects.filter(pk=devs.pk).exists()
        assert events("iam:DeleteGroup") == [("failed", "DeleteConflict")] * 3

        devs.policy_attachments.all().delete()
        groups.delete_group(ctx, group_name="devs")
        assert events("iam:DeleteGroup")[-1] == ("success", "")

    def test_unknown_group(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The group with name ghost cannot be found.$"):
            groups.delete_group(ctx, group_name="ghost")

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            groups.delete_group(f.context_for(alice), group_name="devs")
        assert caught.value.message == denial(
            acct, "alice", "iam:DeleteGroup", f"arn:aws:iam::{acct}:group/devs"
        )
        assert events("iam:DeleteGroup") == [("denied", "AccessDenied")]
        assert Group.objects.filter(group_name="devs").exists()


class AddUserToGroupTests:
    def test_adds_a_member(self, ctx, acct):
        groups.create_group(ctx, group_name="devs", path="/eng/")
        alice = users.create_user(ctx, user_name="alice")
        before = generation(ctx)
        groups.add_user_to_group(ctx, group_name="DEVS", user_name="ALICE")
        assert list(GroupMembership.objects.values_list("user", flat=True)) == [alice.pk]
        assert generation(ctx) == before + 1
        assert events("iam:AddUserToGroup") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:AddUserToGroup")
        assert event.target_arn == f"arn:aws:iam::{acct}:group/eng/devs"
        assert event.parameters == {"group_name": "DEVS", "user_name": "ALICE"}

    def test_adding_a_member_again_succeeds_and_changes_nothing(self, ctx):
        groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        before = generation(ctx)
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        assert GroupMembership.objects.count() == 1
        assert generation(ctx) == before
        assert events("iam:AddUserToGroup") == [("success", "")] * 2

    def test_a_user_can_be_in_at_most_ten_groups(self, ctx):
        users.create_user(ctx, user_name="alice")
        for i in range(11):
            groups.create_group(ctx, group_name=f"g{i:02}")
        for i in range(10):
            groups.add_user_to_group(ctx, group_name=f"g{i:02}", user_name="alice")
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for GroupsPerUser: 10$"):
            groups.add_user_to_group(ctx, group_name="g10", user_name="alice")
        assert GroupMembership.objects.filter(user__user_name="alice").count() == 10
        assert events("iam:AddUserToGroup") == [("success", "")] * 10 + [("failed", "LimitExceeded")]
        groups.add_user_to_group(ctx, group_name="g03", user_name="alice")  # already a member: still fine
        users.create_user(ctx, user_name="bob")
        groups.add_user_to_group(ctx, group_name="g10", user_name="bob")  # the quota is per user

    def test_unknown_group_or_user(self, ctx):
        groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        with pytest.raises(NoSuchEntityError, match="^The group with name ghosts cannot be found.$"):
            groups.add_user_to_group(ctx, group_name="ghosts", user_name="alice")
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            groups.add_user_to_group(ctx, group_name="devs", user_name="ghost")
        assert not GroupMembership.objects.exists()

    def test_groups_and_users_of_another_account_are_invisible(self, ctx):
        other = f.root_context()
        groups.create_group(other, group_name="theirs")
        users.create_user(ctx, user_name="alice")
        with pytest.raises(NoSuchEntityError, match="^The group with name theirs cannot be found.$"):
            groups.add_user_to_group(ctx, group_name="theirs", user_name="alice")

    def test_a_user_without_policies_is_denied_on_the_group_arn(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            groups.add_user_to_group(f.context_for(alice), group_name="devs", user_name="alice")
        assert caught.value.message == denial(
            acct, "alice", "iam:AddUserToGroup", f"arn:aws:iam::{acct}:group/devs"
        )
        assert events("iam:AddUserToGroup") == [("denied", "AccessDenied")]
        assert not GroupMembership.objects.exists()

    def test_authorized_on_the_group_not_the_user(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        groups.create_group(ctx, group_name="admins")
        users.create_user(ctx, user_name="alice")
        lead = users.create_user(ctx, user_name="lead")
        f.put_user_policy(lead, "DevsOnly", f.allow("iam:AddUserToGroup", f"arn:aws:iam::{acct}:group/devs"))
        groups.add_user_to_group(f.context_for(lead), group_name="devs", user_name="alice")
        with pytest.raises(AccessDeniedError, match=f"on resource: arn:aws:iam::{acct}:group/admins "):
            groups.add_user_to_group(f.context_for(lead), group_name="admins", user_name="alice")

    def test_membership_grants_the_groups_policies_at_once(self, ctx):
        devs = groups.create_group(ctx, group_name="devs")
        f.put_group_policy(devs, "List", f.allow("iam:ListGroups"))
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError):  # also caches alice's (empty) policy set
            group_reads.list_groups(f.context_for(alice))
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        assert [g.group_name for g in group_reads.list_groups(f.context_for(alice)).items] == ["devs"]
        groups.remove_user_from_group(ctx, group_name="devs", user_name="alice")
        with pytest.raises(AccessDeniedError):
            group_reads.list_groups(f.context_for(alice))


class RemoveUserFromGroupTests:
    def test_removes_a_member(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        before = generation(ctx)
        groups.remove_user_from_group(ctx, group_name="Devs", user_name="Alice")
        assert not GroupMembership.objects.exists()
        assert generation(ctx) == before + 1
        assert events("iam:RemoveUserFromGroup") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:RemoveUserFromGroup")
        assert event.target_arn == f"arn:aws:iam::{acct}:group/devs"
        assert event.parameters == {"group_name": "Devs", "user_name": "Alice"}

    def test_a_user_who_is_not_a_member(self, ctx):
        groups.create_group(ctx, group_name="devs")
        groups.create_group(ctx, group_name="ops")
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="ops", user_name="alice")
        before = generation(ctx)
        with pytest.raises(
            NoSuchEntityError, match="^The user alice is not a member of group devs.$"
        ) as caught:
            groups.remove_user_from_group(ctx, group_name="devs", user_name="alice")
        assert caught.value.code == "NoSuchEntity"
        assert events("iam:RemoveUserFromGroup") == [("failed", "NoSuchEntity")]
        assert generation(ctx) == before
        assert GroupMembership.objects.count() == 1  # the other membership is untouched

    def test_unknown_group_or_user(self, ctx):
        groups.create_group(ctx, group_name="devs")
        users.create_user(ctx, user_name="alice")
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            groups.remove_user_from_group(ctx, group_name="devs", user_name="ghost")
        with pytest.raises(NoSuchEntityError, match="^The group with name ghosts cannot be found.$"):
            groups.remove_user_from_group(ctx, group_name="ghosts", user_name="alice")

    def test_a_user_without_policies_is_denied_on_the_group_arn(self, ctx, acct):
        groups.create_group(ctx, group_name="devs")
        alice = users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            groups.remove_user_from_group(f.context_for(alice), group_name="devs", user_name="alice")
        assert caught.value.message == denial(
            acct, "alice", "iam:RemoveUserFromGroup", f"arn:aws:iam::{acct}:group/devs"
        )
        assert events("iam:RemoveUserFromGroup") == [("denied", "AccessDenied")]
        assert GroupMembership.objects.count() == 1

    def test_a_removed_user_can_join_another_group_at_the_quota(self, ctx):
        users.create_user(ctx, user_name="alice")
        for i in range(11):
            groups.create_group(ctx, group_name=f"g{i:02}")
        for i in range(10):
            groups.add_user_to_group(ctx, group_name=f"g{i:02}", user_name="alice")
        groups.remove_user_from_group(ctx, group_name="g00", user_name="alice")
        groups.add_user_to_group(ctx, group_name="g10", user_name="alice")
        assert GroupMembership.objects.count() == 10


class GetGroupTests:
    def test_the_group_and_its_users_by_name(self, ctx):
        devs = groups.create_group(ctx, group_name="devs")
        for name in ["carol", "alice", "bob"]:
            users.create_user(ctx, user_name=name)
        users.create_user(ctx, user_name="outsider")
        for name in ["carol", "alice", "bob"]:
            groups.add_user_to_group(ctx, group_name="devs", user_name=name)
        result = group_reads.get_group(ctx, group_name="DEVS")
        assert result.group == devs
        assert [u.user_name for u in result.users.items] == ["alice", "bob", "carol"]
        assert (result.users.is_truncated, result.users.marker) == (False, None)

    def test_an_empty_group(self, ctx):
        groups.create_group(ctx, group_name="devs")
        assert group_reads.get_group(ctx, group_name="devs").users.items == []

    def test_pages_the_users(self, ctx):
        groups.create_group(ctx, group_name="devs")
        for i in range(5):
            users.create_user(ctx, user_name=f"u{i}")
            groups.add_user_to_group(ctx, group_name="devs", user_name=f"u{i}")
        seen, marker, pages = [], None, 0
        while True:
            result = group_reads.get_group(ctx, group_name="devs", marker=marker, max_items=2)
            pages += 1
            seen += [u.user_name for u in result.users.items]
            assert result.group.group_name == "devs"
            if not result.users.is_truncated:
                assert result.users.marker is None
                break
            assert len(result.users.items) == 2 and result.users.marker
            marker = result.users.marker
        assert (seen, pages) == (["u0", "u1", "u2", "u3", "u4"], 3)

    def test_unknown_group(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The group with name ghost cannot be found.$"):
            group_reads.get_group(ctx, group_name="ghost")

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        groups.create_group(ctx, group_name="devs", path="/eng/")
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            group_reads.get_group(f.context_for(alice), group_name="devs")
        assert caught.value.message == denial(
            acct, "alice", "iam:GetGroup", f"arn:aws:iam::{acct}:group/eng/devs"
        )
        assert events("iam:GetGroup") == [("denied", "AccessDenied")]

    def test_query_count_does_not_grow_with_members(self, ctx, django_assert_num_queries):
        counts = []
        for name, n in [("small", 10), ("large", 500)]:
            group = groups.create_group(ctx, group_name=name)
            members = bulk_users(ctx, name, n)
            GroupMembership.objects.bulk_create(GroupMembership(group=group, user=u) for u in members)
            with django_assert_num_queries(2) as captured:  # the group, then the page of users
                result = group_reads.get_group(f.root_context(ctx.caller), group_name=name, max_items=1000)
                arns = [result.group.arn, *(u.arn for u in result.users.items)]
            counts.append(len(captured.captured_queries))
            assert len(arns) == n + 1
        assert counts == [2, 2]


class ListGroupsTests:
    def test_lists_by_name_and_path_prefix(self, ctx):
        for name, path in [("ops", "/ops/"), ("admins", "/dev/"), ("devs", "/dev/team/")]:
            groups.create_group(ctx, group_name=name, path=path)
        groups.create_group(f.root_context(), group_name="another-accounts")
        assert [g.group_name for g in group_reads.list_groups(ctx).items] == ["admins", "devs", "ops"]
        assert [g.group_name for g in group_reads.list_groups(ctx, path_prefix="/dev/").items] == [
            "admins",
            "devs",
        ]
        assert group_reads.list_groups(ctx, path_prefix="/none/").items == []

    def test_pages_with_marker_and_max_items(self, ctx):
        for i in range(5):
            groups.create_group(ctx, group_name=f"g{i}")
        first = group_reads.list_groups(ctx, max_items=2)
        assert [g.group_name for g in first.items] == ["g0", "g1"] and first.is_truncated and first.marker
        seen, marker = [], None
        while True:
            page = group_reads.list_groups(ctx, marker=marker, max_items=2)
            seen += [g.group_name for g in page.items]
            if not page.is_truncated:
                assert page.marker is None
                break
            marker = page.marker
        assert seen == ["g0", "g1", "g2", "g3", "g4"]

    def test_bad_path_prefix_max_items_and_marker(self, ctx):
        with pytest.raises(ValidationError, match="at 'pathPrefix' failed to satisfy constraint"):
            group_reads.list_groups(ctx, path_prefix="dev")
        with pytest.raises(ValidationError, match="at 'maxItems' failed to satisfy constraint"):
            group_reads.list_groups(ctx, max_items=0)
        with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
            group_reads.list_groups(ctx, marker="not-a-marker")

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            group_reads.list_groups(f.context_for(alice))
        assert caught.value.message == denial(acct, "alice", "iam:ListGroups", f"arn:aws:iam::{acct}:group/")
        assert events("iam:ListGroups") == [("denied", "AccessDenied")]

    def test_query_count_does_not_grow_with_groups(self, ctx, django_assert_num_queries):
        counts = []
        for prefix, n in [("a", 10), ("b", 490)]:
            bulk_groups(ctx, prefix, n)
            with django_assert_num_queries(1) as captured:
                page = group_reads.list_groups(f.root_context(ctx.caller), max_items=1000)
                [g.arn for g in page.items]
            counts.append(len(captured.captured_queries))
        assert counts == [1, 1] and len(page.items) == 500


class ListGroupsForUserTests:
    def test_the_users_groups_by_name(self, ctx):
        for name in ["ops", "admins", "devs", "unrelated"]:
            groups.create_group(ctx, group_name=name)
        users.create_user(ctx, user_name="alice")
        for name in ["ops", "admins", "devs"]:
            groups.add_user_to_group(ctx, group_name=name, user_name="alice")
        page = group_reads.list_groups_for_user(ctx, user_name="ALICE")
        assert [g.group_name for g in page.items] == ["admins", "devs", "ops"]
        assert (page.is_truncated, page.marker) == (False, None)

    def test_pages_with_marker_and_max_items(self, ctx):
        users.create_user(ctx, user_name="alice")
        for i in range(5):
            groups.create_group(ctx, group_name=f"g{i}")
            groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="alice")
        seen, marker, truncated = [], None, []
        while True:
            page = group_reads.list_groups_for_user(ctx, user_name="alice", marker=marker, max_items=2)
            seen += [g.group_name for g in page.items]
            truncated.append(page.is_truncated)
            if not page.is_truncated:
                assert page.marker is None
                break
            marker = page.marker
        assert seen == ["g0", "g1", "g2", "g3", "g4"] and truncated == [True, True, False]

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            group_reads.list_groups_for_user(ctx, user_name="ghost")

    def test_a_user_without_policies_is_denied_on_the_users_arn(self, ctx, acct):
        users.create_user(ctx, user_name="bob", path="/staff/")
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            group_reads.list_groups_for_user(f.context_for(alice), user_name="bob")
        assert caught.value.message == denial(
            acct, "alice", "iam:ListGroupsForUser", f"arn:aws:iam::{acct}:user/staff/bob"
        )
        assert events("iam:ListGroupsForUser") == [("denied", "AccessDenied")]

    def test_a_user_may_list_their_own_groups_by_policy(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        users.create_user(ctx, user_name="bob")
        f.put_user_policy(
            alice, "Own", f.allow("iam:ListGroupsForUser", f"arn:aws:iam::{acct}:user/${{aws:username}}")
        )
        assert group_reads.list_groups_for_user(f.context_for(alice), user_name="alice").items == []
        with pytest.raises(AccessDeniedError):
            group_reads.list_groups_for_user(f.context_for(alice), user_name="bob")

    def test_query_count_does_not_grow_with_groups(self, ctx, django_assert_num_queries):
        counts = []
        for name, n in [("few", 2), ("many", 10)]:
            user = users.create_user(ctx, user_name=name)
            memberships = bulk_groups(ctx, name, n)
            GroupMembership.objects.bulk_create(GroupMembership(group=g, user=user) for g in memberships)
            with django_assert_num_queries(2) as captured:  # the user, then the page of groups
                page = group_reads.list_groups_for_user(f.root_context(ctx.caller), user_name=name)
                arns = [g.arn for g in page.items]
            counts.append(len(captured.captured_queries))
            assert len(arns) == n
        assert counts == [2, 2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_user_stop_at_ten_groups():
    ctx = f.root_context()
    users.create_user(ctx, user_name="racer")
    for i in range(20):
        groups.create_group(ctx, group_name=f"g{i:02}")
    before = generation(ctx)
    results: list[str] = []
    barrier = threading.Barrier(20, timeout=30)

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            groups.add_user_to_group(f.root_context(ctx.caller), group_name=f"g{i:02}", user_name="racer")
            results.append("ok")
        except LimitExceededError as exc:
            results.append(exc.message)
        except Exception as exc:  # anything else (a deadlock, say) must show in the assertion below
            results.append(repr(exc))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Cannot exceed quota for GroupsPerUser: 10"] * 10 + ["ok"] * 10
    assert GroupMembership.objects.filter(user__user_name="racer").count() == 10
    assert sorted(events("iam:AddUserToGroup")) == [("failed", "LimitExceeded")] * 10 + [("success", "")] * 10
    assert generation(ctx) == before + 10


# What the console does in one go ------------------------------------------------------------------

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


class Trail:
    """The audit trail from a mark on: (action, outcome, error code), oldest first."""

    def __init__(self) -> None:
        self.mark()

    def mark(self) -> None:
        self.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def __call__(self) -> list[tuple[str, str, str]]:
        rows = AuditEvent.objects.filter(id__gt=self.since).order_by("id")
        return list(rows.values_list("action", "outcome", "error_code"))


@pytest.fixture
def trail() -> Trail:
    """Marked after the test's other fixtures (list it last), so their writes are not in it."""
    return Trail()


@pytest.fixture
def devs(ctx):
    """Developers: members alice and bob, AmazonS3ReadOnlyAccess attached, inline ReadLogs."""
    group = groups.create_group(ctx, group_name="Developers")
    for name in ("alice", "bob"):
        users.create_user(ctx, user_name=name)
        groups.add_user_to_group(ctx, group_name="Developers", user_name=name)
    f.attach_to_group(group, ManagedPolicy.objects.get(arn=S3_READ))
    f.put_group_policy(group, "ReadLogs", f.allow("logs:Get*"))
    return group


class CreateGroupWithMembersTests:
    def test_creates_the_group_adds_users_and_attaches_policies_audited_in_order(self, ctx, acct, trail):
        users.create_user(ctx, user_name="dana")
        users.create_user(ctx, user_name="erin")
        before = generation(ctx)
        group = groups.create_group_with_members(
            ctx,
            group_name="Admins",
            path="/ops/",
            user_names=["dana", "ERIN", "dana"],
            policy_arns=[ADMIN, ADMIN],
        )
        assert group.arn == f"arn:aws:iam::{acct}:group/ops/Admins"
        assert sorted(group.users.values_list("user_name", flat=True)) == ["dana", "erin"]
        assert list(
            GroupPolicyAttachment.objects.filter(group=group).values_list("policy__arn", flat=True)
        ) == [ADMIN]
        assert trail()[-4:] == [
            ("iam:CreateGroup", "success", ""),
            ("iam:AddUserToGroup", "success", ""),
            ("iam:AddUserToGroup", "success", ""),
            ("iam:AttachGroupPolicy", "success", ""),
        ]
        added = AuditEvent.objects.filter(action="iam:AddUserToGroup").values_list("parameters", flat=True)
        assert [p["user_name"] for p in added] == ["dana", "erin"]  # each named once, as stored
        # Each member's cached policies marked stale when it joins, and again by the attachment.
        assert generation(ctx) == before + 4

    def test_just_a_group(self, ctx):
        group = groups.create_group_with_members(ctx, group_name="Empty")
        assert (group.users.count(), GroupPolicyAttachment.objects.count()) == (0, 0)
        assert events("iam:CreateGroup") == [("success", "")]

    def test_unknown_users_and_policies_fail_before_anything_happens(self, ctx, trail):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            groups.create_group_with_members(ctx, group_name="devs", user_names=["ghost"])
        with pytest.raises(NoSuchEntityError, match="^Policy arn:aws:iam::aws:policy/Nope does not exist"):
            groups.create_group_with_members(
                ctx, group_name="devs", policy_arns=["arn:aws:iam::aws:policy/Nope"]
            )
        with pytest.raises(ValidationError, match="at 'groupName' failed"):
            groups.create_group_with_members(ctx, group_name="bad name")
        assert not Group.objects.exists() and trail() == []

    def test_each_underlying_action_is_authorized_before_anything_is_written(self, ctx, acct, trail):
        admin = users.create_user(ctx, user_name="admin")
        users.create_user(ctx, user_name="dana")
        f.put_user_policy(admin, "p", f.allow(["iam:CreateGroup", "iam:AddUserToGroup"]))
        with pytest.raises(AccessDeniedError) as caught:
            groups.create_group_with_members(
                f.context_for(admin), group_name="devs", user_names=["dana"], policy_arns=[ADMIN]
            )
        assert caught.value.message == denial(
            acct, "admin", "iam:AttachGroupPolicy", f"arn:aws:iam::{acct}:group/devs"
        )
        assert not Group.objects.exists()
        assert [a for a in trail() if a[0] != "iam:CreateUser"] == [
            ("iam:AttachGroupPolicy", "denied", "AccessDenied")
        ]

    def test_the_policy_arn_is_in_the_attach_requests_context(self, ctx, acct):
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(
            admin,
            "p",
            f.allow("iam:CreateGroup"),
            f.allow("iam:AttachGroupPolicy", Condition={"ArnEquals": {"iam:PolicyARN": S3_READ}}),
        )
        admin_ctx = f.context_for(admin)
        groups.create_group_with_members(admin_ctx, group_name="readers", policy_arns=[S3_READ])
        with pytest.raises(AccessDeniedError):
            groups.create_group_with_members(admin_ctx, group_name="admins", policy_arns=[ADMIN])
        assert list(Group.objects.values_list("group_name", flat=True)) == ["readers"]

    def test_a_failing_step_undoes_the_others_and_is_audited_after_the_rollback(self, ctx, trail):
        users.create_user(ctx, user_name="dana")
        users.create_user(ctx, user_name="busy")
        for i in range(10):
            groups.create_group(ctx, group_name=f"g{i}")
            groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="busy")
        before = generation(ctx)
        trail.mark()
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for GroupsPerUser: 10$"):
            groups.create_group_with_members(
                ctx, group_name="devs", user_names=["dana", "busy"], policy_arns=[ADMIN]
            )
        assert not Group.objects.filter(group_name="devs").exists()
        assert not GroupMembership.objects.filter(user__user_name="dana").exists()
        assert trail() == [("iam:AddUserToGroup", "failed", "LimitExceeded")]
        assert AuditEvent.objects.last().parameters == {"group_name": "devs", "user_name": "busy"}
        assert generation(ctx) == before

    def test_a_taken_name_is_audited_as_create_group(self, ctx):
        groups.create_group(ctx, group_name="devs")
        with pytest.raises(EntityAlreadyExistsError, match="^Group with name DEVS already exists.$"):
            groups.create_group_with_members(ctx, group_name="DEVS")
        assert events("iam:CreateGroup") == [("success", ""), ("failed", "EntityAlreadyExists")]


class AddAndRemoveUsersTests:
    def test_add_several_users(self, ctx, devs, trail):
        for name in ("carol", "dave"):
            users.create_user(ctx, user_name=name)
        groups.add_users_to_group(ctx, group_name="developers", user_names=["carol", "dave"])
        assert devs.users.count() == 4
        assert [a[0] for a in trail()][-2:] == ["iam:AddUserToGroup", "iam:AddUserToGroup"]

    def test_adding_is_all_or_nothing(self, ctx, devs):
        users.create_user(ctx, user_name="carol")
        users.create_user(ctx, user_name="busy")
        for i in range(10):
            groups.create_group(ctx, group_name=f"g{i}")
            groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="busy")
        with pytest.raises(LimitExceededError):
            groups.add_users_to_group(ctx, group_name="Developers", user_names=["carol", "busy"])
        assert not devs.users.filter(user_name="carol").exists()

    def test_remove_several_users(self, ctx, devs, trail):
        groups.remove_users_from_group(ctx, group_name="Developers", user_names=["alice", "bob"])
        assert devs.users.count() == 0
        assert trail() == [("iam:RemoveUserFromGroup", "success", "")] * 2

    def test_removing_a_non_member_removes_nobody(self, ctx, devs, trail):
        users.create_user(ctx, user_name="carol")
        with pytest.raises(NoSuchEntityError, match="^The user carol is not a member of group Developers.$"):
            groups.remove_users_from_group(ctx, group_name="Developers", user_names=["alice", "carol"])
        assert devs.users.count() == 2
        assert [a for a in trail() if a[0] == "iam:RemoveUserFromGroup"] == [
            ("iam:RemoveUserFromGroup", "failed", "NoSuchEntity")
        ]

    def test_a_user_without_rights_is_denied_on_the_group(self, ctx, acct, devs):
        carol = users.create_user(ctx, user_name="carol")
        with pytest.raises(AccessDeniedError) as caught:
            groups.add_users_to_group(f.context_for(carol), group_name="Developers", user_names=["carol"])
        assert caught.value.message == denial(acct, "carol", "iam:AddUserToGroup", devs.arn)
        with pytest.raises(AccessDeniedError):
            groups.remove_users_from_group(
                f.context_for(carol), group_name="Developers", user_names=["alice"]
            )
        assert devs.users.count() == 2


class AttachGroupPoliciesTests:
    def test_attaches_each_once(self, ctx, devs, trail):
        groups.attach_group_policies(ctx, group_name="Developers", policy_arns=[ADMIN, ADMIN, S3_READ])
        assert GroupPolicyAttachment.objects.filter(group=devs).count() == 2
        assert [a[0] for a in trail()] == ["iam:AttachGroupPolicy", "iam:AttachGroupPolicy"]

    def test_past_the_quota_nothing_is_attached(self, ctx, devs, trail):
        for i in range(9):
            f.attach_to_group(devs, f.managed_policy(ctx.account, f"p{i}", f.allow("s3:GetObject")))
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for PoliciesPerGroup: 10$"):
            groups.attach_group_policies(
                ctx, group_name="Developers", policy_arns=[ADMIN, "arn:aws:iam::aws:policy/IAMReadOnlyAccess"]
            )
        assert GroupPolicyAttachment.objects.filter(group=devs).count() == 10
        assert trail()[-1] == ("iam:AttachGroupPolicy", "failed", "LimitExceeded")

    def test_a_bad_arn_is_invalid_input(self, ctx, devs):
        with pytest.raises(InvalidInputError, match="^ARN not-an-arn-at-all-really is not valid.$"):
            groups.attach_group_policies(
                ctx, group_name="Developers", policy_arns=["not-an-arn-at-all-really"]
            )


class DeleteGroupAndDependentsTests:
    def test_removes_members_detaches_and_deletes_policies_then_the_group(self, ctx, devs, trail):
        before = generation(ctx)
        deleted = groups.delete_group_and_dependents(ctx, group_name="developers")
        assert deleted == groups.DeletedGroup("Developers", ["alice", "bob"], [S3_READ], ["ReadLogs"])
        assert not Group.objects.exists() and not GroupPolicy.objects.exists()
        assert not GroupPolicyAttachment.objects.exists()
        assert User.objects.filter(user_name__in=["alice", "bob"]).count() == 2
        assert ManagedPolicy.objects.filter(arn=S3_READ).exists()
        assert trail() == [
            ("iam:RemoveUserFromGroup", "success", ""),
            ("iam:RemoveUserFromGroup", "success", ""),
            ("iam:DetachGroupPolicy", "success", ""),
            ("iam:DeleteGroupPolicy", "success", ""),
            ("iam:DeleteGroup", "success", ""),
        ]
        assert generation(ctx) > before

    def test_an_empty_group_is_just_deleted(self, ctx):
        groups.create_group(ctx, group_name="empty")
        assert groups.delete_group_and_dependents(ctx, group_name="empty") == groups.DeletedGroup(
            "empty", [], [], []
        )
        assert events("iam:DeleteGroup") == [("success", "")]

    def test_every_step_is_authorized_before_anything_changes(self, ctx, acct, devs, trail):
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(
            admin, "p", f.allow(["iam:RemoveUserFromGroup", "iam:DetachGroupPolicy", "iam:DeleteGroup"])
        )
        with pytest.raises(AccessDeniedError) as caught:
            groups.delete_group_and_dependents(f.context_for(admin), group_name="Developers")
        assert caught.value.message == denial(acct, "admin", "iam:DeleteGroupPolicy", devs.arn)
        assert devs.users.count() == 2 and GroupPolicyAttachment.objects.filter(group=devs).exists()
        assert [a for a in trail() if a[0] != "iam:CreateUser"] == [
            ("iam:DeleteGroupPolicy", "denied", "AccessDenied")
        ]

    def test_what_joined_after_the_confirmation_stops_the_delete(self, ctx, devs, monkeypatch, trail):
        users.create_user(ctx, user_name="late")
        run = groups.run_all_or_nothing

        def late_member_then_run(ctx_, steps):
            groups.add_user_to_group(ctx, group_name="Developers", user_name="late")
            return run(ctx_, steps)

        monkeypatch.setattr(groups, "run_all_or_nothing", late_member_then_run)
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must remove users from group first.$"
        ):
            groups.delete_group_and_dependents(ctx, group_name="Developers")
        assert sorted(devs.users.values_list("user_name", flat=True)) == ["alice", "bob", "late"]
        assert GroupPolicy.objects.filter(group=devs).exists()
        assert trail()[-1] == ("iam:DeleteGroup", "failed", "DeleteConflict")

    def test_unknown_group(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The group with name nope cannot be found.$"):
            groups.delete_group_and_dependents(ctx, group_name="nope")


class ConsoleGroupReadsTests:
    def test_search_groups_with_counts(self, ctx, devs):
        groups.create_group(ctx, group_name="Security")
        listing = group_reads.search_groups(ctx, search="LOP")
        assert listing.total == 1
        [group] = listing.page.items
        assert (
            group.group_name,
            group.user_count,
            group.attached_policy_count,
            group.inline_policy_count,
        ) == (
            "Developers",
            2,
            1,
            1,
        )
        assert group_reads.search_groups(ctx).total == 2

    def test_search_groups_costs_two_queries_whatever_the_number(self, ctx, django_assert_num_queries):
        bulk_groups(ctx, "g", 250)
        with django_assert_num_queries(2):
            listing = group_reads.search_groups(ctx, max_items=100)
        assert (len(listing.page.items), listing.total, listing.page.is_truncated) == (100, 250, True)

    def test_search_groups_is_list_groups(self, ctx, acct):
        bob = users.create_user(ctx, user_name="bob")
        with pytest.raises(AccessDeniedError) as caught:
            group_reads.search_groups(f.context_for(bob))
        assert caught.value.message == denial(acct, "bob", "iam:ListGroups", f"arn:aws:iam::{acct}:group/")

    def test_group_summary_leaves_out_what_the_caller_may_not_list(self, ctx, devs):
        full = group_reads.group_summary(ctx, group_name="developers")
        assert [u.user_name for u in full.users.items] == ["alice", "bob"]
        assert [p.arn for p in full.attached] == [S3_READ] and full.inline == ["ReadLogs"]
        peek = users.create_user(ctx, user_name="peek")
        f.put_user_policy(peek, "p", f.allow("iam:GetGroup"))
        partial = group_reads.group_summary(f.context_for(peek), group_name="Developers")
        assert (partial.attached, partial.inline) == (None, None)
        assert len(partial.users.items) == 2
        assert not AuditEvent.objects.filter(outcome="denied").exists()  # nothing was attempted

    def test_group_dependents_lists_everything_that_goes(self, ctx, devs):
        found = group_reads.group_dependents(ctx, group_name="Developers")
        assert (found.user_names, [p.arn for p in found.policies], found.inline) == (
            ["alice", "bob"],
            [S3_READ],
            ["ReadLogs"],
        )
        peek = users.create_user(ctx, user_name="peek")
        f.put_user_policy(peek, "p", f.allow("iam:GetGroup"))
        with pytest.raises(AccessDeniedError):
            group_reads.group_dependents(f.context_for(peek), group_name="Developers")

    def test_group_choices_leave_out_members_and_attached_policies(self, ctx, devs):
        users.create_user(ctx, user_name="carol")
        choices = group_reads.group_choices(ctx, group_name="Developers")
        assert [u.user_name for u in choices.users] == ["carol"]
        assert S3_READ not in [p.arn for p in choices.policies] and ADMIN in [p.arn for p in choices.policies]
        searched = group_reads.group_choices(ctx, user_search="AL", policy_search="admin")
        assert [u.user_name for u in searched.users] == ["alice"]
        assert [p.arn for p in searched.policies] == [ADMIN]

    def test_group_choices_show_100_and_say_there_are_more(self, ctx):
        bulk_users(ctx, "u", 101)
        choices = group_reads.group_choices(ctx, policies=False)
        assert (len(choices.users), choices.more_users, choices.policies) == (100, True, None)

    def test_group_choices_are_none_when_the_caller_may_not_list(self, ctx):
        bob = users.create_user(ctx, user_name="bob")
        choices = group_reads.group_choices(f.context_for(bob))
        assert (choices.users, choices.policies) == (None, None)

    def test_group_inline_policy(self, ctx, devs):
        found = group_reads.group_inline_policy(ctx, group_name="developers", policy_name="ReadLogs")
        assert (found.group.pk, found.policy_document) == (devs.pk, f.document(f.allow("logs:Get*")))
        with pytest.raises(NoSuchEntityError, match="^The group policy with name Nope cannot be found.$"):
            group_reads.group_inline_policy(ctx, group_name="Developers", policy_name="Nope")
