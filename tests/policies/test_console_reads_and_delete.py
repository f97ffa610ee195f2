"""The policy functions the console needs: find_policies, get_policy_details, compare_policy_versions,
get_policy_dependents, validate_policy_document (Access Analyzer's ValidatePolicy) and
delete_policy_and_dependents (the console's Delete)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, unique_id
from accounts.services import groups, policy_attachments, roles, users
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    InvalidInputError,
    NoSuchEntityError,
    ValidationError,
)
from policies import selectors as policy_reads
from policies import services as policies
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

READ_S3 = f.document(f.allow("s3:GetObject", "arn:aws:s3:::reports/*"))
LIST_USERS = f.document(f.allow("iam:ListUsers"))
EC2_TRUST = f.document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
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


def make(ctx, name: str = "ReadReports", document: str = READ_S3, **kwargs) -> ManagedPolicy:
    return policies.create_policy(ctx, policy_name=name, policy_document=document, **kwargs)


def bulk_policies(account, prefix: str, n: int) -> list[ManagedPolicy]:
    made = ManagedPolicy.objects.bulk_create(
        ManagedPolicy(
            account=account,
            policy_name=f"{prefix}{i:04d}",
            policy_id=unique_id("ANPA"),
            arn=f"arn:aws:iam::{account.account_id}:policy/{prefix}{i:04d}",
        )
        for i in range(n)
    )
    PolicyVersion.objects.bulk_create(
        PolicyVersion(policy=p, version_id="v1", document=READ_S3, is_default=True) for p in made
    )
    return made


def attached_everywhere(ctx, policy: ManagedPolicy) -> None:
    """The policy attached to user alice, group Devs and role Builder."""
    users.create_user(ctx, user_name="alice")
    groups.create_group(ctx, group_name="Devs")
    roles.create_role(ctx, role_name="Builder", assume_role_policy_document=EC2_TRUST)
    policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
    policy_attachments.attach_group_policy(ctx, group_name="Devs", policy_arn=policy.arn)
    policy_attachments.attach_role_policy(ctx, role_name="Builder", policy_arn=policy.arn)


def iam_user(ctx, name: str, *statements: dict):
    user = users.create_user(ctx, user_name=name)
    if statements:
        f.put_user_policy(user, "Rights", *statements)
    return user


class FindPoliciesTests:
    def test_scopes_and_names_containing_a_text_case_insensitively(self, ctx):
        make(ctx, "ReadReports")
        make(ctx, "WriteReports")
        make(ctx, "Other")
        local = policy_reads.find_policies(ctx, scope="Local", name_contains="REPORT")
        assert [p.policy_name for p in local.items] == ["ReadReports", "WriteReports"]
        aws = policy_reads.find_policies(ctx, scope="AWS", name_contains="readonly")
        assert {p.policy_name for p in aws.items} >= {"IAMReadOnlyAccess", "AmazonS3ReadOnlyAccess"}
        assert all(p.account_id is None for p in aws.items)
        everything = policy_reads.find_policies(ctx, max_items=1000)
        assert {"ReadReports", "AdministratorAccess"} <= {p.policy_name for p in everything.items}

    def test_used_as_filters_and_annotations(self, ctx):
        attached, boundary, _ = make(ctx, "Attached"), make(ctx, "Boundary"), make(ctx, "Unused")
        users.create_user(ctx, user_name="alice", permissions_boundary=boundary.arn)
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=attached.arn)
        as_policy = policy_reads.find_policies(ctx, scope="Local", policy_usage_filter="PermissionsPolicy")
        assert [(p.policy_name, p.attachment_count) for p in as_policy.items] == [("Attached", 1)]
        as_boundary = policy_reads.find_policies(
            ctx, scope="Local", policy_usage_filter="PermissionsBoundary"
        )
        assert [(p.policy_name, p.permissions_boundary_usage_count) for p in as_boundary.items] == [
            ("Boundary", 1)
        ]

    def test_parameters_are_checked(self, ctx):
        with pytest.raises(ValidationError) as caught:
            policy_reads.find_policies(ctx, scope="Mine")
        assert caught.value.message == (
            "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: "
            "Member must satisfy enum value set: [All, AWS, Local]"
        )
        with pytest.raises(ValidationError) as caught:
            policy_reads.find_policies(ctx, name_contains="x" * 129)
        assert caught.value.message.endswith(
            "at 'nameContains' failed to satisfy constraint: Member must have length less than or equal to 128"
        )

    def test_authorized_as_list_policies(self, ctx, acct):
        alice = iam_user(ctx, "alice")
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.find_policies(f.context_for(alice))
        assert caught.value.message == denial(
            acct, "alice", "iam:ListPolicies", f"arn:aws:iam::{acct}:policy/"
        )
        assert events("iam:ListPolicies") == [("denied", "AccessDenied")]

    def test_one_query_whatever_the_number_of_policies(self, ctx):
        counts = []
        for prefix, n in [("a", 10), ("b", 990)]:
            bulk_policies(ctx.account, prefix, n)
            fresh = f.root_context(ctx.caller)
            with CaptureQueriesContext(connection) as captured:
                page = policy_reads.find_policies(fresh, scope="Local", name_contains="0", max_items=100)
                [(p.attachment_count, p.default_version_id) for p in page.items]
            counts.append(len(captured.captured_queries))
        assert counts == [1, 1]


class GetPolicyDetailsTests:
    def test_reads_the_parts_asked_for(self, ctx):
        policy = make(ctx, tags=[{"Key": "team", "Value": "data"}])
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        attached_everywhere(ctx, policy)
        bare = policy_reads.get_policy_details(ctx, policy_arn=policy.arn)
        assert (bare.policy.arn, bare.default_version, bare.versions, bare.entities, bare.tags) == (
            policy.arn,
            None,
            None,
            None,
            None,
        )
        assert bare.policy.attachment_count == 3
        full = policy_reads.get_policy_details(
            ctx, policy_arn=policy.arn, include=("document", "versions", "entities", "tags")
        )
        assert (full.default_version.version_id, full.default_version.document) == ("v1", READ_S3)
        assert [v.version_id for v in full.versions] == ["v2", "v1"]
        assert [u.user_name for u in full.entities.users] == ["alice"]
        assert [g.group_name for g in full.entities.groups] == ["Devs"]
        assert [r.role_name for r in full.entities.roles] == ["Builder"]
        assert full.tags == [("team", "data")]

    def test_the_entities_are_attachments_not_boundaries(self, ctx):
        policy = make(ctx)
        users.create_user(ctx, user_name="bounded", permissions_boundary=policy.arn)
        details = policy_reads.get_policy_details(ctx, policy_arn=policy.arn, include=("entities",))
        assert details.entities.users == [] and details.policy.permissions_boundary_usage_count == 1

    def test_each_part_is_authorized_as_its_action(self, ctx, acct):
        policy = make(ctx)
        alice = iam_user(ctx, "alice", f.allow("iam:GetPolicy"))
        assert policy_reads.get_policy_details(f.context_for(alice), policy_arn=policy.arn).policy == policy
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.get_policy_details(
                f.context_for(alice), policy_arn=policy.arn, include=("versions",)
            )
        assert caught.value.message == denial(acct, "alice", "iam:ListPolicyVersions", policy.arn)

    def test_unknown_parts_are_a_programming_error(self, ctx):
        with pytest.raises(ValueError):
            policy_reads.get_policy_details(ctx, policy_arn=make(ctx).arn, include=("attachments",))

    def test_unknown_policy(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as caught:
            policy_reads.get_policy_details(ctx, policy_arn=f"arn:aws:iam::{acct}:policy/Nope")
        assert caught.value.message == f"Policy arn:aws:iam::{acct}:policy/Nope was not found."


class ComparePolicyVersionsTests:
    def test_formatted_documents_compared_line_by_line(self, ctx):
        policy = make(
            ctx,
            document='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Action": "s3:GetObject", "Resource": "*"}]}',
        )
        policies.create_policy_version(
            ctx,
            policy_arn=policy.arn,
            policy_document='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Action": "s3:PutObject", "Resource": "*", "Sid": "Write"}]}',
        )
        comparison = policy_reads.compare_policy_versions(
            ctx, policy_arn=policy.arn, version_id="v1", other_version_id="v2"
        )
        assert (comparison.old.version_id, comparison.new.version_id) == ("v1", "v2")
        changed = [(line.change, line.old_text.strip(), line.new_text.strip()) for line in comparison.lines]
        assert changed == [
            ("equal", "{", "{"),
            ("equal", '"Version": "2012-10-17",', '"Version": "2012-10-17",'),
            ("equal", '"Statement": [', '"Statement": ['),
            ("equal", "{", "{"),
            ("equal", '"Effect": "Allow",', '"Effect": "Allow",'),
            ("changed", '"Action": "s3:GetObject",', '"Action": "s3:PutObject",'),
            ("changed", '"Resource": "*"', '"Resource": "*",'),
            ("added", "", '"Sid": "Write"'),
            ("equal", "}", "}"),
            ("equal", "]", "]"),
            ("equal", "}", "}"),
        ]
        assert [(line.old_number, line.new_number) for line in comparison.lines][5:8] == [
            (6, 6),
            (7, 7),
            (None, 8),
        ]
        assert not comparison.identical

    def test_a_version_with_itself_is_identical(self, ctx):
        policy = make(ctx)
        same = policy_reads.compare_policy_versions(
            ctx, policy_arn=policy.arn, version_id="v1", other_version_id="v1"
        )
        assert same.identical and len(same.lines) == len(
            policy_reads.formatted_document(READ_S3).splitlines()
        )

    def test_unknown_version(self, ctx):
        policy = make(ctx)
        with pytest.raises(NoSuchEntityError) as caught:
            policy_reads.compare_policy_versions(
                ctx, policy_arn=policy.arn, version_id="v1", other_version_id="v9"
            )
        assert caught.value.message == f"Policy {policy.arn} version v9 does not exist or is not attachable."

    def test_authorized_as_get_policy_version(self, ctx, acct):
        policy = make(ctx)
        alice = iam_user(ctx, "alice", f.allow("iam:GetPolicy"))
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.compare_policy_versions(
                f.context_for(alice), policy_arn=policy.arn, version_id="v1", other_version_id="v1"
            )
        assert caught.value.message == denial(acct, "alice", "iam:GetPolicyVersion", policy.arn)


class GetPolicyDependentsTests:
    def test_lists_attachments_other_versions_and_boundary_uses(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=READ_S3, set_as_default=True
        )
        attached_everywhere(ctx, policy)
        users.create_user(ctx, user_name="bounded", permissions_boundary=policy.arn)
        dependents = policy_reads.get_policy_dependents(ctx, policy_arn=policy.arn)
        assert [(kind, e.arn.rsplit("/", 1)[1]) for kind, e in dependents.attached_to] == [
            ("User", "alice"),
            ("Group", "Devs"),
            ("Role", "Builder"),
        ]
        assert [v.version_id for v in dependents.versions] == ["v1", "v2"]
        assert [(kind, e.user_name) for kind, e in dependents.boundary_of] == [("User", "bounded")]
        assert not dependents.deletable

    def test_aws_managed_policies_are_not_deletable(self, ctx):
        dependents = policy_reads.get_policy_dependents(
            ctx, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
        assert not dependents.deletable and dependents.versions == []

    def test_authorized_as_list_entities_and_list_versions(self, ctx, acct):
        policy = make(ctx)
        alice = iam_user(ctx, "alice", f.allow(["iam:GetPolicy", "iam:ListEntitiesForPolicy"]))
        with pytest.raises(AccessDeniedError) as caught:
            policy_reads.get_policy_dependents(f.context_for(alice), policy_arn=policy.arn)
        assert caught.value.message == denial(acct, "alice", "iam:ListPolicyVersions", policy.arn)


class ValidatePolicyDocumentTests:
    def test_errors_first_with_line_and_column(self, ctx):
        document = MALFORMED.replace('"Version": "2012-10-17",\n', "")  # and a warning: no Version
        findings = policy_reads.validate_policy_document(ctx, policy_document=document)
        assert findings[0].as_dict() == {
            "severity": "ERROR",
            "code": "INVALID_ACTION",
            "title": "Invalid action",
            "detail": "The action 'iam: ChangePassword' contains white space; write it as 'iam:ChangePassword'.",
            "path": "Statement[0].Action",
            "line": 5,
            "column": 23,
        }
        assert [(f.severity, f.code, f.line) for f in findings] == [
            ("ERROR", "INVALID_ACTION", 5),
            ("WARNING", "MISSING_VERSION", 1),
        ]

    def test_json_syntax_error(self, ctx):
        findings = policy_reads.validate_policy_document(
            ctx, policy_document='{"Version": "2012-10-17",\n "Statement": ['
        )
        assert [(f.code, f.line, f.column) for f in findings] == [("JSON_SYNTAX_ERROR", 2, 16)]
        assert findings[0].detail.startswith("Fix the JSON syntax error at index 41 line 2 column 16")

    def test_warnings_and_suggestions_of_a_valid_policy(self, ctx):
        findings = policy_reads.validate_policy_document(
            ctx, policy_document='{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
        )
        assert [(f.severity, f.code) for f in findings] == [
            ("WARNING", "MISSING_VERSION"),
            ("SECURITY_WARNING", "OVERLY_PERMISSIVE"),
            ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        ]
        assert policy_reads.validate_policy_document(ctx, policy_document=READ_S3) == []

    def test_a_refused_character_joins_the_errors_and_every_warning_stays(self, ctx):
        document = '{"Statement": {"Sid": "a\u201cb", "Effect": "Allow", "Action": "iam: GetUser", "Resource": "*"}}'
        findings = policy_reads.validate_policy_document(ctx, policy_document=document)
        codes = [(f.severity, f.code) for f in findings]
        errors = [code for severity, code in codes if severity == "ERROR"]
        assert [severity for severity, _ in codes[: len(errors)]] == ["ERROR"] * len(errors)  # errors first
        assert {"INVALID_ACTION", "INVALID_CHARACTER"} <= set(errors)
        assert ("WARNING", "MISSING_VERSION") in codes and len(codes) == len(set(codes))

    def test_a_character_iam_refuses_is_located(self, ctx):
        document = READ_S3.replace("reports/*", "reports/\u2026")  # an ellipsis pasted from a document
        findings = policy_reads.validate_policy_document(ctx, policy_document=document)
        assert [(f.severity, f.code, f.line, f.column) for f in findings] == [
            ("ERROR", "INVALID_CHARACTER", 1, document.index("\u2026") + 1)
        ]
        assert findings[0].detail == (
            "The character '\u2026' (U+2026) is not allowed in a policy document: use only tab, line feed, "
            "carriage return and the characters U+0020 to U+00FF."
        )
        # The service refuses the same document.
        with pytest.raises(ValidationError):
            make(ctx, document=document)

    def test_role_trust_policies(self, ctx):
        assert (
            policy_reads.validate_policy_document(ctx, policy_document=EC2_TRUST)[0].code
            == "MISSING_RESOURCE"
        )
        trust = policy_reads.validate_policy_document(
            ctx,
            policy_document=EC2_TRUST,
            policy_type="RESOURCE_POLICY",
            validate_policy_resource_type="AWS::IAM::AssumeRolePolicyDocument",
        )
        assert trust == []

    def test_parameters_are_checked(self, ctx):
        with pytest.raises(ValidationError) as caught:
            policy_reads.validate_policy_document(ctx, policy_document=READ_S3, policy_type="SCP")
        assert caught.value.message == (
            "1 validation error detected: Value 'SCP' at 'policyType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [IDENTITY_POLICY, RESOURCE_POLICY]"
        )
        with pytest.raises(InvalidInputError) as caught:
            policy_reads.validate_policy_document(
                ctx,
                policy_document=EC2_TRUST,
                validate_policy_resource_type="AWS::IAM::AssumeRolePolicyDocument",
            )
        assert caught.value.message == (
            "validatePolicyResourceType AWS::IAM::AssumeRolePolicyDocument applies only to policyType "
            "RESOURCE_POLICY."
        )
        with pytest.raises(ValidationError) as caught:
            policy_reads.validate_policy_document(ctx, policy_document=" " * 131_073)
        assert caught.value.message.endswith("Member must have length less than or equal to 131072")

    def test_needs_no_permission_and_writes_no_audit_event(self, ctx):
        nobody = iam_user(ctx, "nobody")
        before = AuditEvent.objects.count()
        findings = policy_reads.validate_policy_document(f.context_for(nobody), policy_document=MALFORMED)
        assert findings[0].code == "INVALID_ACTION"
        assert AuditEvent.objects.count() == before


class DeletePolicyAndDependentsTests:
    def test_detaches_deletes_the_other_versions_then_the_policy_each_audited(self, ctx):
        policy = make(ctx)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=READ_S3, set_as_default=True
        )
        attached_everywhere(ctx, policy)
        before_generation = generation(ctx)
        first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        deleted = policies.delete_policy_and_dependents(ctx, policy_arn=policy.arn)
        assert deleted == policies.DeletedPolicy(
            policy.arn, [("User", "alice"), ("Group", "Devs"), ("Role", "Builder")], ["v1", "v2"]
        )
        assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()
        assert not PolicyVersion.objects.filter(policy_id=policy.pk).exists()
        for model in (UserPolicyAttachment, GroupPolicyAttachment, RolePolicyAttachment):
            assert not model.objects.filter(policy_id=policy.pk).exists()
        audited = list(
            AuditEvent.objects.filter(pk__gt=first_event)
            .order_by("pk")
            .values_list("action", "outcome", "target_arn", "parameters")
        )
        acct = ctx.account.account_id
        assert audited == [
            (
                "iam:DetachUserPolicy",
                "success",
                f"arn:aws:iam::{acct}:user/alice",
                {"user_name": "alice", "policy_arn": policy.arn},
            ),
            (
                "iam:DetachGroupPolicy",
                "success",
                f"arn:aws:iam::{acct}:group/Devs",
                {"group_name": "Devs", "policy_arn": policy.arn},
            ),
            (
                "iam:DetachRolePolicy",
                "success",
                f"arn:aws:iam::{acct}:role/Builder",
                {"role_name": "Builder", "policy_arn": policy.arn},
            ),
            (
                "iam:DeletePolicyVersion",
                "success",
                policy.arn,
                {"policy_arn": policy.arn, "version_id": "v1"},
            ),
            (
                "iam:DeletePolicyVersion",
                "success",
                policy.arn,
                {"policy_arn": policy.arn, "version_id": "v2"},
            ),
            ("iam:DeletePolicy", "success", policy.arn, {"policy_arn": policy.arn}),
        ]
        assert generation(ctx) == before_generation + 1  # the detached principals may now do less

    def test_an_unattached_single_version_policy_is_simply_deleted(self, ctx):
        policy = make(ctx)
        before = generation(ctx)
        assert policies.delete_policy_and_dependents(ctx, policy_arn=policy.arn) == policies.DeletedPolicy(
            policy.arn, [], []
        )
        assert events("iam:DeletePolicy") == [("success", "")]
        assert generation(ctx) == before

    def test_a_permissions_boundary_in_use_stops_everything(self, ctx):
        policy = make(ctx)
        attached_everywhere(ctx, policy)
        users.create_user(ctx, user_name="bounded", permissions_boundary=policy.arn)
        with pytest.raises(DeleteConflictError) as caught:
            policies.delete_policy_and_dependents(ctx, policy_arn=policy.arn)
        assert caught.value.message == "Cannot delete a policy attached to entities."
        assert (
            UserPolicyAttachment.objects.filter(policy=policy).count() == 1
        )  # one transaction: nothing gone
        assert events("iam:DetachUserPolicy") == []
        assert events("iam:DeletePolicy") == [("failed", "DeleteConflict")]

    def test_each_step_is_authorized_before_anything_changes(self, ctx, acct):
        policy = make(ctx)
        attached_everywhere(ctx, policy)
        admin = iam_user(
            ctx,
            "admin",
            f.allow(
                [
                    "iam:DetachUserPolicy",
                    "iam:DetachRolePolicy",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                ]
            ),
        )
        with pytest.raises(AccessDeniedError) as caught:
            policies.delete_policy_and_dependents(f.context_for(admin), policy_arn=policy.arn)
        assert caught.value.message == denial(
            acct, "admin", "iam:DetachGroupPolicy", f"arn:aws:iam::{acct}:group/Devs"
        )
        assert events("iam:DetachGroupPolicy") == [("denied", "AccessDenied")]
        assert UserPolicyAttachment.objects.filter(policy=policy).exists()
        assert ManagedPolicy.objects.filter(pk=policy.pk).exists()

    def test_the_policy_arn_reaches_the_detach_decision(self, ctx, acct):
        policy, other = make(ctx), make(ctx, "Other")
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        only_other = {"ArnEquals": {"iam:PolicyARN": other.arn}}
        admin = iam_user(
            ctx, "admin", f.allow("iam:DetachUserPolicy", Condition=only_other), f.allow("iam:DeletePolicy")
        )
        with pytest.raises(AccessDeniedError):
            policies.delete_policy_and_dependents(f.context_for(admin), policy_arn=policy.arn)
        assert UserPolicyAttachment.objects.filter(policy=policy).exists()

    def test_a_user_without_policies_is_denied(self, ctx, acct):
        policy = make(ctx)
        nobody = iam_user(ctx, "nobody")
        with pytest.raises(AccessDeniedError) as caught:
            policies.delete_policy_and_dependents(f.context_for(nobody), policy_arn=policy.arn)
        assert caught.value.message == denial(acct, "nobody", "iam:DeletePolicy", policy.arn)

    def test_aws_managed_policies_are_not_touched(self, ctx):
        admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=admin_arn)
        with pytest.raises(InvalidInputError) as caught:
            policies.delete_policy_and_dependents(ctx, policy_arn=admin_arn)
        assert caught.value.message == "Cannot modify an AWS managed policy."
        assert UserPolicyAttachment.objects.filter(policy__arn=admin_arn).count() == 1
        assert events("iam:DetachUserPolicy") == []
        assert events("iam:DeletePolicy") == [("failed", "InvalidInput")]

    def test_an_entity_attached_after_the_check_is_a_conflict(self, ctx, monkeypatch):
        """What was authorized is what is detached: a newcomer attached meanwhile stops the delete."""
        policy = make(ctx)
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        real = policies.attached_entities
        calls = []

        def first_sees_nothing(found_policy, account):
            calls.append(found_policy)
            return [] if len(calls) == 1 else real(found_policy, account)

        monkeypatch.setattr(policies, "attached_entities", first_sees_nothing)
        with pytest.raises(DeleteConflictError) as caught:
            policies.delete_policy_and_dependents(ctx, policy_arn=policy.arn)
        assert caught.value.message == "Cannot delete a policy attached to entities."
        assert len(calls) == 2 and UserPolicyAttachment.objects.filter(policy=policy).exists()

    def test_unknown_policy_and_invalid_arn(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as caught:
            policies.delete_policy_and_dependents(ctx, policy_arn=f"arn:aws:iam::{acct}:policy/Nope")
        assert caught.value.message == f"Policy arn:aws:iam::{acct}:policy/Nope was not found."
        with pytest.raises(InvalidInputError) as caught:
            policies.delete_policy_and_dependents(ctx, policy_arn="arn:aws:iam::nope:policy/X")
        assert caught.value.message == "ARN arn:aws:iam::nope:policy/X is not valid."
