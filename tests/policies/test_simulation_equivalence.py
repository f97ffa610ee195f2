"""The simulator agrees with authorize(): for seeded random accounts (users in groups, inline and managed
policies with Allow and Deny, wildcards, NotAction, NotResource, conditions on aws:username,
aws:PrincipalTag/*, aws:RequestedRegion, aws:SecureTransport, aws:PrincipalArn, permissions
boundaries) and thousands of (user, action, resource) requests, each of simulate_principal_policy's
ResourceSpecificResults decides as accounts/authz.py does for that user making that request, when the
simulator is given as context entries exactly the context authorize() evaluates (request_context());
and each action's top-level EvalDecision is AWS's aggregate of them: explicitDeny if any resource is
explicitly denied, else implicitDeny if any is denied, else allowed, with the statements of the
resources that reached that decision.

Nothing is written per request: the accounts are made once, then every request is only read."""

from __future__ import annotations

import random

import pytest

from accounts import authz
from accounts.models import User
from accounts.services import groups, policy_attachments, users
from policies import services as policy_services
from policies import simulation
from policies.engine import Request
from tests import factories as f

pytestmark = pytest.mark.django_db

SEEDS = (7, 2026)
ACTIONS = [
    "iam:GetUser",
    "iam:ListUsers",
    "iam:CreateUser",
    "iam:DeleteUser",
    "iam:ChangePassword",
    "iam:PassRole",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "sts:AssumeRole",
    "kms:Decrypt",
    "dynamodb:GetItem",
]
ACTION_PATTERNS = [
    "iam:*",
    "iam:Get*",
    "iam:List*",
    "iam:*User",
    "s3:*",
    "s3:Get*",
    "s3:PutObject",
    "ec2:Describe*",
    "ec2:*",
    "sts:AssumeRole",
    "kms:*",
    "dynamodb:GetItem",
]
REGIONS = ("us-east-1", "eu-west-1")
TEAMS = ("red", "blue")
# The context keys' types, for the simulator's ContextEntries (any other key is a string).
KEY_TYPES = {
    "aws:securetransport": "boolean",
    "aws:multifactorauthpresent": "boolean",
    "aws:epochtime": "numeric",
    "aws:multifactorauthage": "numeric",
    "aws:currenttime": "date",
    "aws:tokenissuetime": "date",
    "aws:sourceip": "ip",
}


def resources(acct: str, names: list[str]) -> list[str]:
    return [
        "*",
        *(f"arn:aws:iam::{acct}:user/{name}" for name in names[:3]),
        f"arn:aws:iam::{acct}:role/Admin",
        "arn:aws:s3:::bucket-a",
        "arn:aws:s3:::bucket-a/x.txt",
        "arn:aws:s3:::bucket-b/y",
        f"arn:aws:ec2:us-east-1:{acct}:instance/i-1",
        f"arn:aws:ec2:eu-west-1:{acct}:instance/i-2",
        f"arn:aws:kms:us-east-1:{acct}:key/k1",
        f"arn:aws:dynamodb:us-east-1:{acct}:table/t",
        "arn:aws:iam::210987654321:user/other",  # another account's: no resource policy lets it in
    ]


