"""/api/v1/roles/ through the test client, signed with SigV4: list, create, get, update, delete, the
trust policy, attached and inline policies, the permissions boundary and tags; shapes, AWS codes and
messages, authorization, audit rows, query counts, and real answers checked against the schema."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import threading
from urllib.parse import quote, urlencode

import jsonschema
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, Role
from accounts.services import policy_attachments, roles
from policies import managed
from policies.models import ManagedPolicy
from tests import factories as f

from .conftest import HOST, READ_ONLY, denial, error, iam_user, issue_key
from .test_schema import _json_schema, schema  # noqa: F401  (schema: the module-scoped fixture)

pytestmark = pytest.mark.django_db
ROLES = "/api/v1/roles/"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SUMMARY_FIELDS = {
    "role_name",
    "role_id",
    "arn",
    "path",
    "create_date",
    "assume_role_policy_document",
    "description",
    "max_session_duration",
}
DETAIL_FIELDS = SUMMARY_FIELDS | {"permissions_boundary", "tags"}
# Indented on purpose: the API answers the trust policy exactly as it was written.
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
    indent=2,
)
LAMBDA_TRUST = EC2_TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com")
# "sts:Assume Role" sits on line 5, column 15 of this text.
MALFORMED_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "sts:Assume Role",
    "Principal": {"Service": "ec2.amazonaws.com"}
  }]
}"""
MALFORMED_MESSAGE = (
    "Invalid action: The action 'sts:Assume Role' contains white space; write it as "
    "'sts:AssumeRole'. (line 5, column 15, Statement[0].Action)"
)
S3_READ = (
    '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}'
)


def make_role(ctx, name: str = "app", **kwargs) -> Role:
    return roles.create_role(
        ctx, role_name=name, assume_role_policy_document=kwargs.pop("trust", EC2_TRUST), **kwargs
    )


def names(response, field: str = "role_name") -> list[str]:
    return [item[field] for item in response.json()["items"]]


def rest_events(action: str) -> list[tuple[str, str, str]]:
    """(outcome, error code, channel) of one action's audit rows, oldest first, but the test setup's
    (made through the services on the internal channel)."""
    rows = AuditEvent.objects.filter(action=action).exclude(channel="internal").order_by("pk")
    return list(rows.values_list("outcome", "error_code", "channel"))


def stamp(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def field_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "ValidationError"
    return body["fields"]


def role_arn(acct: str, name: str = "app", path: str = "/") -> str:
    return f"arn:aws:iam::{acct}:role{path}{name}"


def query_count(send) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert send().status_code == 200
    return len(queries)


class ListRolesTests:
    def test_lists_the_accounts_roles_by_name_with_their_trust_policy(self, signed, root_key, ctx, acct):
        for name in ("worker", "App", "batch"):
            make_role(ctx, name, path="/svc/" if name == "worker" else "/")
        response = signed("GET", ROLES, root_key)
        assert response.status_code == 200
        body = response.json()
        assert (set(body), body["is_truncated"], body["marker"]) == (
            {"items", "is_truncated", "marker"},
            False,
            None,
        )
        assert names(response) == ["App", "batch", "worker"]
        app = Role.objects.get(role_name="App")
        assert body["items"][0] == {
            "role_name": "App",
            "role_id": app.role_id,
            "arn": role_arn(acct, "App"),
            "path": "/",
            "create_date": stamp(app.created),
            "assume_role_policy_document": EC2_TRUST,
            "description": None,
            "max_session_duration": 3600,
        }
        assert body["items"][2]["arn"] == role_arn(acct, "worker", "/svc/")

    def test_another_accounts_roles_are_not_listed(self, signed, root_key, ctx):
        make_role(f.root_context(), "theirs")
        make_role(ctx, "ours")
        assert names(signed("GET", ROLES, root_key)) == ["ours"]

    def test_path_prefix_filters_as_list_roles_does(self, signed, root_key, ctx):
        make_role(ctx, "a", path="/svc/")
        make_role(ctx, "b", path="/svc/batch/")
        make_role(ctx, "c", path="/ops/")
        assert names(signed("GET", ROLES + "?path_prefix=%2Fsvc%2F", root_key)) == ["a", "b"]
        assert names(signed("GET", ROLES + "?path_prefix=/svc/batch/", root_key)) == ["b"]

    def test_pages_follow_the_marker_until_the_last(self, signed, root_key, ctx):
        for name in ("r1", "r2", "r3"):
            make_role(ctx, name)
        first = signed("GET", ROLES + "?max_items=2", root_key).json()
        assert ([r["role_name"] for r in first["items"]], first["is_truncated"]) == (["r1", "r2"], True)
        last = signed("GET", f"{ROLES}?marker={first['marker']}&max_items=2", root_key).json()
        assert ([r["role_name"] for r in last["items"]], last["is_truncated"], last["marker"]) == (
            ["r3"],
            False,
            None,
        )

    def test_a_bad_path_prefix_is_a_validation_error_naming_it(self, signed, root_key):
        response = signed("GET", ROLES + "?path_prefix=svc", root_key)
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: path_prefix: Must begin with / (printable ASCII after)",
        )
        assert response.json()["error"]["fields"] == {
            "path_prefix": ["Must begin with / (printable ASCII after)."]
        }

    def test_the_number_of_queries_does_not_grow_with_the_roles(
        self, signed, root_key, ctx, django_assert_max_num_queries
    ):
        boundary = f.managed_policy(ctx.account, "cap", f.allow())
        make_role(ctx, "first", permissions_boundary=boundary.arn, tags=[{"Key": "k", "Value": "v"}])
        signed("GET", ROLES, root_key)  # warm the policy cache (as any later request finds it)
        few = query_count(lambda: signed("GET", ROLES, root_key))
        for i in range(20):
            make_role(ctx, f"more{i:02}", description=f"role {i}")
        with django_assert_max_num_queries(few):
            assert len(signed("GET", ROLES, root_key).json()["items"]) == 21

    def test_a_user_without_policy_is_denied_on_the_accounts_roles(self, signed, nobody_key, acct):
        response = signed("GET", ROLES, nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListRoles", f"arn:aws:iam::{acct}:role/"),
        )
        assert rest_events("iam:ListRoles") == [("denied", "AccessDenied", "rest")]


