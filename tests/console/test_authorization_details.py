"""Console: Account settings → Authorization details: download the JSON file, import one (a summary of
what was created; errors on the form, nothing written)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent, User
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user
from tests import factories as f
from tests.accounts.test_account_import import comparable, export, nothing_in
from tests.accounts.test_authorization_details import seed

pytestmark = pytest.mark.django_db
SETTINGS = "/console/account-settings/"
DOWNLOAD = "/console/account-settings/authorization-details/"
IMPORT = "/console/account-settings/authorization-details/import/"


def upload(content: str | bytes, name: str = "details.json") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/json")


class AuthorizationDetailsConsoleTests:
    def test_the_settings_page_offers_download_and_import(self, client, root):
        client.force_login(root)
        body = client.get(SETTINGS).content.decode()
        assert 'id="authorization-details"' in body
        assert f'href="{DOWNLOAD}"' in body and "Download authorization details (JSON)" in body
        assert f'href="{IMPORT}"' in body

    def test_a_user_without_policy_sees_no_download_and_is_denied_it(self, client, ctx):
        client.force_login(create_user(ctx, user_name="nobody"))
        assert f'href="{DOWNLOAD}"' not in client.get(SETTINGS).content.decode()
        denied = client.get(DOWNLOAD)
        assert denied.status_code == 403
        assert "iam:GetAccountAuthorizationDetails" in denied.content.decode()

    def test_the_download_is_every_page_joined_with_dates_as_aws_writes_them(
        self, client, root, ctx, monkeypatch
    ):
        from iam_portal.console import authorization_details

        seed(ctx)
        monkeypatch.setattr(authorization_details, "PAGE_SIZE", 3)  # 8 items: three pages joined
        client.force_login(root)
        got = client.get(DOWNLOAD)
        assert got.status_code == 200
        assert got["Content-Type"] == "application/json; charset=utf-8"
        assert got["Content-Disposition"].startswith(
            f'attachment; filename="authorization-details-{root.account.account_id}-'
        )
        assert got["Cache-Control"] == "no-store"
        body = json.loads(got.content)
        assert set(body) == {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
        assert body["UserDetailList"][0]["CreateDate"].endswith("Z")
        acct = root.account.account_id
        assert comparable(body, acct) == {
            k: v for k, v in comparable(export(ctx), acct).items() if k != "IsTruncated"
        }

    def test_import_shows_a_summary_of_what_was_created(self, client, ctx):
        seed(ctx)
        target_root = f.root_user()
        client.force_login(target_root)
        assert client.get(IMPORT).status_code == 200
        page = client.post(IMPORT, {"file": upload(json.dumps(export(ctx))), "on_conflict": "fail"})
        assert page.status_code == 200
        body = page.content.decode()
        assert 'id="import-summary"' in body
        assert "2 users: alice, bob" in body and "1 role: deployer" in body
        assert (
            f"ARNs and trust policies naming account {ctx.account.account_id} now name this account." in body
        )
        target = f.root_context(target_root)
        assert comparable(export(target), target.account.account_id) == comparable(
            export(ctx), ctx.account.account_id
        )
        assert AuditEvent.objects.get(action="portal:ImportAccountAuthorizationDetails").channel == "console"

    @pytest.mark.parametrize(
        ("content", "status", "shown"),
        [
            ("not json", 400, "InvalidInput: Invalid authorization details at the document: it is not JSON"),
            (
                json.dumps(
                    {
                        "GroupDetailList": [
                            {
                                "GroupName": "g",
                                "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/Nope"}],
                            }
                        ]
                    }
                ),
                404,
                "NoSuchEntity: GroupDetailList[0] (g).AttachedManagedPolicies[0]: Policy arn:aws:iam::aws:policy/Nope",
            ),
        ],
    )
    def test_errors_are_form_errors_and_nothing_is_written(self, client, root, ctx, content, status, shown):
        client.force_login(root)
        page = client.post(IMPORT, {"file": upload(content), "on_conflict": "fail"})
        assert page.status_code == status
        body = page.content.decode()
        assert 'class="errorlist"' in body and shown in body
        nothing_in(ctx)

    def test_a_conflict_is_a_form_error_unless_skipped(self, client, ctx):
        seed(ctx)
        target_root = f.root_user()
        create_user(f.root_context(target_root), user_name="bob")
        client.force_login(target_root)
        document = json.dumps(export(ctx))
        failed = client.post(IMPORT, {"file": upload(document), "on_conflict": "fail"})
        assert failed.status_code == 409
        assert (
            "EntityAlreadyExists: UserDetailList[1] (bob): User with name bob already exists."
            in failed.content.decode()
        )
        assert User.objects.filter(account=target_root.account, is_root=False).count() == 1
        skipped = client.post(IMPORT, {"file": upload(document), "on_conflict": "skip"})
        assert skipped.status_code == 200
        assert "Left as they were: User bob" in skipped.content.decode()

    def test_a_denied_write_is_a_form_error_and_audited(self, client, ctx):
        nobody = create_user(ctx, user_name="nobody")
        attach_user_policy(ctx, user_name="nobody", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        client.force_login(nobody)
        page = client.post(IMPORT, {"file": upload(json.dumps({"GroupDetailList": [{"GroupName": "g"}]}))})
        assert page.status_code == 403
        assert "AccessDenied: User: " in page.content.decode() and "iam:CreateGroup" in page.content.decode()
        assert f.events("iam:CreateGroup") == [("denied", "AccessDenied")]

    def test_a_missing_file_is_a_form_error(self, client, root):
        client.force_login(root)
        page = client.post(IMPORT, {"on_conflict": "fail"})
        assert page.status_code == 400
        assert "This field is required." in page.content.decode()
