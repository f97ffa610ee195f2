"""/api/v1/policies/ (managed policies, addressed by `?policy_arn=`) and /api/v1/policy-validation/
through the test client, signed with SigV4: list (filters, pages, query count), create, get, delete,
versions, default version, entities, tags, validation; shapes, AWS codes and messages,
authorization, audit rows."""

from __future__ import annotations

import copy
import json
import re
from urllib.parse import quote

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from accounts.models import AuditEvent, User
from accounts.services import groups, policy_attachments, roles, users
from policies import services as policy_services
from policies.models import ManagedPolicy, PolicyVersion
from tests import factories as f

from .conftest import HOST, READ_ONLY, denial, error, iam_user, issue_key
from .test_schema import _json_schema

pytestmark = pytest.mark.django_db
POLICIES = "/api/v1/policies/"
BY_ARN = "/api/v1/policies/by-arn/"
VALIDATION = "/api/v1/policy-validation/"
PRINCIPAL, CUSTOM = "/api/v1/simulation/principal/", "/api/v1/simulation/custom/"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SUMMARY_FIELDS = {
    "policy_name",
    "policy_id",
    "arn",
    "path",
    "default_version_id",
    "attachment_count",
    "permissions_boundary_usage_count",
    "is_attachable",
    "create_date",
    "update_date",
}
# Indented and with a trailing newline: the document must come back exactly so.
DOCUMENT = (
    json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]},
        indent=4,
    )
    + "\n"
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def at(path: str, arn: str, **params: str | int) -> str:
    """A URL of a policy (or one of its parts) by ARN; the parameters percent-encoded and in sorted
    order, as a signing client writes them."""
    query = {"policy_arn": arn, **{k: str(v) for k, v in params.items()}}
    return path + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(query.items()))


def names(response) -> list[str]:
    return [item["policy_name"] for item in response.json()["items"]]


def rest_events(action: str) -> list[tuple[str, str, str]]:
    """(outcome, error code, channel) of one action's audit rows on the REST channel, oldest first
    (the fixtures' own writes are on the internal channel)."""
    rows = AuditEvent.objects.filter(action=action, channel="rest")
    return list(rows.values_list("outcome", "error_code", "channel"))


