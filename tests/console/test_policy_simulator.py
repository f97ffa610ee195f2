"""Console: the policy simulator page through Django's test client: the form and its subject choices,
each subject kind, wildcard expansion, one row per action with its resources' rows, the highlighted
deciding statement, escaping, service errors on the form, CSRF, denied callers (and documents the
caller may not read, checked without an audited denial), the "Simulate" links and queries as the
account grows."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from accounts.models import User, unique_id
from accounts.services import groups, roles, users
from accounts.services.policy_attachments import (
    attach_group_policy,
    attach_user_policy,
    put_group_policy,
    put_role_policy,
    put_user_permissions_boundary,
    put_user_policy,
)
from iam_portal.console.policy_simulator import highlight
from policies.action_expansion import service_actions
from policies.services import create_policy
from policies.simulation import Position
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

URL = "/console/policy-simulator/"
NAMES = "/console/policy-simulator/names/"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
CATALOGUE_SIZE = 206  # iam (190) and sts (16) actions in policies/engine/catalog.py
# A pretty-printed inline policy: its Deny statement is lines 9-13.
PRETTY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadIam",
      "Effect": "Allow",
      "Action": "iam:Get*",
      "Resource": "*"
    },
    {
      "Sid": "NoUserReads",
      "Effect": "Deny",
      "Action": "iam:GetUser",
      "Resource": "*"
    }
  ]
}"""
DENY_LINES = PRETTY.splitlines()[9:15]  # from "    {" to "    }," of the second statement


def html(response) -> str:
    return response.content.decode()


def form(**changes) -> dict:
    """What the page posts for a user, without JavaScript."""
    return {
        "subject_type": "user",
        "user_name": "",
        "group_name": "",
        "role_name": "",
        "policy_document": [""],
        "boundary": "",
        "service": "iam",
        "action_names": "",
        "resources": "*",
        "context_key": ["", "", ""],
        "context_type": ["string", "string", "string"],
        "context_values": ["", "", ""],
        **changes,
    }


def rows(response) -> list[tuple[str, str, str]]:
    """(action, resource, decision) of each action's row; the resource is "N resources" when several."""
    found = re.findall(
        r'<tr class="sim-row">\s*<th scope="row"><code>([^<]*)</code></th>\s*<td>(?:<code class="arn">([^<]*)'
        r'</code>|<span class="sim-resource-count" data-sim-toggle="[^"]+">([^<]*)</span>)</td>\s*'
        r'<td><span class="sim-decision [^"]*">([^<]*)</span>',
        html(response),
    )
    return [(action, resource or several, decision) for action, resource, several, decision in found]


def resource_rows(response) -> list[tuple[str, str, str, str]]:
    """(group, action, resource, decision) of each resource's row under an action's."""
    found = re.findall(
        r'<tr class="sim-resource-row" data-sim-group="([^"]+)">\s*<td class="sim-sub"><span class="quiet">'
        r'([^<]*) on</span></td>\s*<td><code class="arn">([^<]*)</code></td>\s*'
        r'<td><span class="sim-decision [^"]*">([^<]*)</span>',
        html(response),
    )
    return list(found)


def marked(response) -> list[str]:
    """The text of each <mark> (still escaped as the page has it)."""
    return re.findall(r"<mark>(.*?)</mark>", html(response), re.DOTALL)


def statement_blocks(response) -> list[str]:
    return re.findall(r'<details class="sim-statement" id="[^"]+">(.*?)</details>', html(response), re.DOTALL)


def errors_of(response) -> list[str]:
    return re.findall(r'<p class="errorlist" role="alert">(.*?)</p>', html(response), re.DOTALL)


def form_errors(response) -> list[str]:
    match = re.search(r'<div class="errornote" role="alert">(.*?)</div>', html(response), re.DOTALL)
    return re.findall(r"<p>(.*?)</p>", match.group(1), re.DOTALL) if match else []


