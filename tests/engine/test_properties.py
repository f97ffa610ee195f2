"""Properties that must hold for every input (hypothesis)."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.engine import PolicyError, PolicySet, Request, lint_policy, parse_policy
from policies.engine.cases import evaluate_line

ACCOUNT = "123456789012"
ACTIONS = [
    "*",
    "iam:*",
    "iam:Get*",
    "iam:GetUser",
    "iam:ChangePassword",
    "s3:*",
    "s3:GetObject",
    "s3:?etObject",
    "ec2:Describe*",
    "sts:AssumeRole",
]
RESOURCES = [
    "*",
    f"arn:aws:iam::{ACCOUNT}:user/*",
    f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*",
    "arn:aws:ec2:*:*:instance/*",
    f"arn:aws:iam::{ACCOUNT}:user/alice",
]
CONDITIONS = [
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}},
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": ["red", "green"]}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "t*"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
    {"StringLike": {"s3:prefix": ["home/${aws:username}/*", ""]}},
]

statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3),
        "Resource": st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2),
    },
    optional={"Condition": st.sampled_from(CONDITIONS)},
)


def negated(element: str):
    """Turn Action into NotAction (or Resource into NotResource) in a statement."""
    return lambda s: {**{k: v for k, v in s.items() if k != element}, f"Not{element}": s[element]}


statement_lists = st.lists(
    st.one_of(statements, statements.map(negated("Action")), statements.map(negated("Resource"))),
    min_size=1,
    max_size=6,
)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "aws:username": st.sampled_from(["alice", "bob"]),
        "aws:MultiFactorAuthPresent": st.sampled_from(["true", "false"]),
        "aws:MultiFactorAuthAge": st.sampled_from(["10", "7200"]),
        "aws:SourceIp": st.sampled_from(["10.1.2.3", "192.0.2.7", "2001:db8::1"]),
        "aws:PrincipalTag/team": st.sampled_from(["blue", "red"]),
        "aws:TagKeys": st.lists(st.sampled_from(["team", "env", "cost"]), max_size=3),
        "aws:CurrentTime": st.sampled_from(["2025-06-01T00:00:00Z", "2026-11-28T12:00:00Z"]),
        "s3:prefix": st.sampled_from(["home/alice/x", "home/bob/", ""]),
    },
)
requests = st.builds(
    lambda action, resource, context: Request(
        f"arn:aws:iam::{ACCOUNT}:user/alice", action, resource, context
    ),
    st.sampled_from(
        [
            "iam:GetUser",
            "iam:ChangePassword",
            "iam:DeleteUser",
            "s3:GetObject",
            "s3:PutObject",
            "ec2:DescribeInstances",
            "sts:AssumeRole",
        ]
    ),
    st.sampled_from(
        [
            f"arn:aws:iam::{ACCOUNT}:user/alice",
            f"arn:aws:iam::{ACCOUNT}:user/bob",
            "arn:aws:s3:::bucket/blue/k",
            "arn:aws:s3:::bucket/red/k",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
            "*",
        ]
    ),
    contexts,
)


def compile_all(statement_list: list[dict]):
    return parse_policy({"Version": "2012-10-17", "Statement": statement_list})


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Version",
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "Principal",
                    "Condition",
                    "Sid",
                    "StringEquals",
                    "aws:username",
                    "AWS",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


class ParserPropertyTests:
    @PROPERTY
    @given(st.text(max_size=300))
    def test_any_text_parses_or_raises_policy_error(self, text):
        with contextlib.suppress(PolicyError):  # anything else fails the test
            parse_policy(text)
        assert isinstance(lint_policy(text), list)

    @PROPERTY
    @given(json_values, st.sampled_from(["identity", "resource", "trust"]))
    def test_any_json_value_parses_or_raises_policy_error(self, value, kind):
        try:
            parse_policy(value, kind=kind)
        except PolicyError as exc:
            assert exc.findings and all(f.severity == "ERROR" for f in exc.findings)
        text = json.dumps(value)
        for cut in (len(text) // 2, len(text) - 1):
            with contextlib.suppress(PolicyError):
                parse_policy(text[:cut], kind=kind)
        assert isinstance(lint_policy(value, kind=kind), list)


class DecisionPropertyTests:
    @PROPERTY
    @given(statement_lists, statements, requests)
    def test_adding_a_deny_never_turns_a_decision_into_allowed(self, statement_list, extra, request):
        before = PolicySet([compile_all(statement_list)]).evaluate(request).decision
        deny = {**extra, "Effect": "Deny"}
        after = PolicySet([compile_all([*statement_list, deny])]).evaluate(request).decision
        if before != "Allowed":
            assert after != "Allowed"
        if before == "ExplicitlyDenied":
            assert after == "ExplicitlyDenied"

    @PROPERTY
    @given(statement_lists, requests, st.randoms(use_true_random=False))
    def test_decisions_do_not_depend_on_statement_order(self, statement_list, request, rnd):
        shuffled = list(statement_list)
        rnd.shuffle(shuffled)
        first = PolicySet([compile_all(statement_list)]).evaluate(request)
        second = PolicySet([compile_all(shuffled)]).evaluate(request)
        assert first.decision == second.decision
        assert sorted(first.missing_context_keys) == sorted(second.missing_context_keys)

    @PROPERTY
    @given(statement_lists, statement_lists, requests)
    def test_splitting_statements_across_policies_changes_nothing(self, one, two, request):
        together = PolicySet([compile_all(one + two)]).evaluate(request).decision
        apart = PolicySet([compile_all(one), compile_all(two)]).evaluate(request).decision
        assert together == apart


class CommandLinePropertyTests:
    @PROPERTY
    @given(json_values, st.text(max_size=40))
    def test_any_line_gives_a_result_or_an_error(self, value, text):
        for line in (
            json.dumps({"id": "x", "identityPolicies": [value], "request": value}),
            text,
            json.dumps(
                {
                    "id": "y",
                    "identityPolicies": [],
                    "request": {"principal": "p", "action": "a", "resource": "r", "context": value},
                }
            ),
        ):
            out = evaluate_line(line)
            assert set(out) in (
                {"id", "error"},
                {"id", "decision", "decidedBy", "matched", "missingContextKeys"},
            )

    def test_deeply_nested_line_is_an_error_not_a_crash(self):
        out = evaluate_line('{"id": "deep", "identityPolicies": ' + "[" * 100_000 + "]" * 100_000 + "}")
        assert "error" in out
