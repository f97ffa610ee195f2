"""The Users pages through Django's test client: the list, the Create user wizard, a user's tabs,
Delete (one and bulk); controls hidden from a read-only user, forged requests refused, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import AccessKey, AuditEvent, Group, GroupMembership, LoginProfile, MFADevice, User
from accounts.services import access_keys, groups, passwords, policy_attachments, users
from accounts.services.account import create_account_alias
from iam_portal.console.users import WIZARD
from policies.models import UserPolicy, UserPolicyAttachment
from tests import factories as f
from tests.accounts.test_user_workflows import mfa_device, user_with_everything

pytestmark = pytest.mark.django_db
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
USERS = "/console/users/"


@pytest.fixture
def admin(client, root):
    """The root user, signed in to the console."""
    client.force_login(root)
    return client


@pytest.fixture
def reader(ctx):
    """An IAM user with AWS's IAMReadOnlyAccess."""
    user = users.create_user(ctx, user_name="reader")
    policy_attachments.attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
    return user


@pytest.fixture
def reading(reader):
    client = Client()
    client.force_login(reader)
    return client


def text(response) -> str:
    return response.content.decode()


def assert_access_denied(response, action: str) -> None:
    assert response.status_code == 403
    assert "Access denied" in text(response) and f"perform: {action} on resource" in text(response)


