"""Condition operators: String*, Numeric*, Date*, Bool, Binary, IP address, Arn*, Null.

Rules (IAM User Guide, Condition operators and multivalued context keys):
- Values listed for one key are OR-ed; keys and operators in a Condition block are AND-ed.
- A missing key makes a positive operator false and a negated one (`...Not...`) true;
  `...IfExists` makes a missing key true.
- Without a set qualifier a multivalued key matches a positive operator when any value matches,
  and a negated operator when none does. `ForAllValues:` is true when every request value
  matches (and when the key is missing or empty); `ForAnyValue:` when at least one does (false
  when the key is missing).
- Policy variables are substituted only in String and Arn operators. A value whose variable has
  no value in the request is null: it matches nothing, so `StringNotEquals` holds against it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from .matching import Matcher, any_of, compile_arn, compile_string_like, pattern
from .variables import Context, Template, parse_template, resolve

Test = Callable[[str], bool]  # true when one request value matches any of the policy values


@dataclass(frozen=True)
class OperatorInfo:
    kind: str  # string, numeric, date, bool, binary, ip, arn, null
    negated: bool
    build: Callable[[tuple[str, ...]], Test] | None  # None for Null


def _numeric(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


def parse_date(text: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 date/time or an epoch number, else None."""
    text = text.strip()
    if _EPOCH.match(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _compare(parse: Callable[[str], float | None], relation: Callable[[float, float], bool]):
    def build(values: tuple[str, ...]) -> Test:
        bounds = [b for b in map(parse, values) if b is not None]

        def test(value: str) -> bool:
            number = parse(value)
            return number is not None and any(relation(number, b) for b in bounds)

        return test

    return build


def _string_equals(values: tuple[str, ...]) -> Test:
    return frozenset(values).__contains__


def _string_equals_ignore_case(values: tuple[str, ...]) -> Test:
    folded = frozenset(v.casefold() for v in values)
    return lambda value: value.casefold() in folded


def _bool(values: tuple[str, ...]) -> Test:
    folded = frozenset(v.lower() for v in values)
    return lambda value: value.lower() in folded


def _ip(values: tuple[str, ...]) -> Test:
    networks = []
    for v in values:
        try:
            networks.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            continue

    def test(value: str) -> bool:
        address = _address(value)
        return address is not None and any(address.version == n.version and address in n for n in networks)

    return test


@lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _patterns(compile_one: Callable[..., Matcher]) -> Callable[[tuple[str, ...]], Test]:
    def build(values: tuple[str, ...]) -> Test:
        return any_of([compile_one(pattern(v)) for v in values])

    return build


_EQ = lambda a, b: a == b  # noqa: E731
_LT = lambda a, b: a < b  # noqa: E731
_LE = lambda a, b: a <= b  # noqa: E731
_GT = lambda a, b: a > b  # noqa: E731
_GE = lambda a, b: a >= b  # noqa: E731

OPERATORS: dict[str, OperatorInfo] = {
    "StringEquals": OperatorInfo("string", False, _string_equals),
    "StringNotEquals": OperatorInfo("string", True, _string_equals),
    "StringEqualsIgnoreCase": OperatorInfo("string", False, _string_equals_ignore_case),
    "StringNotEqualsIgnoreCase": OperatorInfo("string", True, _string_equals_ignore_case),
    "StringLike": OperatorInfo("string", False, _patterns(compile_string_like)),
    "StringNotLike": OperatorInfo("string", True, _patterns(compile_string_like)),
    "NumericEquals": OperatorInfo("numeric", False, _compare(_numeric, _EQ)),
    "NumericNotEquals": OperatorInfo("numeric", True, _compare(_numeric, _EQ)),
    "NumericLessThan": OperatorInfo("numeric", False, _compare(_numeric, _LT)),
    "NumericLessThanEquals": OperatorInfo("numeric", False, _compare(_numeric, _LE)),
    "NumericGreaterThan": OperatorInfo("numeric", False, _compare(_numeric, _GT)),
    "NumericGreaterThanEquals": OperatorInfo("numeric", False, _compare(_numeric, _GE)),
    "DateEquals": OperatorInfo("date", False, _compare(parse_date, _EQ)),
    "DateNotEquals": OperatorInfo("date", True, _compare(parse_date, _EQ)),
    "DateLessThan": OperatorInfo("date", False, _compare(parse_date, _LT)),
    "DateLessThanEquals": OperatorInfo("date", False, _compare(parse_date, _LE)),
    "DateGreaterThan": OperatorInfo("date", False, _compare(parse_date, _GT)),
    "DateGreaterThanEquals": OperatorInfo("date", False, _compare(parse_date, _GE)),
    "Bool": OperatorInfo("bool", False, _bool),
    "BinaryEquals": OperatorInfo("binary", False, _string_equals),
    "IpAddress": OperatorInfo("ip", False, _ip),
    "NotIpAddress": OperatorInfo("ip", True, _ip),
    "ArnEquals": OperatorInfo("arn", False, _patterns(compile_arn)),
    "ArnLike": OperatorInfo("arn", False, _patterns(compile_arn)),
    "ArnNotEquals": OperatorInfo("arn", True, _patterns(compile_arn)),
    "ArnNotLike": OperatorInfo("arn", True, _patterns(compile_arn)),
    "Null": OperatorInfo("null", False, None),
}

SET_QUALIFIERS = ("ForAllValues", "ForAnyValue")


@dataclass(frozen=True)
class ParsedOperator:
    name: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # e.g. "StringLike"
    info: OperatorInfo
    qualifier: str | None
    if_exists: bool


def parse_operator(name: str) -> ParsedOperator | None:
    """Split `ForAllValues:StringEqualsIfExists` into its parts; None for an unknown operator."""
    qualifier, _, base = name.rpartition(":")
    if qualifier and qualifier not in SET_QUALIFIERS:
        return None
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    info = OPERATORS.get(base)
    if info is None or (if_exists and info.kind == "null"):
        return None
    return ParsedOperator(name, base, info, qualifier or None, if_exists)


@dataclass(frozen=True)
class Clause:
    """One `operator: {key: values}` pair of a Condition block, compiled."""

    operator: ParsedOperator
    key: str  # as written in the policy
    values: tuple[str, ...]
    templates: tuple[Template | None, ...] | None = None  # set when a value holds a variable
    key_lc: str = field(init=False)
    test: Test | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_lc", self.key.lower())
        build = self.operator.info.build
        static = build(self.values) if build is not None and self.templates is None else None
        object.__setattr__(self, "test", static)
        if static is not None:  # the common case gets a specialised `holds`, as it runs on every request
            object.__setattr__(self, "holds", _static_holds(self.key_lc, static, self.operator))

    def holds(self, context: Context) -> bool:
        """Whether this clause is satisfied by the request context."""
        op = self.operator
        raw = context.get(self.key_lc)
        values = [] if raw is None else [raw] if isinstance(raw, str) else raw
        if op.info.kind == "null":
            wanted = {v.lower() for v in self.values}
            return ("true" in wanted and not values) or ("false" in wanted and bool(values))
        test = self.test or self._resolved_test(context)
        negated = op.info.negated
        if op.qualifier == "ForAllValues":
            return all(test(v) != negated for v in values)
        if op.qualifier == "ForAnyValue":
            return any(test(v) != negated for v in values)
        if not values:
            return op.if_exists or negated
        return not any(map(test, values)) if negated else any(map(test, values))

    def _resolved_test(self, context: Context) -> Test:
        """The test for this request's values; a value whose variable has no value is null and
        matches nothing (so a negated operator holds against it)."""
        resolved: list[tuple[tuple[str, bool], ...] | str] = []
        for value, template in zip(self.values, self.templates or (), strict=True):
            if template is None:
                resolved.append(value)
            elif (segments := resolve(template, context)) is not None:
                resolved.append(segments)
        return _test_for(self.operator.base, tuple(resolved))


def _static_holds(key_lc: str, test: Test, op: ParsedOperator) -> Callable[[Context], bool]:
    """`Clause.holds` for values without variables, with the same rules, specialised per operator."""
    negated, if_exists = op.info.negated, op.if_exists
    if op.qualifier == "ForAllValues":

        def holds(context: Context) -> bool:
            raw = context.get(key_lc)
            if raw is None:
                return True
            return test(raw) != negated if raw.__class__ is str else all(test(v) != negated for v in raw)
    elif op.qualifier == "ForAnyValue":

        def holds(context: Context) -> bool:
            raw = context.get(key_lc)
            if raw is None:
                return False
            return test(raw) != negated if raw.__class__ is str else any(test(v) != negated for v in raw)
    elif negated:

        def holds(context: Context) -> bool:
            raw = context.get(key_lc)
            if raw is None:
                return True
            return not test(raw) if raw.__class__ is str else not any(map(test, raw))
    else:

        def holds(context: Context) -> bool:
            raw = context.get(key_lc)
            if raw is None:
                return if_exists
            if raw.__class__ is str:
                return test(raw)
            return any(map(test, raw)) if raw else if_exists

    return holds


@lru_cache(maxsize=4096)
def _test_for(base: str, resolved: tuple) -> Test:
    """Test for values whose variables were substituted (substituted text matches literally)."""
    kind = OPERATORS[base].kind
    if base in {"StringLike", "StringNotLike"} or kind == "arn":
        compile_one = compile_string_like if kind == "string" else compile_arn
        return any_of([compile_one(v if isinstance(v, tuple) else pattern(v)) for v in resolved])
    texts = tuple(v if isinstance(v, str) else "".join(t for t, _ in v) for v in resolved)
    return OPERATORS[base].build(texts)  # type: ignore[misc]


def compile_clause(operator: ParsedOperator, key: str, values: tuple[str, ...], variables: bool) -> Clause:
    """A Clause; `variables` says whether the policy version substitutes `${...}`."""
    templates = None
    if variables and operator.info.kind in {"string", "arn"}:
        parsed = tuple(parse_template(v) for v in values)
        if any(t is not None for t in parsed):
            templates = parsed
    return Clause(operator, key, values, templates)