@pytest.fixture
def as_root(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def alice(ctx, acct):
    """alice: an inline policy (PRETTY), in group devs (an inline and an attached policy), with a
    permissions boundary that allows iam:* and sts:GetCallerIdentity."""
    user = users.create_user(ctx, user_name="alice")
    put_user_policy(ctx, user_name="alice", policy_name="ReadIam", policy_document=PRETTY)
    groups.create_group(ctx, group_name="devs")
    groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
    put_group_policy(
        ctx,
        group_name="devs",
        policy_name="DevsAssume",
        policy_document=f.document(f.allow("sts:AssumeRole", "*", Sid="AssumeAny")),
    )
    attach_group_policy(ctx, group_name="devs", policy_arn="arn:aws:iam::aws:policy/IAMUserChangePassword")
    boundary = create_policy(
        ctx,
        policy_name="Boundary",
        policy_document=f.document(f.allow(["iam:*", "sts:GetCallerIdentity"], "*", Sid="Ceiling")),
    )
    put_user_permissions_boundary(ctx, user_name="alice", permissions_boundary=boundary.arn)
    return user


def reader_client(ctx, name: str = "reader", *policies: dict) -> tuple[User, Client]:
    user = users.create_user(ctx, user_name=name)
    if policies:
        f.put_user_policy(user, "Own", *policies)
    client = Client()
    client.force_login(user)
    return user, client


def queries_of(client: Client, method: str, *args) -> int:
    """Queries of a warm request (the caller's policies are compiled on its first request)."""
    getattr(client, method)(*args)
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(*args)
        assert response.status_code == 200
    return len(captured)


def bulk_users(ctx, count: int, prefix: str) -> None:
    User.objects.bulk_create(
        User(account=ctx.account, user_name=f"{prefix}{i:04}", user_id=unique_id("AIDA"), is_root=False)
        for i in range(count)
    )


class PolicySimulatorPageTests:
    def test_get_renders_the_form_with_every_subject_kind_and_the_catalogue(self, as_root, alice):
        response = as_root.get(URL)
        page = html(response)
        assert response.status_code == 200
        assert "<h1>Policy simulator</h1>" in page
        assert 'name="csrfmiddlewaretoken"' in page
        kinds = re.findall(r'name="subject_type" value="(\w+)"', page)
        assert kinds == ["user", "group", "role", "custom"]
        assert page.count('name="actions"') == CATALOGUE_SIZE
        assert re.findall(r'name="all_services" value="(\w+)"', page) == ["iam", "sts"]
        assert '<option value="alice">alice</option>' in page
        assert '<option value="devs">devs</option>' in page
        assert 'href="/console/policy-simulator/"' in page  # the sidebar's entry
        assert ">Policy simulator</a>" in page

    def test_the_simulate_link_of_a_user_preselects_it(self, as_root, alice):
        detail = html(as_root.get("/console/users/alice/"))
        assert 'href="/console/policy-simulator/?subject=user&amp;name=alice"' in detail
        page = html(as_root.get(URL, {"subject": "user", "name": "alice"}))
        assert 'value="user" checked' in page
        assert '<option value="alice" selected>alice</option>' in page

    def test_group_and_role_pages_link_to_the_simulator(self, as_root, ctx, alice):
        roles.create_role(ctx, role_name="app", assume_role_policy_document=trust())
        assert 'href="/console/policy-simulator/?subject=group&amp;name=devs"' in html(
            as_root.get("/console/groups/devs/")
        )
        assert 'href="/console/policy-simulator/?subject=role&amp;name=app"' in html(
            as_root.get("/console/roles/app/")
        )
        assert 'value="role" checked' in html(as_root.get(URL, {"subject": "role", "name": "app"}))

    def test_no_simulate_link_for_a_caller_who_may_not_simulate(self, ctx, alice):
        _, client = reader_client(ctx, "viewer", f.allow(["iam:Get*", "iam:List*"]))
        detail = client.get("/console/users/alice/")
        assert detail.status_code == 200
        assert "/console/policy-simulator/" not in html(detail)

    def test_signed_out_visitors_go_to_sign_in(self, client):
        assert client.get(URL)["Location"] == "/signin/?next=%2Fconsole%2Fpolicy-simulator%2F"


def trust() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )


