"""GenerateCredentialReport and GetCredentialReport: AWS's 22 columns, values, the 4-hour rule, errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AccessKey, AuditEvent, CredentialReport, LoginProfile, MFADevice, User
from accounts.selectors.credential_report import get_credential_report
from accounts.services.access_keys import create_access_key, update_access_key
from accounts.services.credential_report import COLUMNS, generate_credential_report
from accounts.services.passwords import create_login_profile, update_account_password_policy
from accounts.services.users import create_user
from iam_portal.errors import AccessDeniedError, IamError
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
    "cert_2_active,cert_2_last_rotated"
)
PASSWORD = "Corr3ct-horse-battery"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def rows(ctx) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(get_credential_report(ctx).content)))


def _enabled_mfa(user: User, name: str) -> None:
    MFADevice.objects.create(
        account=user.account,
        device_name=name,
        serial_number=f"arn:aws:iam::{user.account.account_id}:mfa/{name}",
        seed_ciphertext="v1:x:y",
        user=user,
        enable_date=timezone.now(),
    )


class GenerateCredentialReportTests:
    def test_first_generation_starts_and_stores_one_report_audited(self, ctx):
        state = generate_credential_report(ctx)
        assert (state.state, state.description) == (
            "STARTED",
            "No report exists. Starting a new report generation task",
        )
        assert CredentialReport.objects.filter(account=ctx.account).count() == 1
        assert f.events("iam:GenerateCredentialReport") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:GenerateCredentialReport")
        assert event.target_arn == ctx.account.root_arn
        assert event.parameters == {"generated": True}

    def test_a_report_younger_than_four_hours_is_returned_not_regenerated(self, ctx):
        generate_credential_report(ctx)
        first = CredentialReport.objects.get(account=ctx.account)
        create_user(ctx, user_name="later")
        state = generate_credential_report(ctx)
        assert (state.state, state.description) == ("COMPLETE", "Report generation is complete")
        again = CredentialReport.objects.get(account=ctx.account)
        assert (again.generated_time, again.content) == (first.generated_time, first.content)
        assert "later" not in again.content
        assert CredentialReport.objects.count() == 1

    def test_a_report_four_hours_old_is_regenerated_in_place(self, ctx):
        generate_credential_report(ctx)
        CredentialReport.objects.filter(account=ctx.account).update(
            generated_time=timezone.now() - timedelta(hours=4, seconds=1)
        )
        create_user(ctx, user_name="later")
        state = generate_credential_report(ctx)
        assert (state.state, state.description) == (
            "STARTED",
            "Report is older than 4 hours. Starting a new report generation task",
        )
        assert CredentialReport.objects.filter(account=ctx.account).count() == 1
        assert [r["user"] for r in rows(ctx)] == ["<root_account>", "later"]

    def test_an_iam_user_needs_the_permission_and_the_denial_is_audited(self, ctx, acct):
        bob = create_user(ctx, user_name="bob")
        with pytest.raises(AccessDeniedError) as denied:
            generate_credential_report(f.context_for(bob))
        assert denied.value.message == f.denial(acct, "bob", "iam:GenerateCredentialReport", "*")
        assert f.events("iam:GenerateCredentialReport") == [("denied", "AccessDenied")]
        assert not CredentialReport.objects.exists()

    def test_an_allowed_iam_user_may_generate_and_get(self, ctx):
        bob = create_user(ctx, user_name="bob")
        f.put_user_policy(bob, "cr", f.allow(["iam:GenerateCredentialReport", "iam:GetCredentialReport"]))
        bob_ctx = f.context_for(bob)
        assert generate_credential_report(bob_ctx).state == "STARTED"
        assert [r["user"] for r in rows(bob_ctx)] == ["<root_account>", "bob"]

    @pytest.mark.parametrize("n_users", [2, 25])
    def test_generation_costs_the_same_queries_whatever_the_number_of_users(
        self, ctx, n_users, django_assert_max_num_queries
    ):
        for i in range(n_users):
            user = create_user(ctx, user_name=f"u{i:03}")
            create_login_profile(ctx, user_name=user.user_name, password=PASSWORD)
            create_access_key(ctx, user_name=user.user_name)
            create_access_key(ctx, user_name=user.user_name)
            _enabled_mfa(user, f"m{i}")
        # savepoint, lock, stored report, policy, users (+login profile, MFA), keys, insert, audit, release
        with django_assert_max_num_queries(9):
            generate_credential_report(ctx)
        assert len(rows(ctx)) == n_users + 1


class GetCredentialReportTests:
    def test_no_report_is_report_not_present_410(self, ctx):
        with pytest.raises(IamError) as error:
            get_credential_report(ctx)
        assert (error.value.code, error.value.http_status, error.value.message) == (
            "ReportNotPresent",
            410,
            "The credential report does not exist. To generate a credential report, use "
            "GenerateCredentialReport.",
        )

    def test_a_report_four_hours_old_is_report_expired_410(self, ctx):
        generate_credential_report(ctx)
        CredentialReport.objects.filter(account=ctx.account).update(
            generated_time=timezone.now() - timedelta(hours=4)
        )
        with pytest.raises(IamError) as error:
            get_credential_report(ctx)
        assert (error.value.code, error.value.http_status, error.value.message) == (
            "ReportExpired",
            410,
            "The most recent credential report has expired. To generate a new credential report, use "
            "GenerateCredentialReport.",
        )

    def test_an_iam_user_needs_the_permission(self, ctx, acct):
        generate_credential_report(ctx)
        bob = create_user(ctx, user_name="bob")
        with pytest.raises(AccessDeniedError) as denied:
            get_credential_report(f.context_for(bob))
        assert denied.value.message == f.denial(acct, "bob", "iam:GetCredentialReport", "*")

    def test_the_report_of_another_account_is_not_visible(self, ctx):
        generate_credential_report(ctx)
        other = f.root_context()
        with pytest.raises(IamError) as error:
            get_credential_report(other)
        assert error.value.code == "ReportNotPresent"


class ReportContentTests:
    def test_header_is_aws_s_22_columns_and_root_row_comes_first(self, ctx, root, acct):
        create_user(ctx, user_name="zed")
        create_user(ctx, user_name="amy")
        generate_credential_report(ctx)
        content = get_credential_report(ctx).content
        assert content.splitlines()[0] == HEADER
        assert len(COLUMNS) == 22
        found = rows(ctx)
        assert [r["user"] for r in found] == ["<root_account>", "amy", "zed"]
        assert found[0]["arn"] == f"arn:aws:iam::{acct}:root"
        assert found[1]["arn"] == f"arn:aws:iam::{acct}:user/amy"

    def test_root_row_values(self, ctx, root):
        User.objects.filter(pk=root.pk).update(created=T0, last_login=T0 + timedelta(days=1))
        generate_credential_report(ctx)
        found = rows(ctx)[0]
        assert found == {
            "user": "<root_account>",
            "arn": ctx.account.root_arn,
            "user_creation_time": "2026-01-02T03:04:05+00:00",
            "password_enabled": "not_supported",
            "password_last_used": "2026-01-03T03:04:05+00:00",
            "password_last_changed": "not_supported",
            "password_next_rotation": "not_supported",
            "mfa_active": "FALSE",
            "access_key_1_active": "FALSE",
            "access_key_1_last_rotated": "N/A",
            "access_key_1_last_used_date": "N/A",
            "access_key_1_last_used_region": "N/A",
            "access_key_1_last_used_service": "N/A",
            "access_key_2_active": "FALSE",
            "access_key_2_last_rotated": "N/A",
            "access_key_2_last_used_date": "N/A",
            "access_key_2_last_used_region": "N/A",
            "access_key_2_last_used_service": "N/A",
            "cert_1_active": "FALSE",
            "cert_1_last_rotated": "N/A",
            "cert_2_active": "FALSE",
            "cert_2_last_rotated": "N/A",
        }

    def test_a_user_with_nothing_has_false_and_na(self, ctx):
        nobody = create_user(ctx, user_name="nobody")
        User.objects.filter(pk=nobody.pk).update(created=T0)
        generate_credential_report(ctx)
        found = rows(ctx)[1]
        assert list(found.values()) == [
            "nobody",
            nobody.arn,
            "2026-01-02T03:04:05+00:00",
            "FALSE",
            "N/A",
            "N/A",
            "N/A",
            "FALSE",
            *["FALSE", "N/A", "N/A", "N/A", "N/A"] * 2,
            "FALSE",
            "N/A",
            "FALSE",
            "N/A",
        ]

    def test_password_mfa_and_keys_of_a_user(self, ctx):
        update_account_password_policy(ctx, max_password_age=90)
        alice = create_user(ctx, user_name="alice")
        create_login_profile(ctx, user_name="alice", password=PASSWORD)
        LoginProfile.objects.filter(user=alice).update(password_changed=T0)
        User.objects.filter(pk=alice.pk).update(last_login=T0 + timedelta(hours=2))
        _enabled_mfa(alice, "alice-phone")
        first = create_access_key(ctx, user_name="alice")
        second = create_access_key(ctx, user_name="alice")
        AccessKey.objects.filter(pk=first.access_key.pk).update(
            created=T0,
            last_used_date=T0 + timedelta(minutes=5),
            last_used_region="eu-west-1",
            last_used_service="ec2",
        )
        AccessKey.objects.filter(pk=second.access_key.pk).update(
            created=T0 + timedelta(days=1),
            last_used_date=T0 + timedelta(days=2),
            last_used_region="",  # s3 is not regional
            last_used_service="s3",
        )
        update_access_key(
            ctx, user_name="alice", access_key_id=second.access_key.access_key_id, status="Inactive"
        )
        generate_credential_report(ctx)
        found = rows(ctx)[1]
        assert {k: v for k, v in found.items() if k not in ("arn", "user_creation_time")} == {
            "user": "alice",
            "password_enabled": "TRUE",
            "password_last_used": "2026-01-02T05:04:05+00:00",
            "password_last_changed": "2026-01-02T03:04:05+00:00",
            "password_next_rotation": "2026-04-02T03:04:05+00:00",
            "mfa_active": "TRUE",
            "access_key_1_active": "TRUE",
            "access_key_1_last_rotated": "2026-01-02T03:04:05+00:00",
            "access_key_1_last_used_date": "2026-01-02T03:09:05+00:00",
            "access_key_1_last_used_region": "eu-west-1",
            "access_key_1_last_used_service": "ec2",
            "access_key_2_active": "FALSE",
            "access_key_2_last_rotated": "N/A",  # AWS: N/A without an active key
            "access_key_2_last_used_date": "2026-01-04T03:04:05+00:00",
            "access_key_2_last_used_region": "N/A",
            "access_key_2_last_used_service": "s3",
            "cert_1_active": "FALSE",
            "cert_1_last_rotated": "N/A",
            "cert_2_active": "FALSE",
            "cert_2_last_rotated": "N/A",
        }
        # never a secret in the report
        content = get_credential_report(ctx).content
        assert first.secret_access_key not in content and second.secret_access_key not in content
        assert first.access_key.access_key_id not in content

    def test_a_password_never_used_is_no_information_and_no_rotation_without_max_age(self, ctx):
        create_user(ctx, user_name="carol")
        create_login_profile(ctx, user_name="carol", password=PASSWORD)
        generate_credential_report(ctx)
        found = rows(ctx)[1]
        assert (found["password_enabled"], found["password_last_used"], found["password_next_rotation"]) == (
            "TRUE",
            "no_information",
            "N/A",
        )
        assert found["password_last_changed"].endswith("+00:00")
