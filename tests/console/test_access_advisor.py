"""Console: the Access Advisor tab of a user, group, role and policy: allowed services, last accessed or
"Not accessed in the tracking period", unused ones flagged; tab links; denial; constant query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, GroupMembership, Role, User
from accounts.services.groups import add_user_to_group, create_group
from accounts.services.policy_attachments import attach_role_policy, put_group_policy, put_user_policy
from accounts.services.roles import create_role
from accounts.services.users import create_user
from tests import factories as f

pytestmark = pytest.mark.django_db
WHEN = timezone.now().replace(microsecond=0) - timedelta(days=5)
TRUST = f.document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
NOT_ACCESSED = "Not accessed in the tracking period"


def _event(ctx, actor_arn: str, action: str, when=WHEN, outcome: str = "success") -> None:
    # The report counts an entity's attempts since its creation: the entities existed before.
    for model in (User, Role):
        model.objects.filter(account=ctx.account, created__gt=when).update(created=when - timedelta(days=1))
    AuditEvent.objects.create(
        time=when, account=ctx.account, actor_arn=actor_arn, channel="query", action=action, outcome=outcome
    )


def _rows(body: str) -> list[tuple[str, str, bool]]:
    """(service name, namespace, unused) of each row of the tab's table."""
    table = body.split('id="access-advisor"', 1)[1].split("</table>", 1)[0]
    found = []
    for attrs, cells in re.findall(r"<tr([^>]*)>(.*?)</tr>", table, re.S)[1:]:  # after the header
        name = re.search(r'<th scope="row">(.*?)</th>', cells)
        namespace = re.search(r"<code>(.*?)</code>", cells)
        if name:
            found.append((name.group(1), namespace.group(1), "advisor-unused" in attrs))
    return found


