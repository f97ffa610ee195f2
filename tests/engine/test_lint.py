"""lint_policy: Access Analyzer-style findings with their severity, issue code, title and place.

Every check has a document that triggers it (exact severity, code, title, line and column) and a
close document that must not. The command line `python -m policies.engine validate` is tested too.
No Django database is needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from policies.engine.document import Finding
from policies.engine.lint import lint_policy

ROOT = Path(__file__).resolve().parents[2]

NEWCOMER_TYPO = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["iam: ChangePassword"]
    "Resource": "*"
  }]
}
"""


def lint(text: str, kind: str = "identity") -> list[Finding]:
    return lint_policy(textwrap.dedent(text), kind=kind)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: str) -> Finding:
    """The one finding with this code (fails when there are none or several)."""
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, [str(f) for f in findings]
    return found[0]


def shape(finding: Finding) -> tuple[str, str, str, int | None, int | None]:
    return finding.severity, finding.code, finding.title, finding.line, finding.column


def simple(action: object = "iam:GetUser", resource: object = "*", *, extra: str = "") -> str:
    """A one-statement identity policy: the Action value is at line 5 column 15, Resource at 6:17."""
    return (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [{\n'
        '    "Effect": "Allow",\n'
        f'    "Action": {json.dumps(action)},\n'
        f'    "Resource": {json.dumps(resource)}{extra}\n'
        "  }]\n"
        "}\n"
    )


def with_condition(condition: str) -> str:
    """`simple` with `"Condition": {` on line 7 and `condition` on line 8, from column 7."""
    return simple(
        "iam:GetUser",
        "arn:aws:iam::123456789012:user/alice",
        extra=',\n    "Condition": {\n      ' + condition + "\n    }",
    )


def key_column(operator: str) -> int:
    """Column of the key on line 8 of `with_condition('"Operator": {"key": value}')`."""
    return 6 + len(f'"{operator}": {{') + 1


def value_column(operator: str, key: str) -> int:
    """Column of the value on line 8 of `with_condition('"Operator": {"key": value}')`."""
    return key_column(operator) + len(f'"{key}": ')


class GrammarAndOrderTests:
    def test_the_newcomer_typo_gives_the_json_error_and_the_invalid_action(self):
        findings = lint_policy(NEWCOMER_TYPO)
        assert [shape(f) for f in findings] == [
            ("ERROR", "JSON_SYNTAX_ERROR", "Json syntax error", 6, 5),
            ("ERROR", "INVALID_ACTION", "Invalid action", 5, 16),
        ]
        assert findings[1].path == ("Statement", 0, "Action", 0)

    def test_grammar_errors_come_first_even_when_a_lint_finding_is_earlier_in_the_text(self):
        findings = lint("""\
            {
              "Statement": [{
                "Effect": "Permit",
                "Action": "iam:GetUser",
                "Resource": "*"
              }]
            }
            """)
        assert codes(findings) == ["INVALID_EFFECT", "MISSING_VERSION"]
        assert (findings[1].line, findings[1].column) == (1, 1)

    def test_lint_findings_follow_in_document_order_each_once(self):
        findings = lint("""\
            {
              "Statement": [{
                "Effect": "Allow",
                "Action": ["iam:ListUser", "iam:Get*", "iam:GetUser"],
                "Resource": "*"
              }, {
                "Effect": "Allow",
                "Action": ["iam:ListUser", "iam:Get*", "iam:GetUser"],
                "Resource": "*"
              }]
            }
            """)
        assert [(f.code, f.line, f.column) for f in findings] == [
            ("MISSING_VERSION", 1, 1),
            ("INVALID_ACTION", 4, 16),
            ("REDUNDANT_ACTION", 4, 44),
            ("REDUNDANT_STATEMENT", 6, 6),
            ("INVALID_ACTION", 8, 16),
            ("REDUNDANT_ACTION", 8, 44),
        ]
        assert len(set(findings)) == len(findings)

    def test_a_check_says_nothing_where_the_grammar_already_reported_an_error(self):
        findings = lint(simple("iam: CreateUsers"))
        assert codes(findings) == ["INVALID_ACTION"]
        assert "white space" in findings[0].detail

    def test_a_clean_policy_has_no_findings(self):
        assert lint(simple("iam:GetUser", "arn:aws:iam::123456789012:user/alice")) == []

    @pytest.mark.parametrize(
        "document",
        [
            b"\xff\xfe",
            b"",
            "",
            "   ",
            "null",
            "[]",
            "42",
            '"text"',
            "{",
            "{}",
            '{"Statement": 3}',
            '{"Statement": [1, "x", null]}',
            '{"Statement": {"Action": {"a": 1}, "Resource": [[]]}}',
            '{"Statement": {"Effect": "Allow", "Condition": {"StringEquals": []}}}',
            '{"Statement": {"Effect": "Allow", "Condition": {"Bogus": {"aws:username": "a"}}}}',
            '{"Statement": {"Effect": "Allow", "Principal": {"AWS": [[], {}]}, "Action": "*"}}',
            "[" * 5000,
            {"Statement": set()},
            {1: 2},
            {"a": float("nan")},
            object(),
            None,
            3.5,
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "*" * 3000, "Resource": ["*" * 3000, "arn:" + "?" * 3000]}
                ]
            },
        ],
    )
    def test_any_input_gives_findings_rather_than_an_exception(self, document):
        for kind in ("identity", "resource", "trust"):
            findings = lint_policy(document, kind=kind)
            assert isinstance(findings, list) and all(isinstance(f, Finding) for f in findings)

    def test_data_nested_deeper_than_python_can_serialise_is_a_syntax_error(self):
        nested: list = []
        for _ in range(100_000):
            nested = [nested]
        assert codes(lint_policy(nested)) == ["JSON_SYNTAX_ERROR"]

    def test_an_unknown_kind_is_a_programming_error(self):
        with pytest.raises(ValueError, match="kind"):
            lint_policy(simple(), kind="boundary")