def stamp(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def reports(ctx):
    """A customer managed policy "Reports" under /team/, tagged, with a description."""
    return policy_services.create_policy(
        ctx,
        policy_name="Reports",
        path="/team/",
        policy_document=DOCUMENT,
        description="Read IAM",
        tags=[{"Key": "owner", "Value": "ops"}],
    )


class ListPoliciesTests:
    def test_lists_the_accounts_policies_by_name_as_list_policies_does(
        self, signed, root_key, ctx, acct, reports
    ):
        policy_services.create_policy(ctx, policy_name="Audit", policy_document=f.document(f.allow()))
        response = signed("GET", POLICIES + "?scope=Local", root_key)
        assert response.status_code == 200
        body = response.json()
        assert (names(response), body["is_truncated"], body["marker"]) == (["Audit", "Reports"], False, None)
        assert body["items"][1] == {
            "policy_name": "Reports",
            "policy_id": reports.policy_id,
            "arn": f"arn:aws:iam::{acct}:policy/team/Reports",
            "path": "/team/",
            "default_version_id": "v1",
            "attachment_count": 0,
            "permissions_boundary_usage_count": 0,
            "is_attachable": True,
            "create_date": stamp(reports.created),
            "update_date": stamp(reports.updated),
        }
        assert reports.policy_id.startswith("ANPA")

    def test_scope_aws_lists_aws_managed_policies_and_all_lists_both(self, signed, root_key, reports):
        aws = signed("GET", POLICIES + "?max_items=1000&scope=AWS", root_key).json()["items"]
        assert "AdministratorAccess" in [p["policy_name"] for p in aws]
        assert all(p["arn"].startswith("arn:aws:iam::aws:policy/") for p in aws)
        everything = [
            p["policy_name"] for p in signed("GET", POLICIES + "?max_items=1000", root_key).json()["items"]
        ]
        assert len(everything) == len(aws) + 1 and "Reports" in everything

    def test_another_accounts_policies_are_not_listed(self, signed, root_key, ctx):
        policy_services.create_policy(f.root_context(), policy_name="Theirs", policy_document=DOCUMENT)
        policy_services.create_policy(ctx, policy_name="Ours", policy_document=DOCUMENT)
        assert names(signed("GET", POLICIES + "?scope=Local", root_key)) == ["Ours"]

    def test_usage_filters_and_counts_are_this_accounts(self, signed, root_key, ctx, reports):
        boundary = policy_services.create_policy(ctx, policy_name="Bound", policy_document=DOCUMENT)
        policy_services.create_policy(ctx, policy_name="Unused", policy_document=DOCUMENT)
        users.create_user(ctx, user_name="alice", permissions_boundary=boundary.arn)
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=reports.arn)
        groups.create_group(ctx, group_name="Ops")
        policy_attachments.attach_group_policy(ctx, group_name="Ops", policy_arn=reports.arn)
        attached = signed("GET", POLICIES + "?only_attached=true&scope=Local", root_key).json()["items"]
        assert [(p["policy_name"], p["attachment_count"]) for p in attached] == [("Reports", 2)]
        used = signed("GET", POLICIES + "?policy_usage_filter=PermissionsBoundary&scope=Local", root_key)
        assert [(p["policy_name"], p["permissions_boundary_usage_count"]) for p in used.json()["items"]] == [
            ("Bound", 1)
        ]
        other = f.root_context()
        users.create_user(other, user_name="theirs")
        policy_attachments.attach_user_policy(other, user_name="theirs", policy_arn=ADMIN)
        admin = signed("GET", POLICIES + "?only_attached=true&scope=AWS", root_key).json()["items"]
        assert admin == []  # another account's attachments do not count here

    def test_path_prefix_filters_by_policy_path(self, signed, root_key, ctx, reports):
        policy_services.create_policy(ctx, policy_name="Deep", path="/team/web/", policy_document=DOCUMENT)
        policy_services.create_policy(ctx, policy_name="Root", policy_document=DOCUMENT)
        response = signed("GET", POLICIES + "?path_prefix=%2Fteam%2F&scope=Local", root_key)
        assert names(response) == ["Deep", "Reports"]

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("scope=", "scope", '"" is not a valid choice.'),
            ("policy_usage_filter=", "policy_usage_filter", '"" is not a valid choice.'),
            ("marker=", "marker", "This field may not be blank."),
            ("max_items=", "max_items", "A valid integer is required."),
            ("only_attached=", "only_attached", "Must be a valid boolean."),
        ],
    )
    def test_a_parameter_given_empty_is_refused_not_defaulted(self, signed, root_key, query, field, message):
        response = signed("GET", f"{POLICIES}?{query}", root_key)
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {field: [message]}

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("scope=Mine", "scope", '"Mine" is not a valid choice.'),
            (
                "path_prefix=team",
                "path_prefix",
                "Must be / or /segments/ of letters, digits and .,+@=_- (a policy path).",
            ),
            ("policy_usage_filter=Any", "policy_usage_filter", '"Any" is not a valid choice.'),
            ("max_items=0", "max_items", "Ensure this value is greater than or equal to 1."),
        ],
    )
    def test_bad_parameters_are_validation_errors_naming_the_field(
        self, signed, root_key, query, field, message
    ):
        response = signed("GET", f"{POLICIES}?{query}", root_key)
        assert error(response) == (
            400,
            "ValidationError",
            f"1 validation error detected: {field}: {message[:-1]}",
        )
        assert response.json()["error"]["fields"] == {field: [message]}

    def test_pages_follow_the_marker(self, signed, root_key, ctx):
        for name in ("p1", "p2", "p3"):
            policy_services.create_policy(ctx, policy_name=name, policy_document=DOCUMENT)
        first = signed("GET", POLICIES + "?max_items=2&scope=Local", root_key).json()
        assert ([p["policy_name"] for p in first["items"]], first["is_truncated"]) == (["p1", "p2"], True)
        rest = signed(
            "GET", f"{POLICIES}?marker={quote(first['marker'])}&max_items=2&scope=Local", root_key
        ).json()
        assert ([p["policy_name"] for p in rest["items"]], rest["is_truncated"], rest["marker"]) == (
            ["p3"],
            False,
            None,
        )

    def test_the_number_of_queries_does_not_grow_with_the_policies(
        self, signed, root_key, ctx, django_assert_max_num_queries
    ):
        policy_services.create_policy(ctx, policy_name="first", policy_document=DOCUMENT)
        signed("GET", POLICIES, root_key)  # warm the policy cache

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", POLICIES + "?scope=Local", root_key).status_code == 200
            return len(queries)

        few = count()
        users.create_user(ctx, user_name="u")
        for i in range(20):
            policy = policy_services.create_policy(ctx, policy_name=f"more{i}", policy_document=DOCUMENT)
            if i < 5:
                policy_attachments.attach_user_policy(ctx, user_name="u", policy_arn=policy.arn)
        signed("GET", POLICIES, root_key)  # the attachments changed the policy cache's generation
        assert count() == few
        with django_assert_max_num_queries(few):
            assert len(signed("GET", POLICIES + "?scope=Local", root_key).json()["items"]) == 21

    def test_a_user_without_policy_is_denied_and_the_denial_audited(self, signed, nobody_key, acct):
        response = signed("GET", POLICIES, nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListPolicies", f"arn:aws:iam::{acct}:policy/"),
        )
        assert rest_events("iam:ListPolicies") == [("denied", "AccessDenied", "rest")]


