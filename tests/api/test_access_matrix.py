"""/api/v1/access-matrix/: WhoCan and ListPrincipalActions (portal extensions), signed with SigV4 through
the test client: shapes, pages, AWS codes and statuses, the audited denial."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from accounts.models import AuditEvent
from accounts.services import groups, policy_attachments, users
from tests import factories as f

from .conftest import denial, error, issue_key

pytestmark = pytest.mark.django_db
WHO_CAN = "/api/v1/access-matrix/who-can/"
ACTIONS = "/api/v1/access-matrix/principal-actions/"


def url(base: str, **params) -> str:
    return f"{base}?{urlencode(params, doseq=True)}"


@pytest.fixture
def account(ctx, acct):
    admin = f.managed_policy(ctx.account, "Admin", f.allow())
    groups.create_group(ctx, group_name="admins")
    policy_attachments.attach_group_policy(ctx, group_name="admins", policy_arn=admin.arn)
    for name in ("alice", "bob", "carol"):
        users.create_user(ctx, user_name=name)
    groups.add_user_to_group(ctx, group_name="admins", user_name="alice")
    policy_attachments.put_user_policy(
        ctx,
        user_name="bob",
        policy_name="Mfa",
        policy_document=f.document(
            f.allow("iam:DeleteUser", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
        ),
    )
    groups.add_user_to_group(ctx, group_name="admins", user_name="carol")
    policy_attachments.put_user_policy(
        ctx, user_name="carol", policy_name="No", policy_document=f.document(f.deny("iam:DeleteUser"))
    )
    return admin


class WhoCanTests:
    def test_lists_the_allowed_principals_with_their_grants(self, signed, root_key, acct, account):
        response = signed("GET", url(WHO_CAN, action_name="iam:DeleteUser"), root_key)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-cache"
        assert response.json() == {
            "items": [
                {
                    "principal_arn": f"arn:aws:iam::{acct}:user/alice",
                    "principal_type": "User",
                    "principal_name": "alice",
                    "decision": "allowed",
                    "actions": ["iam:DeleteUser"],
                    "grants": [
                        {
                            "policy_name": "Admin",
                            "policy_arn": account.arn,
                            "source": "user-managed",
                            "via_group": "admins",
                            "layer": "identity",
                            "statement_index": 0,
                            "sid": None,
                            "effect": "Allow",
                        }
                    ],
                    "missing_context_values": [],
                }
            ],
            "is_truncated": False,
            "marker": None,
        }

    def test_context_include_denied_and_pages(self, signed, root_key, account):
        query = url(
            WHO_CAN,
            action_name="iam:DeleteUser",
            resource_arn="*",
            include_denied="true",
            context=["aws:MultiFactorAuthPresent=true"],
            max_items=2,
        )
        first = signed("GET", query, root_key).json()
        assert [(i["principal_name"], i["decision"]) for i in first["items"]] == [
            ("alice", "allowed"),
            ("bob", "allowed"),
        ]
        assert first["is_truncated"]
        rest = signed("GET", f"{query}&{urlencode({'marker': first['marker']})}", root_key).json()
        assert [(i["principal_name"], i["decision"]) for i in rest["items"]] == [("carol", "explicitDeny")]
        assert rest["items"][0]["grants"][0]["policy_name"] == "No"

    def test_a_pattern_lists_the_matching_actions(self, signed, root_key, account):
        body = signed("GET", url(WHO_CAN, action_name="iam:DeleteUser*"), root_key).json()
        assert body["items"][0]["actions"] == [
            "iam:DeleteUser",
            "iam:DeleteUserPermissionsBoundary",
            "iam:DeleteUserPolicy",
        ]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"action_name": "iam:Nope"}, (400, "InvalidInput", "Action iam:Nope is not an action of iam.")),
            (
                {"action_name": "iam:GetUser", "resource_arn": "users"},
                (400, "InvalidInput", "ARN users is not valid."),
            ),
            (
                {"action_name": "iam:GetUser", "context": ["novalue"]},
                (400, "ValidationError", "1 validation error detected: context.0: Must be key=value"),
            ),
            (
                {"action_name": "iam:GetUser", "context": ["badkey=1"]},
                (400, "InvalidInput", "Context key badkey is not valid: use prefix:Name, e.g. aws:SourceIp."),
            ),
            (
                {},
                (400, "ValidationError", "1 validation error detected: action_name: This field is required"),
            ),
        ],
    )
    def test_bad_input_is_a_400(self, signed, root_key, params, expected):
        assert error(signed("GET", url(WHO_CAN, **params), root_key)) == expected

    def test_a_user_without_permission_is_denied_and_audited(self, signed, ctx, acct):
        users.create_user(ctx, user_name="nobody")
        response = signed("GET", url(WHO_CAN, action_name="iam:GetUser"), issue_key(ctx, "nobody"))
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetAccountAuthorizationDetails", "*"),
        )
        event = AuditEvent.objects.get(action="iam:GetAccountAuthorizationDetails")
        assert (event.outcome, event.channel) == ("denied", "rest")


class ListPrincipalActionsTests:
    def test_the_principal_and_a_page_of_its_actions(self, signed, root_key, acct, account):
        arn = f"arn:aws:iam::{acct}:user/bob"
        body = signed("GET", url(ACTIONS, principal_arn=arn, max_items=1), root_key).json()
        assert {
            k: body[k] for k in ("principal_arn", "principal_type", "principal_name", "resource_arn")
        } == {
            "principal_arn": arn,
            "principal_type": "User",
            "principal_name": "bob",
            "resource_arn": "*",
        }
        assert body["items"] == [
            {
                "action": "iam:DeleteUser",
                "service": "iam",
                "access_level": "Write",
                "access": "conditional",
                "grants": [
                    {
                        "policy_name": "Mfa",
                        "policy_arn": None,
                        "source": "user",
                        "via_group": None,
                        "layer": "identity",
                        "statement_index": 0,
                        "sid": None,
                        "effect": "Allow",
                    }
                ],
                "missing_context_values": ["aws:MultiFactorAuthPresent"],
            }
        ]
        assert body["is_truncated"]
        rest = signed("GET", url(ACTIONS, principal_arn=arn, marker=body["marker"]), root_key).json()
        assert [i["action"] for i in rest["items"]] == ["sts:GetCallerIdentity"]

    def test_an_unknown_principal_is_404(self, signed, root_key, acct):
        response = signed("GET", url(ACTIONS, principal_arn=f"arn:aws:iam::{acct}:user/ghost"), root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")

    def test_a_group_arn_is_a_400(self, signed, root_key, acct, account):
        arn = f"arn:aws:iam::{acct}:group/admins"
        assert error(signed("GET", url(ACTIONS, principal_arn=arn), root_key)) == (
            400,
            "InvalidInput",
            f"ARN {arn} is not a valid user or role ARN.",
        )

    def test_denied_without_simulate_permission(self, signed, ctx, acct, account):
        users.create_user(ctx, user_name="nobody")
        arn = f"arn:aws:iam::{acct}:user/alice"
        response = signed("GET", url(ACTIONS, principal_arn=arn), issue_key(ctx, "nobody"))
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:SimulatePrincipalPolicy", arn),
        )
        assert f.events("iam:SimulatePrincipalPolicy") == [("denied", "AccessDenied")]