class InvalidActionTests:
    def test_an_unknown_iam_action_is_an_error_with_a_suggestion(self):
        finding = only(lint(simple("iam:CreateUsers")), "INVALID_ACTION")
        assert shape(finding) == ("ERROR", "INVALID_ACTION", "Invalid action", 5, 15)
        assert finding.path == ("Statement", 0, "Action")
        assert finding.detail == "The action iam:CreateUsers does not exist. Did you mean iam:CreateUser?"

    def test_an_unknown_sts_action_in_a_list_points_at_its_entry(self):
        findings = lint(simple(["sts:AssumeRole", "sts:AssumeRoel"]))
        finding = only(findings, "INVALID_ACTION")
        assert shape(finding) == ("ERROR", "INVALID_ACTION", "Invalid action", 5, 34)
        assert finding.path == ("Statement", 0, "Action", 1)
        assert finding.detail.endswith("Did you mean sts:AssumeRole?")

    def test_a_wildcard_that_matches_no_catalogued_action_is_invalid(self):
        finding = only(lint(simple("iam:Frobnicate*")), "INVALID_ACTION")
        assert shape(finding) == ("ERROR", "INVALID_ACTION", "Invalid action", 5, 15)
        assert finding.detail == "The action pattern iam:Frobnicate* matches no iam action."

    @pytest.mark.parametrize(
        "action",
        [
            "iam:CreateUser",
            "IAM:createuser",
            "iam:*User",
            "iam:Get?ser",
            "sts:Assume*",
            "s3:CreateUsers",
            "ec2:Frobnicate*",
            "*",
        ],
    )
    def test_catalogued_actions_any_case_matching_wildcards_and_other_services_are_valid(self, action):
        assert "INVALID_ACTION" not in codes(lint(simple(action, "arn:aws:iam::123456789012:user/a")))


