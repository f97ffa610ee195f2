"""The Policies pages through Django's test client: the list, create with live validation, a policy's
page and its tabs, edit, versions, attach/detach, tags and delete; AWS's messages, hidden controls,
the AccessDenied page on forged POSTs, CSRF and query counts."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User, unique_id
from accounts.services import groups, policy_attachments, roles, users
from policies import services as policies
from policies.models import ManagedPolicy, PolicyVersion, UserPolicyAttachment
from tests import factories as f
from tests.factories import denial, events

pytestmark = pytest.mark.django_db

READ_ONLY_ARN = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_S3 = f.document(f.allow("s3:GetObject", "arn:aws:s3:::reports/*"))
LIST_USERS = f.document(f.allow("iam:ListUsers"))
EC2_TRUST = f.document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
# The newcomer's mistake: a space after the service prefix, on line 6, column 23.
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
MALFORMED_MESSAGE = (
    "Invalid action: The action &#x27;iam: ChangePassword&#x27; contains white space; write it as "
    "&#x27;iam:ChangePassword&#x27;. (line 6, column 23, Statement[0].Action)"
)
LIST_URL, CREATE_URL, VALIDATE_URL = (
    "/console/policies/",
    "/console/policies/create/",
    "/console/policies/validate/",
)


def url(action: str, arn: str, query: str = "") -> str:
    """/console/policies/<action>/<arn>/ (action "" for the policy's page)."""
    return f"/console/policies/{action + '/' if action else ''}{arn}/{query}"


def page(response) -> str:
    return response.content.decode()


def make(ctx, name: str = "ReadReports", document: str = READ_S3, **kwargs):
    return policies.create_policy(ctx, policy_name=name, policy_document=document, **kwargs)


@pytest.fixture
def admin(client, root):
    """The test client signed in as the account's root user."""
    client.force_login(root)
    return client


@pytest.fixture
def reader(ctx):
    """An IAM user with IAMReadOnlyAccess: may see everything, change nothing."""
    user = users.create_user(ctx, user_name="reader")
    policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY_ARN)
    return user


@pytest.fixture
def as_reader(reader):
    client = Client()
    client.force_login(reader)
    return client


@pytest.fixture
def policy(ctx):
    return make(ctx, description="Reads the reports bucket", tags=[{"Key": "team", "Value": "data"}])


def attach_everywhere(ctx, arn: str) -> None:
    users.create_user(ctx, user_name="alice")
    groups.create_group(ctx, group_name="Devs")
    roles.create_role(ctx, role_name="Builder", assume_role_policy_document=EC2_TRUST)
    policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=arn)
    policy_attachments.attach_group_policy(ctx, group_name="Devs", policy_arn=arn)
    policy_attachments.attach_role_policy(ctx, role_name="Builder", policy_arn=arn)


def bulk_policies(account, n: int, prefix: str = "Bulk") -> None:
    made = ManagedPolicy.objects.bulk_create(
        ManagedPolicy(
            account=account,
            policy_name=f"{prefix}{i:05d}",
            policy_id=unique_id("ANPA"),
            arn=f"arn:aws:iam::{account.account_id}:policy/{prefix}{i:05d}",
        )
        for i in range(n)
    )
    PolicyVersion.objects.bulk_create(
        PolicyVersion(policy=p, version_id="v1", document=READ_S3, is_default=True) for p in made
    )


def access_denied(response, message: str) -> None:
    assert response.status_code == 403
    assert "Access denied" in page(response)
    assert message in page(response)