class _Policies:
    """Random but valid statements for one account."""

    def __init__(self, rng: random.Random, acct: str, names: list[str]):
        self.rng, self.acct, self.names = rng, acct, names
        self.resource_patterns = [
            "*",
            "arn:aws:iam::*:user/${aws:username}",
            f"arn:aws:iam::{acct}:user/*",
            "arn:aws:s3:::bucket-a/*",
            "arn:aws:s3:::bucket-a",
            "arn:aws:s3:::bucket-*",
            "arn:aws:ec2:us-east-1:*:instance/*",
            "arn:aws:ec2:*:*:*",
            "arn:aws:iam::*:role/*",
        ]

    def condition(self) -> dict | None:
        rng = self.rng
        choices = [
            None,
            None,
            None,
            {"StringEquals": {"aws:username": rng.choice(self.names)}},
            {"StringEquals": {"aws:PrincipalTag/team": rng.choice(TEAMS)}},
            {"StringNotEquals": {"aws:PrincipalTag/team": "red"}},
            {"StringEquals": {"aws:RequestedRegion": rng.choice(REGIONS)}},
            {"StringNotEquals": {"aws:RequestedRegion": rng.choice(REGIONS)}},
            {"Bool": {"aws:SecureTransport": rng.choice(("true", "false"))}},
            {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{self.acct}:user/u{rng.randrange(4)}*"}},
            {"Null": {"aws:PrincipalTag/team": rng.choice(("true", "false"))}},
            {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": ["red", "green"]}},
            {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},  # never given: never holds
        ]
        return rng.choice(choices)

    def statement(self, effect: str | None = None) -> dict:
        rng = self.rng
        st: dict = {"Effect": effect or ("Allow" if rng.random() < 0.7 else "Deny")}
        actions = rng.sample(ACTION_PATTERNS, rng.choice((1, 1, 2, 3)))
        if rng.random() < 0.05:
            actions = ["*"]
        st["NotAction" if rng.random() < 0.15 and actions != ["*"] else "Action"] = (
            actions[0] if len(actions) == 1 else actions
        )
        targets = rng.sample(self.resource_patterns, rng.choice((1, 1, 2)))
        st["NotResource" if rng.random() < 0.1 else "Resource"] = targets[0] if len(targets) == 1 else targets
        condition = self.condition()
        if condition is not None:
            st["Condition"] = condition
        return st

    def document(self, statements: int, effect: str | None = None) -> str:
        return f.document(*(self.statement(effect) for _ in range(statements)))


def build_account(seed: int):
    """A root context and its users, made through the services (each write once)."""
    rng = random.Random(seed)
    ctx = f.root_context()
    acct = ctx.account.account_id
    names = [f"u{i}" for i in range(8)]
    make = _Policies(rng, acct, names)
    managed = [
        policy_services.create_policy(
            ctx, policy_name=f"M{i}", policy_document=make.document(rng.randint(1, 3))
        )
        for i in range(4)
    ]
    boundaries = [
        policy_services.create_policy(
            ctx, policy_name=f"B{i}", policy_document=make.document(rng.randint(2, 4), effect="Allow")
        )
        for i in range(2)
    ]
    group_names = [f"g{i}" for i in range(3)]
    for name in group_names:
        groups.create_group(ctx, group_name=name)
        for n in range(rng.randint(1, 2)):
            policy_attachments.put_group_policy(
                ctx, group_name=name, policy_name=f"p{n}", policy_document=make.document(rng.randint(1, 3))
            )
        if rng.random() < 0.5:
            policy_attachments.attach_group_policy(ctx, group_name=name, policy_arn=rng.choice(managed).arn)
    for name in names:
        team = rng.choice((*TEAMS, None))
        boundary = rng.choice(boundaries).arn if rng.random() < 0.35 else None
        tags = [{"Key": "team", "Value": team}] if team else []
        users.create_user(ctx, user_name=name, tags=tags, permissions_boundary=boundary)
        for n in range(rng.randint(0, 2)):
            policy_attachments.put_user_policy(
                ctx, user_name=name, policy_name=f"p{n}", policy_document=make.document(rng.randint(1, 3))
            )
        if rng.random() < 0.4:
            policy_attachments.attach_user_policy(ctx, user_name=name, policy_arn=rng.choice(managed).arn)
        for group in rng.sample(group_names, rng.randint(0, 2)):
            groups.add_user_to_group(ctx, group_name=group, user_name=name)
    return ctx, acct, names


def context_entries(context: dict[str, object]) -> list[dict[str, object]]:
    """authorize()'s context as AWS's ContextEntries."""
    entries = []
    for key, value in context.items():
        if isinstance(value, list):
            entries.append({"ContextKeyName": key, "ContextKeyValues": value, "ContextKeyType": "stringList"})
        else:
            kind = KEY_TYPES.get(key.lower(), "string")
            entries.append({"ContextKeyName": key, "ContextKeyValues": [str(value)], "ContextKeyType": kind})
    return entries


@pytest.mark.parametrize("seed", SEEDS)
def test_the_simulator_decides_as_authorize_does(seed):
    root, acct, names = build_account(seed)
    targets = resources(acct, names)
    tally = {"allowed": 0, "explicitDeny": 0, "implicitDeny": 0}
    aggregates = dict.fromkeys(tally, 0)
    compared = 0
    for user in User.objects.filter(account=root.account, is_root=False).order_by("user_name"):
        for secure in (True, False):
            for region in REGIONS:
                ctx = f.context_for(user, secure_transport=secure, source_ip="10.1.2.3")
                extra = {"aws:RequestedRegion": region}
                context = authz.request_context(ctx, extra)
                page = simulation.simulate_principal_policy(
                    root,
                    policy_source_arn=user.arn,
                    action_names=ACTIONS,
                    resource_arns=targets,
                    context_entries=context_entries(context),
                    max_items=1000,
                )
                assert page.is_truncated is False
                assert [r.eval_action_name for r in page.items] == ACTIONS  # one result per action
                policy_set = authz.policy_set_for(ctx)
                for result in page.items:
                    action = result.eval_action_name
                    specific = result.resource_specific_results
                    assert [r.eval_resource_name for r in specific] == targets
                    for each in specific:
                        resource = each.eval_resource_name
                        decision = policy_set.evaluate(Request(user.arn, action, resource, context))
                        expected = simulation.EVAL_DECISIONS[decision.decision]
                        assert (action, resource, each.eval_resource_decision) == (
                            action,
                            resource,
                            expected,
                        ), (
                            user.user_name,
                            secure,
                            region,
                        )
                        assert authz.is_allowed(ctx, action, resource, extra) is (
                            each.eval_resource_decision == "allowed"
                        )
                        # The simulator had every key authorize() had: nothing is missing that was given.
                        assert not {k.lower() for k in each.missing_context_values} & {
                            k.lower() for k in context
                        }
                        tally[each.eval_resource_decision] += 1
                        compared += 1
                    assert_aggregate(result)
                    aggregates[result.eval_decision] += 1
                # Pairs of resources: the same decisions per resource, and aggregates of every kind.
                by_pair = {
                    (r.eval_action_name, s.eval_resource_name): s
                    for r in page.items
                    for s in r.resource_specific_results
                }
                for start in range(0, len(targets), 2):
                    window = targets[start : start + 2]
                    pairs = simulation.simulate_principal_policy(
                        root, policy_source_arn=user.arn, action_names=ACTIONS, resource_arns=window,
                        context_entries=context_entries(context),
                    )  # fmt: skip
                    for result in pairs.items:
                        assert list(result.resource_specific_results) == [
                            by_pair[(result.eval_action_name, resource)] for resource in window
                        ]
                        assert_aggregate(result)
                        aggregates[result.eval_decision] += 1
    assert compared >= 3000
    assert all(count >= 50 for count in tally.values()), tally
    # Both kinds of denial, and allowed on every resource, happen at the top too.
    assert all(count >= 5 for count in aggregates.values()), aggregates


def assert_aggregate(result: simulation.EvaluationResult) -> None:
    """AWS's aggregate, recomputed from the resources: the most restrictive decision, its statements."""
    decisions = [r.eval_resource_decision for r in result.resource_specific_results]
    expected = next(d for d in ("explicitDeny", "implicitDeny", "allowed") if d in decisions)
    assert result.eval_decision == expected
    assert (result.eval_decision == "allowed") is all(d == "allowed" for d in decisions)
    deciding = [r for r in result.resource_specific_results if r.eval_resource_decision == expected]
    union = list(dict.fromkeys(m for r in deciding for m in r.matched_statements))
    assert list(result.matched_statements) == union
    if expected == "explicitDeny":  # only Deny statements explain an explicit deny
        assert union and all(m.effect == "Deny" for m in union)
    assert result.decided_by == deciding[0].decided_by
    assert result.missing_context_values == ()  # named resources: the keys are per resource
