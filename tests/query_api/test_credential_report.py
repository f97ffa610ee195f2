"""GenerateCredentialReport and GetCredentialReport with a real boto3 client against the live server:
Content arrives as base64 in the XML and boto3 decodes it to the CSV's bytes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from accounts.models import CredentialReport

from .conftest import Key

pytestmark = pytest.mark.django_db(transaction=True)


class CredentialReportTests:
    def test_generate_then_get_the_csv(self, iam, root):
        acct = root.account.account_id
        iam.create_user(UserName="bob")
        iam.create_login_profile(UserName="bob", Password="Corr3ct-horse-battery")
        created = iam.create_access_key(UserName="bob")["AccessKey"]
        iam.create_user(UserName="alice")

        with pytest.raises(iam.exceptions.CredentialReportNotPresentException) as missing:
            iam.get_credential_report()
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
        assert missing.value.response["Error"]["Code"] == "ReportNotPresent"

        started = iam.generate_credential_report()
        assert (started["State"], started["Description"]) == (
            "STARTED",
            "No report exists. Starting a new report generation task",
        )
        assert iam.generate_credential_report()["State"] == "COMPLETE"

        report = iam.get_credential_report()
        assert report["ReportFormat"] == "text/csv"
        assert isinstance(report["GeneratedTime"], datetime)
        assert isinstance(report["Content"], bytes)
        text = report["Content"].decode("utf-8")
        assert text == CredentialReport.objects.get(account=root.account).content
        header, *_ = text.splitlines()
        assert header.split(",")[:4] == ["user", "arn", "user_creation_time", "password_enabled"]
        assert len(header.split(",")) == 22
        found = list(csv.DictReader(io.StringIO(text)))
        assert [(r["user"], r["arn"], r["password_enabled"]) for r in found] == [
            ("<root_account>", f"arn:aws:iam::{acct}:root", "not_supported"),
            ("alice", f"arn:aws:iam::{acct}:user/alice", "FALSE"),
            ("bob", f"arn:aws:iam::{acct}:user/bob", "TRUE"),
        ]
        bob = found[2]
        assert (
            bob["access_key_1_active"],
            bob["access_key_1_last_used_date"],
            bob["access_key_2_active"],
        ) == (
            "TRUE",
            "N/A",
            "FALSE",
        )
        assert created["SecretAccessKey"] not in text and created["AccessKeyId"] not in text

    def test_an_expired_report_is_report_expired_410(self, iam, root):
        iam.generate_credential_report()
        CredentialReport.objects.filter(account=root.account).update(
            generated_time=datetime(2020, 1, 1, tzinfo=UTC)
        )
        with pytest.raises(iam.exceptions.CredentialReportExpiredException) as expired:
            iam.get_credential_report()
        assert expired.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
        assert expired.value.response["Error"]["Message"] == (
            "The most recent credential report has expired. To generate a new credential report, use "
            "GenerateCredentialReport."
        )

    def test_a_user_without_policy_is_denied(self, iam, root, make_client):
        iam.create_user(UserName="nobody")
        created = iam.create_access_key(UserName="nobody")["AccessKey"]
        nobody = make_client(Key(created["AccessKeyId"], created["SecretAccessKey"]))
        with pytest.raises(ClientError) as denied:
            nobody.generate_credential_report()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