class PolicyListTests:
    def test_lists_aws_and_customer_managed_policies_with_their_use(self, admin, ctx, policy):
        attach_everywhere(ctx, policy.arn)
        response = admin.get(LIST_URL)
        assert response.status_code == 200
        html = page(response)
        assert '<table id="result_list">' in html
        assert f'<a href="/console/policies/{policy.arn}/">ReadReports</a>' in html
        assert "Customer managed" in html and "AWS managed" in html
        assert "Permissions policy (3)" in html
        assert "Reads the reports bucket" in html
        assert 'href="/console/policies/create/" class="addlink"' in html

    def test_filter_by_type(self, admin, policy):
        customer = admin.get(LIST_URL, {"type": "customer"}).context["policies"]
        assert [p.policy_name for p in customer] == ["ReadReports"]
        aws = admin.get(LIST_URL, {"type": "aws"}).context["policies"]
        assert "ReadReports" not in {p.policy_name for p in aws} and "AdministratorAccess" in {
            p.policy_name for p in aws
        }
        html = page(admin.get(LIST_URL, {"type": "aws"}))
        assert '<li class="selected"><a href="?type=aws" aria-current="true">AWS managed</a></li>' in html

    def test_filter_by_use(self, admin, ctx, policy):
        make(ctx, "Unused")
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        used = admin.get(LIST_URL, {"type": "customer", "used_as": "permissions"}).context["policies"]
        assert [p.policy_name for p in used] == ["ReadReports"]
        assert list(admin.get(LIST_URL, {"used_as": "boundary"}).context["policies"]) == []

    def test_search_by_name(self, admin, ctx, policy):
        make(ctx, "WriteReports")
        found = admin.get(LIST_URL, {"q": "REPORTS"}).context["policies"]
        assert [p.policy_name for p in found] == ["ReadReports", "WriteReports"]
        assert 'value="REPORTS"' in page(admin.get(LIST_URL, {"q": "REPORTS"}))
        assert "No policies match these filters." in page(admin.get(LIST_URL, {"q": "nothing-like-it"}))

    def test_pages_of_100_with_a_next_link(self, admin, ctx):
        bulk_policies(ctx.account, 150)
        first = admin.get(LIST_URL, {"type": "customer"})
        assert len(first.context["policies"]) == 100
        next_url = first.context["next_url"]
        assert next_url.startswith("?type=customer&marker=")
        second = admin.get(LIST_URL + next_url)
        assert second.context["policies"][0].policy_name == "Bulk00100"
        assert len(second.context["policies"]) == 50 and second.context["next_url"] is None

    def test_a_constant_number_of_queries_at_10_and_1000_policies(self, ctx, reader, as_reader):
        as_reader.get(LIST_URL)  # the reader's compiled policies are cached from the first request on
        counts = []
        for prefix, n in (("A", 10), ("B", 990)):
            bulk_policies(ctx.account, n, prefix)
            with CaptureQueriesContext(connection) as captured:
                response = as_reader.get(LIST_URL, {"type": "customer"})
            assert response.status_code == 200 and len(response.context["policies"]) == min(n, 100)
            counts.append(len(captured.captured_queries))
        assert ManagedPolicy.objects.filter(account=ctx.account).count() == 1000
        assert counts[0] == counts[1]

    def test_the_read_only_user_sees_no_create_button(self, as_reader, policy):
        html = page(as_reader.get(LIST_URL))
        assert "ReadReports" in html
        assert "Create policy" not in html and "addlink" not in html

    def test_a_user_without_rights_gets_the_access_denied_page(self, ctx, acct):
        nobody = users.create_user(ctx, user_name="nobody")
        client = Client()
        client.force_login(nobody)
        access_denied(
            client.get(LIST_URL), denial(acct, "nobody", "iam:ListPolicies", f"arn:aws:iam::{acct}:policy/")
        )

    def test_signed_out_goes_to_sign_in(self, client):
        response = client.get(LIST_URL)
        assert (
            response.status_code == 302 and response["Location"] == "/signin/?next=%2Fconsole%2Fpolicies%2F"
        )