class CreateRoleTests:
    def test_creates_the_role_and_answers_201_with_it_and_its_url(self, signed, root_key, acct):
        response = signed(
            "POST", ROLES, root_key, {"role_name": "app", "assume_role_policy_document": EC2_TRUST}
        )
        assert response.status_code == 201
        role = Role.objects.get(role_name="app")
        assert response.json() == {
            "role_name": "app",
            "role_id": role.role_id,
            "arn": role_arn(acct),
            "path": "/",
            "create_date": stamp(role.created),
            "assume_role_policy_document": EC2_TRUST,
            "description": None,
            "max_session_duration": 3600,
            "permissions_boundary": None,
            "tags": [],
        }
        assert role.role_id.startswith("AROA") and role.assume_role_policy_document == EC2_TRUST
        assert response["Location"] == f"http://{HOST}/api/v1/roles/app/"
        assert response["Cache-Control"] == "no-store"

    def test_every_member_is_set_and_shown(self, signed, root_key, ctx, acct):
        boundary = f.managed_policy(ctx.account, "cap", f.allow("s3:*"))
        response = signed(
            "POST",
            ROLES,
            root_key,
            {
                "role_name": "worker",
                "path": "/service-role/",
                "assume_role_policy_document": LAMBDA_TRUST,
                "description": "Runs the nightly jobs, café",
                "max_session_duration": 43200,
                "permissions_boundary": boundary.arn,
                "tags": [{"key": "team", "value": "blue"}, {"key": "Cost"}],
            },
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["arn"], body["path"], body["description"], body["max_session_duration"]) == (
            role_arn(acct, "worker", "/service-role/"),
            "/service-role/",
            "Runs the nightly jobs, café",
            43200,
        )
        assert body["permissions_boundary"] == {
            "permissions_boundary_type": "PermissionsBoundaryPolicy",
            "permissions_boundary_arn": boundary.arn,
        }
        assert body["tags"] == [{"key": "Cost", "value": ""}, {"key": "team", "value": "blue"}]
        role = Role.objects.get()
        assert (role.tags, role.permissions_boundary_id) == ({"team": "blue", "Cost": ""}, boundary.pk)

    def test_one_audit_row_on_the_rest_channel_with_the_key_and_request_id(self, signed, root_key, acct):
        response = signed(
            "POST", ROLES, root_key, {"role_name": "app", "assume_role_policy_document": EC2_TRUST}
        )
        event = AuditEvent.objects.get(action="iam:CreateRole")
        assert (event.outcome, event.channel, event.access_key_id, event.target_arn, event.request_id) == (
            "success",
            "rest",
            root_key.access_key_id,
            role_arn(acct),
            response["x-amzn-RequestId"],
        )
        assert event.parameters["assume_role_policy_document"] == EC2_TRUST

    def test_a_malformed_trust_policy_says_what_and_where_and_creates_nothing(self, signed, root_key):
        response = signed(
            "POST", ROLES, root_key, {"role_name": "app", "assume_role_policy_document": MALFORMED_TRUST}
        )
        assert error(response) == (400, "MalformedPolicyDocument", MALFORMED_MESSAGE)
        assert Role.objects.count() == 0
        assert rest_events("iam:CreateRole") == []  # a bad request is no audited attempt

    def test_a_trust_policy_over_the_size_quota_is_limit_exceeded(self, signed, root_key):
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x" * 2100}},
        }
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        response = signed(
            "POST", ROLES, root_key, {"role_name": "app", "assume_role_policy_document": document}
        )
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")

    def test_the_document_must_be_the_json_text_not_an_object(self, signed, root_key):
        response = signed(
            "POST",
            ROLES,
            root_key,
            {"role_name": "app", "assume_role_policy_document": json.loads(EC2_TRUST)},
        )
        assert field_errors(response) == {"assume_role_policy_document": ["Not a valid string."]}

    def test_missing_and_out_of_range_members_are_named(self, signed, root_key):
        response = signed("POST", ROLES, root_key, {"max_session_duration": 3599, "role_name": "a b"})
        assert field_errors(response) == {
            "role_name": ["Use letters, digits and +=,.@_- only."],
            "assume_role_policy_document": ["This field is required."],
            "max_session_duration": ["Ensure this value is greater than or equal to 3600."],
        }
        response = signed(
            "POST",
            ROLES,
            root_key,
            {"role_name": "r" * 65, "assume_role_policy_document": EC2_TRUST, "max_session_duration": 43201},
        )
        assert field_errors(response) == {
            "role_name": ["Ensure this field has no more than 64 characters."],
            "max_session_duration": ["Ensure this value is less than or equal to 43200."],
        }

    def test_a_taken_name_in_any_case_is_entity_already_exists(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed(
            "POST", ROLES, root_key, {"role_name": "APP", "assume_role_policy_document": EC2_TRUST}
        )
        assert error(response) == (409, "EntityAlreadyExists", "Role with name APP already exists.")
        assert rest_events("iam:CreateRole") == [("failed", "EntityAlreadyExists", "rest")]

    def test_a_boundary_that_does_not_exist_is_no_such_entity(self, signed, root_key, acct):
        arn = f"arn:aws:iam::{acct}:policy/nothing"
        response = signed(
            "POST",
            ROLES,
            root_key,
            {"role_name": "app", "assume_role_policy_document": EC2_TRUST, "permissions_boundary": arn},
        )
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"Scope ARN: {arn} does not exist or is not attachable.",
        )
        assert Role.objects.count() == 0

    def test_a_user_without_policy_is_denied_and_the_denial_audited(self, signed, nobody_key, acct):
        response = signed(
            "POST", ROLES, nobody_key, {"role_name": "app", "assume_role_policy_document": EC2_TRUST}
        )
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateRole", role_arn(acct)),
        )
        assert Role.objects.count() == 0
        assert rest_events("iam:CreateRole") == [("denied", "AccessDenied", "rest")]


