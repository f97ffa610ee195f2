"""The access matrix (accounts/selectors/access_matrix.py): who_can and principal_actions give the exact
principals, decisions and reasons, agree with authorize() for every principal, and read the account
in a constant number of queries."""

from __future__ import annotations

import json
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.authz import is_allowed
from accounts.context import AssumedRole, RequestContext
from accounts.models import SessionCredential, User
from accounts.selectors.access_matrix import (
    ALL_RESOURCES,
    CATALOGUE,
    CONDITIONAL,
    DENIED,
    SOME_RESOURCES,
    THIS_RESOURCE,
    Grant,
    principal_actions,
    who_can,
)
from accounts.services import groups, policy_attachments, roles, users
from iam_portal.errors import AccessDeniedError, InvalidInputError, NoSuchEntityError
from iam_portal.errors import ValidationError as AwsValidationError
from tests import factories as f

pytestmark = pytest.mark.django_db

TRUST = f.document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def managed(ctx, name: str, *statements: dict):
    return f.managed_policy(ctx.account, name, *statements)


def grant(
    name, arn=None, source="user-managed", via=None, index=0, sid=None, effect="Allow", layer="identity"
):
    return Grant(name, arn, source, via, layer, index, sid, effect)


@pytest.fixture
def crafted(ctx, acct):
    """An account where each principal reaches iam:DeleteUser in its own way."""
    admin = managed(ctx, "Admin", f.allow())
    user_admin = managed(
        ctx,
        "UserAdmin",
        f.allow(["iam:CreateUser", "iam:DeleteUser"], f"arn:aws:iam::{acct}:user/*", Sid="Users"),
    )
    read_only = managed(ctx, "ReadOnly", f.allow(["iam:Get*", "iam:List*"]))
    for name in ("admins", "ops", "blocked"):
        groups.create_group(ctx, group_name=name)
    policy_attachments.attach_group_policy(ctx, group_name="admins", policy_arn=admin.arn)
    policy_attachments.attach_group_policy(ctx, group_name="ops", policy_arn=user_admin.arn)
    policy_attachments.put_group_policy(
        ctx,
        group_name="blocked",
        policy_name="NoDelete",
        policy_document=f.document(f.deny("iam:DeleteUser")),
    )
    for name in ("alice", "bob", "carol", "dave", "frank", "gina", "hank", "ivan"):
        users.create_user(ctx, user_name=name)
    users.create_user(ctx, user_name="erin", permissions_boundary=read_only.arn)
    groups.add_user_to_group(ctx, group_name="admins", user_name="alice")
    policy_attachments.attach_user_policy(ctx, user_name="bob", policy_arn=user_admin.arn)
    policy_attachments.put_user_policy(
        ctx, user_name="carol", policy_name="Own", policy_document=f.document(f.allow("iam:DeleteUser"))
    )
    groups.add_user_to_group(ctx, group_name="admins", user_name="dave")
    groups.add_user_to_group(ctx, group_name="blocked", user_name="dave")
    groups.add_user_to_group(ctx, group_name="admins", user_name="erin")
    policy_attachments.put_user_policy(
        ctx,
        user_name="frank",
        policy_name="AllButDelete",
        policy_document=f.document({"Effect": "Allow", "NotAction": "iam:DeleteUser", "Resource": "*"}),
    )
    groups.add_user_to_group(ctx, group_name="ops", user_name="gina")
    policy_attachments.attach_user_policy(ctx, user_name="gina", policy_arn=user_admin.arn)
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    policy_attachments.put_user_policy(
        ctx,
        user_name="hank",
        policy_name="WithMfa",
        policy_document=f.document(f.allow("iam:DeleteUser", Condition=mfa)),
    )
    policy_attachments.put_user_policy(
        ctx,
        user_name="ivan",
        policy_name="Self",
        policy_document=f.document(f.allow("iam:DeleteUser", f"arn:aws:iam::{acct}:user/${{aws:username}}")),
    )
    roles.create_role(ctx, role_name="deployer", assume_role_policy_document=TRUST)
    roles.create_role(ctx, role_name="auditor", assume_role_policy_document=TRUST)
    policy_attachments.attach_role_policy(ctx, role_name="deployer", policy_arn=admin.arn)
    return {"admin": admin, "user_admin": user_admin, "read_only": read_only}


