"""SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysForPrincipalPolicy and
GetContextKeysForCustomPolicy with a real boto3 client against the live server: botocore's shapes
(EvaluationResults, one per action, MatchedStatements with StartPosition/EndPosition,
MissingContextValues, EvalDecisionDetails as an entry map, ResourceSpecificResults, IsTruncated/Marker)
parse as AWS's do."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "iam:Get*", "Resource": "*"},
            {
                "Sid": "Office",
                "Effect": "Allow",
                "Action": "iam:List*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
        ],
    },
    indent=2,
)
NO_DELETE = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}
)
OBJECT = "arn:aws:s3:::reports/q1.csv"


def _error(raised: pytest.ExceptionInfo) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


@pytest.fixture
def alice(iam, root) -> str:
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="Read", PolicyDocument=READ)
    iam.create_group(GroupName="Guarded")
    iam.add_user_to_group(GroupName="Guarded", UserName="alice")
    iam.put_group_policy(GroupName="Guarded", PolicyName="NoDelete", PolicyDocument=NO_DELETE)
    return f"arn:aws:iam::{root.account.account_id}:user/alice"


class SimulatePrincipalPolicyTests:
    def test_results_as_botocore_parses_them(self, iam, alice):
        found = iam.simulate_principal_policy(
            PolicySourceArn=alice,
            ActionNames=["iam:GetUser", "iam:DeleteUser", "iam:ListUsers", "iam:CreateUser"],
        )
        assert found["IsTruncated"] is False
        assert "Marker" not in found
        get, delete, listing, create = found["EvaluationResults"]
        assert get == {
            "EvalActionName": "iam:GetUser",
            "EvalResourceName": "*",
            "EvalDecision": "allowed",
            "MatchedStatements": [
                {
                    "SourcePolicyId": "Read",
                    "SourcePolicyType": "user",
                    "StartPosition": {"Line": 4, "Column": 5},
                    "EndPosition": {"Line": 9, "Column": 5},
                }
            ],
            "MissingContextValues": [],
        }
        assert (delete["EvalDecision"], delete["MatchedStatements"][0]["SourcePolicyId"]) == (
            "explicitDeny",
            "NoDelete",
        )
        assert delete["MatchedStatements"][0]["SourcePolicyType"] == "group"
        assert (listing["EvalDecision"], listing["MissingContextValues"]) == (
            "implicitDeny",
            ["aws:SourceIp"],
        )
        assert (create["EvalDecision"], create["MatchedStatements"]) == ("implicitDeny", [])

    def test_context_entries_decode_with_their_lists_of_values(self, iam, alice):
        found = iam.simulate_principal_policy(
            PolicySourceArn=alice,
            ActionNames=["iam:ListUsers"],
            ContextEntries=[
                {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"},
                {
                    "ContextKeyName": "aws:TagKeys",
                    "ContextKeyValues": ["a", "b"],
                    "ContextKeyType": "stringList",
                },
            ],
        )
        (listing,) = found["EvaluationResults"]
        assert (listing["EvalDecision"], listing["MissingContextValues"]) == ("allowed", [])
        assert listing["MatchedStatements"][0]["SourcePolicyId"] == "Read"

    def test_the_paginator_walks_every_action_each_with_every_resource(self, iam, alice, root):
        acct = root.account.account_id
        actions = [f"iam:GetUser{i}" for i in range(7)] + ["iam:DeleteUser"]
        resources = [f"arn:aws:iam::{acct}:user/u{i}" for i in range(3)]
        first = iam.simulate_principal_policy(
            PolicySourceArn=alice, ActionNames=actions, ResourceArns=resources, MaxItems=5
        )
        assert (first["IsTruncated"], len(first["EvaluationResults"])) == (True, 5)  # five actions
        assert first["Marker"]
        paginator = iam.get_paginator("simulate_principal_policy")
        pages = list(
            paginator.paginate(
                PolicySourceArn=alice,
                ActionNames=actions,
                ResourceArns=resources,
                PaginationConfig={"PageSize": 5},
            )
        )
        assert len(pages) == 2  # 8 actions, 5 a page
        results = [r for page in pages for r in page["EvaluationResults"]]
        assert [(r["EvalActionName"], r["EvalResourceName"]) for r in results] == [(a, "*") for a in actions]
        decided = [
            (r["EvalDecision"], [s["EvalResourceDecision"] for s in r["ResourceSpecificResults"]])
            for r in results
        ]
        assert decided == [("allowed", ["allowed"] * 3)] * 7 + [("explicitDeny", ["explicitDeny"] * 3)]
        named = results[0]
        # Named resources in one account: EvalDecisionDetails present and empty at the top, absent
        # per resource (AWS returns a resource's only across accounts); the keys are per resource.
        assert (named["EvalDecisionDetails"], named["MissingContextValues"]) == ({}, [])
        assert named["ResourceSpecificResults"] == [
            {
                "EvalResourceName": resource,
                "EvalResourceDecision": "allowed",
                "MatchedStatements": named["MatchedStatements"],
                "MissingContextValues": [],
            }
            for resource in resources
        ]

    def test_mixed_decisions_on_the_resources_aggregate_to_the_most_restrictive(self, iam, alice, root):
        acct = root.account.account_id
        keep = f"arn:aws:iam::{acct}:user/keep"
        iam.put_user_policy(
            UserName="alice",
            PolicyName="Delete",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "Delete", "Effect": "Allow", "Action": "iam:DeleteRole", "Resource": "*"},
                {"Sid": "Keep", "Effect": "Deny", "Action": "iam:DeleteRole", "Resource": keep},
            ]}),
        )  # fmt: skip
        resources = [f"arn:aws:iam::{acct}:user/a", keep, f"arn:aws:iam::{acct}:user/b"]
        (result,) = iam.simulate_principal_policy(
            PolicySourceArn=alice, ActionNames=["iam:DeleteRole"], ResourceArns=resources
        )["EvaluationResults"]
        assert (result["EvalResourceName"], result["EvalDecision"]) == ("*", "explicitDeny")
        (deny,) = result["MatchedStatements"]  # the Allow of the other two did not decide the deny
        assert (deny["SourcePolicyId"], deny["SourcePolicyType"]) == ("Delete", "user")
        assert [
            (r["EvalResourceName"], r["EvalResourceDecision"]) for r in result["ResourceSpecificResults"]
        ] == [
            (resources[0], "allowed"),
            (keep, "explicitDeny"),
            (resources[2], "allowed"),
        ]
        assert result["ResourceSpecificResults"][1]["MatchedStatements"] == [deny]

    def test_policy_input_list_boundary_resource_policy_and_owner(self, iam, alice, root):
        acct = root.account.account_id
        bucket_policy = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::reports/*",
                    }
                ],
            }
        )
        found = iam.simulate_principal_policy(
            PolicySourceArn=alice,
            PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})],
            PermissionsBoundaryPolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})],
            ActionNames=["s3:GetObject"],
            ResourceArns=[OBJECT],
            ResourcePolicy=bucket_policy,
            ResourceOwner="210987654321",
            ResourceHandlingOption="EC2-VPC-EBS",
        )  # fmt: skip
        (result,) = found["EvaluationResults"]
        assert result["EvalDecision"] == "allowed"
        assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in result["MatchedStatements"]] == [
            ("PolicyInputList.1", "none"),
            ("PermissionsBoundaryPolicyInputList.1", "none"),
            ("ResourcePolicy", "resource"),
        ]
        assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
        assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
        (specific,) = result["ResourceSpecificResults"]
        assert specific["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
        assert specific["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}

    def test_errors_in_awss_words(self, iam, alice, root):
        acct = root.account.account_id
        with pytest.raises(iam.exceptions.NoSuchEntityException) as missing:
            iam.simulate_principal_policy(
                PolicySourceArn=f"arn:aws:iam::{acct}:user/ghost", ActionNames=["iam:GetUser"]
            )
        assert _error(missing) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")
        iam.create_group(GroupName="Readers")
        with pytest.raises(iam.exceptions.InvalidInputException) as caller:
            iam.simulate_principal_policy(
                PolicySourceArn=f"arn:aws:iam::{acct}:group/Readers",
                ActionNames=["s3:GetObject"],
                ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
            )  # fmt: skip
        assert _error(caller) == (
            400,
            "InvalidInput",
            "CallerArn is required when a ResourcePolicy is included and the PolicySourceArn is not an IAM user.",
        )
        with pytest.raises(ClientError) as owner:
            iam.simulate_principal_policy(
                PolicySourceArn=alice, ActionNames=["iam:GetUser"], ResourceOwner="me"
            )
        assert _error(owner) == (400, "InvalidInput", "'me' is not a valid as a Resource Owner.")
        with pytest.raises(ClientError) as arn:
            iam.simulate_principal_policy(
                PolicySourceArn=alice, ActionNames=["iam:GetUser"], ResourceArns=["u1"]
            )
        assert _error(arn) == (400, "InvalidInput", "ResourceNames are not in a valid ARN format: u1.")
        with pytest.raises(ClientError) as required:
            iam.simulate_principal_policy(PolicySourceArn=alice, ActionNames=[])
        assert _error(required)[:2] == (400, "ValidationError")


class SimulateCustomPolicyTests:
    def test_a_resource_policy_and_context_entries(self, iam, root):
        acct = root.account.account_id
        bob = f"arn:aws:iam::{acct}:user/bob"
        bucket_policy = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Share",
                        "Effect": "Allow",
                        "Principal": {"AWS": bob},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::reports/*",
                        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                    }
                ],
            }
        )
        nothing = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})  # fmt: skip

        def simulate(*entries: dict) -> dict:
            (result,) = iam.simulate_custom_policy(
                PolicyInputList=[nothing],
                ActionNames=["s3:GetObject"],
                ResourceArns=[OBJECT],
                ResourcePolicy=bucket_policy,
                CallerArn=bob,
                ContextEntries=list(entries),
            )["EvaluationResults"]
            return result

        bare = simulate()
        assert bare["EvalDecision"] == "implicitDeny"
        assert bare["MissingContextValues"] == []  # a named resource: the keys are per resource
        assert bare["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:SecureTransport"]
        secure = simulate(
            {
                "ContextKeyName": "aws:SecureTransport",
                "ContextKeyValues": ["true"],
                "ContextKeyType": "boolean",
            }
        )
        assert secure["EvalDecision"] == "allowed"
        assert secure["MatchedStatements"] == [
            {
                "SourcePolicyId": "ResourcePolicy",
                "SourcePolicyType": "resource",
                "StartPosition": {"Line": 1, "Column": 41},
                "EndPosition": {"Line": 1, "Column": bucket_policy.rindex("}]") + 1},  # the statement's "}"
            }
        ]
        plain = simulate(
            {
                "ContextKeyName": "aws:SecureTransport",
                "ContextKeyValues": ["false"],
                "ContextKeyType": "boolean",
            }
        )
        assert plain["EvalDecision"] == "implicitDeny"

    def test_errors_in_awss_words(self, iam):
        with pytest.raises(iam.exceptions.InvalidInputException) as caller:
            iam.simulate_custom_policy(
                PolicyInputList=[NO_DELETE],
                ActionNames=["s3:GetObject"],
                ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
            )  # fmt: skip
        assert _error(caller)[1] == "InvalidInput"
        with pytest.raises(ClientError) as malformed:
            iam.simulate_custom_policy(PolicyInputList=["{"], ActionNames=["s3:GetObject"])
        assert _error(malformed)[:2] == (400, "MalformedPolicyDocument")
        assert _error(malformed)[2].startswith("PolicyInputList.1: ")
        with pytest.raises(ClientError) as handling:
            iam.simulate_custom_policy(
                PolicyInputList=[NO_DELETE],
                ActionNames=["s3:GetObject"],
                ResourceHandlingOption="EC2-Classic",
            )
        assert _error(handling)[:2] == (400, "InvalidInput")

    def test_a_control_character_is_invalid_input_in_a_well_formed_answer(self, iam):
        # It was echoed back as EvalActionName, and botocore could not parse the answer.
        with pytest.raises(iam.exceptions.InvalidInputException) as control:
            iam.simulate_custom_policy(PolicyInputList=[NO_DELETE], ActionNames=["iam:Get\x01User"])
        assert _error(control) == (
            400,
            "InvalidInput",
            "ActionNames.member.1 contains the invalid character U+0001.",
        )
        with pytest.raises(iam.exceptions.InvalidInputException) as arn:
            iam.simulate_custom_policy(
                PolicyInputList=[NO_DELETE],
                ActionNames=["iam:GetUser"],
                ResourceArns=["arn:aws:s3:::b/\x7f\x0b"],
            )
        assert _error(arn)[2] == "ResourceArns.member.1 contains the invalid character U+000B."

    def test_the_documents_given_may_total_131072_characters(self, iam):
        padded = NO_DELETE + " " * (70_000 - len(NO_DELETE))
        with pytest.raises(iam.exceptions.InvalidInputException) as over:
            iam.simulate_custom_policy(
                PolicyInputList=[padded], ActionNames=["iam:GetUser"], ResourcePolicy=padded
            )
        assert _error(over)[2].startswith("The policy documents given total 140000 characters: ")
        found = iam.simulate_custom_policy(PolicyInputList=[padded], ActionNames=["iam:DeleteUser"])
        assert found["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"

    def test_many_statements_shorten_the_pages_and_the_paginator_walks_them(self, iam):
        many = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{i}/*"}
                    for i in range(500)
                ],
            }
        )
        actions = [f"s3:GetObject{i}" for i in range(45)]
        resources = [f"arn:aws:s3:::b{i}/k" for i in range(10)]
        paginator = iam.get_paginator("simulate_custom_policy")
        pages = list(
            paginator.paginate(
                PolicyInputList=[many],
                ActionNames=actions,
                ResourceArns=resources,
                PaginationConfig={"PageSize": 100},
            )
        )
        # 100,000 statement checks a page: 20 actions of 10 resources times 500 statements.
        assert [len(p["EvaluationResults"]) for p in pages] == [20, 20, 5]
        assert [r["EvalActionName"] for p in pages for r in p["EvaluationResults"]] == actions


class GetContextKeysTests:
    def test_custom_and_principal(self, iam, alice):
        dynamodb = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": "dynamodb:*",
                    "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
                    "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}},
                },
            }
        )
        custom = iam.get_context_keys_for_custom_policy(PolicyInputList=[dynamodb, READ])
        assert custom["ContextKeyNames"] == ["aws:username", "aws:CurrentTime", "aws:SourceIp"]
        principal = iam.get_context_keys_for_principal_policy(PolicySourceArn=alice)
        assert principal["ContextKeyNames"] == ["aws:SourceIp"]
        more = iam.get_context_keys_for_principal_policy(PolicySourceArn=alice, PolicyInputList=[dynamodb])
        assert more["ContextKeyNames"] == ["aws:SourceIp", "aws:username", "aws:CurrentTime"]
        assert iam.get_context_keys_for_custom_policy(PolicyInputList=[NO_DELETE])["ContextKeyNames"] == []

    def test_a_denied_caller_is_refused_and_audited(self, iam, make_client, alice, root):
        from .conftest import Key

        iam.create_user(UserName="nobody")
        created = iam.create_access_key(UserName="nobody")["AccessKey"]
        nobody = make_client(Key(created["AccessKeyId"], created["SecretAccessKey"]))
        with pytest.raises(ClientError) as denied:
            nobody.get_context_keys_for_principal_policy(PolicySourceArn=alice)
        acct = root.account.account_id
        assert _error(denied) == (
            403,
            "AccessDenied",
            f"User: arn:aws:iam::{acct}:user/nobody is not authorized to perform: "
            f"iam:GetContextKeysForPrincipalPolicy on resource: {alice} because no identity-based policy "
            "allows the iam:GetContextKeysForPrincipalPolicy action",
        )
        event = AuditEvent.objects.get(action="iam:GetContextKeysForPrincipalPolicy")
        assert (event.outcome, event.channel) == ("denied", "query")
