"""/api/v1/users/ through the test client, signed with SigV4: list (filters, ordering, pages, query
count), create, get, update, delete, tags; shapes, AWS codes and messages, authorization, audit rows."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from accounts.services import groups, users
from iam_portal.pagination import DEFAULT_MAX_ITEMS
from tests import factories as f

from .conftest import (
    HOST,
    READ_ONLY,
    USERS,
    as_meta,
    denial,
    error,
    iam_user,
    issue_key,
    sign,
)

pytestmark = pytest.mark.django_db
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SUMMARY_FIELDS = {"user_name", "user_id", "arn", "path", "create_date", "password_last_used"}
DETAIL_FIELDS = SUMMARY_FIELDS | {"permissions_boundary", "tags"}


def names(response) -> list[str]:
    return [item["user_name"] for item in response.json()["items"]]


def rest_events(action: str) -> list[tuple[str, str, str]]:
    """(outcome, error code, channel) of one action's audit rows, oldest first."""
    return list(AuditEvent.objects.filter(action=action).values_list("outcome", "error_code", "channel"))


class ListUsersTests:
    def test_lists_the_accounts_users_by_name_in_the_envelope(self, signed, root_key, ctx, acct):
        for name in ("carol", "alice", "bob"):
            users.create_user(ctx, user_name=name, path="/staff/" if name == "carol" else "/")
        response = signed("GET", USERS, root_key)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "is_truncated", "marker"}
        assert (body["is_truncated"], body["marker"]) == (False, None)
        assert names(response) == ["alice", "bob", "carol"]
        alice = User.objects.get(user_name="alice")
        assert body["items"][0] == {
            "user_name": "alice",
            "user_id": alice.user_id,
            "arn": f"arn:aws:iam::{acct}:user/alice",
            "path": "/",
            "create_date": alice.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "password_last_used": None,
        }
        assert body["items"][2]["arn"] == f"arn:aws:iam::{acct}:user/staff/carol"

    def test_another_accounts_users_and_the_root_user_are_not_listed(self, signed, root_key, ctx):
        other = f.root_context()
        users.create_user(other, user_name="theirs")
        users.create_user(ctx, user_name="ours")
        assert names(signed("GET", USERS, root_key)) == ["ours"]

    def test_path_prefix_filters_as_list_users_does(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="a", path="/eng/")
        users.create_user(ctx, user_name="b", path="/eng/web/")
        users.create_user(ctx, user_name="c", path="/ops/")
        assert names(signed("GET", USERS + "?path_prefix=%2Feng%2F", root_key)) == ["a", "b"]
        # Signed as sent (botocore does not re-encode a query given in the URL): accepted too.
        assert names(signed("GET", USERS + "?path_prefix=/eng/web/", root_key)) == ["b"]

    def test_pages_follow_the_marker_until_the_last(self, signed, root_key, ctx):
        for name in ("u1", "u2", "u3", "u4", "u5"):
            users.create_user(ctx, user_name=name)
        first = signed("GET", USERS + "?max_items=2", root_key).json()
        assert ([u["user_name"] for u in first["items"]], first["is_truncated"]) == (["u1", "u2"], True)
        second = signed("GET", f"{USERS}?marker={first['marker']}&max_items=2", root_key).json()
        assert [u["user_name"] for u in second["items"]] == ["u3", "u4"]
        last = signed("GET", f"{USERS}?marker={second['marker']}&max_items=2", root_key).json()
        assert last == {"items": [last["items"][0]], "is_truncated": False, "marker": None}
        assert last["items"][0]["user_name"] == "u5"

    def test_a_page_holds_100_users_unless_told(self, signed, root_key, ctx):
        for i in range(DEFAULT_MAX_ITEMS + 1):
            users.create_user(ctx, user_name=f"user{i:03}")
        body = signed("GET", USERS, root_key).json()
        assert (len(body["items"]), body["is_truncated"]) == (100, True)

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("max_items=0", "max_items", "Ensure this value is greater than or equal to 1."),
            ("max_items=1001", "max_items", "Ensure this value is less than or equal to 1000."),
            ("max_items=ten", "max_items", "A valid integer is required."),
            ("path_prefix=eng", "path_prefix", "Must begin with / (printable ASCII after)."),
            ("ordering=age", "ordering", '"age" is not a valid choice.'),
        ],
    )
    def test_bad_parameters_are_a_validation_error_naming_the_field(
        self, signed, root_key, query, field, message
    ):
        response = signed("GET", f"{USERS}?{query}", root_key)
        assert error(response) == (
            400,
            "ValidationError",
            f"1 validation error detected: {field}: {message[:-1]}",
        )
        assert response.json()["error"]["fields"] == {field: [message]}

    def test_a_marker_that_no_page_gave_is_the_services_validation_error(self, signed, root_key):
        response = signed("GET", USERS + "?marker=bogus", root_key)
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: Value 'bogus' at 'marker' failed to satisfy constraint: "
            "Member must be a marker returned by a previous response",
        )

    def test_the_number_of_queries_does_not_grow_with_the_users(
        self, signed, root_key, ctx, django_assert_max_num_queries
    ):
        users.create_user(ctx, user_name="first")
        signed("GET", USERS, root_key)  # warm the policy cache (as any later request finds it)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", USERS, root_key).status_code == 200
            return len(queries)

        few = count()
        for i in range(20):
            users.create_user(ctx, user_name=f"more{i}")
        assert count() == few
        with django_assert_max_num_queries(few):
            assert len(signed("GET", USERS, root_key).json()["items"]) == 21


