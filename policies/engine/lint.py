"""Policy validation in the spirit of IAM Access Analyzer: errors, security warnings, warnings, suggestions.

`lint_policy` returns the grammar errors of `document.validate_tree` first (a policy AWS would reject),
then the findings of the checks below in document order. Each check is one small function named after
the Access Analyzer check it implements; titles, issue codes and severities follow Access Analyzer's
policy check reference, except OVERLY_PERMISSIVE and ALLOW_WITH_NOT_ACTION, which this project adds.
Only the IAM and STS catalogue is known (catalog.py): actions and condition keys of other services are
never reported as invalid.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import or_

from . import catalog
from .conditions import ParsedOperator, parse_date, parse_operator
from .document import (
    KINDS,
    Finding,
    Path,
    as_list,
    condition_value_text,
    read_document,
    statement_nodes,
    validate_tree,
)
from .jsontext import Node, Position
from .matching import compile_arn, compile_string_like, has_wildcard, pattern

IDENTITY_POLICY_QUOTA = 6_144  # characters without white space, managed policy
ROLE_TRUST_POLICY_QUOTA = 2_048  # default quota for a role trust policy

_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_WILDCARD_TAIL = re.compile(r"[*?].*", re.DOTALL)
_PLACEHOLDER = re.compile(r"\\\$\\\{[^}]*\\\}")  # a ${Name} placeholder once re.escape'd
_OPERATOR_KEY_TYPES = {"numeric": "Numeric", "date": "Date", "bool": "Bool", "ip": "IPAddress"}
_NUMERIC_DATE_KEYS = frozenset({"aws:epochtime"})  # documented as "Date, Numeric"
_LIKE_OPERATORS = {
    "StringEquals": "StringLike",
    "StringNotEquals": "StringNotLike",
    "StringEqualsIgnoreCase": "StringLike",
    "StringNotEqualsIgnoreCase": "StringNotLike",
    "ArnEquals": "ArnLike",
    "ArnNotEquals": "ArnNotLike",
}
_SUGGESTED_OPERATOR = {
    "String": "StringEquals",
    "ARN": "ArnLike",
    "Numeric": "NumericEquals",
    "Date": "DateEquals",
    "Bool": "Bool",
    "IPAddress": "IpAddress",
}
_PASS_ROLE = "iam:passrole"


@dataclass(frozen=True)
class Issue:
    """One Access Analyzer check: its severity, issue code and title."""

    severity: str
    code: str
    title: str

    def at(self, path: Path, where: Position | None, detail: str) -> Finding:
        return Finding(
            self.severity,
            self.code,
            self.title,
            detail,
            path,
            where.line if where else None,
            where.column if where else None,
        )


INVALID_ACTION = Issue("ERROR", "INVALID_ACTION", "Invalid action")
INVALID_GLOBAL_CONDITION_KEY = Issue("ERROR", "INVALID_GLOBAL_CONDITION_KEY", "Invalid global condition key")
INVALID_SERVICE_CONDITION_KEY = Issue(
    "ERROR", "INVALID_SERVICE_CONDITION_KEY", "Invalid service condition key"
)
PASS_ROLE_WITH_STAR_IN_RESOURCE = Issue(
    "SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "Pass role with star in resource"
)
PASS_ROLE_WITH_NOT_RESOURCE = Issue(
    "SECURITY_WARNING", "PASS_ROLE_WITH_NOT_RESOURCE", "Pass role with NotResource"
)
PASS_ROLE_WITH_NOT_ACTION = Issue("SECURITY_WARNING", "PASS_ROLE_WITH_NOT_ACTION", "Pass role with NotAction")
ALLOW_WITH_NOT_PRINCIPAL = Issue("SECURITY_WARNING", "ALLOW_WITH_NOT_PRINCIPAL", "Allow with NotPrincipal")
FORALLVALUES_WITH_SINGLE_VALUED_KEY = Issue(
    "SECURITY_WARNING", "FORALLVALUES_WITH_SINGLE_VALUED_KEY", "ForAllValues with single valued key"
)
OVERLY_PERMISSIVE = Issue("SECURITY_WARNING", "OVERLY_PERMISSIVE", "Overly permissive policy")
MISSING_VERSION = Issue("WARNING", "MISSING_VERSION", "Missing version")
TYPE_MISMATCH = Issue("WARNING", "TYPE_MISMATCH", "Type mismatch")
VALUE_TYPE_MISMATCH = {
    "numeric": Issue("WARNING", "TYPE_MISMATCH_NUMBER", "Type mismatch number"),
    "date": Issue("WARNING", "TYPE_MISMATCH_DATE", "Type mismatch date"),
    "bool": Issue("WARNING", "TYPE_MISMATCH_BOOLEAN", "Type mismatch Boolean"),
    "ip": Issue("WARNING", "TYPE_MISMATCH_IP_RANGE", "Type mismatch IP range"),
}
WILDCARD_WITHOUT_LIKE_OPERATOR = Issue(
    "WARNING", "WILDCARD_WITHOUT_LIKE_OPERATOR", "Wildcard without like operator"
)
POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA = Issue(
    "WARNING", "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", "Policy size exceeds identity policy quota"
)
POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA = Issue(
    "WARNING", "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA", "Policy size exceeds role trust policy quota"
)
ALLOW_WITH_NOT_ACTION = Issue("WARNING", "ALLOW_WITH_NOT_ACTION", "Allow with NotAction")
EMPTY_ARRAY_ACTION = Issue("SUGGESTION", "EMPTY_ARRAY_ACTION", "Empty array action")
EMPTY_ARRAY_RESOURCE = Issue("SUGGESTION", "EMPTY_ARRAY_RESOURCE", "Empty array resource")
EMPTY_ARRAY_PRINCIPAL = Issue("SUGGESTION", "EMPTY_ARRAY_PRINCIPAL", "Empty array principal")
EMPTY_ARRAY_CONDITION = Issue("SUGGESTION", "EMPTY_ARRAY_CONDITION", "Empty array condition")
EMPTY_ARRAY_CONDITION_FORALLVALUES = Issue(
    "SUGGESTION", "EMPTY_ARRAY_CONDITION_FORALLVALUES", "Empty array condition ForAllValues"
)
EMPTY_ARRAY_CONDITION_FORANYVALUE = Issue(
    "SUGGESTION", "EMPTY_ARRAY_CONDITION_FORANYVALUE", "Empty array condition ForAnyValue"
)
EMPTY_ARRAY_CONDITION_IFEXISTS = Issue(
    "SUGGESTION", "EMPTY_ARRAY_CONDITION_IFEXISTS", "Empty array condition IfExists"
)
EMPTY_OBJECT_CONDITION = Issue("SUGGESTION", "EMPTY_OBJECT_CONDITION", "Empty object condition")
EMPTY_OBJECT_PRINCIPAL = Issue("SUGGESTION", "EMPTY_OBJECT_PRINCIPAL", "Empty object principal")
EMPTY_SID_VALUE = Issue("SUGGESTION", "EMPTY_SID_VALUE", "Empty Sid value")
REDUNDANT_ACTION = Issue("SUGGESTION", "REDUNDANT_ACTION", "Redundant action")
REDUNDANT_RESOURCE = Issue("SUGGESTION", "REDUNDANT_RESOURCE", "Redundant resource")
REDUNDANT_STATEMENT = Issue("SUGGESTION", "REDUNDANT_STATEMENT", "Redundant statement")
REDUNDANT_CONDITION_VALUE = Issue("SUGGESTION", "REDUNDANT_CONDITION_VALUE", "Redundant condition value")


# --- A read-only view of the located tree -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One string of an element that holds a string or a list of strings."""

    path: Path
    node: Node
    text: str


