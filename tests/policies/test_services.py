"""Managed policy services and selectors: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion,
SetDefaultPolicyVersion, ListEntitiesForPolicy, TagPolicy, UntagPolicy, ListPolicyTags."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from accounts import quotas
from accounts.models import Account, AuditEvent, Group, GroupMembership, Role, User, unique_id
from accounts.selectors import users as user_reads
from accounts.services import roles, users
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    EntityAlreadyExistsError,
    InvalidInputError,
    LimitExceededError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    ValidationError,
)
from policies import selectors as policy_reads
from policies import services as policies
from policies.documents import size
from policies.models import (
    GroupPolicyAttachment,
    ManagedPolicy,
    PolicyVersion,
    RolePolicyAttachment,
    UserPolicyAttachment,
)
from tests import factories as f
from tests.factories import denial, events, generation

pytestmark = pytest.mark.django_db

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_S3 = f.document(f.allow("s3:GetObject", "arn:aws:s3:::reports/*"))
LIST_USERS = f.document(f.allow("iam:ListUsers"))
LIST_GROUPS = f.document(f.allow("iam:ListGroups"))
EC2_TRUST = f.document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
# The newcomer's mistake: a space after the service prefix. "iam: ChangePassword" is on line 6.
MALFORMED = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "iam: ChangePassword",
            "Resource": "*"
        }
    ]
}"""