class ListUsersFilterTests:
    """name_contains, group and ordering: the REST API's additions to ListUsers."""

    def test_name_contains_matches_any_case(self, signed, root_key, ctx):
        for name in ("alice", "malice", "bob"):
            users.create_user(ctx, user_name=name)
        assert names(signed("GET", USERS + "?name_contains=LiC", root_key)) == ["alice", "malice"]

    def test_group_lists_its_members_only(self, signed, root_key, ctx):
        for name in ("ann", "ben", "cat"):
            users.create_user(ctx, user_name=name)
        groups.create_group(ctx, group_name="Admins")
        for name in ("cat", "ann"):
            groups.add_user_to_group(ctx, group_name="Admins", user_name=name)
        assert names(signed("GET", USERS + "?group=admins", root_key)) == ["ann", "cat"]
        assert names(signed("GET", USERS + "?group=nogroup", root_key)) == []

    def test_ordering_by_create_date_either_way(self, signed, root_key, ctx):
        for offset, name in ((3, "old"), (1, "new"), (2, "mid")):
            user = users.create_user(ctx, user_name=name)
            User.objects.filter(pk=user.pk).update(created=user.created - timedelta(days=offset))
        assert names(signed("GET", USERS + "?ordering=create_date", root_key)) == ["old", "mid", "new"]
        assert names(signed("GET", USERS + "?ordering=-create_date", root_key)) == ["new", "mid", "old"]
        assert names(signed("GET", USERS + "?ordering=-user_name", root_key)) == ["old", "new", "mid"]

    def test_filtering_by_group_needs_the_group_read_on_every_user(self, signed, ctx, acct):
        iam_user(ctx, "lister")
        f.put_user_policy(User.objects.get(user_name="lister"), "list", f.allow("iam:ListUsers"))
        key = issue_key(ctx, "lister")
        assert signed("GET", USERS, key).status_code == 200
        response = signed("GET", USERS + "?group=admins", key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "lister", "iam:ListGroupsForUser", f"arn:aws:iam::{acct}:user/*"),
        )