class CreatePolicyTests:
    def test_creates_it_and_answers_201_with_it_and_its_url(self, signed, root_key, acct):
        response = signed(
            "POST",
            POLICIES,
            root_key,
            {
                "policy_name": "Reports",
                "path": "/team/",
                "policy_document": DOCUMENT,
                "description": "Read IAM",
                "tags": [{"key": "owner", "value": "ops"}],
            },
        )
        assert response.status_code == 201
        policy = ManagedPolicy.objects.get(policy_name="Reports")
        arn = f"arn:aws:iam::{acct}:policy/team/Reports"
        assert response.json() == {
            "policy_name": "Reports",
            "policy_id": policy.policy_id,
            "arn": arn,
            "path": "/team/",
            "default_version_id": "v1",
            "attachment_count": 0,
            "permissions_boundary_usage_count": 0,
            "is_attachable": True,
            "create_date": stamp(policy.created),
            "update_date": stamp(policy.updated),
            "description": "Read IAM",
            "tags": [{"key": "owner", "value": "ops"}],
        }
        assert response["Location"] == f"http://{HOST}{BY_ARN}?policy_arn={quote(arn, safe='')}"
        assert PolicyVersion.objects.get(policy=policy).document == DOCUMENT  # exactly as sent
        event = AuditEvent.objects.get(action="iam:CreatePolicy")
        assert (event.outcome, event.channel, event.target_arn, event.request_id) == (
            "success",
            "rest",
            arn,
            response["x-amzn-RequestId"],
        )

    def test_the_location_answers_the_policy(self, signed, root_key):
        response = signed("POST", POLICIES, root_key, {"policy_name": "P", "policy_document": DOCUMENT})
        location = response["Location"].removeprefix(f"http://{HOST}")
        fetched = signed("GET", location, root_key)
        assert (fetched.status_code, fetched.json()) == (200, response.json())
        assert fetched.json()["description"] is None and fetched.json()["tags"] == []

    def test_a_malformed_document_is_the_engines_located_message(self, signed, root_key):
        bad = '{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}'
        response = signed("POST", POLICIES, root_key, {"policy_name": "P", "policy_document": bad})
        assert error(response) == (
            400,
            "MalformedPolicyDocument",
            'Invalid effect: The effect "allow" is not valid. Use Allow or Deny (they are case sensitive). '
            "(line 1, column 52, Statement[0].Effect)",
        )
        assert rest_events("iam:CreatePolicy") == []  # refused before anything was attempted

    def test_a_name_taken_in_any_case_is_entity_already_exists(self, signed, root_key, reports):
        response = signed("POST", POLICIES, root_key, {"policy_name": "REPORTS", "policy_document": DOCUMENT})
        assert error(response) == (
            409,
            "EntityAlreadyExists",
            "A policy called REPORTS already exists. Duplicate names are not allowed.",
        )
        assert rest_events("iam:CreatePolicy") == [("failed", "EntityAlreadyExists", "rest")]

    def test_a_document_over_6144_characters_is_limit_exceeded(self, signed, root_key):
        big = f.document(*[f.allow(f"iam:GetUser{i:04}") for i in range(150)])
        response = signed("POST", POLICIES, root_key, {"policy_name": "Big", "policy_document": big})
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144")

    def test_missing_and_bad_fields_are_named(self, signed, root_key):
        response = signed("POST", POLICIES, root_key, {"policy_name": "a b", "path": "team"})
        assert response.json()["error"]["fields"] == {
            "policy_name": ["Use letters, digits and +=,.@_- only."],
            "path": ["Must be / or /segments/ of letters, digits and .,+@=_- (a policy path)."],
            "policy_document": ["This field is required."],
        }

    def test_a_json_number_is_not_a_string(self, signed, root_key):
        response = signed("POST", POLICIES, root_key, {"policy_name": 7, "policy_document": 0.0})
        assert response.json()["error"]["fields"] == {
            "policy_name": ["Not a valid string."],
            "policy_document": ["Not a valid string."],
        }

    def test_a_read_only_user_is_denied_and_the_denial_audited(self, signed, ctx, acct):
        iam_user(ctx, "reader", READ_ONLY)
        response = signed(
            "POST", POLICIES, issue_key(ctx, "reader"), {"policy_name": "P", "policy_document": DOCUMENT}
        )
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:CreatePolicy", f"arn:aws:iam::{acct}:policy/P"),
        )
        assert rest_events("iam:CreatePolicy") == [("denied", "AccessDenied", "rest")]
        assert not ManagedPolicy.objects.filter(policy_name="P").exists()


