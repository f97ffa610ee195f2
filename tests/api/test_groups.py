"""/api/v1/groups/ (list, create, get, update, delete), its members, attached and inline policies, and
/api/v1/users/{user_name}/groups/, through the test client signed with SigV4: shapes, status codes,
AWS codes and messages, authorization, audit rows, query counts."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, Group, GroupMembership
from accounts.services import groups, users
from accounts.services import policy_attachments as attachments
from policies.models import GroupPolicy, GroupPolicyAttachment
from tests import factories as f

from . import test_schema as schema_checks
from .conftest import HOST, READ_ONLY, USERS, denial, error, iam_user, issue_key

pytestmark = pytest.mark.django_db
GROUPS = "/api/v1/groups/"
DEVS = GROUPS + "devs/"
MEMBERS = DEVS + "members/"
ATTACHED = DEVS + "attached-policies/"
INLINE = DEVS + "policies/"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
DOCUMENT = (
    '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
)

schema = schema_checks.schema  # the schema as `manage.py spectacular --validate --fail-on-warn` writes it


def rest_events(action: str) -> list[tuple[str, str]]:
    """(outcome, error code) of one action's audit rows on the REST channel, oldest first (the
    tests' setup goes through the services on the internal one)."""
    rows = AuditEvent.objects.filter(action=action, channel="rest").order_by("pk")
    return list(rows.values_list("outcome", "error_code"))


def names(response, field: str = "group_name") -> list[str]:
    return [item[field] for item in response.json()["items"]]


def members(group_name: str = "devs") -> list[str]:
    rows = GroupMembership.objects.filter(group__group_name=group_name).order_by("user__user_name")
    return list(rows.values_list("user__user_name", flat=True))