class ConditionKeyTests:
    def test_an_unknown_aws_key_is_an_invalid_global_condition_key(self):
        finding = only(
            lint(with_condition('"StringEquals": {"aws:Usernam": "alice"}')), "INVALID_GLOBAL_CONDITION_KEY"
        )
        assert shape(finding) == (
            "ERROR",
            "INVALID_GLOBAL_CONDITION_KEY",
            "Invalid global condition key",
            8,
            24,
        )
        assert finding.path == ("Statement", 0, "Condition", "StringEquals", "aws:Usernam")
        assert finding.detail.endswith("Did you mean aws:username?")

    @pytest.mark.parametrize("key", ["aws:username", "AWS:UserName", "aws:PrincipalTag/team", "aws:TagKeys"])
    def test_global_keys_in_any_case_and_tag_keys_are_valid(self, key):
        findings = lint(with_condition(f'"StringEquals": {{"{key}": "alice"}}'))
        assert "INVALID_GLOBAL_CONDITION_KEY" not in codes(findings)

    def test_an_unknown_iam_key_is_an_invalid_service_condition_key(self):
        finding = only(
            lint(with_condition('"StringEquals": {"iam:PassedToServic": "ec2.amazonaws.com"}')),
            "INVALID_SERVICE_CONDITION_KEY",
        )
        assert shape(finding) == (
            "ERROR",
            "INVALID_SERVICE_CONDITION_KEY",
            "Invalid service condition key",
            8,
            24,
        )
        assert finding.detail.endswith("Did you mean iam:PassedToService?")

    @pytest.mark.parametrize(
        "key", ["iam:PassedToService", "iam:ResourceTag/team", "sts:ExternalId", "s3:prefix", "saml:aud"]
    )
    def test_catalogued_service_keys_and_keys_of_other_services_are_valid(self, key):
        findings = lint(with_condition(f'"StringEquals": {{"{key}": "x"}}'))
        assert not {"INVALID_SERVICE_CONDITION_KEY", "INVALID_GLOBAL_CONDITION_KEY"} & set(codes(findings))


class TypeMismatchTests:
    @pytest.mark.parametrize(
        ("operator", "key", "bad", "good", "code", "title"),
        [
            (
                "NumericLessThan",
                "aws:MultiFactorAuthAge",
                '"ten"',
                '"3600"',
                "TYPE_MISMATCH_NUMBER",
                "Type mismatch number",
            ),
            (
                "DateGreaterThan",
                "aws:CurrentTime",
                '"yesterday"',
                '"2026-01-31T12:00:00Z"',
                "TYPE_MISMATCH_DATE",
                "Type mismatch date",
            ),
            (
                "Bool",
                "aws:SecureTransport",
                '"yes"',
                "true",
                "TYPE_MISMATCH_BOOLEAN",
                "Type mismatch Boolean",
            ),
            (
                "IpAddress",
                "aws:SourceIp",
                '"203.0.113.0/33"',
                '"203.0.113.0/24"',
                "TYPE_MISMATCH_IP_RANGE",
                "Type mismatch IP range",
            ),
        ],
    )
    def test_a_value_the_operator_cannot_read_is_a_type_mismatch(self, operator, key, bad, good, code, title):
        condition = f'"{operator}": {{"{key}": {bad}}}'
        finding = only(lint(with_condition(condition)), code)
        assert shape(finding) == ("WARNING", code, title, 8, value_column(operator, key))
        assert finding.path == ("Statement", 0, "Condition", operator, key)
        assert lint(with_condition(f'"{operator}": {{"{key}": {good}}}')) == []

    def test_epoch_seconds_are_a_date_and_json_numbers_are_numbers(self):
        assert lint(with_condition('"DateLessThan": {"aws:EpochTime": "1767225600"}')) == []
        assert lint(with_condition('"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}')) == []

    def test_each_unreadable_value_of_a_list_is_reported_at_its_place(self):
        findings = lint(with_condition('"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "office"]}'))
        finding = only(findings, "TYPE_MISMATCH_IP_RANGE")
        assert (finding.line, finding.column) == (8, 56)
        assert finding.path == ("Statement", 0, "Condition", "IpAddress", "aws:SourceIp", 1)

    def test_a_numeric_operator_on_a_string_key_is_a_type_mismatch(self):
        finding = only(lint(with_condition('"NumericEquals": {"aws:username": "10"}')), "TYPE_MISMATCH")
        assert shape(finding) == ("WARNING", "TYPE_MISMATCH", "Type mismatch", 8, 25)
        assert "StringEquals" in finding.detail

    @pytest.mark.parametrize(
        "condition",
        [
            '"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}',
            '"NumericLessThan": {"aws:EpochTime": "1767225600"}',
            '"StringEquals": {"aws:CurrentTime": "2026-01-31"}',
            '"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}',
            '"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}',
            '"NumericEquals": {"s3:max-keys": "10"}',
        ],
    )
    def test_operators_that_fit_the_key_type_or_unknown_keys_are_not_mismatches(self, condition):
        assert "TYPE_MISMATCH" not in codes(lint(with_condition(condition)))