class UserListTests:
    def test_lists_users_with_their_columns(self, admin, ctx):
        dana = user_with_everything(ctx)
        AccessKey.objects.filter(user=dana).update(created=ctx.now - timedelta(days=12))
        users.create_user(ctx, user_name="erin", path="/ops/")
        response = admin.get(USERS)
        assert response.status_code == 200
        page = text(response)
        rows = re.findall(r"<tr>\s*<td class=\"action-checkbox\">(.*?)</tr>", page, re.S)
        assert len(rows) == 2
        assert 'href="/console/users/dana/">dana</a>' in rows[0]
        assert "<td>Devs</td>" in rows[0] and "<td>Virtual</td>" in rows[0] and "<td>Enabled</td>" in rows[0]
        assert "12 days" in rows[0]
        assert "<td>/ops/</td>" in rows[1] and "<td>Not enabled</td>" in rows[1]
        assert rows[1].count("<td>None</td>") == 3  # groups, password, access key age
        assert "Never" in rows[1]
        assert 'class="addlink"' in page and "Delete selected users" in page
        assert "2 users" in page

    def test_search_by_name_or_access_key_id(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        users.create_user(ctx, user_name="erin")
        key = access_keys.create_access_key(ctx, user_name="erin").access_key.access_key_id
        assert ">dana</a>" in text(admin.get(USERS, {"q": "DA"}))
        found = text(admin.get(USERS, {"q": key}))
        assert ">erin</a>" in found and ">dana</a>" not in found
        assert "No users match." in text(admin.get(USERS, {"q": "zed"}))

    def test_filters_by_group_mfa_and_console_access(self, admin, ctx):
        dana = users.create_user(ctx, user_name="dana")
        users.create_user(ctx, user_name="erin")
        groups.create_group(ctx, group_name="Devs")
        groups.add_user_to_group(ctx, group_name="Devs", user_name="dana")
        mfa_device(dana)
        passwords.create_login_profile(ctx, user_name="erin", password="Valid-Pass-123")
        page = text(admin.get(USERS))
        assert 'id="changelist-filter"' in page and "By group" in page and "By MFA" in page
        assert 'href="?group=Devs"' in page
        assert ">erin</a>" not in text(admin.get(USERS, {"group": "Devs"}))
        assert ">erin</a>" not in text(admin.get(USERS, {"mfa": "yes"}))
        only_erin = text(admin.get(USERS, {"console": "yes", "q": "e"}))
        assert ">erin</a>" in only_erin and ">dana</a>" not in only_erin
        assert "Clear all filters" in only_erin

    def test_a_hundred_a_page(self, admin, ctx):
        User.objects.bulk_create(
            User(account=ctx.account, user_name=f"u{i:03}", user_id=f"AIDATEST{i:013}") for i in range(130)
        )
        first, second = text(admin.get(USERS)), text(admin.get(USERS, {"p": 2}))
        assert first.count('class="action-select"') == 100 and second.count('class="action-select"') == 30
        assert ">u099</a>" in first and ">u100</a>" in second
        assert 'href="?p=2"' in first and "130 users" in first

    def test_a_read_only_user_sees_no_create_or_delete_controls(self, reading, ctx):
        users.create_user(ctx, user_name="dana")
        response = reading.get(USERS)
        page = text(response)
        assert response.status_code == 200 and ">dana</a>" in page
        assert "Add users" not in page and "addlink" not in page
        assert "action-select" not in page and "Delete selected users" not in page

    def test_columns_the_caller_may_not_read_are_blank_and_a_forged_filter_is_refused(self, ctx, acct):
        users.create_user(ctx, user_name="dana")
        lister = users.create_user(ctx, user_name="lister")
        f.put_user_policy(lister, "p", f.allow("iam:ListUsers"))
        client = Client()
        client.force_login(lister)
        page = text(client.get(USERS))
        assert ">dana</a>" in page and 'title="You may not list this user\'s groups">—' in page
        assert "changelist-filter" not in page
        assert_access_denied(client.get(USERS, {"group": "Devs"}), "iam:ListGroupsForUser")

    def test_a_user_without_list_users_gets_access_denied(self, ctx):
        nobody = users.create_user(ctx, user_name="nobody")
        client = Client()
        client.force_login(nobody)
        assert_access_denied(client.get(USERS), "iam:ListUsers")

    def test_signed_out_goes_to_sign_in(self, client):
        response = client.get(USERS)
        assert response.status_code == 302 and response["Location"].startswith("/signin/?next=")

    @pytest.mark.parametrize("as_reader", [False, True])
    def test_constant_number_of_queries_at_10_and_1000_users(self, client, root, ctx, reader, as_reader):
        client.force_login(reader if as_reader else root)
        devs = groups.create_group(ctx, group_name="Devs")

        def add_users(start: int, count: int) -> None:
            made = User.objects.bulk_create(
                User(account=ctx.account, user_name=f"u{i:04}", user_id=f"AIDATEST{i:013}")
                for i in range(start, start + count)
            )
            GroupMembership.objects.bulk_create(GroupMembership(group=devs, user=u) for u in made)
            AccessKey.objects.bulk_create(
                AccessKey(user=u, access_key_id=f"AKIATEST{u.pk:012}", secret_ciphertext="x") for u in made
            )
            LoginProfile.objects.bulk_create(LoginProfile(user=u) for u in made[::2])

        def queries(params: dict) -> int:
            client.get(USERS, params)  # warm: the policy set is cached once per process
            with CaptureQueriesContext(connection) as captured:
                response = client.get(USERS, params)
            assert response.status_code == 200
            return len(captured)

        add_users(0, 9)
        small = [queries({}), queries({"group": "Devs", "console": "no"}), queries({"q": "u00"})]
        add_users(9, 991)
        assert [queries({}), queries({"group": "Devs", "console": "no"}), queries({"q": "u00"})] == small
        table = re.search(r'<table id="result_list">(.*?)</table>', text(client.get(USERS)), re.S).group(1)
        assert table.count('<th scope="row"><a href="/console/users/') == 100


class BulkDeleteTests:
    def select(self, client, *names, **extra):
        data = {"action": "delete_selected", "_selected_action": list(names), **extra}
        return client.post("/console/users/~delete/", data)

    def test_the_action_asks_first_then_deletes_with_everything(self, admin, ctx):
        user_with_everything(ctx, "one")
        users.create_user(ctx, user_name="two")
        confirmation = self.select(admin, "one", "two")
        assert confirmation.status_code == 200
        page = text(confirmation)
        assert "Access key" in page and "Inline policy Inline: deleted" in page
        assert "Membership of group Devs: removed" in page and "Tag team = dev" in page
        assert f"Managed policy {READ_ONLY}: detached" in page
        assert User.objects.filter(user_name__in=["one", "two"]).count() == 2
        wrong = self.select(admin, "one", "two", confirm="yes")
        assert wrong.status_code == 400 and "To confirm deletion, type &quot;delete&quot;." in text(wrong)
        done = self.select(admin, "one", "two", confirm="delete")
        assert done.status_code == 302 and done["Location"] == USERS
        assert not User.objects.filter(user_name__in=["one", "two"]).exists()
        assert "Deleted 2 users." in text(admin.get(USERS))
        assert AuditEvent.objects.filter(action="iam:DeleteUser", outcome="success").count() == 2

    def test_nothing_selected_or_no_action(self, admin, ctx):
        users.create_user(ctx, user_name="one")
        response = self.select(admin)
        assert response.status_code == 302
        assert "Items must be selected in order to perform actions on them." in text(admin.get(USERS))
        response = admin.post("/console/users/~delete/", {"action": "", "_selected_action": ["one"]})
        assert response.status_code == 302 and "No action selected." in text(admin.get(USERS))

    def test_a_forged_delete_by_a_read_only_user_is_access_denied(self, reading, ctx):
        user_with_everything(ctx, "one")
        assert_access_denied(self.select(reading, "one", confirm="delete"), "iam:DeleteLoginProfile")
        assert User.objects.filter(user_name="one").exists()
        assert LoginProfile.objects.filter(user__user_name="one").exists()

    def test_needs_its_csrf_token(self, root, ctx):
        users.create_user(ctx, user_name="one")
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert self.select(strict, "one", confirm="delete").status_code == 403
        assert User.objects.filter(user_name="one").exists()

    def test_get_is_not_allowed(self, admin):
        assert admin.get("/console/users/~delete/").status_code == 405


def wizard(client, *, details=None, permissions=None, tags=None):
    """Walk the first three steps of Create user."""
    response = client.post(
        "/console/users/~create/",
        {
            "user_name": "dana",
            "path": "/",
            "console_access": "on",
            "password_type": "autogenerated",
            "password_reset_required": "on",
            **(details or {}),
        },
    )
    assert response.status_code == 302, text(response)
    response = client.post("/console/users/~create/permissions/", {"option": "groups", **(permissions or {})})
    assert response.status_code == 302, text(response)
    response = client.post("/console/users/~create/tags/", tags or {"tag_key": [""], "tag_value": [""]})
    assert response.status_code == 302, text(response)
    return response


class CreateUserWizardTests:
    def test_new_developer_joins_with_an_autogenerated_password(self, admin, ctx, acct):
        create_account_alias(ctx, account_alias="acme-co")
        groups.create_group(ctx, group_name="Developers")
        start = admin.get("/console/users/~create/?new=1")
        assert start.status_code == 200 and "Specify user details" in text(start)
        assert re.search(r'<input type="checkbox" name="password_reset_required"[^>]* checked>', text(start))
        wizard(
            admin,
            permissions={"group_names": ["Developers"]},
            tags={"tag_key": ["team", ""], "tag_value": ["dev", ""]},
        )
        review = admin.get("/console/users/~create/review/")
        assert review.status_code == 200
        page = text(review)
        assert "Developers" in page and "team" in page and "autogenerated password" in page
        assert 'value="Create user"' in page and 'name="password"' not in page
        assert "password" not in str(admin.session[WIZARD]).lower().replace("password_", "")
        created = admin.post("/console/users/~create/review/")
        assert created.status_code == 200 and created["Cache-Control"] == "no-store"
        dana = User.objects.get(user_name="dana")
        page = text(created)
        shown = re.search(r'<code id="new-password">(.*?)</code>', page).group(1)
        assert check_password(shown.replace("&amp;", "&").replace("&#x27;", "'"), dana.password)
        assert "http://testserver/signin/acme-co/" in page
        csv_link = re.search(
            r'href="data:text/csv;charset=utf-8,([^"]*)" download="dana_credentials.csv"', page
        )
        csv_text = unquote(csv_link.group(1).replace("&amp;", "&"))
        assert csv_text.startswith("User name,Password,Console sign-in URL\r\ndana,")
        assert csv_text.endswith(",http://testserver/signin/acme-co/\r\n")
        assert "mailto:?" in page
        assert list(dana.groups.values_list("group_name", flat=True)) == ["Developers"]
        assert dana.tags == {"team": "dev"}
        assert LoginProfile.objects.get(user=dana).password_reset_required
        assert UserPolicyAttachment.objects.filter(user=dana, policy__arn=CHANGE_PASSWORD).exists()
        assert WIZARD not in admin.session
        # Reloading the page cannot show the password again: the wizard is over.
        again = admin.post("/console/users/~create/review/")
        assert again.status_code == 302 and again["Location"] == "/console/users/~create/"

    def test_custom_password_is_asked_on_the_review_step_and_checked(self, admin, ctx):
        wizard(admin, details={"password_type": "custom"})
        review = text(admin.get("/console/users/~create/review/"))
        assert 'name="password"' in review and 'autocomplete="new-password"' in review
        empty = admin.post("/console/users/~create/review/", {"password": ""})
        assert empty.status_code == 400 and "Type the custom password." in text(empty)
        weak = admin.post("/console/users/~create/review/", {"password": "weakpass"})
        assert weak.status_code == 400
        assert (
            "Password should meet 2 more of the following requirements: uppercase letter, number, symbol"
            in text(weak)
        )
        assert 'value="weakpass"' not in text(weak)
        assert not User.objects.filter(user_name="dana").exists()  # not half-made
        good = admin.post("/console/users/~create/review/", {"password": "Custom-Pass-99"})
        assert good.status_code == 200 and good["Cache-Control"] == "no-store"
        assert "Custom-Pass-99" in text(good)
        assert check_password("Custom-Pass-99", User.objects.get(user_name="dana").password)

    def test_a_taken_name_is_the_aws_message_on_the_review_step(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        wizard(admin, details={"console_access": ""})
        response = admin.post("/console/users/~create/review/")
        assert response.status_code == 409
        assert "User with name dana already exists." in text(response)
        assert AuditEvent.objects.filter(action="iam:CreateUser", outcome="failed").count() == 1

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            (
                "",
                "Value &#x27;&#x27; at &#x27;userName&#x27; failed to satisfy constraint: Member must not be null",
            ),
            (
                "bad name",
                "Value &#x27;bad name&#x27; at &#x27;userName&#x27; failed to satisfy constraint: Member must "
                r"satisfy regular expression pattern: [\w+=,.@-]+",
            ),
            ("a" * 65, "Member must have length less than or equal to 64"),
        ],
    )
    def test_names_are_checked_with_aws_messages(self, admin, name, message):
        response = admin.post("/console/users/~create/", {"user_name": name, "path": "/"})
        assert response.status_code == 400 and message in text(response)
        bad_path = admin.post("/console/users/~create/", {"user_name": "ok", "path": "nope"})
        assert bad_path.status_code == 400 and "at &#x27;path&#x27; failed to satisfy constraint" in text(
            bad_path
        )

    def test_bad_tags_get_the_aws_message(self, admin):
        wizard_start = admin.post("/console/users/~create/", {"user_name": "dana", "path": "/"})
        assert wizard_start.status_code == 302
        admin.post("/console/users/~create/permissions/", {"option": "groups"})
        response = admin.post(
            "/console/users/~create/tags/", {"tag_key": ["a", "A"], "tag_value": ["1", "2"]}
        )
        assert response.status_code == 400
        assert "Duplicate tag keys found. Please note that Tag keys are case insensitive." in text(response)
        more = admin.post(
            "/console/users/~create/tags/", {"tag_key": ["a"], "tag_value": ["1"], "add_tag": "1"}
        )
        assert more.status_code == 200 and text(more).count('name="tag_key"') == 2

    def test_copy_permissions_and_boundary(self, admin, ctx):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow())
        groups.create_group(ctx, group_name="Ops")
        users.create_user(ctx, user_name="source")
        groups.add_user_to_group(ctx, group_name="Ops", user_name="source")
        wizard(
            admin,
            details={"console_access": ""},
            permissions={
                "option": "copy",
                "copy_from": "source",
                "use_boundary": "on",
                "permissions_boundary": boundary.arn,
            },
        )
        response = admin.post("/console/users/~create/review/")
        assert response.status_code == 200 and "Console password" not in text(response)
        dana = User.objects.get(user_name="dana")
        assert list(dana.groups.values_list("group_name", flat=True)) == ["Ops"]
        assert dana.permissions_boundary_id == boundary.pk

    def test_permissions_step_errors(self, admin, ctx):
        admin.post("/console/users/~create/", {"user_name": "dana", "path": "/"})
        no_source = admin.post("/console/users/~create/permissions/", {"option": "copy"})
        assert no_source.status_code == 400 and "Choose the user whose permissions to copy." in text(
            no_source
        )
        unknown = admin.post(
            "/console/users/~create/permissions/", {"option": "groups", "group_names": ["Nope"]}
        )
        assert unknown.status_code == 400 and "Select a valid choice." in text(unknown)

    def test_steps_cannot_be_skipped(self, admin):
        for step in ("permissions", "tags", "review"):
            response = admin.get(f"/console/users/~create/{step}/")
            assert response.status_code == 302 and response["Location"] == "/console/users/~create/"

    def test_a_read_only_user_cannot_create(self, reading, ctx):
        page = text(reading.get("/console/users/~create/"))
        assert "Specify user details" in page
        wizard(reading, details={"console_access": ""})
        review = text(reading.get("/console/users/~create/review/"))
        assert 'value="Create user"' not in review and "You may not create users" in review
        assert_access_denied(reading.post("/console/users/~create/review/"), "iam:CreateUser")
        assert not User.objects.filter(user_name="dana").exists()

    def test_needs_its_csrf_token(self, root):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        response = strict.post("/console/users/~create/", {"user_name": "dana", "path": "/"})
        assert response.status_code == 403 and WIZARD not in strict.session


