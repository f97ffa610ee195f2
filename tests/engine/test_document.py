"""Parsing and validating policy documents: what is wrong, and where (JSON path, line, column)."""

from __future__ import annotations

import json
import re

import pytest

from policies.engine import PolicyError, parse_policy
from policies.engine.jsontext import JsonSyntaxError, parse


def errors_of(text: str, kind: str = "identity") -> list[tuple[str, str, int | None, int | None]]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, kind=kind)
    return [(f.code, f.json_path, f.line, f.column) for f in caught.value.findings]


def doc(*statements: dict, version: str | None = "2012-10-17") -> str:
    body: dict = {"Statement": list(statements)}
    if version:
        body = {"Version": version, **body}
    return json.dumps(body, indent=2)


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


class JsonTextTests:
    def test_positions_are_one_based_lines_and_columns(self):
        node = parse('{\n  "a": [1, "x"]\n}')
        assert (node.start.line, node.start.column) == (1, 1)
        assert node.key_positions["a"].line == 2 and node.key_positions["a"].column == 3
        item = node.value["a"].value[1]
        assert (item.value, item.start.line, item.start.column) == ("x", 2, 12)

    def test_duplicate_keys_are_an_error_at_the_second_key(self):
        with pytest.raises(JsonSyntaxError) as caught:
            parse('{"Effect": "Allow",\n "Effect": "Deny"}')
        assert caught.value.message == "Duplicate key 'Effect'"
        assert (caught.value.position.line, caught.value.position.column) == (2, 2)

    def test_plain_round_trips_values(self):
        text = '{"a": [true, false, null, -1.5e2, 3, "\\u00e9\\n"], "b": {}}'
        assert parse(text).plain() == json.loads(text)

    @pytest.mark.parametrize("text", ["", "{", '{"a" 1}', "[1 2", '"abc', "{}x", "tru", '{"a":1,}', "01"])
    def test_bad_json_raises_only_its_own_error(self, text):
        with pytest.raises(JsonSyntaxError):
            parse(text)