class SubjectKindTests:
    def test_a_user_with_its_groups_policies_and_boundary(self, as_root, alice, acct):
        response = as_root.post(
            URL,
            form(
                user_name="alice",
                action_names="iam:GetRole iam:GetUser sts:AssumeRole iam:ChangePassword iam:CreateUser",
            ),
        )
        assert response.status_code == 200
        assert rows(response) == [
            ("iam:GetRole", "*", "allowed"),
            ("iam:GetUser", "*", "explicit deny"),
            # Its group allows it, but the boundary does not: outside the boundary it is denied.
            ("sts:AssumeRole", "*", "implicit deny"),
            ("iam:ChangePassword", "*", "implicit deny"),  # the AWS policy allows it on the user only
            ("iam:CreateUser", "*", "implicit deny"),
        ]
        page = html(response)
        assert f"for user <code>arn:aws:iam::{acct}:user/alice</code>" in page
        assert '1 allowed</span>, <span class="sim-count">1 explicit deny</span>' in page
        assert "ReadIam · NoUserReads" in page
        assert "iam:GetUser on * is denied with an explicit deny in an identity-based policy." in page

    def test_a_user_s_group_inline_and_managed_policies_are_shown(self, as_root, alice, acct):
        response = as_root.post(
            URL,
            form(
                user_name="alice",
                action_names="sts:AssumeRole iam:ChangePassword iam:GetAccountPasswordPolicy",
                resources=f"arn:aws:iam::{acct}:user/alice",
                # The AWS policy allows iam:ChangePassword on user/${aws:username}: a key to give.
                context_key=["aws:username"],
                context_type=["string"],
                context_values=["alice"],
            ),
        )
        assert rows(response) == [
            ("sts:AssumeRole", f"arn:aws:iam::{acct}:user/alice", "implicit deny"),
            ("iam:ChangePassword", f"arn:aws:iam::{acct}:user/alice", "allowed"),
            ("iam:GetAccountPasswordPolicy", f"arn:aws:iam::{acct}:user/alice", "allowed"),
        ]
        blocks = statement_blocks(response)
        summaries = [re.search(r"<summary>(.*?)</summary>", block).group(1) for block in blocks]
        # The group's inline policy allowed sts:AssumeRole (the boundary then refused it); the AWS
        # managed policy of the group allowed the others, within the boundary's Ceiling.
        assert "DevsAssume · AssumeAny — statement 1 (Allow)" in summaries
        assert "IAMUserChangePassword — statement 1 (Allow)" in summaries
        assert "Boundary · Ceiling — statement 1 (Allow, permissions boundary)" in summaries
        assert all("<mark>" in block for block in blocks)

    def test_a_user_s_groups_with_inline_policies_of_the_same_name(self, as_root, ctx):
        users.create_user(ctx, user_name="bob")
        for group, action in (("g1", "iam:GetRole"), ("g2", "iam:ListRoles")):
            groups.create_group(ctx, group_name=group)
            groups.add_user_to_group(ctx, group_name=group, user_name="bob")
            put_group_policy(
                ctx, group_name=group, policy_name="Shared", policy_document=f.document(f.allow(action))
            )
        response = as_root.post(URL, form(user_name="bob", action_names="iam:ListRoles iam:GetRole"))
        assert rows(response) == [("iam:ListRoles", "*", "allowed"), ("iam:GetRole", "*", "allowed")]
        # The statement names its group (source_entity): each document shown is its own group's.
        assert marked(response) == [
            escape(json.dumps(f.allow("iam:ListRoles"))),
            escape(json.dumps(f.allow("iam:GetRole"))),
        ]

    def test_a_group(self, as_root, alice, acct):
        response = as_root.post(
            URL, form(subject_type="group", group_name="devs", action_names="sts:AssumeRole iam:GetUser")
        )
        assert rows(response) == [("sts:AssumeRole", "*", "allowed"), ("iam:GetUser", "*", "implicit deny")]
        assert f"for group <code>arn:aws:iam::{acct}:group/devs</code>" in html(response)

    def test_a_role_by_its_arn(self, as_root, ctx, acct):
        roles.create_role(ctx, role_name="app", path="/svc/", assume_role_policy_document=trust())
        put_role_policy(
            ctx, role_name="app", policy_name="Reads", policy_document=f.document(f.allow("iam:List*"))
        )
        arn = f"arn:aws:iam::{acct}:role/svc/app"
        response = as_root.post(URL, form(subject_type="role", role_name=arn, action_names="iam:ListRoles"))
        assert rows(response) == [("iam:ListRoles", "*", "allowed")]
        assert 'Reads · statement 1</a> <span class="quiet">(Allow)</span>' in html(response)

    def test_a_role_by_its_name_takes_its_path(self, as_root, ctx):
        roles.create_role(ctx, role_name="app", path="/svc/", assume_role_policy_document=trust())
        response = as_root.post(URL, form(subject_type="role", role_name="app", action_names="iam:ListRoles"))
        assert rows(response) == [("iam:ListRoles", "*", "implicit deny")]

    def test_custom_policies_and_a_boundary(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow("iam:*")), PRETTY, ""],
                boundary=f.document(f.allow("iam:Get*", Sid="OnlyReads")),
                action_names="iam:GetRole iam:GetUser iam:CreateUser",
            ),
        )
        assert response.status_code == 200
        assert rows(response) == [
            ("iam:GetRole", "*", "allowed"),
            ("iam:GetUser", "*", "explicit deny"),
            ("iam:CreateUser", "*", "implicit deny"),
        ]
        page = html(response)
        assert "for the custom policies" in page
        assert "Custom policy 2 · NoUserReads" in page
        assert "Permissions boundary (custom) · OnlyReads" in page
        # Both documents come back in their boxes, and one empty box more.
        assert page.count('name="policy_document"') == 3

    def test_context_entries_decide_conditions_and_missing_keys_are_listed(self, as_root):
        policy = f.document(f.allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
        base = form(subject_type="custom", policy_document=[policy], action_names="iam:GetUser")
        missing = as_root.post(URL, base)
        assert rows(missing) == [("iam:GetUser", "*", "implicit deny")]
        assert "<code>aws:SourceIp</code>" in html(missing)
        given = as_root.post(
            URL,
            {
                **base,
                "context_key": ["aws:SourceIp", ""],
                "context_type": ["ip", "string"],
                "context_values": ["10.1.2.3", ""],
            },
        )
        assert rows(given) == [("iam:GetUser", "*", "allowed")]
        assert 'value="aws:SourceIp"' in html(given)


class SeveralResourcesTests:
    def test_one_row_per_action_with_the_most_restrictive_decision_and_a_row_per_resource(
        self, as_root, acct
    ):
        keep = f"arn:aws:iam::{acct}:user/keep"
        document = f.document(
            f.allow("iam:DeleteUser", Sid="Delete"), f.deny("iam:DeleteUser", keep, Sid="Keep")
        )
        others = [f"arn:aws:iam::{acct}:user/{n}" for n in ("a", "b")]
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[document],
                action_names="iam:DeleteUser iam:CreateUser",
                resources="\n".join([others[0], keep, others[1]]),
            ),
        )
        assert rows(response) == [
            ("iam:DeleteUser", "3 resources", "explicit deny"),
            ("iam:CreateUser", "3 resources", "implicit deny"),
        ]
        assert resource_rows(response) == [
            ("sim-action-1", "iam:DeleteUser", others[0], "allowed"),
            ("sim-action-1", "iam:DeleteUser", keep, "explicit deny"),
            ("sim-action-1", "iam:DeleteUser", others[1], "allowed"),
            *[
                ("sim-action-2", "iam:CreateUser", arn, "implicit deny")
                for arn in (others[0], keep, others[1])
            ],
        ]
        page = html(response)
        assert "2 actions on 3 resources" in page
        assert (
            '<span class="sim-count">0 allowed</span>, <span class="sim-count">1 explicit deny</span>' in page
        )
        assert (
            "iam:DeleteUser is allowed on 2 and explicitly denied on 1 of the 3 resources: the most "
            "restrictive decision, explicitDeny, is the action&#x27;s." in page
        )
        assert (
            f"iam:DeleteUser on {keep} is denied with an explicit deny in an identity-based policy." in page
        )
        # The action's row links the Deny only; the resources' rows each link their own statement,
        # and each statement is shown once, highlighted.
        action_row = re.search(r'<tr class="sim-row">(.*?)</tr>', page, re.DOTALL).group(1)
        assert re.findall(r'class="sim-show"[^>]*>([^<]*)</a>', action_row) == ["Custom policy 1 · Keep"]
        assert page.count('class="sim-show"') == 1 + 3
        assert [re.search(r"<summary>(.*?)</summary>", b).group(1) for b in statement_blocks(response)] == [
            "Custom policy 1 · Keep — statement 2 (Deny)",
            "Custom policy 1 · Delete — statement 1 (Allow)",
        ]
        assert len(marked(response)) == 2

    def test_missing_keys_of_named_resources_show_on_the_action_row_too(self, as_root, acct):
        policy = f.document(f.allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[policy],
                action_names="iam:GetUser",
                resources=f"arn:aws:iam::{acct}:user/a\narn:aws:iam::{acct}:user/b",
            ),
        )
        assert rows(response) == [("iam:GetUser", "2 resources", "implicit deny")]
        action_row = re.search(r'<tr class="sim-row">(.*?)</tr>', html(response), re.DOTALL).group(1)
        assert "<td><code>aws:SourceIp</code></td>" in action_row
        assert html(response).count("<td><code>aws:SourceIp</code></td>") == 3

    def test_queries_do_not_grow_with_the_resources(self, as_root, alice, acct):
        def data(n: int) -> dict:
            arns = "\n".join(f"arn:aws:iam::{acct}:user/u{i}" for i in range(n))
            return form(user_name="alice", action_names="iam:GetUser sts:AssumeRole", resources=arns)

        assert queries_of(as_root, "post", URL, data(2)) == queries_of(as_root, "post", URL, data(200))