class CreateUserTests:
    def test_creates_the_user_and_answers_201_with_it_and_its_url(self, signed, root_key, acct):
        response = signed(
            "POST",
            USERS,
            root_key,
            {"user_name": "alice", "path": "/eng/", "tags": [{"key": "team", "value": "web"}]},
        )
        assert response.status_code == 201
        user = User.objects.get(user_name="alice")
        assert response.json() == {
            "user_name": "alice",
            "user_id": user.user_id,
            "arn": f"arn:aws:iam::{acct}:user/eng/alice",
            "path": "/eng/",
            "create_date": user.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "password_last_used": None,
            "permissions_boundary": None,
            "tags": [{"key": "team", "value": "web"}],
        }
        assert user.user_id.startswith("AIDA") and len(user.user_id) == 21
        assert response["Location"] == f"http://{HOST}/api/v1/users/alice/"
        assert response["Cache-Control"] == "no-store"

    def test_one_audit_row_on_the_rest_channel_with_the_key_and_request_id(self, signed, root_key, acct):
        response = signed("POST", USERS, root_key, {"user_name": "alice"})
        event = AuditEvent.objects.get(action="iam:CreateUser")
        assert (event.outcome, event.channel, event.access_key_id, event.actor_arn, event.target_arn) == (
            "success",
            "rest",
            root_key.access_key_id,
            f"arn:aws:iam::{acct}:root",
            f"arn:aws:iam::{acct}:user/alice",
        )
        assert event.request_id == response["x-amzn-RequestId"]

    def test_a_permissions_boundary_is_set_and_shown(self, signed, root_key, acct):
        boundary = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
        response = signed("POST", USERS, root_key, {"user_name": "b", "permissions_boundary": boundary})
        assert response.status_code == 201
        assert response.json()["permissions_boundary"] == {
            "permissions_boundary_type": "PermissionsBoundaryPolicy",
            "permissions_boundary_arn": boundary,
        }

    def test_a_boundary_that_does_not_exist_is_no_such_entity(self, signed, root_key, acct):
        arn = f"arn:aws:iam::{acct}:policy/missing"
        response = signed("POST", USERS, root_key, {"user_name": "b", "permissions_boundary": arn})
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"Scope ARN: {arn} does not exist or is not attachable.",
        )

    def test_a_taken_name_in_any_case_is_entity_already_exists_and_audited(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        response = signed("POST", USERS, root_key, {"user_name": "ALICE"})
        assert error(response) == (409, "EntityAlreadyExists", "User with name ALICE already exists.")
        assert rest_events("iam:CreateUser") == [
            ("success", "", "internal"),
            ("failed", "EntityAlreadyExists", "rest"),
        ]

    def test_invalid_fields_are_named_and_nothing_is_written(self, signed, root_key):
        response = signed(
            "POST",
            USERS,
            root_key,
            {"user_name": "no spaces", "path": "eng", "tags": [{"key": "ok"}, {"value": "v"}]},
        )
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "ValidationError",
            "message": "3 validation errors detected: user_name: Use letters, digits and +=,.@_- only; "
            "path: Must be / or begin and end with / (printable ASCII between); "
            "tags.1.key: This field is required",
            "fields": {
                "user_name": ["Use letters, digits and +=,.@_- only."],
                "path": ["Must be / or begin and end with / (printable ASCII between)."],
                "tags.1.key": ["This field is required."],
            },
        }
        assert not User.objects.filter(is_root=False).exists()
        assert rest_events("iam:CreateUser") == []  # refused before the service: nothing was attempted

    def test_a_missing_name_and_a_body_that_is_not_json(self, signed, api, root_key):
        response = signed("POST", USERS, root_key, {})
        assert response.json()["error"]["fields"] == {"user_name": ["This field is required."]}
        body = b"{not json"
        headers = sign("POST", USERS, root_key, body, content_type="application/json")
        response = api.generic("POST", USERS, body, "application/json", HTTP_HOST=HOST, **as_meta(headers))
        status, code, message = error(response)
        assert (status, code) == (400, "ValidationError")
        assert message.startswith("JSON parse error")

    def test_tags_the_service_refuses_are_its_aws_error(self, signed, root_key):
        tags = [{"key": "Team", "value": "a"}, {"key": "team", "value": "b"}]
        response = signed("POST", USERS, root_key, {"user_name": "t", "tags": tags})
        assert error(response) == (
            400,
            "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        )

    def test_an_iam_user_without_a_policy_is_denied_with_awss_message_and_audited(
        self, signed, nobody_key, acct
    ):
        response = signed("POST", USERS, nobody_key, {"user_name": "sneaky"})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateUser", f"arn:aws:iam::{acct}:user/sneaky"),
        )
        assert not User.objects.filter(user_name="sneaky").exists()
        denied = AuditEvent.objects.get(action="iam:CreateUser", channel="rest")
        assert (denied.outcome, denied.error_code, denied.channel, denied.access_key_id) == (
            "denied",
            "AccessDenied",
            "rest",
            nobody_key.access_key_id,
        )