class ParsePolicyTests:
    def test_administrator_policy_compiles(self):
        policy = parse_policy(doc(ALLOW_ALL))
        assert policy.version == "2012-10-17"
        [st] = policy.statements
        assert (st.effect, st.action_patterns, st.not_action) == ("Allow", ("*",), False)

    def test_statement_may_be_a_single_object(self):
        policy = parse_policy({"Version": "2012-10-17", "Statement": ALLOW_ALL})
        assert len(policy.statements) == 1

    def test_space_after_the_service_colon_is_an_invalid_action_at_its_place(self):
        text = doc({"Effect": "Allow", "Action": ["iam:GetUser", "iam: ChangePassword"], "Resource": "*"})
        assert errors_of(text) == [("INVALID_ACTION", "Statement[0].Action[1]", 8, 9)]
        with pytest.raises(PolicyError, match="contains white space; write it as 'iam:ChangePassword'"):
            parse_policy(text)

    def test_missing_comma_between_elements_points_at_the_next_element(self):
        text = (
            '{\n  "Version": "2012-10-17",\n  "Statement": {\n    "Effect": "Allow",\n'
            '    "Action": ["iam:ChangePassword"]\n    "Resource": "*"\n  }\n}'
        )
        assert errors_of(text) == [("JSON_SYNTAX_ERROR", "", 6, 5)]
        with pytest.raises(PolicyError, match="Expecting ',' delimiter"):
            parse_policy(text)

    def test_missing_comma_and_bad_action_are_both_reported(self):
        text = (
            '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
            '    "Action": ["iam: ChangePassword"]\n    "Resource": "*"\n  }]\n}'
        )
        assert errors_of(text) == [
            ("JSON_SYNTAX_ERROR", "", 6, 5),
            ("INVALID_ACTION", "Statement[0].Action[0]", 5, 16),
        ]

    def test_lower_case_effect_is_invalid(self):
        text = doc({"Effect": "allow", "Action": "*", "Resource": "*"})
        assert errors_of(text) == [("INVALID_EFFECT", "Statement[0].Effect", 5, 17)]
        message = 'The effect "allow" is not valid. Use Allow or Deny'
        with pytest.raises(PolicyError, match=re.escape(message)):
            parse_policy(text)

    def test_action_with_not_action_is_an_unsupported_combination(self):
        text = doc(
            {"Effect": "Allow", "Action": "iam:GetUser", "NotAction": "iam:ListUsers", "Resource": "*"}
        )
        assert errors_of(text) == [("UNSUPPORTED_ELEMENT_COMBINATION", "Statement[0].NotAction", 7, 7)]

    def test_resource_with_not_resource_is_an_unsupported_combination(self):
        text = doc({"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"})
        assert [e[0] for e in errors_of(text)] == ["UNSUPPORTED_ELEMENT_COMBINATION"]

    def test_duplicate_json_keys_are_rejected_not_last_wins(self):
        text = (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Effect": "Allow", '
            '"Action": "*", "Resource": "*"}}'
        )
        assert errors_of(text) == [("JSON_SYNTAX_ERROR", "", 1, 59)]
        with pytest.raises(PolicyError, match="Duplicate key 'Effect'"):
            parse_policy(text)

    @pytest.mark.parametrize(
        ("statement", "code"),
        [
            ({"Action": "*", "Resource": "*"}, "MISSING_EFFECT"),
            ({"Effect": "Allow", "Resource": "*"}, "MISSING_ACTION"),
            ({"Effect": "Allow", "Action": "*"}, "MISSING_RESOURCE"),
            ({"Effect": "Allow", "Action": "GetUser", "Resource": "*"}, "INVALID_ACTION"),
            ({"Effect": "Allow", "Action": 3, "Resource": "*"}, "INVALID_ACTION"),
            ({"Effect": "Allow", "Action": "*", "Resource": "user/alice"}, "INVALID_ARN"),
            ({"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}, "UNSUPPORTED_ELEMENT"),
            ({"Effect": "Allow", "Action": "*", "Resource": "*", "Actions": "*"}, "UNSUPPORTED_ELEMENT"),
            ({"Sid": "my sid", "Effect": "Allow", "Action": "*", "Resource": "*"}, "UNSUPPORTED_SID"),
            (
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEqualz": {"aws:a": "b"}},
                },
                "INVALID_CONDITION_OPERATOR",
            ),
            (
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NullIfExists": {"aws:a": "true"}},
                },
                "NULL_WITH_IF_EXISTS",
            ),
            (
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"username": "b"}},
                },
                "INVALID_CONDITION_KEY_FORMAT",
            ),
            (
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEquals": "aws:username"},
                },
                "INVALID_CONDITION",
            ),
            (
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:a": {}}},
                },
                "INVALID_CONDITION_VALUE",
            ),
            (
                {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username"},
                "INVALID_VARIABLE",
            ),
        ],
    )
    def test_identity_policy_errors(self, statement, code):
        assert [e[0] for e in errors_of(doc(statement))] == [code]

    def test_duplicate_sids_are_rejected(self):
        text = doc({"Sid": "A", **ALLOW_ALL}, {"Sid": "A", **ALLOW_ALL})
        assert errors_of(text) == [("UNIQUE_SIDS_REQUIRED", "Statement[1].Sid", 11, 14)]

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"Version": "2012-10-17"}, "MISSING_STATEMENT"),
            ({"Version": "2012-10-17", "Statement": []}, "MISSING_STATEMENT"),
            ({"Version": "2020-01-01", "Statement": ALLOW_ALL}, "INVALID_VERSION"),
            ({"Version": "2012-10-17", "Statement": "Allow"}, "INVALID_STATEMENT"),
            ({"Version": "2012-10-17", "Statement": [ALLOW_ALL, 7]}, "INVALID_STATEMENT"),
            ({"Version": "2012-10-17", "Statement": ALLOW_ALL, "Extra": 1}, "UNSUPPORTED_ELEMENT"),
            (["not", "an", "object"], "INVALID_POLICY"),
        ],
    )
    def test_top_level_errors(self, body, code):
        assert [e[0] for e in errors_of(json.dumps(body))] == [code]

    def test_every_error_is_reported_not_just_the_first(self):
        text = doc({"Effect": "allow", "Action": "iam: GetUser"}, {"Effect": "Allow", "Resource": "*"})
        assert [e[0] for e in errors_of(text)] == [
            "INVALID_EFFECT",
            "INVALID_ACTION",
            "MISSING_RESOURCE",
            "MISSING_ACTION",
        ]

    def test_resource_policy_needs_a_principal_and_checks_its_format(self):
        assert [e[0] for e in errors_of(doc(ALLOW_ALL), kind="resource")] == ["MISSING_PRINCIPAL"]
        bad = {**ALLOW_ALL, "Principal": {"AWS": "alice", "Users": "x"}}
        assert [e[0] for e in errors_of(doc(bad), kind="resource")] == [
            "INVALID_PRINCIPAL_FORMAT",
            "INVALID_PRINCIPAL_KEY",
        ]

    def test_trust_policy_rejects_resource(self):
        trust = {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        }
        assert [e[0] for e in errors_of(doc(trust), kind="trust")] == ["ROLE_TRUST_POLICY_SYNTAX_ERROR"]
        del trust["Resource"]
        assert parse_policy(doc(trust), kind="trust").statements[0].principals.accounts == {"123456789012"}

    def test_principal_forms_are_indexed(self):
        st = {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {
                "AWS": [
                    "111122223333",
                    "arn:aws:iam::444455556666:root",
                    "arn:aws:iam::123456789012:user/bob",
                    "arn:aws:iam::123456789012:role/path/Admin",
                ],
                "Service": "ec2.amazonaws.com",
            },
        }
        [compiled] = parse_policy(doc(st), kind="trust").statements
        p = compiled.principals
        assert p.accounts == {"111122223333", "444455556666"}
        assert p.roles == {("123456789012", "Admin")}
        assert "arn:aws:iam::123456789012:user/bob" in p.arns and p.others == {"ec2.amazonaws.com"}

    def test_error_message_names_line_column_and_path(self):
        with pytest.raises(PolicyError) as caught:
            parse_policy(doc({"Effect": "Allow", "Action": "iam:Get User", "Resource": "*"}))
        assert str(caught.value) == (
            "Invalid action: The action 'iam:Get User' contains white space; "
            "write it as 'iam:GetUser'. (line 6, column 17, Statement[0].Action)"
        )

    def test_variables_are_plain_text_before_version_2012(self):
        st = {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username"}
        assert parse_policy(doc(st, version="2008-10-17")).statements[0].resources[0].template is None
        assert parse_policy(doc(st, version=None)).version is None

    @pytest.mark.parametrize("value", [None, 3, [], "", b"\xff", {"Statement": None}, float("nan")])
    def test_garbage_raises_policy_error(self, value):
        with pytest.raises(PolicyError):
            parse_policy(value)
