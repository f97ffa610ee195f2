"""Roles pages through Django's test client: list, create with the trust relationship editor, a
role's tabs, edit, trust policy, tags, policies, inline policies and delete; hidden controls,
AccessDenied on forged posts, CSRF, queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from accounts.models import AuditEvent, Role, User, unique_id
from accounts.services import roles, users
from accounts.services.policy_attachments import attach_role_policy, attach_user_policy, put_role_policy
from iam_portal.console.roles import duration_label, trust_policy
from policies.models import ManagedPolicy, RolePolicy, RolePolicyAttachment
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

LIST = "/console/roles/"
CREATE = "/console/roles/~create/"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
# "sts:Assume Role" sits on line 5, column 15 of this text.
MALFORMED_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "sts:Assume Role",
    "Principal": {"Service": "ec2.amazonaws.com"}
  }]
}"""


def detail(name: str, suffix: str = "") -> str:
    return f"/console/roles/{name}/{suffix}"


def page(response) -> str:
    return response.content.decode()


def iam_user(ctx, name: str, *managed: str) -> User:
    user = users.create_user(ctx, user_name=name)
    for arn in managed:
        attach_user_policy(ctx, user_name=name, policy_arn=arn)
    return user


def create_form(**changes) -> dict:
    """What the create page posts for an EC2 role without JavaScript."""
    return {
        "template": "service",
        "service": "ec2.amazonaws.com",
        "account_id": "",
        "user_arn": "",
        "external_id": "",
        "trust_policy": "",
        "role_name": "app",
        "path": "/",
        "description": "",
        "max_session_duration": "3600",
        "permissions_boundary": "",
        "tag_key": [""],
        "tag_value": [""],
        **changes,
    }