def invalid(value: object, member: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


def make(ctx, name: str = "ReadReports", document: str = READ_S3, **kwargs) -> ManagedPolicy:
    return policies.create_policy(ctx, policy_name=name, policy_document=document, **kwargs)


def arn_of(ctx, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ctx.account.account_id}:policy{path}{name}"


def sized_document(non_whitespace: int) -> str:
    """A valid, indented identity policy with exactly this many non-whitespace characters."""

    def text(pad: str) -> str:
        return json.dumps(
            {"Version": "2012-10-17", "Statement": [f.allow("s3:GetObject", f"arn:aws:s3:::{pad}")]}, indent=8
        )

    return text("x" * (non_whitespace - size(text(""))))


def versions(policy: ManagedPolicy) -> list[tuple[str, bool]]:
    return list(
        PolicyVersion.objects.filter(policy=policy).order_by("pk").values_list("version_id", "is_default")
    )


def admin_user(ctx, name: str = "admin") -> User:
    admin = users.create_user(ctx, user_name=name)
    f.put_user_policy(admin, "Everything", f.allow())
    return admin


def bulk_policies(account: Account, prefix: str, n: int) -> list[ManagedPolicy]:
    made = ManagedPolicy.objects.bulk_create(
        ManagedPolicy(
            account=account,
            policy_name=f"{prefix}{i:04}",
            policy_id=unique_id("ANPA"),
            arn=f"arn:aws:iam::{account.account_id}:policy/{prefix}{i:04}",
        )
        for i in range(n)
    )
    PolicyVersion.objects.bulk_create(
        PolicyVersion(policy=p, version_id="v1", document=READ_S3, is_default=True) for p in made
    )
    return made


class CreatePolicyTests:
    def test_creates_a_policy_whose_v1_is_the_default_version(self, ctx, acct):
        policy = make(ctx, path="/reports/", description="Read the reports bucket")
        assert policy.arn == f"arn:aws:iam::{acct}:policy/reports/ReadReports"
        assert policy.policy_id.startswith("ANPA") and len(policy.policy_id) == 21
        assert (policy.account, policy.description, policy.tags) == (
            ctx.account,
            "Read the reports bucket",
            {},
        )
        assert versions(policy) == [("v1", True)]
        assert PolicyVersion.objects.get(policy=policy).document == READ_S3
        assert (policy.default_version_id, policy.attachment_count) == ("v1", 0)
        assert (policy.permissions_boundary_usage_count, policy.is_attachable) == (0, True)
        assert events("iam:CreatePolicy") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:CreatePolicy")
        assert (event.actor_arn, event.target_arn) == (ctx.caller.arn, policy.arn)
        assert event.parameters == {
            "policy_name": "ReadReports",
            "path": "/reports/",
            "description": "Read the reports bucket",
            "policy_document": READ_S3,
        }

    def test_creating_a_policy_changes_no_ones_permissions(self, ctx):
        before = generation(ctx)
        make(ctx)
        assert generation(ctx) == before

    def test_names_are_unique_per_account_case_insensitively(self, ctx):
        make(ctx, "ReadReports")
        with pytest.raises(EntityAlreadyExistsError) as caught:
            make(ctx, "READREPORTS", path="/other/")
        assert (
            caught.value.message
            == "A policy called READREPORTS already exists. Duplicate names are not allowed."
        )
        assert (caught.value.code, caught.value.http_status) == ("EntityAlreadyExists", 409)
        assert ManagedPolicy.objects.filter(account=ctx.account).count() == 1
        assert events("iam:CreatePolicy") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_a_racing_duplicate_caught_by_the_database_is_entity_already_exists(self, ctx, monkeypatch):
        make(ctx, "ReadReports")
        monkeypatch.setattr(policies, "_name_taken", lambda ctx, name: False)  # as if the rows raced
        with pytest.raises(EntityAlreadyExistsError) as caught:
            make(ctx, "readreports")
        assert (
            caught.value.message
            == "A policy called readreports already exists. Duplicate names are not allowed."
        )
        assert events("iam:CreatePolicy") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_the_same_name_may_exist_in_another_account_and_as_an_aws_managed_name(self, ctx, acct):
        make(ctx, "ReadReports")
        assert make(f.root_context(), "ReadReports").account != ctx.account
        mine = make(ctx, "AdministratorAccess", document=f.document(f.allow("s3:*")))
        assert mine.arn == f"arn:aws:iam::{acct}:policy/AdministratorAccess"

    @pytest.mark.parametrize(
        ("name", "constraint"),
        [
            ("", "not be null"),
            ("a" * 129, "have length less than or equal to 128"),
            ("bad name", r"satisfy regular expression pattern: [\w+=,.@-]+"),
            ("a/b", r"satisfy regular expression pattern: [\w+=,.@-]+"),
            ("naïve", r"satisfy regular expression pattern: [\w+=,.@-]+"),
        ],
    )
    def test_names_follow_the_model_constraints(self, ctx, name, constraint):
        with pytest.raises(ValidationError) as caught:
            make(ctx, name)
        assert caught.value.message == invalid(name, "policyName", constraint)
        assert not ManagedPolicy.objects.filter(account=ctx.account).exists()

    def test_names_of_128_characters_and_all_allowed_punctuation(self, ctx):
        assert make(ctx, "p" * 128).policy_name == "p" * 128
        assert make(ctx, "a_+=,.@-b").policy_name == "a_+=,.@-b"

    @pytest.mark.parametrize(
        "path", ["reports", "/reports", "//", "/a b/", "/a~b/", "/a*/", "/" + "a" * 511 + "/"]
    )
    def test_paths_follow_the_policy_path_pattern(self, ctx, path):
        with pytest.raises(ValidationError) as caught:
            make(ctx, path=path)
        assert caught.value.message.startswith(f"1 validation error detected: Value '{path}' at 'path' ")
        assert not ManagedPolicy.objects.filter(account=ctx.account).exists()

    def test_a_path_with_every_allowed_character(self, ctx):
        assert make(ctx, path="/a.b,c+d@e=f_g-h/0/").path == "/a.b,c+d@e=f_g-h/0/"

    def test_the_path_message_quotes_the_policy_path_pattern(self, ctx):
        with pytest.raises(ValidationError) as caught:
            make(ctx, path="/a~b/")
        assert caught.value.message == invalid(
            "/a~b/", "path", r"satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/"
        )

    def test_descriptions_have_at_most_1000_characters(self, ctx):
        assert make(ctx, "Long", description="d" * 1000).description == "d" * 1000
        with pytest.raises(ValidationError) as caught:
            make(ctx, "TooLong", description="d" * 1001)
        assert caught.value.message == invalid(
            "d" * 1001, "description", "have length less than or equal to 1000"
        )

    def test_tags_are_stored_and_checked(self, ctx):
        policy = make(ctx, tags=[{"Key": "team", "Value": "blue"}])
        assert ManagedPolicy.objects.get(pk=policy.pk).tags == {"team": "blue"}
        with pytest.raises(InvalidInputError) as caught:
            make(ctx, "Other", tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
        assert (
            caught.value.message
            == "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )

    def test_a_malformed_document_names_what_is_wrong_and_where(self, ctx):
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            make(ctx, document=MALFORMED)
        assert caught.value.message == (
            "Invalid action: The action 'iam: ChangePassword' contains white space; write it as "
            "'iam:ChangePassword'. (line 6, column 23, Statement[0].Action)"
        )
        assert (caught.value.code, caught.value.http_status) == ("MalformedPolicyDocument", 400)
        assert not ManagedPolicy.objects.filter(account=ctx.account).exists()
        assert events("iam:CreatePolicy") == []  # rejected before authorization, like every invalid input

    def test_a_json_syntax_error_names_line_and_column(self, ctx):
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            make(ctx, document='{"Version": "2012-10-17",\n "Statement": [')
        assert caught.value.message.startswith("Json syntax error: ")
        assert caught.value.message.endswith("(line 2, column 16)")

    def test_a_trust_policy_is_not_an_identity_policy(self, ctx):
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            make(ctx, document=EC2_TRUST)
        assert caught.value.message == (
            "Missing resource: Add a Resource or NotResource element to the statement. "
            "(line 1, column 41, Statement[0])"
        )

    def test_documents_have_at_most_6144_characters_besides_white_space(self, ctx):
        largest = sized_document(6144)
        assert len(largest) > 6144 and size(largest) == 6144  # white space does not count
        assert PolicyVersion.objects.get(policy=make(ctx, "Largest", document=largest)).document == largest
        with pytest.raises(LimitExceededError) as caught:
            make(ctx, "TooLarge", document=sized_document(6145))
        assert caught.value.message == "Cannot exceed quota for PolicySize: 6144"
        assert not ManagedPolicy.objects.filter(policy_name="TooLarge").exists()

    def test_a_missing_document(self, ctx):
        with pytest.raises(ValidationError) as caught:
            make(ctx, document=None)
        assert caught.value.message == invalid(None, "policyDocument", "not be null")

    def test_quota_of_1500_customer_managed_policies_per_account(self, ctx):
        bulk_policies(ctx.account, "p", 1499)
        make(ctx, "Last")
        with pytest.raises(LimitExceededError) as caught:
            make(ctx, "OneTooMany")
        assert caught.value.message == "Cannot exceed quota for PoliciesPerAccount: 1500"
        assert events("iam:CreatePolicy") == [("success", ""), ("failed", "LimitExceeded")]
        assert ManagedPolicy.objects.filter(account=ctx.account).count() == 1500
        make(f.root_context(), "OneTooMany")  # the quota is per account; AWS managed policies do not count

    def test_the_local_limits_mirror_accounts_quotas(self):
        assert policies.MAX_POLICIES_PER_ACCOUNT == quotas.POLICIES_QUOTA
        assert policies.MAX_VERSIONS_PER_POLICY == quotas.VERSIONS_PER_POLICY_QUOTA
        assert policies.MAX_POLICY_SIZE == quotas.POLICY_SIZE_QUOTA

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            make(f.context_for(alice))
        assert caught.value.message == denial(
            acct, "alice", "iam:CreatePolicy", f"arn:aws:iam::{acct}:policy/ReadReports"
        )
        assert events("iam:CreatePolicy") == [("denied", "AccessDenied")]
        assert not ManagedPolicy.objects.filter(account=ctx.account).exists()

    def test_an_allowed_user_creates_policies_only_where_the_policy_says(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(alice, "Team", f.allow("iam:CreatePolicy", f"arn:aws:iam::{acct}:policy/team/*"))
        assert make(f.context_for(alice), path="/team/").path == "/team/"
        with pytest.raises(AccessDeniedError):
            make(f.context_for(alice), "Elsewhere")

    def test_request_tags_reach_the_policy(self, ctx):
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(
            alice,
            "TaggedOnly",
            f.allow("iam:CreatePolicy", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
        )
        make(f.context_for(alice), tags=[{"Key": "team", "Value": "blue"}])
        with pytest.raises(AccessDeniedError):
            make(f.context_for(alice), "Untagged")


class GetPolicyTests:
    def test_reports_the_default_version_and_how_the_policy_is_used(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        devs = Group.objects.create(account=ctx.account, group_name="devs", group_id=unique_id("AGPA"))
        app = roles.create_role(ctx, role_name="app", assume_role_policy_document=EC2_TRUST)
        UserPolicyAttachment.objects.create(user=alice, policy=policy)
        GroupPolicyAttachment.objects.create(group=devs, policy=policy)
        RolePolicyAttachment.objects.create(role=app, policy=policy)
        users.create_user(ctx, user_name="bounded", permissions_boundary=policy.arn)
        policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=LIST_USERS, set_as_default=True
        )

        got = policy_reads.get_policy(ctx, policy_arn=policy.arn)
        assert (got.pk, got.default_version_id, got.is_attachable) == (policy.pk, "v2", True)
        assert (got.attachment_count, got.permissions_boundary_usage_count) == (3, 1)

    def test_aws_managed_policies_are_visible_and_counted_per_account(self, ctx):
        admin = ManagedPolicy.objects.get(arn=ADMIN_ARN)
        other = f.root_context()
        for context, name in [(ctx, "alice"), (other, "bob"), (other, "carol")]:
            UserPolicyAttachment.objects.create(user=users.create_user(context, user_name=name), policy=admin)
        mine = policy_reads.get_policy(ctx, policy_arn=ADMIN_ARN)
        theirs = policy_reads.get_policy(other, policy_arn=ADMIN_ARN)
        assert (mine.account, mine.default_version_id) == (None, "v1")
        assert (mine.attachment_count, theirs.attachment_count) == (1, 2)

    def test_unknown_policy_and_another_accounts_policy(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as caught:
            policy_reads.get_policy(ctx, policy_arn=f"arn:aws:iam::{acct}:policy/Nope")
        assert caught.value.message == f"Policy arn:aws:iam::{acct}:policy/Nope was not found."
        theirs = make(f.root_context())
        with pytest.raises(NoSuchEntityError, match="was not found"):
            policy_reads.get_policy(ctx, policy_arn=theirs.arn)

    @pytest.mark.parametrize(
        "arn",
        ["arn:aws:iam::123456789012:user/alice", "not-an-arn-at-all-really", "arn:aws:s3:::bucket/policy/x"],
    )
    def test_an_arn_that_names_no_policy_is_invalid_input(self, ctx, arn):
        with pytest.raises(InvalidInputError) as caught:
            policy_reads.get_policy(ctx, policy_arn=arn)
        assert caught.value.message == f"ARN {arn} is not valid."

    def test_arns_have_20_to_2048_characters(self, ctx):
        with pytest.raises(ValidationError) as caught:
            policy_reads.get_policy(ctx, policy_arn="arn:aws:iam::aws:p")
        assert caught.value.message == invalid(
            "arn:aws:iam::aws:p", "policyArn", "have length between 20 and 2048"
        )

    def test_a_user_without_policies_is_denied_even_on_aws_managed_policies(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        for arn in (policy.arn, ADMIN_ARN):
            with pytest.raises(AccessDeniedError) as caught:
                policy_reads.get_policy(f.context_for(alice), policy_arn=arn)
            assert caught.value.message == denial(acct, "alice", "iam:GetPolicy", arn)
        assert events("iam:GetPolicy") == [("denied", "AccessDenied")] * 2

    def test_the_policys_tags_reach_the_policy_evaluation(self, ctx):
        blue = make(ctx, "Blue", tags=[{"Key": "team", "Value": "blue"}])
        red = make(ctx, "Red", tags=[{"Key": "team", "Value": "red"}])
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(
            alice,
            "BlueOnly",
            f.allow("iam:GetPolicy", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        )
        assert policy_reads.get_policy(f.context_for(alice), policy_arn=blue.arn).pk == blue.pk
        with pytest.raises(AccessDeniedError):
            policy_reads.get_policy(f.context_for(alice), policy_arn=red.arn)


class ListPoliciesTests:
    def test_scopes(self, ctx):
        make(ctx, "Mine")
        make(f.root_context(), "Theirs")
        local = policy_reads.list_policies(ctx, scope="Local").items
        aws = policy_reads.list_policies(ctx, scope="AWS", max_items=1000).items
        everything = policy_reads.list_policies(ctx, max_items=1000).items
        assert [p.policy_name for p in local] == ["Mine"]
        assert {"AdministratorAccess", "IAMUserChangePassword"} <= {p.policy_name for p in aws}
        assert all(p.account_id is None for p in aws)
        assert {p.pk for p in everything} == {p.pk for p in local} | {p.pk for p in aws}
        assert [p.policy_name for p in everything] == sorted(p.policy_name for p in everything)

    def test_only_attached_and_policy_usage_filter(self, ctx):
        attached, boundary, unused = make(ctx, "Attached"), make(ctx, "Boundary"), make(ctx, "Unused")
        UserPolicyAttachment.objects.create(user=users.create_user(ctx, user_name="alice"), policy=attached)
        users.create_user(ctx, user_name="bob", permissions_boundary=boundary.arn)

        def names(**kwargs) -> list[str]:
            return [p.policy_name for p in policy_reads.list_policies(ctx, scope="Local", **kwargs).items]

        assert names() == ["Attached", "Boundary", "Unused"]
        assert names(only_attached=True) == ["Attached"]
        assert names(policy_usage_filter="PermissionsPolicy") == ["Attached"]
        assert names(policy_usage_filter="PermissionsBoundary") == ["Boundary"]
        page = policy_reads.list_policies(ctx, scope="Local")
        assert [(p.attachment_count, p.permissions_boundary_usage_count) for p in page.items] == [
            (1, 0),
            (0, 1),
            (0, 0),
        ]
        assert unused.pk == page.items[2].pk

    def test_path_prefix(self, ctx):
        make(ctx, "A", path="/team/")
        make(ctx, "B", path="/team/sub/")
        make(ctx, "C", path="/other/")
        names = [p.policy_name for p in policy_reads.list_policies(ctx, path_prefix="/team/").items]
        assert names == ["A", "B"]

    def test_pages_with_marker_and_max_items(self, ctx):
        for i in range(5):
            make(ctx, f"P{i}")
        seen, marker = [], None
        while True:
            page = policy_reads.list_policies(ctx, scope="Local", marker=marker, max_items=2)
            seen += [p.policy_name for p in page.items]
            if not page.is_truncated:
                assert page.marker is None
                break
            marker = page.marker
        assert seen == ["P0", "P1", "P2", "P3", "P4"]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"scope": "Mine"}, invalid("Mine", "scope", "satisfy enum value set: [All, AWS, Local]")),
            (
                {"policy_usage_filter": "Inline"},
                invalid(
                    "Inline",
                    "policyUsageFilter",
                    "satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]",
                ),
            ),
            ({"only_attached": "yes"}, invalid("yes", "onlyAttached", "be a boolean")),
            (
                {"path_prefix": "team"},
                invalid(
                    "team", "pathPrefix", r"satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/"
                ),
            ),
        ],
    )
    def test_parameters_follow_the_model_constraints(self, ctx, kwargs, message):
        with pytest.raises(ValidationError) as caught:
            policy_reads.list_policies(ctx, **kwargs)
        assert caught.value.message == message

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.list_policies(f.context_for(alice))
        assert caught.value.message == denial(
            acct, "alice", "iam:ListPolicies", f"arn:aws:iam::{acct}:policy/"
        )
        assert events("iam:ListPolicies") == [("denied", "AccessDenied")]

    def test_query_count_does_not_grow_with_policies(self, ctx, django_assert_num_queries):
        alice = users.create_user(ctx, user_name="alice")
        counts = []
        for prefix, n in [("a", 10), ("b", 490)]:
            made = bulk_policies(ctx.account, prefix, n)
            UserPolicyAttachment.objects.bulk_create(
                UserPolicyAttachment(user=alice, policy=p) for p in made[:3]
            )
            with django_assert_num_queries(1) as captured:
                page = policy_reads.list_policies(f.root_context(ctx.caller), scope="Local", max_items=1000)
                seen = [
                    (p.arn, p.default_version_id, p.attachment_count, p.permissions_boundary_usage_count)
                    for p in page.items
                ]
            counts.append(len(captured.captured_queries))
        assert counts == [1, 1] and len(seen) == 500
        assert sum(attached for _, _, attached, _ in seen) == 6
        assert {version for _, version, _, _ in seen} == {"v1"}


class DeletePolicyTests:
    def test_deletes_the_policy_and_its_default_version(self, ctx):
        policy = make(ctx)
        policies.delete_policy(ctx, policy_arn=policy.arn)
        assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()
        assert not PolicyVersion.objects.filter(policy_id=policy.pk).exists()
        assert events("iam:DeletePolicy") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:DeletePolicy")
        assert (event.target_arn, event.parameters) == (policy.arn, {"policy_arn": policy.arn})

    @pytest.mark.parametrize("how", ["user", "group", "role", "user boundary", "role boundary"])
    def test_conflicts_while_attached_to_an_entity_or_used_as_a_boundary(self, ctx, how):
        policy = make(ctx)
        if how == "user":
            UserPolicyAttachment.objects.create(user=users.create_user(ctx, user_name="alice"), policy=policy)
        elif how == "group":
            group = Group.objects.create(account=ctx.account, group_name="devs", group_id=unique_id("AGPA"))
            GroupPolicyAttachment.objects.create(group=group, policy=policy)
        elif how == "role":
            role = roles.create_role(ctx, role_name="app", assume_role_policy_document=EC2_TRUST)
            RolePolicyAttachment.objects.create(role=role, policy=policy)
        elif how == "user boundary":
            users.create_user(ctx, user_name="alice", permissions_boundary=policy.arn)
        else:
            roles.create_role(
                ctx, role_name="app", assume_role_policy_document=EC2_TRUST, permissions_boundary=policy.arn
            )
        with pytest.raises(DeleteConflictError) as caught:
            policies.delete_policy(ctx, policy_arn=policy.arn)
        assert caught.value.message == "Cannot delete a policy attached to entities."
        assert (caught.value.code, caught.value.http_status) == ("DeleteConflict", 409)
        assert ManagedPolicy.objects.filter(pk=policy.pk).exists()
        assert events("iam:DeletePolicy") == [("failed", "DeleteConflict")]

    def test_conflicts_while_it_has_non_default_versions(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        with pytest.raises(DeleteConflictError) as caught:
            policies.delete_policy(ctx, policy_arn=policy.arn)
        assert caught.value.message == (
            "This policy has more than one version. Before you delete a policy, you must delete the policy's "
            "non-default versions."
        )
        policies.delete_policy_version(ctx, policy_arn=policy.arn, version_id="v2")
        policies.delete_policy(ctx, policy_arn=policy.arn)
        assert events("iam:DeletePolicy") == [("failed", "DeleteConflict"), ("success", "")]

    def test_unknown_policy(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as caught:
            policies.delete_policy(ctx, policy_arn=f"arn:aws:iam::{acct}:policy/Nope")
        assert caught.value.message == f"Policy arn:aws:iam::{acct}:policy/Nope was not found."

    def test_aws_managed_policies_cannot_be_deleted_even_by_the_root_user(self, ctx):
        with pytest.raises(InvalidInputError) as caught:
            policies.delete_policy(ctx, policy_arn=ADMIN_ARN)
        assert caught.value.message == "Cannot modify an AWS managed policy."
        assert (caught.value.code, caught.value.http_status) == ("InvalidInput", 400)
        assert ManagedPolicy.objects.filter(arn=ADMIN_ARN).exists()
        assert events("iam:DeletePolicy") == [("failed", "InvalidInput")]

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        for arn in (policy.arn, ADMIN_ARN):
            with pytest.raises(AccessDeniedError) as caught:
                policies.delete_policy(f.context_for(alice), policy_arn=arn)
            assert caught.value.message == denial(acct, "alice", "iam:DeletePolicy", arn)
        assert events("iam:DeletePolicy") == [("denied", "AccessDenied")] * 2
        assert ManagedPolicy.objects.filter(pk=policy.pk).exists()


class CreatePolicyVersionTests:
    def test_creates_a_version_that_is_not_the_default_unless_asked(self, ctx):
        policy = make(ctx)
        before = generation(ctx)
        version = policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        assert (version.version_id, version.is_default, version.document) == ("v2", False, LIST_USERS)
        assert versions(policy) == [("v1", True), ("v2", False)]
        assert generation(ctx) == before  # the default did not change
        assert ManagedPolicy.objects.get(pk=policy.pk).updated == version.created
        assert events("iam:CreatePolicyVersion") == [("success", "")]
        assert AuditEvent.objects.get(action="iam:CreatePolicyVersion").parameters == {
            "policy_arn": policy.arn,
            "policy_document": LIST_USERS,
            "set_as_default": False,
        }

    def test_set_as_default_makes_it_the_default_and_bumps_the_generation(self, ctx):
        policy = make(ctx)
        before = generation(ctx)
        version = policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=LIST_USERS, set_as_default=True
        )
        assert version.is_default
        assert versions(policy) == [("v1", False), ("v2", True)]
        assert PolicyVersion.objects.get(policy=policy, version_id="v1").document == READ_S3  # never changes
        assert generation(ctx) == before + 1

    def test_a_new_default_changes_what_attached_principals_may_do_at_once(self, ctx):
        policy = make(ctx, "Directory", document=LIST_USERS)
        devs = Group.objects.create(account=ctx.account, group_name="devs", group_id=unique_id("AGPA"))
        dev = users.create_user(ctx, user_name="dev")
        GroupMembership.objects.create(group=devs, user=dev)
        f.attach_to_group(devs, policy)
        assert user_reads.list_users(f.context_for(dev)).items
        policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=LIST_GROUPS, set_as_default=True
        )
        with pytest.raises(AccessDeniedError):
            user_reads.list_users(f.context_for(dev))
        policies.set_default_policy_version(ctx, policy_arn=policy.arn, version_id="v1")
        assert user_reads.list_users(f.context_for(dev)).items

    def test_at_most_five_versions(self, ctx):
        policy = make(ctx)
        for _ in range(4):
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        with pytest.raises(LimitExceededError) as caught:
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        assert caught.value.message == (
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
            "existing version."
        )
        assert (caught.value.code, caught.value.http_status) == ("LimitExceeded", 409)
        assert [v for v, _ in versions(policy)] == ["v1", "v2", "v3", "v4", "v5"]
        assert events("iam:CreatePolicyVersion") == [("success", "")] * 4 + [("failed", "LimitExceeded")]

    def test_version_ids_are_not_reused_after_a_delete(self, ctx):
        policy = make(ctx)
        for _ in range(2):
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        policies.delete_policy_version(ctx, policy_arn=policy.arn, version_id="v2")
        version = policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_GROUPS)
        assert version.version_id == "v4"
        assert [v for v, _ in versions(policy)] == ["v1", "v3", "v4"]

    def test_the_id_of_a_deleted_newest_version_is_not_reused(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        policies.delete_policy_version(ctx, policy_arn=policy.arn, version_id="v2")
        version = policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_GROUPS)
        assert version.version_id == "v3"

    def test_a_malformed_document_names_line_and_column(self, ctx):
        policy = make(ctx)
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=MALFORMED)
        assert caught.value.message.endswith("(line 6, column 23, Statement[0].Action)")
        assert versions(policy) == [("v1", True)]

    def test_documents_have_at_most_6144_characters_besides_white_space(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=sized_document(6144))
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for PolicySize: 6144$"):
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=sized_document(6145))

    def test_set_as_default_must_be_a_boolean(self, ctx):
        policy = make(ctx)
        with pytest.raises(ValidationError) as caught:
            policies.create_policy_version(
                ctx, policy_arn=policy.arn, policy_document=LIST_USERS, set_as_default="true"
            )
        assert caught.value.message == invalid("true", "setAsDefault", "be a boolean")

    def test_aws_managed_policies_get_no_new_versions(self, ctx):
        before = generation(ctx)
        with pytest.raises(InvalidInputError) as caught:
            policies.create_policy_version(
                ctx, policy_arn=ADMIN_ARN, policy_document=LIST_USERS, set_as_default=True
            )
        assert caught.value.message == "Cannot modify an AWS managed policy."
        assert versions(ManagedPolicy.objects.get(arn=ADMIN_ARN)) == [("v1", True)]
        assert events("iam:CreatePolicyVersion") == [("failed", "InvalidInput")]
        assert generation(ctx) == before

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policies.create_policy_version(
                f.context_for(alice), policy_arn=policy.arn, policy_document=LIST_USERS
            )
        assert caught.value.message == denial(acct, "alice", "iam:CreatePolicyVersion", policy.arn)
        assert events("iam:CreatePolicyVersion") == [("denied", "AccessDenied")]
        assert versions(policy) == [("v1", True)]


class GetPolicyVersionTests:
    def test_returns_the_document_exactly_as_stored(self, ctx):
        text = '{ "Version" : "2012-10-17",\n  "Statement" : [ {"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"} ] }'
        policy = make(ctx, document=text)
        version = policy_reads.get_policy_version(ctx, policy_arn=policy.arn, version_id="v1")
        assert (version.document, version.is_default) == (text, True)

    def test_aws_managed_policy_documents_are_readable(self, ctx):
        version = policy_reads.get_policy_version(ctx, policy_arn=ADMIN_ARN, version_id="v1")
        assert json.loads(version.document) == {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }

    def test_unknown_version(self, ctx):
        policy = make(ctx)
        with pytest.raises(NoSuchEntityError) as caught:
            policy_reads.get_policy_version(ctx, policy_arn=policy.arn, version_id="v7")
        assert caught.value.message == f"Policy {policy.arn} version v7 does not exist or is not attachable."

    @pytest.mark.parametrize("version_id", ["1", "v0", "V1", "v1 ", "version1"])
    def test_version_ids_follow_the_model_pattern(self, ctx, version_id):
        policy = make(ctx)
        with pytest.raises(ValidationError) as caught:
            policy_reads.get_policy_version(ctx, policy_arn=policy.arn, version_id=version_id)
        assert caught.value.message == invalid(
            version_id, "versionId", r"satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"
        )

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.get_policy_version(f.context_for(alice), policy_arn=ADMIN_ARN, version_id="v1")
        assert caught.value.message == denial(acct, "alice", "iam:GetPolicyVersion", ADMIN_ARN)


class ListPolicyVersionsTests:
    def test_lists_newest_first_with_the_default_marked(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=LIST_USERS, set_as_default=True
        )
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_GROUPS)
        page = policy_reads.list_policy_versions(ctx, policy_arn=policy.arn)
        assert [(v.version_id, v.is_default) for v in page.items] == [
            ("v3", False),
            ("v2", True),
            ("v1", False),
        ]
        first = policy_reads.list_policy_versions(ctx, policy_arn=policy.arn, max_items=2)
        rest = policy_reads.list_policy_versions(ctx, policy_arn=policy.arn, marker=first.marker)
        assert [v.version_id for v in first.items + rest.items] == ["v3", "v2", "v1"]
        assert (first.is_truncated, rest.is_truncated) == (True, False)

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.list_policy_versions(f.context_for(alice), policy_arn=policy.arn)
        assert caught.value.message == denial(acct, "alice", "iam:ListPolicyVersions", policy.arn)