class WildcardTests:
    def test_typed_wildcards_expand_from_the_catalogue_with_their_count(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow("iam:GetUser"))],
                action_names="iam:Get*, sts:Get* iam:GetUser",
            ),
        )
        found = rows(response)
        iam_gets = [a for a in service_actions("iam") if a.startswith("iam:Get")]
        sts_gets = [a for a in service_actions("sts") if a.startswith("sts:Get")]
        assert (len(iam_gets), len(sts_gets)) == (34, 7)
        assert [action for action, _, _ in found] == iam_gets + sts_gets  # iam:GetUser is named once
        assert ("iam:GetUser", "*", "allowed") in found
        page = html(response)
        assert "<li><code>iam:Get*</code> expanded to 34 actions</li>" in page
        assert "<li><code>sts:Get*</code> expanded to 7 actions</li>" in page
        assert "41 actions on 1 resource" in page

    def test_checkboxes_select_all_and_typed_names_combine(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow("*"))],
                actions=["iam:ListUsers", "iam:ListUsers"],
                all_services=["sts"],
                action_names="s3:GetObject",
            ),
        )
        found = rows(response)
        assert len(found) == 1 + 16 + 1
        assert found[0] == ("iam:ListUsers", "*", "allowed")
        assert found[-1] == ("s3:GetObject", "*", "allowed")
        page = html(response)
        assert 'value="iam:ListUsers" checked' in page
        assert 'name="all_services" value="sts" checked' in page

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            (
                "s3:*",
                "s3:*: wildcards expand only over the catalogued services (iam, sts); name s3 actions one by one.",
            ),
            ("iam:Nope*", "iam:Nope* matches no action in the catalogue."),
            ("iam:GetUsr", "iam:GetUsr is not an action of iam in the catalogue."),
            ("getuser", "getuser is not an action name: write service:Action, e.g. iam:GetUser."),
            ("", "Select at least one action, or type one (wildcards such as iam:Get* work)."),
        ],
    )
    def test_names_that_cannot_be_simulated_are_form_errors(self, as_root, typed, message):
        response = as_root.post(
            URL, form(subject_type="custom", policy_document=[f.document(f.allow())], action_names=typed)
        )
        assert response.status_code == 400
        assert errors_of(response) == [escape(message)]
        assert rows(response) == []

    def test_more_than_1000_actions_are_refused(self, as_root):
        names = " ".join(f"s3:Action{i}" for i in range(1001))
        response = as_root.post(
            URL, form(subject_type="custom", policy_document=[f.document(f.allow())], action_names=names)
        )
        assert response.status_code == 400
        assert errors_of(response) == [
            "The actions expand to more than 1,000 action names; at most 1,000 can be simulated at once. "
            "Choose fewer actions or narrower patterns."
        ]

    def test_results_beyond_1000_evaluations_come_a_page_at_a_time(self, as_root):
        resources = "\n".join(f"arn:aws:s3:::bucket{i}" for i in range(5))
        data = form(
            subject_type="custom",
            policy_document=[f.document(f.allow())],
            action_names="iam:*",
            resources=resources,
        )
        first = as_root.post(URL, data)
        assert len(rows(first)) == 190  # 190 actions on 5 resources (950 evaluations) fit on one page
        assert len(resource_rows(first)) == 950
        assert "Next results" not in html(first)
        data["action_names"] = "iam:* sts:*"  # 206 x 5 = 1030 evaluations: 200 actions a page
        first = as_root.post(URL, data)
        assert len(rows(first)) == 200
        marker = re.search(r'name="marker" value="([^"]+)"', html(first)).group(1)
        rest = as_root.post(URL, {**data, "marker": marker})
        assert rows(rest) == [(action, "5 resources", "allowed") for action in service_actions("sts")[-6:]]
        assert {resource for _, _, resource, _ in resource_rows(rest)} == {
            f"arn:aws:s3:::bucket{i}" for i in range(5)
        }