@dataclass(frozen=True)
class Statement:
    path: Path
    node: Node

    @property
    def members(self) -> dict[str, Node]:
        return self.node.value  # type: ignore[return-value]

    def get(self, key: str) -> Node | None:
        return self.members.get(key)

    def key_at(self, key: str) -> Position | None:
        return self.node.key_positions.get(key)

    @property
    def allows(self) -> bool:
        effect = self.get("Effect")
        return effect is not None and effect.value == "Allow"

    @property
    def label(self) -> str:
        """Statement[2], or Statement[2] (Sid "ReadOnly")."""
        label = "".join(f"[{p}]" if isinstance(p, int) else p for p in self.path)
        sid = self.get("Sid")
        if sid is not None and isinstance(sid.value, str) and sid.value:
            label += f" (Sid {json.dumps(sid.value)})"
        return label

    def entries(self, key: str) -> list[Entry]:
        """The string entries of Action, Resource and the like (non-strings are grammar errors)."""
        node = self.get(key)
        if node is None:
            return []
        listed = isinstance(node.value, list)
        return [
            Entry((*self.path, key, i) if listed else (*self.path, key), item, item.value)
            for i, item in enumerate(as_list(node))
            if isinstance(item.value, str)
        ]

    def has_condition(self) -> bool:
        condition = self.get("Condition")
        return condition is not None and condition.value not in ({}, None)