class GetPolicyTests:
    def test_answers_the_policy_with_description_tags_and_usage(self, signed, root_key, ctx, reports):
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=reports.arn)
        response = signed("GET", at(BY_ARN, reports.arn), root_key)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == SUMMARY_FIELDS | {"description", "tags"}
        assert (body["arn"], body["attachment_count"], body["description"], body["tags"]) == (
            reports.arn,
            1,
            "Read IAM",
            [{"key": "owner", "value": "ops"}],
        )

    def test_an_aws_managed_policy_is_read_too(self, signed, root_key):
        body = signed("GET", at(BY_ARN, ADMIN), root_key).json()
        assert (body["policy_name"], body["arn"], body["default_version_id"]) == (
            "AdministratorAccess",
            ADMIN,
            "v1",
        )
        assert ISO_Z.fullmatch(body["create_date"])

    def test_unknown_and_invalid_arns_answer_as_aws(self, signed, root_key, acct):
        ghost = f"arn:aws:iam::{acct}:policy/Ghost"
        assert error(signed("GET", at(BY_ARN, ghost), root_key)) == (
            404,
            "NoSuchEntity",
            f"Policy {ghost} was not found.",
        )
        assert error(signed("GET", at(BY_ARN, "arn:aws:iam::aws:role/NotAPolicy"), root_key)) == (
            400,
            "InvalidInput",
            "ARN arn:aws:iam::aws:role/NotAPolicy is not valid.",
        )
        response = signed("GET", BY_ARN, root_key)
        assert response.json()["error"]["fields"] == {"policy_arn": ["This field is required."]}

    def test_another_accounts_policy_is_not_found(self, signed, root_key):
        theirs = policy_services.create_policy(
            f.root_context(), policy_name="Theirs", policy_document=DOCUMENT
        )
        assert error(signed("GET", at(BY_ARN, theirs.arn), root_key))[:2] == (404, "NoSuchEntity")

    def test_a_user_without_policy_is_denied(self, signed, nobody_key, reports, acct):
        assert error(signed("GET", at(BY_ARN, reports.arn), nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetPolicy", reports.arn),
        )
        assert rest_events("iam:GetPolicy") == [("denied", "AccessDenied", "rest")]


class DeletePolicyTests:
    def test_deletes_it_answering_204_with_one_audit_row(self, signed, root_key, reports):
        response = signed("DELETE", at(BY_ARN, reports.arn), root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not ManagedPolicy.objects.filter(pk=reports.pk).exists()
        assert rest_events("iam:DeletePolicy") == [("success", "", "rest")]

    def test_an_attached_policy_is_a_delete_conflict(self, signed, root_key, ctx, reports):
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=reports.arn)
        response = signed("DELETE", at(BY_ARN, reports.arn), root_key)
        assert error(response) == (409, "DeleteConflict", "Cannot delete a policy attached to entities.")
        assert rest_events("iam:DeletePolicy") == [("failed", "DeleteConflict", "rest")]

    def test_a_policy_with_other_versions_is_a_delete_conflict(self, signed, root_key, ctx, reports):
        policy_services.create_policy_version(ctx, policy_arn=reports.arn, policy_document=DOCUMENT)
        response = signed("DELETE", at(BY_ARN, reports.arn), root_key)
        assert error(response) == (
            409,
            "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's "
            "non-default versions.",
        )

    def test_an_aws_managed_policy_cannot_be_deleted(self, signed, root_key):
        response = signed("DELETE", at(BY_ARN, ADMIN), root_key)
        assert error(response) == (400, "InvalidInput", "Cannot modify an AWS managed policy.")
        assert ManagedPolicy.objects.filter(arn=ADMIN).exists()

    def test_a_read_only_user_is_denied(self, signed, ctx, reports, acct):
        iam_user(ctx, "reader", READ_ONLY)
        response = signed("DELETE", at(BY_ARN, reports.arn), issue_key(ctx, "reader"))
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:DeletePolicy", reports.arn),
        )
        assert rest_events("iam:DeletePolicy") == [("denied", "AccessDenied", "rest")]
        assert ManagedPolicy.objects.filter(pk=reports.pk).exists()