def names(page) -> list[str]:
    return [row.principal_name for row in page.items]


def by_name(page) -> dict:
    return {row.principal_name: row for row in page.items}


class WhoCanTests:
    def test_lists_each_allowed_principal_with_the_granting_statement_and_group(self, ctx, acct, crafted):
        page = who_can(ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/x")
        assert names(page) == ["alice", "bob", "carol", "gina", "deployer"]
        rows = by_name(page)
        admin, user_admin = crafted["admin"].arn, crafted["user_admin"].arn
        assert rows["alice"].grants == (grant("Admin", admin, via="admins"),)
        assert rows["bob"].grants == (grant("UserAdmin", user_admin, sid="Users"),)
        assert rows["carol"].grants == (grant("Own", source="user"),)
        assert rows["gina"].grants == (
            grant("UserAdmin", user_admin, sid="Users"),
            grant("UserAdmin", user_admin, sid="Users", via="ops"),
        )
        assert rows["deployer"].grants == (grant("Admin", admin),)
        assert (rows["deployer"].principal_type, rows["deployer"].principal_arn) == (
            "Role",
            f"arn:aws:iam::{acct}:role/deployer",
        )
        assert {row.decision for row in page.items} == {"allowed"}
        assert all(row.actions == ("iam:DeleteUser",) for row in page.items)

    def test_explicit_denies_are_listed_only_when_asked_with_the_deny_and_its_group(self, ctx, acct, crafted):
        page = who_can(
            ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/x", include_denied=True
        )
        assert names(page) == ["alice", "bob", "carol", "dave", "gina", "deployer"]
        dave = by_name(page)["dave"]
        assert dave.decision == "explicitDeny"
        assert dave.grants == (grant("NoDelete", source="group", via="blocked", effect="Deny"),)

    def test_a_boundary_limits_and_a_not_action_excludes(self, ctx, acct, crafted):
        page = who_can(ctx, action_name="iam:GetUser", resource_arn=f"arn:aws:iam::{acct}:user/x")
        rows = by_name(page)
        assert "erin" in rows and "frank" in rows
        assert rows["erin"].grants == (
            grant("Admin", crafted["admin"].arn, via="admins"),
            grant("ReadOnly", crafted["read_only"].arn, layer="boundary"),
        )
        erin_delete = who_can(ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/x")
        assert "erin" not in names(erin_delete) and "frank" not in names(erin_delete)

    def test_conditions_read_the_given_context(self, ctx, acct, crafted):
        resource = f"arn:aws:iam::{acct}:user/x"
        assert "hank" not in names(who_can(ctx, action_name="iam:DeleteUser", resource_arn=resource))
        page = who_can(
            ctx,
            action_name="iam:DeleteUser",
            resource_arn=resource,
            context={"aws:MultiFactorAuthPresent": "true"},
        )
        assert by_name(page)["hank"].grants == (grant("WithMfa", source="user"),)

    def test_policy_variables_are_the_principals_own(self, ctx, acct, crafted):
        own = who_can(ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/ivan")
        assert "ivan" in names(own)
        other = who_can(ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/hank")
        assert "ivan" not in names(other)

    def test_a_pattern_lists_principals_allowed_any_matching_action_and_which(self, ctx, acct, crafted):
        page = who_can(ctx, action_name="iam:Delete*", resource_arn=f"arn:aws:iam::{acct}:user/x")
        rows = by_name(page)
        assert "frank" in rows and "iam:DeleteUser" not in rows["frank"].actions
        assert "iam:DeleteGroup" in rows["frank"].actions
        assert rows["bob"].actions == ("iam:DeleteUser",)
        expected = len([a for a in CATALOGUE if a.startswith("iam:Delete")])
        assert len(rows["alice"].actions) == expected

    def test_get_caller_identity_needs_no_permission(self, ctx, crafted):
        page = who_can(ctx, action_name="sts:GetCallerIdentity", max_items=1000)
        assert len(page.items) == 11  # nine users and two roles
        assert all(row.grants == () for row in page.items)

    def test_pages_with_marker(self, ctx, acct, crafted):
        first = who_can(
            ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/x", max_items=2
        )
        assert names(first) == ["alice", "bob"] and first.is_truncated
        rest = who_can(
            ctx,
            action_name="iam:DeleteUser",
            resource_arn=f"arn:aws:iam::{acct}:user/x",
            marker=first.marker,
            max_items=10,
        )
        assert names(rest) == ["carol", "gina", "deployer"] and not rest.is_truncated

    @pytest.mark.parametrize(
        ("action", "resource", "error", "message"),
        [
            ("iam:", "*", InvalidInputError, "Action iam: is not valid: use service:ActionName, with * and ? as wildcards."),
            ("iam:Nope", "*", InvalidInputError, "Action iam:Nope is not an action of iam."),
            ("iam:Zz*", "*", InvalidInputError, "Action pattern iam:Zz* matches no action of the catalogue (iam, sts)."),
            ("iam:GetUser", "user/x", InvalidInputError, "ARN user/x is not valid."),
            ("ab", "*", AwsValidationError, "1 validation error detected: Value 'ab' at 'actionName' failed to satisfy constraint: Member must have length between 3 and 128"),
        ],
    )  # fmt: skip
    def test_bad_input_is_an_aws_error(self, ctx, action, resource, error, message):
        with pytest.raises(error) as raised:
            who_can(ctx, action_name=action, resource_arn=resource)
        assert raised.value.message == message
        assert raised.value.http_status == 400

    def test_a_caller_without_permission_is_denied_and_audited(self, ctx, acct):
        nobody = users.create_user(ctx, user_name="nobody")
        with pytest.raises(AccessDeniedError) as raised:
            who_can(f.context_for(nobody), action_name="iam:DeleteUser")
        assert raised.value.message == f.denial(acct, "nobody", "iam:GetAccountAuthorizationDetails", "*")
        assert f.events("iam:GetAccountAuthorizationDetails") == [("denied", "AccessDenied")]

    def test_an_allowed_iam_user_may_ask(self, ctx, crafted):
        alice = User.objects.get(user_name="alice")
        # On "*" only grants on "*" count: bob's and gina's are on user/* (docs/access-matrix.md).
        assert names(who_can(f.context_for(alice), action_name="iam:DeleteUser")) == [
            "alice",
            "carol",
            "deployer",
        ]

    def test_queries_do_not_grow_with_users(self, ctx, acct):
        policy = managed(ctx, "P", f.allow("iam:DeleteUser"))
        groups.create_group(ctx, group_name="g")
        policy_attachments.attach_group_policy(ctx, group_name="g", policy_arn=policy.arn)

        def add(count: int, start: int) -> None:
            for n in range(start, start + count):
                users.create_user(ctx, user_name=f"u{n}")
                groups.add_user_to_group(ctx, group_name="g", user_name=f"u{n}")
                policy_attachments.put_user_policy(
                    ctx,
                    user_name=f"u{n}",
                    policy_name="own",
                    policy_document=f.document(f.allow("iam:GetUser")),
                )
                policy_attachments.attach_user_policy(ctx, user_name=f"u{n}", policy_arn=policy.arn)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                page = who_can(ctx, action_name="iam:*", max_items=1000)
            return len(queries), len(page.items)

        add(5, 0)
        small = count()
        add(10, 5)
        large = count()
        assert (small[1], large[1]) == (5, 15)
        assert small[0] == large[0] == 11  # users, roles, memberships, groups, 6 of policies, versions


class PrincipalActionsTests:
    def actions(self, result) -> dict:
        return {item.action: item for item in result.page.items}

    def test_a_group_admin_may_do_everything_on_all_resources(self, ctx, acct, crafted):
        result = principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/alice", max_items=1000)
        found = self.actions(result)
        assert list(found) == list(CATALOGUE)
        assert {item.access for item in found.values()} == {ALL_RESOURCES}
        assert found["iam:DeleteUser"].grants == (grant("Admin", crafted["admin"].arn, via="admins"),)
        assert found["iam:DeleteUser"].access_level == "Write"
        assert [service for service, _ in result.by_service] == ["iam", "sts"]

    def test_scopes_some_resources_conditional_and_denied(self, ctx, acct, crafted):
        bob = self.actions(
            principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/bob", max_items=1000)
        )
        assert set(bob) == {"iam:CreateUser", "iam:DeleteUser", "sts:GetCallerIdentity"}
        assert bob["iam:DeleteUser"].access == SOME_RESOURCES
        assert bob["iam:DeleteUser"].grants == (grant("UserAdmin", crafted["user_admin"].arn, sid="Users"),)
        hank = self.actions(principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/hank"))
        assert hank["iam:DeleteUser"].access == CONDITIONAL
        assert hank["iam:DeleteUser"].grants == (grant("WithMfa", source="user"),)
        dave_arn = f"arn:aws:iam::{acct}:user/dave"
        dave = self.actions(principal_actions(ctx, principal_arn=dave_arn, max_items=1000))
        assert "iam:DeleteUser" not in dave and dave["iam:GetUser"].access == ALL_RESOURCES
        dave = self.actions(
            principal_actions(ctx, principal_arn=dave_arn, include_denied=True, max_items=1000)
        )
        assert dave["iam:DeleteUser"].access == DENIED
        assert dave["iam:DeleteUser"].grants == (
            grant("NoDelete", source="group", via="blocked", effect="Deny"),
        )

    def test_allowed_on_star_with_a_narrower_deny_is_some_resources(self, ctx, acct, crafted):
        users.create_user(ctx, user_name="kim")
        groups.add_user_to_group(ctx, group_name="admins", user_name="kim")
        keep = f.document(f.deny("iam:DeleteUser", f"arn:aws:iam::{acct}:user/alice"))
        policy_attachments.put_user_policy(ctx, user_name="kim", policy_name="Keep", policy_document=keep)
        kim = self.actions(
            principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/kim", max_items=1000)
        )
        assert kim["iam:DeleteUser"].access == SOME_RESOURCES
        assert kim["iam:DeleteUser"].grants == (grant("Admin", crafted["admin"].arn, via="admins"),)
        assert kim["iam:CreateUser"].access == ALL_RESOURCES
        page = who_can(ctx, action_name="iam:DeleteUser", resource_arn=f"arn:aws:iam::{acct}:user/alice")
        assert "kim" not in names(page)

    def test_a_boundary_caps_the_actions(self, ctx, acct, crafted):
        erin = self.actions(
            principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/erin", max_items=1000)
        )
        assert all(a.split(":")[1].startswith(("Get", "List")) for a in erin if a != "sts:GetCallerIdentity")
        assert erin["iam:GetUser"].access == ALL_RESOURCES

    def test_one_resource(self, ctx, acct, crafted):
        result = principal_actions(
            ctx, principal_arn=f"arn:aws:iam::{acct}:user/ivan", resource_arn=f"arn:aws:iam::{acct}:user/ivan"
        )
        assert {a: item.access for a, item in self.actions(result).items()} == {
            "iam:DeleteUser": THIS_RESOURCE,
            "sts:GetCallerIdentity": THIS_RESOURCE,
        }

    def test_a_role(self, ctx, acct, crafted):
        result = principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:role/auditor")
        assert [item.action for item in result.page.items] == ["sts:GetCallerIdentity"]
        assert result.principal_type == "Role"

    @pytest.mark.parametrize(
        ("arn", "error", "message"),
        [
            ("arn:aws:iam::{acct}:user/ghost", NoSuchEntityError, "The user with name ghost cannot be found."),
            ("arn:aws:iam::{acct}:user/ALICE", NoSuchEntityError, "The user with name ALICE cannot be found."),
            ("arn:aws:iam::111111111111:role/deployer", NoSuchEntityError, "The role with name deployer cannot be found."),
            ("arn:aws:iam::{acct}:group/admins", InvalidInputError, "ARN arn:aws:iam::{acct}:group/admins is not a valid user or role ARN."),
        ],
    )  # fmt: skip
    def test_bad_principal(self, ctx, acct, crafted, arn, error, message):
        with pytest.raises(error) as raised:
            principal_actions(ctx, principal_arn=arn.format(acct=acct))
        assert raised.value.message == message.format(acct=acct)

    def test_denied_without_simulate_permission_audited(self, ctx, acct, crafted):
        nobody = users.create_user(ctx, user_name="nobody")
        with pytest.raises(AccessDeniedError) as raised:
            principal_actions(f.context_for(nobody), principal_arn=f"arn:aws:iam::{acct}:user/alice")
        target = f"arn:aws:iam::{acct}:user/alice"
        assert raised.value.message == f.denial(acct, "nobody", "iam:SimulatePrincipalPolicy", target)
        assert f.events("iam:SimulatePrincipalPolicy") == [("denied", "AccessDenied")]

    def test_queries_are_constant(self, ctx, acct, crafted):
        with CaptureQueriesContext(connection) as queries:
            principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/gina")
        first = len(queries)
        for n in range(5):
            groups.create_group(ctx, group_name=f"extra{n}")
            groups.add_user_to_group(ctx, group_name=f"extra{n}", user_name="gina")
            policy_attachments.put_group_policy(
                ctx,
                group_name=f"extra{n}",
                policy_name="p",
                policy_document=f.document(f.allow("iam:GetRole")),
            )
        with CaptureQueriesContext(connection) as queries:
            principal_actions(ctx, principal_arn=f"arn:aws:iam::{acct}:user/gina")
        assert len(queries) == first == 9  # the user, then its policy graph (no roles)


# --- Agreement with the engine as authorize() runs it --------------------------------------------------


def _random_statement(rng: random.Random, acct: str) -> dict:
    actions = ["iam:DeleteUser", "iam:Get*", "iam:*", "iam:CreateUser", "iam:List*", "sts:*", "*", "iam:Tag*"]
    resources = [
        "*",
        f"arn:aws:iam::{acct}:user/*",
        f"arn:aws:iam::{acct}:user/u1",
        f"arn:aws:iam::{acct}:user/${{aws:username}}",
        f"arn:aws:iam::{acct}:role/*",
    ]
    st: dict = {"Effect": rng.choice(["Allow", "Allow", "Allow", "Deny"])}
    st["NotAction" if rng.random() < 0.15 else "Action"] = rng.sample(actions, rng.randint(1, 2))
    st["NotResource" if rng.random() < 0.1 else "Resource"] = rng.choice(resources)
    roll = rng.random()
    if roll < 0.15:
        st["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": rng.choice(["red", "blue"])}}
    elif roll < 0.25:
        st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    elif roll < 0.3:
        st["Condition"] = {"StringLike": {"aws:username": "u1*"}}
    return st


def _random_document(rng: random.Random, acct: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [_random_statement(rng, acct) for _ in range(rng.randint(1, 3))],
        }
    )


def _role_context(role) -> RequestContext:
    session = SessionCredential(
        account=role.account, access_key_id=f"ASIA{role.role_id}", role=role, role_session_name="s"
    )
    return RequestContext(caller=AssumedRole(role, session))


class AgreementTests:
    def test_the_matrix_never_disagrees_with_authorize(self, ctx, acct):
        rng = random.Random(9)
        policies = [
            managed(ctx, f"p{n}", *json.loads(_random_document(rng, acct))["Statement"]) for n in range(12)
        ]
        for n in range(4):
            groups.create_group(ctx, group_name=f"g{n}")
            for policy in rng.sample(policies, 2):
                policy_attachments.attach_group_policy(ctx, group_name=f"g{n}", policy_arn=policy.arn)
            if rng.random() < 0.5:
                policy_attachments.put_group_policy(
                    ctx, group_name=f"g{n}", policy_name="inline", policy_document=_random_document(rng, acct)
                )
        principals = []
        for n in range(14):
            boundary = rng.choice(policies).arn if rng.random() < 0.25 else None
            tags = [{"Key": "team", "Value": rng.choice(["red", "blue"])}]
            user = users.create_user(ctx, user_name=f"u{n}", permissions_boundary=boundary, tags=tags)
            for group in rng.sample(range(4), rng.randint(0, 2)):
                groups.add_user_to_group(ctx, group_name=f"g{group}", user_name=f"u{n}")
            if rng.random() < 0.4:
                policy_attachments.attach_user_policy(
                    ctx, user_name=f"u{n}", policy_arn=rng.choice(policies).arn
                )
            if rng.random() < 0.4:
                policy_attachments.put_user_policy(
                    ctx, user_name=f"u{n}", policy_name="own", policy_document=_random_document(rng, acct)
                )
            principals.append((user.arn, f.context_for(user)))
        for n in range(4):
            boundary = rng.choice(policies).arn if rng.random() < 0.3 else None
            role = roles.create_role(
                ctx, role_name=f"r{n}", assume_role_policy_document=TRUST, permissions_boundary=boundary,
                tags=[{"Key": "team", "Value": rng.choice(["red", "blue"])}],
            )  # fmt: skip
            policy_attachments.attach_role_policy(ctx, role_name=f"r{n}", policy_arn=rng.choice(policies).arn)
            if rng.random() < 0.5:
                policy_attachments.put_role_policy(
                    ctx, role_name=f"r{n}", policy_name="own", policy_document=_random_document(rng, acct)
                )
            principals.append((role.arn, _role_context(role)))
        # What authorize() sends besides the principal's own keys (no time conditions here).
        given = {"aws:SecureTransport": "true", "aws:MultiFactorAuthPresent": "false"}
        outcomes: list[str] = []
        for action in ("iam:DeleteUser", "iam:GetUser", "iam:CreateUser", "iam:TagRole", "sts:AssumeRole"):
            for resource in ("*", f"arn:aws:iam::{acct}:user/u1", f"arn:aws:iam::{acct}:user/u7"):
                page = who_can(
                    ctx,
                    action_name=action,
                    resource_arn=resource,
                    context=given,
                    include_denied=True,
                    max_items=1000,
                )
                by_arn = {row.principal_arn: row.decision for row in page.items}
                for arn, principal_ctx in principals:
                    expected = is_allowed(principal_ctx, action, resource)
                    assert (by_arn.get(arn) == "allowed") == expected, (action, resource, arn)
                    outcomes.append(by_arn.get(arn, "implicitDeny"))
        # 270 checks, and the generated account is not trivial: every kind of answer occurs.
        assert len(outcomes) == 5 * 3 * 18
        assert {outcome: outcomes.count(outcome) > 10 for outcome in set(outcomes)} == {
            "allowed": True,
            "explicitDeny": True,
            "implicitDeny": True,
        }

    def test_principal_actions_agree_with_authorize_on_each_action(self, ctx, acct):
        rng = random.Random(4)
        for n in range(3):
            user = users.create_user(ctx, user_name=f"u{n}", tags=[{"Key": "team", "Value": "red"}])
            for k in range(3):
                policy_attachments.put_user_policy(
                    ctx, user_name=f"u{n}", policy_name=f"p{k}", policy_document=_random_document(rng, acct)
                )
            principal_ctx = f.context_for(user)
            given = {"aws:SecureTransport": "true", "aws:MultiFactorAuthPresent": "false"}
            for resource in ("*", f"arn:aws:iam::{acct}:user/u1"):
                result = principal_actions(
                    ctx,
                    principal_arn=user.arn,
                    resource_arn=resource,
                    context=given,
                    max_items=1000,
                    include_denied=True,
                )
                found = {item.action: item.access for item in result.page.items}
                for action in CATALOGUE:
                    access = found.get(action)
                    expected = is_allowed(principal_ctx, action, resource)
                    if resource != "*":
                        assert (access == THIS_RESOURCE) == expected, (action, resource)
                    elif access == ALL_RESOURCES:
                        assert expected, action
                    elif access != SOME_RESOURCES:  # some: allowed on "*" but denied somewhere, or not on "*"
                        assert not expected, action
