"""IAM role services and selectors: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy,
DeleteRole, TagRole, UntagRole, ListRoleTags."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from accounts.models import Account, AuditEvent, Role, unique_id
from accounts.selectors import roles as role_reads
from accounts.services import policy_attachments, roles, users
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    EntityAlreadyExistsError,
    IamError,
    InvalidInputError,
    LimitExceededError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    ValidationError,
)
from policies.models import RolePolicy, RolePolicyAttachment
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
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
DOCUMENT_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
DESCRIPTION_PATTERN = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"


@pytest.fixture
def bob(ctx):
    """An IAM user without policies."""
    return users.create_user(ctx, user_name="bob")


def generation(account: Account) -> int:
    return Account.objects.values_list("authz_generation", flat=True).get(pk=account.pk)


def denial(user, action: str, resource: str) -> str:
    return (
        f"User: {user.arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def invalid(value: object, member: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


def trust(*statements: dict, indent: int | None = None) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=indent)


def sized_trust(non_whitespace: int) -> str:
    """A valid, indented trust policy with exactly this many non-whitespace characters."""

    def text(pad: str) -> str:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": pad}},
        }
        return trust(statement, indent=8)

    base = sum(not ch.isspace() for ch in text(""))
    return text("x" * (non_whitespace - base))


def bulk_roles(account: Account, count: int, start: int = 0, path: str = "/") -> None:
    Role.objects.bulk_create(
        Role(
            account=account,
            role_name=f"role{i:04d}",
            path=path,
            role_id=unique_id("AROA"),
            assume_role_policy_document=EC2_TRUST,
        )
        for i in range(start, start + count)
    )


def make_role(ctx, name: str = "app", **kwargs) -> Role:
    kwargs.setdefault("assume_role_policy_document", EC2_TRUST)
    return roles.create_role(ctx, role_name=name, **kwargs)


class CreateRoleTests:
    def test_creates_a_role_with_an_aroa_id_and_aws_defaults(self, ctx):
        role = make_role(ctx, "app")
        assert role.arn == f"arn:aws:iam::{ctx.account.account_id}:role/app"
        assert role.role_id.startswith("AROA") and len(role.role_id) == 21
        assert (role.path, role.description, role.max_session_duration, role.tags) == ("/", "", 3600, {})
        assert role.assume_role_policy_document == EC2_TRUST
        assert role.permissions_boundary is None
        assert events("iam:CreateRole") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:CreateRole")
        assert (event.actor_arn, event.target_arn) == (ctx.caller.arn, role.arn)
        assert event.parameters == {
            "role_name": "app",
            "path": "/",
            "assume_role_policy_document": EC2_TRUST,
            "max_session_duration": 3600,
        }

    def test_stores_path_description_duration_tags_and_boundary(self, ctx):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow("s3:*"))
        role = make_role(
            ctx,
            "worker",
            path="/service-role/",
            description="Runs the nightly jobs, café",
            max_session_duration=43200,
            permissions_boundary=boundary.arn,
            tags=[{"Key": "team", "Value": "blue"}],
        )
        role = Role.objects.get(pk=role.pk)
        assert role.arn == f"arn:aws:iam::{ctx.account.account_id}:role/service-role/worker"
        assert (role.description, role.max_session_duration) == ("Runs the nightly jobs, café", 43200)
        assert (role.tags, role.permissions_boundary) == ({"team": "blue"}, boundary)

    def test_accepts_the_classic_trust_policy_for_a_service(self, ctx):
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
        role = make_role(ctx, "ec2", assume_role_policy_document=trust(statement))
        assert json.loads(role.assume_role_policy_document)["Statement"] == [statement]

    def test_accepts_a_trust_policy_for_an_account_root_that_requires_mfa(self, ctx):
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ctx.account.account_id}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
        role = make_role(ctx, "admin", assume_role_policy_document=trust(statement, indent=2))
        assert role.assume_role_policy_document == trust(statement, indent=2)

    def test_names_are_unique_case_insensitively(self, ctx):
        make_role(ctx, "Admin")
        with pytest.raises(EntityAlreadyExistsError) as caught:
            make_role(ctx, "admin")
        assert caught.value.message == "Role with name admin already exists."
        assert Role.objects.count() == 1
        assert events("iam:CreateRole") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_a_duplicate_caught_by_the_database_constraint_is_entity_already_exists(self, ctx, monkeypatch):
        make_role(ctx, "admin")
        # As if a racing request committed its row after our check.
        monkeypatch.setattr(roles, "_exists", lambda account, role_name: False)
        with pytest.raises(EntityAlreadyExistsError) as caught:
            make_role(ctx, "ADMIN")
        assert caught.value.message == "Role with name ADMIN already exists."
        assert Role.objects.count() == 1
        assert events("iam:CreateRole") == [("success", ""), ("failed", "EntityAlreadyExists")]

    def test_the_same_name_may_exist_in_another_account(self, ctx):
        make_role(ctx, "app")
        other = make_role(f.root_context(), "app")
        assert other.account != ctx.account

    @pytest.mark.parametrize(
        ("name", "constraint"),
        [
            ("", "not be null"),
            ("a" * 65, "have length less than or equal to 64"),
            ("bad name", r"satisfy regular expression pattern: [\w+=,.@-]+"),
            ("a/b", r"satisfy regular expression pattern: [\w+=,.@-]+"),
            ("naïve", r"satisfy regular expression pattern: [\w+=,.@-]+"),
        ],
    )
    def test_names_follow_the_model_constraints(self, ctx, name, constraint):
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, name)
        assert caught.value.message == invalid(name, "roleName", constraint)
        assert Role.objects.count() == 0
        assert events("iam:CreateRole") == []

    def test_a_name_of_64_characters_is_accepted(self, ctx):
        assert make_role(ctx, "r" * 64).role_name == "r" * 64

    def test_paths_follow_the_model_constraints(self, ctx):
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", path="service-role")
        assert caught.value.message == invalid(
            "service-role",
            "path",
            r"satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        )

    def test_a_malformed_trust_policy_names_what_is_wrong_and_where(self, ctx):
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            make_role(ctx, "app", assume_role_policy_document=MALFORMED_TRUST)
        assert caught.value.message == (
            "Invalid action: The action 'sts:Assume Role' contains white space; write it as "
            "'sts:AssumeRole'. (line 5, column 15, Statement[0].Action)"
        )
        assert caught.value.http_status == 400
        assert Role.objects.count() == 0
        assert events("iam:CreateRole") == []

    def test_a_json_syntax_error_names_line_and_column(self, ctx):
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            make_role(ctx, "app", assume_role_policy_document='{"Version": "2012-10-17",\n "Statement": [')
        assert caught.value.message.startswith("Json syntax error: ")
        assert caught.value.message.endswith("(line 2, column 16)")

    def test_a_trust_policy_with_a_resource_is_rejected(self, ctx):
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Resource": "*",
        }
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            make_role(ctx, "app", assume_role_policy_document=trust(statement))
        assert caught.value.message == (
            "Role trust policy syntax error: A role trust policy must not have a Resource element. "
            "(line 1, column 136, Statement[0].Resource)"
        )

    def test_a_trust_policy_without_a_principal_is_rejected(self, ctx):
        with pytest.raises(MalformedPolicyDocumentError, match="^Missing principal: "):
            make_role(
                ctx, "app", assume_role_policy_document=trust({"Effect": "Allow", "Action": "sts:AssumeRole"})
            )

    @pytest.mark.parametrize("bad", ["\u0100", "\u0007", "\U0001f600"])
    def test_a_trust_policy_with_characters_outside_the_model_range_is_a_validation_error(self, ctx, bad):
        document = EC2_TRUST.replace("ec2.amazonaws.com", f"ec2{bad}.amazonaws.com")
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", assume_role_policy_document=document)
        assert caught.value.message == invalid(
            "…", "assumeRolePolicyDocument", f"satisfy regular expression pattern: {DOCUMENT_PATTERN}"
        )  # a document is not echoed back in the message

    def test_a_document_longer_than_131072_characters_is_a_validation_error(self, ctx):
        document = EC2_TRUST + " " * (131_073 - len(EC2_TRUST))
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", assume_role_policy_document=document)
        assert caught.value.message == invalid(
            "…", "assumeRolePolicyDocument", "have length less than or equal to 131072"
        )

    def test_an_empty_or_missing_document_is_a_validation_error(self, ctx):
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", assume_role_policy_document="")
        assert caught.value.message == invalid(
            "", "assumeRolePolicyDocument", "have length greater than or equal to 1"
        )
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", assume_role_policy_document=None)
        assert caught.value.message == invalid(None, "assumeRolePolicyDocument", "not be null")

    def test_a_trust_policy_over_2048_non_whitespace_characters_exceeds_the_quota(self, ctx):
        document = sized_trust(2049)
        with pytest.raises(LimitExceededError) as caught:
            make_role(ctx, "app", assume_role_policy_document=document)
        assert caught.value.message == "Cannot exceed quota for ACLSizePerRole: 2048"
        assert Role.objects.count() == 0

    def test_whitespace_does_not_count_toward_the_trust_policy_quota(self, ctx):
        document = sized_trust(2048)
        assert len(document) > 2048
        assert (
            make_role(ctx, "app", assume_role_policy_document=document).assume_role_policy_document
            == document
        )

    def test_descriptions_follow_the_model_constraints(self, ctx):
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", description="d" * 1001)
        assert caught.value.message == invalid(
            "d" * 1001, "description", "have length less than or equal to 1000"
        )
        for bad in ("non\u00a0breaking", "emoji \U0001f600", "del\u007f"):
            with pytest.raises(ValidationError) as caught:
                make_role(ctx, "app", description=bad)
            assert caught.value.message == invalid(
                bad, "description", f"satisfy regular expression pattern: {DESCRIPTION_PATTERN}"
            )
        assert make_role(ctx, "app", description="é\t" + "d" * 998).description == "é\t" + "d" * 998

    @pytest.mark.parametrize(
        ("duration", "constraint"),
        [
            (43201, "have value less than or equal to 43200"),
            (3599, "have value greater than or equal to 3600"),
            (0, "have value greater than or equal to 3600"),
        ],
    )
    def test_max_session_duration_is_between_one_and_twelve_hours(self, ctx, duration, constraint):
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", max_session_duration=duration)
        assert caught.value.message == invalid(duration, "maxSessionDuration", constraint)

    @pytest.mark.parametrize("duration", [3600, 43200])
    def test_max_session_duration_bounds_are_inclusive(self, ctx, duration):
        assert make_role(ctx, "app", max_session_duration=duration).max_session_duration == duration

    def test_unknown_permissions_boundary(self, ctx):
        arn = f"arn:aws:iam::{ctx.account.account_id}:policy/Nope"
        with pytest.raises(NoSuchEntityError) as caught:
            make_role(ctx, "app", permissions_boundary=arn)
        assert caught.value.message == f"Scope ARN: {arn} does not exist or is not attachable."
        assert events("iam:CreateRole") == []

    def test_an_aws_managed_policy_may_be_the_boundary(self, ctx):
        boundary = f.managed_policy(None, "PowerUserAccess", f.allow("*"))
        assert make_role(ctx, "app", permissions_boundary=boundary.arn).permissions_boundary == boundary

    def test_another_accounts_policy_may_not_be_the_boundary(self, ctx):
        foreign = f.managed_policy(f.root_user().account, "Boundary", f.allow("*"))
        with pytest.raises(NoSuchEntityError):
            make_role(ctx, "app", permissions_boundary=foreign.arn)

    def test_tags_are_checked(self, ctx):
        with pytest.raises(InvalidInputError) as caught:
            make_role(ctx, "app", tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
        assert (
            caught.value.message
            == "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
        too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
        with pytest.raises(ValidationError) as caught:
            make_role(ctx, "app", tags=too_many)
        assert caught.value.message == invalid(too_many, "tags", "have length less than or equal to 50")
        with pytest.raises(ValidationError, match="at 'tags.1.member.key'"):
            make_role(ctx, "app", tags=[{"Key": "", "Value": "1"}])
        assert Role.objects.count() == 0

    def test_quota_of_1000_roles_per_account(self, ctx):
        bulk_roles(ctx.account, 1000)
        with pytest.raises(LimitExceededError) as caught:
            make_role(ctx, "one-too-many")
        assert caught.value.message == "Cannot exceed quota for RolesPerAccount: 1000"
        assert events("iam:CreateRole") == [("failed", "LimitExceeded")]
        assert Role.objects.filter(account=ctx.account).count() == 1000
        make_role(f.root_context(), "one-too-many")  # the quota is per account

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        bob_ctx = f.context_for(bob)
        arn = f"arn:aws:iam::{ctx.account.account_id}:role/app"
        with pytest.raises(AccessDeniedError) as caught:
            make_role(bob_ctx, "app")
        assert caught.value.message == denial(bob, "iam:CreateRole", arn)
        assert events("iam:CreateRole") == [("denied", "AccessDenied")]
        assert AuditEvent.objects.get(action="iam:CreateRole").target_arn == arn
        assert Role.objects.count() == 0

    def test_the_authorized_resource_includes_the_path(self, ctx, bob):
        account_id = ctx.account.account_id
        f.put_user_policy(
            bob, "p", f.allow("iam:CreateRole", f"arn:aws:iam::{account_id}:role/service-role/*")
        )
        bob_ctx = f.context_for(bob)
        make_role(bob_ctx, "ok", path="/service-role/")
        with pytest.raises(AccessDeniedError):
            make_role(bob_ctx, "elsewhere")
        assert events("iam:CreateRole") == [("success", ""), ("denied", "AccessDenied")]

    def test_request_tags_and_tag_keys_are_in_the_authorization_context(self, ctx, bob):
        f.put_user_policy(
            bob,
            "p",
            f.allow("iam:CreateRole", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
            f.deny("iam:CreateRole", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["secret"]}}),
        )
        bob_ctx = f.context_for(bob)
        make_role(bob_ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        for name, tags in [
            ("red", [{"Key": "team", "Value": "red"}]),
            ("untagged", None),
            ("secret", [{"Key": "team", "Value": "blue"}, {"Key": "secret", "Value": "x"}]),
        ]:
            with pytest.raises(AccessDeniedError):
                make_role(bob_ctx, name, tags=tags)
        assert list(Role.objects.values_list("role_name", flat=True)) == ["blue"]

    def test_the_permissions_boundary_is_in_the_authorization_context(self, ctx, bob):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow("s3:*"))
        f.put_user_policy(
            bob,
            "p",
            f.allow("iam:CreateRole", Condition={"StringEquals": {"iam:PermissionsBoundary": boundary.arn}}),
        )
        bob_ctx = f.context_for(bob)
        make_role(bob_ctx, "bounded", permissions_boundary=boundary.arn)
        with pytest.raises(AccessDeniedError):
            make_role(bob_ctx, "unbounded")

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_twenty_concurrent_creations_of_one_name_let_exactly_one_through(self):
        root = f.root_user()
        results: list[object] = []
        barrier = threading.Barrier(20, timeout=60)

        def attempt() -> None:
            try:
                thread_ctx = f.root_context(type(root).objects.select_related("account").get(pk=root.pk))
                barrier.wait()
                make_role(thread_ctx, "racer")
                results.append("created")
            except IamError as exc:
                results.append((exc.code, exc.message))
            except Exception as exc:  # surfaces in the assertion below rather than dying in the thread
                results.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expected_failure = ("EntityAlreadyExists", "Role with name racer already exists.")
        assert sorted(results, key=repr) == sorted(["created"] + [expected_failure] * 19, key=repr)
        assert Role.objects.filter(role_name="racer").count() == 1
        assert sorted(events("iam:CreateRole")) == [("failed", "EntityAlreadyExists")] * 19 + [
            ("success", "")
        ]


class GetRoleTests:
    def test_returns_the_role_with_its_trust_policy_as_stored(self, ctx):
        document = '{ "Statement" : [ {"Action":"sts:AssumeRole", "Principal":{"Service":"ec2.amazonaws.com"},\n  "Effect":"Allow"} ] }'
        make_role(ctx, "App", assume_role_policy_document=document, description="the app")
        role = role_reads.get_role(ctx, role_name="app")
        assert (role.role_name, role.description) == ("App", "the app")
        assert role.assume_role_policy_document == document
        assert AuditEvent.objects.filter(action="iam:GetRole").count() == 0  # reads are not audited

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError) as caught:
            role_reads.get_role(ctx, role_name="nope")
        assert caught.value.message == "The role with name nope cannot be found."

    def test_an_invalid_name_is_a_validation_error(self, ctx):
        with pytest.raises(ValidationError) as caught:
            role_reads.get_role(ctx, role_name="bad name")
        assert caught.value.message == invalid(
            "bad name", "roleName", r"satisfy regular expression pattern: [\w+=,.@-]+"
        )

    def test_a_role_of_another_account_cannot_be_found(self, ctx):
        make_role(f.root_context(), "theirs")
        with pytest.raises(NoSuchEntityError):
            role_reads.get_role(ctx, role_name="theirs")

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app")
        with pytest.raises(AccessDeniedError) as caught:
            role_reads.get_role(f.context_for(bob), role_name="app")
        assert caught.value.message == denial(bob, "iam:GetRole", role.arn)
        assert events("iam:GetRole") == [("denied", "AccessDenied")]

    def test_resource_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        make_role(ctx, "red", tags=[{"Key": "team", "Value": "red"}])
        f.put_user_policy(
            bob, "p", f.allow("iam:GetRole", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}})
        )
        bob_ctx = f.context_for(bob)
        assert role_reads.get_role(bob_ctx, role_name="blue").role_name == "blue"
        with pytest.raises(AccessDeniedError):
            role_reads.get_role(bob_ctx, role_name="red")


class ListRolesTests:
    def test_lists_the_accounts_roles_by_name(self, ctx):
        for name in ("charlie", "Alpha", "bravo"):
            make_role(ctx, name)
        make_role(f.root_context(), "other-account")
        page = role_reads.list_roles(ctx)
        assert [r.role_name for r in page.items] == ["Alpha", "bravo", "charlie"]
        assert (page.is_truncated, page.marker) == (False, None)

    def test_filters_by_path_prefix(self, ctx):
        make_role(ctx, "plain")
        make_role(ctx, "svc", path="/service-role/")
        make_role(ctx, "deep", path="/service-role/batch/")
        page = role_reads.list_roles(ctx, path_prefix="/service-role/")
        assert [r.role_name for r in page.items] == ["deep", "svc"]
        with pytest.raises(ValidationError, match="at 'pathPrefix' failed to satisfy constraint"):
            role_reads.list_roles(ctx, path_prefix="service-role")

    def test_pages_with_marker_and_max_items(self, ctx):
        bulk_roles(ctx.account, 5)
        first = role_reads.list_roles(ctx, max_items=2)
        assert [r.role_name for r in first.items] == ["role0000", "role0001"]
        assert first.is_truncated and first.marker
        second = role_reads.list_roles(ctx, marker=first.marker, max_items=2)
        assert [r.role_name for r in second.items] == ["role0002", "role0003"]
        last = role_reads.list_roles(ctx, marker=second.marker, max_items=2)
        assert [r.role_name for r in last.items] == ["role0004"]
        assert (last.is_truncated, last.marker) == (False, None)

    def test_max_items_and_marker_are_validated(self, ctx):
        with pytest.raises(ValidationError) as caught:
            role_reads.list_roles(ctx, max_items=0)
        assert caught.value.message == invalid(
            0, "maxItems", "have value less than or equal to 1000 and greater than or equal to 1"
        )
        with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
            role_reads.list_roles(ctx, marker="not-a-marker")

    def test_the_query_count_does_not_grow_with_the_number_of_roles(self, ctx, django_assert_num_queries):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow("s3:*"))
        bulk_roles(ctx.account, 10)
        Role.objects.filter(role_name="role0001").update(permissions_boundary=boundary)

        def list_and_render() -> int:
            page = role_reads.list_roles(ctx, max_items=1000)
            # What an adapter renders for each role must come with the one query.
            return len(
                [
                    (r.arn, r.role_id, r.permissions_boundary and r.permissions_boundary.arn)
                    for r in page.items
                ]
            )

        with django_assert_num_queries(1):
            assert list_and_render() == 10
        bulk_roles(ctx.account, 490, start=10)
        with django_assert_num_queries(1):
            assert list_and_render() == 500

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        with pytest.raises(AccessDeniedError) as caught:
            role_reads.list_roles(f.context_for(bob))
        resource = f"arn:aws:iam::{ctx.account.account_id}:role/"
        assert caught.value.message == denial(bob, "iam:ListRoles", resource)
        assert events("iam:ListRoles") == [("denied", "AccessDenied")]

    def test_an_iam_user_allowed_to_list_roles_may(self, ctx, bob):
        make_role(ctx, "app")
        f.put_user_policy(bob, "p", f.allow("iam:ListRoles"))
        assert [r.role_name for r in role_reads.list_roles(f.context_for(bob)).items] == ["app"]


class UpdateRoleTests:
    def test_changes_the_description_and_the_max_session_duration(self, ctx):
        role = make_role(ctx, "app")
        updated = roles.update_role(ctx, role_name="APP", description="new", max_session_duration=7200)
        assert (updated.description, updated.max_session_duration) == ("new", 7200)
        role.refresh_from_db()
        assert (role.description, role.max_session_duration) == ("new", 7200)
        assert events("iam:UpdateRole") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:UpdateRole")
        assert event.target_arn == role.arn
        assert event.parameters == {"role_name": "APP", "description": "new", "max_session_duration": 7200}

    def test_omitted_members_stay_as_they_were(self, ctx):
        make_role(ctx, "app", description="old", max_session_duration=7200)
        roles.update_role(ctx, role_name="app", description="")
        role = Role.objects.get()
        assert (role.description, role.max_session_duration) == ("", 7200)
        roles.update_role(ctx, role_name="app", max_session_duration=3600)
        role = Role.objects.get()
        assert (role.description, role.max_session_duration) == ("", 3600)

    @pytest.mark.parametrize(
        ("duration", "constraint"),
        [
            (43201, "have value less than or equal to 43200"),
            (1800, "have value greater than or equal to 3600"),
        ],
    )
    def test_max_session_duration_is_validated(self, ctx, duration, constraint):
        make_role(ctx, "app")
        with pytest.raises(ValidationError) as caught:
            roles.update_role(ctx, role_name="app", max_session_duration=duration)
        assert caught.value.message == invalid(duration, "maxSessionDuration", constraint)
        assert Role.objects.get().max_session_duration == 3600
        assert events("iam:UpdateRole") == []

    def test_description_is_validated(self, ctx):
        make_role(ctx, "app")
        with pytest.raises(ValidationError) as caught:
            roles.update_role(ctx, role_name="app", description="d" * 1001)
        assert caught.value.message == invalid(
            "d" * 1001, "description", "have length less than or equal to 1000"
        )

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError) as caught:
            roles.update_role(ctx, role_name="nope", description="x")
        assert caught.value.message == "The role with name nope cannot be found."
        assert events("iam:UpdateRole") == []

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app")
        with pytest.raises(AccessDeniedError) as caught:
            roles.update_role(f.context_for(bob), role_name="app", description="mine")
        assert caught.value.message == denial(bob, "iam:UpdateRole", role.arn)
        assert events("iam:UpdateRole") == [("denied", "AccessDenied")]
        assert Role.objects.get().description == ""

    def test_resource_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        make_role(ctx, "red", tags=[{"Key": "team", "Value": "red"}])
        f.put_user_policy(
            bob, "p", f.allow("iam:UpdateRole", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}})
        )
        bob_ctx = f.context_for(bob)
        roles.update_role(bob_ctx, role_name="blue", description="ok")
        with pytest.raises(AccessDeniedError):
            roles.update_role(bob_ctx, role_name="red", description="no")
        assert events("iam:UpdateRole") == [("success", ""), ("denied", "AccessDenied")]

    def test_a_role_deleted_since_the_lookup_is_no_such_entity(self, ctx, monkeypatch):
        role = make_role(ctx, "app")
        stale = Role.objects.select_related("account").get(pk=role.pk)
        Role.objects.filter(pk=role.pk).delete()  # a racing DeleteRole committed after our lookup
        monkeypatch.setattr(roles.lookups, "role_by_name", lambda account, role_name: stale)
        with pytest.raises(NoSuchEntityError) as caught:
            roles.update_role(ctx, role_name="app", description="x")
        assert caught.value.message == "The role with name app cannot be found."
        assert events("iam:UpdateRole") == [("failed", "NoSuchEntity")]
        assert not Role.objects.exists()


class UpdateAssumeRolePolicyTests:
    def test_replaces_the_trust_policy_and_bumps_the_authorization_generation(self, ctx):
        role = make_role(ctx, "app")
        before = generation(ctx.account)
        roles.update_assume_role_policy(ctx, role_name="app", policy_document=LAMBDA_TRUST)
        role.refresh_from_db()
        assert role.assume_role_policy_document == LAMBDA_TRUST
        assert generation(ctx.account) == before + 1
        assert events("iam:UpdateAssumeRolePolicy") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:UpdateAssumeRolePolicy")
        assert (event.target_arn, event.parameters) == (
            role.arn,
            {"role_name": "app", "policy_document": LAMBDA_TRUST},
        )

    def test_a_malformed_trust_policy_names_line_and_column_and_changes_nothing(self, ctx):
        make_role(ctx, "app")
        before = generation(ctx.account)
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            roles.update_assume_role_policy(ctx, role_name="app", policy_document=MALFORMED_TRUST)
        assert caught.value.message.endswith("(line 5, column 15, Statement[0].Action)")
        assert Role.objects.get().assume_role_policy_document == EC2_TRUST
        assert generation(ctx.account) == before
        assert events("iam:UpdateAssumeRolePolicy") == []

    def test_a_trust_policy_with_a_resource_is_rejected(self, ctx):
        make_role(ctx, "app")
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Resource": "*",
        }
        with pytest.raises(MalformedPolicyDocumentError, match="^Role trust policy syntax error: "):
            roles.update_assume_role_policy(ctx, role_name="app", policy_document=trust(statement))

    def test_the_document_member_is_policy_document(self, ctx):
        make_role(ctx, "app")
        document = EC2_TRUST.replace("ec2", "ec\u01002")
        with pytest.raises(ValidationError) as caught:
            roles.update_assume_role_policy(ctx, role_name="app", policy_document=document)
        assert caught.value.message == invalid(
            "…", "policyDocument", f"satisfy regular expression pattern: {DOCUMENT_PATTERN}"
        )  # a document is not echoed back in the message
        document = EC2_TRUST + "\n" * (131_073 - len(EC2_TRUST))
        with pytest.raises(ValidationError) as caught:
            roles.update_assume_role_policy(ctx, role_name="app", policy_document=document)
        assert caught.value.message == invalid(
            "…", "policyDocument", "have length less than or equal to 131072"
        )

    def test_a_trust_policy_over_the_size_quota(self, ctx):
        make_role(ctx, "app")
        with pytest.raises(LimitExceededError) as caught:
            roles.update_assume_role_policy(ctx, role_name="app", policy_document=sized_trust(2049))
        assert caught.value.message == "Cannot exceed quota for ACLSizePerRole: 2048"
        roles.update_assume_role_policy(ctx, role_name="app", policy_document=sized_trust(2048))

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError) as caught:
            roles.update_assume_role_policy(ctx, role_name="nope", policy_document=EC2_TRUST)
        assert caught.value.message == "The role with name nope cannot be found."

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app")
        before = generation(ctx.account)
        with pytest.raises(AccessDeniedError) as caught:
            roles.update_assume_role_policy(f.context_for(bob), role_name="app", policy_document=LAMBDA_TRUST)
        assert caught.value.message == denial(bob, "iam:UpdateAssumeRolePolicy", role.arn)
        assert events("iam:UpdateAssumeRolePolicy") == [("denied", "AccessDenied")]
        assert Role.objects.get().assume_role_policy_document == EC2_TRUST
        assert generation(ctx.account) == before

    def test_resource_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "guarded", tags=[{"Key": "protected", "Value": "yes"}])
        make_role(ctx, "open")
        f.put_user_policy(
            bob,
            "p",
            f.allow("iam:UpdateAssumeRolePolicy"),
            f.deny(
                "iam:UpdateAssumeRolePolicy", Condition={"StringEquals": {"aws:ResourceTag/protected": "yes"}}
            ),
        )
        bob_ctx = f.context_for(bob)
        roles.update_assume_role_policy(bob_ctx, role_name="open", policy_document=LAMBDA_TRUST)
        with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
            roles.update_assume_role_policy(bob_ctx, role_name="guarded", policy_document=LAMBDA_TRUST)


class DeleteRoleTests:
    def test_deletes_the_role_and_bumps_the_authorization_generation(self, ctx):
        role = make_role(ctx, "app")
        before = generation(ctx.account)
        roles.delete_role(ctx, role_name="APP")
        assert not Role.objects.exists()
        assert generation(ctx.account) == before + 1
        assert events("iam:DeleteRole") == [("success", "")]
        assert AuditEvent.objects.get(action="iam:DeleteRole").target_arn == role.arn
        make_role(ctx, "app")  # the name is free again

    def test_a_role_with_inline_policies_cannot_be_deleted(self, ctx):
        role = make_role(ctx, "app")
        RolePolicy.objects.create(role=role, policy_name="inline", document=f.document(f.allow("s3:*")))
        with pytest.raises(DeleteConflictError) as caught:
            roles.delete_role(ctx, role_name="app")
        assert caught.value.message == "Cannot delete entity, must delete policies first."
        assert Role.objects.filter(pk=role.pk).exists()
        assert events("iam:DeleteRole") == [("failed", "DeleteConflict")]

    def test_a_role_with_attached_policies_cannot_be_deleted(self, ctx):
        role = make_role(ctx, "app")
        policy = f.managed_policy(ctx.account, "ReadOnly", f.allow("s3:Get*"))
        RolePolicyAttachment.objects.create(role=role, policy=policy)
        with pytest.raises(DeleteConflictError) as caught:
            roles.delete_role(ctx, role_name="app")
        assert caught.value.message == "Cannot delete entity, must detach all policies first."
        assert events("iam:DeleteRole") == [("failed", "DeleteConflict")]

    def test_inline_policies_are_reported_before_attached_ones(self, ctx):
        role = make_role(ctx, "app")
        RolePolicy.objects.create(role=role, policy_name="inline", document=f.document(f.allow("s3:*")))
        RolePolicyAttachment.objects.create(role=role, policy=f.managed_policy(ctx.account, "P", f.allow()))
        with pytest.raises(DeleteConflictError, match="^Cannot delete entity, must delete policies first.$"):
            roles.delete_role(ctx, role_name="app")

    def test_a_role_with_a_permissions_boundary_can_be_deleted(self, ctx):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow("s3:*"))
        make_role(ctx, "app", permissions_boundary=boundary.arn)
        roles.delete_role(ctx, role_name="app")
        assert not Role.objects.exists()

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError) as caught:
            roles.delete_role(ctx, role_name="nope")
        assert caught.value.message == "The role with name nope cannot be found."
        assert events("iam:DeleteRole") == []

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app")
        with pytest.raises(AccessDeniedError) as caught:
            roles.delete_role(f.context_for(bob), role_name="app")
        assert caught.value.message == denial(bob, "iam:DeleteRole", role.arn)
        assert events("iam:DeleteRole") == [("denied", "AccessDenied")]
        assert Role.objects.exists()

    def test_resource_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "keep", tags=[{"Key": "protected", "Value": "yes"}])
        make_role(ctx, "scratch")
        f.put_user_policy(
            bob,
            "p",
            f.allow("iam:DeleteRole", Condition={"Null": {"aws:ResourceTag/protected": "true"}}),
        )
        bob_ctx = f.context_for(bob)
        roles.delete_role(bob_ctx, role_name="scratch")
        with pytest.raises(AccessDeniedError):
            roles.delete_role(bob_ctx, role_name="keep")
        assert list(Role.objects.values_list("role_name", flat=True)) == ["keep"]


class TagRoleTests:
    def test_adds_tags_and_overwrites_a_key_in_any_case(self, ctx):
        make_role(ctx, "app", tags=[{"Key": "Team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
        role = roles.tag_role(
            ctx, role_name="app", tags=[{"Key": "team", "Value": "red"}, {"Key": "cost", "Value": ""}]
        )
        assert role.tags == {"env": "dev", "team": "red", "cost": ""}
        assert Role.objects.get().tags == {"env": "dev", "team": "red", "cost": ""}
        assert events("iam:TagRole") == [("success", "")]

    def test_at_most_50_tags(self, ctx):
        make_role(ctx, "app", tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
        with pytest.raises(LimitExceededError) as caught:
            roles.tag_role(
                ctx, role_name="app", tags=[{"Key": "x", "Value": "1"}, {"Key": "y", "Value": "2"}]
            )
        assert caught.value.message == "The number of tags has reached the maximum limit of 50."
        assert len(Role.objects.get().tags) == 49
        assert events("iam:TagRole") == [("failed", "LimitExceeded")]
        roles.tag_role(ctx, role_name="app", tags=[{"Key": "K0", "Value": "new"}, {"Key": "x", "Value": "1"}])
        assert len(Role.objects.get().tags) == 50

    def test_tags_are_validated(self, ctx):
        make_role(ctx, "app")
        with pytest.raises(ValidationError, match="at 'tags.1.member.value'"):
            roles.tag_role(ctx, role_name="app", tags=[{"Key": "k", "Value": "v" * 257}])
        with pytest.raises(InvalidInputError):
            roles.tag_role(
                ctx, role_name="app", tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]
            )
        assert events("iam:TagRole") == []

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The role with name nope cannot be found.$"):
            roles.tag_role(ctx, role_name="nope", tags=[{"Key": "k", "Value": "v"}])

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app")
        with pytest.raises(AccessDeniedError) as caught:
            roles.tag_role(f.context_for(bob), role_name="app", tags=[{"Key": "k", "Value": "v"}])
        assert caught.value.message == denial(bob, "iam:TagRole", role.arn)
        assert events("iam:TagRole") == [("denied", "AccessDenied")]

    def test_resource_and_request_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        make_role(ctx, "red", tags=[{"Key": "team", "Value": "red"}])
        f.put_user_policy(
            bob,
            "p",
            f.allow(
                "iam:TagRole",
                Condition={
                    "StringEquals": {"aws:ResourceTag/team": "blue"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]},
                },
            ),
        )
        bob_ctx = f.context_for(bob)
        roles.tag_role(bob_ctx, role_name="blue", tags=[{"Key": "owner", "Value": "bob"}])
        with pytest.raises(AccessDeniedError):
            roles.tag_role(bob_ctx, role_name="red", tags=[{"Key": "owner", "Value": "bob"}])
        with pytest.raises(AccessDeniedError):
            roles.tag_role(bob_ctx, role_name="blue", tags=[{"Key": "team", "Value": "red"}])
        assert Role.objects.get(role_name="blue").tags == {"team": "blue", "owner": "bob"}


class UntagRoleTests:
    def test_removes_keys_in_any_case_and_ignores_missing_ones(self, ctx):
        make_role(ctx, "app", tags=[{"Key": "Team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
        role = roles.untag_role(ctx, role_name="app", tag_keys=["team", "missing"])
        assert role.tags == {"env": "dev"}
        assert Role.objects.get().tags == {"env": "dev"}
        assert events("iam:UntagRole") == [("success", "")]

    def test_tag_keys_are_validated(self, ctx):
        make_role(ctx, "app")
        with pytest.raises(ValidationError, match="at 'tagKeys' failed to satisfy constraint"):
            roles.untag_role(ctx, role_name="app", tag_keys=[""])

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The role with name nope cannot be found.$"):
            roles.untag_role(ctx, role_name="nope", tag_keys=["k"])

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app", tags=[{"Key": "k", "Value": "v"}])
        with pytest.raises(AccessDeniedError) as caught:
            roles.untag_role(f.context_for(bob), role_name="app", tag_keys=["k"])
        assert caught.value.message == denial(bob, "iam:UntagRole", role.arn)
        assert events("iam:UntagRole") == [("denied", "AccessDenied")]
        assert Role.objects.get().tags == {"k": "v"}

    def test_tag_keys_and_resource_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "app", tags=[{"Key": "owner", "Value": "bob"}, {"Key": "team", "Value": "blue"}])
        f.put_user_policy(
            bob,
            "p",
            f.allow(
                "iam:UntagRole",
                Condition={
                    "StringEquals": {"aws:ResourceTag/team": "blue"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]},
                },
            ),
        )
        bob_ctx = f.context_for(bob)
        with pytest.raises(AccessDeniedError):
            roles.untag_role(bob_ctx, role_name="app", tag_keys=["team"])
        roles.untag_role(bob_ctx, role_name="app", tag_keys=["owner"])
        assert Role.objects.get().tags == {"team": "blue"}


class ListRoleTagsTests:
    def test_lists_tags_ordered_by_key_with_pagination(self, ctx):
        # Set out of order, with keys whose jsonb order (shorter first) differs from their sorted order.
        tags = [("beta", "2"), ("Alpha", "1"), ("c", "3"), ("dd", "4")]
        make_role(ctx, "app", tags=[{"Key": k, "Value": v} for k, v in tags])
        first = role_reads.list_role_tags(ctx, role_name="app", max_items=3)
        assert (first.items, first.is_truncated) == ([("Alpha", "1"), ("beta", "2"), ("c", "3")], True)
        rest = role_reads.list_role_tags(ctx, role_name="app", marker=first.marker, max_items=3)
        assert (rest.items, rest.is_truncated, rest.marker) == ([("dd", "4")], False, None)

    def test_a_role_without_tags(self, ctx):
        make_role(ctx, "app")
        page = role_reads.list_role_tags(ctx, role_name="app")
        assert (page.items, page.is_truncated) == ([], False)

    def test_unknown_role(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The role with name nope cannot be found.$"):
            role_reads.list_role_tags(ctx, role_name="nope")

    def test_an_iam_user_without_policies_is_denied(self, ctx, bob):
        role = make_role(ctx, "app")
        with pytest.raises(AccessDeniedError) as caught:
            role_reads.list_role_tags(f.context_for(bob), role_name="app")
        assert caught.value.message == denial(bob, "iam:ListRoleTags", role.arn)
        assert events("iam:ListRoleTags") == [("denied", "AccessDenied")]

    def test_resource_tags_are_in_the_authorization_context(self, ctx, bob):
        make_role(ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        make_role(ctx, "red", tags=[{"Key": "team", "Value": "red"}])
        f.put_user_policy(
            bob,
            "p",
            f.allow("iam:ListRoleTags", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        )
        bob_ctx = f.context_for(bob)
        assert role_reads.list_role_tags(bob_ctx, role_name="blue").items == [("team", "blue")]
        with pytest.raises(AccessDeniedError):
            role_reads.list_role_tags(bob_ctx, role_name="red")


# What the console does in one go ------------------------------------------------------------------

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


class Trail:
    """The audit trail from a mark on: (action, outcome, error code), oldest first."""

    def __init__(self) -> None:
        self.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def __call__(self) -> list[tuple[str, str, str]]:
        rows = AuditEvent.objects.filter(id__gt=self.since).order_by("id")
        return list(rows.values_list("action", "outcome", "error_code"))


@pytest.fixture
def trail() -> Trail:
    """Marked after the test's other fixtures (list it last), so their writes are not in it."""
    return Trail()