class PolicyCreateTests:
    def form(self, **overrides) -> dict:
        return {
            "policy_name": "ReadReports",
            "description": "Reads the reports bucket",
            "path": "/",
            "policy_document": READ_S3,
            "tags": "team=data\ncost-center = 42",
            **overrides,
        }

    def test_the_form_has_the_editor_and_the_validation_endpoint(self, admin):
        response = admin.get(CREATE_URL)
        assert response.status_code == 200
        html = page(response)
        assert 'data-validate-url="/console/policies/validate/"' in html
        assert 'data-policy-editor=""' in html and 'class="vLargeTextField policy-editor"' in html
        assert '<label for="id_policy_document">Policy editor (JSON):</label>' in html
        assert "csrfmiddlewaretoken" in html and "console/policy_editor.js" in html
        assert '<input type="submit" class="default" value="Create policy">' in html
        assert "&quot;Version&quot;: &quot;2012-10-17&quot;" in html  # a starting document

    def test_creates_the_policy_and_goes_to_its_page(self, admin, acct):
        response = admin.post(CREATE_URL, self.form())
        arn = f"arn:aws:iam::{acct}:policy/ReadReports"
        assert response.status_code == 302 and response["Location"] == f"/console/policies/{arn}/"
        created = ManagedPolicy.objects.get(arn=arn)
        assert (created.description, created.tags) == (
            "Reads the reports bucket",
            {"team": "data", "cost-center": "42"},
        )
        assert PolicyVersion.objects.get(policy=created).document == READ_S3
        assert events("iam:CreatePolicy") == [("success", "")]
        assert "Policy ReadReports created." in page(admin.get(response["Location"]))

    def test_a_path_puts_the_policy_in_the_arn(self, admin, acct):
        response = admin.post(CREATE_URL, self.form(path="/team/"))
        assert response["Location"] == f"/console/policies/arn:aws:iam::{acct}:policy/team/ReadReports/"

    def test_a_malformed_document_shows_the_engines_message_with_line_and_column(self, admin, ctx):
        response = admin.post(CREATE_URL, self.form(policy_document=MALFORMED))
        assert response.status_code == 400
        assert response.context["form"].errors["policy_document"] == [
            "Invalid action: The action 'iam: ChangePassword' contains white space; write it as "
            "'iam:ChangePassword'. (line 6, column 23, Statement[0].Action)"
        ]
        assert MALFORMED_MESSAGE in page(response)
        assert not ManagedPolicy.objects.filter(account=ctx.account).exists()
        assert "iam: ChangePassword" in response.context["form"]["policy_document"].value()  # kept as typed

    def test_a_json_syntax_error_names_line_and_column(self, admin):
        response = admin.post(
            CREATE_URL, self.form(policy_document='{"Version": "2012-10-17",\n "Statement": [')
        )
        assert response.status_code == 400
        (message,) = response.context["form"].errors["policy_document"]
        assert message.startswith("Json syntax error: Fix the JSON syntax error at index 41 line 2 column 16")
        assert message.endswith("(line 2, column 16)")

    def test_the_document_is_not_stripped_so_lines_stay_where_they_were(self, admin):
        response = admin.post(CREATE_URL, self.form(policy_document="\n\n" + MALFORMED))
        assert (
            "(line 8, column 23, Statement[0].Action)"
            in response.context["form"].errors["policy_document"][0]
        )

    def test_name_errors_and_duplicates_show_on_the_name(self, admin, ctx):
        response = admin.post(CREATE_URL, self.form(policy_name="bad name"))
        assert response.status_code == 400
        assert response.context["form"].errors["policy_name"] == [
            "1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        ]
        make(ctx)
        response = admin.post(CREATE_URL, self.form(policy_name="readreports"))
        assert response.status_code == 409
        assert response.context["form"].errors["policy_name"] == [
            "A policy called readreports already exists. Duplicate names are not allowed."
        ]

    def test_tag_errors_show_on_the_tags(self, admin):
        response = admin.post(CREATE_URL, self.form(tags="team=a\nTEAM=b"))
        assert response.status_code == 400
        assert response.context["form"].errors["tags"] == [
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        ]

    def test_the_read_only_user_may_check_but_not_save(self, as_reader, acct):
        html = page(as_reader.get(CREATE_URL))
        assert 'value="Create policy"' not in html
        assert "Your permissions do not allow <code>iam:CreatePolicy</code>" in html
        forged = as_reader.post(CREATE_URL, self.form())
        access_denied(
            forged, denial(acct, "reader", "iam:CreatePolicy", f"arn:aws:iam::{acct}:policy/ReadReports")
        )
        assert not ManagedPolicy.objects.filter(policy_name="ReadReports").exists()

    def test_the_form_needs_its_csrf_token(self, root, acct):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(CREATE_URL, self.form()).status_code == 403
        token = strict.get(CREATE_URL).cookies["csrftoken"].value
        response = strict.post(CREATE_URL, {**self.form(), "csrfmiddlewaretoken": token})
        assert response.status_code == 302


class PolicyValidateTests:
    def validate(self, client, document: str, **extra):
        return client.post(VALIDATE_URL, {"policy_document": document, **extra})

    def test_findings_with_line_and_column_as_json(self, admin):
        response = self.validate(admin, MALFORMED)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        assert response.json() == {
            "findings": [
                {
                    "severity": "ERROR",
                    "code": "INVALID_ACTION",
                    "title": "Invalid action",
                    "detail": "The action 'iam: ChangePassword' contains white space; write it as "
                    "'iam:ChangePassword'.",
                    "message": "Invalid action: The action 'iam: ChangePassword' contains white space; "
                    "write it as 'iam:ChangePassword'.",
                    "path": "Statement[0].Action",
                    "line": 6,
                    "column": 23,
                }
            ],
            "counts": {"ERROR": 1, "SECURITY_WARNING": 0, "WARNING": 0, "SUGGESTION": 0},
        }

    def test_warnings_and_suggestions_are_counted(self, admin):
        body = self.validate(
            admin, '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
        ).json()
        assert body["counts"] == {"ERROR": 0, "SECURITY_WARNING": 2, "WARNING": 1, "SUGGESTION": 0}
        assert [(x["code"], x["line"], x["column"]) for x in body["findings"]] == [
            ("MISSING_VERSION", 1, 1),
            ("OVERLY_PERMISSIVE", 1, 45),
            ("PASS_ROLE_WITH_STAR_IN_RESOURCE", 1, 62),
        ]

    def test_a_valid_policy_has_no_findings(self, admin):
        assert self.validate(admin, READ_S3).json() == {
            "findings": [],
            "counts": {"ERROR": 0, "SECURITY_WARNING": 0, "WARNING": 0, "SUGGESTION": 0},
        }

    def test_a_json_syntax_error(self, admin):
        (finding,) = self.validate(admin, '{"Version": "2012-10-17",\n "Statement": [').json()["findings"]
        assert (finding["code"], finding["line"], finding["column"]) == ("JSON_SYNTAX_ERROR", 2, 16)

    def test_role_trust_policies(self, admin):
        trust = self.validate(
            admin,
            EC2_TRUST,
            policy_type="RESOURCE_POLICY",
            validate_policy_resource_type="AWS::IAM::AssumeRolePolicyDocument",
        )
        assert trust.json()["findings"] == []

    def test_bad_parameters_are_a_json_error(self, admin):
        response = self.validate(admin, READ_S3, policy_type="SERVICE_CONTROL_POLICY")
        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "code": "ValidationError",
                "message": "1 validation error detected: Value 'SERVICE_CONTROL_POLICY' at 'policyType' failed "
                "to satisfy constraint: Member must satisfy enum value set: [IDENTITY_POLICY, RESOURCE_POLICY]",
            }
        }

    def test_any_signed_in_user_may_validate_and_nothing_is_audited(self, ctx):
        nobody = users.create_user(ctx, user_name="nobody")
        client = Client()
        client.force_login(nobody)
        before = AuditEvent.objects.count()
        assert self.validate(client, MALFORMED).json()["counts"]["ERROR"] == 1
        assert AuditEvent.objects.count() == before

    def test_post_only_signed_in_only_and_csrf_protected(self, client, root):
        assert self.validate(client, READ_S3).status_code == 302  # signed out
        client.force_login(root)
        assert client.get(VALIDATE_URL).status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert self.validate(strict, READ_S3).status_code == 403
        token = strict.get(CREATE_URL).cookies["csrftoken"].value
        # The editor's fetch sends the token in the X-CSRFToken header.
        response = strict.post(VALIDATE_URL, {"policy_document": READ_S3}, headers={"X-CSRFToken": token})
        assert response.status_code == 200 and response.json()["findings"] == []