class SecurityWarningTests:
    @pytest.mark.parametrize("action", ["iam:PassRole", "iam:Pass*", "iam:*", "*"])
    def test_pass_role_on_every_resource_directly_or_through_a_wildcard(self, action):
        finding = only(lint(simple(action, "*")), "PASS_ROLE_WITH_STAR_IN_RESOURCE")
        assert shape(finding) == (
            "SECURITY_WARNING",
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "Pass role with star in resource",
            6,
            17,
        )
        assert finding.path == ("Statement", 0, "Resource")

    def test_pass_role_on_every_role_of_an_account_is_a_star_in_resource_too(self):
        findings = lint(simple("iam:PassRole", "arn:aws:iam::123456789012:role/*"))
        assert shape(only(findings, "PASS_ROLE_WITH_STAR_IN_RESOURCE"))[3:] == (6, 17)

    @pytest.mark.parametrize(
        ("action", "resource", "extra"),
        [
            ("iam:PassRole", "arn:aws:iam::123456789012:role/ec2-app", ""),
            ("iam:GetRole", "*", ""),
            (
                "iam:PassRole",
                "*",
                ',\n    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}',
            ),
        ],
    )
    def test_pass_role_on_named_roles_other_actions_or_with_passed_to_service_are_fine(
        self, action, resource, extra
    ):
        assert "PASS_ROLE_WITH_STAR_IN_RESOURCE" not in codes(lint(simple(action, resource, extra=extra)))

    def test_a_denied_pass_role_on_every_resource_is_fine(self):
        assert lint(simple("iam:PassRole").replace('"Allow"', '"Deny"')) == []

    def test_pass_role_with_not_resource(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "NotResource": "arn:aws:iam::123456789012:role/admin"
              }]
            }
            """)
        assert [shape(f) for f in findings] == [
            ("SECURITY_WARNING", "PASS_ROLE_WITH_NOT_RESOURCE", "Pass role with NotResource", 6, 5)
        ]
        assert findings[0].path == ("Statement", 0, "NotResource")

    def test_not_resource_without_pass_role_is_fine(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "Action": "iam:GetRole",
                "NotResource": "arn:aws:iam::123456789012:role/admin"
              }]
            }
            """)
        assert findings == []

    def test_pass_role_with_not_action_that_lets_pass_role_through(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "NotAction": "s3:*",
                "Resource": "*"
              }]
            }
            """)
        assert shape(only(findings, "PASS_ROLE_WITH_NOT_ACTION")) == (
            "SECURITY_WARNING",
            "PASS_ROLE_WITH_NOT_ACTION",
            "Pass role with NotAction",
            5,
            5,
        )

    def test_not_action_that_excludes_pass_role_is_no_pass_role_warning(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "NotAction": ["s3:*", "iam:*"],
                "Resource": "*"
              }]
            }
            """)
        assert "PASS_ROLE_WITH_NOT_ACTION" not in codes(findings)

    @pytest.mark.parametrize(("kind", "action"), [("resource", "s3:GetObject"), ("trust", "sts:AssumeRole")])
    def test_allow_with_not_principal(self, kind, action):
        text = textwrap.dedent("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "ACTION"
              }]
            }
            """).replace("ACTION", action)
        findings = lint_policy(text, kind=kind)
        assert [shape(f) for f in findings] == [
            ("SECURITY_WARNING", "ALLOW_WITH_NOT_PRINCIPAL", "Allow with NotPrincipal", 5, 5)
        ]
        assert findings[0].path == ("Statement", 0, "NotPrincipal")

    def test_deny_with_not_principal_is_fine(self):
        findings = lint(
            """\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Deny",
                "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole"
              }]
            }
            """,
            "trust",
        )
        assert findings == []

    def test_for_all_values_with_a_single_valued_key(self):
        findings = lint(with_condition('"ForAllValues:StringEquals": {"aws:username": "alice"}'))
        assert [shape(f) for f in findings] == [
            (
                "SECURITY_WARNING",
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                "ForAllValues with single valued key",
                8,
                37,
            )
        ]
        assert "Remove ForAllValues:" in findings[0].detail

    @pytest.mark.parametrize(
        "condition",
        [
            '"ForAllValues:StringEquals": {"aws:TagKeys": "team"}',
            '"ForAnyValue:StringEquals": {"aws:username": "alice"}',
            '"ForAllValues:StringEquals": {"s3:prefix": "home"}',
        ],
    )
    def test_for_all_values_on_a_multivalued_or_unknown_key_or_for_any_value_is_fine(self, condition):
        assert lint(with_condition(condition)) == []


class OverlyPermissiveTests:
    def test_every_action_on_every_resource_without_condition_is_full_administrator_access(self):
        finding = only(lint(simple("*", "*")), "OVERLY_PERMISSIVE")
        assert shape(finding) == ("SECURITY_WARNING", "OVERLY_PERMISSIVE", "Overly permissive policy", 5, 15)
        assert "full administrator access" in finding.detail

    @pytest.mark.parametrize(
        ("action", "resource", "extra"),
        [
            ("*", "arn:aws:s3:::bucket/*", ""),
            ("s3:*", "*", ""),
            ("*", "*", ',\n    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}'),
        ],
    )
    def test_a_named_resource_a_service_wildcard_or_a_condition_is_not_full_access(
        self, action, resource, extra
    ):
        assert "OVERLY_PERMISSIVE" not in codes(lint(simple(action, resource, extra=extra)))

    def test_allow_not_action_on_every_resource_is_overly_permissive_too(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "NotAction": "iam:*",
                "Resource": "*"
              }]
            }
            """)
        assert [shape(f) for f in findings] == [
            ("SECURITY_WARNING", "OVERLY_PERMISSIVE", "Overly permissive policy", 5, 5),
            ("WARNING", "ALLOW_WITH_NOT_ACTION", "Allow with NotAction", 5, 5),
        ]
        assert "every action except iam:*" in findings[0].detail

    def test_allow_with_not_action_on_named_resources_is_a_warning(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "NotAction": "iam:*",
                "Resource": "arn:aws:s3:::bucket/*"
              }]
            }
            """)
        assert [shape(f) for f in findings] == [
            ("WARNING", "ALLOW_WITH_NOT_ACTION", "Allow with NotAction", 5, 5)
        ]
        assert "List the allowed actions" in findings[0].detail

    def test_deny_with_not_action_is_fine(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Deny",
                "NotAction": "iam:*",
                "Resource": "*"
              }]
            }
            """)
        assert findings == []