class UserTabTests:
    def test_allowed_services_with_last_access_and_unused_ones_flagged(self, client, root, ctx):
        alice = create_user(ctx, user_name="alice")
        put_user_policy(
            ctx, user_name="alice", policy_name="p", policy_document=f.document(f.allow(["iam:*", "s3:*"]))
        )
        _event(ctx, alice.arn, "iam:CreateUser", outcome="denied")
        client.force_login(root)
        page = client.get("/console/users/alice/access-advisor/")
        assert page.status_code == 200
        body = page.content.decode()
        assert re.search(
            r'<a href="/console/users/alice/access-advisor/" aria-current="page">Access Advisor</a>', body
        )
        assert _rows(body) == [
            ("AWS Identity and Access Management", "iam", False),
            ("Amazon S3", "s3", True),
        ]
        assert body.count(NOT_ACCESSED) == 1
        assert WHEN.strftime("%Y-%m-%d %H:%M") in body
        assert "1 of 2 allowed services not accessed in the tracking period." in body
        assert "Permission to remove" in body

    def test_the_tab_is_linked_from_the_users_other_tabs(self, client, root, ctx):
        create_user(ctx, user_name="alice")
        client.force_login(root)
        body = client.get("/console/users/alice/").content.decode()
        assert '<a href="/console/users/alice/access-advisor/">Access Advisor</a>' in body

    def test_a_caller_who_may_not_generate_sees_why_in_the_tab(self, client, ctx, acct):
        create_user(ctx, user_name="alice")
        viewer = create_user(ctx, user_name="viewer")
        put_user_policy(
            ctx,
            user_name="viewer",
            policy_name="read",
            policy_document=f.document(f.allow(["iam:Get*", "iam:List*"])),
        )
        client.force_login(viewer)
        page = client.get("/console/users/alice/access-advisor/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "You cannot see this report" in body
        assert f"iam:GenerateServiceLastAccessedDetails on resource: arn:aws:iam::{acct}:user/alice" in body
        assert 'id="access-advisor"' not in body
        assert f.events("iam:GenerateServiceLastAccessedDetails") == [("denied", "AccessDenied")]

    def test_an_unknown_user_is_the_not_found_page(self, client, root):
        client.force_login(root)
        assert client.get("/console/users/ghost/access-advisor/").status_code == 404


class GroupRoleAndPolicyTabTests:
    def test_a_group_tab_shows_who_last_accessed_and_how_many(self, client, root, ctx):
        create_group(ctx, group_name="devs")
        put_group_policy(ctx, group_name="devs", policy_name="all", policy_document=f.document(f.allow("*")))
        for name in ("alice", "bob"):
            create_user(ctx, user_name=name)
            add_user_to_group(ctx, group_name="devs", user_name=name)
        bob = User.objects.get(user_name="bob")
        _event(ctx, bob.arn, "iam:CreateGroup")
        client.force_login(root)
        body = client.get("/console/groups/devs/access-advisor/").content.decode()
        assert 'aria-current="page" class="current">Access Advisor</a>' in body
        assert _rows(body) == [
            ("AWS Identity and Access Management", "iam", False),
            ("AWS Security Token Service", "sts", True),
        ]
        assert f"<code>{bob.arn}</code></td><td>1</td>" in body
        assert "Users in this group" not in body  # the tab replaces the Users tab's content

    def test_the_other_tabs_links_leave_the_advisor_url(self, client, root, ctx):
        create_group(ctx, group_name="devs")
        create_role(ctx, role_name="ci", assume_role_policy_document=TRUST)
        client.force_login(root)
        assert client.get("/console/groups/devs/access-advisor/?tab=users")["Location"] == (
            "/console/groups/devs/?tab=users"
        )
        assert (
            client.get("/console/roles/ci/access-advisor/?tab=trust")["Location"]
            == "/console/roles/ci/?tab=trust"
        )
        body = client.get("/console/groups/devs/").content.decode()
        assert '<a href="/console/groups/devs/access-advisor/">Access Advisor</a>' in body

    def test_a_role_tab_counts_its_sessions(self, client, root, ctx, acct):
        policy = f.managed_policy(ctx.account, "Deploy", f.allow("sts:*"))
        create_role(ctx, role_name="ci", assume_role_policy_document=TRUST)
        attach_role_policy(ctx, role_name="ci", policy_arn=policy.arn)
        _event(ctx, f"arn:aws:sts::{acct}:assumed-role/ci/build-7", "sts:AssumeRole", outcome="denied")
        client.force_login(root)
        body = client.get("/console/roles/ci/access-advisor/").content.decode()
        assert _rows(body) == [("AWS Security Token Service", "sts", False)]
        assert NOT_ACCESSED not in body
        assert '<a href="/console/roles/ci/access-advisor/" aria-current="page" class="current">' in body

    def test_a_policy_tab_reports_its_users_and_roles(self, client, root, ctx):
        policy = f.managed_policy(ctx.account, "Ops", f.allow("iam:*"), f.allow("sts:GetCallerIdentity"))
        create_user(ctx, user_name="alice")
        from accounts.services.policy_attachments import attach_user_policy

        attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        _event(ctx, User.objects.get(user_name="alice").arn, "iam:TagUser")
        client.force_login(root)
        url = f"/console/policies/access-advisor/{policy.arn}/"
        body = client.get(url).content.decode()
        assert f'<li class="selected"><a href="{url}" aria-current="page">Access Advisor</a></li>' in body
        assert _rows(body) == [
            ("AWS Identity and Access Management", "iam", False),
            ("AWS Security Token Service", "sts", True),
        ]
        assert "Permissions defined in this policy" not in body
        detail = client.get(f"/console/policies/{policy.arn}/").content.decode()
        assert f'<a href="{url}">Access Advisor</a>' in detail


class QueryCountTests:
    def _count(self, client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def _events(self, ctx, arns: list[str], count: int) -> None:
        AuditEvent.objects.bulk_create(
            AuditEvent(
                time=WHEN - timedelta(minutes=n),
                account=ctx.account,
                actor_arn=arns[n % len(arns)],
                channel="query",
                action=("iam:CreateUser", "sts:AssumeRole", "iam:TagRole")[n % 3],
                outcome="success",
            )
            for n in range(count)
        )

    def test_the_group_and_user_tabs_cost_the_same_with_many_more_events_and_members(self, client, root, ctx):
        group = create_group(ctx, group_name="devs")
        put_group_policy(ctx, group_name="devs", policy_name="all", policy_document=f.document(f.allow("*")))
        create_user(ctx, user_name="alice")
        add_user_to_group(ctx, group_name="devs", user_name="alice")
        client.force_login(root)
        members = lambda: [u.arn for u in User.objects.filter(memberships__group=group)]  # noqa: E731
        self._events(ctx, members(), 10)
        urls = ["/console/groups/devs/access-advisor/", "/console/users/alice/access-advisor/"]
        before = [self._count(client, url) for url in urls]
        for n in range(20):
            user = User.objects.create(account=ctx.account, user_name=f"m{n}", user_id=f"AIDA{n:017d}")
            GroupMembership.objects.create(group=group, user=user)
        self._events(ctx, members(), 300)
        assert [self._count(client, url) for url in urls] == before