class HighlightTests:
    def test_the_deciding_statement_s_lines_are_marked(self, as_root, alice):
        response = as_root.post(URL, form(user_name="alice", action_names="iam:GetUser"))
        assert marked(response) == [escape("\n".join(DENY_LINES))]
        (block,) = statement_blocks(response)
        text = re.sub(
            r"</?mark>", "", re.search(r'<pre class="sim-document">(.*?)</pre>', block, re.DOTALL)[1]
        )
        assert text == escape(PRETTY)  # the whole document, as stored

    def test_a_one_line_document_marks_the_statement_only(self, as_root):
        document = f.document(f.allow("iam:GetRole", Sid="A"), f.allow("iam:GetUser", Sid="B"))
        response = as_root.post(
            URL, form(subject_type="custom", policy_document=[document], action_names="iam:GetUser")
        )
        assert marked(response) == [escape(json.dumps(f.allow("iam:GetUser", Sid="B")))]

    def test_highlight_widens_to_lines_and_refuses_stale_positions(self):
        text = '{"Statement": [\n  {"Effect": "Allow"},\n  {"Effect": "Deny"}\n]}'
        chunks = highlight(text, Position(2, 3), Position(2, 21))
        assert [(c.text, c.marked) for c in chunks] == [
            ('{"Statement": [\n', False),
            ('  {"Effect": "Allow"},', True),
            ('\n  {"Effect": "Deny"}\n]}', False),
        ]
        assert highlight(text, Position(2, 4), Position(2, 21)) is None  # not at a brace
        assert highlight(text, Position(9, 1), Position(9, 2)) is None
        assert highlight(text, None, None) is None

    def test_implicit_denials_have_no_statement(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow("iam:GetRole"))],
                action_names="iam:GetUser",
            ),
        )
        assert rows(response) == [("iam:GetUser", "*", "implicit deny")]
        assert statement_blocks(response) == []