class PolicyDetailTests:
    def test_the_permissions_tab_shows_the_default_document_formatted(self, admin, ctx, policy):
        policies.create_policy_version(
            ctx, policy_arn=policy.arn, policy_document=LIST_USERS, set_as_default=True
        )
        response = admin.get(url("", policy.arn))
        assert response.status_code == 200
        html = page(response)
        assert "<h1>ReadReports</h1>" in html
        assert f"<code>{policy.arn}</code>" in html
        assert "<dt>Default version</dt><dd>v2</dd>" in html
        assert "Customer managed" in html and "Reads the reports bucket" in html
        assert response.context["document"] == json.dumps(json.loads(LIST_USERS), indent=4)
        assert "&quot;Action&quot;: &quot;iam:ListUsers&quot;" in html
        assert f'href="/console/policies/edit/{policy.arn}/" class="changelink">Edit</a>' in html
        assert f'href="/console/policies/delete/{policy.arn}/" class="deletelink">Delete</a>' in html
        assert "?section=tags" in html

    def test_aws_managed_policies_are_read_only(self, admin):
        response = admin.get(url("", ADMIN_ARN))
        assert response.status_code == 200
        html = page(response)
        assert "AWS managed policies are written and updated by AWS" in html
        assert "changelink" not in html and "deletelink" not in html and "section=tags" not in html
        assert '"Action": "*"' in response.context["document"]
        versions = page(admin.get(url("", ADMIN_ARN, "?section=versions")))
        assert "Set as default" not in versions and "Create version" not in versions
        # AWS managed policies have no Tags tab: asking for it leads to the policy's permissions.
        assert admin.get(url("", ADMIN_ARN, "?section=tags"))["Location"] == url("", ADMIN_ARN)

    def test_the_usage_tab_lists_entities_with_detach_buttons(self, admin, ctx, policy):
        attach_everywhere(ctx, policy.arn)
        users.create_user(ctx, user_name="bounded", permissions_boundary=policy.arn)
        response = admin.get(url("", policy.arn, "?section=usage"))
        assert [(row["kind"], row["name"], row["detach"]) for row in response.context["usage"]] == [
            ("Group", "Devs", True),
            ("User", "alice", True),
            ("Role", "Builder", True),
        ]
        html = page(response)
        assert 'aria-label="Detach from user alice">Detach</button>' in html
        assert f'href="/console/policies/attach/{policy.arn}/" class="addlink">Attach</a>' in html
        assert "It is also the permissions boundary of 1 user or role" in html

    def test_the_usage_tab_costs_the_same_queries_at_10_and_1000_attachments(self, ctx, as_reader, policy):
        as_reader.get(url("", policy.arn, "?section=usage"))  # the reader's policies, cached from now on
        counts = []
        for prefix, n in (("a", 10), ("b", 990)):
            made = User.objects.bulk_create(
                User(
                    account=ctx.account, user_name=f"{prefix}{i:04d}", user_id=unique_id("AIDA"), password="!"
                )
                for i in range(n)
            )
            UserPolicyAttachment.objects.bulk_create(
                UserPolicyAttachment(user=u, policy=policy) for u in made
            )
            with CaptureQueriesContext(connection) as captured:
                response = as_reader.get(url("", policy.arn, "?section=usage"))
            assert len(response.context["usage"]) == min(n, 100)
            counts.append(len(captured.captured_queries))
        # A full page of users makes reading the roles unnecessary: one query fewer, never more.
        assert counts[1] <= counts[0]
        assert response.context["next_url"].startswith(url("", policy.arn, "?section=usage&marker="))

    def test_the_versions_tab(self, admin, ctx, policy):
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        response = admin.get(url("", policy.arn, "?section=versions"))
        assert [v.version_id for v in response.context["versions"]] == ["v2", "v1"]
        html = page(response)
        assert "Policy versions (2 of 5)" in html
        assert html.count(">Set as default</button>") == 1  # v2 only: v1 is the default
        assert 'aria-label="Set v2 as default"' in html and 'aria-label="Delete v2"' in html
        assert 'aria-label="Delete v1"' not in html
        assert f'action="/console/policies/compare/{policy.arn}/"' in html
        assert "Create version" in html

    def test_five_versions_say_to_delete_one_first(self, admin, ctx, policy):
        for _ in range(4):
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        html = page(admin.get(url("", policy.arn, "?section=versions")))
        assert (
            "A managed policy can have up to 5 versions. Delete a version before you create a new one."
            in html
        )
        assert "Create version" not in html

    def test_the_tags_tab(self, admin, policy):
        response = admin.get(url("", policy.arn, "?section=tags"))
        assert response.context["tags"] == [("team", "data")]
        html = page(response)
        assert 'aria-label="Remove tag team">Remove</button>' in html
        assert f'href="/console/policies/tag/{policy.arn}/" class="addlink">Add tag</a>' in html

    def test_the_read_only_user_sees_no_controls(self, ctx, as_reader, policy):
        attach_everywhere(ctx, policy.arn)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        for section in ("permissions", "usage", "versions", "tags"):
            response = as_reader.get(url("", policy.arn, f"?section={section}"))
            assert response.status_code == 200
            html = page(response)
            for control in ("changelink", "deletelink", "addlink", "<button", 'method="post" action='):
                assert control not in html.split('id="content-main"')[1], (section, control)

    def test_a_user_with_get_policy_only_cannot_open_the_versions_tab(self, ctx, acct, policy):
        alice = users.create_user(ctx, user_name="alice")
        f.put_user_policy(alice, "Get", f.allow(["iam:GetPolicy", "iam:GetPolicyVersion"]))
        client = Client()
        client.force_login(alice)
        assert client.get(url("", policy.arn)).status_code == 200
        access_denied(
            client.get(url("", policy.arn, "?section=versions")),
            denial(acct, "alice", "iam:ListPolicyVersions", policy.arn),
        )

    def test_unknown_policy_and_invalid_arn(self, admin, acct):
        missing = admin.get(url("", f"arn:aws:iam::{acct}:policy/Nope"))
        assert missing.status_code == 404
        assert f"Policy arn:aws:iam::{acct}:policy/Nope was not found." in page(missing)
        invalid = admin.get("/console/policies/arn:aws:iam::nope:policy/Xyz/")
        assert invalid.status_code == 400 and "ARN arn:aws:iam::nope:policy/Xyz is not valid." in page(
            invalid
        )
        assert admin.get("/console/policies/not-an-arn/").status_code == 404