@dataclass(frozen=True)
class Clause:
    """One `operator: {key: values}` pair of a statement's Condition element."""

    path: Path  # (..., "Condition", operator, key)
    operator: ParsedOperator
    key: str
    key_at: Position | None
    values: Node

    def entries(self) -> list[Entry]:
        listed = isinstance(self.values.value, list)
        out = []
        for i, item in enumerate(as_list(self.values)):
            text = condition_value_text(item.value)
            if text is not None:
                out.append(Entry((*self.path, i) if listed else self.path, item, text))
        return out


@dataclass(frozen=True)
class Policy:
    tree: Node
    size_text: str
    kind: str
    statements: tuple[Statement, ...]


def clauses(statement: Statement) -> Iterator[Clause]:
    condition = statement.get("Condition")
    if condition is None or not isinstance(condition.value, dict):
        return
    for op_name, block in condition.value.items():
        operator = parse_operator(op_name)
        if operator is None or not isinstance(block.value, dict):
            continue
        for key, values in block.value.items():
            path = (*statement.path, "Condition", op_name, key)
            yield Clause(path, operator, key, block.key_positions.get(key), values)


# --- Catalogue helpers -----------------------------------------------------------------------------------


def _key_index(keys: Iterable[str]) -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    return {k.lower(): k for k in keys}, [
        (re.compile(_PLACEHOLDER.sub(".+", re.escape(k)), re.IGNORECASE), k) for k in keys if "${" in k
    ]


_SERVICE_KEY_INDEX = {service: _key_index(keys) for service, keys in catalog.SERVICE_CONDITION_KEYS.items()}
_SERVICE_KEY_TYPES = {
    k.lower(): t for keys in catalog.SERVICE_CONDITION_KEYS.values() for k, t in keys.items()
}


def _service_key(key: str, service: str | None = None) -> str | None:
    """The catalogued spelling of a service condition key (of any catalogued service when None)."""
    for name, (exact, templated) in _SERVICE_KEY_INDEX.items():
        if service not in (None, name):
            continue
        found = exact.get(key.lower()) or next((k for r, k in templated if r.fullmatch(key)), None)
        if found:
            return found
    return None


def key_type(key: str) -> str | None:
    """The catalogued type of a condition key ("String", "ArrayOfString", ...), or None if unknown."""
    if key.partition(":")[0].lower() == "aws":
        return catalog.global_condition_key_type(key)
    found = _service_key(key)
    return _SERVICE_KEY_TYPES[found.lower()] if found else None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.75)
    return f" Did you mean {by_lower[close[0]]}?" if close else ""


# --- Wildcards -----------------------------------------------------------------------------------------


def glob_covers(general: str, specific: str) -> bool:
    """Whether `general` matches every text the pattern `specific` matches (`*` and `?` wildcards)."""
    if len(general) * len(specific) > 250_000:  # keep pathological input cheap; only a suggestion is lost
        return general == specific
    reachable = [True] + [False] * len(specific)  # reachable[j]: general so far can match specific[:j]
    for g in general:
        if g == "*":
            reachable = list(accumulate(reachable, or_))
        else:
            reachable = [False] + [
                reachable[j] and (s != "*" if g == "?" else s == g) for j, s in enumerate(specific)
            ]
    return reachable[-1]


def arn_covers(general: str, specific: str) -> bool:
    """Whether the Resource pattern `general` matches every ARN that `specific` matches."""
    if general in ("*", specific):
        return True
    if "${" in general or "${" in specific:
        return False
    if not has_wildcard(specific):
        return compile_arn(pattern(general))(specific)
    if general.count(":") < 5:  # wildcards of such a pattern span colons
        return glob_covers(general, specific)
    g_parts, s_parts = general.split(":", 5), specific.split(":", 5)
    return len(s_parts) == 6 and all(glob_covers(g, s) for g, s in zip(g_parts, s_parts, strict=True))


