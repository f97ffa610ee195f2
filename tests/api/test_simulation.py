"""/api/v1/simulation/principal/ and /api/v1/simulation/custom/ (policies/simulation.py) through the
test client, signed with SigV4: decisions, matched statements and their places, boundaries, context
entries, pages, errors, authorization, no audit row on success, query counts, and agreement with
authorize() on the same requests; one result per action, aggregated over its resources as AWS's
EvaluationResult is (the most restrictive decision, the statements that decided it, where the
missing context keys go, each policy type's and the boundary's verdict, pages of actions)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import authz
from accounts.models import AuditEvent, User
from accounts.services import groups, policy_attachments, roles, users
from iam_portal.errors import (
    AccessDeniedError,
    InvalidInputError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    ValidationError,
)
from policies import context_keys, simulation
from policies import services as policy_services
from policies.models import UserPolicy
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


def per_resource(result: dict) -> list[tuple[str, str]]:
    return [
        (r["eval_resource_name"], r["eval_resource_decision"]) for r in result["resource_specific_results"]
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
                    "source_entity": "alice",
                    "source_entity_arn": alice,
                }
            ],
            "missing_context_values": [],
            "permissions_boundary_decision_detail": None,
            "eval_decision_details": None,  # "*" in one account: AWS leaves it out
            "resource_specific_results": [],  # only for a named resource
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
                "source_entity": None,
                "source_entity_arn": None,
            }
        ]
        assert delete_user["explanation"] == (
            "iam:DeleteUser on * is denied with an explicit deny in an identity-based policy."
        )
        assert create_user["eval_decision"] == "allowed"
        assert [
            (m["source_policy_id"], m["source_policy_type"], m["source_entity"], m["source_entity_arn"])
            for m in create_user["matched_statements"]
        ] == [("Create", "group", "Creators", f"arn:aws:iam::{acct}:group/Creators")]
        assert create_role == {
            **create_role,
            "eval_decision": "implicitDeny",
            "matched_statements": [],
            "explanation": "iam:CreateRole on * is denied because no identity-based policy allows the "
            "iam:CreateRole action.",
        }

    def test_one_result_per_action_each_resource_in_the_order_given(self, signed, root_key, alice, acct):
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
        # EvalResourceName at the top is the action's ARN template: "*", the catalogue knowing none.
        assert decisions(response) == [
            ("iam:GetUser", "*", "allowed"),
            ("iam:DeleteUser", "*", "explicitDeny"),
        ]
        get_user, delete_user = response.json()["items"]
        assert per_resource(get_user) == [(me, "allowed"), (bob, "allowed")]
        assert per_resource(delete_user) == [(me, "explicitDeny"), (bob, "explicitDeny")]
        assert get_user["explanation"] == "iam:GetUser is allowed on each of the 2 resources."
        assert [r["explanation"] for r in get_user["resource_specific_results"]] == [
            f"iam:GetUser on {me} is allowed by an identity-based policy.",
            f"iam:GetUser on {bob} is allowed by an identity-based policy.",
        ]
        # The same statement decided both resources: at the top it is listed once.
        assert [m["source_policy_id"] for m in delete_user["matched_statements"]] == ["NoDelete"]

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

    def test_only_the_page_asked_for_is_evaluated_of_a_million_pairs(self, signed, root_key, alice, acct):
        actions = [f"iam:GetUser{i:03}" for i in range(1000)]
        resources = [f"arn:aws:iam::{acct}:user/u{i:03}" for i in range(1000)]
        body = {"policy_source_arn": alice, "action_names": actions, "resource_arns": resources}
        # A thousand resources: a page holds one action (1,000 evaluations), whatever max_items says.
        first = signed("POST", PRINCIPAL + "?max_items=2", root_key, body).json()
        (action,) = first["items"]
        assert action["eval_action_name"] == "iam:GetUser000"
        assert [r["eval_resource_name"] for r in action["resource_specific_results"]] == resources
        assert first["is_truncated"] is True
        assert first["marker"] == unquote(simulation_marker(1))
        last = signed(
            "POST", f"{PRINCIPAL}?marker={simulation_marker(999)}&max_items=2", root_key, body
        ).json()
        assert [r["eval_action_name"] for r in last["items"]] == ["iam:GetUser999"]
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
        # A named resource: the missing keys are in its ResourceSpecificResult, none at the top.
        assert [
            (
                r["eval_decision"],
                r["missing_context_values"],
                r["resource_specific_results"][0]["missing_context_values"],
            )
            for r in bare
        ] == [
            ("implicitDeny", [], []),  # ${aws:username} has no value: the resource matches nothing
            ("implicitDeny", [], ["aws:SourceIp"]),
        ]
        assert (
            bare[1]["explanation"]
            == bare[1]["resource_specific_results"][0]["explanation"]
            == (
                "iam:GetUser on "
                + carol
                + " is denied because no identity-based policy allows the iam:GetUser "
                "action. The policies test context keys that were not given: aws:SourceIp."
            )
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
        assert [(r["eval_decision"], per_resource(r)) for r in given] == [
            ("allowed", [(carol, "allowed")]),
            ("allowed", [(carol, "allowed")]),
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
        items = response.json()["items"]
        simulated = {
            (r["eval_action_name"], s["eval_resource_name"]): s["eval_resource_decision"] == "allowed"
            for r in items
            for s in r["resource_specific_results"]
        }
        expected = {(a, r): authz.is_allowed(as_erin, a, r) for a in actions for r in resources}
        assert simulated == expected
        # An action is allowed at the top only if every resource allows it (GetUser is allowed on
        # erin only, so the action's decision is implicitDeny).
        assert {r["eval_action_name"]: r["eval_decision"] == "allowed" for r in items} == {
            a: all(expected[(a, r)] for r in resources) for a in actions
        }
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
        matched = [
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
                "source_entity": None,
                "source_entity_arn": None,
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
                "source_entity": None,
                "source_entity_arn": None,
            },
        ]
        explanation = (
            "s3:GetObject on arn:aws:s3:::reports/q1.csv is allowed by an identity-based policy within the "
            "permissions boundary."
        )
        assert get == {
            "eval_action_name": "s3:GetObject",
            "eval_resource_name": "*",  # the ARN template: none known, so "*"
            "eval_decision": "allowed",
            "decided_by": "identity",
            "matched_statements": matched,
            "missing_context_values": [],
            "permissions_boundary_decision_detail": {"allowed_by_permissions_boundary": True},
            "eval_decision_details": {},  # a named resource in one account: present and empty
            "resource_specific_results": [
                {
                    "eval_resource_name": "arn:aws:s3:::reports/q1.csv",
                    "eval_resource_decision": "allowed",
                    "matched_statements": matched,
                    "missing_context_values": [],
                    "eval_decision_details": None,  # a resource's details: across accounts only
                    "permissions_boundary_decision_detail": {"allowed_by_permissions_boundary": True},
                    "decided_by": "identity",
                    "explanation": explanation,
                }
            ],
            "explanation": explanation,
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


# --- The rest of AWS's members: PolicyInputList, boundaries given, ResourcePolicy, CallerArn, … -------

BUCKET = "arn:aws:s3:::reports"
OBJECT = "arn:aws:s3:::reports/q1.csv"


def _bucket_policy(principal: object, effect: str = "Allow", action: str = "s3:GetObject") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Share",
                    "Effect": effect,
                    "Principal": principal,
                    "Action": action,
                    "Resource": f"{BUCKET}/*",
                }
            ],
        }
    )


def _one(page) -> simulation.EvaluationResult:
    (result,) = page.items
    return result


def _sources(result) -> list[tuple[str, str, str]]:
    return [(m.source_policy_id, m.source_policy_type, m.policy_type) for m in result.matched_statements]


@pytest.fixture
def dave(ctx, acct) -> str:
    """A user who may read iam:Get* (inline), with a boundary allowing iam:* only."""
    boundary = policy_services.create_policy(
        ctx, policy_name="IamOnly", policy_document=f.document(f.allow("iam:*"))
    )
    users.create_user(ctx, user_name="dave", permissions_boundary=boundary.arn)
    policy_attachments.put_user_policy(
        ctx, user_name="dave", policy_name="Read", policy_document=f.document(f.allow("iam:Get*"))
    )
    return f"arn:aws:iam::{acct}:user/dave"


class SimulationInputTests:
    """simulate_principal_policy's and simulate_custom_policy's further members, as AWS reads them."""

    def test_policy_input_list_adds_policies_to_the_principals_own(self, ctx, dave):
        page = simulation.simulate_principal_policy(
            ctx,
            policy_source_arn=dave,
            action_names=["iam:GetUser", "iam:CreateUser", "iam:DeleteUser"],
            policy_input_list=[f.document(f.allow("iam:CreateUser")), f.document(f.deny("iam:GetUser"))],
        )
        get, create, delete = page.items
        assert (get.eval_decision, _sources(get)) == (
            "explicitDeny",
            [("PolicyInputList.2", "none", "identity")],
        )
        assert (create.eval_decision, _sources(create)) == (
            "allowed",
            [("PolicyInputList.1", "none", "identity"), ("IamOnly", "user-managed", "boundary")],
        )
        assert delete.eval_decision == "implicitDeny"

    def test_a_boundary_given_replaces_the_principals_own(self, ctx, dave):
        s3 = [f.document(f.allow("s3:*"))]
        own = simulation.simulate_principal_policy(
            ctx, policy_source_arn=dave, action_names=["s3:GetObject"], policy_input_list=s3
        )
        assert (_one(own).eval_decision, _one(own).decided_by) == ("implicitDeny", "boundary")
        assert _one(own).allowed_by_permissions_boundary is False
        replaced = simulation.simulate_principal_policy(
            ctx,
            policy_source_arn=dave,
            action_names=["s3:GetObject", "iam:GetUser"],
            policy_input_list=s3,
            permissions_boundary_policy_input_list=[f.document(f.allow("s3:Get*"))],
        )
        s3_get, iam_get = replaced.items
        assert (s3_get.eval_decision, _sources(s3_get)) == (
            "allowed",
            [
                ("PolicyInputList.1", "none", "identity"),
                ("PermissionsBoundaryPolicyInputList.1", "none", "boundary"),
            ],
        )
        assert (iam_get.eval_decision, iam_get.decided_by) == ("implicitDeny", "boundary")

    def test_two_boundaries_are_one_too_many(self, ctx, dave):
        with pytest.raises(ValidationError) as raised:
            simulation.simulate_principal_policy(
                ctx,
                policy_source_arn=dave,
                action_names=["iam:GetUser"],
                permissions_boundary_policy_input_list=[f.document(f.allow())] * 2,
            )
        assert raised.value.message == (
            "1 validation error detected: Value '…' at 'permissionsBoundaryPolicyInputList' failed to "
            "satisfy constraint: Member must have length less than or equal to 1"
        )

    def test_a_resource_policy_naming_the_user_allows_and_is_reported_as_resource(self, ctx, acct):
        users.create_user(ctx, user_name="erin")
        erin = f"arn:aws:iam::{acct}:user/erin"
        page = simulation.simulate_principal_policy(
            ctx,
            policy_source_arn=erin,
            action_names=["s3:GetObject", "s3:PutObject"],
            resource_arns=[OBJECT],
            resource_policy=_bucket_policy({"AWS": erin}),
        )
        get, put = page.items
        assert (get.eval_decision, get.decided_by) == ("allowed", "resource")
        (statement,) = get.matched_statements
        assert statement == simulation.MatchedStatement(
            source_policy_id="ResourcePolicy",
            source_policy_type="resource",
            policy_arn=None,
            policy_type="resource",
            statement_index=0,
            sid="Share",
            effect="Allow",
            start_position=simulation.Position(1, 41),
            end_position=simulation.Position(1, 200),
        )
        assert (put.eval_decision, put.matched_statements) == ("implicitDeny", ())
        assert get.eval_decision_details == {}  # a named resource in one account
        (specific,) = get.resource_specific_results
        assert (specific.eval_resource_name, specific.eval_resource_decision) == (OBJECT, "allowed")

    def test_a_deny_in_the_resource_policy_wins_over_the_users_allow(self, ctx, dave, acct):
        page = simulation.simulate_principal_policy(
            ctx,
            policy_source_arn=dave,
            action_names=["iam:GetUser"],
            resource_arns=[f"arn:aws:iam::{acct}:user/dave"],
            resource_policy=_bucket_policy("*", "Deny", "iam:GetUser").replace(f"{BUCKET}/*", "*"),
        )
        result = _one(page)
        assert (result.eval_decision, result.decided_by, _sources(result)) == (
            "explicitDeny",
            "resource",
            [("ResourcePolicy", "resource", "resource")],
        )

    def test_caller_arn_is_whom_the_resource_policy_sees(self, ctx, dave, acct):
        bob = f"arn:aws:iam::{acct}:user/bob"  # need not exist: it is only the requests' principal
        shared = _bucket_policy({"AWS": bob})
        as_dave = simulation.simulate_principal_policy(
            ctx, policy_source_arn=dave, action_names=["s3:GetObject"], resource_arns=[OBJECT],
            resource_policy=shared,
        )  # fmt: skip
        as_bob = simulation.simulate_principal_policy(
            ctx, policy_source_arn=dave, action_names=["s3:GetObject"], resource_arns=[OBJECT],
            resource_policy=shared, caller_arn=bob,
        )  # fmt: skip
        assert (_one(as_dave).eval_decision, _one(as_bob).eval_decision) == ("implicitDeny", "allowed")

    @pytest.mark.parametrize("source", ["group", "role", "custom"])
    def test_a_resource_policy_needs_a_caller_arn_unless_the_source_is_a_user(self, ctx, acct, source):
        groups.create_group(ctx, group_name="Readers")
        roles.create_role(ctx, role_name="Reader", assume_role_policy_document=TRUST)
        common = {
            "action_names": ["s3:GetObject"],
            "resource_arns": [OBJECT],
            "resource_policy": _bucket_policy("*"),
        }
        if source == "custom":
            call = lambda **more: simulation.simulate_custom_policy(  # noqa: E731
                ctx, policy_input_list=[f.document(f.allow())], **common, **more
            )
        else:
            name = "Readers" if source == "group" else "Reader"
            arn = f"arn:aws:iam::{acct}:{source}/{name}"
            call = lambda **more: simulation.simulate_principal_policy(  # noqa: E731
                ctx, policy_source_arn=arn, **common, **more
            )
        with pytest.raises(InvalidInputError) as raised:
            call()
        assert (
            raised.value.message
            == simulation.CALLER_ARN_REQUIRED
            == (
                "CallerArn is required when a ResourcePolicy is included and the PolicySourceArn is not an IAM user."
            )
        )
        page = call(caller_arn=f"arn:aws:iam::{acct}:user/bob")
        assert _one(page).eval_decision == "allowed"

    @pytest.mark.parametrize(
        "caller",
        [
            "arn:aws:sts::123456789012:assumed-role/Reader/session",
            "arn:aws:iam::123456789012:root",
            "bob",
        ],
    )
    def test_caller_arn_must_be_an_iam_user_group_or_role(self, ctx, caller):
        with pytest.raises(InvalidInputError) as raised:
            simulation.simulate_custom_policy(
                ctx,
                policy_input_list=[f.document(f.allow())],
                action_names=["s3:GetObject"],
                caller_arn=caller,
            )
        assert raised.value.message == f"CallerArn {caller} is not a valid IAM user, group or role ARN."

    def test_a_resource_policy_without_a_principal_is_malformed_and_named(self, ctx, acct):
        with pytest.raises(MalformedPolicyDocumentError) as raised:
            simulation.simulate_custom_policy(
                ctx,
                policy_input_list=[f.document(f.allow())],
                action_names=["s3:GetObject"],
                resource_policy=f.document(f.allow("s3:GetObject")),
                caller_arn=f"arn:aws:iam::{acct}:user/bob",
            )
        assert raised.value.message.startswith("ResourcePolicy: ")
        assert "Principal" in raised.value.message

    def test_resource_owner_makes_an_account_less_resource_another_accounts(self, ctx, acct):
        users.create_user(ctx, user_name="erin")
        erin = f"arn:aws:iam::{acct}:user/erin"
        reader = [f.document(f.allow("s3:GetObject"))]
        common = {"policy_input_list": reader, "action_names": ["s3:GetObject"], "resource_arns": [OBJECT]}
        own = simulation.simulate_principal_policy(ctx, policy_source_arn=erin, **common)
        assert (_one(own).eval_decision, _one(own).eval_decision_details) == ("allowed", {})
        for owner in ("210987654321", "arn:aws:iam::210987654321:root"):
            theirs = simulation.simulate_principal_policy(
                ctx, policy_source_arn=erin, resource_owner=owner, **common
            )
            # Across accounts the identity policies alone are not enough: the resource must allow too.
            assert (_one(theirs).eval_decision, _one(theirs).eval_decision_details) == (
                "implicitDeny",
                {"IAM Policy": "allowed"},
            )
        shared = simulation.simulate_principal_policy(
            ctx, policy_source_arn=erin, resource_owner="210987654321",
            resource_policy=_bucket_policy({"AWS": acct}), **common,
        )  # fmt: skip
        result = _one(shared)
        assert (result.eval_decision, result.eval_decision_details) == (
            "allowed",
            {"IAM Policy": "allowed", "Resource Policy": "allowed"},
        )
        (specific,) = result.resource_specific_results
        assert specific.eval_decision_details == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
        unshared = simulation.simulate_principal_policy(
            ctx, policy_source_arn=erin, resource_owner="210987654321",
            resource_policy=_bucket_policy({"AWS": "111122223333"}), **common,
        )  # fmt: skip
        assert _one(unshared).eval_decision_details == {
            "IAM Policy": "allowed",
            "Resource Policy": "implicitDeny",
        }

    def test_star_in_one_account_has_no_decision_details_and_no_resource_specific_results(self, ctx, dave):
        result = _one(
            simulation.simulate_principal_policy(ctx, policy_source_arn=dave, action_names=["iam:GetUser"])
        )
        assert (result.eval_decision_details, result.resource_specific_results) == (None, ())

    @pytest.mark.parametrize("owner", ["12345678901", "arn:aws:iam::123456789012:user/bob", "me"])
    def test_a_resource_owner_that_is_no_account_is_invalid_input(self, ctx, dave, owner):
        with pytest.raises(InvalidInputError) as raised:
            simulation.simulate_principal_policy(
                ctx, policy_source_arn=dave, action_names=["iam:GetUser"], resource_owner=owner
            )
        assert raised.value.message == f"'{owner}' is not a valid as a Resource Owner."

    def test_resource_handling_option_is_one_of_awss_scenarios(self, ctx, dave):
        page = simulation.simulate_principal_policy(
            ctx, policy_source_arn=dave, action_names=["iam:GetUser"], resource_handling_option="EC2-VPC-EBS"
        )
        assert _one(page).eval_decision == "allowed"  # a scenario name changes no decision
        with pytest.raises(InvalidInputError) as raised:
            simulation.simulate_principal_policy(
                ctx,
                policy_source_arn=dave,
                action_names=["iam:GetUser"],
                resource_handling_option="EC2-Classic",
            )
        assert raised.value.message == (
            "Invalid ResourceHandlingOption EC2-Classic: must be one of EC2-VPC-InstanceStore, "
            "EC2-VPC-InstanceStore-Subnet, EC2-VPC-EBS, EC2-VPC-EBS-Subnet."
        )
        with pytest.raises(ValidationError) as raised:
            simulation.simulate_custom_policy(
                ctx, policy_input_list=[f.document(f.allow())], action_names=["iam:GetUser"],
                resource_handling_option="x" * 65,
            )  # fmt: skip
        assert raised.value.message == (
            f"1 validation error detected: Value '{'x' * 65}' at 'resourceHandlingOption' failed to satisfy "
            "constraint: Member must have length between 1 and 64"
        )

    def test_a_resource_that_is_not_an_arn_is_invalid_input(self, ctx, dave):
        with pytest.raises(InvalidInputError) as raised:
            simulation.simulate_principal_policy(
                ctx,
                policy_source_arn=dave,
                action_names=["kms:Decrypt"],
                resource_arns=["*", "14a050d4-021e-4efe-84bb-0871bf6d0fda"],
            )
        assert raised.value.message == (
            "ResourceNames are not in a valid ARN format: 14a050d4-021e-4efe-84bb-0871bf6d0fda."
        )

    def test_nothing_is_audited_and_the_inputs_are_not_stored(self, ctx, dave):
        before = (AuditEvent.objects.count(), UserPolicy.objects.count())
        simulation.simulate_principal_policy(
            ctx, policy_source_arn=dave, action_names=["iam:GetUser"],
            policy_input_list=[f.document(f.allow())], resource_policy=_bucket_policy("*"),
        )  # fmt: skip
        assert (AuditEvent.objects.count(), UserPolicy.objects.count()) == before

    def test_the_rest_api_takes_the_new_members(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="erin")
        erin = f"arn:aws:iam::{acct}:user/erin"
        body = {
            "policy_source_arn": erin,
            "action_names": ["s3:GetObject"],
            "resource_arns": [OBJECT],
            "policy_input_list": [f.document(f.allow("s3:GetObject"))],
            "permissions_boundary_policy_input_list": [f.document(f.allow("s3:*"))],
            "resource_policy": _bucket_policy({"AWS": acct}),
            "resource_owner": "210987654321",
            "resource_handling_option": "EC2-VPC-EBS",
        }
        (result,) = signed("POST", PRINCIPAL, root_key, body).json()["items"]
        assert result["eval_decision"] == "allowed"
        assert result["eval_decision_details"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
        assert [m["source_policy_type"] for m in result["matched_statements"]] == ["none", "none", "resource"]
        bad = signed("POST", CUSTOM, root_key, {"policy_input_list": [f.document(f.allow())],
                                                "action_names": ["s3:GetObject"], "resource_policy": body["resource_policy"]})  # fmt: skip
        assert error(bad) == (400, "InvalidInput", simulation.CALLER_ARN_REQUIRED)
        enum = signed("POST", PRINCIPAL, root_key, {**body, "resource_handling_option": "EC2-Classic"})
        assert enum.status_code == 400


# --- One EvaluationResult per action: the aggregate over its resources ----------------------------------


def _custom(ctx, *documents: str, **members):
    return simulation.simulate_custom_policy(ctx, policy_input_list=list(documents), **members)


class AggregationTests:
    """AWS's current shape: the top-level fields aggregate the action's resources (the most restrictive
    decision, the statements that decided it), each resource's own in ResourceSpecificResults."""

    def test_an_explicit_deny_on_one_resource_is_the_actions_decision_with_only_the_deny(self, ctx, acct):
        bob, admin, carol = (f"arn:aws:iam::{acct}:user/{n}" for n in ("bob", "admin", "carol"))
        document = f.document(
            f.allow("iam:DeleteUser", Sid="Delete"), f.deny("iam:DeleteUser", admin, Sid="Keep")
        )
        result = _one(
            _custom(ctx, document, action_names=["iam:DeleteUser"], resource_arns=[bob, admin, carol])
        )
        assert (result.eval_resource_name, result.eval_decision, result.decided_by) == (
            "*",
            "explicitDeny",
            "identity",
        )
        assert [
            (r.eval_resource_name, r.eval_resource_decision) for r in result.resource_specific_results
        ] == [
            (bob, "allowed"),
            (admin, "explicitDeny"),
            (carol, "allowed"),
        ]
        # Only the statements that contributed to the reported decision: the Deny, not the Allow.
        assert [(m.sid, m.effect) for m in result.matched_statements] == [("Keep", "Deny")]
        assert [[m.sid for m in r.matched_statements] for r in result.resource_specific_results] == [
            ["Delete"],
            ["Keep"],
            ["Delete"],
        ]
        assert result.explanation == (
            "iam:DeleteUser is allowed on 2 and explicitly denied on 1 of the 3 resources: the most "
            "restrictive decision, explicitDeny, is the action's."
        )
        assert result.resource_specific_results[1].explanation == (
            f"iam:DeleteUser on {admin} is denied with an explicit deny in an identity-based policy."
        )

    def test_an_implicit_deny_on_one_resource_outweighs_allows_and_shows_no_statement(self, ctx, acct):
        own, other = f"arn:aws:iam::{acct}:user/alice", f"arn:aws:iam::{acct}:user/bob"
        result = _one(
            _custom(ctx, f.document(f.allow("iam:GetUser", own)), action_names=["iam:GetUser"],
                    resource_arns=[own, other])
        )  # fmt: skip
        assert (result.eval_decision, result.decided_by, result.matched_statements) == (
            "implicitDeny",
            "identity",
            (),
        )
        assert [r.eval_resource_decision for r in result.resource_specific_results] == [
            "allowed",
            "implicitDeny",
        ]
        assert result.explanation == (
            "iam:GetUser is allowed on 1 and implicitly denied on 1 of the 2 resources: the most "
            "restrictive decision, implicitDeny, is the action's."
        )

    def test_explicit_beats_implicit_and_all_three_are_counted(self, ctx, acct):
        a, b, c = (f"arn:aws:iam::{acct}:user/{n}" for n in "abc")
        document = f.document(f.allow("iam:GetUser", a), f.deny("iam:GetUser", b))
        result = _one(_custom(ctx, document, action_names=["iam:GetUser"], resource_arns=[c, a, b]))
        assert result.eval_decision == "explicitDeny"
        assert result.explanation == (
            "iam:GetUser is allowed on 1, explicitly denied on 1 and implicitly denied on 1 of the 3 "
            "resources: the most restrictive decision, explicitDeny, is the action's."
        )

    def test_the_top_lists_the_union_of_the_deciding_statements_once_each(self, ctx, acct):
        a, b, c = (f"arn:aws:iam::{acct}:user/{n}" for n in "abc")
        document = f.document(
            f.allow("iam:GetUser", a, Sid="A"), f.allow("iam:GetUser", [b, c], Sid="BC"),
            f.deny("iam:DeleteUser", a, Sid="NoA"), f.deny("iam:DeleteUser", b, Sid="NoB"),
            f.allow("iam:DeleteUser", Sid="Delete"),
        )  # fmt: skip
        get, delete = _custom(
            ctx, document, action_names=["iam:GetUser", "iam:DeleteUser"], resource_arns=[a, b, c]
        ).items
        assert (get.eval_decision, [m.sid for m in get.matched_statements]) == ("allowed", ["A", "BC"])
        # Two resources explicitly denied by two statements: both; c's Allow did not decide the deny.
        assert (delete.eval_decision, [m.sid for m in delete.matched_statements]) == (
            "explicitDeny",
            ["NoA", "NoB"],
        )

    def test_missing_context_keys_are_at_the_top_only_for_star(self, ctx, acct):
        named = f"arn:aws:iam::{acct}:user/alice"
        document = f.document(
            f.allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            f.allow("iam:GetUser", named, Condition={"Bool": {"aws:SecureTransport": "true"}}),
        )
        star = _one(_custom(ctx, document, action_names=["iam:GetUser"]))
        assert (star.missing_context_values, star.resource_specific_results) == (
            ("aws:SourceIp",),
            (),
        )
        assert _one(_custom(ctx, document, action_names=["iam:GetUser"], resource_arns=["*"])) == star
        both = _one(_custom(ctx, document, action_names=["iam:GetUser"], resource_arns=["*", named]))
        assert both.missing_context_values == ()  # a list of resources: each its own
        assert [(r.eval_resource_name, r.missing_context_values) for r in both.resource_specific_results] == [
            ("*", ("aws:SourceIp",)),
            (named, ("aws:SecureTransport", "aws:SourceIp")),
        ]

    def test_the_boundary_detail_is_false_if_it_refuses_any_resource(self, ctx, acct):
        a, b = f"arn:aws:iam::{acct}:user/a", f"arn:aws:iam::{acct}:user/b"
        result = _one(
            _custom(
                ctx, f.document(f.allow("iam:GetUser")), action_names=["iam:GetUser"], resource_arns=[a, b],
                permissions_boundary_policy_input_list=[f.document(f.allow("iam:GetUser", a))],
            )
        )  # fmt: skip
        assert (result.eval_decision, result.decided_by, result.allowed_by_permissions_boundary) == (
            "implicitDeny",
            "boundary",
            False,
        )
        assert [r.allowed_by_permissions_boundary for r in result.resource_specific_results] == [True, False]
        nothing = _one(
            _custom(ctx, f.document(f.allow()), action_names=["iam:GetUser"], resource_arns=[a, b])
        )
        assert nothing.allowed_by_permissions_boundary is None
        assert [r.allowed_by_permissions_boundary for r in nothing.resource_specific_results] == [None, None]

    def test_decision_details_are_each_policy_types_most_restrictive_across_accounts(self, ctx, acct):
        users.create_user(ctx, user_name="erin")
        shared, private, own = OBJECT, "arn:aws:s3:::private/x", f"arn:aws:iam::{acct}:user/erin"
        result = _one(
            simulation.simulate_principal_policy(
                ctx, policy_source_arn=own, action_names=["s3:GetObject"], resource_arns=[shared, private],
                policy_input_list=[f.document(f.allow("s3:GetObject"))], resource_owner="210987654321",
                resource_policy=_bucket_policy({"AWS": acct}),
            )
        )  # fmt: skip
        assert [
            (r.eval_resource_decision, r.eval_decision_details) for r in result.resource_specific_results
        ] == [
            ("allowed", {"IAM Policy": "allowed", "Resource Policy": "allowed"}),
            ("implicitDeny", {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}),
        ]
        assert (result.eval_decision, result.eval_decision_details) == (
            "implicitDeny",
            {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"},
        )
        # In one account: {} at the top for named resources, nothing per resource, nothing for "*".
        local = _one(
            _custom(ctx, f.document(f.allow()), action_names=["iam:GetUser"], resource_arns=[own, "*"])
        )
        assert (
            local.eval_decision_details,
            [r.eval_decision_details for r in local.resource_specific_results],
        ) == (
            {},
            [None, None],
        )
        assert (
            _one(_custom(ctx, f.document(f.allow()), action_names=["iam:GetUser"])).eval_decision_details
            is None
        )

    def test_pages_count_actions_and_many_resources_shorten_them(self, signed, root_key, alice, acct):
        resources = [f"arn:aws:iam::{acct}:user/u{i}" for i in range(2)]
        body = {
            "policy_source_arn": alice,
            "action_names": ["iam:GetUser", "iam:DeleteUser", "iam:CreateRole"],
            "resource_arns": resources,
        }
        first = signed("POST", PRINCIPAL + "?max_items=2", root_key, body).json()
        assert [(r["eval_action_name"], len(r["resource_specific_results"])) for r in first["items"]] == [
            ("iam:GetUser", 2),
            ("iam:DeleteUser", 2),
        ]
        assert (first["is_truncated"], first["marker"]) == (True, unquote(simulation_marker(2)))
        rest = signed("POST", f"{PRINCIPAL}?marker={first['marker']}&max_items=2", root_key, body)
        assert (decisions(rest), rest.json()["is_truncated"]) == (
            [("iam:CreateRole", "*", "implicitDeny")],
            False,
        )
        # 400 resources: 1,000 evaluations make two actions a page, fewer than max_items asks.
        many = {**body, "resource_arns": [f"arn:aws:iam::{acct}:user/u{i}" for i in range(400)]}
        walked, marker = [], None
        while True:
            query = f"?max_items=100&marker={quote(marker, safe='')}" if marker else "?max_items=100"
            page = signed("POST", PRINCIPAL + query, root_key, many).json()
            walked.append([r["eval_action_name"] for r in page["items"]])
            if not page["is_truncated"]:
                break
            marker = page["marker"]
        assert walked == [["iam:GetUser", "iam:DeleteUser"], ["iam:CreateRole"]]
        assert simulation.MAX_EVALUATIONS_PER_PAGE == 1000

    def test_queries_do_not_grow_with_the_resources(self, ctx, alice, acct):
        def count(n: int) -> int:
            resources = [f"arn:aws:iam::{acct}:user/u{i}" for i in range(n)]
            with CaptureQueriesContext(connection) as queries:
                page = simulation.simulate_principal_policy(
                    ctx, policy_source_arn=alice, action_names=["iam:GetUser", "iam:DeleteUser"],
                    resource_arns=resources,
                )  # fmt: skip
            assert [len(r.resource_specific_results) for r in page.items] == [n, n]
            return len(queries)

        count(1)  # warm the compiled policies
        assert count(1) == count(300)


# --- GetContextKeysForPrincipalPolicy / GetContextKeysForCustomPolicy -----------------------------------

CONTEXT_KEYS_PRINCIPAL = "/api/v1/simulation/context-keys/principal/"
CONTEXT_KEYS_CUSTOM = "/api/v1/simulation/context-keys/custom/"
# AWS's own example: the variable in Resource comes first, then the condition's key.
DYNAMODB = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}},
        },
    }
)


