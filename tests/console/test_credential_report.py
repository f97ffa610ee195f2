"""Console: Account settings → Credential report → Download Report (generate, then the CSV file)."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import AuditEvent, CredentialReport
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user

pytestmark = pytest.mark.django_db
SETTINGS = "/console/account-settings/"
DOWNLOAD = "/console/account-settings/credential-report/"


def iam_user(ctx, name: str, *managed: str):
    user = create_user(ctx, user_name=name)
    for policy in managed:
        attach_user_policy(ctx, user_name=name, policy_arn=f"arn:aws:iam::aws:policy/{policy}")
    return user


class CredentialReportDownloadTests:
    def test_the_settings_page_offers_the_button_to_the_root_user(self, client, root):
        client.force_login(root)
        body = client.get(SETTINGS).content.decode()
        assert 'id="credential-report"' in body
        assert f'action="{DOWNLOAD}"' in body
        assert 'value="Download Report"' in body

    def test_post_generates_then_redirects_to_the_csv_download(self, client, root, ctx):
        create_user(ctx, user_name="alice")
        client.force_login(root)
        posted = client.post(DOWNLOAD)
        assert (posted.status_code, posted["Location"]) == (302, DOWNLOAD)
        assert CredentialReport.objects.filter(account=root.account).count() == 1
        events = AuditEvent.objects.filter(action="iam:GenerateCredentialReport", channel="console")
        assert list(events.values_list("outcome", flat=True)) == ["success"]
        got = client.get(DOWNLOAD)
        assert got.status_code == 200
        assert got["Content-Type"] == "text/csv; charset=utf-8"
        assert got["Content-Disposition"].startswith('attachment; filename="status_reports_')
        assert got["Cache-Control"] == "no-store"
        found = list(csv.DictReader(io.StringIO(got.content.decode())))
        acct = root.account.account_id
        assert [(r["user"], r["arn"]) for r in found] == [
            ("<root_account>", f"arn:aws:iam::{acct}:root"),
            ("alice", f"arn:aws:iam::{acct}:user/alice"),
        ]

    def test_download_before_generation_is_the_report_not_present_page(self, client, root):
        client.force_login(root)
        response = client.get(DOWNLOAD)
        assert response.status_code == 410
        assert "The credential report does not exist." in response.content.decode()

    def test_a_read_only_user_may_download_as_iamreadonlyaccess_allows_generation(self, client, ctx):
        # AWS's IAMReadOnlyAccess allows iam:GenerateCredentialReport and iam:Get*.
        client.force_login(iam_user(ctx, "reader", "IAMReadOnlyAccess"))
        assert 'id="credential-report"' in client.get(SETTINGS).content.decode()
        assert client.post(DOWNLOAD).status_code == 302
        assert client.get(DOWNLOAD).status_code == 200

    def test_a_user_without_policy_is_denied_a_forged_post_and_the_download(self, client, ctx):
        client.force_login(iam_user(ctx, "nobody"))
        response = client.post(DOWNLOAD)
        assert response.status_code == 403
        assert "iam:GenerateCredentialReport" in response.content.decode()
        assert not CredentialReport.objects.exists()
        denied = client.get(DOWNLOAD)
        assert denied.status_code == 403
        assert "iam:GetCredentialReport" in denied.content.decode()
        events = AuditEvent.objects.filter(action="iam:GenerateCredentialReport", channel="console")
        assert list(events.values_list("outcome", "error_code")) == [("denied", "AccessDenied")]
