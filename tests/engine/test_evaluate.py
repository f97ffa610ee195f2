"""Decisions and their explanations: layers, same- and cross-account rules, matching details."""

from __future__ import annotations

import pytest

from policies.engine import PolicySet, Request, evaluate, parse_policy
from policies.engine.conditions import parse_date, parse_operator
from policies.engine.matching import compile_arn, compile_string_like, pattern

ACCOUNT = "123456789012"
OTHER = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ops/Admin"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice-session"


def policy(*statements: dict, kind: str = "identity", name: str = "p", version: str = "2012-10-17"):
    return parse_policy({"Version": version, "Statement": list(statements)}, kind=kind, name=name)


def allow(action="*", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(action="iam:GetUser", resource=ALICE, principal=ALICE, context=None, account=None) -> Request:
    context = {"aws:username": "alice"} if context is None else context
    return Request(principal, action, resource, context, account)


SELF_SERVICE = policy(
    allow(["iam:ChangePassword", "iam:GetUser"], f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"),
    name="SelfService",
)


class NewcomerPolicyTests:
    def test_administrator_policy_allows_everything(self):
        admin = policy(allow(), name="AdministratorAccess")
        for action in ("iam:CreateUser", "s3:GetObject", "ec2:RunInstances", "sts:GetSessionToken"):
            decision = evaluate(request(action, "*"), [admin])
            assert decision.decision == "Allowed" and decision.decided_by == "identity"
            assert [m.policy for m in decision.matched] == ["AdministratorAccess"]

    def test_self_service_policy_allows_a_user_on_themself(self):
        for action in ("iam:ChangePassword", "iam:GetUser"):
            assert evaluate(request(action, ALICE), [SELF_SERVICE]).allowed

    def test_self_service_policy_denies_another_user(self):
        decision = evaluate(request("iam:ChangePassword", BOB), [SELF_SERVICE])
        assert decision.decision == "ImplicitlyDenied" and decision.matched == ()
        assert decision.reason("iam:ChangePassword") == (
            "because no identity-based policy allows the iam:ChangePassword action"
        )

    def test_self_service_policy_denies_other_actions(self):
        assert evaluate(request("iam:DeleteUser", ALICE), [SELF_SERVICE]).decision == "ImplicitlyDenied"

    def test_unresolvable_variable_matches_nothing(self):
        decision = evaluate(request("iam:GetUser", ALICE, context={}), [SELF_SERVICE])
        assert decision.decision == "ImplicitlyDenied"

    def test_no_policies_means_implicit_deny(self):
        assert evaluate(request(), []).decision == "ImplicitlyDenied"


class ExplicitDenyTests:
    def test_deny_anywhere_wins_and_every_deny_is_listed(self):
        policies = [policy(allow(), name="Admin"), policy(deny("iam:*", Sid="NoIam"), name="Guard")]
        decision = evaluate(request("iam:GetUser", "*"), policies, [policy(deny("iam:Get*"), name="B")])
        assert decision.decision == "ExplicitlyDenied" and decision.decided_by == "identity"
        assert [(m.policy, m.policy_type, m.sid) for m in decision.matched] == [
            ("Guard", "identity", "NoIam"),
            ("B", "boundary", None),
        ]
        assert decision.reason("iam:GetUser") == "with an explicit deny in an identity-based policy"

    def test_deny_in_a_resource_policy(self):
        resource = policy(
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}, kind="resource"
        )
        decision = evaluate(request("s3:GetObject", "arn:aws:s3:::b/k"), [policy(allow())], None, resource)
        assert (decision.decision, decision.decided_by) == ("ExplicitlyDenied", "resource")

    def test_not_action_deny_spares_the_listed_actions(self):
        guard = policy({"Effect": "Deny", "NotAction": "iam:ChangePassword", "Resource": "*"}, allow())
        assert evaluate(request("iam:ChangePassword", ALICE), [guard]).allowed
        assert evaluate(request("iam:GetUser", ALICE), [guard]).decision == "ExplicitlyDenied"


class BoundaryTests:
    def test_allow_outside_the_boundary_is_implicitly_denied_by_the_boundary(self):
        boundary = policy(allow("s3:*"), name="S3Only")
        decision = evaluate(request("iam:GetUser", "*"), [policy(allow())], [boundary])
        assert (decision.decision, decision.decided_by) == ("ImplicitlyDenied", "boundary")
        assert (
            decision.reason("iam:GetUser") == "because no permissions boundary allows the iam:GetUser action"
        )

    def test_allow_inside_the_boundary(self):
        decision = evaluate(request("s3:GetObject", "*"), [policy(allow())], [policy(allow("s3:*"))])
        assert decision.allowed and {m.policy_type for m in decision.matched} == {"identity", "boundary"}

    def test_boundary_alone_grants_nothing(self):
        assert evaluate(request("s3:GetObject", "*"), [], [policy(allow())]).decision == "ImplicitlyDenied"

    def test_resource_policy_naming_the_user_is_not_limited_by_the_boundary(self):
        bucket = policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": ALICE},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            kind="resource",
        )
        decision = evaluate(request("s3:GetObject", "arn:aws:s3:::b/k"), [], [policy(allow("ec2:*"))], bucket)
        assert (decision.decision, decision.decided_by) == ("Allowed", "resource")

    def test_resource_policy_naming_the_role_is_limited_by_the_session_boundary(self):
        bucket = policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": ADMIN_ROLE},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            kind="resource",
        )
        s3 = request("s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION)
        assert evaluate(s3, [], [policy(allow("ec2:*"))], bucket).decision == "ImplicitlyDenied"
        assert evaluate(s3, [], [policy(allow("s3:*"))], bucket).allowed
        assert evaluate(s3, [], None, bucket).allowed

    def test_resource_policy_naming_the_session_is_not_limited_by_the_boundary(self):
        bucket = policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": SESSION},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            kind="resource",
        )
        s3 = request("s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION)
        assert evaluate(s3, [], [policy(allow("ec2:*"))], bucket).allowed


class ResourcePolicyTests:
    def bucket(self, principal) -> object:
        return policy(
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            kind="resource",
        )

    def test_same_account_grant_to_the_user_needs_no_identity_policy(self):
        decision = evaluate(
            request("s3:GetObject", "arn:aws:s3:::b/k"), [], None, self.bucket({"AWS": ALICE})
        )
        assert decision.allowed and [m.policy_type for m in decision.matched] == ["resource"]

    def test_grant_to_the_account_delegates_to_identity_policies(self):
        for principal in ({"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}):
            get = request("s3:GetObject", "arn:aws:s3:::b/k")
            assert evaluate(get, [], None, self.bucket(principal)).decision == "ImplicitlyDenied"
            assert evaluate(get, [policy(allow("s3:GetObject"))], None, self.bucket(principal)).allowed

    def test_cross_account_needs_both_sides(self):
        get = request("s3:GetObject", "arn:aws:s3:::b/k", account=OTHER)
        granted = self.bucket({"AWS": ACCOUNT})
        assert evaluate(get, [policy(allow("s3:*"))], None, None).decision == "ImplicitlyDenied"
        assert evaluate(get, [], None, self.bucket({"AWS": ALICE})).decision == "ImplicitlyDenied"
        decision = evaluate(get, [policy(allow("s3:*"))], None, granted)
        assert decision.allowed and {m.policy_type for m in decision.matched} == {"identity", "resource"}

    def test_resource_account_comes_from_the_arn_first(self):
        role_elsewhere = f"arn:aws:iam::{OTHER}:role/R"
        trust = policy(
            {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}, kind="trust"
        )
        assume = request("sts:AssumeRole", role_elsewhere)
        assert evaluate(assume, [], None, trust).decision == "ImplicitlyDenied"
        assert evaluate(assume, [policy(allow("sts:AssumeRole"))], None, trust).allowed

    def test_trust_policy_for_a_role_in_the_same_account(self):
        trust = policy(
            {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}, kind="trust"
        )
        assert evaluate(request("sts:AssumeRole", ADMIN_ROLE), [], None, trust).allowed
        assert evaluate(request("sts:AssumeRole", ADMIN_ROLE, principal=BOB), [], None, trust).decision == (
            "ImplicitlyDenied"
        )

    def test_not_principal_applies_to_everyone_else(self):
        guard = policy(
            {"Effect": "Deny", "NotPrincipal": {"AWS": ALICE}, "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
            kind="resource",
        )
        get = "arn:aws:s3:::b/k"
        assert evaluate(request("s3:GetObject", get), [], None, guard).allowed
        assert (
            evaluate(request("s3:GetObject", get, principal=BOB), [], None, guard).decision
            == "ExplicitlyDenied"
        )

    def test_service_principal(self):
        trust = policy(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            kind="trust",
        )
        assume = request("sts:AssumeRole", ADMIN_ROLE, principal="ec2.amazonaws.com", account=ACCOUNT)
        assert evaluate(assume, [], None, trust).allowed


class MatchingTests:
    @pytest.mark.parametrize(
        ("pat", "arn", "expected"),
        [
            ("arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:user/a/b", True),
            ("arn:aws:iam::*:user/alice", "arn:aws:iam::123456789012:user/alice", True),
            ("arn:aws:iam::*:user/alice", "arn:aws:iam::123456789012:user/Alice", False),
            ("arn:aws:s3:::b*", "arn:aws:s3:::bucket/key:with:colons", True),
            (
                "arn:aws:ec2:*:123456789012:instance/*",
                "arn:aws:ec2:us-east-1:x:123456789012:instance/i",
                False,
            ),
            ("arn:aws:ec2:us-east-?:*:instance/i-1", "arn:aws:ec2:us-east-1:123:instance/i-1", True),
            ("arn:aws:ec2:us-east-?:*:instance/i-1", "arn:aws:ec2:us-east-10:123:instance/i-1", False),
            ("*", "anything at all", True),
            ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice", True),
        ],
    )
    def test_arn_components_match_separately_and_case_sensitively(self, pat, arn, expected):
        assert compile_arn(pattern(pat))(arn) is expected

    def test_actions_match_case_insensitively_with_wildcards(self):
        p = policy(allow(["IAM:get*", "s3:?etObject"]))
        for action, expected in (
            ("iam:GetUser", True),
            ("Iam:GETROLE", True),
            ("iam:ListUsers", False),
            ("s3:GetObject", True),
            ("s3:SetObject", True),
            ("s3:PutObject", False),
            ("s3:GetObjectAcl", False),
        ):
            assert evaluate(request(action, "*"), [p]).allowed is expected, action

    def test_substituted_text_is_literal_not_a_wildcard(self):
        p = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/${*}"))
        assert evaluate(request("s3:GetObject", "arn:aws:s3:::b/alice/*"), [p]).allowed
        assert not evaluate(request("s3:GetObject", "arn:aws:s3:::b/alice/x"), [p]).allowed
        starry = request("s3:GetObject", "arn:aws:s3:::b/alice/*", context={"aws:username": "*"})
        assert not evaluate(starry, [p]).allowed

    def test_version_2008_reads_variables_as_text(self):
        p = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}"), version="2008-10-17")
        assert not evaluate(request("s3:GetObject", "arn:aws:s3:::b/alice"), [p]).allowed
        assert evaluate(request("s3:GetObject", "arn:aws:s3:::b/${aws:username}"), [p]).allowed

    def test_string_like_spans_everything(self):
        assert compile_string_like(pattern("a*c"))("a:b/c")
        assert not compile_string_like(pattern("a?c"))("abbc")


class ConditionDetailTests:
    def test_operator_names_parse(self):
        op = parse_operator("ForAnyValue:StringNotLikeIfExists")
        assert (op.base, op.qualifier, op.if_exists, op.info.negated) == (
            "StringNotLike",
            "ForAnyValue",
            True,
            True,
        )
        assert parse_operator("NullIfExists") is None and parse_operator("Sometimes:StringEquals") is None

    @pytest.mark.parametrize(
        ("text", "epoch"),
        [
            ("2020-01-01T00:00:00Z", 1577836800.0),
            ("2020-01-01", 1577836800.0),
            ("1577836800", 1577836800.0),
            ("2020-01-01T01:00:00+01:00", 1577836800.0),
            ("2020-01-01T00:00:00.500Z", 1577836800.5),
            ("yesterday", None),
        ],
    )
    def test_dates_read_as_iso_8601_or_epoch(self, text, epoch):
        assert parse_date(text) == epoch

    def test_missing_keys_are_reported_with_the_policy_spelling(self):
        p = policy(
            allow(
                Condition={
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "NumericLessThan": {"AWS:MultiFactorAuthAge": "3600"},
                }
            )
        )
        decision = evaluate(request("iam:GetUser", "*", context={"aws:multifactorauthpresent": "true"}), [p])
        assert decision.decision == "ImplicitlyDenied"
        assert decision.missing_context_keys == ("AWS:MultiFactorAuthAge",)

    def test_context_key_names_are_case_insensitive_values_are_not(self):
        p = policy(allow(Condition={"StringEquals": {"aws:PrincipalTag/Team": "Blue"}}))
        assert evaluate(request("iam:GetUser", "*", context={"AWS:principaltag/team": "Blue"}), [p]).allowed
        assert not evaluate(
            request("iam:GetUser", "*", context={"aws:PrincipalTag/Team": "blue"}), [p]
        ).allowed

    def test_json_booleans_and_numbers_are_read_as_strings(self):
        p = policy(
            allow(Condition={"Bool": {"aws:SecureTransport": True}, "NumericEquals": {"s3:max-keys": 10}})
        )
        assert evaluate(
            request("s3:ListBucket", "*", context={"aws:SecureTransport": True, "s3:max-keys": "10"}), [p]
        ).allowed


class PolicySetTests:
    def test_repeated_evaluation_gives_the_same_decisions(self):
        engine = PolicySet(
            [
                SELF_SERVICE,
                policy(
                    deny(
                        "iam:ChangePassword",
                        Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                    ),
                    name="MFA",
                ),
            ]
        )
        cases = [
            (
                request(
                    "iam:ChangePassword",
                    ALICE,
                    context={"aws:username": "alice", "aws:MultiFactorAuthPresent": mfa},
                ),
                expected,
            )
            for mfa, expected in (("true", "Allowed"), ("false", "ExplicitlyDenied"))
        ]
        for _ in range(3):
            for req, expected in cases:
                assert engine.evaluate(req).decision == expected

    def test_statements_that_cannot_match_the_action_are_skipped(self):
        engine = PolicySet([policy(allow("s3:*"), allow("iam:Get*"), allow("ec2:*"), deny())])
        plan = engine._plan("iam:getuser")
        assert [st.action_patterns for st, _ in plan.identity_allows] == [("iam:Get*",)]
        assert [st.action_patterns for st, _ in plan.denies[0][1]] == [("*",)]
        assert plan.resource_allows == () and plan.boundary_allows == ()


class TrustPolicyTests:
    """Role trust policies must allow the caller even in the same account (evaluation-logic page)."""

    trust_bob = {"Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "sts:AssumeRole"}
    trust_account = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }

    def test_identity_allow_is_not_enough_when_the_trust_policy_names_someone_else(self):
        trust = policy(self.trust_bob, kind="trust")
        decision = evaluate(
            request("sts:AssumeRole", ADMIN_ROLE), [policy(allow("sts:AssumeRole"))], None, trust
        )
        assert decision.decision == "ImplicitlyDenied"

    def test_trust_in_the_account_needs_the_identity_allow(self):
        trust = policy(self.trust_account, kind="trust")
        assume = request("sts:AssumeRole", ADMIN_ROLE)
        assert evaluate(assume, [], None, trust).decision == "ImplicitlyDenied"
        assert evaluate(assume, [policy(allow("sts:AssumeRole"))], None, trust).allowed

    def test_assume_role_action_marks_a_resource_policy_as_trust(self):
        as_resource = policy(self.trust_bob, kind="resource")
        decision = evaluate(request("sts:AssumeRole", ADMIN_ROLE), [policy(allow())], None, as_resource)
        assert decision.decision == "ImplicitlyDenied"


class ServiceRuleTests:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd"

    def test_kms_key_needs_its_key_policy(self):
        decrypt = request("kms:Decrypt", self.key)
        decision = evaluate(decrypt, [policy(allow("kms:*"))])
        assert (decision.decision, decision.decided_by) == ("ImplicitlyDenied", "resource")
        default_key_policy = policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            kind="resource",
        )
        assert evaluate(decrypt, [policy(allow("kms:*"))], None, default_key_policy).allowed
        assert not evaluate(decrypt, [], None, default_key_policy).allowed

    def test_kms_actions_without_a_key_are_identity_only(self):
        assert evaluate(request("kms:ListKeys", "*"), [policy(allow("kms:*"))]).allowed

    def test_get_caller_identity_needs_no_permission_even_against_a_deny(self):
        decision = evaluate(request("sts:GetCallerIdentity", "*"), [policy(deny())])
        assert (decision.decision, decision.decided_by, decision.matched) == ("Allowed", "service", ())


class VariableWithNoValueTests:
    """IAM User Guide, policy variables: "Policy variables with no value"."""

    def test_negated_operator_matches_a_null_value(self):
        guard = policy(
            allow(),
            deny(
                "s3:GetObject",
                Condition={"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
            ),
        )
        get = request("s3:GetObject", "arn:aws:s3:::b/k", context={"s3:ExistingObjectTag/Team": "blue"})
        assert evaluate(get, [guard]).decision == "ExplicitlyDenied"
        tagged = request(
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            context={"s3:ExistingObjectTag/Team": "blue", "aws:PrincipalTag/Team": "blue"},
        )
        assert evaluate(tagged, [guard]).allowed

    def test_positive_operator_does_not_match_a_null_value(self):
        p = policy(allow(Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}))
        assert not evaluate(request(context={"aws:ResourceTag/team": ""}), [p]).allowed

    def test_if_exists_with_the_key_absent_holds_before_any_variable_is_read(self):
        p = policy(
            allow(Condition={"StringEqualsIfExists": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}})
        )
        assert evaluate(request(context={}), [p]).allowed

    def test_not_resource_entry_with_no_value_excludes_nothing(self):
        p = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/${aws:username}/*"})
        assert evaluate(request("s3:GetObject", "arn:aws:s3:::b/bob/k", context={}), [p]).allowed
        alice = request("s3:GetObject", "arn:aws:s3:::b/alice/k")
        assert not evaluate(alice, [p]).allowed

    def test_default_value_fills_in(self):
        p = policy(allow("s3:*", "arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*"))
        assert evaluate(request("s3:GetObject", "arn:aws:s3:::b/shared/k", context={}), [p]).allowed
        blue = request("s3:GetObject", "arn:aws:s3:::b/shared/k", context={"aws:PrincipalTag/team": "blue"})
        assert not evaluate(blue, [p]).allowed


def test_assume_role_without_a_trust_policy_is_judged_on_identity_policies():
    assume = request("sts:AssumeRole", ADMIN_ROLE)
    assert evaluate(assume, [policy(allow("sts:AssumeRole"))]).allowed
    assert evaluate(assume, []).decision == "ImplicitlyDenied"


def test_a_variable_may_start_the_resource_part_of_an_arn():
    queues = policy(allow("sqs:SendMessage", f"arn:aws:sqs:*:{ACCOUNT}:${{aws:PrincipalTag/team}}-*"))
    send = request(
        "sqs:SendMessage",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:search-jobs",
        context={"aws:PrincipalTag/team": "search"},
    )
    assert evaluate(send, [queues]).allowed
    other = request(
        "sqs:SendMessage",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:data-jobs",
        context={"aws:PrincipalTag/team": "search"},
    )
    assert not evaluate(other, [queues]).allowed
