"""GetAccountAuthorizationDetails: AWS's shapes, the Filter, pages across the four lists (every item
exactly once), authorization, and a constant number of queries as the account grows."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.selectors.authorization_details import as_aws, get_account_authorization_details
from accounts.services import groups, policy_attachments, roles, users
from iam_portal.errors import AccessDeniedError, ValidationError
from policies import services as policy_services
from tests import factories as f

pytestmark = pytest.mark.django_db

S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def trust(acct: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def seed(ctx, prefix: str = "") -> None:
    """One of every kind of entity and relationship the export reports."""
    acct = ctx.account.account_id
    boundary = policy_services.create_policy(
        ctx, policy_name=f"{prefix}boundary", policy_document=f.document(f.allow("s3:*")), path="/limits/"
    )
    shared = policy_services.create_policy(
        ctx,
        policy_name=f"{prefix}shared",
        policy_document=f.document(f.allow("iam:Get*")),
        description="Read IAM",
    )
    policy_services.create_policy_version(
        ctx, policy_arn=shared.arn, policy_document=f.document(f.allow("iam:List*")), set_as_default=True
    )
    policy_services.create_policy_version(
        ctx, policy_arn=shared.arn, policy_document=f.document(f.allow("iam:Tag*"))
    )
    policy_services.delete_policy_version(
        ctx, policy_arn=shared.arn, version_id="v1"
    )  # ids: v2 (default), v3
    groups.create_group(ctx, group_name=f"{prefix}devs", path="/eng/")
    policy_attachments.put_group_policy(
        ctx,
        group_name=f"{prefix}devs",
        policy_name="team",
        policy_document=f.document(f.allow("ec2:Describe*")),
    )
    policy_attachments.attach_group_policy(ctx, group_name=f"{prefix}devs", policy_arn=IAM_READ_ONLY)
    policy_attachments.attach_group_policy(ctx, group_name=f"{prefix}devs", policy_arn=shared.arn)
    users.create_user(
        ctx,
        user_name=f"{prefix}alice",
        path="/eng/",
        permissions_boundary=boundary.arn,
        tags=[{"Key": "team", "Value": "platform"}],
    )
    users.create_user(ctx, user_name=f"{prefix}bob")
    groups.add_user_to_group(ctx, group_name=f"{prefix}devs", user_name=f"{prefix}alice")
    policy_attachments.put_user_policy(
        ctx, user_name=f"{prefix}alice", policy_name="s3", policy_document=f.document(f.allow("s3:Get*"))
    )
    policy_attachments.attach_user_policy(ctx, user_name=f"{prefix}alice", policy_arn=S3_READ_ONLY)
    roles.create_role(
        ctx,
        role_name=f"{prefix}deployer",
        assume_role_policy_document=trust(acct),
        path="/ci/",
        permissions_boundary=boundary.arn,
        tags=[{"Key": "env", "Value": "prod"}],
    )
    policy_attachments.put_role_policy(
        ctx, role_name=f"{prefix}deployer", policy_name="deploy", policy_document=f.document(f.allow("ecs:*"))
    )
    policy_attachments.attach_role_policy(ctx, role_name=f"{prefix}deployer", policy_arn=shared.arn)


def plain(details) -> dict:
    """The answer as the REST API and the CLI write it: documents as JSON objects."""
    return as_aws(details, json.loads)


class GetAccountAuthorizationDetailsTests:
    def test_every_list_in_aws_shapes(self, ctx, acct):
        seed(ctx)
        out = plain(get_account_authorization_details(ctx))
        assert out["IsTruncated"] is False and "Marker" not in out
        alice, bob = out["UserDetailList"]
        assert {k: v for k, v in alice.items() if k not in {"UserId", "CreateDate"}} == {
            "Path": "/eng/",
            "UserName": "alice",
            "Arn": f"arn:aws:iam::{acct}:user/eng/alice",
            "UserPolicyList": [
                {"PolicyName": "s3", "PolicyDocument": json.loads(f.document(f.allow("s3:Get*")))}
            ],
            "GroupList": ["devs"],
            "AttachedManagedPolicies": [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_READ_ONLY}],
            "PermissionsBoundary": {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": f"arn:aws:iam::{acct}:policy/limits/boundary",
            },
            "Tags": [{"Key": "team", "Value": "platform"}],
        }
        assert alice["UserId"].startswith("AIDA")
        assert set(bob) == {
            "Path", "UserName", "UserId", "Arn", "CreateDate", "UserPolicyList", "GroupList", "AttachedManagedPolicies",
        }  # fmt: skip
        (devs,) = out["GroupDetailList"]
        assert devs["GroupPolicyList"][0]["PolicyName"] == "team"
        assert devs["AttachedManagedPolicies"] == [
            {"PolicyName": "IAMReadOnlyAccess", "PolicyArn": IAM_READ_ONLY},
            {"PolicyName": "shared", "PolicyArn": f"arn:aws:iam::{acct}:policy/shared"},
        ]
        (role,) = out["RoleDetailList"]
        assert role["AssumeRolePolicyDocument"] == json.loads(trust(acct))
        assert (role["InstanceProfileList"], role["RoleLastUsed"]) == ([], {})
        assert role["RolePolicyList"][0]["PolicyName"] == "deploy"
        assert role["Tags"] == [{"Key": "env", "Value": "prod"}]
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(":policy/limits/boundary")
        by_arn = {p["Arn"]: p for p in out["Policies"]}
        # Customer managed policies, and only the AWS managed policies the account uses.
        assert set(by_arn) == {
            f"arn:aws:iam::{acct}:policy/limits/boundary",
            f"arn:aws:iam::{acct}:policy/shared",
            S3_READ_ONLY,
            IAM_READ_ONLY,
        }
        shared = by_arn[f"arn:aws:iam::{acct}:policy/shared"]
        assert (shared["DefaultVersionId"], shared["AttachmentCount"], shared["PermissionsBoundaryUsageCount"]) == (
            "v2", 2, 0,
        )  # fmt: skip
        assert shared["IsAttachable"] is True and shared["Description"] == "Read IAM"
        assert [(v["VersionId"], v["IsDefaultVersion"]) for v in shared["PolicyVersionList"]] == [
            ("v2", True),
            ("v3", False),
        ]
        assert shared["PolicyVersionList"][0]["Document"] == json.loads(f.document(f.allow("iam:List*")))
        assert by_arn[f"arn:aws:iam::{acct}:policy/limits/boundary"]["PermissionsBoundaryUsageCount"] == 2
        assert by_arn[S3_READ_ONLY]["AttachmentCount"] == 1

    def test_role_last_used_comes_from_the_audit_log(self, ctx, acct):
        from accounts import audit

        seed(ctx)
        assert (
            plain(get_account_authorization_details(ctx, filter=["Role"]))["RoleDetailList"][0][
                "RoleLastUsed"
            ]
            == {}
        )
        event = audit.record(ctx, "sts:AssumeRole", target=f"arn:aws:iam::{acct}:role/ci/deployer")
        (role,) = plain(get_account_authorization_details(ctx, filter=["Role"]))["RoleDetailList"]
        assert role["RoleLastUsed"] == {"LastUsedDate": event.time, "Region": "us-east-1"}

    def test_the_filter_keeps_only_the_types_named(self, ctx, acct):
        seed(ctx)
        only_roles = plain(get_account_authorization_details(ctx, filter=["Role"]))
        assert only_roles["UserDetailList"] == only_roles["GroupDetailList"] == only_roles["Policies"] == []
        assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["deployer"]
        local = plain(get_account_authorization_details(ctx, filter=["LocalManagedPolicy", "Group"]))
        assert {p["PolicyName"] for p in local["Policies"]} == {"boundary", "shared"}
        assert [g["GroupName"] for g in local["GroupDetailList"]] == ["devs"]
        aws = plain(get_account_authorization_details(ctx, filter=["AWSManagedPolicy"]))
        assert {p["Arn"] for p in aws["Policies"]} == {S3_READ_ONLY, IAM_READ_ONLY}
        assert plain(get_account_authorization_details(ctx, filter=[])) == plain(
            get_account_authorization_details(ctx)
        )

    def test_an_unknown_filter_value_is_a_validation_error(self, ctx):
        with pytest.raises(ValidationError) as bad:
            get_account_authorization_details(ctx, filter=["User", "Robot"])
        assert bad.value.message == (
            "1 validation error detected: Value '[User, Robot]' at 'filter' failed to satisfy constraint: Member "
            "must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, "
            "AWSManagedPolicy]]"
        )

    @pytest.mark.parametrize("size", [1, 2, 3, 5, 13])
    def test_pages_return_every_item_exactly_once(self, ctx, size):
        seed(ctx)
        everything = plain(get_account_authorization_details(ctx))
        lists = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
        collected: dict[str, list] = {name: [] for name in lists}
        marker, pages = None, 0
        while True:
            page = get_account_authorization_details(ctx, max_items=size, marker=marker)
            out = plain(page)
            assert sum(len(out[name]) for name in lists) == size or not page.is_truncated
            for name in lists:
                collected[name] += out[name]
            pages += 1
            if not page.is_truncated:
                assert page.marker is None
                break
            marker = page.marker
        total = sum(len(everything[name]) for name in lists)
        assert total == 2 + 1 + 1 + 4
        assert pages == -(-total // size)
        assert collected == {name: everything[name] for name in lists}

    def test_a_marker_still_works_when_rows_are_added_meanwhile(self, ctx):
        for name in ("u1", "u2", "u3"):
            users.create_user(ctx, user_name=name)
        first = get_account_authorization_details(ctx, max_items=2, filter=["User"])
        users.create_user(ctx, user_name="u0")  # created after the first page: listed at the end
        users.delete_user(ctx, user_name="u2")
        second = get_account_authorization_details(ctx, max_items=2, filter=["User"], marker=first.marker)
        assert [u.user_name for u in first.users] == ["u1", "u2"]
        assert [u.user_name for u in second.users] == ["u3", "u0"]

    @pytest.mark.parametrize(
        ("marker", "max_items", "message"),
        [
            (
                "bm90LWEtbWFya2Vy",
                None,
                "at 'marker' failed to satisfy constraint: Member must be a marker returned",
            ),
            ("", None, "at 'marker' failed to satisfy constraint: Member must have length between 1 and 320"),
            (
                None,
                0,
                "at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
            ),
            (None, 1001, "at 'maxItems' failed"),
        ],
    )
    def test_bad_markers_and_page_sizes_are_validation_errors(self, ctx, marker, max_items, message):
        with pytest.raises(ValidationError) as bad:
            get_account_authorization_details(ctx, marker=marker, max_items=max_items)
        assert message in bad.value.message

    def test_an_iam_user_without_a_policy_is_denied_and_audited(self, ctx, acct):
        carol = users.create_user(ctx, user_name="carol")
        with pytest.raises(AccessDeniedError) as denied:
            get_account_authorization_details(f.context_for(carol))
        assert denied.value.message == f.denial(acct, "carol", "iam:GetAccountAuthorizationDetails", "*")
        assert f.events("iam:GetAccountAuthorizationDetails") == [("denied", "AccessDenied")]
        assert AuditEvent.objects.get(action="iam:GetAccountAuthorizationDetails").target_arn == "*"

    def test_an_iam_user_with_read_only_access_may(self, ctx):
        carol = users.create_user(ctx, user_name="carol")
        policy_attachments.attach_user_policy(ctx, user_name="carol", policy_arn=IAM_READ_ONLY)
        found = get_account_authorization_details(f.context_for(carol), filter=["User"])
        assert [u.user_name for u in found.users] == ["carol"]

    def test_another_accounts_entities_never_appear(self, ctx):
        seed(ctx)
        other = f.root_context()
        seed(other, "x-")
        out = plain(get_account_authorization_details(other))
        names = [u["UserName"] for u in out["UserDetailList"]] + [
            g["GroupName"] for g in out["GroupDetailList"]
        ]
        assert names == ["x-alice", "x-bob", "x-devs"]
        assert all(
            p["Arn"].startswith(("arn:aws:iam::aws:", f"arn:aws:iam::{other.account.account_id}:"))
            for p in out["Policies"]
        )

    def test_the_query_count_stays_the_same_as_the_account_grows(self, ctx):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                plain(get_account_authorization_details(ctx, max_items=1000))
            return len(queries)

        seed(ctx)
        small = count()
        for n in range(3):
            seed(ctx, f"more{n}-")
        assert count() == small
        # Users 1 + 3 relations, groups 1 + 2, roles 1 + 2 + 3 (RoleLastUsed), policies 1 + versions 1;
        # the root user's authorization reads nothing.
        assert small == 15
