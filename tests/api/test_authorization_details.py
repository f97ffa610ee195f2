"""/api/v1/account/authorization-details/: GET GetAccountAuthorizationDetails (AWS's members, documents as
JSON objects) and POST …/import/ (ImportAccountAuthorizationDetails), signed with SigV4 through the test
client: shapes, filters, pages, errors and what an import writes."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from accounts.services import users
from tests import factories as f
from tests.accounts.test_account_import import comparable, export, nothing_in
from tests.accounts.test_authorization_details import seed

from .conftest import denial, error, issue_key

pytestmark = pytest.mark.django_db
DETAILS = "/api/v1/account/authorization-details/"
IMPORT = DETAILS + "import/"
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


class GetAccountAuthorizationDetailsTests:
    def test_answers_aws_members_with_documents_as_objects(self, signed, root_key, ctx, acct):
        seed(ctx)
        got = signed("GET", DETAILS, root_key)
        assert got.status_code == 200
        body = got.json()
        assert set(body) == {*LISTS, "IsTruncated"}
        assert comparable(body, acct) == comparable(export(ctx), acct)  # the selector's shapes
        alice = body["UserDetailList"][0]
        assert alice["UserPolicyList"][0]["PolicyDocument"] == json.loads(f.document(f.allow("s3:Get*")))
        assert alice["CreateDate"].endswith("Z")
        assert body["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "AWS": f"arn:aws:iam::{acct}:root"
        }

    def test_filter_and_pages(self, signed, root_key, ctx):
        seed(ctx)
        roles = signed("GET", DETAILS + "?filter=Role&filter=Group", root_key).json()
        assert (
            [r["RoleName"] for r in roles["RoleDetailList"]],
            [g["GroupName"] for g in roles["GroupDetailList"]],
        ) == (
            ["deployer"],
            ["devs"],
        )
        assert roles["UserDetailList"] == roles["Policies"] == []
        seen, marker = {name: [] for name in LISTS}, None
        while True:
            page = signed(
                "GET", DETAILS + "?max_items=3" + (f"&marker={marker}" if marker else ""), root_key
            ).json()
            for name in LISTS:
                seen[name] += page[name]
            if not page["IsTruncated"]:
                assert "Marker" not in page
                break
            marker = page["Marker"]
        whole = signed("GET", DETAILS, root_key).json()
        assert seen == {name: whole[name] for name in LISTS}

    def test_a_bad_filter_is_a_validation_error(self, signed, root_key):
        status, code, message = error(signed("GET", DETAILS + "?filter=Robot", root_key))
        assert (status, code) == (400, "ValidationError")
        assert "filter" in message

    def test_an_iam_user_without_a_policy_is_denied(self, signed, nobody_key, acct):
        assert error(signed("GET", DETAILS, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetAccountAuthorizationDetails", "*"),
        )

    def test_the_query_count_is_constant_as_the_account_grows(self, signed, root_key, ctx):
        seed(ctx)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", DETAILS + "?max_items=1000", root_key).status_code == 200
            return len(queries)

        count()  # the first request of a key records its first use
        small = count()
        for n in range(3):
            seed(ctx, f"more{n}-")
        assert count() == small


class ImportAccountAuthorizationDetailsTests:
    def test_a_saved_answer_imports_into_another_account(self, signed, root_key, ctx):
        seed(ctx)
        saved = signed("GET", DETAILS, root_key).json()
        target = f.root_context()
        target_key = issue_key(target)
        done = signed("POST", IMPORT, target_key, saved)
        assert done.status_code == 201
        assert done.json() == {
            "source_account_id": ctx.account.account_id,
            "policies": [
                f"arn:aws:iam::{target.account.account_id}:policy/limits/boundary",
                f"arn:aws:iam::{target.account.account_id}:policy/shared",
            ],
            "policy_versions": 3,
            "groups": ["devs"],
            "users": ["alice", "bob"],
            "roles": ["deployer"],
            "inline_policies": 3,
            "attachments": 4,
            "memberships": 1,
            "skipped": [],
        }
        again = signed("GET", DETAILS, target_key).json()
        assert comparable(again, target.account.account_id) == comparable(saved, ctx.account.account_id)
        assert AuditEvent.objects.get(action="portal:ImportAccountAuthorizationDetails").channel == "rest"

    def test_a_conflict_is_409_and_writes_nothing(self, signed, root_key, ctx):
        seed(ctx)
        saved = signed("GET", DETAILS, root_key).json()
        target = f.root_context()
        users.create_user(target, user_name="alice")
        target_key = issue_key(target)
        assert error(signed("POST", IMPORT, target_key, saved)) == (
            409,
            "EntityAlreadyExists",
            "UserDetailList[0] (alice): User with name alice already exists.",
        )
        assert list(
            User.objects.filter(account=target.account, is_root=False).values_list("user_name", flat=True)
        ) == ["alice"]
        skipped = signed("POST", IMPORT + "?on_conflict=skip", target_key, saved)
        assert (skipped.status_code, skipped.json()["skipped"]) == (201, ["User alice"])

    def test_an_unknown_policy_arn_is_404_and_writes_nothing(self, signed, ctx):
        body = {
            "GroupDetailList": [
                {
                    "GroupName": "g",
                    "Path": "/",
                    "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/Nope"}],
                }
            ]
        }
        assert error(signed("POST", IMPORT, issue_key(ctx), body)) == (
            404,
            "NoSuchEntity",
            "GroupDetailList[0] (g).AttachedManagedPolicies[0]: Policy arn:aws:iam::aws:policy/Nope does not exist or "
            "is not attachable.",
        )
        nothing_in(ctx)

    @pytest.mark.parametrize("body", ["just text", 12, {"Users": []}])
    def test_a_body_that_is_no_answer_is_400(self, signed, ctx, body):
        status, code, _ = error(signed("POST", IMPORT, issue_key(ctx), body))
        assert (status, code) in {(400, "ValidationError"), (400, "InvalidInput")}

    def test_an_iam_user_without_a_policy_is_denied_and_audited(self, signed, nobody_key, ctx, acct):
        assert error(signed("POST", IMPORT, nobody_key, {"GroupDetailList": [{"GroupName": "g"}]})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateGroup", f"arn:aws:iam::{acct}:group/g"),
        )
        assert f.events("iam:CreateGroup") == [("denied", "AccessDenied")]
        nothing_in_but_nobody = list(
            User.objects.filter(account=ctx.account, is_root=False).values_list("user_name", flat=True)
        )
        assert nothing_in_but_nobody == ["nobody"]


def test_role_last_used_is_written_as_aws_writes_dates(signed, root_key, ctx, acct):
    from accounts import audit

    seed(ctx)
    audit.record(ctx, "sts:AssumeRole", target=f"arn:aws:iam::{acct}:role/ci/deployer")
    (role,) = signed("GET", DETAILS + "?filter=Role", root_key).json()["RoleDetailList"]
    assert set(role["RoleLastUsed"]) == {"LastUsedDate", "Region"}
    assert (
        role["RoleLastUsed"]["LastUsedDate"].endswith("Z") and role["RoleLastUsed"]["Region"] == "us-east-1"
    )
