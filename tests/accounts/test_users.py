"""IAM user services and selectors: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, tags."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import AuditEvent, Group, GroupMembership, User
from accounts.selectors import users as user_reads
from accounts.services import users
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    EntityAlreadyExistsError,
    InvalidInputError,
    LimitExceededError,
    NoSuchEntityError,
    ValidationError,
)
from policies.models import UserPolicyAttachment
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db


class CreateUserTests:
    def test_creates_a_user_with_aws_ids_and_an_arn_with_its_path(self, ctx):
        user = users.create_user(ctx, user_name="alice", path="/engineering/")
        assert user.arn == f"arn:aws:iam::{ctx.account.account_id}:user/engineering/alice"
        assert user.user_id.startswith("AIDA") and len(user.user_id) == 21
        assert not user.has_usable_password()
        assert events("iam:CreateUser") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:CreateUser")
        assert (event.actor_arn, event.target_arn, event.channel) == (ctx.caller.arn, user.arn, "internal")
        assert event.parameters == {"user_name": "alice", "path": "/engineering/"}

    def test_names_are_unique_case_insensitively(self, ctx):
        users.create_user(ctx, user_name="alice")
        with pytest.raises(EntityAlreadyExistsError, match="^User with name ALICE already exists.$"):
            users.create_user(ctx, user_name="ALICE")
        assert events("iam:CreateUser") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_the_same_name_may_exist_in_another_account(self, ctx):
        users.create_user(ctx, user_name="alice")
        other = users.create_user(f.root_context(), user_name="alice")
        assert other.account != ctx.account

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Value '' at 'userName' failed to satisfy constraint: Member must not be null"),
            (
                "a" * 65,
                "at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64",
            ),
            ("bad name", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
            ("naïve", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
        ],
    )
    def test_names_follow_the_model_constraints(self, ctx, name, message):
        with pytest.raises(ValidationError) as caught:
            users.create_user(ctx, user_name=name)
        assert caught.value.message.startswith("1 validation error detected: ")
        assert message in caught.value.message
        assert User.objects.filter(is_root=False).count() == 0

    @pytest.mark.parametrize("path", ["engineering", "/engineering", "//x", "/a b/", "/" + "a" * 512 + "/"])
    def test_paths_follow_the_model_constraints(self, ctx, path):
        with pytest.raises(ValidationError, match="at 'path' failed to satisfy constraint"):
            users.create_user(ctx, user_name="alice", path=path)

    def test_tags_are_stored_and_checked(self, ctx):
        user = users.create_user(ctx, user_name="alice", tags=[{"Key": "team", "Value": "blue"}])
        assert user.tags == {"team": "blue"}
        with pytest.raises(InvalidInputError, match="Duplicate tag keys found"):
            users.create_user(
                ctx, user_name="bob", tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
            )
        with pytest.raises(ValidationError, match="at 'tags.1.member.key'"):
            users.create_user(ctx, user_name="bob", tags=[{"Key": "", "Value": "1"}])

    def test_unknown_permissions_boundary(self, ctx):
        arn = f"arn:aws:iam::{ctx.account.account_id}:policy/Nope"
        with pytest.raises(
            NoSuchEntityError, match=f"^Scope ARN: {arn} does not exist or is not attachable.$"
        ):
            users.create_user(ctx, user_name="alice", permissions_boundary=arn)

    def test_permissions_boundary_is_set(self, ctx):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow("iam:Get*"))
        user = users.create_user(ctx, user_name="alice", permissions_boundary=boundary.arn)
        assert user.permissions_boundary == boundary

    def test_quota_of_users_per_account(self, ctx, monkeypatch):
        monkeypatch.setattr(users, "MAX_USERS_PER_ACCOUNT", 2)
        users.create_user(ctx, user_name="a")
        users.create_user(ctx, user_name="b")
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for UsersPerAccount: 2$"):
            users.create_user(ctx, user_name="c")

    def test_a_new_user_can_do_nothing(self, ctx):
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            users.create_user(f.context_for(alice), user_name="bob")
        account = ctx.account.account_id
        assert caught.value.message == (
            f"User: arn:aws:iam::{account}:user/alice is not authorized to perform: iam:CreateUser on resource: "
            f"arn:aws:iam::{account}:user/bob because no identity-based policy allows the iam:CreateUser action"
        )
        assert events("iam:CreateUser") == [("success", ""), ("denied", "AccessDenied")]
        assert not User.objects.filter(user_name="bob").exists()

    def test_an_allowed_user_creates_users_only_where_the_policy_says(self, ctx):
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(
            admin,
            "CreateInDev",
            f.allow("iam:CreateUser", f"arn:aws:iam::{ctx.account.account_id}:user/dev/*"),
        )
        admin_ctx = f.context_for(admin)
        assert users.create_user(admin_ctx, user_name="carol", path="/dev/").path == "/dev/"
        with pytest.raises(AccessDeniedError):
            users.create_user(admin_ctx, user_name="dave", path="/ops/")

    def test_request_tags_reach_the_policy(self, ctx):
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(
            admin,
            "TaggedOnly",
            f.allow(
                "iam:CreateUser",
                Condition={
                    "StringEquals": {"aws:RequestTag/team": "blue"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                },
            ),
        )
        admin_ctx = f.context_for(admin)
        users.create_user(admin_ctx, user_name="carol", tags=[{"Key": "team", "Value": "blue"}])
        with pytest.raises(AccessDeniedError):
            users.create_user(admin_ctx, user_name="dave", tags=[{"Key": "team", "Value": "red"}])
        with pytest.raises(AccessDeniedError):
            users.create_user(admin_ctx, user_name="erin")


class GetUserTests:
    def test_by_name(self, ctx):
        alice = users.create_user(ctx, user_name="alice")
        assert user_reads.get_user(ctx, user_name="ALICE") == alice

    def test_without_a_name_returns_the_caller(self, ctx, root):
        assert user_reads.get_user(ctx) == root
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(
            alice,
            "Self",
            f.allow("iam:GetUser", f"arn:aws:iam::{ctx.account.account_id}:user/${{aws:username}}"),
        )
        assert user_reads.get_user(f.context_for(alice)) == alice
        users.create_user(ctx, user_name="admin")
        with pytest.raises(
            AccessDeniedError, match="not authorized to perform: iam:GetUser on resource: .*:user/admin "
        ):
            user_reads.get_user(f.context_for(alice), user_name="admin")

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name nobody cannot be found.$"):
            user_reads.get_user(ctx, user_name="nobody")

    def test_users_of_another_account_are_invisible(self, ctx):
        users.create_user(f.root_context(), user_name="stranger")
        with pytest.raises(NoSuchEntityError):
            user_reads.get_user(ctx, user_name="stranger")


class ListUsersTests:
    def test_lists_by_name_and_path_prefix(self, ctx):
        for name, path in [("carol", "/ops/"), ("alice", "/dev/"), ("bob", "/dev/team/")]:
            users.create_user(ctx, user_name=name, path=path)
        assert [u.user_name for u in user_reads.list_users(ctx).items] == ["alice", "bob", "carol"]
        assert [u.user_name for u in user_reads.list_users(ctx, path_prefix="/dev/").items] == [
            "alice",
            "bob",
        ]

    def test_pages_with_marker_and_max_items(self, ctx):
        for i in range(5):
            users.create_user(ctx, user_name=f"u{i}")
        seen, marker = [], None
        while True:
            page = user_reads.list_users(ctx, marker=marker, max_items=2)
            seen += [u.user_name for u in page.items]
            if not page.is_truncated:
                break
            marker = page.marker
        assert seen == ["u0", "u1", "u2", "u3", "u4"]

    @pytest.mark.parametrize("max_items", [0, 1001])
    def test_max_items_range(self, ctx, max_items):
        with pytest.raises(ValidationError, match="at 'maxItems' failed to satisfy constraint"):
            user_reads.list_users(ctx, max_items=max_items)

    def test_bad_marker(self, ctx):
        with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
            user_reads.list_users(ctx, marker="not-a-marker")

    def test_query_count_does_not_grow_with_users(self, ctx, django_assert_num_queries):
        def bulk(n: int) -> None:
            User.objects.bulk_create(
                User(
                    account=ctx.account,
                    user_name=f"bulk{len(str(n))}-{i:04}",
                    user_id=f"AIDABULK{n}X{i:06}",
                    password="!",
                )
                for i in range(n)
            )

        counts = []
        for n in (10, 490):
            bulk(n)
            fresh = f.root_context(ctx.caller)
            with django_assert_num_queries(1) as captured:
                page = user_reads.list_users(fresh, max_items=1000)
                [u.arn for u in page.items]
            counts.append(len(captured.captured_queries))
        assert counts == [1, 1] and len(page.items) == 500

    def test_a_user_allowed_by_policy_lists_with_one_more_query(self, ctx, django_assert_num_queries):
        lister = users.create_user(ctx, user_name="lister")
        f.put_user_policy(lister, "List", f.allow("iam:ListUsers"))
        user_reads.list_users(f.context_for(lister))  # warms this process's policy cache
        request = f.context_for(lister)
        with django_assert_num_queries(2):  # the authorization generation, then the page
            user_reads.list_users(request)


class UpdateUserTests:
    def test_rename_and_move(self, ctx):
        users.create_user(ctx, user_name="alice")
        user = users.update_user(ctx, user_name="alice", new_user_name="alicia", new_path="/dev/")
        assert (user.user_name, user.path) == ("alicia", "/dev/")
        assert User.objects.get(pk=user.pk).arn.endswith(":user/dev/alicia")

    def test_rename_to_a_taken_name(self, ctx):
        users.create_user(ctx, user_name="alice")
        users.create_user(ctx, user_name="bob")
        with pytest.raises(EntityAlreadyExistsError, match="^User with name BOB already exists.$"):
            users.update_user(ctx, user_name="alice", new_user_name="BOB")
        assert events("iam:UpdateUser") == [("failed", "EntityAlreadyExists")]

    def test_renaming_to_another_case_of_its_own_name(self, ctx):
        users.create_user(ctx, user_name="alice")
        assert users.update_user(ctx, user_name="alice", new_user_name="Alice").user_name == "Alice"

    def test_needs_permission_on_the_new_name_too(self, ctx):
        account = ctx.account.account_id
        users.create_user(ctx, user_name="bob")
        admin = users.create_user(ctx, user_name="admin")
        f.put_user_policy(admin, "OnlyBob", f.allow("iam:UpdateUser", f"arn:aws:iam::{account}:user/bob"))
        with pytest.raises(AccessDeniedError, match=f"on resource: arn:aws:iam::{account}:user/robert "):
            users.update_user(f.context_for(admin), user_name="bob", new_user_name="robert")

    def test_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            users.update_user(ctx, user_name="ghost", new_user_name="spirit")


class DeleteUserTests:
    def test_deletes(self, ctx):
        users.create_user(ctx, user_name="alice")
        users.delete_user(ctx, user_name="alice")
        assert not User.objects.filter(user_name="alice").exists()
        assert events("iam:DeleteUser") == [("success", "")]

    def test_conflicts_while_things_hang_off_the_user(self, ctx):
        alice = users.create_user(ctx, user_name="alice")
        group = Group.objects.create(account=ctx.account, group_name="devs", group_id="AGPATEST")
        GroupMembership.objects.create(group=group, user=alice)
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must remove users from group first.$"
        ):
            users.delete_user(ctx, user_name="alice")
        UserPolicyAttachment.objects.create(user=alice, policy=f.managed_policy(ctx.account, "P", f.allow()))
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must detach all policies first.$"
        ):
            users.delete_user(ctx, user_name="alice")
        f.put_user_policy(alice, "inline", f.allow())
        with pytest.raises(DeleteConflictError, match="^Cannot delete entity, must delete policies first.$"):
            users.delete_user(ctx, user_name="alice")
        assert User.objects.filter(pk=alice.pk).exists()
        assert events("iam:DeleteUser") == [("failed", "DeleteConflict")] * 3


class UserTagTests:
    def test_tag_list_and_untag(self, ctx):
        users.create_user(ctx, user_name="alice", tags=[{"Key": "team", "Value": "blue"}])
        users.tag_user(
            ctx, user_name="alice", tags=[{"Key": "Team", "Value": "red"}, {"Key": "cost", "Value": "42"}]
        )
        assert user_reads.list_user_tags(ctx, user_name="alice").items == [("cost", "42"), ("Team", "red")]
        users.untag_user(ctx, user_name="alice", tag_keys=["TEAM", "absent"])
        assert user_reads.list_user_tags(ctx, user_name="alice").items == [("cost", "42")]

    def test_at_most_fifty_tags(self, ctx):
        users.create_user(ctx, user_name="alice", tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
        with pytest.raises(LimitExceededError, match="maximum limit of 50"):
            users.tag_user(ctx, user_name="alice", tags=[{"Key": "one-more", "Value": "x"}])
        users.tag_user(ctx, user_name="alice", tags=[{"Key": "K0", "Value": "replaced"}])
        assert User.objects.get(user_name="alice").tags["K0"] == "replaced"

    def test_resource_tags_reach_the_policy(self, ctx):
        users.create_user(ctx, user_name="blue-user", tags=[{"Key": "team", "Value": "blue"}])
        users.create_user(ctx, user_name="red-user", tags=[{"Key": "team", "Value": "red"}])
        tagger = users.create_user(ctx, user_name="tagger")
        f.put_user_policy(
            tagger,
            "BlueOnly",
            f.allow(
                ["iam:TagUser", "iam:UntagUser"], Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}
            ),
        )
        tagger_ctx = f.context_for(tagger)
        users.tag_user(tagger_ctx, user_name="blue-user", tags=[{"Key": "x", "Value": "1"}])
        with pytest.raises(AccessDeniedError):
            users.tag_user(tagger_ctx, user_name="red-user", tags=[{"Key": "x", "Value": "1"}])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_create_user_of_one_name_lets_exactly_one_through():
    ctx = f.root_context()
    results: list[str] = []
    barrier = threading.Barrier(20)

    def attempt() -> None:
        try:
            barrier.wait()
            users.create_user(ctx, user_name="racer")
            results.append("ok")
        except EntityAlreadyExistsError as exc:
            assert exc.message == "User with name racer already exists."
            results.append("exists")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["exists"] * 19 + ["ok"]
    assert User.objects.filter(user_name="racer").count() == 1
    assert sorted(events("iam:CreateUser")) == [("failed", "EntityAlreadyExists")] * 19 + [("success", "")]


def test_a_boundary_deleted_meanwhile_is_no_such_entity_not_already_exists(ctx, monkeypatch):
    """A racing DeletePolicy removes the boundary after the lookup: the answer names the boundary."""
    from accounts import lookups
    from policies.models import ManagedPolicy

    boundary = f.managed_policy(ctx.account, "Boundary", f.allow("iam:Get*"))
    real = lookups.boundary_by_arn

    def found_then_deleted(account, arn):
        policy = real(account, arn)
        ManagedPolicy.objects.filter(pk=policy.pk).delete()
        return policy

    monkeypatch.setattr(lookups, "boundary_by_arn", found_then_deleted)
    with pytest.raises(NoSuchEntityError, match=r"^Scope ARN: .*:policy/Boundary does not exist or is not attachable\.$"):
        users.create_user(ctx, user_name="alice", permissions_boundary=boundary.arn)
    assert not User.objects.filter(user_name="alice").exists()