class EscapingTests:
    def test_hostile_policy_text_is_escaped_everywhere(self, as_root):
        hostile = "arn:aws:s3:::</pre><script>alert(1)</script>"
        document = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Sid": "X", "Effect": "Allow", "Action": "s3:GetObject", "Resource": hostile}],
            }
        )
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[document],
                action_names="s3:GetObject",
                resources=hostile,
                context_key=["aws:<b>x</b>"],
                context_type=["string"],
                context_values=["<img src=x onerror=alert(2)>"],
            ),
        )
        page = html(response)
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page
        assert "<b>x</b>" not in page
        assert escape(hostile) in page
        assert rows(response) == [("s3:GetObject", escape(hostile), "allowed")]
        assert escape(hostile) in marked(response)[0]

    def test_a_hostile_sid_in_the_engine_s_message_is_escaped(self, as_root):
        document = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Sid": "<b>x</b>", "Effect": "Allow", "Action": "*"}]}
        )
        response = as_root.post(
            URL, form(subject_type="custom", policy_document=[document], action_names="iam:GetUser")
        )
        assert response.status_code == 400
        (message,) = errors_of(response)
        assert message.startswith(
            "PolicyInputList.1: Unsupported Sid: The Sid &#x27;&lt;b&gt;x&lt;/b&gt;&#x27;"
        )
        assert "<b>x</b>" not in html(response)