class GetUserTests:
    def test_answers_the_user_with_boundary_and_tags_by_key(self, signed, root_key, ctx, acct):
        users.create_user(
            ctx,
            user_name="alice",
            permissions_boundary=READ_ONLY,
            tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "1"}],
        )
        response = signed("GET", USERS + "alice/", root_key)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == DETAIL_FIELDS
        assert ISO_Z.fullmatch(body["create_date"])
        assert body["tags"] == [{"key": "A", "value": "1"}, {"key": "b", "value": "2"}]
        assert body["permissions_boundary"]["permissions_boundary_arn"] == READ_ONLY

    def test_names_are_case_insensitive_as_in_iam(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="Alice")
        assert signed("GET", USERS + "ALICE/", root_key).json()["user_name"] == "Alice"

    def test_a_user_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("GET", USERS + "ghost/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")

    def test_a_name_with_at_sign_is_a_path_segment(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice@example.com")
        response = signed("GET", USERS + "alice@example.com/", root_key)
        assert (response.status_code, response.json()["user_name"]) == (200, "alice@example.com")

    def test_arn_and_id_are_those_the_query_api_returns(self, api, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice", path="/eng/")
        rest = signed("GET", USERS + "alice/", root_key).json()
        body = b"Action=GetUser&UserName=alice&Version=2010-05-08"
        content_type = "application/x-www-form-urlencoded; charset=utf-8"
        headers = sign("POST", "/", root_key, body, content_type=content_type)
        answer = api.generic("POST", "/", body, content_type, HTTP_HOST=HOST, **as_meta(headers))
        assert answer.status_code == 200
        ns = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/"}
        member = ElementTree.fromstring(answer.content).find("iam:GetUserResult/iam:User", ns)
        query = {child.tag.split("}")[1]: child.text for child in member}
        assert (rest["arn"], rest["user_id"], rest["path"], rest["create_date"]) == (
            query["Arn"],
            query["UserId"],
            query["Path"],
            query["CreateDate"],
        )

    def test_a_read_only_user_may_read_and_a_user_without_policy_may_not(self, signed, ctx, nobody_key, acct):
        iam_user(ctx, "reader", READ_ONLY)
        reader = issue_key(ctx, "reader")
        assert signed("GET", USERS + "nobody/", reader).status_code == 200
        response = signed("GET", USERS + "reader/", nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetUser", f"arn:aws:iam::{acct}:user/reader"),
        )
        assert rest_events("iam:GetUser") == [("denied", "AccessDenied", "rest")]


class UpdateUserTests:
    def test_renames_and_moves_the_user(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice")
        response = signed(
            "PATCH", USERS + "alice/", root_key, {"new_user_name": "alicia", "new_path": "/eng/"}
        )
        assert response.status_code == 200
        assert (response.json()["user_name"], response.json()["arn"]) == (
            "alicia",
            f"arn:aws:iam::{acct}:user/eng/alicia",
        )
        assert list(User.objects.filter(is_root=False).values_list("user_name", "path")) == [
            ("alicia", "/eng/")
        ]
        assert rest_events("iam:UpdateUser") == [("success", "", "rest")]

    def test_a_taken_new_name_is_entity_already_exists(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        users.create_user(ctx, user_name="bob")
        response = signed("PATCH", USERS + "alice/", root_key, {"new_user_name": "BOB"})
        assert error(response) == (409, "EntityAlreadyExists", "User with name BOB already exists.")
        assert rest_events("iam:UpdateUser") == [("failed", "EntityAlreadyExists", "rest")]

    def test_a_bad_new_path_names_the_field(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        response = signed("PATCH", USERS + "alice/", root_key, {"new_path": "/no-end"})
        assert response.json()["error"]["fields"] == {
            "new_path": ["Must be / or begin and end with / (printable ASCII between)."]
        }

    def test_denied_without_a_policy(self, signed, ctx, nobody_key, acct):
        users.create_user(ctx, user_name="alice")
        response = signed("PATCH", USERS + "alice/", nobody_key, {"new_user_name": "mallory"})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UpdateUser", f"arn:aws:iam::{acct}:user/alice"),
        )
        assert rest_events("iam:UpdateUser") == [("denied", "AccessDenied", "rest")]


class DeleteUserTests:
    def test_deletes_the_user_with_204(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        response = signed("DELETE", USERS + "alice/", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not User.objects.filter(user_name="alice").exists()
        assert rest_events("iam:DeleteUser") == [("success", "", "rest")]

    def test_a_user_with_an_access_key_is_a_409_delete_conflict(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        issue_key(ctx, "alice")
        response = signed("DELETE", USERS + "alice/", root_key)
        assert error(response) == (
            409,
            "DeleteConflict",
            "Cannot delete entity, must delete access keys first.",
        )
        assert User.objects.filter(user_name="alice").exists()
        assert rest_events("iam:DeleteUser") == [("failed", "DeleteConflict", "rest")]

    def test_a_user_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("DELETE", USERS + "ghost/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")

    def test_a_read_only_user_is_denied(self, signed, ctx, acct):
        iam_user(ctx, "reader", READ_ONLY)
        response = signed("DELETE", USERS + "reader/", issue_key(ctx, "reader"))
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:DeleteUser", f"arn:aws:iam::{acct}:user/reader"),
        )
        assert rest_events("iam:DeleteUser") == [("denied", "AccessDenied", "rest")]


class UserTagsTests:
    @pytest.fixture
    def alice(self, ctx):
        return users.create_user(ctx, user_name="alice", tags=[{"Key": "team", "Value": "web"}])

    def test_lists_the_tags_by_key_in_pages(self, signed, root_key, ctx, alice):
        users.tag_user(
            ctx, user_name="alice", tags=[{"Key": "Cost", "Value": "1"}, {"Key": "env", "Value": ""}]
        )
        body = signed("GET", USERS + "alice/tags/?max_items=2", root_key).json()
        assert body["items"] == [{"key": "Cost", "value": "1"}, {"key": "env", "value": ""}]
        assert body["is_truncated"] is True
        rest = signed("GET", f"{USERS}alice/tags/?marker={body['marker']}", root_key).json()
        assert rest == {"items": [{"key": "team", "value": "web"}], "is_truncated": False, "marker": None}

    def test_post_adds_and_overwrites_tags_in_any_case(self, signed, root_key, alice):
        response = signed(
            "POST", USERS + "alice/tags/", root_key, {"tags": [{"key": "TEAM", "value": "api"}]}
        )
        assert (response.status_code, response.content) == (204, b"")
        assert User.objects.get(pk=alice.pk).tags == {"TEAM": "api"}
        assert rest_events("iam:TagUser") == [("success", "", "rest")]

    def test_delete_removes_the_keys_given_and_ignores_others(self, signed, root_key, ctx, alice):
        users.tag_user(ctx, user_name="alice", tags=[{"Key": "env", "Value": "prod"}])
        response = signed("DELETE", USERS + "alice/tags/?tag_keys=missing&tag_keys=team", root_key)
        assert response.status_code == 204
        assert User.objects.get(pk=alice.pk).tags == {"env": "prod"}
        assert AuditEvent.objects.get(action="iam:UntagUser").parameters["tag_keys"] == ["missing", "team"]

    def test_delete_without_keys_and_post_without_tags_name_the_field(self, signed, root_key, alice):
        response = signed("DELETE", USERS + "alice/tags/", root_key)
        assert response.json()["error"]["fields"] == {"tag_keys": ["This field is required."]}
        response = signed("POST", USERS + "alice/tags/", root_key, {"tags": []})
        assert response.json()["error"]["fields"] == {"tags": ["Ensure this field has at least 1 elements."]}

    def test_more_than_50_tags_is_limit_exceeded(self, signed, root_key, ctx, alice):
        users.tag_user(ctx, user_name="alice", tags=[{"Key": f"k{i}", "Value": ""} for i in range(49)])
        response = signed("POST", USERS + "alice/tags/", root_key, {"tags": [{"key": "x"}, {"key": "y"}]})
        assert error(response) == (
            409,
            "LimitExceeded",
            "The number of tags has reached the maximum limit of 50.",
        )

    def test_a_user_without_policy_may_neither_read_nor_write_tags(self, signed, nobody_key, alice, acct):
        arn = f"arn:aws:iam::{acct}:user/alice"
        assert error(signed("GET", USERS + "alice/tags/", nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListUserTags", arn),
        )
        assert error(signed("POST", USERS + "alice/tags/", nobody_key, {"tags": [{"key": "a"}]})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:TagUser", arn),
        )
        assert error(signed("DELETE", USERS + "alice/tags/?tag_keys=team", nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UntagUser", arn),
        )
        assert User.objects.get(pk=alice.pk).tags == {"team": "web"}
        assert [rest_events(action) for action in ("iam:ListUserTags", "iam:TagUser", "iam:UntagUser")] == [
            [("denied", "AccessDenied", "rest")]
        ] * 3

    def test_names_with_reserved_characters_work_percent_encoded(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="a+b=c,d@e")
        path = f"{USERS}{quote('a+b=c,d@e', safe='')}/tags/"
        response = signed("POST", path, root_key, {"tags": [{"key": "k", "value": "v"}]})
        assert response.status_code == 204
        assert User.objects.get(user_name="a+b=c,d@e").tags == {"k": "v"}