class GetContextKeysTests:
    def test_awss_example_lists_the_resource_variable_then_the_condition_key(self, ctx):
        keys = context_keys.get_context_keys_for_custom_policy(ctx, policy_input_list=[DYNAMODB])
        assert keys == ["aws:username", "aws:CurrentTime"]

    def test_keys_are_listed_once_whatever_their_case_as_first_written(self, ctx):
        first = f.allow(
            "s3:*",
            "arn:aws:s3:::home/${aws:PrincipalTag/team}/*",
            Condition={
                "StringEquals": {"aws:RequestedRegion": "eu-west-1", "s3:prefix": "${aws:username}/"},
                "Null": {"aws:TokenIssueTime": "true"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        )
        second = f.deny(
            "iam:*",
            NotResource="arn:aws:iam::*:user/${AWS:Username}",
            Condition={"Bool": {"AWS:securetransport": "false"}},
        )
        second.pop("Resource")
        keys = context_keys.get_context_keys_for_custom_policy(
            ctx, policy_input_list=[f.document(first), f.document(second)]
        )
        assert keys == [
            "aws:PrincipalTag/team",
            "aws:RequestedRegion",
            "s3:prefix",
            "aws:username",
            "aws:TokenIssueTime",  # a Null test names a key too
            "aws:SecureTransport",
        ]

    def test_before_2012_10_17_a_variable_is_text_and_names_no_key(self, ctx):
        old = json.dumps(
            {
                "Version": "2008-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:username}"}
                ],
            }
        )
        assert context_keys.get_context_keys_for_custom_policy(ctx, policy_input_list=[old]) == []

    def test_a_principals_keys_come_from_its_groups_and_the_documents_given_not_its_boundary(self, ctx, acct):
        boundary = policy_services.create_policy(
            ctx,
            policy_name="OnlyInRegion",
            policy_document=f.document(
                f.allow(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
            ),
        )
        users.create_user(ctx, user_name="fay", permissions_boundary=boundary.arn)
        policy_attachments.put_user_policy(
            ctx, user_name="fay", policy_name="Own", policy_document=f.document(
                f.allow("iam:*", "arn:aws:iam::*:user/${aws:username}"))
        )  # fmt: skip
        groups.create_group(ctx, group_name="Team")
        groups.add_user_to_group(ctx, group_name="Team", user_name="fay")
        policy_attachments.put_group_policy(
            ctx, group_name="Team", policy_name="Tagged", policy_document=f.document(
                f.allow("ec2:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
        )  # fmt: skip
        keys = context_keys.get_context_keys_for_principal_policy(
            ctx,
            policy_source_arn=f"arn:aws:iam::{acct}:user/fay",
            policy_input_list=[
                f.document(f.allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
            ],
        )
        # botocore: "Only context keys referenced by the identity-based policies attached to the
        # specified entity, and any additional policies that you provide, are included": the
        # boundary's aws:RequestedRegion is not.
        assert keys == ["aws:username", "aws:PrincipalTag/team", "aws:MultiFactorAuthPresent"]
        group = context_keys.get_context_keys_for_principal_policy(
            ctx, policy_source_arn=f"arn:aws:iam::{acct}:group/Team"
        )
        assert group == ["aws:PrincipalTag/team"]

    def test_errors_in_awss_words(self, ctx, acct):
        with pytest.raises(NoSuchEntityError) as missing:
            context_keys.get_context_keys_for_principal_policy(
                ctx, policy_source_arn=f"arn:aws:iam::{acct}:role/ghost"
            )
        assert missing.value.message == "The role with name ghost cannot be found."
        with pytest.raises(MalformedPolicyDocumentError) as malformed:
            context_keys.get_context_keys_for_custom_policy(
                ctx, policy_input_list=[f.document(f.allow()), "{"]
            )
        assert malformed.value.message.startswith("PolicyInputList.2: ")
        with pytest.raises(ValidationError) as empty:
            context_keys.get_context_keys_for_custom_policy(ctx, policy_input_list=[])
        assert empty.value.message == (
            "1 validation error detected: Value '[]' at 'policyInputList' failed to satisfy constraint: "
            "Member must not be null"
        )

    def test_rest_endpoints_authorize_with_the_aws_actions_and_audit_only_denials(
        self, signed, ctx, acct, nobody_key, root_key, alice
    ):
        ok = signed("POST", CONTEXT_KEYS_CUSTOM, root_key, {"policy_input_list": [DYNAMODB]})
        assert (ok.status_code, ok.json()) == (
            200,
            {"context_key_names": ["aws:username", "aws:CurrentTime"]},
        )
        own = signed("POST", CONTEXT_KEYS_PRINCIPAL, root_key, {"policy_source_arn": alice})
        assert (own.status_code, own.json()) == (200, {"context_key_names": []})
        refused = signed("POST", CONTEXT_KEYS_PRINCIPAL, nobody_key, {"policy_source_arn": alice})
        assert error(refused) == (
            403, "AccessDenied", denial(acct, "nobody", "iam:GetContextKeysForPrincipalPolicy", alice)
        )  # fmt: skip
        custom = signed("POST", CONTEXT_KEYS_CUSTOM, nobody_key, {"policy_input_list": [DYNAMODB]})
        assert error(custom) == (
            403, "AccessDenied", denial(acct, "nobody", "iam:GetContextKeysForCustomPolicy", "*")
        )  # fmt: skip
        assert [
            (e.action, e.outcome) for e in AuditEvent.objects.filter(action__startswith="iam:GetContextKeys")
        ] == [
            ("iam:GetContextKeysForPrincipalPolicy", "denied"),
            ("iam:GetContextKeysForCustomPolicy", "denied"),
        ]
        bad = signed("POST", CONTEXT_KEYS_CUSTOM, root_key, {"policy_input_list": []})
        assert error(bad)[:2] == (400, "ValidationError")

    def test_the_number_of_queries_does_not_grow_with_the_policies(self, ctx, acct, alice):
        arn = f"arn:aws:iam::{acct}:user/alice"

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                context_keys.get_context_keys_for_principal_policy(ctx, policy_source_arn=arn)
            return len(queries)

        few = count()
        for i in range(5):
            policy_attachments.put_user_policy(
                ctx, user_name="alice", policy_name=f"More{i}", policy_document=f.document(
                    f.allow(Condition={"StringEquals": {f"aws:PrincipalTag/k{i}": "v"}}))
            )  # fmt: skip
            groups.create_group(ctx, group_name=f"G{i}")
            groups.add_user_to_group(ctx, group_name=f"G{i}", user_name="alice")
        assert count() == few
        assert len(context_keys.get_context_keys_for_principal_policy(ctx, policy_source_arn=arn)) == 5


# --- Review findings: the cost of a request, authorization before parsing, characters XML cannot hold --


def _padded(length: int, statement: dict | None = None) -> str:
    """A valid identity policy of exactly `length` characters (white space after the JSON)."""
    text = f.document(statement or f.allow("iam:GetUser"))
    return text + " " * (length - len(text))


def _many_statements(count: int) -> str:
    return f.document(*(f.allow("s3:GetObject", f"arn:aws:s3:::b{i}/*") for i in range(count)))


@pytest.fixture
def stranger(ctx):
    """A request by an IAM user that no policy allows anything."""
    return f.context_for(users.create_user(ctx, user_name="stranger"))


class RequestCostTests:
    def test_the_documents_given_may_total_131072_characters(self, ctx, dave, acct):
        limit = simulation.MAX_GIVEN_POLICY_CHARACTERS
        assert limit == 131_072
        half = limit // 2
        bucket = _bucket_policy({"AWS": f"arn:aws:iam::{acct}:user/dave"})
        fits = {
            "policy_input_list": [_padded(half)],
            "permissions_boundary_policy_input_list": [_padded(half - len(bucket))],
            "resource_policy": bucket,
            "caller_arn": f"arn:aws:iam::{acct}:user/dave",
            "action_names": ["iam:GetUser"],
        }
        assert _one(simulation.simulate_custom_policy(ctx, **fits)).eval_decision == "allowed"
        over = {**fits, "resource_policy": bucket + " "}
        message = (
            f"The policy documents given total {limit + 1} characters: PolicyInputList, "
            f"PermissionsBoundaryPolicyInputList and ResourcePolicy together may have at most {limit}."
        )
        with pytest.raises(InvalidInputError) as custom:
            simulation.simulate_custom_policy(ctx, **over)
        assert custom.value.message == message
        with pytest.raises(InvalidInputError) as principal:
            simulation.simulate_principal_policy(ctx, policy_source_arn=dave, **over)
        assert principal.value.message == message
        # Each document on its own keeps AWS's ValidationError of the member, which comes first.
        with pytest.raises(ValidationError) as one:
            simulation.simulate_custom_policy(
                ctx, policy_input_list=[_padded(limit + 1)], action_names=["iam:GetUser"]
            )
        assert one.value.message == (
            "1 validation error detected: Value '…' at 'policyInputList.1.member' failed to satisfy "
            "constraint: Member must have length less than or equal to 131072"
        )
        with pytest.raises(ValidationError) as resource_policy:
            simulation.simulate_custom_policy(
                ctx, policy_input_list=[_padded(10)], resource_policy=7, action_names=["iam:GetUser"]
            )
        assert resource_policy.value.message == (
            "1 validation error detected: Value '7' at 'resourcePolicy' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )

    def test_the_limit_is_a_400_over_rest(self, signed, root_key):
        body = {
            "policy_input_list": [_padded(70_000), _padded(70_000)],
            "action_names": ["iam:GetUser"],
        }
        assert error(signed("POST", CUSTOM, root_key, body))[:2] == (400, "InvalidInput")

    def test_a_page_counts_the_statements_of_each_action_on_each_resource(self, ctx):
        document = _many_statements(500)
        actions = [f"s3:GetObject{i}" for i in range(150)]

        def page_length(resources: int) -> int:
            page = simulation.simulate_custom_policy(
                ctx,
                policy_input_list=[document],
                action_names=actions,
                resource_arns=[f"arn:aws:s3:::b{i}/k" for i in range(resources)],
                max_items=100,
            )
            assert page.is_truncated
            return len(page.items)

        assert simulation.MAX_STATEMENT_EVALUATIONS_PER_PAGE == 100_000
        # 10 resources times 500 statements: 5,000 checks an action, 20 actions (not the 100 asked for,
        # nor the 100 that 1,000 evaluations would allow).
        assert page_length(10) == 20
        assert page_length(1) == 100  # 200 would fit: MaxItems decides
        assert page_length(400) == 1  # one action passes the budget alone: still one a page
        few = simulation.simulate_custom_policy(
            ctx, policy_input_list=[f.document(f.allow())], action_names=actions, max_items=100
        )
        assert len(few.items) == 100

    @pytest.mark.parametrize("function", ["custom", "context_keys"])
    def test_a_caller_without_the_permission_is_refused_before_any_document_is_parsed(
        self, stranger, monkeypatch, acct, function
    ):
        parsed = []
        monkeypatch.setattr(
            "policies.documents.parse_policy", lambda *a, **k: parsed.append(a) or pytest.fail("parsed")
        )
        with pytest.raises(AccessDeniedError) as denied:
            if function == "custom":
                simulation.simulate_custom_policy(
                    stranger,
                    policy_input_list=["{"],
                    permissions_boundary_policy_input_list=["{"],
                    resource_policy="{",
                    caller_arn=f"arn:aws:iam::{acct}:user/x",
                    action_names=["iam:GetUser"],
                )
            else:
                context_keys.get_context_keys_for_custom_policy(stranger, policy_input_list=["{"])
        assert "is not authorized to perform" in denied.value.message
        assert parsed == []

    def test_a_principals_simulation_and_keys_authorize_before_parsing_too(self, ctx, stranger, alice):
        for call in (
            lambda: simulation.simulate_principal_policy(
                stranger, policy_source_arn=alice, action_names=["iam:GetUser"], policy_input_list=["{"]
            ),
            lambda: context_keys.get_context_keys_for_principal_policy(
                stranger, policy_source_arn=alice, policy_input_list=["{"]
            ),
        ):
            with pytest.raises(AccessDeniedError):  # was MalformedPolicyDocument
                call()
        # The model's checks stay first, as AWS answers them: a ValidationError before AccessDenied.
        with pytest.raises(ValidationError):
            simulation.simulate_custom_policy(
                stranger,
                policy_input_list=["{"],
                permissions_boundary_policy_input_list=["{", "{"],
                action_names=["iam:GetUser"],
            )
        with pytest.raises(InvalidInputError):
            simulation.simulate_custom_policy(
                stranger, policy_input_list=[_padded(70_000), _padded(70_000)], action_names=["iam:GetUser"]
            )


class CharacterTests:
    """Characters outside XML 1.0's Char are refused where the Query API would echo them."""

    @pytest.mark.parametrize(
        ("members", "message"),
        [
            (
                {"action_names": ["iam:Get\x01User"]},
                "ActionNames.member.1 contains the invalid character U+0001.",
            ),
            (
                {"action_names": ["iam:GetUser"], "resource_arns": ["*", "arn:aws:s3:::b/\x1bk"]},
                "ResourceArns.member.2 contains the invalid character U+001B.",
            ),
            (
                {"action_names": ["iam:GetUser"], "caller_arn": "arn:aws:iam::123456789012:user/\ufffe"},
                "CallerArn contains the invalid character U+FFFE.",
            ),
        ],
    )
    def test_control_characters_are_invalid_input(self, ctx, members, message):
        with pytest.raises(InvalidInputError) as raised:
            simulation.simulate_custom_policy(ctx, policy_input_list=[f.document(f.allow())], **members)
        assert raised.value.message == message

    def test_tab_and_characters_beyond_ascii_are_accepted(self, ctx):
        page = simulation.simulate_custom_policy(
            ctx,
            policy_input_list=[f.document(f.allow())],
            action_names=["iam:Get\tUsér"],
            resource_arns=["arn:aws:s3:::b/\U0001f600"],
        )
        assert _one(page).eval_decision == "allowed"