def queries(client: Client, url: str) -> int:
    """Queries of a warm request (the caller's policies are compiled on its first request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def reader(ctx):
    return iam_user(ctx, "reader", READ_ONLY)


@pytest.fixture
def as_reader(reader):
    client = Client()
    client.force_login(reader)
    return client


@pytest.fixture
def app(ctx, acct):
    """app: trusted by EC2 and by this account with MFA, one attached and one inline policy, tagged."""
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                },
            ],
        }
    )
    role = roles.create_role(
        ctx,
        role_name="app",
        assume_role_policy_document=document,
        description="The app's role",
        max_session_duration=7200,
        tags=[{"Key": "team", "Value": "platform"}],
    )
    attach_role_policy(ctx, role_name="app", policy_arn=S3_READ)
    put_role_policy(
        ctx, role_name="app", policy_name="WriteLogs", policy_document=f.document(f.allow("logs:*"))
    )
    return role


def bulk_roles(ctx, count: int, prefix: str) -> None:
    Role.objects.bulk_create(
        Role(
            account=ctx.account,
            role_name=f"{prefix}{i:04}",
            role_id=unique_id("AROA"),
            assume_role_policy_document=EC2_TRUST,
        )
        for i in range(count)
    )


class TrustPolicyTemplateTests:
    def test_this_account_with_external_id_and_mfa(self):
        assert json.loads(
            trust_policy("account", account_id="123456789012", external_id=" x-1 ", require_mfa=True)
        ) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"sts:ExternalId": "x-1"},
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    },
                }
            ],
        }

    def test_a_service_takes_no_external_id_or_mfa(self):
        statement = json.loads(
            trust_policy("service", service="lambda.amazonaws.com", external_id="x", require_mfa=True)
        )["Statement"][0]
        assert statement == {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }

    def test_an_iam_user(self):
        statement = json.loads(trust_policy("user", user_arn="arn:aws:iam::123456789012:user/bob"))[
            "Statement"
        ][0]
        assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:user/bob"}

    def test_durations_as_the_console_says_them(self):
        assert [duration_label(s) for s in (3600, 7200, 5400, 43200)] == [
            "1 hour",
            "2 hours",
            "1 hour 30 minutes",
            "12 hours",
        ]


class RoleListTests:
    def test_lists_roles_with_trusted_entities_and_duration(self, as_root, acct, app):
        html = page(as_root.get(LIST))
        assert '<a href="/console/roles/app/">app</a>' in html
        assert f'<td class="trusted">AWS service: ec2.amazonaws.com<br>AWS account: {acct}</td>' in html
        assert "<td>2 hours</td>" in html
        assert f'href="{CREATE}" class="addlink">Create role</a>' in html
        assert "1 role\n" in html

    def test_search_by_name_in_any_case(self, as_root, ctx, app):
        bulk_roles(ctx, 3, "batch")
        html = page(as_root.get(LIST, {"q": "BATCH"}))
        assert "batch0000" in html and ">app</a>" not in html and "3 results (" in html

    def test_pages_of_100(self, as_root, ctx):
        bulk_roles(ctx, 101, "r")
        first = as_root.get(LIST)
        assert len(first.context["rows"]) == 100 and first.context["total"] == 101
        second = as_root.get(LIST + first.context["next_query"])
        assert [row.role.role_name for row, _ in second.context["rows"]] == ["r0100"]

    def test_a_read_only_user_sees_no_create(self, as_reader, app):
        html = page(as_reader.get(LIST))
        assert ">app</a>" in html and "Create role" not in html

    def test_a_user_without_list_roles_gets_access_denied(self, ctx, acct):
        client = Client()
        client.force_login(iam_user(ctx, "nobody"))
        response = client.get(LIST)
        assert response.status_code == 403
        assert escape(f.denial(acct, "nobody", "iam:ListRoles", f"arn:aws:iam::{acct}:role/")) in page(
            response
        )

    def test_signed_out_visitors_go_to_sign_in(self, client):
        assert client.get(LIST)["Location"] == "/signin/?next=%2Fconsole%2Froles%2F"

    @pytest.mark.parametrize("signed_in_as", ["root", "reader"])
    def test_queries_do_not_grow_with_roles(self, ctx, root, reader, signed_in_as):
        client = Client()
        client.force_login(root if signed_in_as == "root" else reader)
        bulk_roles(ctx, 10, "a")
        at_10 = queries(client, LIST)
        bulk_roles(ctx, 990, "b")
        assert queries(client, LIST) == at_10


class RoleCreateTests:
    def test_the_form_prefills_the_trust_policy_for_this_account(self, as_root, acct):
        response = as_root.get(CREATE)
        html = page(response)
        assert escape(f'"AWS": "arn:aws:iam::{acct}:root"') in html
        assert 'name="template" value="account"' in html and "checked" in html
        assert f'name="policies" value="{ADMIN}"' in html
        assert '<option value="arn:aws:iam::aws:policy/AdministratorAccess">' in html  # boundary choices

    def test_creates_a_service_role_without_javascript(self, as_root):
        response = as_root.post(
            CREATE,
            create_form(
                # Without JavaScript the editor still holds the page's first template: ignored.
                trust_policy=trust_policy("account", account_id="123456789012"),
                description="EC2 app",
                max_session_duration="14400",
                policies=[S3_READ, READ_ONLY],
                permissions_boundary=ADMIN,
                tag_key=["team", "", "env"],
                tag_value=["platform", "", "prod"],
            ),
        )
        assert response.status_code == 302 and response["Location"] == detail("app")
        role = Role.objects.get(role_name="app")
        assert json.loads(role.assume_role_policy_document) == json.loads(
            trust_policy("service", service="ec2.amazonaws.com")
        )
        assert (role.description, role.max_session_duration) == ("EC2 app", 14400)
        assert role.permissions_boundary.arn == ADMIN
        assert role.tags == {"team": "platform", "env": "prod"}
        assert set(RolePolicyAttachment.objects.filter(role=role).values_list("policy__arn", flat=True)) == {
            S3_READ,
            READ_ONLY,
        }
        assert list(AuditEvent.objects.values_list("action", flat=True))[-3:] == [
            "iam:CreateRole",
            "iam:AttachRolePolicy",
            "iam:AttachRolePolicy",
        ]

    def test_this_account_with_external_id_and_mfa(self, as_root, acct):
        response = as_root.post(
            CREATE, create_form(template="account", account_id="", external_id="partner-7", require_mfa="on")
        )
        assert response.status_code == 302
        statement = json.loads(Role.objects.get().assume_role_policy_document)["Statement"][0]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{acct}:root"}
        assert statement["Condition"] == {
            "StringEquals": {"sts:ExternalId": "partner-7"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
        }

    def test_an_iam_user(self, as_root, ctx, acct):
        users.create_user(ctx, user_name="bob")
        arn = f"arn:aws:iam::{acct}:user/bob"
        assert as_root.post(CREATE, create_form(template="user", user_arn=arn)).status_code == 302
        assert json.loads(Role.objects.get().assume_role_policy_document)["Statement"][0]["Principal"] == {
            "AWS": arn
        }

    def test_a_custom_trust_policy_is_taken_as_written(self, as_root):
        assert as_root.post(CREATE, create_form(template="custom", trust_policy=EC2_TRUST)).status_code == 302
        assert Role.objects.get().assume_role_policy_document == EC2_TRUST

    def test_a_malformed_custom_policy_shows_the_finding_with_line_and_column(self, as_root):
        response = as_root.post(CREATE, create_form(template="custom", trust_policy=MALFORMED_TRUST))
        assert response.status_code == 400
        [message] = response.context["form"].errors["trust_policy"]
        assert message.startswith("Invalid action:") and "(line 5, column 15" in message
        assert escape(message) in page(response)
        assert escape('"sts:Assume Role"') in page(response)  # the editor keeps what was sent
        assert not Role.objects.exists()

    def test_a_bad_user_arn_shows_the_finding_on_the_generated_policy(self, as_root):
        response = as_root.post(CREATE, create_form(template="user", user_arn="bob"))
        assert response.status_code == 400
        [message] = response.context["form"].errors["trust_policy"]
        assert "line" in message and "column" in message
        assert escape('"AWS": "bob"') in page(response)  # the generated policy the line points into

    def test_a_bad_name_is_the_aws_message_on_the_field(self, as_root):
        response = as_root.post(CREATE, create_form(role_name="has space"))
        assert response.status_code == 400
        assert response.context["form"].errors["role_name"] == [
            "1 validation error detected: Value 'has space' at 'roleName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
        ]

    def test_a_taken_name(self, as_root, app):
        response = as_root.post(CREATE, create_form(role_name="APP"))
        assert response.status_code == 409
        assert response.context["form"].errors["role_name"] == ["Role with name APP already exists."]

    def test_a_forged_duration_is_the_aws_validation_error(self, as_root):
        response = as_root.post(CREATE, create_form(max_session_duration="60"))
        assert response.status_code == 400
        assert response.context["form"].errors["max_session_duration"] == [
            "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: "
            "Member must have value greater than or equal to 3600"
        ]

    def test_duplicate_tag_keys(self, as_root):
        response = as_root.post(CREATE, create_form(tag_key=["a", "A"], tag_value=["1", "2"]))
        assert response.status_code == 400
        assert "Duplicate tag keys found. Please note that Tag keys are case insensitive." in page(response)
        assert response.context["tags"] == [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]

    def test_all_or_nothing_when_an_attach_fails(self, as_root, ctx):
        response = as_root.post(CREATE, create_form(policies=[S3_READ, "arn:aws:iam::aws:policy/Nope"]))
        assert response.status_code == 404
        assert "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable." in page(response)
        assert not Role.objects.exists()

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, as_reader, acct):
        response = as_reader.post(CREATE, create_form())
        assert response.status_code == 403 and "Access denied" in page(response)
        assert escape(f.denial(acct, "reader", "iam:CreateRole", f"arn:aws:iam::{acct}:role/app")) in page(
            response
        )
        assert not Role.objects.exists()
        assert events("iam:CreateRole") == [("denied", "AccessDenied")]

    def test_policies_are_offered_only_to_who_may_attach_them(self, ctx, reader):
        f.put_user_policy(reader, "Create", f.allow("iam:CreateRole"))
        client = Client()
        client.force_login(reader)
        html = page(client.get(CREATE))
        assert 'name="role_name"' in html and 'name="trust_policy"' in html
        assert 'name="policies"' not in html and "Permissions policies" not in html

    def test_the_form_needs_its_csrf_token(self, root):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(CREATE, create_form()).status_code == 403
        token = strict.get(CREATE).cookies["csrftoken"].value
        assert strict.post(CREATE, {**create_form(), "csrfmiddlewaretoken": token}).status_code == 302


class RoleDetailTests:
    def test_summary_and_permissions_tab(self, as_root, app):
        html = page(as_root.get(detail("app")))
        for text in (app.arn, app.role_id, "The app&#x27;s role", '<dd class="max-session">2 hours</dd>'):
            assert text in html
        assert "AmazonS3ReadOnlyAccess" in html and 'href="/console/roles/app/inline/WriteLogs/"' in html
        for control in (
            "Attach policies",
            "Create inline policy",
            'name="policy_arn"',
            "changelink",
            "deletelink",
        ):
            assert control in html

    def test_trust_tab_shows_entities_and_the_json(self, as_root, acct, app):
        html = page(as_root.get(detail("app"), {"tab": "trust"}))
        assert "<li>AWS service: ec2.amazonaws.com</li>" in html and f"<li>AWS account: {acct}</li>" in html
        assert escape('"aws:MultiFactorAuthPresent": "true"') in html
        assert "Edit trust policy" in html

    def test_tags_tab(self, as_root, app):
        html = page(as_root.get(detail("app"), {"tab": "tags"}))
        assert '<th scope="row">team</th><td>platform</td>' in html
        assert 'name="tag_key"' in html and "Save tag" in html

    def test_a_read_only_user_sees_no_controls(self, as_reader, app):
        for tab in ("permissions", "trust", "tags"):
            html = page(as_reader.get(detail("app"), {"tab": tab}))
            assert app.arn in html
            for control in (
                "Attach policies",
                "Create inline policy",
                "Edit trust policy",
                "Save tag",
                'name="policy_arn"',
                'name="tag_key"',
                "changelink",
                "deletelink",
            ):
                assert control not in html, (tab, control)

    def test_an_unknown_role_is_no_such_entity(self, as_root):
        response = as_root.get(detail("nope"))
        assert response.status_code == 404
        assert "The role with name nope cannot be found." in page(response)

    def test_queries_do_not_depend_on_other_roles(self, as_root, ctx, app):
        bulk_roles(ctx, 10, "a")
        at_10 = queries(as_root, detail("app"))
        bulk_roles(ctx, 990, "b")
        assert queries(as_root, detail("app")) == at_10


class RoleEditTests:
    def test_update_description_and_duration(self, as_root, app):
        form = as_root.get(detail("app", "edit/")).context["form"]
        assert form.initial == {"description": "The app's role", "max_session_duration": "7200"}
        response = as_root.post(
            detail("app", "edit/"), {"description": "New", "max_session_duration": "43200"}
        )
        assert response.status_code == 302
        role = Role.objects.get(pk=app.pk)
        assert (role.description, role.max_session_duration) == ("New", 43200)
        assert events("iam:UpdateRole") == [("success", "")]

    def test_out_of_range_duration_is_the_aws_message(self, as_root, app):
        response = as_root.post(detail("app", "edit/"), {"description": "", "max_session_duration": "43201"})
        assert response.status_code == 400
        assert response.context["form"].errors["max_session_duration"] == [
            "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: "
            "Member must have value less than or equal to 43200"
        ]

    def test_a_duration_set_through_the_api_is_offered(self, as_root, ctx, app):
        roles.update_role(ctx, role_name="app", max_session_duration=5400)
        html = page(as_root.get(detail("app", "edit/")))
        assert '<option value="5400" selected>1 hour 30 minutes</option>' in html

    def test_forged_post_is_denied(self, as_reader, app):
        response = as_reader.post(
            detail("app", "edit/"), {"description": "x", "max_session_duration": "3600"}
        )
        assert response.status_code == 403 and Role.objects.get(pk=app.pk).description == "The app's role"


class RoleTrustTests:
    def test_the_editor_opens_on_the_current_policy(self, as_root, app):
        response = as_root.get(detail("app", "trust/"))
        assert response.context["form"].initial["template"] == "custom"
        assert escape('"Service": "ec2.amazonaws.com"') in page(response)

    def test_update_with_a_custom_policy(self, as_root, app):
        response = as_root.post(detail("app", "trust/"), {"template": "custom", "trust_policy": EC2_TRUST})
        assert response.status_code == 302 and response["Location"] == detail("app") + "?tab=trust"
        assert Role.objects.get(pk=app.pk).assume_role_policy_document == EC2_TRUST
        assert events("iam:UpdateAssumeRolePolicy") == [("success", "")]

    def test_update_from_a_template(self, as_root, app):
        response = as_root.post(
            detail("app", "trust/"),
            {"template": "account", "account_id": "210987654321", "external_id": "", "trust_policy": "{}"},
        )
        assert response.status_code == 302
        principal = json.loads(Role.objects.get(pk=app.pk).assume_role_policy_document)["Statement"][0][
            "Principal"
        ]
        assert principal == {"AWS": "arn:aws:iam::210987654321:root"}

    def test_malformed_policy_document_with_line_and_column(self, as_root, app):
        before = Role.objects.get(pk=app.pk).assume_role_policy_document
        response = as_root.post(
            detail("app", "trust/"), {"template": "custom", "trust_policy": MALFORMED_TRUST}
        )
        assert response.status_code == 400
        [message] = response.context["form"].errors["trust_policy"]
        assert message.startswith("Invalid action:") and "(line 5, column 15" in message
        assert Role.objects.get(pk=app.pk).assume_role_policy_document == before
        assert events("iam:UpdateAssumeRolePolicy") == []  # a malformed document is no attempt

    def test_a_trust_policy_with_a_resource_is_rejected(self, as_root, app):
        bad = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Resource": "*",
                    }
                ],
            }
        )
        response = as_root.post(detail("app", "trust/"), {"template": "custom", "trust_policy": bad})
        assert response.status_code == 400
        assert (
            "Role trust policy syntax error: A role trust policy must not have a Resource element."
            in page(response)
        )

    def test_forged_post_is_denied_and_csrf_is_checked(self, as_reader, root, app):
        response = as_reader.post(detail("app", "trust/"), {"template": "custom", "trust_policy": EC2_TRUST})
        assert response.status_code == 403 and "Access denied" in page(response)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert (
            strict.post(
                detail("app", "trust/"), {"template": "custom", "trust_policy": EC2_TRUST}
            ).status_code
            == 403
        )


class RoleTagTests:
    def test_add_and_remove_a_tag(self, as_root, app):
        response = as_root.post(detail("app", "tags/"), {"tag_key": "env", "tag_value": "prod"})
        assert response.status_code == 302 and response["Location"] == detail("app") + "?tab=tags"
        assert Role.objects.get(pk=app.pk).tags == {"team": "platform", "env": "prod"}
        as_root.post(detail("app", "untag/"), {"tag_key": "team"})
        assert Role.objects.get(pk=app.pk).tags == {"env": "prod"}

    def test_a_bad_key_shows_the_aws_message(self, as_root, app):
        response = as_root.post(detail("app", "tags/"), {"tag_key": "", "tag_value": "x"}, follow=True)
        assert "at &#x27;tags.1.member.key&#x27; failed to satisfy constraint" in page(response)

    def test_forged_tag_changes_are_denied(self, as_reader, app):
        assert as_reader.post(detail("app", "tags/"), {"tag_key": "x", "tag_value": "y"}).status_code == 403
        assert as_reader.post(detail("app", "untag/"), {"tag_key": "team"}).status_code == 403
        assert Role.objects.get(pk=app.pk).tags == {"team": "platform"}


class RolePoliciesTests:
    def test_attach_offers_only_unattached_policies_and_attaches(self, as_root, app):
        html = page(as_root.get(detail("app", "attach-policies/")))
        assert f'value="{ADMIN}"' in html and f'value="{S3_READ}"' not in html
        response = as_root.post(detail("app", "attach-policies/"), {"policies": [ADMIN]})
        assert response.status_code == 302
        assert RolePolicyAttachment.objects.filter(role=app).count() == 2

    def test_attaching_past_the_quota_attaches_nothing(self, as_root, ctx, app):
        for i in range(9):
            attach_role_policy(
                ctx,
                role_name="app",
                policy_arn=f.managed_policy(ctx.account, f"p{i}", f.allow("s3:GetObject")).arn,
            )
        response = as_root.post(detail("app", "attach-policies/"), {"policies": [ADMIN, READ_ONLY]})
        assert response.status_code == 409 and "Cannot exceed quota for PoliciesPerRole: 10" in page(response)
        assert RolePolicyAttachment.objects.filter(role=app).count() == 10

    def test_detach(self, as_root, app):
        response = as_root.post(detail("app", "detach-policy/"), {"policy_arn": S3_READ}, follow=True)
        assert not RolePolicyAttachment.objects.filter(role=app).exists()
        assert f"Policy {S3_READ} detached from app." in page(response)

    def test_forged_policy_changes_are_denied(self, as_reader, app):
        assert as_reader.post(detail("app", "attach-policies/"), {"policies": [ADMIN]}).status_code == 403
        assert as_reader.post(detail("app", "detach-policy/"), {"policy_arn": S3_READ}).status_code == 403
        assert list(RolePolicyAttachment.objects.filter(role=app).values_list("policy__arn", flat=True)) == [
            S3_READ
        ]

    def test_inline_create_view_edit_delete(self, as_root, app):
        document = f.document(f.allow("sqs:SendMessage"))
        response = as_root.post(
            detail("app", "inline/"), {"policy_name": "Queue", "policy_document": document}
        )
        assert response.status_code == 302
        assert "sqs:SendMessage" in page(as_root.get(detail("app", "inline/Queue/")))
        bad = as_root.post(detail("app", "inline/Queue/"), {"policy_document": '{"Version": "2012-10-17",'})
        assert bad.status_code == 400 and "Json syntax error" in page(bad)
        assert RolePolicy.objects.get(role=app, policy_name="Queue").document == document
        assert as_root.post(detail("app", "inline/Queue/delete/")).status_code == 302
        assert not RolePolicy.objects.filter(role=app, policy_name="Queue").exists()

    def test_inline_pages_for_a_read_only_user(self, as_reader, app):
        html = page(as_reader.get(detail("app", "inline/WriteLogs/")))
        assert "logs:*" in html and "Save changes" not in html and "deletelink" not in html
        assert as_reader.post(detail("app", "inline/WriteLogs/delete/")).status_code == 403
        assert (
            as_reader.post(
                detail("app", "inline/"), {"policy_name": "X", "policy_document": f.document(f.allow())}
            ).status_code
            == 403
        )


class RoleDeleteTests:
    def test_the_confirmation_lists_exactly_what_goes(self, as_root, app):
        html = page(as_root.get(detail("app", "delete/")))
        assert '<ul id="delete-inline"><li>WriteLogs</li></ul>' in html
        assert "Detach 1 managed policy" in html and S3_READ in html
        assert 'name="confirm"' in html

    def test_deletes_policies_then_the_role(self, as_root, app):
        response = as_root.post(detail("app", "delete/"), {"confirm": "app"})
        assert response.status_code == 302 and response["Location"] == LIST
        assert not Role.objects.exists() and not RolePolicy.objects.exists()
        assert ManagedPolicy.objects.filter(arn=S3_READ).exists()  # detached, not deleted
        assert list(AuditEvent.objects.values_list("action", flat=True))[-3:] == [
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:DeleteRole",
        ]
        assert "Role app deleted." in page(as_root.get(LIST))

    def test_the_name_must_be_typed(self, as_root, app):
        response = as_root.post(detail("app", "delete/"), {"confirm": "App"})
        assert response.status_code == 400 and "Enter app to confirm the deletion." in page(response)
        assert Role.objects.exists()

    def test_a_read_only_user_gets_no_form_and_a_forged_post_is_denied(self, as_reader, acct, app):
        html = page(as_reader.get(detail("app", "delete/")))
        assert 'name="confirm"' not in html and "(<code>iam:DeleteRole</code>)" in html
        response = as_reader.post(detail("app", "delete/"), {"confirm": "app"})
        assert response.status_code == 403
        assert escape(f.denial(acct, "reader", "iam:DeleteRolePolicy", app.arn)) in page(response)
        assert RolePolicy.objects.filter(role=app).exists() and Role.objects.exists()

    def test_csrf(self, root, app):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(detail("app", "delete/"), {"confirm": "app"}).status_code == 403
        assert Role.objects.exists()
