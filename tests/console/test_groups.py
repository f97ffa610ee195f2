"""User groups pages through Django's test client: list, create, a group's tabs, edit, members,
policies, inline policies and delete; hidden controls, AccessDenied on forged posts, CSRF, queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from accounts.models import AuditEvent, Group, GroupMembership, User
from accounts.services import groups, users
from accounts.services.policy_attachments import attach_user_policy
from policies.models import GroupPolicy, GroupPolicyAttachment, ManagedPolicy
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

LIST = "/console/groups/"
CREATE = "/console/groups/~create/"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
# "iam:Get User" (a space in the action) sits on line 5, column 15 of this text.
MALFORMED = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "iam:Get User",
    "Resource": "*"
  }]
}"""


def detail(name: str, suffix: str = "") -> str:
    return f"/console/groups/{name}/{suffix}"


def page(response) -> str:
    return response.content.decode()


def iam_user(ctx, name: str, *managed: str) -> User:
    user = users.create_user(ctx, user_name=name)
    for arn in managed:
        attach_user_policy(ctx, user_name=name, policy_arn=arn)
    return user


def invalid(value: object, member: str, constraint: str) -> str:
    return escape(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def reader(ctx):
    return iam_user(ctx, "reader", READ_ONLY)


@pytest.fixture
def as_reader(reader):
    client = Client()
    client.force_login(reader)
    return client


@pytest.fixture
def devs(ctx):
    """Developers: two members, one attached and one inline policy."""
    group = groups.create_group(ctx, group_name="Developers")
    for name in ("alice", "bob"):
        users.create_user(ctx, user_name=name)
        groups.add_user_to_group(ctx, group_name="Developers", user_name=name)
    f.attach_to_group(group, ManagedPolicy.objects.get(arn=S3_READ))
    f.put_group_policy(group, "ReadLogs", f.allow("logs:Get*"))
    return group


def bulk_groups(ctx, count: int, prefix: str = "g") -> None:
    Group.objects.bulk_create(
        Group(account=ctx.account, group_name=f"{prefix}{i:04}", group_id=f"AGPA{prefix.upper()}{i:016}")
        for i in range(count)
    )


def queries(client: Client, url: str) -> int:
    """Queries of a warm request (the caller's policies are compiled on its first request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


class GroupListTests:
    def test_lists_groups_with_users_permissions_and_creation_time(self, as_root, ctx, devs):
        groups.create_group(ctx, group_name="Empty")
        response = as_root.get(LIST)
        assert response.status_code == 200
        html = page(response)
        assert '<a href="/console/groups/Developers/">Developers</a>' in html
        assert '<td class="users-count">2</td>' in html
        assert '<td class="policies-count">1 policy + 1 inline</td>' in html
        assert '<td class="policies-count">Not defined</td>' in html
        assert "2 user groups" in html
        assert f'href="{CREATE}" class="addlink">Create group</a>' in html

    def test_search_by_name_in_any_case(self, as_root, ctx, devs):
        groups.create_group(ctx, group_name="Security")
        html = page(as_root.get(LIST, {"q": "develop"}))
        assert "Developers" in html and "Security</a>" not in html
        assert "1 result (" in html

    def test_pages_of_100_with_a_next_link(self, as_root, ctx):
        bulk_groups(ctx, 101)
        first = as_root.get(LIST)
        assert len(first.context["groups"]) == 100 and first.context["total"] == 101
        second = as_root.get(LIST + first.context["next_query"])
        assert [g.group_name for g in second.context["groups"]] == ["g0100"]
        assert second.context["next_query"] is None and second.context["first_query"] == "?"

    def test_a_bad_marker_is_the_aws_validation_error(self, as_root):
        response = as_root.get(LIST, {"marker": "nope"})
        assert response.status_code == 400
        assert "ValidationError" in page(response)

    def test_signed_out_visitors_go_to_sign_in(self, client):
        response = client.get(LIST)
        assert response.status_code == 302 and response["Location"] == "/signin/?next=%2Fconsole%2Fgroups%2F"

    def test_a_read_only_user_sees_the_list_without_create(self, as_reader, devs):
        html = page(as_reader.get(LIST))
        assert "Developers" in html and "Create group" not in html

    def test_a_user_without_list_groups_gets_access_denied(self, ctx, acct):
        client = Client()
        client.force_login(iam_user(ctx, "nobody"))
        response = client.get(LIST)
        assert response.status_code == 403
        assert escape(f.denial(acct, "nobody", "iam:ListGroups", f"arn:aws:iam::{acct}:group/")) in page(
            response
        )

    @pytest.mark.parametrize("signed_in_as", ["root", "reader"])
    def test_queries_do_not_grow_with_groups(self, ctx, root, reader, signed_in_as):
        client = Client()
        client.force_login(root if signed_in_as == "root" else reader)
        bulk_groups(ctx, 10, "a")
        user_ids = list(User.objects.filter(account=ctx.account, is_root=False).values_list("pk", flat=True))
        GroupMembership.objects.bulk_create(
            GroupMembership(group=g, user_id=pk) for g in Group.objects.all() for pk in user_ids
        )
        at_10 = queries(client, LIST)
        bulk_groups(ctx, 990, "b")
        assert queries(client, LIST) == at_10


class GroupCreateTests:
    def test_the_form_offers_users_and_policies(self, as_root, ctx):
        users.create_user(ctx, user_name="dana")
        html = page(as_root.get(CREATE))
        assert 'name="group_name"' in html and 'name="users" value="dana"' in html
        assert f'name="policies" value="{ADMIN}"' in html
        assert "csrfmiddlewaretoken" in html

    def test_creates_the_group_with_members_and_policies_in_one_go(self, as_root, ctx):
        users.create_user(ctx, user_name="dana")
        users.create_user(ctx, user_name="erin")
        response = as_root.post(
            CREATE, {"group_name": "Admins", "path": "/", "users": ["dana", "erin"], "policies": [ADMIN]}
        )
        assert response.status_code == 302 and response["Location"] == detail("Admins")
        group = Group.objects.get(group_name="Admins")
        assert sorted(group.users.values_list("user_name", flat=True)) == ["dana", "erin"]
        assert list(
            GroupPolicyAttachment.objects.filter(group=group).values_list("policy__arn", flat=True)
        ) == [ADMIN]
        assert list(AuditEvent.objects.filter(outcome="success").values_list("action", flat=True))[-4:] == [
            "iam:CreateGroup",
            "iam:AddUserToGroup",
            "iam:AddUserToGroup",
            "iam:AttachGroupPolicy",
        ]
        assert "User group Admins created." in page(as_root.get(response["Location"]))

    def test_a_bad_name_shows_the_aws_message_on_the_field(self, as_root):
        response = as_root.post(CREATE, {"group_name": "bad name", "path": "/"})
        assert response.status_code == 400
        assert response.context["form"].errors["group_name"] == [
            "1 validation error detected: Value 'bad name' at 'groupName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
        ]
        assert invalid("bad name", "groupName", r"satisfy regular expression pattern: [\w+=,.@-]+") in page(
            response
        )
        assert not Group.objects.exists()

    def test_an_empty_name_is_the_aws_message_too(self, as_root):
        response = as_root.post(CREATE, {"group_name": "", "path": "/"})
        assert response.status_code == 400
        assert invalid("", "groupName", "not be null") in page(response)

    def test_a_bad_path_shows_on_the_path_field(self, as_root):
        response = as_root.post(CREATE, {"group_name": "ok", "path": "nope"})
        assert response.status_code == 400
        assert (
            response.context["form"]
            .errors["path"][0]
            .startswith("1 validation error detected: Value 'nope' at 'path' failed to satisfy constraint")
        )

    def test_a_taken_name_is_entity_already_exists(self, as_root, ctx):
        groups.create_group(ctx, group_name="devs")
        response = as_root.post(CREATE, {"group_name": "DEVS", "users": [], "path": "/"})
        assert response.status_code == 409
        assert response.context["form"].errors["group_name"] == ["Group with name DEVS already exists."]

    def test_all_or_nothing_when_a_user_is_in_ten_groups_already(self, as_root, ctx):
        users.create_user(ctx, user_name="busy")
        for i in range(10):
            groups.create_group(ctx, group_name=f"g{i}")
            groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="busy")
        response = as_root.post(CREATE, {"group_name": "one-more", "users": ["busy"], "policies": [ADMIN]})
        assert response.status_code == 409
        assert "Cannot exceed quota for GroupsPerUser: 10" in page(response)
        assert not Group.objects.filter(group_name="one-more").exists()
        assert events("iam:AddUserToGroup")[-1] == ("failed", "LimitExceeded")
        assert events("iam:CreateGroup")[-1] == ("success", "")  # the ten before; not one-more
        assert (
            AuditEvent.objects.filter(action="iam:CreateGroup", parameters__group_name="one-more").count()
            == 0
        )
        # what was checked stays checked
        assert 'value="busy" id="user-1" checked' in page(response)

    def test_an_unknown_user_is_no_such_entity(self, as_root):
        response = as_root.post(CREATE, {"group_name": "devs", "users": ["ghost"]})
        assert response.status_code == 404
        assert "The user with name ghost cannot be found." in page(response)

    def test_a_forged_post_by_a_read_only_user_is_access_denied(self, as_reader, acct):
        response = as_reader.post(CREATE, {"group_name": "sneaky"})
        assert response.status_code == 403
        html = page(response)
        assert "Access denied" in html
        assert (
            escape(f.denial(acct, "reader", "iam:CreateGroup", f"arn:aws:iam::{acct}:group/sneaky")) in html
        )
        assert not Group.objects.exists()
        assert events("iam:CreateGroup") == [("denied", "AccessDenied")]

    def test_the_form_needs_its_csrf_token(self, root):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(CREATE, {"group_name": "devs"}).status_code == 403
        token = strict.get(CREATE).cookies["csrftoken"].value
        response = strict.post(CREATE, {"group_name": "devs", "csrfmiddlewaretoken": token})
        assert response.status_code == 302
        assert Group.objects.filter(group_name="devs").exists()

    def test_choices_the_caller_may_not_list_say_so(self, ctx):
        client = Client()
        client.force_login(iam_user(ctx, "creator"))
        f.put_user_policy(
            User.objects.get(user_name="creator"),
            "Create",
            f.allow(["iam:CreateGroup", "iam:AddUserToGroup", "iam:AttachGroupPolicy"]),
        )
        html = page(client.get(CREATE))
        assert "You are not allowed to list users (<code>iam:ListUsers</code>)" in html
        assert "You are not allowed to list policies (<code>iam:ListPolicies</code>)" in html

    def test_sections_for_actions_the_caller_may_not_take_are_not_offered(self, ctx, reader):
        f.put_user_policy(reader, "Create", f.allow("iam:CreateGroup"))
        client = Client()
        client.force_login(reader)
        html = page(client.get(CREATE))
        assert 'name="group_name"' in html
        assert "Add users to the group" not in html and 'name="users"' not in html
        assert "Attach permissions policies" not in html and 'name="policies"' not in html


class GroupDetailTests:
    def test_users_tab_lists_members_with_controls_for_root(self, as_root, devs):
        html = page(as_root.get(detail("Developers")))
        assert devs.arn in html
        assert 'name="users" value="alice"' in html and 'name="users" value="bob"' in html
        for control in ("Add users", "Remove users", "Edit", "Delete"):
            assert control in html

    def test_permissions_tab_lists_attached_and_inline_policies(self, as_root, devs):
        html = page(as_root.get(detail("Developers"), {"tab": "permissions"}))
        assert "AmazonS3ReadOnlyAccess" in html and "AWS managed" in html
        assert 'href="/console/groups/Developers/inline/ReadLogs/">ReadLogs</a>' in html
        assert "Attach policies" in html and "Create inline policy" in html
        assert f'name="policy_arn" value="{S3_READ}"' in html

    def test_a_read_only_user_sees_no_controls(self, as_reader, devs):
        users_tab = page(as_reader.get(detail("Developers")))
        permissions_tab = page(as_reader.get(detail("Developers"), {"tab": "permissions"}))
        assert "alice" in users_tab and "AmazonS3ReadOnlyAccess" in permissions_tab
        for html in (users_tab, permissions_tab):
            for control in (
                "Add users",
                "Remove users",
                "Attach policies",
                "Create inline policy",
                'class="changelink"',
                'class="deletelink"',
                'name="policy_arn"',
                'name="users"',
            ):
                assert control not in html
        # reading an inline policy is allowed (iam:GetGroupPolicy), so its name links to it
        assert 'href="/console/groups/Developers/inline/ReadLogs/"' in permissions_tab

    def test_sections_the_caller_may_not_list_say_so(self, ctx, devs):
        client = Client()
        client.force_login(iam_user(ctx, "peek"))
        f.put_user_policy(User.objects.get(user_name="peek"), "GetOnly", f.allow("iam:GetGroup"))
        html = page(client.get(detail("Developers"), {"tab": "permissions"}))
        assert "(<code>iam:ListAttachedGroupPolicies</code>)" in html
        assert "(<code>iam:ListGroupPolicies</code>)" in html

    def test_an_unknown_group_is_no_such_entity(self, as_root):
        response = as_root.get(detail("nope"))
        assert response.status_code == 404
        assert "The group with name nope cannot be found." in page(response)

    def test_a_group_named_like_a_page_is_still_reachable(self, as_root, ctx):
        groups.create_group(ctx, group_name="create")
        assert as_root.get(detail("create")).context["group"].group_name == "create"

    def test_queries_do_not_grow_with_members(self, as_root, ctx, devs):
        def add_members(prefix: str, count: int) -> None:
            created = User.objects.bulk_create(
                User(
                    account=ctx.account,
                    user_name=f"{prefix}{i:04}",
                    user_id=f"AIDA{prefix}{i:016}",
                    password="!",
                )
                for i in range(count)
            )
            GroupMembership.objects.bulk_create(GroupMembership(group=devs, user=u) for u in created)

        add_members("m", 10)
        at_10 = queries(as_root, detail("Developers"))
        add_members("n", 990)
        assert queries(as_root, detail("Developers")) == at_10


class GroupEditTests:
    def test_rename_and_move(self, as_root, devs, acct):
        response = as_root.post(detail("Developers", "edit/"), {"group_name": "Engineers", "path": "/eng/"})
        assert response.status_code == 302 and response["Location"] == detail("Engineers")
        group = Group.objects.get(pk=devs.pk)
        assert (group.group_name, group.path) == ("Engineers", "/eng/")
        assert group.users.count() == 2

    def test_a_taken_name_is_shown_on_the_name_field(self, as_root, ctx, devs):
        groups.create_group(ctx, group_name="Security")
        response = as_root.post(detail("Developers", "edit/"), {"group_name": "security", "path": "/"})
        assert response.status_code == 409
        assert response.context["form"].errors["group_name"] == ["Group with name security already exists."]

    def test_a_bad_path_is_shown_on_the_path_field(self, as_root, devs):
        response = as_root.post(detail("Developers", "edit/"), {"group_name": "Developers", "path": "x"})
        assert response.status_code == 400
        assert "at 'newPath' failed to satisfy constraint" in response.context["form"].errors["path"][0]

    def test_the_form_is_prefilled_and_forged_posts_are_denied(self, as_root, as_reader, devs):
        assert as_root.get(detail("Developers", "edit/")).context["form"].initial == {
            "group_name": "Developers",
            "path": "/",
        }
        response = as_reader.post(detail("Developers", "edit/"), {"group_name": "Mine", "path": "/"})
        assert response.status_code == 403 and "Access denied" in page(response)
        assert Group.objects.get(pk=devs.pk).group_name == "Developers"


class GroupMembersTests:
    def test_add_users_offers_only_non_members(self, as_root, ctx, devs):
        users.create_user(ctx, user_name="carol")
        html = page(as_root.get(detail("Developers", "add-users/")))
        assert 'value="carol"' in html and 'value="alice"' not in html

    def test_add_users(self, as_root, ctx, devs):
        users.create_user(ctx, user_name="carol")
        users.create_user(ctx, user_name="dave")
        response = as_root.post(detail("Developers", "add-users/"), {"users": ["carol", "dave"]})
        assert response.status_code == 302 and response["Location"] == detail("Developers") + "?tab=users"
        assert devs.users.count() == 4
        assert events("iam:AddUserToGroup")[-2:] == [("success", ""), ("success", "")]

    def test_adding_nobody_is_a_form_error(self, as_root, devs):
        response = as_root.post(detail("Developers", "add-users/"), {})
        assert response.status_code == 400 and "Select at least one user to add." in page(response)

    def test_adding_is_all_or_nothing(self, as_root, ctx, devs):
        users.create_user(ctx, user_name="carol")
        users.create_user(ctx, user_name="busy")
        for i in range(10):
            groups.create_group(ctx, group_name=f"g{i}")
            groups.add_user_to_group(ctx, group_name=f"g{i}", user_name="busy")
        response = as_root.post(detail("Developers", "add-users/"), {"users": ["carol", "busy"]})
        assert response.status_code == 409
        assert "Cannot exceed quota for GroupsPerUser: 10" in page(response)
        assert not devs.users.filter(user_name="carol").exists()

    def test_remove_users(self, as_root, devs):
        response = as_root.post(detail("Developers", "remove-users/"), {"users": ["alice"]})
        assert response.status_code == 302
        assert list(devs.users.values_list("user_name", flat=True)) == ["bob"]
        assert "Removed 1 user from Developers." in page(as_root.get(response["Location"]))

    def test_removing_a_non_member_shows_the_aws_message(self, as_root, ctx, devs):
        users.create_user(ctx, user_name="carol")
        response = as_root.post(
            detail("Developers", "remove-users/"), {"users": ["alice", "carol"]}, follow=True
        )
        assert "The user carol is not a member of group Developers." in page(response)
        assert devs.users.count() == 2  # alice too: all or nothing

    def test_forged_member_changes_are_denied(self, as_reader, ctx, devs):
        users.create_user(ctx, user_name="carol")
        for url, users_ in (("add-users/", ["carol"]), ("remove-users/", ["alice"])):
            response = as_reader.post(detail("Developers", url), {"users": users_})
            assert response.status_code == 403 and "Access denied" in page(response)
        assert sorted(devs.users.values_list("user_name", flat=True)) == ["alice", "bob"]

    def test_remove_users_is_post_only(self, as_root, devs):
        assert as_root.get(detail("Developers", "remove-users/")).status_code == 405


class GroupPoliciesTests:
    def test_attach_offers_only_unattached_policies_and_attaches(self, as_root, devs):
        html = page(as_root.get(detail("Developers", "attach-policies/")))
        assert f'value="{ADMIN}"' in html and f'value="{S3_READ}"' not in html
        response = as_root.post(detail("Developers", "attach-policies/"), {"policies": [ADMIN, READ_ONLY]})
        assert (
            response.status_code == 302 and response["Location"] == detail("Developers") + "?tab=permissions"
        )
        assert GroupPolicyAttachment.objects.filter(group=devs).count() == 3

    def test_attaching_past_the_quota_attaches_nothing(self, as_root, ctx, devs):
        for i in range(9):
            f.attach_to_group(devs, f.managed_policy(ctx.account, f"p{i}", f.allow("s3:GetObject")))
        response = as_root.post(detail("Developers", "attach-policies/"), {"policies": [ADMIN, READ_ONLY]})
        assert response.status_code == 409
        assert "Cannot exceed quota for PoliciesPerGroup: 10" in page(response)
        assert GroupPolicyAttachment.objects.filter(group=devs).count() == 10

    def test_attaching_nothing_is_a_form_error(self, as_root, devs):
        response = as_root.post(detail("Developers", "attach-policies/"), {})
        assert response.status_code == 400 and "Select at least one policy to attach." in page(response)

    def test_detach(self, as_root, devs):
        response = as_root.post(detail("Developers", "detach-policy/"), {"policy_arn": S3_READ}, follow=True)
        assert not GroupPolicyAttachment.objects.filter(group=devs).exists()
        assert f"Policy {S3_READ} detached from Developers." in page(response)

    def test_detaching_what_is_not_attached_shows_the_aws_message(self, as_root, devs):
        response = as_root.post(detail("Developers", "detach-policy/"), {"policy_arn": ADMIN}, follow=True)
        assert f"Policy {ADMIN} was not found." in page(response)

    def test_forged_policy_changes_are_denied(self, as_reader, devs):
        attach = as_reader.post(detail("Developers", "attach-policies/"), {"policies": [ADMIN]})
        detach = as_reader.post(detail("Developers", "detach-policy/"), {"policy_arn": S3_READ})
        assert attach.status_code == detach.status_code == 403
        assert list(
            GroupPolicyAttachment.objects.filter(group=devs).values_list("policy__arn", flat=True)
        ) == [S3_READ]


class GroupInlinePolicyTests:
    def test_create_an_inline_policy(self, as_root, devs):
        document = f.document(f.allow("iam:GetUser"))
        response = as_root.post(
            detail("Developers", "inline/"), {"policy_name": "ReadUsers", "policy_document": document}
        )
        assert response.status_code == 302
        assert GroupPolicy.objects.get(group=devs, policy_name="ReadUsers").document == document

    def test_a_malformed_document_shows_the_engine_finding_with_line_and_column(self, as_root, devs):
        response = as_root.post(
            detail("Developers", "inline/"), {"policy_name": "Broken", "policy_document": MALFORMED}
        )
        assert response.status_code == 400
        [message] = response.context["form"].errors["policy_document"]
        assert "(line 5, column 15" in message
        assert message.startswith("Invalid action:")
        assert escape(message) in page(response)
        assert not GroupPolicy.objects.filter(policy_name="Broken").exists()

    def test_json_syntax_errors_too(self, as_root, devs):
        response = as_root.post(
            detail("Developers", "inline/"), {"policy_name": "Broken", "policy_document": '{"Version": '}
        )
        assert response.status_code == 400
        assert "Json syntax error: Fix the JSON syntax error at index" in page(response)

    def test_a_bad_policy_name_shows_on_the_name_field(self, as_root, devs):
        response = as_root.post(
            detail("Developers", "inline/"),
            {"policy_name": "no spaces", "policy_document": f.document(f.allow())},
        )
        assert response.status_code == 400
        assert "at 'policyName' failed" in response.context["form"].errors["policy_name"][0]

    def test_view_and_edit_an_inline_policy(self, as_root, devs):
        html = page(as_root.get(detail("Developers", "inline/ReadLogs/")))
        assert escape(json.dumps({"Version": "2012-10-17"})[1:-1]) in html
        new = f.document(f.allow("logs:*"))
        response = as_root.post(detail("Developers", "inline/ReadLogs/"), {"policy_document": new})
        assert response.status_code == 302
        assert GroupPolicy.objects.get(group=devs, policy_name="ReadLogs").document == new

    def test_editing_to_a_malformed_document_keeps_the_old_one(self, as_root, devs):
        old = GroupPolicy.objects.get(group=devs).document
        response = as_root.post(detail("Developers", "inline/ReadLogs/"), {"policy_document": MALFORMED})
        assert response.status_code == 400 and "(line 5, column 15" in page(response)
        assert GroupPolicy.objects.get(group=devs).document == old

    def test_a_read_only_user_sees_the_json_without_save_or_delete(self, as_reader, devs):
        html = page(as_reader.get(detail("Developers", "inline/ReadLogs/")))
        assert "logs:Get*" in html and "Save changes" not in html and "deletelink" not in html
        response = as_reader.post(
            detail("Developers", "inline/ReadLogs/"), {"policy_document": f.document(f.allow())}
        )
        assert response.status_code == 403

    def test_delete_after_confirmation(self, as_root, devs):
        confirm = as_root.get(detail("Developers", "inline/ReadLogs/delete/"))
        assert "Yes, delete it" in page(confirm)
        response = as_root.post(detail("Developers", "inline/ReadLogs/delete/"))
        assert response.status_code == 302 and not GroupPolicy.objects.filter(group=devs).exists()

    def test_an_unknown_inline_policy_is_no_such_entity(self, as_root, devs):
        response = as_root.get(detail("Developers", "inline/Nope/"))
        assert response.status_code == 404
        assert "The group policy with name Nope cannot be found." in page(response)

    def test_forged_delete_is_denied(self, as_reader, devs):
        assert as_reader.post(detail("Developers", "inline/ReadLogs/delete/")).status_code == 403
        assert GroupPolicy.objects.filter(group=devs).exists()


class GroupDeleteTests:
    def test_the_confirmation_lists_exactly_what_goes(self, as_root, devs):
        response = as_root.get(detail("Developers", "delete/"))
        html = page(response)
        assert "Remove 2 users from the group:" in html
        assert '<ul id="delete-users"><li>alice</li><li>bob</li></ul>' in html
        assert "Detach 1 managed policy" in html and S3_READ in html
        assert '<ul id="delete-inline"><li>ReadLogs</li></ul>' in html
        assert 'name="confirm"' in html

    def test_deletes_members_policies_and_the_group_in_order(self, as_root, devs):
        response = as_root.post(detail("Developers", "delete/"), {"confirm": "Developers"})
        assert response.status_code == 302 and response["Location"] == LIST
        assert not Group.objects.filter(pk=devs.pk).exists()
        assert User.objects.filter(user_name__in=["alice", "bob"]).count() == 2  # the users stay
        assert not GroupPolicy.objects.exists() and not GroupPolicyAttachment.objects.exists()
        assert list(AuditEvent.objects.values_list("action", flat=True))[-5:] == [
            "iam:RemoveUserFromGroup",
            "iam:RemoveUserFromGroup",
            "iam:DetachGroupPolicy",
            "iam:DeleteGroupPolicy",
            "iam:DeleteGroup",
        ]
        assert "User group Developers deleted." in page(as_root.get(LIST))

    def test_the_name_must_be_typed_to_confirm(self, as_root, devs):
        response = as_root.post(detail("Developers", "delete/"), {"confirm": "developers"})
        assert response.status_code == 400
        assert "Enter Developers to confirm the deletion." in page(response)
        assert Group.objects.filter(pk=devs.pk).exists()

    def test_a_read_only_user_gets_no_form_and_a_forged_post_is_denied(self, as_reader, acct, devs):
        html = page(as_reader.get(detail("Developers", "delete/")))
        assert 'name="confirm"' not in html and "(<code>iam:DeleteGroup</code>)" in html
        response = as_reader.post(detail("Developers", "delete/"), {"confirm": "Developers"})
        assert response.status_code == 403
        assert escape(f.denial(acct, "reader", "iam:RemoveUserFromGroup", devs.arn)) in page(response)
        assert devs.users.count() == 2 and GroupPolicy.objects.filter(group=devs).exists()

    def test_the_delete_form_needs_its_csrf_token(self, root, devs):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        assert strict.post(detail("Developers", "delete/"), {"confirm": "Developers"}).status_code == 403
        assert Group.objects.filter(pk=devs.pk).exists()