class PolicyVersionTests:
    VERSIONS = BY_ARN + "versions/"

    def test_lists_versions_newest_first_without_documents(self, signed, root_key, ctx, reports):
        v2 = policy_services.create_policy_version(ctx, policy_arn=reports.arn, policy_document=DOCUMENT)
        body = signed("GET", at(self.VERSIONS, reports.arn), root_key).json()
        v1 = PolicyVersion.objects.get(policy=reports, version_id="v1")
        assert body == {
            "items": [
                {"version_id": "v2", "is_default_version": False, "create_date": stamp(v2.created)},
                {"version_id": "v1", "is_default_version": True, "create_date": stamp(v1.created)},
            ],
            "is_truncated": False,
            "marker": None,
        }
        page = signed("GET", at(self.VERSIONS, reports.arn, max_items=1), root_key).json()
        assert ([v["version_id"] for v in page["items"]], page["is_truncated"]) == (["v2"], True)

    def test_creates_a_version_answering_201_with_its_document_and_url(self, signed, root_key, reports):
        new = DOCUMENT.replace("iam:Get*", "iam:List*")
        response = signed("POST", at(self.VERSIONS, reports.arn), root_key, {"policy_document": new})
        assert response.status_code == 201
        version = PolicyVersion.objects.get(policy=reports, version_id="v2")
        assert response.json() == {
            "version_id": "v2",
            "is_default_version": False,
            "create_date": stamp(version.created),
            "document": new,
        }
        assert response["Location"] == f"http://{HOST}{at(self.VERSIONS + 'v2/', reports.arn)}"
        assert rest_events("iam:CreatePolicyVersion") == [("success", "", "rest")]

    def test_set_as_default_makes_it_the_one_that_applies(self, signed, root_key, ctx, reports, acct):
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=reports.arn)
        key = issue_key(ctx, "alice")
        assert signed("GET", "/api/v1/users/", key).status_code == 403  # v1 allows iam:Get* only
        body = {"policy_document": f.document(f.allow("iam:ListUsers")), "set_as_default": True}
        assert signed("POST", at(self.VERSIONS, reports.arn), root_key, body).status_code == 201
        assert signed("GET", at(BY_ARN, reports.arn), root_key).json()["default_version_id"] == "v2"
        assert signed("GET", "/api/v1/users/", key).status_code == 200  # at once

    def test_a_sixth_version_is_limit_exceeded(self, signed, root_key, ctx, reports):
        for _ in range(4):
            policy_services.create_policy_version(ctx, policy_arn=reports.arn, policy_document=DOCUMENT)
        response = signed("POST", at(self.VERSIONS, reports.arn), root_key, {"policy_document": DOCUMENT})
        assert error(response) == (
            409,
            "LimitExceeded",
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
            "existing version.",
        )
        assert rest_events("iam:CreatePolicyVersion") == [("failed", "LimitExceeded", "rest")]

    def test_gets_a_version_with_its_document_exactly_as_stored(self, signed, root_key, reports):
        response = signed("GET", at(self.VERSIONS + "v1/", reports.arn), root_key)
        assert response.status_code == 200
        assert response.json()["document"] == DOCUMENT
        assert response.json()["is_default_version"] is True

    def test_a_version_that_is_not_there_is_no_such_entity(self, signed, root_key, reports):
        assert error(signed("GET", at(self.VERSIONS + "v9/", reports.arn), root_key)) == (
            404,
            "NoSuchEntity",
            f"Policy {reports.arn} version v9 does not exist or is not attachable.",
        )
        assert error(signed("GET", at(self.VERSIONS + "one/", reports.arn), root_key)) == (
            400,
            "ValidationError",
            "1 validation error detected: Value 'one' at 'versionId' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        )

    def test_deletes_a_version_but_not_the_default_one(self, signed, root_key, ctx, reports):
        policy_services.create_policy_version(ctx, policy_arn=reports.arn, policy_document=DOCUMENT)
        assert signed("DELETE", at(self.VERSIONS + "v2/", reports.arn), root_key).status_code == 204
        assert list(PolicyVersion.objects.filter(policy=reports).values_list("version_id", flat=True)) == [
            "v1"
        ]
        response = signed("DELETE", at(self.VERSIONS + "v1/", reports.arn), root_key)
        assert error(response) == (409, "DeleteConflict", "Cannot delete the default version of a policy.")
        assert rest_events("iam:DeletePolicyVersion") == [
            ("success", "", "rest"),
            ("failed", "DeleteConflict", "rest"),
        ]

    def test_sets_the_default_version(self, signed, root_key, ctx, reports):
        policy_services.create_policy_version(ctx, policy_arn=reports.arn, policy_document=DOCUMENT)
        response = signed("PUT", at(BY_ARN + "default-version/", reports.arn), root_key, {"version_id": "v2"})
        assert (response.status_code, response.content) == (204, b"")
        assert PolicyVersion.objects.get(policy=reports, is_default=True).version_id == "v2"
        assert rest_events("iam:SetDefaultPolicyVersion") == [("success", "", "rest")]
        missing = signed("PUT", at(BY_ARN + "default-version/", reports.arn), root_key, {"version_id": "v7"})
        assert error(missing)[:2] == (404, "NoSuchEntity")
        bad = signed("PUT", at(BY_ARN + "default-version/", reports.arn), root_key, {"version_id": "2"})
        assert bad.json()["error"]["fields"] == {"version_id": ["Must be a version id: v1, v2, …"]}

    def test_aws_managed_versions_can_be_read_not_written(self, signed, root_key):
        assert signed("GET", at(self.VERSIONS + "v1/", ADMIN), root_key).status_code == 200
        response = signed("POST", at(self.VERSIONS, ADMIN), root_key, {"policy_document": DOCUMENT})
        assert error(response) == (400, "InvalidInput", "Cannot modify an AWS managed policy.")

    def test_a_user_without_policy_may_neither_read_nor_write_versions(
        self, signed, nobody_key, ctx, reports, acct
    ):
        policy_services.create_policy_version(ctx, policy_arn=reports.arn, policy_document=DOCUMENT)
        calls = [
            ("GET", at(self.VERSIONS, reports.arn), None, "iam:ListPolicyVersions"),
            (
                "POST",
                at(self.VERSIONS, reports.arn),
                {"policy_document": DOCUMENT},
                "iam:CreatePolicyVersion",
            ),
            ("GET", at(self.VERSIONS + "v1/", reports.arn), None, "iam:GetPolicyVersion"),
            ("DELETE", at(self.VERSIONS + "v2/", reports.arn), None, "iam:DeletePolicyVersion"),
            (
                "PUT",
                at(BY_ARN + "default-version/", reports.arn),
                {"version_id": "v2"},
                "iam:SetDefaultPolicyVersion",
            ),
        ]
        for method, path, body, action in calls:
            assert error(signed(method, path, nobody_key, body)) == (
                403,
                "AccessDenied",
                denial(acct, "nobody", action, reports.arn),
            )
            assert rest_events(action) == [("denied", "AccessDenied", "rest")]
        assert PolicyVersion.objects.filter(policy=reports).count() == 2


class ListEntitiesForPolicyTests:
    ENTITIES = BY_ARN + "entities/"

    @pytest.fixture
    def used(self, ctx, reports):
        """Reports attached to a group, two users and a role, and the boundary of a third user."""
        groups.create_group(ctx, group_name="Ops", path="/ops/")
        policy_attachments.attach_group_policy(ctx, group_name="Ops", policy_arn=reports.arn)
        for name in ("zoe", "adam"):
            users.create_user(ctx, user_name=name)
            policy_attachments.attach_user_policy(ctx, user_name=name, policy_arn=reports.arn)
        users.create_user(ctx, user_name="bounded", permissions_boundary=reports.arn)
        roles.create_role(ctx, role_name="app", assume_role_policy_document=TRUST)
        policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=reports.arn)
        return reports

    def test_lists_groups_then_users_then_roles_as_entity_info(self, signed, root_key, used, acct):
        response = signed("GET", at(self.ENTITIES, used.arn), root_key)
        assert response.status_code == 200
        body = response.json()
        user = User.objects.get(user_name="adam")
        assert (
            body["items"][0]["type"] == "GROUP"
            and body["items"][0]["arn"] == f"arn:aws:iam::{acct}:group/ops/Ops"
        )
        assert body["items"][1] == {
            "type": "USER",
            "name": "adam",
            "id": user.user_id,
            "arn": f"arn:aws:iam::{acct}:user/adam",
            "path": "/",
        }
        assert [(e["type"], e["name"]) for e in body["items"]] == [
            ("GROUP", "Ops"),
            ("USER", "adam"),
            ("USER", "bounded"),
            ("USER", "zoe"),
            ("ROLE", "app"),
        ]
        assert (body["is_truncated"], body["marker"]) == (False, None)

    def test_filters_by_kind_usage_and_path(self, signed, root_key, used):
        def listed(**params) -> list[str]:
            return [
                e["name"]
                for e in signed("GET", at(self.ENTITIES, used.arn, **params), root_key).json()["items"]
            ]

        assert listed(entity_filter="User") == ["adam", "bounded", "zoe"]
        assert listed(policy_usage_filter="PermissionsBoundary") == ["bounded"]
        assert listed(policy_usage_filter="PermissionsPolicy", entity_filter="User") == ["adam", "zoe"]
        assert listed(path_prefix="/ops/") == ["Ops"]
        assert listed(entity_filter="AWSManagedPolicy") == []

    def test_pages_cross_the_kinds(self, signed, root_key, used):
        first = signed("GET", at(self.ENTITIES, used.arn, max_items=2), root_key).json()
        assert ([e["name"] for e in first["items"]], first["is_truncated"]) == (["Ops", "adam"], True)
        rest = signed(
            "GET", at(self.ENTITIES, used.arn, marker=first["marker"], max_items=10), root_key
        ).json()
        assert ([e["name"] for e in rest["items"]], rest["is_truncated"]) == (
            ["bounded", "zoe", "app"],
            False,
        )

    def test_the_number_of_queries_does_not_grow_with_the_entities(self, signed, root_key, ctx, used):
        path = at(self.ENTITIES, used.arn)
        signed("GET", path, root_key)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", path, root_key).status_code == 200
            return len(queries)

        few = count()
        for i in range(10):
            users.create_user(ctx, user_name=f"more{i}")
            policy_attachments.attach_user_policy(ctx, user_name=f"more{i}", policy_arn=used.arn)
        signed("GET", path, root_key)
        assert count() == few

    def test_a_bad_filter_names_the_field_and_a_user_without_policy_is_denied(
        self, signed, root_key, nobody_key, used, acct
    ):
        response = signed("GET", at(self.ENTITIES, used.arn, entity_filter="Person"), root_key)
        assert response.json()["error"]["fields"] == {"entity_filter": ['"Person" is not a valid choice.']}
        assert error(signed("GET", at(self.ENTITIES, used.arn), nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListEntitiesForPolicy", used.arn),
        )
        assert rest_events("iam:ListEntitiesForPolicy") == [("denied", "AccessDenied", "rest")]


class PolicyTagsTests:
    TAGS = BY_ARN + "tags/"

    def test_lists_the_tags_by_key_in_pages(self, signed, root_key, ctx, reports):
        policy_services.tag_policy(
            ctx, policy_arn=reports.arn, tags=[{"Key": "Cost", "Value": "1"}, {"Key": "env", "Value": ""}]
        )
        body = signed("GET", at(self.TAGS, reports.arn, max_items=2), root_key).json()
        assert (body["items"], body["is_truncated"]) == (
            [{"key": "Cost", "value": "1"}, {"key": "env", "value": ""}],
            True,
        )
        rest = signed("GET", at(self.TAGS, reports.arn, marker=body["marker"]), root_key).json()
        assert rest == {"items": [{"key": "owner", "value": "ops"}], "is_truncated": False, "marker": None}

    def test_post_adds_and_overwrites_in_any_case_and_delete_removes(self, signed, root_key, reports):
        response = signed(
            "POST",
            at(self.TAGS, reports.arn),
            root_key,
            {"tags": [{"key": "OWNER", "value": "web"}, {"key": "env"}]},
        )
        assert (response.status_code, response.content) == (204, b"")
        assert ManagedPolicy.objects.get(pk=reports.pk).tags == {"OWNER": "web", "env": ""}
        response = signed("DELETE", at(self.TAGS, reports.arn) + "&tag_keys=env&tag_keys=missing", root_key)
        assert response.status_code == 204
        assert ManagedPolicy.objects.get(pk=reports.pk).tags == {"OWNER": "web"}
        assert [rest_events(a) for a in ("iam:TagPolicy", "iam:UntagPolicy")] == [
            [("success", "", "rest")]
        ] * 2

    def test_more_than_50_tags_is_limit_exceeded_and_aws_policies_cannot_be_tagged(
        self, signed, root_key, ctx, reports
    ):
        policy_services.tag_policy(
            ctx, policy_arn=reports.arn, tags=[{"Key": f"k{i}", "Value": ""} for i in range(49)]
        )
        response = signed(
            "POST", at(self.TAGS, reports.arn), root_key, {"tags": [{"key": "x"}, {"key": "y"}]}
        )
        assert error(response) == (
            409,
            "LimitExceeded",
            "The number of tags has reached the maximum limit of 50.",
        )
        response = signed("POST", at(self.TAGS, ADMIN), root_key, {"tags": [{"key": "x"}]})
        assert error(response) == (400, "InvalidInput", "Cannot modify an AWS managed policy.")

    def test_missing_keys_and_tags_name_the_field(self, signed, root_key, reports):
        response = signed("DELETE", at(self.TAGS, reports.arn), root_key)
        assert response.json()["error"]["fields"] == {"tag_keys": ["This field is required."]}
        response = signed("POST", at(self.TAGS, reports.arn), root_key, {"tags": []})
        assert response.json()["error"]["fields"] == {"tags": ["Ensure this field has at least 1 elements."]}

    def test_a_user_without_policy_may_neither_read_nor_write_tags(self, signed, nobody_key, reports, acct):
        calls = [
            ("GET", at(self.TAGS, reports.arn), None, "iam:ListPolicyTags"),
            ("POST", at(self.TAGS, reports.arn), {"tags": [{"key": "a"}]}, "iam:TagPolicy"),
            ("DELETE", at(self.TAGS, reports.arn) + "&tag_keys=owner", None, "iam:UntagPolicy"),
        ]
        for method, path, body, action in calls:
            assert error(signed(method, path, nobody_key, body)) == (
                403,
                "AccessDenied",
                denial(acct, "nobody", action, reports.arn),
            )
            assert rest_events(action) == [("denied", "AccessDenied", "rest")]
        assert ManagedPolicy.objects.get(pk=reports.pk).tags == {"owner": "ops"}


class ValidatePolicyTests:
    def test_answers_the_engines_findings_located(self, signed, root_key):
        document = (
            '{\n  "Statement": [\n    {"Effect": "Allow", "Action": "iam:GetUsr", "Resource": "*"}\n  ]\n}'
        )
        response = signed("POST", VALIDATION, root_key, {"policy_document": document})
        assert response.status_code == 200
        findings = response.json()["findings"]
        assert sorted((x["finding_type"], x["issue_code"]) for x in findings) == [
            ("ERROR", "INVALID_ACTION"),
            ("WARNING", "MISSING_VERSION"),
        ]
        assert next(x for x in findings if x["issue_code"] == "INVALID_ACTION") == {
            "finding_type": "ERROR",
            "issue_code": "INVALID_ACTION",
            "title": "Invalid action",
            "finding_details": "The action iam:GetUsr does not exist. Did you mean iam:GetUser?",
            "path": "Statement[0].Action",
            "line": 3,
            "column": 35,
        }
        missing = next(x for x in findings if x["issue_code"] == "MISSING_VERSION")
        assert (missing["path"], missing["line"], missing["column"]) == ("", 1, 1)

    def test_a_clean_document_has_no_findings(self, signed, root_key):
        response = signed(
            "POST", VALIDATION, root_key, {"policy_document": f.document(f.allow("iam:GetUser"))}
        )
        assert response.json() == {"findings": []}

    def test_a_trust_policy_is_validated_as_one(self, signed, root_key):
        as_trust = {
            "policy_document": TRUST,
            "policy_type": "RESOURCE_POLICY",
            "validate_policy_resource_type": "AWS::IAM::AssumeRolePolicyDocument",
        }
        assert signed("POST", VALIDATION, root_key, as_trust).json() == {"findings": []}
        as_identity = signed("POST", VALIDATION, root_key, {"policy_document": TRUST}).json()["findings"]
        assert as_identity[0]["finding_type"] == "ERROR"

    def test_a_resource_type_needs_resource_policy(self, signed, root_key):
        body = {
            "policy_document": TRUST,
            "validate_policy_resource_type": "AWS::IAM::AssumeRolePolicyDocument",
        }
        assert error(signed("POST", VALIDATION, root_key, body)) == (
            400,
            "InvalidInput",
            "validatePolicyResourceType AWS::IAM::AssumeRolePolicyDocument applies only to policyType "
            "RESOURCE_POLICY.",
        )
        response = signed("POST", VALIDATION, root_key, {"policy_document": TRUST, "policy_type": "SCP"})
        assert response.json()["error"]["fields"] == {"policy_type": ['"SCP" is not a valid choice.']}

    def test_any_signed_in_caller_may_validate_and_nothing_is_audited(self, signed, nobody_key, api):
        """It reads nothing of the account (policies.selectors.validate_policy_document)."""
        before = AuditEvent.objects.count()
        response = signed("POST", VALIDATION, nobody_key, {"policy_document": f.document(f.allow())})
        assert response.status_code == 200
        assert [x["issue_code"] for x in response.json()["findings"]] == [
            "OVERLY_PERMISSIVE",
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        ]
        assert AuditEvent.objects.count() == before
        unsigned = api.post(VALIDATION, {"policy_document": "{}"}, format="json")
        assert error(unsigned) == (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )


@pytest.fixture(scope="module")
def api_schema() -> dict:
    """The OpenAPI schema as /api/schema/ serves it (test_schema.py validates it as a whole)."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


class ConformanceTests:
    """Real answers of every operation here, validated against the documented shape for their status."""

    def check(self, schema: dict, path: str, method: str, response) -> None:
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

    def test_each_operations_answers_match_the_schema(
        self, api_schema, signed, root_key, nobody_key, ctx, acct, reports
    ):
        users.create_user(ctx, user_name="alice", permissions_boundary=reports.arn)
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=reports.arn)
        versions, version = (
            "/api/v1/policies/by-arn/versions/",
            "/api/v1/policies/by-arn/versions/{version_id}/",
        )
        tags, entities = "/api/v1/policies/by-arn/tags/", "/api/v1/policies/by-arn/entities/"
        simulate = {"policy_source_arn": f"arn:aws:iam::{acct}:user/alice", "action_names": ["iam:GetUser"]}
        custom = {
            "policy_input_list": [DOCUMENT],
            "permissions_boundary_policy_input_list": [DOCUMENT],
            "action_names": ["iam:GetUser", "iam:ListUsers"],
        }
        calls = [
            (POLICIES, "get", signed("GET", POLICIES + "?max_items=2", root_key)),
            (
                POLICIES,
                "post",
                signed("POST", POLICIES, root_key, {"policy_name": "New", "policy_document": DOCUMENT}),
            ),
            (
                POLICIES,
                "post",
                signed("POST", POLICIES, root_key, {"policy_name": "New", "policy_document": DOCUMENT}),
            ),
            (POLICIES, "get", signed("GET", POLICIES, nobody_key)),
            (BY_ARN, "get", signed("GET", at(BY_ARN, reports.arn), root_key)),
            (BY_ARN, "get", signed("GET", at(BY_ARN, f"arn:aws:iam::{acct}:policy/Ghost"), root_key)),
            (
                versions,
                "post",
                signed("POST", at(versions, reports.arn), root_key, {"policy_document": DOCUMENT}),
            ),
            (versions, "get", signed("GET", at(versions, reports.arn), root_key)),
            (version, "get", signed("GET", at(versions + "v2/", reports.arn), root_key)),
            (
                "/api/v1/policies/by-arn/default-version/",
                "put",
                signed("PUT", at(BY_ARN + "default-version/", reports.arn), root_key, {"version_id": "v2"}),
            ),
            (version, "delete", signed("DELETE", at(versions + "v2/", reports.arn), root_key)),
            (version, "delete", signed("DELETE", at(versions + "v1/", reports.arn), root_key)),
            (entities, "get", signed("GET", at(entities, reports.arn), root_key)),
            (tags, "post", signed("POST", at(tags, reports.arn), root_key, {"tags": [{"key": "a"}]})),
            (tags, "get", signed("GET", at(tags, reports.arn), root_key)),
            (tags, "delete", signed("DELETE", at(tags, reports.arn) + "&tag_keys=a", root_key)),
            (BY_ARN, "delete", signed("DELETE", at(BY_ARN, reports.arn), root_key)),
            (BY_ARN, "delete", signed("DELETE", at(BY_ARN, f"arn:aws:iam::{acct}:policy/New"), root_key)),
            (
                VALIDATION,
                "post",
                signed("POST", VALIDATION, root_key, {"policy_document": '{"Statement": []}'}),
            ),
            (PRINCIPAL, "post", signed("POST", PRINCIPAL, root_key, simulate)),
            (
                PRINCIPAL,
                "post",
                signed(
                    "POST",
                    PRINCIPAL,
                    root_key,
                    {**simulate, "policy_source_arn": f"arn:aws:iam::{acct}:user/ghost"},
                ),
            ),
            (CUSTOM, "post", signed("POST", CUSTOM, root_key, custom)),
            (CUSTOM, "post", signed("POST", CUSTOM, nobody_key, custom)),
        ]
        assert [response.status_code for *_, response in calls] == [
            200, 201, 409, 403, 200, 404, 201, 200, 200, 204, 409, 204, 200, 204, 200, 204, 409, 204, 200, 200, 404, 200, 403,
        ]  # fmt: skip
        for path, method, response in calls:
            self.check(api_schema, path, method, response)
