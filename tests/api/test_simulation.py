"""/api/v1/simulation/principal/ and /api/v1/simulation/custom/ (policies/simulation.py) through the
test client, signed with SigV4: decisions, matched statements and their places, boundaries, context
entries, pages, errors, authorization, no audit row on success, query counts, and agreement with
authorize() on the same requests."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import authz
from accounts.models import AuditEvent, User
from accounts.services import groups, policy_attachments, roles, users
from iam_portal.errors import ValidationError
from policies import services as policy_services
from policies import simulation
from tests import factories as f

from .conftest import denial, error, iam_user, issue_key

pytestmark = pytest.mark.django_db
PRINCIPAL = "/api/v1/simulation/principal/"
CUSTOM = "/api/v1/simulation/custom/"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
# Indented, so that the statements' places are worth checking: statement 0 spans lines 4-9.
READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "iam:Get*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
        ],
    },
    indent=2,
)
NO_DELETE = f.document(f.deny("iam:DeleteUser"))


def decisions(response) -> list[tuple[str, str, str]]:
    return [
        (r["eval_action_name"], r["eval_resource_name"], r["eval_decision"]) for r in response.json()["items"]
    ]


def simulation_marker(offset: int) -> str:
    """The marker of the page that starts at this offset (as a previous page would give it)."""
    return quote(base64.urlsafe_b64encode(f"o{offset}".encode()).decode(), safe="")


def simulation_events() -> int:
    return AuditEvent.objects.filter(action__startswith="iam:Simulate").count()


@pytest.fixture
def alice(ctx, acct):
    """A user with an inline policy (READ), a managed Deny of iam:DeleteUser, in a group that may
    create users."""
    users.create_user(ctx, user_name="alice")
    policy_attachments.put_user_policy(ctx, user_name="alice", policy_name="Read", policy_document=READ)
    denied = policy_services.create_policy(ctx, policy_name="NoDelete", policy_document=NO_DELETE)
    policy_attachments.attach_user_policy(ctx, user_name="alice", policy_arn=denied.arn)
    groups.create_group(ctx, group_name="Creators")
    groups.add_user_to_group(ctx, group_name="Creators", user_name="alice")
    policy_attachments.put_group_policy(
        ctx,
        group_name="Creators",
        policy_name="Create",
        policy_document=f.document(f.allow(["iam:CreateUser", "iam:DeleteUser"])),
    )
    return f"arn:aws:iam::{acct}:user/alice"


class SimulatePrincipalPolicyTests:
    def test_each_action_is_decided_by_the_users_own_and_group_policies(self, signed, root_key, alice, acct):
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {
                "policy_source_arn": alice,
                "action_names": ["iam:GetUser", "iam:DeleteUser", "iam:CreateUser", "iam:CreateRole"],
            },
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["is_truncated"], body["marker"]) == (False, None)
        get_user, delete_user, create_user, create_role = body["items"]
        assert get_user == {
            "eval_action_name": "iam:GetUser",
            "eval_resource_name": "*",
            "eval_decision": "allowed",
            "decided_by": "identity",
            "matched_statements": [
                {
                    "source_policy_id": "Read",
                    "source_policy_type": "user",
                    "policy_arn": None,
                    "policy_type": "identity",
                    "statement_index": 0,
                    "sid": "Read",
                    "effect": "Allow",
                    "start_position": {"line": 4, "column": 5},
                    "end_position": {"line": 9, "column": 5},
                }
            ],
            "missing_context_values": [],
            "permissions_boundary_decision_detail": None,
            "explanation": "iam:GetUser on * is allowed by an identity-based policy.",
        }
        assert delete_user["eval_decision"] == "explicitDeny"
        assert delete_user["matched_statements"] == [
            {
                "source_policy_id": "NoDelete",
                "source_policy_type": "user-managed",
                "policy_arn": f"arn:aws:iam::{acct}:policy/NoDelete",
                "policy_type": "identity",
                "statement_index": 0,
                "sid": None,
                "effect": "Deny",
                "start_position": {"line": 1, "column": 41},
                "end_position": {"line": 1, "column": 103},
            }
        ]
        assert delete_user["explanation"] == (
            "iam:DeleteUser on * is denied with an explicit deny in an identity-based policy."
        )
        assert create_user["eval_decision"] == "allowed"
        assert [
            (m["source_policy_id"], m["source_policy_type"]) for m in create_user["matched_statements"]
        ] == [("Create", "group")]
        assert create_role == {
            **create_role,
            "eval_decision": "implicitDeny",
            "matched_statements": [],
            "explanation": "iam:CreateRole on * is denied because no identity-based policy allows the "
            "iam:CreateRole action.",
        }

    def test_every_action_on_every_resource_in_the_order_given(self, signed, root_key, alice, acct):
        me, bob = f"arn:aws:iam::{acct}:user/alice", f"arn:aws:iam::{acct}:user/bob"
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {
                "policy_source_arn": alice,
                "action_names": ["iam:GetUser", "iam:DeleteUser"],
                "resource_arns": [me, bob],
            },
        )
        assert decisions(response) == [
            ("iam:GetUser", me, "allowed"),
            ("iam:GetUser", bob, "allowed"),
            ("iam:DeleteUser", me, "explicitDeny"),
            ("iam:DeleteUser", bob, "explicitDeny"),
        ]

    def test_results_come_in_pages(self, signed, root_key, alice):
        body = {
            "policy_source_arn": alice,
            "action_names": ["iam:GetUser", "iam:ListUsers", "iam:CreateRole"],
        }
        first = signed("POST", PRINCIPAL + "?max_items=2", root_key, body).json()
        assert [r["eval_action_name"] for r in first["items"]] == ["iam:GetUser", "iam:ListUsers"]
        assert first["is_truncated"] is True
        rest = signed("POST", f"{PRINCIPAL}?marker={first['marker']}&max_items=2", root_key, body).json()
        assert ([r["eval_action_name"] for r in rest["items"]], rest["is_truncated"], rest["marker"]) == (
            ["iam:CreateRole"],
            False,
            None,
        )

    def test_only_the_page_asked_for_is_made_of_a_million_pairs(self, signed, root_key, alice, acct):
        actions = [f"iam:GetUser{i:03}" for i in range(1000)]
        resources = [f"arn:aws:iam::{acct}:user/u{i:03}" for i in range(1000)]
        body = {"policy_source_arn": alice, "action_names": actions, "resource_arns": resources}
        first = signed("POST", PRINCIPAL + "?max_items=2", root_key, body).json()
        assert [(r["eval_action_name"], r["eval_resource_name"]) for r in first["items"]] == [
            ("iam:GetUser000", resources[0]),
            ("iam:GetUser000", resources[1]),
        ]
        assert first["is_truncated"] is True
        marker = simulation_marker(999_999)
        last = signed("POST", f"{PRINCIPAL}?marker={marker}&max_items=2", root_key, body).json()
        assert [(r["eval_action_name"], r["eval_resource_name"]) for r in last["items"]] == [
            ("iam:GetUser999", resources[999])
        ]
        assert (last["is_truncated"], last["marker"]) == (False, None)

    def test_a_roles_boundary_limits_it_and_says_so(self, signed, root_key, ctx, acct):
        boundary = policy_services.create_policy(
            ctx, policy_name="OnlyRead", policy_document=f.document(f.allow("iam:Get*"))
        )
        roles.create_role(
            ctx, role_name="app", assume_role_policy_document=TRUST, permissions_boundary=boundary.arn
        )
        admin = "arn:aws:iam::aws:policy/AdministratorAccess"
        policy_attachments.attach_role_policy(ctx, role_name="app", policy_arn=admin)
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {
                "policy_source_arn": f"arn:aws:iam::{acct}:role/app",
                "action_names": ["iam:GetRole", "iam:DeleteRole"],
            },
        )
        get_role, delete_role = response.json()["items"]
        assert (get_role["eval_decision"], get_role["permissions_boundary_decision_detail"]) == (
            "allowed",
            {"allowed_by_permissions_boundary": True},
        )
        assert [
            (m["source_policy_id"], m["source_policy_type"], m["policy_arn"], m["policy_type"])
            for m in get_role["matched_statements"]
        ] == [
            ("AdministratorAccess", "aws-managed", admin, "identity"),
            ("OnlyRead", "user-managed", boundary.arn, "boundary"),
        ]
        assert get_role["explanation"] == (
            "iam:GetRole on * is allowed by an identity-based policy within the permissions boundary."
        )
        assert delete_role["eval_decision"] == "implicitDeny"
        assert delete_role["decided_by"] == "boundary"
        assert delete_role["permissions_boundary_decision_detail"] == {
            "allowed_by_permissions_boundary": False
        }
        assert delete_role["explanation"] == (
            "iam:DeleteRole on * is denied because no permissions boundary allows the iam:DeleteRole action."
        )

    def test_a_group_is_simulated_with_its_own_policies(self, signed, root_key, alice, acct):
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {
                "policy_source_arn": f"arn:aws:iam::{acct}:group/Creators",
                "action_names": ["iam:DeleteUser", "iam:GetUser"],
            },
        )
        assert decisions(response) == [
            ("iam:DeleteUser", "*", "allowed"),
            ("iam:GetUser", "*", "implicitDeny"),
        ]

    def test_only_the_context_entries_given_are_known(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="carol", path="/staff/")
        own = f.allow("iam:ChangePassword", "arn:aws:iam::*:user/staff/${aws:username}")
        office = f.allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
        policy_attachments.put_user_policy(
            ctx, user_name="carol", policy_name="Self", policy_document=f.document(own, office)
        )
        carol = f"arn:aws:iam::{acct}:user/staff/carol"
        body = {
            "policy_source_arn": carol,
            "action_names": ["iam:ChangePassword", "iam:GetUser"],
            "resource_arns": [carol],
        }
        bare = signed("POST", PRINCIPAL, root_key, body).json()["items"]
        assert [(r["eval_decision"], r["missing_context_values"]) for r in bare] == [
            ("implicitDeny", []),  # ${aws:username} has no value: the resource matches nothing
            ("implicitDeny", ["aws:SourceIp"]),
        ]
        assert bare[1]["explanation"] == (
            "iam:GetUser on " + carol + " is denied because no identity-based policy allows the iam:GetUser "
            "action. The policies test context keys that were not given: aws:SourceIp."
        )
        entries = [
            {
                "context_key_name": "aws:username",
                "context_key_values": ["carol"],
                "context_key_type": "string",
            },
            {
                "context_key_name": "aws:SourceIp",
                "context_key_values": ["10.1.2.3"],
                "context_key_type": "ip",
            },
        ]
        given = signed("POST", PRINCIPAL, root_key, {**body, "context_entries": entries}).json()["items"]
        assert [(r["eval_decision"], r["missing_context_values"]) for r in given] == [
            ("allowed", []),
            ("allowed", []),
        ]

    def test_list_types_take_several_values(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="dave")
        tagged = f.allow(
            "iam:TagUser", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}}
        )
        policy_attachments.put_user_policy(
            ctx, user_name="dave", policy_name="Tags", policy_document=f.document(tagged)
        )
        body = {"policy_source_arn": f"arn:aws:iam::{acct}:user/dave", "action_names": ["iam:TagUser"]}
        entry = {"context_key_name": "aws:TagKeys", "context_key_type": "stringList"}
        ok = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {**body, "context_entries": [{**entry, "context_key_values": ["team", "cost"]}]},
        )
        bad = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {**body, "context_entries": [{**entry, "context_key_values": ["team", "owner"]}]},
        )
        assert (decisions(ok), decisions(bad)) == (
            [("iam:TagUser", "*", "allowed")],
            [("iam:TagUser", "*", "implicitDeny")],
        )

    @pytest.mark.parametrize(
        ("entries", "message"),
        [
            (
                [
                    {
                        "context_key_name": "aws:SourceIp",
                        "context_key_values": ["nowhere"],
                        "context_key_type": "ip",
                    }
                ],
                "The value 'nowhere' of context key aws:SourceIp is not a valid ip.",
            ),
            (
                [
                    {
                        "context_key_name": "aws:MultiFactorAuthAge",
                        "context_key_values": ["old"],
                        "context_key_type": "numeric",
                    }
                ],
                "The value 'old' of context key aws:MultiFactorAuthAge is not a valid numeric.",
            ),
            (
                [
                    {
                        "context_key_name": "aws:CurrentTime",
                        "context_key_values": ["yesterday"],
                        "context_key_type": "date",
                    }
                ],
                "The value 'yesterday' of context key aws:CurrentTime is not a valid date.",
            ),
            (
                [
                    {
                        "context_key_name": "aws:SecureTransport",
                        "context_key_values": ["yes"],
                        "context_key_type": "boolean",
                    }
                ],
                "The value 'yes' of context key aws:SecureTransport is not a valid boolean.",
            ),
            (
                [
                    {
                        "context_key_name": "aws:username",
                        "context_key_values": ["a", "b"],
                        "context_key_type": "string",
                    }
                ],
                "The context key aws:username of type string takes exactly one value; use stringList for several.",
            ),
            (
                [
                    {
                        "context_key_name": "aws:username",
                        "context_key_values": ["a"],
                        "context_key_type": "string",
                    },
                    {
                        "context_key_name": "AWS:UserName",
                        "context_key_values": ["b"],
                        "context_key_type": "string",
                    },
                ],
                "The context key AWS:UserName is given more than once.",
            ),
        ],
    )
    def test_context_entries_its_type_cannot_read_are_invalid_input(
        self, signed, root_key, alice, entries, message
    ):
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {"policy_source_arn": alice, "action_names": ["iam:GetUser"], "context_entries": entries},
        )
        assert error(response) == (400, "InvalidInput", message)

    def test_bad_fields_are_validation_errors_naming_them(self, signed, root_key, alice):
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {
                "policy_source_arn": alice,
                "action_names": [],
                "context_entries": [
                    {"context_key_name": "aws:x", "context_key_values": [], "context_key_type": "text"}
                ],
            },
        )
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {
            "action_names": ["Ensure this field has at least 1 elements."],
            "context_entries.0.context_key_type": ['"text" is not a valid choice.'],
        }

    @pytest.mark.parametrize(
        ("arn", "status", "code", "message"),
        [
            (
                "arn:aws:iam::{acct}:user/ghost",
                404,
                "NoSuchEntity",
                "The user with name ghost cannot be found.",
            ),
            (
                "arn:aws:iam::{acct}:user/ALICE",
                404,
                "NoSuchEntity",
                "The user with name ALICE cannot be found.",
            ),
            (
                "arn:aws:iam::{acct}:user/eng/alice",
                404,
                "NoSuchEntity",
                "The user with name alice cannot be found.",
            ),
            (
                "arn:aws:iam::{acct}:role/ghost",
                404,
                "NoSuchEntity",
                "The role with name ghost cannot be found.",
            ),
            (
                "arn:aws:iam::{acct}:group/ghost",
                404,
                "NoSuchEntity",
                "The group with name ghost cannot be found.",
            ),
            (
                "arn:aws:iam::123456789012:user/alice",
                404,
                "NoSuchEntity",
                "The user with name alice cannot be found.",
            ),
            (
                "arn:aws:iam::{acct}:root",
                400,
                "InvalidInput",
                "ARN arn:aws:iam::{acct}:root is not a valid user, group or role ARN.",
            ),
            (
                "arn:aws:iam::aws:policy/AdministratorAccess",
                400,
                "InvalidInput",
                "ARN arn:aws:iam::aws:policy/AdministratorAccess is not a valid user, group or role ARN.",
            ),
        ],
    )
    def test_a_principal_that_is_not_there_is_no_such_entity(
        self, signed, root_key, alice, acct, arn, status, code, message
    ):
        arn = arn.format(acct=acct)
        response = signed(
            "POST", PRINCIPAL, root_key, {"policy_source_arn": arn, "action_names": ["iam:GetUser"]}
        )
        assert error(response) == (status, code, message.format(acct=acct))

    def test_another_accounts_user_of_the_same_name_is_not_simulated(self, signed, root_key, alice):
        other = f.root_context()
        users.create_user(other, user_name="alice")
        arn = f"arn:aws:iam::{other.account.account_id}:user/alice"
        response = signed(
            "POST", PRINCIPAL, root_key, {"policy_source_arn": arn, "action_names": ["iam:GetUser"]}
        )
        assert error(response) == (404, "NoSuchEntity", "The user with name alice cannot be found.")

    def test_a_user_without_the_permission_is_denied_and_the_denial_audited(
        self, signed, nobody_key, alice, acct
    ):
        response = signed(
            "POST", PRINCIPAL, nobody_key, {"policy_source_arn": alice, "action_names": ["iam:GetUser"]}
        )
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:SimulatePrincipalPolicy", alice),
        )
        event = AuditEvent.objects.get(action="iam:SimulatePrincipalPolicy")
        assert (event.outcome, event.error_code, event.channel, event.target_arn) == (
            "denied",
            "AccessDenied",
            "rest",
            alice,
        )

    def test_a_user_allowed_on_that_principal_only_may_simulate_it_and_nothing_is_audited(
        self, signed, ctx, alice, acct
    ):
        iam_user(ctx, "auditor")
        grant = f.allow("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{acct}:user/alice")
        f.put_user_policy(User.objects.get(user_name="auditor"), "sim", grant)
        key = issue_key(ctx, "auditor")
        before = AuditEvent.objects.count()
        ok = signed("POST", PRINCIPAL, key, {"policy_source_arn": alice, "action_names": ["iam:GetUser"]})
        assert decisions(ok) == [("iam:GetUser", "*", "allowed")]
        assert AuditEvent.objects.count() == before  # a read: no audit row on success
        other = f"arn:aws:iam::{acct}:user/auditor"
        refused = signed(
            "POST", PRINCIPAL, key, {"policy_source_arn": other, "action_names": ["iam:GetUser"]}
        )
        assert error(refused)[:2] == (403, "AccessDenied")
        assert simulation_events() == 1

    def test_the_number_of_queries_does_not_grow_with_the_policies(self, signed, root_key, ctx, alice):
        body = {"policy_source_arn": alice, "action_names": ["iam:GetUser", "iam:DeleteUser"]}
        signed("POST", PRINCIPAL, root_key, body)  # warm the caches a later request finds warm

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("POST", PRINCIPAL, root_key, body).status_code == 200
            return len(queries)

        few = count()
        for i in range(6):
            policy_attachments.put_user_policy(
                ctx, user_name="alice", policy_name=f"p{i}", policy_document=READ
            )
            extra = policy_services.create_policy(ctx, policy_name=f"m{i}", policy_document=NO_DELETE)
            policy_attachments.attach_group_policy(ctx, group_name="Creators", policy_arn=extra.arn)
            policy_attachments.put_group_policy(
                ctx, group_name="Creators", policy_name=f"g{i}", policy_document=READ
            )
        assert count() == few

    def test_decisions_agree_with_authorize_for_the_same_requests(self, signed, root_key, ctx, acct):
        """The simulator reads a user's policies as authorize() does: given the context authorize()
        builds, every decision is the same."""
        boundary = policy_services.create_policy(
            ctx,
            policy_name="Bound",
            policy_document=f.document(f.allow(["iam:Get*", "iam:List*", "iam:CreateUser"])),
        )
        user = users.create_user(
            ctx, user_name="erin", permissions_boundary=boundary.arn, tags=[{"Key": "team", "Value": "web"}]
        )
        own = f.allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")
        by_tag = f.allow("iam:ListGroups", Condition={"StringEquals": {"aws:PrincipalTag/team": "web"}})
        policy_attachments.put_user_policy(
            ctx, user_name="erin", policy_name="own", policy_document=f.document(own, by_tag)
        )
        groups.create_group(ctx, group_name="Ops")
        groups.add_user_to_group(ctx, group_name="Ops", user_name="erin")
        writes = policy_services.create_policy(
            ctx,
            policy_name="Writes",
            policy_document=f.document(f.allow(["iam:CreateUser", "iam:DeleteUser", "iam:ListRoles"])),
        )
        policy_attachments.attach_group_policy(ctx, group_name="Ops", policy_arn=writes.arn)
        policy_attachments.put_group_policy(
            ctx, group_name="Ops", policy_name="deny", policy_document=f.document(f.deny("iam:ListRoles"))
        )
        as_erin = f.context_for(user)
        actions = [
            "iam:GetUser",
            "iam:ListGroups",
            "iam:CreateUser",
            "iam:DeleteUser",
            "iam:ListRoles",
            "iam:GetRole",
        ]
        resources = [f"arn:aws:iam::{acct}:user/erin", f"arn:aws:iam::{acct}:user/frank", "*"]
        entries = [
            {"context_key_name": key, "context_key_values": [value], "context_key_type": "string"}
            for key, value in authz.request_context(as_erin).items()
        ]
        response = signed(
            "POST",
            PRINCIPAL,
            root_key,
            {
                "policy_source_arn": user.arn,
                "action_names": actions,
                "resource_arns": resources,
                "context_entries": entries,
            },
        )
        simulated = {
            (r["eval_action_name"], r["eval_resource_name"]): r["eval_decision"] == "allowed"
            for r in response.json()["items"]
        }
        expected = {(a, r): authz.is_allowed(as_erin, a, r) for a in actions for r in resources}
        assert simulated == expected
        # GetUser on erin only (${aws:username}), ListGroups (by tag) and CreateUser on all three; the
        # boundary refuses DeleteUser, an explicit deny ListRoles, nothing allows GetRole.
        assert sum(expected.values()) == 7
        assert not any(
            allowed for (a, _), allowed in expected.items() if a in ("iam:DeleteUser", "iam:ListRoles")
        )


class SimulateCustomPolicyTests:
    def test_the_documents_given_decide_and_name_their_input(self, signed, root_key):
        office = f.allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
        response = signed(
            "POST",
            CUSTOM,
            root_key,
            {
                "policy_input_list": [f.document(office), NO_DELETE],
                "permissions_boundary_policy_input_list": [f.document(f.allow(["s3:Get*", "iam:*"]))],
                "action_names": ["s3:GetObject", "s3:PutObject", "iam:DeleteUser"],
                "resource_arns": ["arn:aws:s3:::reports/q1.csv"],
                "context_entries": [
                    {
                        "context_key_name": "aws:SourceIp",
                        "context_key_values": ["10.1.2.3"],
                        "context_key_type": "ip",
                    }
                ],
            },
        )
        assert response.status_code == 200
        get, put, delete = response.json()["items"]
        assert get == {
            "eval_action_name": "s3:GetObject",
            "eval_resource_name": "arn:aws:s3:::reports/q1.csv",
            "eval_decision": "allowed",
            "decided_by": "identity",
            "matched_statements": [
                {
                    "source_policy_id": "PolicyInputList.1",
                    "source_policy_type": "none",
                    "policy_arn": None,
                    "policy_type": "identity",
                    "statement_index": 0,
                    "sid": None,
                    "effect": "Allow",
                    "start_position": {"line": 1, "column": 41},
                    "end_position": {"line": 1, "column": 154},
                },
                {
                    "source_policy_id": "PermissionsBoundaryPolicyInputList.1",
                    "source_policy_type": "none",
                    "policy_arn": None,
                    "policy_type": "boundary",
                    "statement_index": 0,
                    "sid": None,
                    "effect": "Allow",
                    "start_position": {"line": 1, "column": 41},
                    "end_position": {"line": 1, "column": 108},
                },
            ],
            "missing_context_values": [],
            "permissions_boundary_decision_detail": {"allowed_by_permissions_boundary": True},
            "explanation": "s3:GetObject on arn:aws:s3:::reports/q1.csv is allowed by an identity-based policy "
            "within the permissions boundary.",
        }
        assert (put["eval_decision"], put["decided_by"]) == ("implicitDeny", "boundary")
        assert (delete["eval_decision"], [m["source_policy_id"] for m in delete["matched_statements"]]) == (
            "explicitDeny",
            ["PolicyInputList.2"],
        )

    def test_without_a_boundary_there_is_no_boundary_detail(self, signed, root_key):
        response = signed(
            "POST",
            CUSTOM,
            root_key,
            {"policy_input_list": [f.document(f.allow("iam:*"))], "action_names": ["iam:GetUser"]},
        )
        (result,) = response.json()["items"]
        assert (result["eval_decision"], result["permissions_boundary_decision_detail"]) == ("allowed", None)

    def test_a_malformed_document_is_named_with_the_engines_located_message(self, signed, root_key):
        bad = '{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}'
        response = signed(
            "POST",
            CUSTOM,
            root_key,
            {"policy_input_list": [f.document(f.allow()), bad], "action_names": ["iam:GetUser"]},
        )
        assert error(response) == (
            400,
            "MalformedPolicyDocument",
            'PolicyInputList.2: Invalid effect: The effect "allow" is not valid. Use Allow or Deny (they are '
            "case sensitive). (line 1, column 52, Statement[0].Effect)",
        )

    def test_one_permissions_boundary_at_most(self, signed, root_key):
        doc = f.document(f.allow())
        response = signed(
            "POST",
            CUSTOM,
            root_key,
            {
                "policy_input_list": [doc],
                "permissions_boundary_policy_input_list": [doc, doc],
                "action_names": ["iam:GetUser"],
            },
        )
        assert response.json()["error"]["fields"] == {
            "permissions_boundary_policy_input_list": ["Ensure this field has no more than 1 elements."]
        }

    def test_a_user_without_the_permission_is_denied_and_a_user_with_it_is_not_audited(
        self, signed, ctx, nobody_key, acct
    ):
        body = {"policy_input_list": [f.document(f.allow())], "action_names": ["iam:GetUser"]}
        assert error(signed("POST", CUSTOM, nobody_key, body)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:SimulateCustomPolicy", "*"),
        )
        assert list(
            AuditEvent.objects.filter(action="iam:SimulateCustomPolicy").values_list("outcome", "channel")
        ) == [("denied", "rest")]
        iam_user(ctx, "tester")
        f.put_user_policy(User.objects.get(user_name="tester"), "sim", f.allow("iam:SimulateCustomPolicy"))
        assert signed("POST", CUSTOM, issue_key(ctx, "tester"), body).status_code == 200
        assert simulation_events() == 1

    def test_unsigned_requests_are_refused(self, api):
        response = api.post(
            CUSTOM, {"policy_input_list": ["{}"], "action_names": ["iam:GetUser"]}, format="json"
        )
        assert error(response) == (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )


class SimulationSelectorTests:
    """The selectors' own checks, in AWS's words for the Query API (the REST API checks first)."""

    def test_action_names_are_required(self, ctx):
        with pytest.raises(ValidationError) as raised:
            simulation.simulate_custom_policy(ctx, policy_input_list=[f.document(f.allow())], action_names=[])
        assert raised.value.message == (
            "1 validation error detected: Value '[]' at 'actionNames' failed to satisfy constraint: Member must not be null"
        )

    def test_a_short_action_name_is_named_by_its_position(self, ctx):
        with pytest.raises(ValidationError) as raised:
            simulation.simulate_custom_policy(
                ctx, policy_input_list=[f.document(f.allow())], action_names=["iam:GetUser", "x"]
            )
        assert raised.value.message == (
            "1 validation error detected: Value 'x' at 'actionNames.2.member' failed to satisfy constraint: "
            "Member must have length between 3 and 128"
        )

    def test_a_context_key_type_outside_the_enum(self, ctx):
        entry = {"ContextKeyName": "aws:username", "ContextKeyValues": ["a"], "ContextKeyType": "text"}
        with pytest.raises(ValidationError) as raised:
            simulation.simulate_custom_policy(
                ctx,
                policy_input_list=[f.document(f.allow())],
                action_names=["iam:GetUser"],
                context_entries=[entry],
            )
        assert raised.value.message.startswith(
            "1 validation error detected: Value 'text' at 'contextEntries.1.member.contextKeyType' failed to "
            "satisfy constraint: Member must satisfy enum value set: [string, stringList, numeric,"
        )

    def test_the_root_user_is_allowed_and_nothing_is_written(self, ctx, acct):
        users.create_user(ctx, user_name="zed")
        before = AuditEvent.objects.count()
        page = simulation.simulate_principal_policy(
            ctx, policy_source_arn=f"arn:aws:iam::{acct}:user/zed", action_names=["iam:GetUser"]
        )
        assert [(r.eval_decision, r.decided_by) for r in page.items] == [("implicitDeny", "identity")]
        assert AuditEvent.objects.count() == before