@pytest.fixture
def app(ctx):
    """app: EC2's, tagged team=platform, with AmazonS3ReadOnlyAccess and an inline WriteLogs."""
    role = make_role(ctx, "app", tags=[{"Key": "team", "Value": "platform"}])
    policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=S3_READ)
    policy_attachments.put_role_policy(
        ctx, role_name="app", policy_name="WriteLogs", policy_document=f.document(f.allow("logs:*"))
    )
    return role


class CreateRoleWithPoliciesTests:
    def test_creates_the_role_then_attaches_audited_in_order(self, ctx, trail):
        role = roles.create_role_with_policies(
            ctx,
            role_name="app",
            assume_role_policy_document=EC2_TRUST,
            description="d",
            max_session_duration=7200,
            permissions_boundary=ADMIN,
            tags=[{"Key": "team", "Value": "platform"}],
            policy_arns=[S3_READ, ADMIN, S3_READ],
        )
        assert (role.description, role.max_session_duration, role.tags) == ("d", 7200, {"team": "platform"})
        assert role.permissions_boundary.arn == ADMIN
        assert sorted(
            RolePolicyAttachment.objects.filter(role=role).values_list("policy__arn", flat=True)
        ) == [
            ADMIN,
            S3_READ,
        ]
        assert trail() == [
            ("iam:CreateRole", "success", ""),
            ("iam:AttachRolePolicy", "success", ""),
            ("iam:AttachRolePolicy", "success", ""),
        ]

    def test_bad_requests_fail_before_any_authorization_or_audit(self, ctx, trail):
        with pytest.raises(MalformedPolicyDocumentError, match=r"\(line 5, column 15"):
            roles.create_role_with_policies(ctx, role_name="app", assume_role_policy_document=MALFORMED_TRUST)
        with pytest.raises(ValidationError, match="at 'maxSessionDuration' failed"):
            roles.create_role_with_policies(
                ctx, role_name="app", assume_role_policy_document=EC2_TRUST, max_session_duration=60
            )
        with pytest.raises(NoSuchEntityError, match="^Policy arn:aws:iam::aws:policy/Nope does not exist"):
            roles.create_role_with_policies(
                ctx,
                role_name="app",
                assume_role_policy_document=EC2_TRUST,
                policy_arns=["arn:aws:iam::aws:policy/Nope"],
            )
        assert not Role.objects.exists() and trail() == []

    def test_a_denied_attach_creates_nothing(self, ctx, bob, trail):
        f.put_user_policy(bob, "p", f.allow("iam:CreateRole"))
        with pytest.raises(AccessDeniedError) as caught:
            roles.create_role_with_policies(
                f.context_for(bob),
                role_name="app",
                assume_role_policy_document=EC2_TRUST,
                policy_arns=[ADMIN],
            )
        assert caught.value.message == denial(
            bob, "iam:AttachRolePolicy", f"arn:aws:iam::{bob.account.account_id}:role/app"
        )
        assert not Role.objects.exists()
        assert trail()[-1] == ("iam:AttachRolePolicy", "denied", "AccessDenied")

    def test_the_new_roles_tags_are_in_the_attach_requests_context(self, ctx, bob):
        f.put_user_policy(
            bob,
            "p",
            f.allow("iam:CreateRole"),
            f.allow("iam:TagRole"),
            f.allow("iam:AttachRolePolicy", Condition={"StringEquals": {"aws:ResourceTag/team": "platform"}}),
        )
        bob_ctx = f.context_for(bob)
        roles.create_role_with_policies(
            bob_ctx,
            role_name="ours",
            assume_role_policy_document=EC2_TRUST,
            tags=[{"Key": "team", "Value": "platform"}],
            policy_arns=[S3_READ],
        )
        with pytest.raises(AccessDeniedError):
            roles.create_role_with_policies(
                bob_ctx, role_name="theirs", assume_role_policy_document=EC2_TRUST, policy_arns=[S3_READ]
            )
        assert list(Role.objects.values_list("role_name", flat=True)) == ["ours"]

    def test_a_failing_attach_undoes_the_role_and_is_audited(self, ctx, trail):
        policies = [f.managed_policy(ctx.account, f"p{i}", f.allow("s3:GetObject")).arn for i in range(11)]
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for PoliciesPerRole: 10$"):
            roles.create_role_with_policies(
                ctx, role_name="app", assume_role_policy_document=EC2_TRUST, policy_arns=policies
            )
        assert not Role.objects.exists()
        assert trail() == [("iam:AttachRolePolicy", "failed", "LimitExceeded")]


