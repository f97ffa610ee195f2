"""The walkthrough, the exercises and the help pages through Django's test client."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django_otp.oath import hotp

from accounts.models import AuditEvent, GroupMembership, User, unique_id
from accounts.selectors.onboarding import ADMINISTRATOR_ACCESS, LESSONS, TASKS
from accounts.services import access_keys, groups, mfa, passwords, policy_attachments, signin, users
from accounts.services.account import create_account_alias
from iam_portal.console.help_pages import TOPICS
from tests import factories as f

pytestmark = pytest.mark.django_db
PASSWORD = "First-Pass-1"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
T = 1_800_000_000


def code(seed: str, step: int) -> str:
    return f"{hotp(base64.b32decode(seed + '=' * (-len(seed) % 8)), step, digits=6):06d}"


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


def signed_in_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def step_html(page: str, key: str) -> str:
    start = page.index(f'id="step-{key}"')
    return page[start : page.index("</li>", start)]


def secure_everything(ctx, monkeypatch) -> None:
    """The whole checklist, through the services."""
    monkeypatch.setattr("django_otp.oath.time", lambda: T)
    device = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name="root")
    mfa.enable_mfa_device(
        ctx,
        serial_number=device.device.serial_number,
        authentication_code_1=code(device.base32_string_seed, T // 30),
        authentication_code_2=code(device.base32_string_seed, T // 30 + 1),
    )
    key = access_keys.create_access_key(ctx).access_key
    access_keys.update_access_key(ctx, access_key_id=key.access_key_id, status="Inactive")
    access_keys.delete_access_key(ctx, access_key_id=key.access_key_id)
    passwords.update_account_password_policy(ctx, minimum_password_length=12)
    groups.create_group(ctx, group_name="Admins")
    policy_attachments.attach_group_policy(ctx, group_name="Admins", policy_arn=ADMINISTRATOR_ACCESS)
    users.create_user(ctx, user_name="alice")
    passwords.create_login_profile(ctx, user_name="alice", password=PASSWORD)
    groups.add_user_to_group(ctx, group_name="Admins", user_name="alice")
    signin.authenticate_iam_user(
        account=ctx.account.account_id, user_name="alice", password=PASSWORD, source_ip=None
    )
    groups.create_group(ctx, group_name="Developers")
    groups.create_group(ctx, group_name="Security")


class OnboardingViewTests:
    def test_anonymous_visitors_go_to_the_sign_in_page(self, client):
        for url in (
            "/console/get-started/",
            "/console/get-started/exercises/",
            "/console/help/",
            "/console/help/mfa/",
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/signin/?next=%2Fconsole%2F")

    def test_a_new_account(self, root_client, acct):
        response = root_client.get("/console/get-started/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>Secure your new account</h1>" in page
        assert (
            '<label for="onboarding-progress" id="onboarding-progress-label">1 of 7 steps done</label>'
            in page
        )
        assert '<progress id="onboarding-progress" max="7" value="1">14%</progress>' in page
        assert [s.done for s in response.context["checklist"].steps] == [
            False,
            True,
            False,
            False,
            False,
            False,
            False,
        ]
        assert 'id="step-root-access-keys" data-done="true"' in page
        assert 'id="step-root-mfa" data-done="false"' in page

    def test_each_step_explains_why_and_links_to_its_page_and_its_help(self, root_client, acct):
        page = root_client.get("/console/get-started/").content.decode()
        for lesson in LESSONS:
            html = step_html(page, lesson.key)
            assert escape(lesson.title) in html and escape(lesson.why) in html
            assert lesson.why.count(". ") + 1 == 2  # two sentences
            args = [acct] if lesson.url_takes_account else []
            href = reverse(lesson.url_name, args=args)
            assert f'<a class="step-action" href="{href}">{escape(lesson.action)}</a>' in html
            help_url = reverse("console:help_topic", args=[lesson.help_topic])
            assert f'<a class="step-help" href="{help_url}">Learn more</a>' in html
        assert 'href="/signin/' + acct + '/"' in step_html(page, "admin-sign-in")

    def test_the_sign_in_step_uses_the_alias(self, root_client, ctx):
        create_account_alias(ctx, account_alias="acme-co")
        page = root_client.get("/console/get-started/").content.decode()
        assert '<a class="step-action" href="/signin/acme-co/">Open the sign-in page</a>' in step_html(
            page, "admin-sign-in"
        )

    def test_what_to_do_is_shown_for_steps_still_to_do(self, root_client, ctx):
        page = root_client.get("/console/get-started/").content.decode()
        assert "step-how" in step_html(page, "root-mfa")
        assert "step-how" not in step_html(page, "root-access-keys")  # done

    def test_all_green(self, root_client, ctx, monkeypatch):
        secure_everything(ctx, monkeypatch)
        response = root_client.get("/console/get-started/")
        page = response.content.decode()
        assert response.context["checklist"].complete
        assert "7 of 7 steps done" in page and 'value="7"' in page
        assert "Your account is secured. Try the exercises next." in page
        assert 'data-done="false"' not in page
        assert "Signed in as an administrator: alice." in page

    def test_an_iam_user_without_get_account_summary_reads_the_lessons(self, ctx):
        dana = users.create_user(ctx, user_name="dana")
        response = signed_in_as(dana).get("/console/get-started/")
        assert response.status_code == 200
        page = response.content.decode()
        assert response.context["checklist"] is None
        assert 'id="no-summary"' in page and "<progress" not in page
        assert all(escape(lesson.title) in page for lesson in LESSONS)
        assert "Sign in as the root user to do this." in step_html(page, "root-mfa")
        assert AuditEvent.objects.filter(outcome="denied").count() == 0

    def test_root_only_steps_have_no_link_for_an_iam_user(self, ctx):
        reader = users.create_user(ctx, user_name="reader")
        policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
        page = signed_in_as(reader).get("/console/get-started/").content.decode()
        assert "<progress" in page
        for key in ("root-mfa", "root-access-keys"):
            html = step_html(page, key)
            assert "Sign in as the root user to do this." in html and "step-action" not in html
        assert "step-action" in step_html(page, "password-policy")

    def test_only_get(self, root_client):
        assert root_client.post("/console/get-started/").status_code == 405

    def test_constant_queries_at_10_and_1000_users(self, root_client, ctx):
        groups.create_group(ctx, group_name="Admins")
        policy_attachments.attach_group_policy(ctx, group_name="Admins", policy_arn=ADMINISTRATOR_ACCESS)
        admins = ctx.account.groups.get()
        counts = []
        for total in (10, 1000):
            have = User.objects.filter(account=ctx.account, is_root=False).count()
            new = User.objects.bulk_create(
                User(account=ctx.account, user_name=f"user{i:04d}", user_id=unique_id("AIDA"), password="!")
                for i in range(have, total)
            )
            GroupMembership.objects.bulk_create(GroupMembership(group=admins, user=u) for u in new)
            root_client.get("/console/get-started/")
            with CaptureQueriesContext(connection) as queries:
                response = root_client.get("/console/get-started/")
            assert response.context["checklist"].steps[4].done
            counts.append(len(queries))
        assert counts[0] == counts[1]


class ExercisesViewTests:
    def test_nothing_done_yet(self, root_client):
        response = root_client.get("/console/get-started/exercises/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>Exercises</h1>" in page
        for task in TASKS:
            assert f'id="exercise-{task.key}" data-done="false"' in page
            assert escape(task.goal) in page
            assert all(escape(hint) in page for hint in task.hints)
            assert f'<a class="step-action" href="{reverse(task.url_name)}">Start here</a>' in page
        assert "No user with console access has joined Developers yet." in page

    def test_checks_tick_from_the_accounts_state(self, root_client, ctx, acct):
        groups.create_group(ctx, group_name="Developers")
        groups.create_group(ctx, group_name="Security")
        users.create_user(ctx, user_name="dana")
        passwords.create_login_profile(ctx, user_name="dana", password=PASSWORD, password_reset_required=True)
        groups.add_user_to_group(ctx, group_name="Developers", user_name="dana")
        page = root_client.get("/console/get-started/exercises/").content.decode()
        assert 'id="exercise-new-developer" data-done="true"' in page
        assert "Joined Developers with console access: dana." in page
        groups.add_user_to_group(ctx, group_name="Security", user_name="dana")
        groups.remove_user_from_group(ctx, group_name="Developers", user_name="dana")
        page = root_client.get("/console/get-started/exercises/").content.decode()
        assert 'id="exercise-developer-to-security" data-done="true"' in page
        assert 'id="exercise-new-developer" data-done="true"' in page  # moving on does not undo joining

    def test_policy_findings_are_shown(self, root_client, ctx, acct):
        from policies import services as policy_services

        policy_services.create_policy(
            ctx,
            policy_name="AnyUser",
            policy_document=f.document(f.allow("iam:ChangePassword", f"arn:aws:iam::{acct}:user/*")),
        )
        page = root_client.get("/console/get-started/exercises/").content.decode()
        assert "<li>AnyUser: alice may change bob&#x27;s password.</li>" in page

    def test_an_iam_user_without_get_account_summary(self, ctx):
        dana = users.create_user(ctx, user_name="dana")
        response = signed_in_as(dana).get("/console/get-started/exercises/")
        assert response.status_code == 200
        assert 'id="no-summary"' in response.content.decode()
        assert AuditEvent.objects.filter(outcome="denied").count() == 0


class HelpPagesTests:
    def test_the_index_lists_every_topic(self, root_client):
        response = root_client.get("/console/help/")
        assert response.status_code == 200
        page = response.content.decode()
        for slug, (title, _) in TOPICS.items():
            assert f'<a href="/console/help/{slug}/">{escape(title)}</a>' in page

    @pytest.mark.parametrize("slug", list(TOPICS))
    def test_every_topic(self, root_client, slug):
        response = root_client.get(f"/console/help/{slug}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert f"<h1>{escape(TOPICS[slug][0])}</h1>" in page
        assert f'id="help-{slug}"' in page
        assert '<a href="/console/help/">Help</a>' in page  # breadcrumbs

    def test_what_the_pages_teach(self, root_client):
        def text(slug: str) -> str:
            return root_client.get(f"/console/help/{slug}/").content.decode()

        assert "<strong>Authentication</strong> answers “are you who you say you are?”" in text(
            "authentication"
        )
        assert "<strong>Authorization</strong> answers “what may you do?”" in text("authentication")
        policies = text("policies")
        assert "An explicit <code>Deny</code> in any policy that applies wins" in policies
        assert "<em>implicit deny</em>" in policies
        assert "a boundary never grants anything" in policies
        assert "arn:aws:iam::123456789012:user/${aws:username}" in policies
        assert "Enable MFA on the root user right after creating the account." in text("root-user")
        assert "something you have" in text("mfa")
        assert "Groups cannot contain groups." in text("groups")
        assert "temporary credentials" in text("roles")

    def test_pages_link_to_their_neighbours(self, root_client):
        page = root_client.get("/console/help/root-user/").content.decode()
        assert '<a rel="prev" href="/console/help/authentication/">' in page
        assert '<a rel="next" href="/console/help/mfa/">' in page
        first = root_client.get("/console/help/authentication/").content.decode()
        assert 'rel="prev"' not in first

    def test_an_unknown_topic_is_not_found(self, root_client):
        assert root_client.get("/console/help/billing/").status_code == 404

    def test_an_iam_user_without_any_permission_reads_help(self, ctx):
        dana = users.create_user(ctx, user_name="dana")
        assert signed_in_as(dana).get("/console/help/policies/").status_code == 200