class PolicyEditTests:
    def test_the_form_holds_the_default_document(self, admin, policy):
        response = admin.get(url("edit", policy.arn))
        assert response.status_code == 200
        form = response.context["form"]
        assert form["policy_document"].value() == json.dumps(json.loads(READ_S3), indent=4)
        assert form["set_as_default"].value() is True
        assert '<input type="submit" class="default" value="Save changes">' in page(response)

    def test_saving_creates_a_new_default_version(self, admin, policy):
        response = admin.post(
            url("edit", policy.arn), {"policy_document": LIST_USERS, "set_as_default": "on"}
        )
        assert response.status_code == 302 and response["Location"] == url("", policy.arn)
        default = PolicyVersion.objects.get(policy=policy, is_default=True)
        assert (default.version_id, default.document) == ("v2", LIST_USERS)
        assert events("iam:CreatePolicyVersion") == [("success", "")]
        assert "Policy ReadReports updated: v2 is the default version." in page(
            admin.get(response["Location"])
        )

    def test_a_version_that_is_not_the_default(self, admin, policy):
        response = admin.post(url("edit", policy.arn), {"policy_document": LIST_USERS})
        assert response["Location"] == url("", policy.arn, "?section=versions")
        assert PolicyVersion.objects.get(policy=policy, is_default=True).version_id == "v1"

    def test_a_malformed_document_is_shown_with_line_and_column(self, admin, policy):
        response = admin.post(url("edit", policy.arn), {"policy_document": MALFORMED, "set_as_default": "on"})
        assert response.status_code == 400
        assert MALFORMED_MESSAGE in page(response)
        assert PolicyVersion.objects.filter(policy=policy).count() == 1

    def test_at_most_five_versions(self, admin, ctx, policy):
        for _ in range(4):
            policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        response = admin.post(url("edit", policy.arn), {"policy_document": READ_S3, "set_as_default": "on"})
        assert response.status_code == 409
        assert response.context["form"].non_field_errors() == [
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
            "existing version."
        ]

    def test_aws_managed_policies_cannot_be_edited(self, admin):
        response = admin.get(url("edit", ADMIN_ARN))
        assert response.status_code == 400 and "Cannot modify an AWS managed policy." in page(response)
        forged = admin.post(url("edit", ADMIN_ARN), {"policy_document": READ_S3, "set_as_default": "on"})
        assert forged.status_code == 400
        assert forged.context["form"].non_field_errors() == ["Cannot modify an AWS managed policy."]

    def test_the_read_only_user_gets_no_save_button_and_access_denied_on_a_forged_post(
        self, as_reader, acct, policy
    ):
        assert 'value="Save changes"' not in page(as_reader.get(url("edit", policy.arn)))
        forged = as_reader.post(
            url("edit", policy.arn), {"policy_document": LIST_USERS, "set_as_default": "on"}
        )
        access_denied(forged, denial(acct, "reader", "iam:CreatePolicyVersion", policy.arn))
        assert PolicyVersion.objects.filter(policy=policy).count() == 1


