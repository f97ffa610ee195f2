"""The Query API driven by real boto3 clients against a live server: the everyday IAM stories."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from accounts.models import User, unique_id

from .conftest import ADMIN_ACCESS, Key

pytestmark = pytest.mark.django_db(transaction=True)

READ_ONLY_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}],
}


def issue_key(client, user_name: str) -> Key:
    created = client.create_access_key(UserName=user_name)["AccessKey"]
    return Key(created["AccessKeyId"], created["SecretAccessKey"])


@pytest.fixture
def admin(iam, make_client):
    """An IAM user "admin" with AdministratorAccess, set up by the root user, and its client."""
    iam.create_user(UserName="admin")
    iam.attach_user_policy(UserName="admin", PolicyArn=ADMIN_ACCESS)
    return make_client(issue_key(iam, "admin"))


class RootSetsUpAnAdminTests:
    def test_root_creates_an_admin_user_with_a_key_and_administrator_access(self, iam, root, make_client):
        acct = root.account.account_id
        created = iam.create_user(UserName="admin", Tags=[{"Key": "team", "Value": "ops"}])["User"]
        assert created["UserName"] == "admin"
        assert created["Arn"] == f"arn:aws:iam::{acct}:user/admin"
        assert created["UserId"].startswith("AIDA")
        assert created["Tags"] == [{"Key": "team", "Value": "ops"}]
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        assert key["UserName"] == "admin" and key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
        iam.attach_user_policy(UserName="admin", PolicyArn=ADMIN_ACCESS)
        attached = iam.list_attached_user_policies(UserName="admin")["AttachedPolicies"]
        assert attached == [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ACCESS}]

        admin = make_client(Key(key["AccessKeyId"], key["SecretAccessKey"]))
        assert admin.get_user()["User"]["Arn"] == f"arn:aws:iam::{acct}:user/admin"
        listed = admin.list_access_keys()["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
        assert "SecretAccessKey" not in listed[0]

    def test_get_caller_identity_names_the_signer(self, make_client, root_key, root, admin):
        acct = root.account.account_id
        sts = make_client(root_key, "sts")
        identity = sts.get_caller_identity()
        assert (identity["UserId"], identity["Account"], identity["Arn"]) == (acct, acct, root.arn)

    def test_the_signing_region_is_recorded_as_the_keys_last_use(self, make_client, root_key):
        client = make_client(root_key, region="eu-west-1")
        client.list_users()
        used = client.get_access_key_last_used(AccessKeyId=root_key.access_key_id)["AccessKeyLastUsed"]
        assert (used["ServiceName"], used["Region"]) == ("iam", "eu-west-1")
        assert used["LastUsedDate"] is not None


class AdminBuildsTheAccountTests:
    def test_groups_users_and_a_customer_managed_policy(self, admin, root):
        acct = root.account.account_id
        group = admin.create_group(GroupName="developers", Path="/eng/")["Group"]
        assert group["Arn"] == f"arn:aws:iam::{acct}:group/eng/developers"
        admin.create_user(UserName="carol")
        admin.add_user_to_group(GroupName="developers", UserName="carol")
        members = admin.get_group(GroupName="developers")
        assert [u["UserName"] for u in members["Users"]] == ["carol"]
        assert members["IsTruncated"] is False

        document = json.dumps(READ_ONLY_DOC, indent=2)
        policy = admin.create_policy(PolicyName="ReadOnly", PolicyDocument=document, Description="reads")
        arn = policy["Policy"]["Arn"]
        assert arn == f"arn:aws:iam::{acct}:policy/ReadOnly"
        assert policy["Policy"]["DefaultVersionId"] == "v1"
        version = admin.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
        assert version["Document"] == READ_ONLY_DOC  # URL-encoded on the wire, decoded by botocore
        assert version["IsDefaultVersion"] is True

        admin.attach_group_policy(GroupName="developers", PolicyArn=arn)
        assert admin.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
        entities = admin.list_entities_for_policy(PolicyArn=arn)
        assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["developers"]
        assert [g["GroupName"] for g in admin.list_groups_for_user(UserName="carol")["Groups"]] == [
            "developers"
        ]

        inline = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
        }
        admin.put_user_policy(UserName="carol", PolicyName="no-s3", PolicyDocument=json.dumps(inline))
        assert admin.list_user_policies(UserName="carol")["PolicyNames"] == ["no-s3"]
        fetched = admin.get_user_policy(UserName="carol", PolicyName="no-s3")
        assert (fetched["UserName"], fetched["PolicyDocument"]) == ("carol", inline)

    def test_policy_versions_roles_and_tags(self, admin):
        arn = admin.create_policy(PolicyName="P", PolicyDocument=json.dumps(READ_ONLY_DOC))["Policy"]["Arn"]
        v2 = admin.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(READ_ONLY_DOC), SetAsDefault=True
        )
        assert v2["PolicyVersion"]["VersionId"] == "v2"
        versions = admin.list_policy_versions(PolicyArn=arn)["Versions"]
        assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]
        admin.delete_policy_version(PolicyArn=arn, VersionId="v1")

        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = admin.create_role(
            RoleName="web", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=7200
        )
        assert role["Role"]["AssumeRolePolicyDocument"] == trust
        assert role["Role"]["MaxSessionDuration"] == 7200
        admin.tag_role(RoleName="web", Tags=[{"Key": "env", "Value": "prod"}])
        assert admin.list_role_tags(RoleName="web")["Tags"] == [{"Key": "env", "Value": "prod"}]
        admin.attach_role_policy(RoleName="web", PolicyArn=arn)
        assert [r["RoleName"] for r in admin.list_roles()["Roles"]] == ["web"]

    def test_account_settings_and_summary(self, admin):
        admin.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True)
        policy = admin.get_account_password_policy()["PasswordPolicy"]
        assert (policy["MinimumPasswordLength"], policy["RequireSymbols"], policy["RequireNumbers"]) == (
            12,
            True,
            False,
        )
        admin.create_account_alias(AccountAlias="example-corp")
        assert admin.list_account_aliases()["AccountAliases"] == ["example-corp"]
        summary = admin.get_account_summary()["SummaryMap"]
        assert summary["Users"] == 1 and summary["UsersQuota"] > 1

    def test_virtual_mfa_device_seed_is_returned_once(self, admin):
        device = admin.create_virtual_mfa_device(VirtualMFADeviceName="phone")["VirtualMFADevice"]
        assert device["SerialNumber"].endswith(":mfa/phone")
        assert device["Base32StringSeed"].isalnum() and device["QRCodePNG"].startswith(b"\x89PNG")
        listed = admin.list_virtual_mfa_devices()["VirtualMFADevices"]
        assert listed == [{"SerialNumber": device["SerialNumber"]}]


class NewDeveloperJoinsTests:
    def test_the_new_developer_can_do_what_the_group_allows_and_nothing_else(self, admin, make_client, root):
        acct = root.account.account_id
        admin.create_group(GroupName="developers")
        arn = admin.create_policy(PolicyName="ReadOnly", PolicyDocument=json.dumps(READ_ONLY_DOC))["Policy"][
            "Arn"
        ]
        admin.attach_group_policy(GroupName="developers", PolicyArn=arn)

        admin.create_user(UserName="dave")
        admin.add_user_to_group(GroupName="developers", UserName="dave")
        dave = make_client(issue_key(admin, "dave"))

        assert {u["UserName"] for u in dave.list_users()["Users"]} == {"admin", "dave"}
        with pytest.raises(ClientError) as denied:
            dave.create_user(UserName="mallory")
        error = denied.value.response["Error"]
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error["Code"] == "AccessDenied"
        assert error["Message"] == (
            f"User: arn:aws:iam::{acct}:user/dave is not authorized to perform: iam:CreateUser on resource: "
            f"arn:aws:iam::{acct}:user/mallory because no identity-based policy allows the iam:CreateUser action"
        )

        admin.remove_user_from_group(GroupName="developers", UserName="dave")
        with pytest.raises(ClientError) as after:
            dave.list_users()
        assert after.value.response["Error"]["Code"] == "AccessDenied"


class DeveloperBecomesSecurityEngineerTests:
    def test_moving_between_groups_swaps_what_the_user_may_do(self, admin, make_client, root):
        acct = root.account.account_id
        developer = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:CreateRole", "iam:GetRole"],
                    "Resource": f"arn:aws:iam::{acct}:role/dev/*",
                },
                {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
            ],
        }
        security = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:Get*", "iam:List*", "iam:GenerateCredentialReport"],
                    "Resource": "*",
                },
                {"Effect": "Allow", "Action": ["iam:CreateUser", "iam:TagUser"], "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*"},
            ],
        }
        admin.create_group(GroupName="developers")
        admin.put_group_policy(
            GroupName="developers", PolicyName="build", PolicyDocument=json.dumps(developer)
        )
        admin.create_group(GroupName="security-engineers")
        admin.put_group_policy(
            GroupName="security-engineers", PolicyName="audit", PolicyDocument=json.dumps(security)
        )
        admin.create_user(UserName="sam")
        admin.add_user_to_group(GroupName="developers", UserName="sam")
        sam = make_client(issue_key(admin, "sam"))
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )

        sam.create_role(RoleName="builder", Path="/dev/", AssumeRolePolicyDocument=trust)
        with pytest.raises(ClientError) as not_yet:
            sam.list_users()
        assert not_yet.value.response["Error"]["Code"] == "AccessDenied"

        admin.remove_user_from_group(GroupName="developers", UserName="sam")
        admin.add_user_to_group(GroupName="security-engineers", UserName="sam")

        groups = sam.list_groups_for_user(UserName="sam")["Groups"]
        assert [g["GroupName"] for g in groups] == ["security-engineers"]
        assert {u["UserName"] for u in sam.list_users()["Users"]} == {"admin", "sam"}
        sam.create_user(UserName="auditor")
        with pytest.raises(ClientError) as no_more:
            sam.create_role(RoleName="builder2", Path="/dev/", AssumeRolePolicyDocument=trust)
        assert no_more.value.response["Error"]["Message"] == (
            f"User: arn:aws:iam::{acct}:user/sam is not authorized to perform: iam:CreateRole on resource: "
            f"arn:aws:iam::{acct}:role/dev/builder2 with an explicit deny in an identity-based policy"
        )


class RootAccessKeysTests:
    def test_the_root_user_deletes_its_own_access_keys(self, iam, make_client, root_key):
        second = iam.create_access_key()["AccessKey"]
        assert "UserName" not in second  # the root user's keys have no user name
        ids = {k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]}
        assert ids == {root_key.access_key_id, second["AccessKeyId"]}

        other = make_client(Key(second["AccessKeyId"], second["SecretAccessKey"]))
        other.delete_access_key(AccessKeyId=root_key.access_key_id)
        with pytest.raises(ClientError) as gone:
            iam.list_users()
        assert gone.value.response["Error"]["Code"] == "InvalidClientTokenId"
        other.delete_access_key(AccessKeyId=second["AccessKeyId"])
        with pytest.raises(ClientError) as none_left:
            other.list_users()
        assert none_left.value.response["Error"]["Code"] == "InvalidClientTokenId"


class PaginationTests:
    def test_the_list_users_paginator_walks_250_users_in_pages_of_100(self, iam, root):
        User.objects.bulk_create(
            User(account=root.account, user_name=f"user{i:03}", user_id=unique_id("AIDA")) for i in range(250)
        )
        pages = list(iam.get_paginator("list_users").paginate())
        assert [len(p["Users"]) for p in pages] == [100, 100, 50]
        assert [p["IsTruncated"] for p in pages] == [True, True, False]
        names = [u["UserName"] for p in pages for u in p["Users"]]
        assert names == [f"user{i:03}" for i in range(250)]

    def test_max_items_and_marker_page_by_hand(self, iam, root):
        User.objects.bulk_create(
            User(account=root.account, user_name=f"u{i}", user_id=unique_id("AIDA")) for i in range(3)
        )
        first = iam.list_users(MaxItems=2)
        assert first["IsTruncated"] is True and len(first["Users"]) == 2
        rest = iam.list_users(MaxItems=2, Marker=first["Marker"])
        assert rest["IsTruncated"] is False and "Marker" not in rest
        assert [u["UserName"] for u in rest["Users"]] == ["u2"]