def _is_any_action(text: str) -> bool:
    return text in ("*", "*:*")


def _is_star_resource(text: str) -> bool:
    """`*`, or an IAM ARN naming every role: arn:aws:iam::123456789012:role/*."""
    parts = text.split(":", 5)
    return text == "*" or (len(parts) == 6 and parts[2] in ("iam", "*") and parts[5] in ("*", "role/*"))


def _grants_pass_role(statement: Statement) -> bool:
    """Whether the Action or NotAction element of the statement lets iam:PassRole through."""
    if "Action" in statement.members:
        return any(_matches_pass_role(e.text) for e in statement.entries("Action"))
    if "NotAction" in statement.members:
        return not any(_matches_pass_role(e.text) for e in statement.entries("NotAction"))
    return False


def _matches_pass_role(action_pattern: str) -> bool:
    return compile_string_like(pattern(action_pattern.lower()))(_PASS_ROLE)


def _without_variables(text: str) -> str:
    return _VARIABLE.sub("", text)


# --- Checks: the whole document ---------------------------------------------------------------------------


def check_missing_version(policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Missing version (WARNING)."""
    if isinstance(policy.tree.value, dict) and "Version" not in policy.tree.value:
        yield MISSING_VERSION.at(
            (),
            policy.tree.start,
            'Add "Version": "2012-10-17" to the policy: without it, policy variables '
            "such as ${aws:username} are read as plain text.",
        )


def check_policy_size(policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Policy size exceeds identity policy quota / role trust policy quota (WARNING)."""
    size = len("".join(policy.size_text.split()))
    if policy.kind == "identity" and size > IDENTITY_POLICY_QUOTA:
        yield POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA.at(
            (),
            policy.tree.start,
            f"The policy has {size:,} characters without white space, more than the "
            f"{IDENTITY_POLICY_QUOTA:,} characters a managed policy may have. Split the policy up.",
        )
    elif policy.kind == "trust" and size > ROLE_TRUST_POLICY_QUOTA:
        yield POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA.at(
            (),
            policy.tree.start,
            f"The policy has {size:,} characters without white space, more than the "
            f"{ROLE_TRUST_POLICY_QUOTA:,} characters a role trust policy may have by default. Shorten it, "
            "or ask for a higher quota.",
        )


def check_redundant_statement(policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Redundant statement (SUGGESTION)."""
    seen: dict[object, Statement] = {}
    for statement in policy.statements:
        body = _canonical({k: v.plain() for k, v in statement.members.items() if k != "Sid"})
        first = seen.setdefault(body, statement)
        if first is not statement:
            yield REDUNDANT_STATEMENT.at(
                statement.path,
                statement.node.start,
                f"{statement.label} repeats {first.label}: both give the same "
                "permissions. Remove one of them.",
            )


def _canonical(value: object) -> object:
    """A hashable form of plain JSON data where list order, repeats and one-item lists do not count."""
    if isinstance(value, dict):
        return frozenset((k, _canonical(v)) for k, v in value.items())
    items = value if isinstance(value, list) else [value]
    return frozenset(_canonical(i) if isinstance(i, dict | list) else json.dumps(i) for i in items)


# --- Checks: one statement ------------------------------------------------------------------------------


def check_empty_sid(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Empty Sid value (SUGGESTION)."""
    sid = statement.get("Sid")
    if sid is not None and sid.value == "":
        yield EMPTY_SID_VALUE.at(
            (*statement.path, "Sid"),
            sid.start,
            "The Sid is an empty string: give the statement a name or remove the Sid.",
        )


def check_empty_arrays(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Empty array action / resource / principal, Empty object principal (SUGGESTION)."""
    for key, issue, noun in (
        ("Action", EMPTY_ARRAY_ACTION, "actions"),
        ("NotAction", EMPTY_ARRAY_ACTION, "actions"),
        ("Resource", EMPTY_ARRAY_RESOURCE, "resources"),
        ("NotResource", EMPTY_ARRAY_RESOURCE, "resources"),
    ):
        node = statement.get(key)
        if node is not None and node.value == []:
            yield issue.at(
                (*statement.path, key),
                node.start,
                f"The {key} array is empty, so this statement names no {noun} and has no effect. "
                f"List the {noun} it is meant for.",
            )
    for key in ("Principal", "NotPrincipal"):
        node = statement.get(key)
        if node is None or not isinstance(node.value, dict):
            continue
        if not node.value:
            yield EMPTY_OBJECT_PRINCIPAL.at(
                (*statement.path, key),
                node.start,
                f"The {key} object is empty, so this statement names no "
                "principals and has no effect. Specify principals.",
            )
        for principal_type, value in node.value.items():
            if value.value == []:
                yield EMPTY_ARRAY_PRINCIPAL.at(
                    (*statement.path, key, principal_type),
                    value.start,
                    f"The {principal_type} principal array is empty, so it names "
                    "no principals. Specify principals or remove it.",
                )


def check_empty_condition(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Empty object condition, Empty array condition [ForAllValues|ForAnyValue|IfExists]."""
    condition = statement.get("Condition")
    if condition is None or not isinstance(condition.value, dict):
        return
    path = (*statement.path, "Condition")
    if not condition.value:
        yield EMPTY_OBJECT_CONDITION.at(
            path,
            condition.start,
            "The Condition block is empty and does not affect the policy. Remove it or specify conditions.",
        )
    for op_name, block in condition.value.items():
        if block.value == {} and parse_operator(op_name) is not None:
            yield EMPTY_OBJECT_CONDITION.at(
                (*path, op_name),
                block.start,
                f"The {op_name} block is empty and does not affect the policy. "
                "Remove it or specify condition keys.",
            )
    for clause in clauses(statement):
        if clause.values.value == []:
            yield _empty_condition_issue(clause).at(
                clause.path, clause.values.start, _empty_condition_detail(clause)
            )


def _empty_condition_issue(clause: Clause) -> Issue:
    if clause.operator.qualifier == "ForAllValues":
        return EMPTY_ARRAY_CONDITION_FORALLVALUES
    if clause.operator.qualifier == "ForAnyValue":
        return EMPTY_ARRAY_CONDITION_FORANYVALUE
    return EMPTY_ARRAY_CONDITION_IFEXISTS if clause.operator.if_exists else EMPTY_ARRAY_CONDITION


def _empty_condition_detail(clause: Clause) -> str:
    key = clause.key
    if clause.operator.qualifier == "ForAnyValue":
        return f"ForAnyValue with no values for {key} never matches, so the statement has no effect."
    if clause.operator.qualifier == "ForAllValues" or clause.operator.if_exists:
        return (
            f"With no values for {key} this condition matches only when the key is missing from the "
            f'request; to test for that, use "Null": {{"{key}": "true"}} instead.'
        )
    return f"There are no values for the condition key {key}. Specify values."


def check_invalid_action(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Invalid action (ERROR): IAM and STS actions only."""
    for key in ("Action", "NotAction"):
        for entry in statement.entries(key):
            service, sep, name = entry.text.partition(":")
            if not sep or not catalog.is_known_service(service):
                continue
            service = service.lower()
            if has_wildcard(name):
                if not _matches_some_action(service, name.lower()):
                    yield INVALID_ACTION.at(
                        entry.path,
                        entry.node.start,
                        f"The action pattern {entry.text} matches no {service} action.",
                    )
            elif catalog.lookup_action(entry.text) is None:
                known = (f"{service}:{n}" for n in catalog.ACTIONS[service])
                hint = _did_you_mean(f"{service}:{name}", known)
                yield INVALID_ACTION.at(
                    entry.path, entry.node.start, f"The action {entry.text} does not exist.{hint}"
                )


@lru_cache(maxsize=4096)
def _matches_some_action(service: str, name_pattern: str) -> bool:
    matches = compile_string_like(pattern(name_pattern))
    return any(matches(name.lower()) for name in catalog.ACTIONS[service])


def check_redundant_action(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Redundant action (SUGGESTION)."""
    for key in ("Action", "NotAction"):
        for entry, by in _redundant(statement.entries(key), glob_covers, str.lower):
            yield REDUNDANT_ACTION.at(
                entry.path,
                entry.node.start,
                f"The action {entry.text} is already covered by {by.text} in the same "
                f"statement. Remove {entry.text}.",
            )


def check_redundant_resource(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Redundant resource (SUGGESTION)."""
    for key in ("Resource", "NotResource"):
        for entry, by in _redundant(statement.entries(key), arn_covers, str):
            yield REDUNDANT_RESOURCE.at(
                entry.path,
                entry.node.start,
                f"The resource {entry.text} is already covered by {by.text} in the "
                f"same statement. Remove {entry.text}, or review the wildcards of "
                f"{by.text}.",
            )


def _redundant(
    entries: list[Entry], covers: Callable[[str, str], bool], fold: Callable[[str], str]
) -> Iterator[tuple[Entry, Entry]]:
    """Each entry that another one covers (of two equivalent entries, the later), with the one covering it.

    A pattern can cover a text only if the pattern's literal start (up to its first wildcard) begins the
    text, so the candidates are looked up by the text's prefixes rather than compared pairwise.
    """
    texts = [fold(e.text) for e in entries]
    by_prefix: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        by_prefix.setdefault(_WILDCARD_TAIL.sub("", text), []).append(i)
    lengths = sorted({len(prefix) for prefix in by_prefix})
    for j, text in enumerate(texts):
        candidates = (i for n in lengths if n <= len(text) for i in by_prefix.get(text[:n], ()))
        for i in candidates:
            if i != j and covers(texts[i], text) and (i < j or not covers(text, texts[i])):
                yield entries[j], entries[i]
                break


def check_pass_role_with_star_in_resource(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Pass role with star in resource (SECURITY_WARNING), unless iam:PassedToService."""
    if not (statement.allows and "Action" in statement.members and _grants_pass_role(statement)):
        return
    if any(clause.key.lower() == "iam:passedtoservice" for clause in clauses(statement)):
        return
    for entry in statement.entries("Resource"):
        if _is_star_resource(entry.text):
            yield PASS_ROLE_WITH_STAR_IN_RESOURCE.at(
                entry.path,
                entry.node.start,
                f"This statement allows iam:PassRole on {entry.text}, so it can pass any role to any "
                "service. Name the role ARNs, or add the iam:PassedToService condition key.",
            )
            return


def check_pass_role_with_not_resource(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Pass role with NotResource (SECURITY_WARNING)."""
    if statement.allows and "NotResource" in statement.members and _grants_pass_role(statement):
        yield PASS_ROLE_WITH_NOT_RESOURCE.at(
            (*statement.path, "NotResource"),
            statement.key_at("NotResource"),
            "This statement allows iam:PassRole with NotResource, which lets it pass every role not listed. "
            "Name the role ARNs in Resource instead.",
        )


def check_pass_role_with_not_action(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Pass role with NotAction (and star in resource) (SECURITY_WARNING)."""
    if not (statement.allows and "NotAction" in statement.members and _grants_pass_role(statement)):
        return
    if any(_is_star_resource(e.text) for e in statement.entries("Resource")):
        yield PASS_ROLE_WITH_NOT_ACTION.at(
            (*statement.path, "NotAction"),
            statement.key_at("NotAction"),
            "NotAction does not exclude iam:PassRole, so this statement allows passing any role on every "
            "resource. Add iam:PassRole to NotAction, or name the role ARNs in Resource.",
        )


def check_allow_with_not_principal(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Allow with NotPrincipal (SECURITY_WARNING): resource and trust policies."""
    if policy.kind in ("resource", "trust") and statement.allows and "NotPrincipal" in statement.members:
        yield ALLOW_WITH_NOT_PRINCIPAL.at(
            (*statement.path, "NotPrincipal"),
            statement.key_at("NotPrincipal"),
            "Allow with NotPrincipal grants access to every principal not listed, anonymous users included. "
            "Name the principals in Principal instead.",
        )


def check_overly_permissive(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Project check, not Access Analyzer's: Allow of every action on every resource with no condition."""
    if not statement.allows or statement.has_condition():
        return
    if not any(e.text == "*" for e in statement.entries("Resource")):
        return
    star = next((e for e in statement.entries("Action") if _is_any_action(e.text)), None)
    if star is not None:
        yield OVERLY_PERMISSIVE.at(
            star.path,
            star.node.start,
            "This statement allows every action on every resource without a "
            "condition: it grants full administrator access. Allow only the actions "
            "and resources that are needed.",
        )
    elif "NotAction" in statement.members:
        excluded = ", ".join(e.text for e in statement.entries("NotAction")) or "nothing"
        yield OVERLY_PERMISSIVE.at(
            (*statement.path, "NotAction"),
            statement.key_at("NotAction"),
            f"This statement allows every action except {excluded} on every resource "
            "without a condition: close to full administrator access. Allow only the "
            "actions and resources that are needed.",
        )


def check_allow_with_not_action(statement: Statement, policy: Policy) -> Iterator[Finding]:
    """Project check, not Access Analyzer's: Allow with NotAction (WARNING)."""
    if statement.allows and "NotAction" in statement.members:
        yield ALLOW_WITH_NOT_ACTION.at(
            (*statement.path, "NotAction"),
            statement.key_at("NotAction"),
            "Allow with NotAction grants every action except the listed ones, including actions AWS adds "
            "later. List the allowed actions in Action instead.",
        )


# --- Checks: one condition clause ---------------------------------------------------------------------


def check_condition_key(clause: Clause, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Invalid global condition key, Invalid service condition key (ERROR)."""
    prefix = clause.key.partition(":")[0].lower()
    if prefix == "aws" and catalog.global_condition_key_type(clause.key) is None:
        hint = _did_you_mean(clause.key, catalog.GLOBAL_CONDITION_KEYS)
        yield INVALID_GLOBAL_CONDITION_KEY.at(
            clause.path, clause.key_at, f"The condition key {clause.key} is not a global condition key.{hint}"
        )
    elif catalog.is_known_service(prefix) and _service_key(clause.key, prefix) is None:
        keys = [k for k in catalog.SERVICE_CONDITION_KEYS[prefix] if k.lower().startswith(prefix + ":")]
        hint = _did_you_mean(clause.key, keys)
        yield INVALID_SERVICE_CONDITION_KEY.at(
            clause.path,
            clause.key_at,
            f"The condition key {clause.key} does not exist for the service {prefix}.{hint}",
        )


def check_key_type_mismatch(clause: Clause, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Type mismatch (WARNING): a Numeric, Date, Bool or IP operator on another key type."""
    expected = _OPERATOR_KEY_TYPES.get(clause.operator.info.kind)
    actual = key_type(clause.key)
    if expected is None or actual is None or actual.removeprefix("ArrayOf") == expected:
        return
    if expected == "Numeric" and clause.key.lower() in _NUMERIC_DATE_KEYS:
        return
    base = actual.removeprefix("ArrayOf")
    use = _SUGGESTED_OPERATOR.get(base, f"a {base} operator")
    yield TYPE_MISMATCH.at(
        clause.path,
        clause.key_at,
        f"The condition key {clause.key} holds {actual} values, which the "
        f"{clause.operator.base} operator cannot compare. Use {use} instead.",
    )


def check_value_type_mismatch(clause: Clause, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Type mismatch number / date / Boolean / IP range (WARNING)."""
    kind = clause.operator.info.kind
    issue = VALUE_TYPE_MISMATCH.get(kind)
    if issue is None:
        return
    expected = {
        "numeric": "a number such as 10",
        "date": "an ISO 8601 date such as 2026-01-31 or 2026-01-31T12:00:00Z, or epoch seconds",
        "bool": "true or false",
        "ip": "an IP address or CIDR range such as 203.0.113.0/24",
    }[kind]
    for entry in clause.entries():
        if not _reads_as(kind, entry.text):
            yield issue.at(
                entry.path,
                entry.node.start,
                f"The value {json.dumps(entry.text)} cannot be read by the {clause.operator.base} "
                f"operator: use {expected}.",
            )


def _reads_as(kind: str, text: str) -> bool:
    if kind == "numeric":
        return _NUMBER.match(text.strip()) is not None
    if kind == "bool":
        return text.lower() in ("true", "false")
    if kind == "ip":
        try:
            ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return False
        return True
    try:
        return parse_date(text) is not None
    except (OverflowError, ValueError):
        return False


def check_forallvalues_with_single_valued_key(clause: Clause, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: ForAllValues with single valued key (SECURITY_WARNING)."""
    type_ = key_type(clause.key)
    if clause.operator.qualifier == "ForAllValues" and type_ and not type_.startswith("ArrayOf"):
        yield FORALLVALUES_WITH_SINGLE_VALUED_KEY.at(
            clause.path,
            clause.key_at,
            f"ForAllValues with the single-valued condition key {clause.key} is also true when the key is "
            "missing from the request, which can be overly permissive. Remove ForAllValues:.",
        )


def check_wildcard_without_like_operator(clause: Clause, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Wildcard without like operator (WARNING)."""
    like = _LIKE_OPERATORS.get(clause.operator.base)
    if like is None:
        return
    suggestion = clause.operator.name.replace(clause.operator.base, like)
    for entry in clause.entries():
        if not has_wildcard(_without_variables(entry.text)):
            continue
        if clause.operator.info.kind == "arn":
            detail = (
                f"The value {entry.text} has a wildcard (* or ?). {clause.operator.base} matches it as "
                f"a wildcard too, but {suggestion} says so: use {suggestion}."
            )
        else:
            detail = (
                f"The value {entry.text} has a wildcard (* or ?), which {clause.operator.base} "
                f"compares as a plain character. To match a pattern, use {suggestion}."
            )
        yield WILDCARD_WITHOUT_LIKE_OPERATOR.at(entry.path, entry.node.start, detail)


def check_redundant_condition_value(clause: Clause, policy: Policy) -> Iterator[Finding]:
    """Access Analyzer: Redundant condition value (SUGGESTION): the same value twice under one key."""
    seen: set[str] = set()
    for entry in clause.entries():
        if entry.text in seen:
            yield REDUNDANT_CONDITION_VALUE.at(
                entry.path,
                entry.node.start,
                f"The value {json.dumps(entry.text)} is listed more than once "
                f"for {clause.key}. Remove the repeat.",
            )
        seen.add(entry.text)


POLICY_CHECKS: tuple[Callable[[Policy], Iterable[Finding]], ...] = (
    check_missing_version,
    check_policy_size,
    check_redundant_statement,
)
STATEMENT_CHECKS: tuple[Callable[[Statement, Policy], Iterable[Finding]], ...] = (
    check_empty_sid,
    check_empty_arrays,
    check_empty_condition,
    check_invalid_action,
    check_redundant_action,
    check_redundant_resource,
    check_pass_role_with_star_in_resource,
    check_pass_role_with_not_resource,
    check_pass_role_with_not_action,
    check_allow_with_not_principal,
    check_overly_permissive,
    check_allow_with_not_action,
)
CLAUSE_CHECKS: tuple[Callable[[Clause, Policy], Iterable[Finding]], ...] = (
    check_condition_key,
    check_key_type_mismatch,
    check_value_type_mismatch,
    check_forallvalues_with_single_valued_key,
    check_wildcard_without_like_operator,
    check_redundant_condition_value,
)


def _run_checks(policy: Policy) -> Iterator[Finding]:
    for check in POLICY_CHECKS:
        yield from check(policy)
    for statement in policy.statements:
        for statement_check in STATEMENT_CHECKS:
            yield from statement_check(statement, policy)
        for clause in clauses(statement):
            for clause_check in CLAUSE_CHECKS:
                yield from clause_check(clause, policy)


def _size_text(document: object, text: str, tree: Node) -> str:
    """The text AWS would measure: as written, or (for decoded data) compact JSON without \\u escapes."""
    if isinstance(document, str | bytes | bytearray):
        return text
    return json.dumps(tree.plain(), ensure_ascii=False)


def lint_policy(document: object, *, kind: str = "identity") -> list[Finding]:
    """Validate a policy (JSON text, bytes or decoded data) the way IAM Access Analyzer's ValidatePolicy does.

    `kind` is "identity" (also for permissions boundaries), "resource" or "trust" (a role trust policy).
    The grammar errors come first, in the order `validate_tree` gives them; then the findings of the
    checks, in document order. A check says nothing at a place that already has a grammar error. Any
    document gives findings rather than an exception; an unknown `kind` raises ValueError.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    try:
        tree, text, grammar = read_document(document)
    except RecursionError:
        return [Finding("ERROR", "JSON_SYNTAX_ERROR", "Json syntax error", "The policy is nested too deep.")]
    if tree is None:
        return grammar
    grammar = grammar + validate_tree(tree, kind)
    statements = tuple(Statement(path, node) for path, node in statement_nodes(tree))
    policy = Policy(tree, _size_text(document, text, tree), kind, statements)
    taken = {f.path for f in grammar if f.path}
    findings = dict.fromkeys(f for f in _run_checks(policy) if f.path not in taken)
    return grammar + sorted(findings, key=lambda f: (f.line or 0, f.column or 0))
