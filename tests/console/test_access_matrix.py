"""Console: the access matrix (/console/access/ and /console/access/principal/): the form, the table of
principals with their reasons, the per-principal page by service, form errors, the denied page."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from accounts.services import groups, policy_attachments, roles, users
from tests import factories as f

pytestmark = pytest.mark.django_db
PAGE = "/console/access/"
PRINCIPAL = "/console/access/principal/"


@pytest.fixture
def account(ctx):
    admin = f.managed_policy(ctx.account, "Admin", f.allow())
    groups.create_group(ctx, group_name="admins")
    policy_attachments.attach_group_policy(ctx, group_name="admins", policy_arn=admin.arn)
    users.create_user(ctx, user_name="alice")
    groups.add_user_to_group(ctx, group_name="admins", user_name="alice")
    users.create_user(ctx, user_name="bob")
    return admin


def get(client, base: str, **params):
    return client.get(f"{base}?{urlencode(params)}" if params else base)


class AccessMatrixPageTests:
    def test_the_form_offers_the_catalogue(self, client, root):
        client.force_login(root)
        response = client.get(PAGE)
        body = response.content.decode()
        assert response.status_code == 200
        assert '<datalist id="catalogue">' in body and '<option value="iam:DeleteUser">' in body
        assert 'list="catalogue"' in body and "who-can-results" not in body

    def test_the_table_lists_who_may_and_why(self, client, root, account):
        client.force_login(root)
        response = get(client, PAGE, action="iam:DeleteUser", resource="*")
        body = response.content.decode()
        assert response.status_code == 200
        assert "1 principal</h2>" in body
        assert ">alice</a>" in body and ">bob</a>" not in body
        assert 'via group <a href="/console/groups/admins/">admins</a>' in body
        assert "Allow in <span" in body and "statement 0" in body

    def test_bad_input_is_a_form_error(self, client, root):
        client.force_login(root)
        response = get(client, PAGE, action="iam:Nope")
        assert response.status_code == 400
        assert "InvalidInput: Action iam:Nope is not an action of iam." in response.content.decode()
        response = get(client, PAGE, action="iam:GetUser", context="no value here")
        assert response.status_code == 400
        assert "Line 1: write key=value" in response.content.decode()

    def test_a_user_without_permission_gets_the_denied_page_audited(self, client, ctx, acct):
        nobody = users.create_user(ctx, user_name="nobody")
        client.force_login(User.objects.get(pk=nobody.pk))
        response = get(client, PAGE, action="iam:GetUser")
        assert response.status_code == 403
        assert (
            f.denial(acct, "nobody", "iam:GetAccountAuthorizationDetails", "*") in response.content.decode()
        )
        event = AuditEvent.objects.get(action="iam:GetAccountAuthorizationDetails")
        assert (event.outcome, event.channel) == ("denied", "console")
        assert 'href="/console/access/"' not in client.get("/console/").content.decode()

    def test_the_sidebar_offers_the_page_to_the_root_user(self, client, root):
        client.force_login(root)
        assert 'href="/console/access/"' in client.get("/console/").content.decode()

    def test_queries_do_not_grow_with_users(self, client, root, ctx, account):
        client.force_login(root)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert get(client, PAGE, action="iam:DeleteUser").status_code == 200
            return len(queries)

        before = count()
        for n in range(6):
            users.create_user(ctx, user_name=f"more{n}")
            groups.add_user_to_group(ctx, group_name="admins", user_name=f"more{n}")
        assert count() == before


class AccessPrincipalPageTests:
    def test_actions_by_service_with_their_scope(self, client, root, acct, account):
        client.force_login(root)
        response = get(client, PRINCIPAL, principal_arn=f"arn:aws:iam::{acct}:user/alice")
        body = response.content.decode()
        assert response.status_code == 200
        assert "What can alice do?" in body
        assert body.count('<details class="module service-actions" open>') == 2
        assert "<summary><h2>iam (190)</h2></summary>" in body
        assert "<summary><h2>sts (16)</h2></summary>" in body
        assert "<code>iam:DeleteUser</code>" in body and "All resources" in body

    def test_a_principal_with_nothing(self, client, root, acct, account):
        client.force_login(root)
        body = get(client, PRINCIPAL, principal_arn=f"arn:aws:iam::{acct}:user/bob").content.decode()
        assert "<summary><h2>sts (1)</h2></summary>" in body and "iam (" not in body

    def test_unknown_principal_is_a_form_error(self, client, root, acct):
        client.force_login(root)
        response = get(client, PRINCIPAL, principal_arn=f"arn:aws:iam::{acct}:user/ghost")
        assert response.status_code == 400
        assert "NoSuchEntity: The user with name ghost cannot be found." in response.content.decode()

    def test_the_user_page_links_here(self, client, root, acct, account):
        client.force_login(root)
        body = client.get("/console/users/alice/").content.decode()
        target = f"{PRINCIPAL}?principal_arn=arn%3Aaws%3Aiam%3A%3A{acct}%3Auser/alice"
        assert f'href="{target}"' in body and "What can this user do?" in body

    def test_the_role_page_links_here(self, client, root, ctx, acct):
        trust = f.document(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        )
        roles.create_role(ctx, role_name="deployer", assume_role_policy_document=trust)
        client.force_login(root)
        body = client.get("/console/roles/deployer/").content.decode()
        target = f"{PRINCIPAL}?principal_arn=arn%3Aaws%3Aiam%3A%3A{acct}%3Arole/deployer"
        assert f'href="{target}"' in body and "What can this role do?" in body
        page = get(client, PRINCIPAL, principal_arn=f"arn:aws:iam::{acct}:role/deployer")
        assert page.status_code == 200 and "What can deployer do?" in page.content.decode()