class WarningTests:
    def test_a_policy_without_version_gets_a_missing_version_warning_at_its_start(self):
        findings = lint("""\
            {
              "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]
            }
            """)
        assert [shape(f) for f in findings] == [("WARNING", "MISSING_VERSION", "Missing version", 1, 1)]
        assert findings[0].path == ()

    def test_a_policy_with_a_version_has_no_missing_version_warning(self):
        assert lint(simple()) == []

    @pytest.mark.parametrize(
        ("operator", "like"),
        [
            ("StringEquals", "StringLike"),
            ("StringNotEquals", "StringNotLike"),
            ("ForAnyValue:StringEqualsIfExists", "ForAnyValue:StringLikeIfExists"),
        ],
    )
    def test_a_wildcard_with_an_equals_operator_suggests_the_like_operator(self, operator, like):
        findings = lint(with_condition(f'"{operator}": {{"aws:PrincipalTag/team": "web-*"}}'))
        finding = only(findings, "WILDCARD_WITHOUT_LIKE_OPERATOR")
        assert shape(finding) == (
            "WARNING",
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
            "Wildcard without like operator",
            8,
            value_column(operator, "aws:PrincipalTag/team"),
        )
        assert finding.detail.endswith(f"use {like}.")

    def test_arn_equals_with_a_wildcard_suggests_arn_like(self):
        findings = lint(with_condition('"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}'))
        assert only(findings, "WILDCARD_WITHOUT_LIKE_OPERATOR").detail.endswith("use ArnLike.")

    @pytest.mark.parametrize(
        "condition",
        [
            '"StringLike": {"aws:PrincipalTag/team": "web-*"}',
            '"StringEquals": {"aws:PrincipalTag/team": "web"}',
            '"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}',
            '"StringEquals": {"aws:PrincipalTag/team": "${*}"}',
            '"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}',
        ],
    )
    def test_like_operators_plain_values_and_variables_are_fine(self, condition):
        assert "WILDCARD_WITHOUT_LIKE_OPERATOR" not in codes(lint(with_condition(condition)))


