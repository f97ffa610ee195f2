"""The import of a GetAccountAuthorizationDetails document: a round trip into a new account, account id
rewriting, all or nothing on any error, the conflict policy, audit rows and denials."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent, Group, Role, User
from accounts.selectors.authorization_details import as_aws, get_account_authorization_details
from accounts.services import account_import, policy_attachments, users
from accounts.services.account_import import import_account_authorization_details
from iam_portal.errors import (
    AccessDeniedError,
    EntityAlreadyExistsError,
    InvalidInputError,
    LimitExceededError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
)
from policies.models import ManagedPolicy, PolicyVersion
from tests import factories as f

from .test_authorization_details import seed

pytestmark = pytest.mark.django_db

IMPORT = "portal:ImportAccountAuthorizationDetails"
# What the import of seed()'s account writes, one audited action each: seed()'s deleted version v1 is
# not restored, so one CreatePolicyVersion (v2 is created by CreatePolicy, v3 by CreatePolicyVersion).
WRITES = {
    "iam:CreatePolicy": 2,
    "iam:CreatePolicyVersion": 1,
    "iam:CreateGroup": 1,
    "iam:PutGroupPolicy": 1,
    "iam:AttachGroupPolicy": 2,
    "iam:CreateUser": 2,
    "iam:PutUserPolicy": 1,
    "iam:AttachUserPolicy": 1,
    "iam:AddUserToGroup": 1,
    "iam:CreateRole": 1,
    "iam:PutRolePolicy": 1,
    "iam:AttachRolePolicy": 1,
}


def export(ctx) -> dict:
    """The account's details as the CLI prints them (documents as objects, dates as text)."""
    return json.loads(json.dumps(as_aws(get_account_authorization_details(ctx), json.loads), default=str))


def comparable(details: dict, acct: str) -> dict:
    """Without what an import cannot keep: the account id, unique ids and dates."""
    text = json.dumps(details, sort_keys=True).replace(acct, "<account>")
    text = re.sub(r'"(UserId|GroupId|RoleId|PolicyId|CreateDate|UpdateDate)": "[^"]*"', r'"\1": "-"', text)
    return json.loads(text)


def audited(ctx):
    """The account's audit rows, but for its sign-up."""
    return AuditEvent.objects.filter(account=ctx.account).exclude(action="portal:CreateAccount")


def audit_counts(ctx) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in audited(ctx).filter(outcome="success").values_list("action", flat=True):
        counts[action] = counts.get(action, 0) + 1
    return counts


def nothing_in(ctx) -> None:
    assert not User.objects.filter(account=ctx.account, is_root=False).exists()
    assert not Group.objects.filter(account=ctx.account).exists()
    assert not Role.objects.filter(account=ctx.account).exists()
    assert not ManagedPolicy.objects.filter(account=ctx.account).exists()


@pytest.fixture
def source(ctx):
    seed(ctx)
    return ctx


@pytest.fixture
def target():
    return f.root_context()