class DeletePolicyVersionTests:
    def test_deletes_a_non_default_version_without_changing_permissions(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        before = generation(ctx)
        policies.delete_policy_version(ctx, policy_arn=policy.arn, version_id="v2")
        assert versions(policy) == [("v1", True)]
        assert generation(ctx) == before
        assert events("iam:DeletePolicyVersion") == [("success", "")]
        assert AuditEvent.objects.get(action="iam:DeletePolicyVersion").parameters == {
            "policy_arn": policy.arn,
            "version_id": "v2",
        }

    def test_the_default_version_cannot_be_deleted(self, ctx):
        policy = make(ctx)
        with pytest.raises(DeleteConflictError) as caught:
            policies.delete_policy_version(ctx, policy_arn=policy.arn, version_id="v1")
        assert caught.value.message == "Cannot delete the default version of a policy."
        assert versions(policy) == [("v1", True)]
        assert events("iam:DeletePolicyVersion") == [("failed", "DeleteConflict")]

    def test_unknown_version(self, ctx):
        policy = make(ctx)
        with pytest.raises(NoSuchEntityError) as caught:
            policies.delete_policy_version(ctx, policy_arn=policy.arn, version_id="v2")
        assert caught.value.message == f"Policy {policy.arn} version v2 does not exist or is not attachable."
        assert events("iam:DeletePolicyVersion") == [("failed", "NoSuchEntity")]

    def test_aws_managed_policies_keep_their_versions(self, ctx):
        with pytest.raises(InvalidInputError, match=r"^Cannot modify an AWS managed policy\.$"):
            policies.delete_policy_version(ctx, policy_arn=ADMIN_ARN, version_id="v1")
        assert events("iam:DeletePolicyVersion") == [("failed", "InvalidInput")]

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policies.delete_policy_version(f.context_for(alice), policy_arn=policy.arn, version_id="v2")
        assert caught.value.message == denial(acct, "alice", "iam:DeletePolicyVersion", policy.arn)
        assert len(versions(policy)) == 2


class SetDefaultPolicyVersionTests:
    def test_switches_the_default_and_bumps_the_generation(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        before = generation(ctx)
        policies.set_default_policy_version(ctx, policy_arn=policy.arn, version_id="v2")
        assert versions(policy) == [("v1", False), ("v2", True)]
        assert generation(ctx) == before + 1
        assert policy_reads.get_policy(ctx, policy_arn=policy.arn).default_version_id == "v2"
        assert events("iam:SetDefaultPolicyVersion") == [("success", "")]

    def test_setting_the_current_default_changes_nothing(self, ctx):
        policy = make(ctx)
        before = generation(ctx)
        policies.set_default_policy_version(ctx, policy_arn=policy.arn, version_id="v1")
        assert versions(policy) == [("v1", True)]
        assert generation(ctx) == before
        assert events("iam:SetDefaultPolicyVersion") == [("success", "")]

    def test_unknown_version(self, ctx):
        policy = make(ctx)
        with pytest.raises(NoSuchEntityError) as caught:
            policies.set_default_policy_version(ctx, policy_arn=policy.arn, version_id="v3")
        assert caught.value.message == f"Policy {policy.arn} version v3 does not exist or is not attachable."

    def test_aws_managed_policies_keep_their_default(self, ctx):
        with pytest.raises(InvalidInputError, match=r"^Cannot modify an AWS managed policy\.$"):
            policies.set_default_policy_version(ctx, policy_arn=ADMIN_ARN, version_id="v1")

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policies.set_default_policy_version(f.context_for(alice), policy_arn=policy.arn, version_id="v2")
        assert caught.value.message == denial(acct, "alice", "iam:SetDefaultPolicyVersion", policy.arn)
        assert events("iam:SetDefaultPolicyVersion") == [("denied", "AccessDenied")]
        assert versions(policy) == [("v1", True), ("v2", False)]


class ListEntitiesForPolicyTests:
    @pytest.fixture
    def used(self, ctx):
        """A policy attached to two groups, two users and two roles; a third user has it as boundary."""
        policy = make(ctx)
        for name in ["ops", "devs"]:
            group = Group.objects.create(account=ctx.account, group_name=name, group_id=unique_id("AGPA"))
            GroupPolicyAttachment.objects.create(group=group, policy=policy)
        for name in ["bob", "alice"]:
            UserPolicyAttachment.objects.create(user=users.create_user(ctx, user_name=name), policy=policy)
        for name in ["worker", "app"]:
            role = roles.create_role(ctx, role_name=name, path="/svc/", assume_role_policy_document=EC2_TRUST)
            RolePolicyAttachment.objects.create(role=role, policy=policy)
        users.create_user(ctx, user_name="carol", path="/bounded/", permissions_boundary=policy.arn)
        users.create_user(ctx, user_name="dave")  # unrelated
        return policy

    @staticmethod
    def names(result) -> tuple[list[str], list[str], list[str]]:
        return (
            [g.group_name for g in result.groups],
            [u.user_name for u in result.users],
            [r.role_name for r in result.roles],
        )

    def test_lists_groups_users_and_roles_by_name(self, ctx, used):
        result = policy_reads.list_entities_for_policy(ctx, policy_arn=used.arn)
        assert self.names(result) == (["devs", "ops"], ["alice", "bob", "carol"], ["app", "worker"])
        assert (result.is_truncated, result.marker) == (False, None)
        assert result.users[0].arn == f"arn:aws:iam::{ctx.account.account_id}:user/alice"

    def test_entity_filter(self, ctx, used):
        def names(entity_filter):
            return self.names(
                policy_reads.list_entities_for_policy(ctx, policy_arn=used.arn, entity_filter=entity_filter)
            )

        assert names("User") == ([], ["alice", "bob", "carol"], [])
        assert names("Group") == (["devs", "ops"], [], [])
        assert names("Role") == ([], [], ["app", "worker"])
        assert names("LocalManagedPolicy") == ([], [], [])
        assert names("AWSManagedPolicy") == ([], [], [])

    def test_policy_usage_filter(self, ctx, used):
        roles.create_role(
            ctx, role_name="bounded", assume_role_policy_document=EC2_TRUST, permissions_boundary=used.arn
        )

        def names(usage):
            return self.names(
                policy_reads.list_entities_for_policy(ctx, policy_arn=used.arn, policy_usage_filter=usage)
            )

        assert names("PermissionsPolicy") == (["devs", "ops"], ["alice", "bob"], ["app", "worker"])
        assert names("PermissionsBoundary") == ([], ["carol"], ["bounded"])

    def test_path_prefix(self, ctx, used):
        result = policy_reads.list_entities_for_policy(ctx, policy_arn=used.arn, path_prefix="/svc/")
        assert self.names(result) == ([], [], ["app", "worker"])
        with pytest.raises(ValidationError, match="at 'pathPrefix' failed to satisfy constraint"):
            policy_reads.list_entities_for_policy(ctx, policy_arn=used.arn, path_prefix="svc")

    def test_pages_run_across_groups_users_and_roles(self, ctx, used):
        seen, marker, pages = [], None, 0
        while True:
            result = policy_reads.list_entities_for_policy(
                ctx, policy_arn=used.arn, marker=marker, max_items=3
            )
            pages += 1
            seen.append(self.names(result))
            if not result.is_truncated:
                assert result.marker is None
                break
            marker = result.marker
        assert seen == [
            (["devs", "ops"], ["alice"], []),
            ([], ["bob", "carol"], ["app"]),
            ([], [], ["worker"]),
        ]

    def test_an_aws_managed_policy_lists_only_this_accounts_entities(self, ctx):
        admin = ManagedPolicy.objects.get(arn=ADMIN_ARN)
        UserPolicyAttachment.objects.create(user=users.create_user(ctx, user_name="alice"), policy=admin)
        UserPolicyAttachment.objects.create(
            user=users.create_user(f.root_context(), user_name="bob"), policy=admin
        )
        result = policy_reads.list_entities_for_policy(ctx, policy_arn=ADMIN_ARN)
        assert self.names(result) == ([], ["alice"], [])

    def test_bad_filters(self, ctx, used):
        with pytest.raises(ValidationError) as caught:
            policy_reads.list_entities_for_policy(ctx, policy_arn=used.arn, entity_filter="Users")
        assert caught.value.message == invalid(
            "Users",
            "entityFilter",
            "satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]",
        )

    def test_a_user_without_policies_is_denied(self, ctx, acct, used):
        alice = User.objects.get(account=ctx.account, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.list_entities_for_policy(f.context_for(alice), policy_arn=used.arn)
        assert caught.value.message == denial(acct, "alice", "iam:ListEntitiesForPolicy", used.arn)
        assert events("iam:ListEntitiesForPolicy") == [("denied", "AccessDenied")]

    def test_query_count_does_not_grow_with_entities(self, ctx, django_assert_num_queries):
        policy = make(ctx)
        counts = []
        for prefix, n in [("a", 10), ("b", 490)]:
            made = User.objects.bulk_create(
                User(
                    account=ctx.account, user_name=f"{prefix}{i:04}", user_id=unique_id("AIDA"), password="!"
                )
                for i in range(n)
            )
            UserPolicyAttachment.objects.bulk_create(
                UserPolicyAttachment(user=u, policy=policy) for u in made
            )
            roles_made = Role.objects.bulk_create(
                Role(
                    account=ctx.account,
                    role_name=f"{prefix}{i:04}",
                    role_id=unique_id("AROA"),
                    assume_role_policy_document=EC2_TRUST,
                )
                for i in range(n // 10)
            )
            RolePolicyAttachment.objects.bulk_create(
                RolePolicyAttachment(role=r, policy=policy) for r in roles_made
            )
            # The policy, then groups, users and roles (one query each while the page has room).
            with django_assert_num_queries(4) as captured:
                result = policy_reads.list_entities_for_policy(
                    f.root_context(ctx.caller), policy_arn=policy.arn, max_items=1000
                )
                arns = [e.arn for e in result.users + result.roles]
            counts.append(len(captured.captured_queries))
        assert counts == [4, 4] and len(arns) == 550


class TagPolicyTests:
    def test_adds_and_overwrites_tags_case_insensitively(self, ctx):
        policy = make(ctx, tags=[{"Key": "Team", "Value": "blue"}])
        policies.tag_policy(
            ctx, policy_arn=policy.arn, tags=[{"Key": "team", "Value": "red"}, {"Key": "env", "Value": ""}]
        )
        assert ManagedPolicy.objects.get(pk=policy.pk).tags == {"team": "red", "env": ""}
        assert events("iam:TagPolicy") == [("success", "")]
        assert AuditEvent.objects.get(action="iam:TagPolicy").parameters == {
            "policy_arn": policy.arn,
            "tags": {"team": "red", "env": ""},
        }

    def test_at_most_50_tags(self, ctx):
        policy = make(ctx, tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
        with pytest.raises(LimitExceededError) as caught:
            policies.tag_policy(ctx, policy_arn=policy.arn, tags=[{"Key": "one-more", "Value": "v"}])
        assert caught.value.message == "The number of tags has reached the maximum limit of 50."
        assert events("iam:TagPolicy") == [("failed", "LimitExceeded")]
        policies.tag_policy(
            ctx, policy_arn=policy.arn, tags=[{"Key": "K0", "Value": "new"}]
        )  # overwriting is fine

    def test_aws_managed_policies_take_no_tags(self, ctx):
        with pytest.raises(InvalidInputError, match=r"^Cannot modify an AWS managed policy\.$"):
            policies.tag_policy(ctx, policy_arn=ADMIN_ARN, tags=[{"Key": "team", "Value": "blue"}])
        assert ManagedPolicy.objects.get(arn=ADMIN_ARN).tags == {}
        assert events("iam:TagPolicy") == [("failed", "InvalidInput")]

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policies.tag_policy(
                f.context_for(alice), policy_arn=policy.arn, tags=[{"Key": "a", "Value": "b"}]
            )
        assert caught.value.message == denial(acct, "alice", "iam:TagPolicy", policy.arn)


class UntagPolicyTests:
    def test_removes_keys_case_insensitively_and_ignores_missing_ones(self, ctx):
        policy = make(ctx, tags=[{"Key": "Team", "Value": "blue"}, {"Key": "env", "Value": "prod"}])
        policies.untag_policy(ctx, policy_arn=policy.arn, tag_keys=["team", "nope"])
        assert ManagedPolicy.objects.get(pk=policy.pk).tags == {"env": "prod"}
        assert events("iam:UntagPolicy") == [("success", "")]

    def test_aws_managed_policies_are_refused(self, ctx):
        with pytest.raises(InvalidInputError, match=r"^Cannot modify an AWS managed policy\.$"):
            policies.untag_policy(ctx, policy_arn=ADMIN_ARN, tag_keys=["team"])

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx, tags=[{"Key": "team", "Value": "blue"}])
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policies.untag_policy(f.context_for(alice), policy_arn=policy.arn, tag_keys=["team"])
        assert caught.value.message == denial(acct, "alice", "iam:UntagPolicy", policy.arn)
        assert ManagedPolicy.objects.get(pk=policy.pk).tags == {"team": "blue"}


class ListPolicyTagsTests:
    def test_lists_tags_by_key_with_pages(self, ctx):
        policy = make(ctx, tags=[{"Key": k, "Value": k.lower()} for k in ["b", "A", "c"]])
        assert policy_reads.list_policy_tags(ctx, policy_arn=policy.arn).items == [
            ("A", "a"),
            ("b", "b"),
            ("c", "c"),
        ]
        first = policy_reads.list_policy_tags(ctx, policy_arn=policy.arn, max_items=2)
        rest = policy_reads.list_policy_tags(ctx, policy_arn=policy.arn, marker=first.marker)
        assert (first.items, rest.items, rest.is_truncated) == ([("A", "a"), ("b", "b")], [("c", "c")], False)

    def test_aws_managed_policies_have_no_tags(self, ctx):
        assert policy_reads.list_policy_tags(ctx, policy_arn=ADMIN_ARN).items == []

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        alice = users.create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.list_policy_tags(f.context_for(alice), policy_arn=policy.arn)
        assert caught.value.message == denial(acct, "alice", "iam:ListPolicyTags", policy.arn)


class IamUsersAndAwsManagedPoliciesTests:
    """What AWS lets an allowed IAM user do with AWS managed policies (they belong to no account)."""

    def test_a_user_allowed_to_read_aws_managed_policies_reads_them(self, ctx):
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(
            alice, "ReadAws", f.allow(["iam:GetPolicy", "iam:GetPolicyVersion"], "arn:aws:iam::aws:policy/*")
        )
        assert policy_reads.get_policy(f.context_for(alice), policy_arn=ADMIN_ARN).default_version_id == "v1"
        assert policy_reads.get_policy_version(f.context_for(alice), policy_arn=ADMIN_ARN, version_id="v1")

    def test_an_administrator_cannot_change_an_aws_managed_policy_either(self, ctx):
        admin = f.context_for(admin_user(ctx))
        with pytest.raises(InvalidInputError, match=r"^Cannot modify an AWS managed policy\.$"):
            policies.delete_policy(admin, policy_arn=ADMIN_ARN)
        with pytest.raises(InvalidInputError, match=r"^Cannot modify an AWS managed policy\.$"):
            policies.create_policy_version(admin, policy_arn=ADMIN_ARN, policy_document=LIST_USERS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_version_creations_stop_at_five_versions():
    ctx = f.root_context()
    policy = make(ctx)
    results: list[str] = []
    barrier = threading.Barrier(20, timeout=30)

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            document = f.document(f.allow("s3:GetObject", f"arn:aws:s3:::b{i}/*"))
            policies.create_policy_version(
                f.root_context(ctx.caller), policy_arn=policy.arn, policy_document=document
            )
            results.append("ok")
        except LimitExceededError as exc:
            results.append(exc.message)
        except Exception as exc:  # anything else (a deadlock, a duplicate version id) must show below
            results.append(repr(exc))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    limit = (
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
        "existing version."
    )
    assert sorted(results) == [limit] * 16 + ["ok"] * 4
    assert versions(policy) == [("v1", True), ("v2", False), ("v3", False), ("v4", False), ("v5", False)]
    assert (
        sorted(events("iam:CreatePolicyVersion"))
        == [("failed", "LimitExceeded")] * 16 + [("success", "")] * 4
    )
