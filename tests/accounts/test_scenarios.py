"""Scenarios from AWS's training material, checked through authorize() and the services."""

from __future__ import annotations

import pytest

from accounts.authz import is_allowed
from accounts.selectors import users as user_reads
from accounts.services import groups, users
from iam_portal.errors import AccessDeniedError
from tests import factories as f

pytestmark = pytest.mark.django_db

DEVELOPER_ACTIONS = [
    ("codecommit:GitPush", "arn:aws:codecommit:us-east-1:{acct}:app"),
    ("ec2:DescribeInstances", "*"),
    ("s3:GetObject", "arn:aws:s3:::dev-artifacts/build.zip"),
]
SECURITY_ACTIONS = [
    ("iam:ListUsers", "arn:aws:iam::{acct}:user/"),
    ("securityhub:GetFindings", "*"),
    ("cloudtrail:LookupEvents", "*"),
]
NOBODY_ACTIONS = [
    ("iam:CreateUser", "arn:aws:iam::{acct}:user/mallory"),
    ("s3:DeleteBucket", "arn:aws:s3:::prod"),
]


@pytest.fixture
def company():
    """An account whose root set up job-function groups, as the IAM tutorial teaches."""
    root = f.root_context()
    developers = groups.create_group(root, group_name="Developers")
    security = groups.create_group(root, group_name="Security")
    f.attach_to_group(
        developers,
        f.managed_policy(
            root.account,
            "DeveloperAccess",
            f.allow(["codecommit:*", "ec2:Describe*"]),
            f.allow("s3:GetObject", "arn:aws:s3:::dev-artifacts/*"),
        ),
    )
    f.put_group_policy(
        security,
        "SecurityAudit",
        f.allow(["iam:Get*", "iam:List*", "securityhub:Get*", "cloudtrail:LookupEvents"]),
    )
    return root


def may(user, actions, acct) -> list[bool]:
    request = f.context_for(user)
    return [is_allowed(request, action, resource.format(acct=acct)) for action, resource in actions]


class NewDeveloperJoinsTests:
    def test_a_new_developer_gets_the_groups_permissions_and_no_others(self, company):
        acct = company.account.account_id
        dana = users.create_user(company, user_name="dana")
        assert may(dana, DEVELOPER_ACTIONS + SECURITY_ACTIONS + NOBODY_ACTIONS, acct) == [False] * 8
        groups.add_user_to_group(company, group_name="Developers", user_name="dana")
        assert may(dana, DEVELOPER_ACTIONS, acct) == [True, True, True]
        assert may(dana, SECURITY_ACTIONS + NOBODY_ACTIONS, acct) == [False] * 5


class DeveloperBecomesSecurityEngineerTests:
    def test_moving_groups_moves_permissions(self, company):
        acct = company.account.account_id
        users.create_user(company, user_name="sam")
        groups.add_user_to_group(company, group_name="Developers", user_name="sam")
        sam = user_reads.get_user(company, user_name="sam")
        assert may(sam, DEVELOPER_ACTIONS, acct) == [True] * 3

        groups.remove_user_from_group(company, group_name="Developers", user_name="sam")
        groups.add_user_to_group(company, group_name="Security", user_name="sam")

        assert may(sam, DEVELOPER_ACTIONS, acct) == [False] * 3
        assert may(sam, SECURITY_ACTIONS, acct) == [True] * 3
        assert may(sam, NOBODY_ACTIONS, acct) == [False] * 2
        # and the new permission works end to end: sam can list users now, through the selector
        assert "sam" in [u.user_name for u in user_reads.list_users(f.context_for(sam)).items]


class AdministratorGroupTests:
    def test_an_admin_user_in_an_admins_group_can_administer_and_the_root_can_step_back(self, company):
        admins = groups.create_group(company, group_name="Admins")
        f.attach_to_group(admins, f.managed_policy(None, "AdministratorAccess", f.allow()))
        users.create_user(company, user_name="admin")
        with pytest.raises(AccessDeniedError):
            users.create_user(f.context_for(user_reads.get_user(company, user_name="admin")), user_name="x")
        groups.add_user_to_group(company, group_name="Admins", user_name="admin")
        admin = f.context_for(user_reads.get_user(company, user_name="admin"))
        users.create_user(admin, user_name="newhire")
        groups.add_user_to_group(admin, group_name="Developers", user_name="newhire")
        assert [g.group_name for g in groups_of(admin, "newhire")] == ["Developers"]


def groups_of(ctx, user_name):
    from accounts.selectors import groups as group_reads

    return group_reads.list_groups_for_user(ctx, user_name=user_name).items