class AttachRolePoliciesTests:
    def test_attaches_several(self, ctx, app, trail):
        roles.attach_role_policies(ctx, role_name="APP", policy_arns=[ADMIN])
        assert RolePolicyAttachment.objects.filter(role=app).count() == 2
        assert trail() == [("iam:AttachRolePolicy", "success", "")]

    def test_all_or_nothing(self, ctx, app):
        policies = [f.managed_policy(ctx.account, f"p{i}", f.allow("s3:GetObject")).arn for i in range(10)]
        with pytest.raises(LimitExceededError):
            roles.attach_role_policies(ctx, role_name="app", policy_arns=policies)
        assert RolePolicyAttachment.objects.filter(role=app).count() == 1


class DeleteRoleAndDependentsTests:
    def test_deletes_inline_detaches_then_deletes_the_role(self, ctx, app, trail):
        deleted = roles.delete_role_and_dependents(ctx, role_name="app")
        assert deleted == roles.DeletedRole("app", ["WriteLogs"], [S3_READ])
        assert not Role.objects.exists() and not RolePolicy.objects.exists()
        assert trail() == [
            ("iam:DeleteRolePolicy", "success", ""),
            ("iam:DetachRolePolicy", "success", ""),
            ("iam:DeleteRole", "success", ""),
        ]

    def test_each_step_is_authorized_with_the_roles_tags(self, ctx, app, bob, trail):
        f.put_user_policy(
            bob,
            "p",
            f.allow(
                ["iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole"],
                Condition={"StringEquals": {"aws:ResourceTag/team": "other"}},
            ),
        )
        with pytest.raises(AccessDeniedError) as caught:
            roles.delete_role_and_dependents(f.context_for(bob), role_name="app")
        assert caught.value.message == denial(bob, "iam:DeleteRolePolicy", app.arn)
        assert Role.objects.exists() and RolePolicy.objects.exists()
        assert trail() == [("iam:DeleteRolePolicy", "denied", "AccessDenied")]

    def test_a_policy_attached_after_the_confirmation_stops_the_delete(self, ctx, app, monkeypatch, trail):
        run = roles.run_all_or_nothing

        def late_attach_then_run(ctx_, steps):
            policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=ADMIN)
            return run(ctx_, steps)

        monkeypatch.setattr(roles, "run_all_or_nothing", late_attach_then_run)
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must detach all policies first.$"
        ):
            roles.delete_role_and_dependents(ctx, role_name="app")
        assert RolePolicy.objects.filter(role=app).exists()
        assert RolePolicyAttachment.objects.filter(role=app).count() == 2
        assert trail()[-1] == ("iam:DeleteRole", "failed", "DeleteConflict")