class UserPagesTests:
    def test_summary_and_tabs(self, admin, ctx, acct):
        user_with_everything(ctx)
        response = admin.get("/console/users/dana/")
        assert response.status_code == 200
        page = text(response)
        assert f"arn:aws:iam::{acct}:user/dana" in page and "Summary" in page
        for tab in ("Permissions", "Groups", "Tags", "Activity"):
            assert f">{tab}</a>" in page
        assert 'aria-current="page">Permissions</a>' in page
        try:
            credentials = reverse("console:user_credentials", kwargs={"user_name": "dana"})
        except NoReverseMatch:
            assert "Security credentials</a></li>" not in page
        else:
            assert f'href="{credentials}">Security credentials</a>' in page
        assert 'href="/console/users/dana/delete/"' in page
        assert admin.get("/console/users/nobody/").status_code == 404

    def test_permissions_tab_shows_where_each_policy_comes_from_and_how_to_remove_it(self, admin, ctx):
        user_with_everything(ctx)
        devs = Group.objects.get(group_name="Devs")
        f.attach_to_group(devs, f.managed_policy(ctx.account, "DevTools", f.allow("codebuild:*")))
        page = text(admin.get("/console/users/dana/"))
        table = re.search(r'<table id="result_list">(.*?)</table>', page, re.S).group(1)
        rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S)
        assert len(rows) == 3
        assert "IAMReadOnlyAccess" in rows[0] and "AWS managed" in rows[0] and ">Detach</button>" in rows[0]
        assert "Inline" in rows[1] and "Customer inline" in rows[1] and ">Delete</button>" in rows[1]
        assert "DevTools" in rows[2] and "Group Devs" in rows[2] and "Remove from group Devs" in rows[2]
        assert "Add permissions" in page and "Set permissions boundary" in page
        try:
            policy_url = reverse("console:policy_detail", args=[READ_ONLY])
        except NoReverseMatch:  # the Policies pages are another module's
            assert "IAMReadOnlyAccess</th>" in rows[0]
        else:
            assert f'href="{policy_url}">IAMReadOnlyAccess</a>' in rows[0]

    def test_removing_follows_the_aws_rules(self, admin, ctx):
        dana = user_with_everything(ctx)
        detach = admin.post(
            "/console/users/dana/permissions/remove/", {"kind": "detach", "policy_arn": READ_ONLY}
        )
        assert detach.status_code == 302 and detach["Location"] == "/console/users/dana/"
        assert not UserPolicyAttachment.objects.filter(user=dana).exists()
        admin.post("/console/users/dana/permissions/remove/", {"kind": "inline", "policy_name": "Inline"})
        assert not UserPolicy.objects.filter(user=dana).exists()
        admin.post("/console/users/dana/groups/remove/", {"group_name": "Devs"})
        assert not GroupMembership.objects.filter(user=dana).exists()
        again = admin.post("/console/users/dana/groups/remove/", {"group_name": "Devs"}, follow=True)
        assert "The user dana is not a member of group Devs." in text(again)

    def test_a_read_only_user_sees_no_controls_and_forged_posts_are_refused(self, reading, ctx):
        dana = user_with_everything(ctx)
        page = text(reading.get("/console/users/dana/"))
        assert "IAMReadOnlyAccess" in page
        for control in (
            "Detach",
            "Remove from group",
            "Add permissions",
            "Set permissions boundary",
            "deletelink",
        ):
            assert control not in page
        assert ">Activity</a>" not in page  # no cloudtrail:LookupEvents
        assert_access_denied(
            reading.post(
                "/console/users/dana/permissions/remove/", {"kind": "detach", "policy_arn": READ_ONLY}
            ),
            "iam:DetachUserPolicy",
        )
        assert_access_denied(
            reading.post("/console/users/dana/groups/remove/", {"group_name": "Devs"}),
            "iam:RemoveUserFromGroup",
        )
        assert_access_denied(
            reading.post("/console/users/dana/tags/", {"key": "x", "value": "y"}), "iam:TagUser"
        )
        assert_access_denied(reading.get("/console/users/dana/activity/"), "cloudtrail:LookupEvents")
        assert UserPolicyAttachment.objects.filter(user=dana).exists()
        groups_page = text(reading.get("/console/users/dana/groups/"))
        assert "Devs" in groups_page and ">Remove</button>" not in groups_page
        tags_page = text(reading.get("/console/users/dana/tags/"))
        assert "team" in tags_page and "Save tag" not in tags_page and ">Remove</button>" not in tags_page

    def test_add_permissions(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        groups.create_group(ctx, group_name="Security")
        form = admin.get("/console/users/dana/permissions/add/?option=groups")
        assert form.status_code == 200 and 'value="Security"' in text(form)
        nothing = admin.post("/console/users/dana/permissions/add/", {"option": "groups"})
        assert nothing.status_code == 400 and "Choose at least one group, user or policy." in text(nothing)
        added = admin.post(
            "/console/users/dana/permissions/add/", {"option": "groups", "group_names": ["Security"]}
        )
        assert added.status_code == 302
        attach = admin.post(
            "/console/users/dana/permissions/add/", {"option": "attach", "policy_arns": [READ_ONLY]}
        )
        assert attach.status_code == 302
        dana = User.objects.get(user_name="dana")
        assert list(dana.groups.values_list("group_name", flat=True)) == ["Security"]
        assert UserPolicyAttachment.objects.filter(user=dana, policy__arn=READ_ONLY).exists()

    def test_inline_policy_errors_show_line_and_column(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        assert admin.get("/console/users/dana/permissions/inline/").status_code == 200
        broken = admin.post(
            "/console/users/dana/permissions/inline/",
            {"policy_name": "Mine", "policy_document": '{\n  "Version": "2012-10-17",\n  "Statement": [\n}'},
        )
        assert broken.status_code == 400
        assert re.search(r"line \d+", text(broken)) and re.search(r"column \d+", text(broken))
        good = admin.post(
            "/console/users/dana/permissions/inline/",
            {"policy_name": "Mine", "policy_document": f.document(f.allow("s3:ListBucket"))},
        )
        assert good.status_code == 302
        edit = admin.get("/console/users/dana/permissions/inline/?policy_name=Mine")
        assert "s3:ListBucket" in text(edit) and "Edit inline policy" in text(edit)

    def test_permissions_boundary_set_and_removed(self, admin, ctx):
        dana = users.create_user(ctx, user_name="dana")
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow())
        assert admin.get("/console/users/dana/permissions/boundary/").status_code == 200
        missing = admin.post("/console/users/dana/permissions/boundary/", {"permissions_boundary": ""})
        assert missing.status_code == 400
        response = admin.post(
            "/console/users/dana/permissions/boundary/", {"permissions_boundary": boundary.arn}
        )
        assert response.status_code == 302
        assert User.objects.get(pk=dana.pk).permissions_boundary_id == boundary.pk
        assert "Change boundary" in text(admin.get("/console/users/dana/"))
        admin.post("/console/users/dana/permissions/boundary/remove/")
        assert User.objects.get(pk=dana.pk).permissions_boundary_id is None

    def test_tags_tab(self, admin, ctx):
        users.create_user(ctx, user_name="dana", tags=[{"Key": "team", "Value": "dev"}])
        page = text(admin.get("/console/users/dana/tags/"))
        assert 'value="dev"' in page and "Save tag" in page
        admin.post("/console/users/dana/tags/", {"key": "team", "value": "ops"})
        admin.post("/console/users/dana/tags/", {"key": "cost", "value": "42"})
        assert User.objects.get(user_name="dana").tags == {"team": "ops", "cost": "42"}
        admin.post("/console/users/dana/tags/", {"key": "team", "remove": "1"})
        assert User.objects.get(user_name="dana").tags == {"cost": "42"}
        bad = admin.post("/console/users/dana/tags/", {"key": "", "value": "x"})
        assert bad.status_code == 400 and "failed to satisfy constraint" in text(bad)

    def test_activity_tab_newest_first(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        users.tag_user(ctx, user_name="dana", tags=[{"Key": "k", "Value": "v"}])
        page = text(admin.get("/console/users/dana/activity/"))
        assert page.index("iam:TagUser") < page.index("iam:CreateUser")

    def test_activity_is_paginated(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        for i in range(55):
            users.tag_user(ctx, user_name="dana", tags=[{"Key": "k", "Value": str(i)}])
        first = text(admin.get("/console/users/dana/activity/"))
        assert first.count("iam:TagUser") == 50 and "iam:CreateUser" not in first
        marker = re.search(r'href="\?marker=([^"]+)">Older events</a>', first).group(1)
        older = text(admin.get(f"/console/users/dana/activity/?marker={marker}"))
        assert older.count("iam:TagUser") == 5 and "iam:CreateUser" in older and "Older events" not in older

    def test_every_name_character_works_in_the_urls(self, admin, ctx):
        name = "a+b=c,d.e@f-g_h"
        users.create_user(ctx, user_name=name, tags=[{"Key": "items", "Value": "x"}])
        listing = text(admin.get(USERS))
        link = re.search(r'<th scope="row"><a href="(/console/users/a[^"]*)">', listing).group(1)
        page = admin.get(link)
        assert page.status_code == 200 and f":user/{name}<" in text(page)
        delete = admin.get(f"{link}delete/")
        assert delete.status_code == 200 and "Tag items = x: deleted with the user" in text(delete)
        assert admin.post(f"{link}delete/", {"confirm": name}).status_code == 302
        assert not User.objects.filter(user_name=name).exists()

    @pytest.mark.parametrize("name", ["create", "delete", "Create"])
    def test_a_user_named_like_a_page_has_its_own_pages(self, admin, ctx, name):
        users.create_user(ctx, user_name=name)
        page = admin.get(f"/console/users/{name}/")
        assert page.status_code == 200 and f":user/{name}<" in text(page)
        assert admin.get(f"/console/users/{name}/delete/").status_code == 200

    def test_groups_tab(self, admin, ctx):
        users.create_user(ctx, user_name="dana")
        groups.create_group(ctx, group_name="Devs")
        groups.add_user_to_group(ctx, group_name="Devs", user_name="dana")
        page = text(admin.get("/console/users/dana/groups/"))
        assert "Devs" in page and ">Remove</button>" in page and "Add user to groups" in page
        response = admin.post("/console/users/dana/groups/remove/", {"group_name": "Devs", "from": "groups"})
        assert response["Location"] == "/console/users/dana/groups/"
        assert not GroupMembership.objects.exists()

    def test_forms_need_their_csrf_token(self, root, ctx):
        users.create_user(ctx, user_name="dana")
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post("/console/users/dana/tags/", {"key": "a", "value": "b"}).status_code == 403
        assert User.objects.get(user_name="dana").tags == {}


class DeleteUserTests:
    def test_confirmation_lists_what_will_go_then_deletes_it(self, admin, ctx):
        user_with_everything(ctx)
        page = admin.get("/console/users/dana/delete/")
        assert page.status_code == 200
        body = text(page)
        for item in (
            "Console password (login profile): deleted",
            "deactivated, and the virtual device deleted",
            "Inline policy Inline: deleted",
            f"Managed policy {READ_ONLY}: detached",
            "Membership of group Devs: removed",
            "Tag team = dev",
        ):
            assert item in body
        assert body.count("Access key AKIA") == 2
        wrong = admin.post("/console/users/dana/delete/", {"confirm": "DANA"})
        assert wrong.status_code == 400 and "enter the user name exactly as shown" in text(wrong)
        done = admin.post("/console/users/dana/delete/", {"confirm": "dana"})
        assert done.status_code == 302 and done["Location"] == USERS
        assert not User.objects.filter(user_name="dana").exists() and not MFADevice.objects.exists()
        assert "Deleted user dana." in text(admin.get(USERS))

    def test_a_read_only_user_gets_no_form_and_a_forged_post_is_refused(self, reading, ctx):
        user_with_everything(ctx)
        page = text(reading.get("/console/users/dana/delete/"))
        assert "You may not delete this user" in page and 'name="confirm"' not in page
        assert_access_denied(
            reading.post("/console/users/dana/delete/", {"confirm": "dana"}), "iam:DeleteLoginProfile"
        )
        assert User.objects.filter(user_name="dana").exists()

    def test_needs_its_csrf_token(self, root, ctx):
        users.create_user(ctx, user_name="dana")
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post("/console/users/dana/delete/", {"confirm": "dana"}).status_code == 403
        assert User.objects.filter(user_name="dana").exists()
