"""`seeddemo` (issue 10): a realistic account whose rows obey every rule the services check."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from accounts.authz import is_allowed
from accounts.models import AccessKey, AuditEvent, GroupMembership, MFADevice, User
from accounts.selectors.access_keys import sealing_context
from accounts.services.credential_report import build_report
from accounts.services.demo_data import DemoSize, seed_demo
from iam_portal import secretbox
from policies.documents import check_document
from policies.models import GroupPolicy, PolicyVersion, UserPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db
SMALL = DemoSize(users=80, groups=16, policies=36, roles=6)


class SeedDemoTests:
    def test_the_account_has_the_sizes_asked_for_and_one_audit_event(self, ctx):
        counts = seed_demo(ctx, SMALL, seed=7)
        assert {k: counts[k] for k in ("users", "groups", "managed_policies", "roles")} == {
            "users": 80,
            "groups": 16,
            "managed_policies": 36,
            "roles": 6,
        }
        assert User.objects.filter(account=ctx.account, is_root=False).count() == 80
        assert GroupMembership.objects.filter(user__account=ctx.account).count() == counts["memberships"]
        assert counts["access_keys"] == AccessKey.objects.filter(user__account=ctx.account).count() == 56
        assert counts["mfa_devices"] == MFADevice.objects.filter(account=ctx.account).count() == 28
        (event,) = AuditEvent.objects.filter(action="portal:SeedDemo")
        assert event.parameters["users"] == 80 and event.outcome == "success"

    def test_the_same_seed_gives_the_same_shape(self, ctx):
        first = seed_demo(ctx, SMALL, seed=3)
        other = f.root_context()
        assert seed_demo(other, SMALL, seed=3) == first

    def test_every_document_is_a_valid_policy_and_secrets_open(self, ctx):
        seed_demo(ctx, SMALL)
        documents = [
            *PolicyVersion.objects.filter(policy__account=ctx.account).values_list("document", flat=True),
            *GroupPolicy.objects.filter(group__account=ctx.account).values_list("document", flat=True),
            *UserPolicy.objects.filter(user__account=ctx.account).values_list("document", flat=True),
        ]
        assert len(documents) == 36 + 4 + 4
        for document in documents:
            check_document(document)  # raises MalformedPolicyDocument on any invalid one
        key = AccessKey.objects.filter(user__account=ctx.account).first()
        secret = secretbox.decrypt(key.secret_ciphertext, context=sealing_context(key.access_key_id))
        assert len(secret) == 40

    def test_the_engine_and_the_credential_report_read_the_account(self, ctx):
        seed_demo(ctx, SMALL)
        users = list(User.objects.filter(account=ctx.account, is_root=False).select_related("account"))
        decisions = [is_allowed(f.context_for(u), "s3:ListBucket", "arn:aws:s3:::x") for u in users]
        assert any(decisions) and not all(decisions)  # read-only policies allow it; not every team has one
        rows = list(csv.reader(io.StringIO(build_report(ctx.account))))
        assert len(rows) == 1 + 1 + 80  # header, root, users

    def test_the_command_reports_what_it_made(self):
        out = io.StringIO()
        call_command(
            "seeddemo", "--users", "10", "--groups", "3", "--policies", "6", "--roles", "2", stdout=out
        )
        text = out.getvalue()
        assert "users: 10\n" in text and "groups: 3\n" in text and "seeded in " in text
        assert "root password: " in text

    def test_the_command_fills_only_empty_accounts_and_refuses_negative_sizes(self, ctx):
        from django.core.management.base import CommandError

        seed_demo(ctx, DemoSize(users=2, groups=1, policies=1, roles=1))
        with pytest.raises(CommandError, match=f"Account {ctx.account.account_id} has IAM users"):
            call_command("seeddemo", "--account", ctx.account.account_id, "--users", "3", stdout=io.StringIO())
        with pytest.raises(CommandError, match="--users must be 0 or more"):
            call_command("seeddemo", "--users", "-1", stdout=io.StringIO())