class RoundTripTests:
    def test_export_import_export_is_equal_but_for_account_ids_and_dates(self, source, target):
        before = export(source)
        summary = import_account_authorization_details(target, content=json.dumps(before))
        after = export(target)
        assert comparable(after, target.account.account_id) == comparable(before, source.account.account_id)
        assert summary.source_account_id == source.account.account_id
        assert summary.counts() == {
            "policies": 2,
            "policy_versions": 3,
            "groups": 1,
            "users": 2,
            "roles": 1,
            "inline_policies": 3,
            "attachments": 4,
            "memberships": 1,
            "skipped": 0,
        }

    def test_version_ids_and_the_default_version_are_kept(self, source, target):
        import_account_authorization_details(target, content=export(source))
        shared = ManagedPolicy.objects.get(account=target.account, policy_name="shared")
        assert sorted(
            PolicyVersion.objects.filter(policy=shared).values_list("version_id", "is_default")
        ) == [
            ("v2", True),
            ("v3", False),
        ]
        assert shared.last_version_number == 3
        (event,) = AuditEvent.objects.filter(account=target.account, action=IMPORT, outcome="success")
        assert event.parameters["version_ids"] == {shared.arn: {"v2": "v3", "v1": "v2"}}
        # The next version continues after the highest one, as in the source account.
        from policies.services import create_policy_version

        assert (
            create_policy_version(
                target, policy_arn=shared.arn, policy_document=f.document(f.allow())
            ).version_id
            == "v4"
        )

    def test_policy_arns_and_trust_policies_name_the_target_account(self, source, target):
        src, dst = source.account.account_id, target.account.account_id
        import_account_authorization_details(target, content=export(source))
        role = Role.objects.get(account=target.account)
        assert json.loads(role.assume_role_policy_document)["Statement"][0]["Principal"] == {
            "AWS": f"arn:aws:iam::{dst}:root"
        }
        assert role.permissions_boundary.arn == f"arn:aws:iam::{dst}:policy/limits/boundary"
        alice = User.objects.get(account=target.account, user_name="alice")
        assert alice.tags == {"team": "platform"} and alice.path == "/eng/"
        assert src not in json.dumps(export(target))

    def test_the_query_api_answer_with_url_encoded_documents_imports_too(self, source, target):
        from urllib.parse import quote

        encoded = as_aws(get_account_authorization_details(source), lambda text: quote(text, safe=""))
        import_account_authorization_details(target, content=json.dumps(encoded, default=str))
        assert comparable(export(target), target.account.account_id) == comparable(
            export(source), source.account.account_id
        )

    def test_pages_given_as_a_list_are_concatenated(self, source, target):
        pages, marker = [], None
        while True:
            page = get_account_authorization_details(source, max_items=3, marker=marker)
            pages.append(json.loads(json.dumps(as_aws(page, json.loads), default=str)))
            if not page.is_truncated:
                break
            marker = page.marker
        assert len(pages) == 3
        import_account_authorization_details(target, content=pages)
        assert comparable(export(target), target.account.account_id) == comparable(
            export(source), source.account.account_id
        )

    def test_every_write_is_audited_once_plus_the_import(self, source, target):
        import_account_authorization_details(target, content=export(source))
        counts = audit_counts(target)
        assert counts.pop(IMPORT) == 1
        assert counts == WRITES
        event = AuditEvent.objects.get(action=IMPORT)
        assert event.parameters["source_account_id"] == source.account.account_id
        assert (event.parameters["users"], event.parameters["attachments"], event.outcome) == (
            2,
            4,
            "success",
        )
        assert "item" not in event.parameters

    def test_no_secret_is_restored(self, source, target):
        users.create_user(source, user_name="keyed")
        from accounts.services.access_keys import create_access_key
        from accounts.services.passwords import create_login_profile

        create_access_key(source, user_name="keyed")
        create_login_profile(source, user_name="keyed", password="Corr3ct-horse-battery-staple")
        import_account_authorization_details(target, content=export(source))
        keyed = User.objects.get(account=target.account, user_name="keyed")
        assert not keyed.access_keys.exists() and not hasattr(keyed, "login_profile")
        assert not keyed.has_usable_password()


