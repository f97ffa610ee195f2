"""GetAccountAuthorizationDetails with a real boto3 client (and its paginator) and the AWS CLI against
the live server: documents travel URL-encoded and arrive as JSON objects; what the CLI prints imports
into another account unchanged."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command

from accounts.models import AuditEvent
from tests import factories as f
from tests.accounts.test_account_import import comparable, export
from tests.accounts.test_authorization_details import S3_READ_ONLY, seed

from .conftest import send
from .test_cli import aws

pytestmark = pytest.mark.django_db(transaction=True)
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


class GetAccountAuthorizationDetailsTests:
    def test_boto3_reads_every_list_with_documents_as_objects(self, iam, root):
        ctx = f.root_context(root)
        seed(ctx)
        acct = root.account.account_id
        out = iam.get_account_authorization_details()
        assert out["IsTruncated"] is False and "Marker" not in out
        alice = out["UserDetailList"][0]
        assert alice["UserName"] == "alice" and alice["GroupList"] == ["devs"]
        assert alice["UserPolicyList"] == [
            {"PolicyName": "s3", "PolicyDocument": json.loads(f.document(f.allow("s3:Get*")))}
        ]
        assert alice["AttachedManagedPolicies"] == [
            {"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_READ_ONLY}
        ]
        assert alice["Tags"] == [{"Key": "team", "Value": "platform"}]
        role = out["RoleDetailList"][0]
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "AWS": f"arn:aws:iam::{acct}:root"
        }
        assert (role["InstanceProfileList"], role["RolePolicyList"][0]["PolicyName"]) == ([], "deploy")
        assert role["RoleLastUsed"] == {}  # never used: AWS's empty structure
        shared = next(p for p in out["Policies"] if p["PolicyName"] == "shared")
        assert [(v["VersionId"], v["IsDefaultVersion"]) for v in shared["PolicyVersionList"]] == [
            ("v2", True),
            ("v3", False),
        ]
        assert shared["PolicyVersionList"][1]["Document"] == json.loads(f.document(f.allow("iam:Tag*")))
        assert shared["AttachmentCount"] == 2
        # The same answer, less the dates boto3 parsed, as the selector's shapes write it.
        assert (
            comparable(json.loads(json.dumps(out, default=str)), acct)["UserDetailList"]
            == comparable(export(ctx), acct)["UserDetailList"]
        )

    def test_the_paginator_returns_every_item_exactly_once(self, iam, root):
        ctx = f.root_context(root)
        seed(ctx)
        whole = iam.get_account_authorization_details()
        pages = list(
            iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 3})
        )
        assert len(pages) == 3  # 8 items: 3, 3, 2
        assert [sum(len(p[name]) for name in LISTS) for p in pages] == [3, 3, 2]
        for name in LISTS:
            assert [item for p in pages for item in p[name]] == whole[name]

    def test_the_filter_is_sent_as_a_list(self, iam, root):
        seed(f.root_context(root))
        out = iam.get_account_authorization_details(Filter=["Role", "AWSManagedPolicy"])
        assert [r["RoleName"] for r in out["RoleDetailList"]] == ["deployer"]
        assert out["UserDetailList"] == out["GroupDetailList"] == []
        assert {p["Arn"] for p in out["Policies"]} == {
            S3_READ_ONLY,
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        }

    def test_the_raw_xml_carries_url_encoded_documents(self, live_server, root_key, root):
        ctx = f.root_context(root)
        seed(ctx)
        raw = send(live_server.url, {"Action": "GetAccountAuthorizationDetails", "Version": "2010-05-08", "Filter.member.1": "User"}, key=root_key)  # fmt: skip
        assert raw.status == 200
        assert (
            f"<PolicyDocument>{quote(f.document(f.allow('s3:Get*')), safe='')}</PolicyDocument>" in raw.body
        )
        assert "<IsTruncated>false</IsTruncated>" in raw.body

    def test_a_bad_filter_or_marker_is_a_validation_error(self, iam):
        with pytest.raises(ClientError) as bad:
            iam.get_account_authorization_details(Marker="bogus")
        assert bad.value.response["Error"]["Code"] == "ValidationError"
        assert bad.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    def test_an_iam_user_without_a_policy_is_denied(self, iam, make_client, root):
        from .conftest import Key

        iam.create_user(UserName="carol")
        created = iam.create_access_key(UserName="carol")["AccessKey"]
        carol = make_client(Key(created["AccessKeyId"], created["SecretAccessKey"]))
        with pytest.raises(ClientError) as denied:
            carol.get_account_authorization_details()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        assert denied.value.response["Error"]["Message"] == f.denial(
            root.account.account_id, "carol", "iam:GetAccountAuthorizationDetails", "*"
        )
        assert (
            AuditEvent.objects.filter(action="iam:GetAccountAuthorizationDetails", outcome="denied").count()
            == 1
        )


def test_what_the_cli_prints_imports_into_another_account(live_server, root_key, root, tmp_path):
    ctx = f.root_context(root)
    seed(ctx)
    printed = aws(live_server, root_key, "iam", "get-account-authorization-details", "--page-size", "3")
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", u["CreateDate"]) for u in printed["UserDetailList"]
    )
    assert (
        "NextToken" not in printed and sum(len(printed[name]) for name in LISTS) == 8
    )  # the CLI joined the pages
    path = tmp_path / "details.json"
    path.write_text(json.dumps(printed, indent=2))
    target = f.root_context()
    call_command("importauthz", "--account", target.account.account_id, str(path), stdout=io.StringIO())
    assert comparable(export(target), target.account.account_id) == comparable(
        export(ctx), root.account.account_id
    )