def same_count(signed, key, path: str, grow) -> None:
    """The number of queries of GET `path` does not change when `grow()` adds rows to the list."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert signed("GET", path, key).status_code == 200
        return len(queries)

    signed("GET", path, key)  # warm the policy cache (as any later request finds it)
    few = count()
    grow()
    assert count() == few


@pytest.fixture
def devs(ctx) -> Group:
    return groups.create_group(ctx, group_name="devs", path="/eng/")


class ListGroupsTests:
    def test_lists_the_accounts_groups_by_name_in_the_envelope(self, signed, root_key, ctx, acct):
        for name in ("ops", "Admins", "devs"):
            groups.create_group(ctx, group_name=name, path="/eng/" if name == "devs" else "/")
        groups.create_group(f.root_context(), group_name="theirs")
        response = signed("GET", GROUPS, root_key)
        assert response.status_code == 200
        body = response.json()
        assert (set(body), body["is_truncated"], body["marker"]) == (
            {"items", "is_truncated", "marker"},
            False,
            None,
        )
        assert names(response) == ["Admins", "devs", "ops"]
        devs = Group.objects.get(group_name="devs")
        assert body["items"][1] == {
            "group_name": "devs",
            "group_id": devs.group_id,
            "arn": f"arn:aws:iam::{acct}:group/eng/devs",
            "path": "/eng/",
            "create_date": devs.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert devs.group_id.startswith("AGPA")

    def test_path_prefix_and_pages(self, signed, root_key, ctx):
        for i, path in enumerate(("/eng/", "/eng/web/", "/ops/", "/", "/eng/")):
            groups.create_group(ctx, group_name=f"g{i}", path=path)
        assert names(signed("GET", GROUPS + "?path_prefix=/eng/", root_key)) == ["g0", "g1", "g4"]
        first = signed("GET", GROUPS + "?max_items=3", root_key).json()
        assert ([g["group_name"] for g in first["items"]], first["is_truncated"]) == (
            ["g0", "g1", "g2"],
            True,
        )
        rest = signed("GET", f"{GROUPS}?marker={first['marker']}&max_items=3", root_key).json()
        assert ([g["group_name"] for g in rest["items"]], rest["marker"]) == (["g3", "g4"], None)

    def test_bad_parameters_name_the_field(self, signed, root_key):
        response = signed("GET", GROUPS + "?path_prefix=eng", root_key)
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: path_prefix: Must begin with / (printable ASCII after)",
        )
        response = signed("GET", GROUPS + "?max_items=0", root_key)
        assert response.json()["error"]["fields"] == {
            "max_items": ["Ensure this value is greater than or equal to 1."]
        }

    def test_the_number_of_queries_does_not_grow_with_the_groups(self, signed, root_key, ctx):
        groups.create_group(ctx, group_name="first")

        def grow() -> None:
            for i in range(20):
                groups.create_group(ctx, group_name=f"more{i}")

        same_count(signed, root_key, GROUPS, grow)
        assert len(signed("GET", GROUPS, root_key).json()["items"]) == 21

    def test_a_user_without_policy_is_denied(self, signed, nobody_key, acct):
        assert error(signed("GET", GROUPS, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListGroups", f"arn:aws:iam::{acct}:group/"),
        )
        assert rest_events("iam:ListGroups") == [("denied", "AccessDenied")]


class CreateGroupTests:
    def test_creates_the_group_and_answers_201_with_it_and_its_url(self, signed, root_key, acct):
        response = signed("POST", GROUPS, root_key, {"group_name": "devs", "path": "/eng/"})
        assert response.status_code == 201
        group = Group.objects.get(group_name="devs")
        assert response.json() == {
            "group_name": "devs",
            "group_id": group.group_id,
            "arn": f"arn:aws:iam::{acct}:group/eng/devs",
            "path": "/eng/",
            "create_date": group.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert ISO_Z.fullmatch(response.json()["create_date"])
        assert response["Location"] == f"http://{HOST}/api/v1/groups/devs/"
        event = AuditEvent.objects.get(action="iam:CreateGroup")
        assert (event.outcome, event.channel, event.access_key_id, event.target_arn) == (
            "success",
            "rest",
            root_key.access_key_id,
            f"arn:aws:iam::{acct}:group/eng/devs",
        )
        assert event.request_id == response["x-amzn-RequestId"]

    def test_the_path_defaults_to_slash(self, signed, root_key):
        assert signed("POST", GROUPS, root_key, {"group_name": "devs"}).json()["path"] == "/"

    def test_a_taken_name_in_any_case_is_entity_already_exists(self, signed, root_key, devs):
        response = signed("POST", GROUPS, root_key, {"group_name": "DEVS"})
        assert error(response) == (409, "EntityAlreadyExists", "Group with name DEVS already exists.")
        assert rest_events("iam:CreateGroup") == [("failed", "EntityAlreadyExists")]

    def test_bad_fields_are_named(self, signed, root_key):
        response = signed("POST", GROUPS, root_key, {"group_name": "a b", "path": "nope"})
        assert response.json()["error"]["fields"] == {
            "group_name": ["Use letters, digits and +=,.@_- only."],
            "path": ["Must be / or begin and end with / (printable ASCII between)."],
        }
        assert signed("POST", GROUPS, root_key, {"group_name": "g" * 129}).json()["error"]["fields"] == {
            "group_name": ["Ensure this field has no more than 128 characters."]
        }
        assert not Group.objects.exists()

    def test_a_read_only_user_is_denied_and_audited(self, signed, ctx, acct):
        iam_user(ctx, "reader", READ_ONLY)
        response = signed("POST", GROUPS, issue_key(ctx, "reader"), {"group_name": "devs"})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:CreateGroup", f"arn:aws:iam::{acct}:group/devs"),
        )
        assert not Group.objects.exists()
        assert rest_events("iam:CreateGroup") == [("denied", "AccessDenied")]


class GetGroupTests:
    def test_answers_the_group_in_any_case_of_its_name(self, signed, root_key, devs, acct):
        response = signed("GET", GROUPS + "DEVS/", root_key)
        assert response.status_code == 200
        assert response.json() == {
            "group_name": "devs",
            "group_id": devs.group_id,
            "arn": f"arn:aws:iam::{acct}:group/eng/devs",
            "path": "/eng/",
            "create_date": devs.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def test_a_group_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("GET", GROUPS + "ghost/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The group with name ghost cannot be found.")

    def test_a_user_without_policy_is_denied(self, signed, nobody_key, devs, acct):
        assert error(signed("GET", DEVS, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetGroup", f"arn:aws:iam::{acct}:group/eng/devs"),
        )


class UpdateGroupTests:
    def test_renames_and_moves_the_group_keeping_its_members(self, signed, root_key, ctx, devs, acct):
        users.create_user(ctx, user_name="alice")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        response = signed("PATCH", DEVS, root_key, {"new_group_name": "builders", "new_path": "/"})
        assert response.status_code == 200
        assert (response.json()["group_name"], response.json()["arn"]) == (
            "builders",
            f"arn:aws:iam::{acct}:group/builders",
        )
        assert members("builders") == ["alice"]
        assert rest_events("iam:UpdateGroup") == [("success", "")]

    def test_a_taken_new_name_is_entity_already_exists(self, signed, root_key, ctx, devs):
        groups.create_group(ctx, group_name="ops")
        response = signed("PATCH", DEVS, root_key, {"new_group_name": "OPS"})
        assert error(response) == (409, "EntityAlreadyExists", "Group with name OPS already exists.")
        assert rest_events("iam:UpdateGroup") == [("failed", "EntityAlreadyExists")]

    def test_a_group_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("PATCH", GROUPS + "ghost/", root_key, {"new_path": "/x/"})
        assert error(response) == (404, "NoSuchEntity", "The group with name ghost cannot be found.")

    def test_a_bad_new_path_names_the_field(self, signed, root_key, devs):
        response = signed("PATCH", DEVS, root_key, {"new_path": "/no-end"})
        assert response.json()["error"]["fields"] == {
            "new_path": ["Must be / or begin and end with / (printable ASCII between)."]
        }

    def test_a_user_without_policy_is_denied(self, signed, nobody_key, devs, acct):
        response = signed("PATCH", DEVS, nobody_key, {"new_group_name": "mine"})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UpdateGroup", f"arn:aws:iam::{acct}:group/eng/devs"),
        )
        assert Group.objects.get(pk=devs.pk).group_name == "devs"
        assert rest_events("iam:UpdateGroup") == [("denied", "AccessDenied")]


class DeleteGroupTests:
    def test_deletes_an_empty_group_with_204(self, signed, root_key, devs):
        response = signed("DELETE", DEVS, root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not Group.objects.exists()
        assert rest_events("iam:DeleteGroup") == [("success", "")]

    @pytest.mark.parametrize(
        ("what", "message"),
        [
            ("member", "Cannot delete entity, must remove users from group first."),
            ("inline", "Cannot delete entity, must delete policies first."),
            ("attached", "Cannot delete entity, must detach all policies first."),
        ],
    )
    def test_what_still_hangs_off_it_is_a_409_delete_conflict(
        self, signed, root_key, ctx, devs, what, message
    ):
        if what == "member":
            users.create_user(ctx, user_name="alice")
            groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        elif what == "inline":
            attachments.put_group_policy(ctx, group_name="devs", policy_name="P", policy_document=DOCUMENT)
        else:
            attachments.attach_group_policy(ctx, group_name="devs", policy_arn=READ_ONLY)
        assert error(signed("DELETE", DEVS, root_key)) == (409, "DeleteConflict", message)
        assert Group.objects.filter(pk=devs.pk).exists()
        assert rest_events("iam:DeleteGroup") == [("failed", "DeleteConflict")]

    def test_a_group_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("DELETE", GROUPS + "ghost/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The group with name ghost cannot be found.")

    def test_a_read_only_user_is_denied(self, signed, ctx, devs, acct):
        iam_user(ctx, "reader", READ_ONLY)
        response = signed("DELETE", DEVS, issue_key(ctx, "reader"))
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:DeleteGroup", f"arn:aws:iam::{acct}:group/eng/devs"),
        )
        assert rest_events("iam:DeleteGroup") == [("denied", "AccessDenied")]


class GroupMembersTests:
    @pytest.fixture
    def people(self, ctx) -> None:
        for name in ("carol", "alice", "bob"):
            users.create_user(ctx, user_name=name)

    def test_post_adds_a_member_with_204_and_again_changes_nothing(
        self, signed, root_key, devs, people, acct
    ):
        for name in ("alice", "ALICE"):
            response = signed("POST", MEMBERS, root_key, {"user_name": name})
            assert (response.status_code, response.content) == (204, b"")
        assert members() == ["alice"]
        assert rest_events("iam:AddUserToGroup") == [("success", "")] * 2
        event = AuditEvent.objects.filter(action="iam:AddUserToGroup").first()
        assert (event.target_arn, event.parameters) == (
            f"arn:aws:iam::{acct}:group/eng/devs",
            {"group_name": "devs", "user_name": "alice"},
        )

    def test_get_lists_the_members_by_name_in_pages(self, signed, root_key, ctx, devs, people, acct):
        for name in ("carol", "alice", "bob"):
            groups.add_user_to_group(ctx, group_name="devs", user_name=name)
        first = signed("GET", MEMBERS + "?max_items=2", root_key)
        assert first.status_code == 200
        body = first.json()
        assert (names(first, "user_name"), body["is_truncated"]) == (["alice", "bob"], True)
        assert set(body["items"][0]) == {
            "user_name",
            "user_id",
            "arn",
            "path",
            "create_date",
            "password_last_used",
        }
        assert body["items"][0]["arn"] == f"arn:aws:iam::{acct}:user/alice"
        rest = signed("GET", f"{MEMBERS}?marker={body['marker']}", root_key).json()
        assert ([u["user_name"] for u in rest["items"]], rest["marker"]) == (["carol"], None)

    def test_delete_removes_the_member_with_204(self, signed, root_key, ctx, devs, people):
        for name in ("alice", "bob"):
            groups.add_user_to_group(ctx, group_name="devs", user_name=name)
        response = signed("DELETE", MEMBERS + "alice/", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert members() == ["bob"]
        assert rest_events("iam:RemoveUserFromGroup") == [("success", "")]

    def test_removing_a_user_who_is_not_a_member_is_no_such_entity(self, signed, root_key, devs, people):
        response = signed("DELETE", MEMBERS + "bob/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user bob is not a member of group devs.")
        assert rest_events("iam:RemoveUserFromGroup") == [("failed", "NoSuchEntity")]

    def test_an_unknown_user_or_group_is_no_such_entity(self, signed, root_key, devs):
        response = signed("POST", MEMBERS, root_key, {"user_name": "ghost"})
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")
        response = signed("GET", GROUPS + "nogroup/members/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The group with name nogroup cannot be found.")

    def test_an_eleventh_group_is_limit_exceeded(self, signed, root_key, ctx, people):
        for i in range(10):
            groups.create_group(ctx, group_name=f"g{i}")
            groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="alice")
        groups.create_group(ctx, group_name="devs")
        response = signed("POST", MEMBERS, root_key, {"user_name": "alice"})
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
        assert rest_events("iam:AddUserToGroup") == [("failed", "LimitExceeded")]

    def test_a_missing_user_name_is_named(self, signed, root_key, devs):
        assert signed("POST", MEMBERS, root_key, {}).json()["error"]["fields"] == {
            "user_name": ["This field is required."]
        }

    def test_the_number_of_queries_does_not_grow_with_the_members(self, signed, root_key, ctx, devs):
        users.create_user(ctx, user_name="u00")
        groups.add_user_to_group(ctx, group_name="devs", user_name="u00")

        def grow() -> None:
            for i in range(1, 20):
                users.create_user(ctx, user_name=f"u{i:02}")
                groups.add_user_to_group(ctx, group_name="devs", user_name=f"u{i:02}")

        same_count(signed, root_key, MEMBERS, grow)
        assert len(members()) == 20

    def test_a_user_without_policy_may_neither_list_add_nor_remove(
        self, signed, ctx, nobody_key, devs, people, acct
    ):
        groups.add_user_to_group(ctx, group_name="devs", user_name="bob")
        arn = f"arn:aws:iam::{acct}:group/eng/devs"
        calls = [
            ("iam:GetGroup", signed("GET", MEMBERS, nobody_key)),
            ("iam:AddUserToGroup", signed("POST", MEMBERS, nobody_key, {"user_name": "nobody"})),
            ("iam:RemoveUserFromGroup", signed("DELETE", MEMBERS + "bob/", nobody_key)),
        ]
        for action, response in calls:
            assert error(response) == (403, "AccessDenied", denial(acct, "nobody", action, arn))
            assert rest_events(action) == [("denied", "AccessDenied")]
        assert members() == ["bob"]


class ListGroupsForUserTests:
    def test_lists_the_users_groups_by_name_in_pages(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice")
        for name in ("ops", "devs", "admins", "other"):
            groups.create_group(ctx, group_name=name)
            if name != "other":
                groups.add_user_to_group(ctx, group_name=name, user_name="alice")
        first = signed("GET", USERS + "alice/groups/?max_items=2", root_key)
        assert first.status_code == 200
        assert (names(first), first.json()["is_truncated"]) == (["admins", "devs"], True)
        assert first.json()["items"][0]["arn"] == f"arn:aws:iam::{acct}:group/admins"
        rest = signed("GET", f"{USERS}alice/groups/?marker={first.json()['marker']}", root_key).json()
        assert ([g["group_name"] for g in rest["items"]], rest["marker"]) == (["ops"], None)

    def test_an_unknown_user_is_no_such_entity(self, signed, root_key):
        response = signed("GET", USERS + "ghost/groups/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")

    def test_the_number_of_queries_does_not_grow_with_the_groups(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        groups.create_group(ctx, group_name="g0")
        groups.add_user_to_group(ctx, group_name="g0", user_name="alice")

        def grow() -> None:
            for i in range(1, 10):
                groups.create_group(ctx, group_name=f"g{i}")
                groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="alice")

        same_count(signed, root_key, USERS + "alice/groups/", grow)
        assert len(signed("GET", USERS + "alice/groups/", root_key).json()["items"]) == 10

    def test_a_user_without_policy_is_denied(self, signed, ctx, nobody_key, acct):
        users.create_user(ctx, user_name="alice")
        assert error(signed("GET", USERS + "alice/groups/", nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListGroupsForUser", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert rest_events("iam:ListGroupsForUser") == [("denied", "AccessDenied")]


class GroupManagedPoliciesTests:
    @pytest.fixture
    def policies(self, ctx) -> list[str]:
        return [
            f.managed_policy(ctx.account, "Beta", f.allow("s3:*")).arn,
            f.managed_policy(ctx.account, "alpha", f.allow("ec2:*"), path="/team/").arn,
        ]

    def attached(self) -> list[str]:
        rows = GroupPolicyAttachment.objects.filter(group__group_name="devs").order_by("policy__policy_name")
        return list(rows.values_list("policy__arn", flat=True))

    def test_attach_list_and_detach(self, signed, root_key, devs, policies, acct):
        for arn in policies:
            response = signed("POST", ATTACHED, root_key, {"policy_arn": arn})
            assert (response.status_code, response.content) == (204, b"")
        assert signed("GET", ATTACHED, root_key).json() == {
            "items": [
                {"policy_name": "Beta", "policy_arn": f"arn:aws:iam::{acct}:policy/Beta"},
                {"policy_name": "alpha", "policy_arn": f"arn:aws:iam::{acct}:policy/team/alpha"},
            ],
            "is_truncated": False,
            "marker": None,
        }
        assert names(signed("GET", ATTACHED + "?path_prefix=/team/", root_key), "policy_name") == ["alpha"]
        response = signed("DELETE", f"{ATTACHED}?{urlencode({'policy_arn': policies[0]})}", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert self.attached() == [policies[1]]
        assert rest_events("iam:AttachGroupPolicy") == [("success", "")] * 2
        assert rest_events("iam:DetachGroupPolicy") == [("success", "")]

    def test_the_aws_errors(self, signed, root_key, ctx, devs, policies):
        missing = "arn:aws:iam::aws:policy/NoSuchPolicy"
        response = signed("POST", ATTACHED, root_key, {"policy_arn": missing})
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"Policy {missing} does not exist or is not attachable.",
        )
        response = signed("DELETE", f"{ATTACHED}?{urlencode({'policy_arn': policies[0]})}", root_key)
        assert error(response) == (404, "NoSuchEntity", f"Policy {policies[0]} was not found.")
        for i in range(10):
            arn = f.managed_policy(ctx.account, f"P{i}", f.allow()).arn
            attachments.attach_group_policy(ctx, group_name="devs", policy_arn=arn)
        response = signed("POST", ATTACHED, root_key, {"policy_arn": policies[0]})
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10")
        # The missing policy is found missing before the write (no audit row); the quota inside it.
        assert rest_events("iam:AttachGroupPolicy") == [("failed", "LimitExceeded")]
        assert rest_events("iam:DetachGroupPolicy") == [("failed", "NoSuchEntity")]
        response = signed("GET", GROUPS + "ghost/attached-policies/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The group with name ghost cannot be found.")

    def test_the_number_of_queries_does_not_grow_with_the_policies(self, signed, root_key, ctx, devs):
        attachments.attach_group_policy(
            ctx, group_name="devs", policy_arn=f.managed_policy(ctx.account, "P0", f.allow()).arn
        )

        def grow() -> None:
            for i in range(1, 10):
                arn = f.managed_policy(ctx.account, f"P{i}", f.allow()).arn
                attachments.attach_group_policy(ctx, group_name="devs", policy_arn=arn)

        same_count(signed, root_key, ATTACHED, grow)
        assert len(self.attached()) == 10

    def test_a_user_without_policy_may_neither_list_attach_nor_detach(
        self, signed, ctx, nobody_key, devs, policies, acct
    ):
        attachments.attach_group_policy(ctx, group_name="devs", policy_arn=policies[0])
        arn = f"arn:aws:iam::{acct}:group/eng/devs"
        calls = [
            ("iam:ListAttachedGroupPolicies", signed("GET", ATTACHED, nobody_key)),
            ("iam:AttachGroupPolicy", signed("POST", ATTACHED, nobody_key, {"policy_arn": policies[1]})),
            (
                "iam:DetachGroupPolicy",
                signed("DELETE", f"{ATTACHED}?{urlencode({'policy_arn': policies[0]})}", nobody_key),
            ),
        ]
        for action, response in calls:
            assert error(response) == (403, "AccessDenied", denial(acct, "nobody", action, arn))
            assert rest_events(action) == [("denied", "AccessDenied")]
        assert self.attached() == [policies[0]]


class GroupInlinePoliciesTests:
    def inline(self) -> dict[str, str]:
        return dict(
            GroupPolicy.objects.filter(group__group_name="devs").values_list("policy_name", "document")
        )

    def test_put_get_list_and_delete(self, signed, root_key, devs, acct):
        for name in ("S3", "Logs"):
            response = signed("PUT", INLINE + f"{name}/", root_key, {"policy_document": DOCUMENT})
            assert (response.status_code, response.content) == (204, b"")
        assert self.inline() == {"S3": DOCUMENT, "Logs": DOCUMENT}
        assert signed("GET", INLINE, root_key).json() == {
            "items": [{"policy_name": "Logs"}, {"policy_name": "S3"}],
            "is_truncated": False,
            "marker": None,
        }
        response = signed("GET", GROUPS + "DEVS/policies/S3/", root_key)
        assert (response.status_code, response.json()) == (
            200,
            {"group_name": "devs", "policy_name": "S3", "policy_document": DOCUMENT},
        )
        response = signed("DELETE", INLINE + "S3/", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert set(self.inline()) == {"Logs"}
        assert rest_events("iam:PutGroupPolicy") == [("success", "")] * 2
        assert rest_events("iam:DeleteGroupPolicy") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:DeleteGroupPolicy", channel="rest")
        assert (event.target_arn, event.parameters) == (
            f"arn:aws:iam::{acct}:group/eng/devs",
            {"group_name": "devs", "policy_name": "S3"},
        )

    def test_pages_of_names(self, signed, root_key, ctx, devs):
        for name in ("c", "a", "b"):
            attachments.put_group_policy(ctx, group_name="devs", policy_name=name, policy_document=DOCUMENT)
        first = signed("GET", INLINE + "?max_items=2", root_key).json()
        assert (first["items"], first["is_truncated"]) == ([{"policy_name": "a"}, {"policy_name": "b"}], True)
        rest = signed("GET", f"{INLINE}?marker={first['marker']}", root_key).json()
        assert rest == {"items": [{"policy_name": "c"}], "is_truncated": False, "marker": None}

    def test_the_aws_errors(self, signed, root_key, ctx, devs):
        response = signed("GET", INLINE + "nope/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The group policy with name nope cannot be found.")
        response = signed("DELETE", INLINE + "nope/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The group policy with name nope cannot be found.")
        bad = f.document({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
        status, code, message = error(signed("PUT", INLINE + "P/", root_key, {"policy_document": bad}))
        assert (status, code) == (400, "MalformedPolicyDocument")
        assert message.startswith(
            "Unsupported element: An identity-based policy must not have a Principal element"
        )

        def sized(count: int) -> str:
            return f.document(
                f.allow("s3:GetObject", [f"arn:aws:s3:::bucket-{i:04}/*" for i in range(count)])
            )

        attachments.put_group_policy(ctx, group_name="devs", policy_name="First", policy_document=sized(100))
        response = signed("PUT", INLINE + "Second/", root_key, {"policy_document": sized(80)})
        assert error(response) == (
            409,
            "LimitExceeded",
            "Maximum policy size of 5120 bytes exceeded for group devs",
        )
        assert set(self.inline()) == {"First"}
        assert rest_events("iam:PutGroupPolicy") == [("failed", "LimitExceeded")]
        assert rest_events("iam:DeleteGroupPolicy") == [("failed", "NoSuchEntity")]

    def test_the_number_of_queries_does_not_grow_with_the_policies(self, signed, root_key, ctx, devs):
        small = f.document(f.allow("s3:GetObject"))
        attachments.put_group_policy(ctx, group_name="devs", policy_name="p0", policy_document=small)

        def grow() -> None:
            for i in range(1, 10):
                attachments.put_group_policy(
                    ctx, group_name="devs", policy_name=f"p{i}", policy_document=small
                )

        same_count(signed, root_key, INLINE, grow)
        assert len(self.inline()) == 10

    def test_a_user_without_policy_may_not_list_get_put_or_delete(self, signed, ctx, nobody_key, devs, acct):
        attachments.put_group_policy(ctx, group_name="devs", policy_name="S3", policy_document=DOCUMENT)
        arn = f"arn:aws:iam::{acct}:group/eng/devs"
        calls = [
            ("iam:ListGroupPolicies", signed("GET", INLINE, nobody_key)),
            ("iam:GetGroupPolicy", signed("GET", INLINE + "S3/", nobody_key)),
            ("iam:PutGroupPolicy", signed("PUT", INLINE + "S3/", nobody_key, {"policy_document": DOCUMENT})),
            ("iam:DeleteGroupPolicy", signed("DELETE", INLINE + "S3/", nobody_key)),
        ]
        for action, response in calls:
            assert error(response) == (403, "AccessDenied", denial(acct, "nobody", action, arn))
            assert rest_events(action) == [("denied", "AccessDenied")]
        assert self.inline() == {"S3": DOCUMENT}

    def test_a_read_only_user_may_read_but_not_put(self, signed, ctx, devs, acct):
        attachments.put_group_policy(ctx, group_name="devs", policy_name="S3", policy_document=DOCUMENT)
        iam_user(ctx, "reader", READ_ONLY)
        key = issue_key(ctx, "reader")
        assert signed("GET", INLINE + "S3/", key).json()["policy_document"] == DOCUMENT
        response = signed("PUT", INLINE + "S3/", key, {"policy_document": DOCUMENT})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:PutGroupPolicy", f"arn:aws:iam::{acct}:group/eng/devs"),
        )


class GroupPermissionsTakeEffectTests:
    def test_a_policy_attached_to_a_group_through_the_api_lets_its_member_call_the_api(
        self, signed, root_key, ctx
    ):
        iam_user(ctx, "alice")
        key = issue_key(ctx, "alice")
        assert signed("GET", GROUPS, key).status_code == 403
        assert signed("POST", GROUPS, root_key, {"group_name": "readers"}).status_code == 201
        assert (
            signed("POST", GROUPS + "readers/members/", root_key, {"user_name": "alice"}).status_code == 204
        )
        policy = {"policy_arn": READ_ONLY}
        assert signed("POST", GROUPS + "readers/attached-policies/", root_key, policy).status_code == 204
        assert names(signed("GET", GROUPS, key)) == ["readers"]
        assert signed("DELETE", GROUPS + "readers/members/alice/", root_key).status_code == 204
        assert signed("GET", GROUPS, key).status_code == 403


class GroupsConformanceTests:
    """Real answers of every groups operation (and ListGroupsForUser) validated against the schema."""

    def test_each_operations_answers_match_the_schema(self, schema, signed, root_key, nobody_key, ctx):
        users.create_user(ctx, user_name="alice")
        groups.create_group(ctx, group_name="ops")
        one = "/api/v1/groups/{group_name}/"
        members_, member = one + "members/", one + "members/{user_name}/"
        attached, inline, policy = (
            one + "attached-policies/",
            one + "policies/",
            one + "policies/{policy_name}/",
        )
        detach = f"{ATTACHED}?{urlencode({'policy_arn': READ_ONLY})}"
        calls = [
            (GROUPS, "get", signed("GET", GROUPS + "?max_items=1", root_key), 200),
            (GROUPS, "get", signed("GET", GROUPS, nobody_key), 403),
            (GROUPS, "post", signed("POST", GROUPS, root_key, {"group_name": "devs", "path": "/eng/"}), 201),
            (GROUPS, "post", signed("POST", GROUPS, root_key, {"group_name": "devs"}), 409),
            (GROUPS, "post", signed("POST", GROUPS, root_key, {"group_name": "a b"}), 400),
            (one, "get", signed("GET", DEVS, root_key), 200),
            (one, "get", signed("GET", GROUPS + "ghost/", root_key), 404),
            (one, "patch", signed("PATCH", GROUPS + "ops/", root_key, {"new_path": "/x/"}), 200),
            (members_, "post", signed("POST", MEMBERS, root_key, {"user_name": "alice"}), 204),
            (members_, "get", signed("GET", MEMBERS, root_key), 200),
            (
                "/api/v1/users/{user_name}/groups/",
                "get",
                signed("GET", USERS + "alice/groups/", root_key),
                200,
            ),
            (one, "delete", signed("DELETE", DEVS, root_key), 409),
            (member, "delete", signed("DELETE", MEMBERS + "alice/", root_key), 204),
            (member, "delete", signed("DELETE", MEMBERS + "alice/", root_key), 404),
            (attached, "post", signed("POST", ATTACHED, root_key, {"policy_arn": READ_ONLY}), 204),
            (attached, "get", signed("GET", ATTACHED, root_key), 200),
            (attached, "delete", signed("DELETE", detach, root_key), 204),
            (attached, "delete", signed("DELETE", detach, root_key), 404),
            (policy, "put", signed("PUT", INLINE + "S3/", root_key, {"policy_document": DOCUMENT}), 204),
            (policy, "put", signed("PUT", INLINE + "S3/", root_key, {"policy_document": "{"}), 400),
            (inline, "get", signed("GET", INLINE, root_key), 200),
            (policy, "get", signed("GET", INLINE + "S3/", root_key), 200),
            (policy, "delete", signed("DELETE", INLINE + "S3/", root_key), 204),
            (policy, "get", signed("GET", INLINE + "S3/", root_key), 404),
            (one, "delete", signed("DELETE", DEVS, root_key), 204),
        ]
        assert [response.status_code for *_, response, _ in calls] == [status for *_, status in calls]
        check = schema_checks.ConformanceTests().check
        for path, method, response, _ in calls:
            check(schema, path, method, response)