def sized(characters: int) -> str:
    """An identity policy with exactly this many characters that are not white space."""
    text = simple().replace('"Effect"', '"Sid": "S",\n    "Effect"')
    padding = characters - len("".join(text.split()))
    assert padding >= 0
    return text.replace('"Sid": "S"', '"Sid": "S' + "x" * padding + '"')


class PolicySizeTests:
    def test_an_identity_policy_over_6144_characters_exceeds_the_quota(self):
        findings = lint(sized(6145))
        assert [shape(f) for f in findings] == [
            (
                "WARNING",
                "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
                "Policy size exceeds identity policy quota",
                1,
                1,
            )
        ]
        assert "6,145" in findings[0].detail and "6,144" in findings[0].detail

    def test_an_identity_policy_of_6144_characters_plus_white_space_is_within_the_quota(self):
        text = sized(6144).replace("\n", "\n" + " " * 50)
        assert len(text) > 6144 * 1.05
        assert lint(text) == []

    def test_a_trust_policy_over_2048_characters_exceeds_the_role_trust_policy_quota(self):
        def trust(characters: int) -> str:
            text = textwrap.dedent("""\
                {
                  "Version": "2012-10-17",
                  "Statement": [{
                    "Sid": "S",
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole"
                  }]
                }
                """)
            padding = characters - len("".join(text.split()))
            return text.replace('"S"', '"S' + "x" * padding + '"')

        findings = lint(trust(2049), "trust")
        assert [shape(f) for f in findings] == [
            (
                "WARNING",
                "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA",
                "Policy size exceeds role trust policy quota",
                1,
                1,
            )
        ]
        assert lint(trust(2048), "trust") == []

    def test_resource_policies_have_no_size_check_here(self):
        text = sized(7000).replace('"Effect"', '"Principal": "*",\n    "Effect"')
        assert "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA" not in codes(lint(text, "resource"))