class PolicyVersionTests:
    @pytest.fixture
    def two_versions(self, ctx, policy):
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        return policy

    def test_set_as_default(self, admin, two_versions):
        response = admin.post(url("set-default", two_versions.arn), {"version_id": "v2"})
        assert response.status_code == 302 and response["Location"] == url(
            "", two_versions.arn, "?section=versions"
        )
        assert PolicyVersion.objects.get(policy=two_versions, is_default=True).version_id == "v2"
        assert events("iam:SetDefaultPolicyVersion") == [("success", "")]
        assert "Version v2 is now the default version of ReadReports." in page(
            admin.get(response["Location"])
        )

    def test_set_as_default_unknown_version(self, admin, two_versions):
        response = admin.post(url("set-default", two_versions.arn), {"version_id": "v7"})
        assert response.status_code == 404
        assert f"Policy {two_versions.arn} version v7 does not exist or is not attachable." in page(response)

    def test_delete_a_version_after_confirming(self, admin, two_versions):
        confirm = admin.get(url("delete-version", two_versions.arn, "?version_id=v2"))
        assert confirm.status_code == 200
        assert "Are you sure you want to delete version <strong>v2</strong> of ReadReports?" in page(confirm)
        response = admin.post(url("delete-version", two_versions.arn), {"version_id": "v2"})
        assert response["Location"] == url("", two_versions.arn, "?section=versions")
        assert list(
            PolicyVersion.objects.filter(policy=two_versions).values_list("version_id", flat=True)
        ) == ["v1"]
        assert events("iam:DeletePolicyVersion") == [("success", "")]

    def test_the_default_version_cannot_be_deleted(self, admin, two_versions):
        confirm = page(admin.get(url("delete-version", two_versions.arn, "?version_id=v1")))
        assert (
            "v1 is the default version of ReadReports." in confirm
            and "<form" not in confirm.split('id="content-main"')[1]
        )
        forged = admin.post(url("delete-version", two_versions.arn), {"version_id": "v1"})
        assert forged.status_code == 409
        assert "Cannot delete the default version of a policy." in page(forged)

    def test_the_read_only_user_is_denied(self, as_reader, acct, two_versions):
        assert 'value="Yes, delete v2"' not in page(
            as_reader.get(url("delete-version", two_versions.arn, "?version_id=v2"))
        )
        access_denied(
            as_reader.post(url("set-default", two_versions.arn), {"version_id": "v2"}),
            denial(acct, "reader", "iam:SetDefaultPolicyVersion", two_versions.arn),
        )
        access_denied(
            as_reader.post(url("delete-version", two_versions.arn), {"version_id": "v2"}),
            denial(acct, "reader", "iam:DeletePolicyVersion", two_versions.arn),
        )
        assert PolicyVersion.objects.filter(policy=two_versions).count() == 2

    def test_compare_two_versions(self, admin, two_versions):
        response = admin.get(url("compare", two_versions.arn, "?version_id=v1&other_version_id=v2"))
        assert response.status_code == 200
        html = page(response)
        assert '<tr class="diff-changed">' in html
        assert "<code>            &quot;Action&quot;: &quot;s3:GetObject&quot;,</code>" in html
        assert "<code>            &quot;Action&quot;: &quot;iam:ListUsers&quot;,</code>" in html
        assert "ReadReports: v1 (default) compared with v2." in html

    def test_compare_a_version_with_itself(self, admin, two_versions):
        html = page(admin.get(url("compare", two_versions.arn, "?version_id=v2&other_version_id=v2")))
        assert "The two versions have the same document." in html and "diff-changed" not in html

    def test_compare_needs_two_version_ids(self, admin, two_versions):
        response = admin.get(url("compare", two_versions.arn, "?version_id=v1"))
        assert response.status_code == 400
        assert "at &#x27;versionId&#x27; failed to satisfy constraint: Member must not be null" in page(
            response
        )