class TrustedEntitiesTests:
    def test_principals_of_allow_statements_in_order_each_once(self):
        document = trust(
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            },
            {
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        "arn:aws:iam::111122223333:root",
                        "444455556666",
                        "arn:aws:iam::111122223333:user/bob",
                        "arn:aws:iam::111122223333:role/ops",
                    ]
                },
                "Action": "sts:AssumeRole",
            },
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:TagSession"},
            {
                "Effect": "Deny",
                "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                "Action": "sts:AssumeRole",
            },
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            },
        )
        assert role_reads.trusted_entities(document) == [
            "AWS service: ec2.amazonaws.com",
            "AWS service: lambda.amazonaws.com",
            "AWS account: 111122223333",
            "AWS account: 444455556666",
            "IAM user: arn:aws:iam::111122223333:user/bob",
            "IAM role: arn:aws:iam::111122223333:role/ops",
            "Identity provider: cognito-identity.amazonaws.com",
        ]

    def test_anyone(self):
        assert role_reads.trusted_entities(
            trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})
        ) == ["Anyone (*)"]
        assert role_reads.trusted_entities(
            trust({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
        ) == ["Any AWS principal (*)"]


class ConsoleRoleReadsTests:
    def test_search_roles_with_trusted_entities(self, ctx):
        bulk_roles(ctx.account, 3)
        make_role(ctx, "app")
        listing = role_reads.search_roles(ctx, search="ROLE000")
        assert listing.total == 3
        assert [r.role.role_name for r in listing.page.items] == ["role0000", "role0001", "role0002"]
        assert listing.page.items[0].trusted_entities == ["AWS service: ec2.amazonaws.com"]

    def test_search_roles_costs_two_queries_whatever_the_number(self, ctx, django_assert_num_queries):
        bulk_roles(ctx.account, 250)
        with django_assert_num_queries(2):
            listing = role_reads.search_roles(ctx, max_items=100)
        assert (len(listing.page.items), listing.total, listing.page.is_truncated) == (100, 250, True)

    def test_search_roles_is_list_roles(self, ctx, bob):
        with pytest.raises(AccessDeniedError) as caught:
            role_reads.search_roles(f.context_for(bob))
        assert caught.value.message == denial(
            bob, "iam:ListRoles", f"arn:aws:iam::{bob.account.account_id}:role/"
        )

    def test_role_summary_leaves_out_what_the_caller_may_not_list(self, ctx, app, bob):
        full = role_reads.role_summary(ctx, role_name="APP")
        assert ([p.arn for p in full.attached], full.inline, full.tags) == (
            [S3_READ],
            ["WriteLogs"],
            [("team", "platform")],
        )
        assert full.trusted_entities == ["AWS service: ec2.amazonaws.com"]
        f.put_user_policy(bob, "p", f.allow("iam:GetRole"))
        partial = role_reads.role_summary(f.context_for(bob), role_name="app")
        assert (partial.attached, partial.inline, partial.tags) == (None, None, None)
        with pytest.raises(NoSuchEntityError):
            role_reads.role_summary(ctx, role_name="nope")

    def test_role_dependents_and_choices(self, ctx, app):
        found = role_reads.role_dependents(ctx, role_name="app")
        assert (found.inline, [p.arn for p in found.policies]) == (["WriteLogs"], [S3_READ])
        choices = role_reads.role_choices(ctx, role_name="app")
        assert S3_READ not in [p.arn for p in choices.policies] and choices.boundaries is None
        new = role_reads.role_choices(ctx, policy_search="admin")
        assert [p.arn for p in new.policies] == [ADMIN] and S3_READ in [p.arn for p in new.boundaries]

    def test_role_choices_when_the_caller_may_not_list_policies(self, ctx, bob):
        assert role_reads.role_choices(f.context_for(bob)) == role_reads.PolicyChoices(None, False, None)

    def test_role_inline_policy(self, ctx, app):
        found = role_reads.role_inline_policy(ctx, role_name="app", policy_name="WriteLogs")
        assert (found.role.pk, found.policy_document) == (app.pk, f.document(f.allow("logs:*")))
        with pytest.raises(NoSuchEntityError, match="^The role policy with name Nope cannot be found.$"):
            role_reads.role_inline_policy(ctx, role_name="app", policy_name="Nope")