class EmptyValueTests:
    def test_empty_action_and_resource_arrays(self):
        findings = lint(simple([], []))
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", "EMPTY_ARRAY_ACTION", "Empty array action", 5, 15),
            ("SUGGESTION", "EMPTY_ARRAY_RESOURCE", "Empty array resource", 6, 17),
        ]

    def test_non_empty_action_and_resource_arrays_are_fine(self):
        assert lint(simple(["iam:GetUser"], ["*"])) == []

    def test_empty_principal_array_and_object(self):
        findings = lint(
            """\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": []},
                "Action": "sts:AssumeRole"
              }, {
                "Effect": "Allow",
                "Principal": {},
                "Action": "sts:TagSession"
              }]
            }
            """,
            "trust",
        )
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", "EMPTY_ARRAY_PRINCIPAL", "Empty array principal", 5, 26),
            ("SUGGESTION", "EMPTY_OBJECT_PRINCIPAL", "Empty object principal", 9, 18),
        ]

    def test_named_principals_are_fine(self):
        findings = lint(
            """\
            {
              "Version": "2012-10-17",
              "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                "Action": "sts:AssumeRole"
              }]
            }
            """,
            "trust",
        )
        assert findings == []

    @pytest.mark.parametrize(
        ("operator", "code", "title"),
        [
            ("StringEquals", "EMPTY_ARRAY_CONDITION", "Empty array condition"),
            (
                "ForAllValues:StringEquals",
                "EMPTY_ARRAY_CONDITION_FORALLVALUES",
                "Empty array condition ForAllValues",
            ),
            (
                "ForAnyValue:StringEquals",
                "EMPTY_ARRAY_CONDITION_FORANYVALUE",
                "Empty array condition ForAnyValue",
            ),
            ("StringEqualsIfExists", "EMPTY_ARRAY_CONDITION_IFEXISTS", "Empty array condition IfExists"),
        ],
    )
    def test_a_condition_key_without_values(self, operator, code, title):
        findings = lint(with_condition(f'"{operator}": {{"aws:TagKeys": []}}'))
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", code, title, 8, value_column(operator, "aws:TagKeys"))
        ]

    def test_empty_condition_object_and_empty_operator_block(self):
        findings = lint(simple(extra=',\n    "Condition": {}'))
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", "EMPTY_OBJECT_CONDITION", "Empty object condition", 7, 18)
        ]
        findings = lint(with_condition('"StringEquals": {}'))
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", "EMPTY_OBJECT_CONDITION", "Empty object condition", 8, 23)
        ]

    def test_condition_keys_with_values_are_fine(self):
        assert lint(with_condition('"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}')) == []

    def test_an_empty_sid(self):
        findings = lint(simple().replace('"Effect"', '"Sid": "",\n    "Effect"'))
        assert [shape(f) for f in findings] == [("SUGGESTION", "EMPTY_SID_VALUE", "Empty Sid value", 4, 12)]

    def test_a_named_sid_is_fine(self):
        assert lint(simple().replace('"Effect"', '"Sid": "ReadUsers",\n    "Effect"')) == []