class ServiceErrorTests:
    def test_a_malformed_policy_is_the_engine_s_message_on_the_policies(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=['{"Version": "2012-10-17"'],
                action_names="iam:GetUser",
            ),
        )
        assert response.status_code == 400
        (message,) = errors_of(response)
        assert message.startswith("PolicyInputList.1: ")
        assert rows(response) == []

    def test_no_policy_at_all(self, as_root):
        response = as_root.post(URL, form(subject_type="custom", action_names="iam:GetUser"))
        assert response.status_code == 400
        assert errors_of(response) == [
            escape(
                "1 validation error detected: Value '[]' at 'policyInputList' failed to satisfy constraint: "
                "Member must not be null"
            )
        ]

    def test_an_unknown_user(self, as_root):
        response = as_root.post(URL, form(user_name="ghost", action_names="iam:GetUser"))
        assert response.status_code == 404
        assert errors_of(response) == ["The user with name ghost cannot be found."]

    def test_no_user_chosen(self, as_root):
        response = as_root.post(URL, form(action_names="iam:GetUser"))
        assert response.status_code == 400
        assert errors_of(response) == ["Choose the user to simulate: its name or ARN."]

    def test_a_context_value_its_type_cannot_read(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow())],
                action_names="iam:GetUser",
                context_key=["aws:SourceIp"],
                context_type=["ip"],
                context_values=["not-an-ip"],
            ),
        )
        assert response.status_code == 400
        assert errors_of(response) == [
            escape("The value 'not-an-ip' of context key aws:SourceIp is not a valid ip.")
        ]

    def test_a_context_key_without_values_of_a_single_valued_type(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow())],
                action_names="iam:GetUser",
                context_key=["", ""],
                context_type=["string", "string"],
                context_values=["orphan", ""],
            ),
        )
        assert response.status_code == 400
        assert errors_of(response) == ["Enter the context key name of each entry with values."]

    def test_a_bad_marker_is_a_form_error(self, as_root):
        response = as_root.post(
            URL,
            form(
                subject_type="custom",
                policy_document=[f.document(f.allow())],
                action_names="iam:GetUser",
                marker="bogus",
            ),
        )
        assert response.status_code == 400
        assert form_errors(response) == [
            escape(
                "1 validation error detected: Value 'bogus' at 'marker' failed to satisfy constraint: "
                "Member must be a marker returned by a previous response"
            )
        ]

    def test_the_form_needs_its_csrf_token(self, root):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(root)
        data = form(
            subject_type="custom", policy_document=[f.document(f.allow())], action_names="iam:GetUser"
        )
        assert strict.post(URL, data).status_code == 403
        token = strict.get(URL).cookies["csrftoken"].value
        response = strict.post(URL, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code == 200
        assert rows(response) == [("iam:GetUser", "*", "allowed")]


class AuthorizationTests:
    def test_a_caller_without_simulate_permissions_is_refused_the_page(self, ctx, acct):
        _, client = reader_client(ctx, "nobody", f.allow("iam:ListUsers"))
        response = client.get(URL)
        assert response.status_code == 403
        page = html(response)
        assert "Your permissions do not allow <code>iam:SimulatePrincipalPolicy</code>" in page
        assert 'id="simulator-form"' not in page
        assert ">Policy simulator</a>" not in page  # no sidebar entry either

    def test_a_forged_post_is_refused_and_audited_by_the_service(self, ctx, acct):
        _, client = reader_client(ctx, "nobody")
        response = client.post(
            URL,
            form(subject_type="custom", policy_document=[f.document(f.allow())], action_names="iam:GetUser"),
        )
        assert response.status_code == 403
        assert form_errors(response) == [escape(f.denial(acct, "nobody", "iam:SimulateCustomPolicy", "*"))]
        assert events("iam:SimulateCustomPolicy") == [("denied", "AccessDenied")]

    def test_a_caller_allowed_custom_policies_only_is_offered_only_those(self, ctx, acct):
        _, client = reader_client(ctx, "tester", f.allow("iam:SimulateCustomPolicy"))
        page = html(client.get(URL))
        assert re.findall(r'name="subject_type" value="(\w+)"', page) == ["custom"]
        assert ">Policy simulator</a>" in page  # the sidebar's alternative check
        forged = client.post(
            URL, form(user_name=f"arn:aws:iam::{acct}:user/tester", action_names="iam:GetUser")
        )
        assert forged.status_code == 403
        assert form_errors(forged) == [
            escape(
                f.denial(acct, "tester", "iam:SimulatePrincipalPolicy", f"arn:aws:iam::{acct}:user/tester")
            )
        ]
        assert events("iam:SimulatePrincipalPolicy") == [("denied", "AccessDenied")]

    def test_a_read_only_user_simulates_and_sees_documents(self, ctx, alice):
        _, client = reader_client(ctx, "reader")
        attach_user_policy(ctx, user_name="reader", policy_arn=READ_ONLY)
        response = client.post(URL, form(user_name="alice", action_names="iam:GetUser"))
        assert rows(response) == [("iam:GetUser", "*", "explicit deny")]
        assert marked(response) == [escape("\n".join(DENY_LINES))]

    def test_a_document_the_caller_may_not_read_is_not_shown_nor_a_denial_audited(self, ctx, alice, acct):
        _, client = reader_client(
            ctx,
            "sim",
            f.allow(["iam:SimulatePrincipalPolicy", "iam:ListUsers"], f"arn:aws:iam::{acct}:user/*"),
        )
        for _ in range(2):
            response = client.post(URL, form(user_name="alice", action_names="iam:GetUser"))
            assert rows(response) == [("iam:GetUser", "*", "explicit deny")]
            assert marked(response) == []
            assert (
                "The policy document cannot be shown: Your permissions do not allow iam:GetUserPolicy on "
                f"arn:aws:iam::{acct}:user/alice." in html(response)
            )
        # The page asked whether it may read (no audit) instead of trying and being refused.
        assert events("iam:GetUserPolicy") == []

    def test_each_document_is_checked_against_its_own_owner(self, ctx, alice, acct):
        """GetGroupPolicy on the group the statement names (source_entity), GetPolicy and
        GetPolicyVersion on a managed policy: allowed on one, the note on the other."""
        _, client = reader_client(
            ctx,
            "sim",
            f.allow("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{acct}:user/*"),
            f.allow("iam:GetGroupPolicy", f"arn:aws:iam::{acct}:group/devs"),
        )
        response = client.post(
            URL, form(user_name=f"arn:aws:iam::{acct}:user/alice", action_names="sts:AssumeRole iam:GetRole")
        )
        assert rows(response) == [("sts:AssumeRole", "*", "implicit deny"), ("iam:GetRole", "*", "allowed")]
        blocks = statement_blocks(response)
        shown = {re.search(r"<summary>(.*?) —", block).group(1): block for block in blocks}
        assert list(shown) == ["DevsAssume · AssumeAny", "ReadIam · ReadIam", "Boundary · Ceiling"]
        assert "<mark>" in shown["DevsAssume · AssumeAny"]  # its group's policy, which it may read
        alice_arn, boundary = f"arn:aws:iam::{acct}:user/alice", f"arn:aws:iam::{acct}:policy/Boundary"
        assert (
            f"Your permissions do not allow iam:GetUserPolicy on {alice_arn}." in shown["ReadIam · ReadIam"]
        )
        assert f"Your permissions do not allow iam:GetPolicy on {boundary}." in shown["Boundary · Ceiling"]
        assert "<mark>" not in shown["Boundary · Ceiling"]
        assert events("iam:GetUserPolicy") == events("iam:GetGroupPolicy") == events("iam:GetPolicy") == []


class ScaleTests:
    def test_queries_do_not_grow_with_users(self, as_root, ctx, alice):
        bulk_users(ctx, 10, "a")
        get_at_10 = queries_of(as_root, "get", URL)
        data = form(user_name="alice", action_names="iam:GetUser sts:AssumeRole iam:ChangePassword")
        post_at_10 = queries_of(as_root, "post", URL, data)
        bulk_users(ctx, 490, "b")
        assert queries_of(as_root, "get", URL) == get_at_10
        assert queries_of(as_root, "post", URL, data) == post_at_10

    def test_many_users_get_a_search_box_with_suggestions(self, as_root, ctx):
        bulk_users(ctx, 150, "u")
        page = html(as_root.get(URL))
        assert 'name="user_name" id="sim-user-name"' in page
        assert 'list="sim-user-names"' in page
        assert page.count('<option value="u0') == 100
        assert "More than 100 in the account" in page
        found = as_root.get(NAMES, {"kind": "user", "q": "U014"}).json()
        assert found == {"names": [f"u{i:04}" for i in range(140, 150)], "more": False}
        response = as_root.post(URL, form(user_name="u0149", action_names="iam:GetUser"))
        assert rows(response) == [("iam:GetUser", "*", "implicit deny")]

    def test_the_names_search_is_authorized_and_checked(self, ctx):
        _, client = reader_client(ctx, "tester", f.allow("iam:SimulateCustomPolicy"))
        denied = client.get(NAMES, {"kind": "user", "q": "a"})
        assert denied.status_code == 403
        assert denied.json()["code"] == "AccessDenied"
        assert client.get(NAMES, {"kind": "policy"}).status_code == 400