class GetRoleTests:
    def test_answers_the_role_with_its_trust_policy_boundary_and_tags(self, signed, root_key, ctx, acct):
        boundary = f.managed_policy(ctx.account, "cap", f.allow())
        role = make_role(
            ctx,
            "app",
            description="the app",
            permissions_boundary=boundary.arn,
            tags=[{"Key": "team", "Value": "web"}, {"Key": "Env", "Value": "prod"}],
        )
        response = signed("GET", ROLES + "APP/", root_key)  # names are case-insensitive
        assert response.status_code == 200
        assert response.json() == {
            "role_name": "app",
            "role_id": role.role_id,
            "arn": role_arn(acct),
            "path": "/",
            "create_date": stamp(role.created),
            "assume_role_policy_document": EC2_TRUST,
            "description": "the app",
            "max_session_duration": 3600,
            "permissions_boundary": {
                "permissions_boundary_type": "PermissionsBoundaryPolicy",
                "permissions_boundary_arn": boundary.arn,
            },
            "tags": [{"key": "Env", "value": "prod"}, {"key": "team", "value": "web"}],
        }
        assert set(response.json()) == DETAIL_FIELDS

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("GET", ROLES + "ghost/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_names_with_reserved_characters_work_percent_encoded(self, signed, root_key, ctx):
        make_role(ctx, "a+b=c,d@e")
        response = signed("GET", f"{ROLES}{quote('a+b=c,d@e', safe='')}/", root_key)
        assert (response.status_code, response.json()["role_name"]) == (200, "a+b=c,d@e")

    def test_a_user_without_policy_is_denied(self, signed, ctx, nobody_key, acct):
        make_role(ctx, "app")
        response = signed("GET", ROLES + "app/", nobody_key)
        assert error(response) == (403, "AccessDenied", denial(acct, "nobody", "iam:GetRole", role_arn(acct)))
        assert rest_events("iam:GetRole") == [("denied", "AccessDenied", "rest")]

    def test_a_read_only_user_may_read_roles(self, signed, ctx):
        make_role(ctx, "app")
        iam_user(ctx, "reader", READ_ONLY)
        key = issue_key(ctx, "reader")
        assert signed("GET", ROLES + "app/", key).json()["role_name"] == "app"
        assert names(signed("GET", ROLES, key)) == ["app"]


class UpdateRoleTests:
    def test_changes_the_description_and_duration_and_answers_the_role(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed(
            "PATCH", ROLES + "app/", root_key, {"description": "new", "max_session_duration": 7200}
        )
        assert response.status_code == 200
        body = response.json()
        assert (set(body), body["description"], body["max_session_duration"]) == (DETAIL_FIELDS, "new", 7200)
        role = Role.objects.get()
        assert (role.description, role.max_session_duration) == ("new", 7200)
        event = AuditEvent.objects.get(action="iam:UpdateRole")
        assert (event.outcome, event.channel, event.parameters) == (
            "success",
            "rest",
            {"role_name": "app", "description": "new", "max_session_duration": 7200},
        )

    def test_members_left_out_stay_and_an_empty_description_clears_it(self, signed, root_key, ctx):
        make_role(ctx, "app", description="old", max_session_duration=7200)
        assert (
            signed("PATCH", ROLES + "app/", root_key, {"max_session_duration": 3600}).json()["description"]
            == "old"
        )
        body = signed("PATCH", ROLES + "app/", root_key, {"description": ""}).json()
        assert (body["description"], body["max_session_duration"]) == (None, 3600)
        assert Role.objects.get().description == ""

    def test_a_duration_out_of_range_is_named(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("PATCH", ROLES + "app/", root_key, {"max_session_duration": 50000})
        assert field_errors(response) == {
            "max_session_duration": ["Ensure this value is less than or equal to 43200."]
        }
        assert rest_events("iam:UpdateRole") == []

    def test_a_description_outside_the_models_characters_is_the_services_validation_error(
        self, signed, root_key, ctx
    ):
        make_role(ctx, "app")
        response = signed("PATCH", ROLES + "app/", root_key, {"description": "emoji \U0001f600"})
        status, code, message = error(response)
        assert (status, code) == (400, "ValidationError")
        assert message == (
            "1 validation error detected: Value 'emoji \U0001f600' at 'description' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: "
            r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"
        )

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("PATCH", ROLES + "ghost/", root_key, {"description": "x"})
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_a_user_without_policy_is_denied_and_nothing_changes(self, signed, ctx, nobody_key, acct):
        make_role(ctx, "app")
        response = signed("PATCH", ROLES + "app/", nobody_key, {"description": "mine"})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UpdateRole", role_arn(acct)),
        )
        assert Role.objects.get().description == ""
        assert rest_events("iam:UpdateRole") == [("denied", "AccessDenied", "rest")]


class DeleteRoleTests:
    def test_deletes_the_role_with_204(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("DELETE", ROLES + "app/", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not Role.objects.exists()
        assert rest_events("iam:DeleteRole") == [("success", "", "rest")]

    def test_a_role_with_an_inline_policy_is_a_delete_conflict(self, signed, root_key, ctx):
        make_role(ctx, "app")
        policy_attachments.put_role_policy(ctx, role_name="app", policy_name="s3", policy_document=S3_READ)
        response = signed("DELETE", ROLES + "app/", root_key)
        assert error(response) == (409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
        assert Role.objects.exists()
        assert rest_events("iam:DeleteRole") == [("failed", "DeleteConflict", "rest")]

    def test_a_role_with_an_attached_policy_is_a_delete_conflict(self, signed, root_key, ctx):
        make_role(ctx, "app")
        policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=READ_ONLY)
        response = signed("DELETE", ROLES + "app/", root_key)
        assert error(response) == (
            409,
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
        )

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("DELETE", ROLES + "ghost/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_a_read_only_user_is_denied(self, signed, ctx, acct):
        make_role(ctx, "app")
        iam_user(ctx, "reader", READ_ONLY)
        response = signed("DELETE", ROLES + "app/", issue_key(ctx, "reader"))
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:DeleteRole", role_arn(acct)),
        )
        assert Role.objects.exists()
        assert rest_events("iam:DeleteRole") == [("denied", "AccessDenied", "rest")]


class TrustPolicyTests:
    def test_put_replaces_the_trust_policy_exactly_as_written(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("PUT", ROLES + "app/trust-policy/", root_key, {"policy_document": LAMBDA_TRUST})
        assert (response.status_code, response.content) == (204, b"")
        assert Role.objects.get().assume_role_policy_document == LAMBDA_TRUST
        assert signed("GET", ROLES + "app/", root_key).json()["assume_role_policy_document"] == LAMBDA_TRUST
        assert rest_events("iam:UpdateAssumeRolePolicy") == [("success", "", "rest")]

    def test_a_malformed_trust_policy_says_where_and_changes_nothing(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("PUT", ROLES + "app/trust-policy/", root_key, {"policy_document": MALFORMED_TRUST})
        assert error(response) == (400, "MalformedPolicyDocument", MALFORMED_MESSAGE)
        assert Role.objects.get().assume_role_policy_document == EC2_TRUST

    def test_a_permissions_policy_is_no_trust_policy(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("PUT", ROLES + "app/trust-policy/", root_key, {"policy_document": S3_READ})
        status, code, message = error(response)
        assert (status, code) == (400, "MalformedPolicyDocument")
        assert message.startswith(
            "Role trust policy syntax error: A role trust policy must not have a Resource"
        )

    def test_without_a_document_the_field_is_named(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("PUT", ROLES + "app/trust-policy/", root_key, {"policy_document": ""})
        assert field_errors(response) == {"policy_document": ["This field may not be blank."]}

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("PUT", ROLES + "ghost/trust-policy/", root_key, {"policy_document": EC2_TRUST})
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_a_user_without_policy_is_denied(self, signed, ctx, nobody_key, acct):
        make_role(ctx, "app")
        response = signed("PUT", ROLES + "app/trust-policy/", nobody_key, {"policy_document": LAMBDA_TRUST})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UpdateAssumeRolePolicy", role_arn(acct)),
        )
        assert Role.objects.get().assume_role_policy_document == EC2_TRUST
        assert rest_events("iam:UpdateAssumeRolePolicy") == [("denied", "AccessDenied", "rest")]

    def test_only_put_is_allowed(self, signed, root_key, ctx):
        make_role(ctx, "app")
        response = signed("GET", ROLES + "app/trust-policy/", root_key)
        assert error(response) == (405, "MethodNotAllowed", 'Method "GET" not allowed.')


class AttachedPoliciesTests:
    PATH = ROLES + "app/attached-policies/"

    @pytest.fixture
    def app(self, ctx):
        return make_role(ctx, "app")

    def detach(self, arn: str) -> str:
        return f"{self.PATH}?{urlencode({'policy_arn': arn})}"

    def test_attach_list_and_detach(self, signed, root_key, ctx, app, acct):
        mine = f.managed_policy(ctx.account, "Deploy", f.allow("s3:*"), path="/team/")
        for arn in (READ_ONLY, mine.arn):
            response = signed("POST", self.PATH, root_key, {"policy_arn": arn})
            assert (response.status_code, response.content) == (204, b"")
        body = signed("GET", self.PATH, root_key).json()
        assert body == {
            "items": [
                {"policy_name": "Deploy", "policy_arn": f"arn:aws:iam::{acct}:policy/team/Deploy"},
                {"policy_name": "IAMReadOnlyAccess", "policy_arn": READ_ONLY},
            ],
            "is_truncated": False,
            "marker": None,
        }
        assert names(signed("GET", self.PATH + "?path_prefix=/team/", root_key), "policy_name") == ["Deploy"]
        response = signed("DELETE", self.detach(READ_ONLY), root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert names(signed("GET", self.PATH, root_key), "policy_name") == ["Deploy"]
        assert rest_events("iam:AttachRolePolicy") == [("success", "", "rest")] * 2
        event = AuditEvent.objects.get(action="iam:DetachRolePolicy")
        assert (event.outcome, event.channel, event.target_arn, event.parameters) == (
            "success",
            "rest",
            role_arn(acct),
            {"role_name": "app", "policy_arn": READ_ONLY},
        )

    def test_attaching_an_attached_policy_again_changes_nothing(self, signed, root_key, app):
        for _ in range(2):
            assert signed("POST", self.PATH, root_key, {"policy_arn": READ_ONLY}).status_code == 204
        assert names(signed("GET", self.PATH, root_key), "policy_name") == ["IAMReadOnlyAccess"]

    def test_pages_follow_the_marker(self, signed, root_key, ctx, app):
        for name in ("p1", "p2", "p3"):
            policy = f.managed_policy(ctx.account, name, f.allow())
            policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=policy.arn)
        first = signed("GET", self.PATH + "?max_items=2", root_key).json()
        assert ([p["policy_name"] for p in first["items"]], first["is_truncated"]) == (["p1", "p2"], True)
        last = signed("GET", f"{self.PATH}?marker={first['marker']}", root_key).json()
        assert ([p["policy_name"] for p in last["items"]], last["marker"]) == (["p3"], None)

    def test_an_eleventh_policy_is_limit_exceeded(self, signed, root_key, ctx, app):
        for i in range(10):
            policy = f.managed_policy(ctx.account, f"p{i}", f.allow())
            policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=policy.arn)
        response = signed("POST", self.PATH, root_key, {"policy_arn": READ_ONLY})
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
        assert rest_events("iam:AttachRolePolicy")[-1] == ("failed", "LimitExceeded", "rest")

    def test_a_policy_that_does_not_exist_is_no_such_entity(self, signed, root_key, app, acct):
        arn = f"arn:aws:iam::{acct}:policy/nothing"
        response = signed("POST", self.PATH, root_key, {"policy_arn": arn})
        assert error(response) == (404, "NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")

    def test_something_that_is_no_arn_is_invalid_input(self, signed, root_key, app):
        response = signed("POST", self.PATH, root_key, {"policy_arn": "IAMReadOnlyAccess-policy"})
        assert error(response) == (400, "InvalidInput", "ARN IAMReadOnlyAccess-policy is not valid.")

    def test_detaching_a_policy_that_is_not_attached_is_no_such_entity(self, signed, root_key, app):
        response = signed("DELETE", self.detach(READ_ONLY), root_key)
        assert error(response) == (404, "NoSuchEntity", f"Policy {READ_ONLY} was not found.")
        assert rest_events("iam:DetachRolePolicy") == [("failed", "NoSuchEntity", "rest")]

    def test_detach_without_an_arn_and_attach_without_one_name_the_field(self, signed, root_key, app):
        assert field_errors(signed("DELETE", self.PATH, root_key)) == {
            "policy_arn": ["This field is required."]
        }
        assert field_errors(signed("POST", self.PATH, root_key, {"policy_arn": "arn:aws"})) == {
            "policy_arn": ["Ensure this field has at least 20 characters."]
        }

    def test_a_path_prefix_that_is_no_policy_path_is_named(self, signed, root_key, app):
        assert field_errors(signed("GET", self.PATH + "?path_prefix=team", root_key)) == {
            "path_prefix": ["Must be / or /segments/ of letters, digits and .,+@=_- (a policy path)."]
        }

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("GET", ROLES + "ghost/attached-policies/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_the_number_of_queries_does_not_grow_with_the_policies(
        self, signed, root_key, ctx, app, django_assert_max_num_queries
    ):
        policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=READ_ONLY)
        signed("GET", self.PATH, root_key)  # warm the policy cache
        few = query_count(lambda: signed("GET", self.PATH, root_key))
        for i in range(9):
            policy = f.managed_policy(ctx.account, f"p{i}", f.allow())
            policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=policy.arn)
        with django_assert_max_num_queries(few):
            assert len(signed("GET", self.PATH, root_key).json()["items"]) == 10

    def test_a_user_without_policy_may_neither_list_attach_nor_detach(
        self, signed, ctx, nobody_key, app, acct
    ):
        policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=READ_ONLY)
        arn = role_arn(acct)
        assert error(signed("GET", self.PATH, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListAttachedRolePolicies", arn),
        )
        admin = "arn:aws:iam::aws:policy/AdministratorAccess"
        assert error(signed("POST", self.PATH, nobody_key, {"policy_arn": admin})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:AttachRolePolicy", arn),
        )
        assert error(signed("DELETE", self.detach(READ_ONLY), nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DetachRolePolicy", arn),
        )
        assert list(app.policy_attachments.values_list("policy__arn", flat=True)) == [READ_ONLY]
        assert [
            rest_events(action)
            for action in ("iam:ListAttachedRolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy")
        ] == [[("denied", "AccessDenied", "rest")]] * 3


class InlinePoliciesTests:
    PATH = ROLES + "app/policies/"

    @pytest.fixture
    def app(self, ctx):
        return make_role(ctx, "app")

    def test_put_list_get_and_delete(self, signed, root_key, app, acct):
        for name in ("s3", "logs"):
            response = signed("PUT", f"{self.PATH}{name}/", root_key, {"policy_document": S3_READ})
            assert (response.status_code, response.content) == (204, b"")
        assert signed("GET", self.PATH, root_key).json() == {
            "items": [{"policy_name": "logs"}, {"policy_name": "s3"}],
            "is_truncated": False,
            "marker": None,
        }
        response = signed("GET", self.PATH + "s3/", root_key)
        assert (response.status_code, response.json()) == (
            200,
            {"role_name": "app", "policy_name": "s3", "policy_document": S3_READ},
        )
        response = signed("DELETE", self.PATH + "logs/", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert names(signed("GET", self.PATH, root_key), "policy_name") == ["s3"]
        event = AuditEvent.objects.get(action="iam:PutRolePolicy", parameters__policy_name="s3")
        assert (event.outcome, event.channel, event.target_arn) == ("success", "rest", role_arn(acct))
        assert event.parameters == {"role_name": "app", "policy_name": "s3", "policy_document": S3_READ}
        assert rest_events("iam:DeleteRolePolicy") == [("success", "", "rest")]

    def test_put_replaces_a_namesake(self, signed, root_key, ctx, app):
        policy_attachments.put_role_policy(ctx, role_name="app", policy_name="s3", policy_document=S3_READ)
        other = S3_READ.replace("s3:Get*", "s3:List*")
        assert signed("PUT", self.PATH + "s3/", root_key, {"policy_document": other}).status_code == 204
        assert signed("GET", self.PATH + "s3/", root_key).json()["policy_document"] == other
        assert list(app.inline_policies.values_list("policy_name", "document")) == [("s3", other)]

    def test_a_policy_that_is_not_there_is_no_such_entity(self, signed, root_key, app):
        for method in ("GET", "DELETE"):
            response = signed(method, self.PATH + "ghost/", root_key)
            assert error(response) == (
                404,
                "NoSuchEntity",
                "The role policy with name ghost cannot be found.",
            )

    def test_a_malformed_document_says_what_and_where(self, signed, root_key, app):
        document = '{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow", "Action": "s3:Get*"}}'
        response = signed("PUT", self.PATH + "s3/", root_key, {"policy_document": document})
        status, code, message = error(response)
        assert (status, code) == (400, "MalformedPolicyDocument")
        assert "(line 2" in message
        assert rest_events("iam:PutRolePolicy") == []

    def test_policies_over_the_roles_size_quota_are_limit_exceeded(self, signed, root_key, ctx, app):
        big = f.document(f.allow([f"s3:Get{'x' * 40}{i}" for i in range(180)]))
        policy_attachments.put_role_policy(ctx, role_name="app", policy_name="one", policy_document=big)
        response = signed("PUT", self.PATH + "two/", root_key, {"policy_document": big})
        assert error(response) == (
            409,
            "LimitExceeded",
            "Maximum policy size of 10240 bytes exceeded for role app",
        )

    def test_the_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("PUT", ROLES + "ghost/policies/s3/", root_key, {"policy_document": S3_READ})
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")
        response = signed("GET", ROLES + "ghost/policies/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_the_number_of_queries_does_not_grow_with_the_policies(
        self, signed, root_key, ctx, app, django_assert_max_num_queries
    ):
        policy_attachments.put_role_policy(ctx, role_name="app", policy_name="p0", policy_document=S3_READ)
        signed("GET", self.PATH, root_key)  # warm the policy cache
        few = query_count(lambda: signed("GET", self.PATH, root_key))
        for i in range(1, 12):
            policy_attachments.put_role_policy(
                ctx, role_name="app", policy_name=f"p{i}", policy_document=S3_READ
            )
        with django_assert_max_num_queries(few):
            assert len(signed("GET", self.PATH, root_key).json()["items"]) == 12

    def test_a_user_without_policy_may_neither_read_nor_write_them(
        self, signed, ctx, root_key, nobody_key, app, acct
    ):
        policy_attachments.put_role_policy(ctx, role_name="app", policy_name="s3", policy_document=S3_READ)
        arn = role_arn(acct)
        calls = [
            ("GET", self.PATH, None, "iam:ListRolePolicies"),
            ("GET", self.PATH + "s3/", None, "iam:GetRolePolicy"),
            (
                "PUT",
                self.PATH + "s3/",
                {"policy_document": S3_READ.replace("Get", "Put")},
                "iam:PutRolePolicy",
            ),
            ("DELETE", self.PATH + "s3/", None, "iam:DeleteRolePolicy"),
        ]
        for method, path, body, action in calls:
            response = signed(method, path, nobody_key, body)
            assert error(response) == (403, "AccessDenied", denial(acct, "nobody", action, arn)), action
            assert rest_events(action) == [("denied", "AccessDenied", "rest")]
        assert signed("GET", self.PATH + "s3/", root_key).json()["policy_document"] == S3_READ


class PermissionsBoundaryTests:
    PATH = ROLES + "app/permissions-boundary/"

    @pytest.fixture
    def app(self, ctx):
        return make_role(ctx, "app")

    def boundary(self, signed, key):
        return signed("GET", ROLES + "app/", key).json()["permissions_boundary"]

    def test_put_sets_and_replaces_and_delete_removes_it(self, signed, root_key, ctx, app, acct):
        mine = f.managed_policy(ctx.account, "cap", f.allow("s3:*"))
        for arn in (READ_ONLY, mine.arn):
            response = signed("PUT", self.PATH, root_key, {"permissions_boundary": arn})
            assert (response.status_code, response.content) == (204, b"")
            assert self.boundary(signed, root_key) == {
                "permissions_boundary_type": "PermissionsBoundaryPolicy",
                "permissions_boundary_arn": arn,
            }
        response = signed("DELETE", self.PATH, root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert self.boundary(signed, root_key) is None
        assert Role.objects.get().permissions_boundary_id is None
        assert rest_events("iam:PutRolePermissionsBoundary") == [("success", "", "rest")] * 2
        event = AuditEvent.objects.get(action="iam:DeleteRolePermissionsBoundary")
        assert (event.outcome, event.channel, event.target_arn) == ("success", "rest", role_arn(acct))

    def test_deleting_when_none_is_set_succeeds(self, signed, root_key, app):
        assert signed("DELETE", self.PATH, root_key).status_code == 204
        assert rest_events("iam:DeleteRolePermissionsBoundary") == [("success", "", "rest")]

    def test_a_boundary_that_does_not_exist_is_no_such_entity(self, signed, root_key, app, acct):
        arn = f"arn:aws:iam::{acct}:policy/nothing"
        response = signed("PUT", self.PATH, root_key, {"permissions_boundary": arn})
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"Scope ARN: {arn} does not exist or is not attachable.",
        )
        assert field_errors(signed("PUT", self.PATH, root_key, {})) == {
            "permissions_boundary": ["This field is required."]
        }

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("DELETE", ROLES + "ghost/permissions-boundary/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_a_user_without_policy_may_neither_set_nor_remove_it(self, signed, ctx, nobody_key, acct):
        make_role(ctx, "app", permissions_boundary=READ_ONLY)
        arn = role_arn(acct)
        response = signed("PUT", self.PATH, nobody_key, {"permissions_boundary": READ_ONLY})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:PutRolePermissionsBoundary", arn),
        )
        assert error(signed("DELETE", self.PATH, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeleteRolePermissionsBoundary", arn),
        )
        assert Role.objects.get().permissions_boundary.arn == READ_ONLY
        assert [
            rest_events(action)
            for action in ("iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary")
        ] == [[("denied", "AccessDenied", "rest")]] * 2


class RoleTagsTests:
    PATH = ROLES + "app/tags/"

    @pytest.fixture
    def app(self, ctx):
        return make_role(ctx, "app", tags=[{"Key": "team", "Value": "web"}])

    def test_lists_the_tags_by_key_in_pages(self, signed, root_key, ctx, app):
        roles.tag_role(
            ctx, role_name="app", tags=[{"Key": "Cost", "Value": "1"}, {"Key": "env", "Value": ""}]
        )
        body = signed("GET", self.PATH + "?max_items=2", root_key).json()
        assert (body["items"], body["is_truncated"]) == (
            [{"key": "Cost", "value": "1"}, {"key": "env", "value": ""}],
            True,
        )
        rest = signed("GET", f"{self.PATH}?marker={body['marker']}", root_key).json()
        assert rest == {"items": [{"key": "team", "value": "web"}], "is_truncated": False, "marker": None}

    def test_post_adds_and_overwrites_tags_in_any_case(self, signed, root_key, app):
        response = signed(
            "POST", self.PATH, root_key, {"tags": [{"key": "TEAM", "value": "api"}, {"key": "x"}]}
        )
        assert (response.status_code, response.content) == (204, b"")
        assert Role.objects.get().tags == {"TEAM": "api", "x": ""}
        assert rest_events("iam:TagRole") == [("success", "", "rest")]

    def test_delete_removes_the_keys_given_and_ignores_others(self, signed, root_key, ctx, app):
        roles.tag_role(ctx, role_name="app", tags=[{"Key": "env", "Value": "prod"}])
        response = signed("DELETE", self.PATH + "?tag_keys=missing&tag_keys=TEAM", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert Role.objects.get().tags == {"env": "prod"}
        event = AuditEvent.objects.get(action="iam:UntagRole")
        assert (event.channel, event.parameters["tag_keys"]) == ("rest", ["missing", "TEAM"])

    def test_bad_bodies_and_queries_name_the_field(self, signed, root_key, app):
        assert field_errors(signed("DELETE", self.PATH, root_key)) == {
            "tag_keys": ["This field is required."]
        }
        assert field_errors(signed("POST", self.PATH, root_key, {"tags": []})) == {
            "tags": ["Ensure this field has at least 1 elements."]
        }
        assert field_errors(signed("POST", self.PATH, root_key, {"tags": [{"key": ""}]})) == {
            "tags.0.key": ["This field may not be blank."]
        }

    def test_duplicate_keys_are_the_services_invalid_input(self, signed, root_key, app):
        response = signed("POST", self.PATH, root_key, {"tags": [{"key": "a"}, {"key": "A"}]})
        assert error(response) == (
            400,
            "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        )

    def test_more_than_50_tags_is_limit_exceeded(self, signed, root_key, ctx, app):
        roles.tag_role(ctx, role_name="app", tags=[{"Key": f"k{i}", "Value": ""} for i in range(49)])
        response = signed("POST", self.PATH, root_key, {"tags": [{"key": "x"}, {"key": "y"}]})
        assert error(response) == (
            409,
            "LimitExceeded",
            "The number of tags has reached the maximum limit of 50.",
        )

    def test_a_role_that_is_not_there_is_no_such_entity(self, signed, root_key):
        response = signed("GET", ROLES + "ghost/tags/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")

    def test_a_user_without_policy_may_neither_read_nor_write_tags(self, signed, nobody_key, app, acct):
        arn = role_arn(acct)
        assert error(signed("GET", self.PATH, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListRoleTags", arn),
        )
        assert error(signed("POST", self.PATH, nobody_key, {"tags": [{"key": "a"}]})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:TagRole", arn),
        )
        assert error(signed("DELETE", self.PATH + "?tag_keys=team", nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:UntagRole", arn),
        )
        assert Role.objects.get().tags == {"team": "web"}
        assert [rest_events(action) for action in ("iam:ListRoleTags", "iam:TagRole", "iam:UntagRole")] == [
            [("denied", "AccessDenied", "rest")]
        ] * 3


class ConsoleSessionTests:
    def test_a_signed_in_console_session_creates_a_role_with_the_csrf_token(self, session, root, acct):
        body = {"role_name": "app", "assume_role_policy_document": EC2_TRUST}
        refused = session.post(ROLES, body, format="json")
        assert error(refused) == (403, "AccessDenied", "CSRF Failed: CSRF cookie not set.")
        session.cookies["csrftoken"] = token = "a" * 32  # as the console's pages set it
        response = session.post(ROLES, body, format="json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 201
        event = AuditEvent.objects.get(action="iam:CreateRole")
        assert (event.outcome, event.channel, event.actor_arn) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:root",
        )


@pytest.mark.django_db(transaction=True)
class CurlTests:
    """docs/rest-api/roles.md's examples with the real curl binary (--aws-sigv4), against a live server."""

    @pytest.fixture
    def server(self, live_server):
        # An earlier transaction=True test flushed the database, migration data included: the AWS
        # managed policies are loaded again (as tests/api/test_schemathesis.py does).
        if not ManagedPolicy.objects.filter(arn=READ_ONLY).exists():
            managed.sync(apps, None)
        yield live_server
        for thread in threading.enumerate():  # the live server's request threads, as test_auth.py waits
            if "process_request_thread" in thread.name:
                thread.join(timeout=5)

    def curl(self, url: str, key, *args: str) -> tuple[int, dict]:
        done = subprocess.run(
            ["/usr/bin/curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:iam", "--user",
             f"{key.access_key_id}:{key.secret_access_key}", "-w", "\n%{http_code}", *args, url],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        body, _, status = done.stdout.rpartition("\n")
        return int(status), json.loads(body) if body else {}

    def test_create_attach_and_detach_as_the_docs_show(self, server):
        ctx = f.root_context()
        key = issue_key(ctx)
        url = f"{server.url}{ROLES}"
        # The docs' body: the trust policy is a JSON string inside the JSON body.
        trust = json.dumps(json.loads(EC2_TRUST))
        body = json.dumps(
            {"role_name": "app", "description": "the web servers", "assume_role_policy_document": trust}
        )
        json_type = ("-H", "Content-Type: application/json")
        status, role = self.curl(url, key, *json_type, "-d", body)
        assert (status, role["arn"]) == (201, f"arn:aws:iam::{ctx.account.account_id}:role/app")
        assert (role["assume_role_policy_document"], role["description"]) == (trust, "the web servers")
        attached = f"{url}app/attached-policies/"
        status, _ = self.curl(attached, key, *json_type, "-d", json.dumps({"policy_arn": READ_ONLY}))
        assert status == 204
        status, page = self.curl(attached, key)
        assert (status, page["items"]) == (
            200,
            [{"policy_name": "IAMReadOnlyAccess", "policy_arn": READ_ONLY}],
        )
        status, _ = self.curl(f"{attached}?{urlencode({'policy_arn': READ_ONLY})}", key, "-X", "DELETE")
        assert status == 204
        assert not Role.objects.get().policy_attachments.exists()
        assert rest_events("iam:DetachRolePolicy") == [("success", "", "rest")]


class RoleSchemaConformanceTests:
    """Real answers of every role operation validated against the schema's documented shapes."""

    def check(self, schema, path: str, method: str, response) -> None:  # noqa: F811
        documented = schema["paths"][path][method]["responses"][str(response.status_code)]
        if response.status_code == 204:
            assert "content" not in documented and response.content == b""
            return
        shape = documented["content"]["application/json"]["schema"]
        validator = jsonschema.Draft7Validator(
            _json_schema(copy.deepcopy(shape), schema["components"]["schemas"]),
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )
        validator.validate(response.json())

    def test_each_operations_answers_match_the_schema(self, schema, signed, root_key, nobody_key, ctx):  # noqa: F811
        boundary = f.managed_policy(ctx.account, "cap", f.allow()).arn
        make_role(
            ctx, "app", description="d", permissions_boundary=boundary, tags=[{"Key": "k", "Value": "v"}]
        )
        detail = "/api/v1/roles/{role_name}/"
        trust, tags = detail + "trust-policy/", detail + "tags/"
        attached, boundary_path = detail + "attached-policies/", detail + "permissions-boundary/"
        inline, one = detail + "policies/", detail + "policies/{policy_name}/"
        new = {"role_name": "new", "assume_role_policy_document": EC2_TRUST}
        detach = f"{ROLES}app/attached-policies/?{urlencode({'policy_arn': READ_ONLY})}"
        calls = [
            (ROLES, "get", signed("GET", ROLES + "?max_items=1", root_key), 200),
            (ROLES, "get", signed("GET", ROLES, nobody_key), 403),
            (ROLES, "post", signed("POST", ROLES, root_key, new), 201),
            (ROLES, "post", signed("POST", ROLES, root_key, new), 409),
            (ROLES, "post", signed("POST", ROLES, root_key, {**new, "assume_role_policy_document": "{"}), 400),
            (detail, "get", signed("GET", ROLES + "app/", root_key), 200),
            (detail, "get", signed("GET", ROLES + "ghost/", root_key), 404),
            (detail, "patch", signed("PATCH", ROLES + "new/", root_key, {"description": ""}), 200),
            (trust, "put", signed("PUT", ROLES + "app/trust-policy/", root_key, {"policy_document": LAMBDA_TRUST}), 204),
            (attached, "post", signed("POST", ROLES + "app/attached-policies/", root_key, {"policy_arn": READ_ONLY}), 204),
            (attached, "get", signed("GET", ROLES + "app/attached-policies/", root_key), 200),
            (attached, "delete", signed("DELETE", detach, root_key), 204),
            (attached, "delete", signed("DELETE", detach, root_key), 404),
            (one, "put", signed("PUT", ROLES + "app/policies/s3/", root_key, {"policy_document": S3_READ}), 204),
            (inline, "get", signed("GET", ROLES + "app/policies/", root_key), 200),
            (one, "get", signed("GET", ROLES + "app/policies/s3/", root_key), 200),
            (detail, "delete", signed("DELETE", ROLES + "app/", root_key), 409),
            (one, "delete", signed("DELETE", ROLES + "app/policies/s3/", root_key), 204),
            (boundary_path, "put", signed("PUT", ROLES + "app/permissions-boundary/", root_key, {"permissions_boundary": READ_ONLY}), 204),
            (boundary_path, "delete", signed("DELETE", ROLES + "app/permissions-boundary/", root_key), 204),
            (tags, "get", signed("GET", ROLES + "app/tags/", root_key), 200),
            (tags, "post", signed("POST", ROLES + "app/tags/", root_key, {"tags": [{"key": "b", "value": "c"}]}), 204),
            (tags, "delete", signed("DELETE", ROLES + "app/tags/?tag_keys=b", root_key), 204),
            (detail, "delete", signed("DELETE", ROLES + "new/", root_key), 204),
        ]  # fmt: skip
        assert [(path, method, response.status_code) for path, method, response, _ in calls] == [
            (path, method, expected) for path, method, _, expected in calls
        ]
        for path, method, response, _ in calls:
            self.check(schema, path, method, response)