class RedundancyTests:
    def test_an_action_covered_by_a_wildcard_of_the_same_statement(self):
        findings = lint(simple(["iam:GetUser", "iam:Get*", "iam:List*"]))
        finding = only(findings, "REDUNDANT_ACTION")
        assert shape(finding) == ("SUGGESTION", "REDUNDANT_ACTION", "Redundant action", 5, 16)
        assert finding.path == ("Statement", 0, "Action", 0)
        assert "covered by iam:Get*" in finding.detail

    def test_a_narrower_wildcard_and_a_repeat_in_another_case_are_redundant(self):
        actions = ["iam:*", "iam:Get*", "sts:GetCallerIdentity", "STS:getcalleridentity"]
        findings = lint(simple(actions, "arn:aws:iam::123456789012:user/alice"))
        assert [(f.code, f.path[-1]) for f in findings] == [("REDUNDANT_ACTION", 1), ("REDUNDANT_ACTION", 3)]

    @pytest.mark.parametrize(
        "actions",
        [
            ["iam:GetUser", "iam:ListUsers"],
            ["iam:Get*", "iam:*User"],
            ["iam:Get?ser", "iam:GetUsers"],
        ],
    )
    def test_actions_that_only_overlap_are_not_redundant(self, actions):
        assert "REDUNDANT_ACTION" not in codes(lint(simple(actions)))

    def test_a_resource_covered_by_a_wildcard_arn_of_the_same_statement(self):
        resources = ["arn:aws:iam::123456789012:role/jane-admin", "arn:aws:iam::123456789012:role/jane*"]
        finding = only(lint(simple("iam:GetRole", resources)), "REDUNDANT_RESOURCE")
        assert shape(finding) == ("SUGGESTION", "REDUNDANT_RESOURCE", "Redundant resource", 6, 18)
        assert finding.path == ("Statement", 0, "Resource", 0)

    def test_a_narrower_arn_pattern_is_covered_by_a_wider_one(self):
        resources = ["arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/home/*"]
        finding = only(lint(simple("s3:GetObject", resources)), "REDUNDANT_RESOURCE")
        assert finding.path == ("Statement", 0, "Resource", 1)

    @pytest.mark.parametrize(
        "resources",
        [
            ["arn:aws:s3:::bucket/*", "arn:aws:s3:::other/*"],
            ["arn:aws:iam::123456789012:role/jane*", "arn:aws:iam::123456789012:role/Jane-admin"],
            ["arn:aws:s3:::bucket?/*", "arn:aws:s3:::bucket*/x"],
            ["arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:us-east-1:*:instance/i-1"],
        ],
    )
    def test_resources_that_differ_or_only_overlap_are_not_redundant(self, resources):
        assert "REDUNDANT_RESOURCE" not in codes(lint(simple("s3:GetObject", resources)))

    def test_a_statement_identical_to_an_earlier_one_but_for_its_sid(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"},
                {"Sid": "B", "Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser"], "Resource": ["*"]}
              ]
            }
            """)
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", "REDUNDANT_STATEMENT", "Redundant statement", 5, 5)
        ]
        assert findings[0].path == ("Statement", 1)
        assert findings[0].detail.startswith('Statement[1] (Sid "B") repeats Statement[0] (Sid "A")')

    def test_statements_that_differ_in_effect_or_condition_are_not_redundant(self):
        findings = lint("""\
            {
              "Version": "2012-10-17",
              "Statement": [
                {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
              ]
            }
            """)
        assert findings == []

    def test_the_same_condition_value_twice_under_one_key(self):
        findings = lint(with_condition('"StringEquals": {"aws:PrincipalTag/team": ["web", "db", "web"]}'))
        assert [shape(f) for f in findings] == [
            ("SUGGESTION", "REDUNDANT_CONDITION_VALUE", "Redundant condition value", 8, 63)
        ]
        assert findings[0].path[-1] == 2

    def test_distinct_condition_values_are_fine(self):
        assert lint(with_condition('"StringEquals": {"aws:PrincipalTag/team": ["web", "db", "Web"]}')) == []


class CommandLineTests:
    @staticmethod
    def validate(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "policies.engine", "validate", str(path), *options],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )

    def test_validate_exits_1_when_the_policy_has_errors(self, tmp_path):
        path = tmp_path / "typo.json"
        path.write_text(NEWCOMER_TYPO)
        proc = self.validate(path)
        assert proc.returncode == 1
        assert "Json syntax error" in proc.stdout and "Invalid action" in proc.stdout

    def test_validate_exits_0_for_a_clean_policy_and_for_mere_warnings(self, tmp_path):
        clean = tmp_path / "clean.json"
        clean.write_text(simple("iam:GetUser", "arn:aws:iam::123456789012:user/alice"))
        proc = self.validate(clean)
        assert (proc.returncode, proc.stdout.strip()) == (0, "No findings.")
        admin = tmp_path / "admin.json"
        admin.write_text(simple("*", "*"))
        proc = self.validate(admin)
        assert proc.returncode == 0 and "Overly permissive policy" in proc.stdout

    def test_validate_json_output_parses(self, tmp_path):
        path = tmp_path / "typo.json"
        path.write_text(NEWCOMER_TYPO)
        proc = self.validate(path, "--json")
        assert proc.returncode == 1
        assert [(f["code"], f["line"], f["column"], f["path"]) for f in json.loads(proc.stdout)] == [
            ("JSON_SYNTAX_ERROR", 6, 5, ""),
            ("INVALID_ACTION", 5, 16, "Statement[0].Action[0]"),
        ]

    def test_validate_reads_the_kind(self, tmp_path):
        path = tmp_path / "trust.json"
        path.write_text(
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", '
            '"NotPrincipal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}}'
        )
        proc = self.validate(path, "--kind", "trust", "--json")
        assert proc.returncode == 0
        assert [f["code"] for f in json.loads(proc.stdout)] == ["ALLOW_WITH_NOT_PRINCIPAL"]