class AllOrNothingTests:
    def test_bad_json_is_invalid_input(self, target):
        with pytest.raises(InvalidInputError) as bad:
            import_account_authorization_details(target, content='{"UserDetailList": [')
        assert bad.value.message.startswith("Invalid authorization details at the document: it is not JSON")
        assert f.events(IMPORT) == []  # nothing was attempted

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("[1]", "Invalid authorization details at the document: it must be a JSON object"),
            ('{"Users": []}', "Invalid authorization details at the document: it has none of UserDetailList"),
            (
                '{"UserDetailList": {}}',
                "Invalid authorization details at UserDetailList: it must be a list of objects",
            ),
            ("[]", "Invalid authorization details at the document: it is an empty list of pages."),
            (
                "[" * 5000 + "]" * 5000,
                "Invalid authorization details at the document: it is nested too deeply.",
            ),
            (
                '{"UserDetailList": [{"UserName": "u", "UserPolicyList": ["x"]}]}',
                "Invalid authorization details at UserDetailList[0] (u).UserPolicyList: it must be a list of "
                "objects.",
            ),
            (
                '{"UserDetailList": [{"UserName": "u", "PermissionsBoundary": {"PermissionsBoundaryArn": 5}}]}',
                "Invalid authorization details at UserDetailList[0] (u).PermissionsBoundary."
                "PermissionsBoundaryArn: it must be a string.",
            ),
            (
                '{"GroupDetailList": [{"GroupName": "g", "GroupPolicyList": [null]}]}',
                "Invalid authorization details at GroupDetailList[0] (g).GroupPolicyList: it must be a list "
                "of objects.",
            ),
            (
                '{"GroupDetailList": [{"GroupName": "g", "AttachedManagedPolicies": [null]}]}',
                "Invalid authorization details at GroupDetailList[0] (g).AttachedManagedPolicies: it must be "
                "a list of objects.",
            ),
            (
                '{"UserDetailList": [{"UserName": "u", "GroupList": [{}]}]}',
                "Invalid authorization details at UserDetailList[0] (u).GroupList: it must be a list of "
                "strings.",
            ),
            (
                '{"UserDetailList": [{"UserName": "a\\u0000b"}]}',
                "Invalid authorization details at UserDetailList[0].UserName: it must not contain a NUL "
                "character.",
            ),
        ],
    )
    def test_a_document_of_the_wrong_shape_is_invalid_input(self, target, content, message):
        with pytest.raises(InvalidInputError) as bad:
            import_account_authorization_details(target, content=content)
        assert bad.value.message.startswith(message)
        assert bad.value.message.count("Invalid authorization details") == 1  # the item named once
        nothing_in(target)

    def test_an_unknown_policy_arn_writes_nothing(self, source, target):
        details = export(source)
        details["RoleDetailList"][0]["AttachedManagedPolicies"].append(
            {"PolicyName": "Nope", "PolicyArn": "arn:aws:iam::aws:policy/NoSuchPolicy"}
        )
        with pytest.raises(NoSuchEntityError) as missing:
            import_account_authorization_details(target, content=details)
        assert missing.value.message == (
            "RoleDetailList[0] (deployer).AttachedManagedPolicies[1]: "
            "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable."
        )
        nothing_in(target)
        # Only the import's failure is on record: the writes before it were rolled back with their rows.
        assert list(audited(target).values_list("action", "outcome", "error_code")) == [
            (IMPORT, "failed", "NoSuchEntity")
        ]
        assert audited(target).get().parameters["item"] == (
            "RoleDetailList[0] (deployer).AttachedManagedPolicies[1]"
        )

    def test_a_malformed_inline_document_names_the_item(self, source, target):
        details = export(source)
        details["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] = {"Statement": "nope"}
        with pytest.raises(MalformedPolicyDocumentError) as bad:
            import_account_authorization_details(target, content=details)
        assert bad.value.message.startswith("UserDetailList[0] (alice).UserPolicyList[0]: ")
        nothing_in(target)

    def test_an_existing_entity_is_entity_already_exists_and_nothing_is_written(self, source, target):
        users.create_user(target, user_name="bob")
        with pytest.raises(EntityAlreadyExistsError) as taken:
            import_account_authorization_details(target, content=export(source))
        assert taken.value.message == "UserDetailList[1] (bob): User with name bob already exists."
        assert list(
            User.objects.filter(account=target.account, is_root=False).values_list("user_name", flat=True)
        ) == ["bob"]
        assert not Group.objects.filter(account=target.account).exists()
        assert not ManagedPolicy.objects.filter(account=target.account).exists()

    def test_skip_leaves_existing_entities_alone_and_imports_the_rest(self, source, target):
        users.create_user(target, user_name="bob", path="/kept/")
        summary = import_account_authorization_details(target, content=export(source), on_conflict="skip")
        assert summary.skipped == ["User bob"]
        assert User.objects.get(account=target.account, user_name="bob").path == "/kept/"
        assert summary.users == ["alice"]
        assert Role.objects.filter(account=target.account).count() == 1

    def test_an_unknown_conflict_policy_is_invalid_input(self, target):
        with pytest.raises(InvalidInputError) as bad:
            import_account_authorization_details(target, content="{}", on_conflict="merge")
        assert bad.value.message == "on_conflict must be one of: fail, skip."

    def test_quotas_still_apply(self, source, target, monkeypatch):
        monkeypatch.setattr(users, "MAX_USERS_PER_ACCOUNT", 1)
        with pytest.raises(LimitExceededError) as over:
            import_account_authorization_details(target, content=export(source))
        assert over.value.message == "UserDetailList[1] (bob): Cannot exceed quota for UsersPerAccount: 1"
        nothing_in(target)

    def test_a_denied_write_is_audited_as_denied_and_nothing_is_written(self, target):
        acct = target.account.account_id
        admin = users.create_user(target, user_name="admin")
        policy_attachments.put_user_policy(
            target,
            user_name="admin",
            policy_name="no-roles",
            policy_document=f.document(f.allow(), f.deny("iam:CreateRole")),
        )
        details = {
            "UserDetailList": [{"UserName": "dora", "Path": "/"}],
            "RoleDetailList": [
                {
                    "RoleName": "ci",
                    "Path": "/",
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                }
            ],
        }
        with pytest.raises(AccessDeniedError) as denied:
            import_account_authorization_details(f.context_for(admin), content=details)
        assert denied.value.message.startswith(
            f"User: arn:aws:iam::{acct}:user/admin is not authorized to perform: iam:CreateRole on resource: "
            f"arn:aws:iam::{acct}:role/ci"
        )
        assert not User.objects.filter(account=target.account, user_name="dora").exists()
        rows = AuditEvent.objects.filter(actor_arn=f"arn:aws:iam::{acct}:user/admin")
        assert list(rows.values_list("action", "outcome", "error_code", "target_arn")) == [
            (IMPORT, "failed", "AccessDenied", target.account.root_arn),
            ("iam:CreateRole", "denied", "AccessDenied", f"arn:aws:iam::{acct}:role/ci"),
        ]


class ImportAuthzCommandTests:
    def test_imports_a_file_as_the_account_root(self, source, target, tmp_path):
        path = tmp_path / "details.json"
        path.write_text(json.dumps(export(source)))
        out = io.StringIO()
        call_command("importauthz", "--account", target.account.account_id, str(path), stdout=out)
        assert "2 users, 1 groups, 1 roles, 2 policies" in out.getvalue()
        assert AuditEvent.objects.get(action=IMPORT).channel == "internal"
        assert AuditEvent.objects.get(action=IMPORT).actor_arn == target.account.root_arn
        assert comparable(export(target), target.account.account_id) == comparable(
            export(source), source.account.account_id
        )

    def test_errors_are_command_errors_and_write_nothing(self, source, target, tmp_path):
        path = tmp_path / "details.json"
        path.write_text("not json")
        with pytest.raises(CommandError, match="InvalidInput: Invalid authorization details at the document"):
            call_command("importauthz", "--account", target.account.account_id, str(path))
        with pytest.raises(CommandError, match="No account 000000000000"):
            call_command("importauthz", "--account", "000000000000", str(path))
        with pytest.raises(CommandError, match="Cannot read"):
            call_command(
                "importauthz", "--account", target.account.account_id, str(tmp_path / "missing.json")
            )
        nothing_in(target)

    def test_skip_is_an_option(self, source, target, tmp_path):
        users.create_user(target, user_name="bob")
        path = tmp_path / "details.json"
        path.write_text(json.dumps(export(source)))
        out = io.StringIO()
        call_command(
            "importauthz",
            "--account",
            target.account.account_id,
            "--on-conflict",
            "skip",
            str(path),
            stdout=out,
        )
        assert "skipped: User bob" in out.getvalue()


def test_the_conflict_policies_are_fail_and_skip():
    assert account_import.ON_CONFLICT == ("fail", "skip")


class SkipByNameTests:
    def test_skip_leaves_a_policy_of_the_same_name_at_another_path(self, target):
        f.managed_policy(target.account, "P", f.allow("iam:GetUser"), path="/a/")
        acct = "111122223333"
        document = {
            "Policies": [
                {
                    "PolicyName": "P",
                    "Arn": f"arn:aws:iam::{acct}:policy/P",
                    "Path": "/",
                    "DefaultVersionId": "v1",
                    "PolicyVersionList": [
                        {
                            "Document": f.document(f.allow("iam:ListUsers")),
                            "VersionId": "v1",
                            "IsDefaultVersion": True,
                        }
                    ],
                }
            ]
        }
        summary = import_account_authorization_details(
            target, content=json.dumps(document), on_conflict="skip"
        )
        assert summary.policies == [] and summary.skipped == [
            f"Policy arn:aws:iam::{target.account.account_id}:policy/P"
        ]
        assert ManagedPolicy.objects.filter(account=target.account, policy_name="P").count() == 1