class PolicyAttachDetachTests:
    def test_attach_to_a_user_group_or_role(self, admin, ctx, policy):
        users.create_user(ctx, user_name="alice")
        groups.create_group(ctx, group_name="Devs")
        assert admin.get(url("attach", policy.arn)).status_code == 200
        response = admin.post(url("attach", policy.arn), {"entity_type": "User", "entity_name": "alice"})
        assert response.status_code == 302 and response["Location"] == url("", policy.arn, "?section=usage")
        admin.post(url("attach", policy.arn), {"entity_type": "Group", "entity_name": "Devs"})
        usage = admin.get(response["Location"]).context["usage"]
        assert [(row["kind"], row["name"]) for row in usage] == [("Group", "Devs"), ("User", "alice")]
        assert events("iam:AttachUserPolicy") == [("success", "")]
        assert events("iam:AttachGroupPolicy") == [("success", "")]

    def test_an_unknown_entity_is_a_form_error(self, admin, policy):
        response = admin.post(url("attach", policy.arn), {"entity_type": "Role", "entity_name": "ghost"})
        assert response.status_code == 404
        assert response.context["form"].errors["entity_name"] == ["The role with name ghost cannot be found."]

    def test_aws_managed_policies_can_be_attached(self, admin, ctx):
        users.create_user(ctx, user_name="alice")
        admin.post(url("attach", ADMIN_ARN), {"entity_type": "User", "entity_name": "alice"})
        assert UserPolicyAttachment.objects.filter(user__user_name="alice", policy__arn=ADMIN_ARN).exists()

    def test_detach(self, admin, ctx, policy):
        attach_everywhere(ctx, policy.arn)
        response = admin.post(url("detach", policy.arn), {"entity_type": "Role", "entity_name": "Builder"})
        assert response["Location"] == url("", policy.arn, "?section=usage")
        usage = admin.get(response["Location"]).context["usage"]
        assert [(row["kind"], row["name"]) for row in usage] == [("Group", "Devs"), ("User", "alice")]
        assert events("iam:DetachRolePolicy") == [("success", "")]

    def test_a_forged_entity_type_is_refused(self, admin, ctx, policy):
        attach_everywhere(ctx, policy.arn)
        response = admin.post(url("detach", policy.arn), {"entity_type": "Account", "entity_name": "alice"})
        assert response.status_code == 400
        assert (
            "Value &#x27;Account&#x27; at &#x27;entityType&#x27; failed to satisfy constraint: Member must "
            "satisfy enum value set: [User, Group, Role]" in page(response)
        )
        assert UserPolicyAttachment.objects.filter(policy=policy).exists()

    def test_detaching_what_is_not_attached(self, admin, ctx, policy):
        users.create_user(ctx, user_name="alice")
        response = admin.post(url("detach", policy.arn), {"entity_type": "User", "entity_name": "alice"})
        assert response.status_code == 404 and f"Policy {policy.arn} was not found." in page(response)

    def test_the_read_only_user_is_denied(self, ctx, as_reader, acct, policy):
        users.create_user(ctx, user_name="alice")
        assert 'value="Attach policy"' not in page(as_reader.get(url("attach", policy.arn)))
        access_denied(
            as_reader.post(url("attach", policy.arn), {"entity_type": "User", "entity_name": "alice"}),
            denial(acct, "reader", "iam:AttachUserPolicy", f"arn:aws:iam::{acct}:user/alice"),
        )
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        access_denied(
            as_reader.post(url("detach", policy.arn), {"entity_type": "User", "entity_name": "alice"}),
            denial(acct, "reader", "iam:DetachUserPolicy", f"arn:aws:iam::{acct}:user/alice"),
        )


class PolicyTagTests:
    def test_add_and_remove_a_tag(self, admin, policy):
        assert admin.get(url("tag", policy.arn)).status_code == 200
        response = admin.post(url("tag", policy.arn), {"key": "owner", "value": "dana"})
        assert response.status_code == 302 and response["Location"] == url("", policy.arn, "?section=tags")
        assert admin.get(response["Location"]).context["tags"] == [("owner", "dana"), ("team", "data")]
        admin.post(url("untag", policy.arn), {"tag_key": "team"})
        assert ManagedPolicy.objects.get(pk=policy.pk).tags == {"owner": "dana"}
        assert events("iam:TagPolicy") == [("success", "")]
        assert events("iam:UntagPolicy") == [("success", "")]

    def test_an_invalid_key_is_shown_on_the_key(self, admin, policy):
        response = admin.post(url("tag", policy.arn), {"key": "", "value": "x"})
        assert response.status_code == 400
        assert response.context["form"].errors["key"] == [
            "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+ and have length "
            "between 1 and 128"
        ]

    def test_aws_managed_policies_cannot_be_tagged(self, admin):
        response = admin.post(url("tag", ADMIN_ARN), {"key": "owner", "value": "dana"})
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == ["Cannot modify an AWS managed policy."]

    def test_the_read_only_user_is_denied(self, as_reader, acct, policy):
        assert 'value="Save tag"' not in page(as_reader.get(url("tag", policy.arn)))
        access_denied(
            as_reader.post(url("tag", policy.arn), {"key": "owner", "value": "dana"}),
            denial(acct, "reader", "iam:TagPolicy", policy.arn),
        )
        access_denied(
            as_reader.post(url("untag", policy.arn), {"tag_key": "team"}),
            denial(acct, "reader", "iam:UntagPolicy", policy.arn),
        )
        assert ManagedPolicy.objects.get(pk=policy.pk).tags == {"team": "data"}


class PolicyDeleteTests:
    def test_the_confirmation_lists_what_goes(self, admin, ctx, policy):
        attach_everywhere(ctx, policy.arn)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        response = admin.get(url("delete", policy.arn))
        assert response.status_code == 200
        html = page(response)
        for item in (
            "<li>User <strong>alice</strong></li>",
            "<li>Group <strong>Devs</strong></li>",
            "<li>Role <strong>Builder</strong></li>",
            "<li>v2</li>",
            "<li>v1 (the default version)</li>",
        ):
            assert item in html
        assert '<label for="id_confirm">To confirm deletion, enter the policy name:</label>' in html

    def test_deletes_after_the_name_is_typed(self, admin, ctx, policy):
        attach_everywhere(ctx, policy.arn)
        policies.create_policy_version(ctx, policy_arn=policy.arn, policy_document=LIST_USERS)
        wrong = admin.post(url("delete", policy.arn), {"confirm": "readreports"})
        assert wrong.status_code == 400
        assert wrong.context["form"].errors["confirm"] == [
            "Enter the policy name, ReadReports, to confirm deletion."
        ]
        assert ManagedPolicy.objects.filter(pk=policy.pk).exists()
        response = admin.post(url("delete", policy.arn), {"confirm": "ReadReports"})
        assert response.status_code == 302 and response["Location"] == LIST_URL
        assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()
        for action in (
            "iam:DetachUserPolicy",
            "iam:DetachGroupPolicy",
            "iam:DetachRolePolicy",
            "iam:DeletePolicyVersion",
            "iam:DeletePolicy",
        ):
            assert events(action) == [("success", "")], action
        assert "Policy ReadReports deleted; detached from 3 entities; versions v2 deleted." in page(
            admin.get(LIST_URL)
        )

    def test_a_permissions_boundary_in_use_blocks_the_delete(self, admin, ctx, policy):
        users.create_user(ctx, user_name="bounded", permissions_boundary=policy.arn)
        html = page(admin.get(url("delete", policy.arn)))
        assert "is the permissions boundary of these entities" in html and "<li>User bounded</li>" in html
        assert "Yes, delete the policy" not in html
        forged = admin.post(url("delete", policy.arn), {"confirm": "ReadReports"})
        assert forged.status_code == 409
        assert forged.context["form"].non_field_errors() == ["Cannot delete a policy attached to entities."]

    def test_aws_managed_policies_cannot_be_deleted(self, admin):
        html = page(admin.get(url("delete", ADMIN_ARN)))
        assert "is an AWS managed policy" in html and "Yes, delete the policy" not in html
        forged = admin.post(url("delete", ADMIN_ARN), {"confirm": "AdministratorAccess"})
        assert forged.status_code == 400
        assert forged.context["form"].non_field_errors() == ["Cannot modify an AWS managed policy."]

    def test_the_read_only_user_gets_no_button_and_access_denied_on_a_forged_post(
        self, ctx, as_reader, acct, policy
    ):
        users.create_user(ctx, user_name="alice")
        policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        html = page(as_reader.get(url("delete", policy.arn)))
        assert "Yes, delete the policy" not in html and "do not allow <code>iam:DeletePolicy</code>" in html
        forged = as_reader.post(url("delete", policy.arn), {"confirm": "ReadReports"})
        access_denied(
            forged, denial(acct, "reader", "iam:DetachUserPolicy", f"arn:aws:iam::{acct}:user/alice")
        )
        assert UserPolicyAttachment.objects.filter(policy=policy).exists()

    def test_the_form_needs_its_csrf_token(self, root, policy):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(url("delete", policy.arn), {"confirm": "ReadReports"}).status_code == 403
        token = strict.get(url("delete", policy.arn)).cookies["csrftoken"].value
        response = strict.post(
            url("delete", policy.arn), {"confirm": "ReadReports", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302 and not ManagedPolicy.objects.filter(pk=policy.pk).exists()
