"""Parse, validate and compile a policy document (identity, boundary, resource or role trust).

`parse_policy` returns a compiled `Policy` or raises `PolicyError` whose findings say what is wrong
and where: a JSON path (`Statement[0].Action[1]`) plus line and column in the text. Grammar follows
the IAM JSON policy reference; finding titles follow IAM Access Analyzer's policy checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import jsontext
from .conditions import Clause, compile_clause, parse_operator
from .matching import Matcher, action_matcher, any_of, compile_arn, has_wildcard, pattern
from .variables import Context, Template, VariableSyntaxError, parse_template, resolve

VERSIONS = ("2012-10-17", "2008-10-17")
VARIABLES_VERSION = "2012-10-17"
KINDS = ("identity", "resource", "trust")  # a permissions boundary is an identity policy
TOP_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?_\-]+$")
_CONDITION_KEY = re.compile(r"^[A-Za-z0-9.\-_]+:\S+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SID_IDENTITY = re.compile(r"^[A-Za-z0-9]*$")
_AWS_PRINCIPAL_ARN = re.compile(
    r"^arn:aws[a-z-]*:(iam::\d{12}:(root|user/.+|role/.+|federated-user/.+)"
    r"|sts::\d{12}:(assumed-role/[^/]+/.+|federated-user/.+))$"
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """One validation result, in the shape of an Access Analyzer finding."""

    severity: str  # ERROR | SECURITY_WARNING | WARNING | SUGGESTION
    code: str  # e.g. INVALID_ACTION
    title: str  # e.g. "Invalid action"
    detail: str
    path: Path = ()
    line: int | None = None
    column: int | None = None

    @property
    def json_path(self) -> str:
        out = ""
        for step in self.path:
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
        return out

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column}" if self.line else " ("
        where += f", {self.json_path})" if self.path else ")"
        return f"{self.title}: {self.detail}" + ("" if where == " ()" else where)

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "path": self.json_path,
            "line": self.line,
            "column": self.column,
        }


class PolicyError(ValueError):
    """A policy document that AWS would reject as malformed; `findings` lists every error."""

    def __init__(self, findings: list[Finding]):
        super().__init__(str(findings[0]))
        self.findings = findings


@dataclass(frozen=True)
class ResourcePattern:
    text: str
    template: Template | None  # set when the pattern holds a policy variable
    matcher: Matcher | None  # set when it does not


@dataclass(frozen=True)
class Principals:
    """A Principal / NotPrincipal element, indexed for matching."""

    everyone: bool = False
    accounts: frozenset[str] = frozenset()  # "123456789012" (also from ...:root)
    arns: frozenset[str] = frozenset()  # user, role, session and federated-user ARNs
    roles: frozenset[tuple[str, str]] = frozenset()  # (account, role name) for role ARNs
    others: frozenset[str] = frozenset()  # service, federated and canonical-user principals


@dataclass(frozen=True, eq=False)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    action_patterns: tuple[str, ...]
    not_action: bool
    resources: tuple[ResourcePattern, ...] | None  # None: no Resource element (resource policies)
    not_resource: bool
    principals: Principals | None
    not_principal: bool
    clauses: tuple[Clause, ...]
    matches_action: Matcher = field(init=False)
    applies_to: Callable[[str, Context], bool] = field(init=False)  # (resource, context)
    condition_keys: tuple[tuple[str, str], ...] = field(init=False)  # (as written, lower-cased), unique

    def __post_init__(self) -> None:
        object.__setattr__(self, "matches_action", action_matcher(list(self.action_patterns)))
        object.__setattr__(self, "applies_to", _resource_test(self.resources, self.not_resource))
        keys = dict.fromkeys(c.key for c in self.clauses if c.operator.info.kind != "null")
        object.__setattr__(self, "condition_keys", tuple((k, k.lower()) for k in keys))

    def conditions_hold(self, context: Context) -> bool:
        """All clauses hold (AND across operators and keys)."""
        return all(clause.holds(context) for clause in self.clauses)


def _resource_test(
    resources: tuple[ResourcePattern, ...] | None, negated: bool
) -> Callable[[str, Context], bool]:
    """Whether a statement's Resource / NotResource covers a resource, compiled once."""
    if resources is None:
        return lambda resource, context: True
    if all(r.matcher for r in resources):
        static = any_of([r.matcher for r in resources])  # type: ignore[misc]
        return (
            (lambda resource, context: not static(resource))
            if negated
            else (lambda resource, context: static(resource))
        )
    tests = [
        _template_test(r) if r.template else (lambda resource, context, m=r.matcher: m(resource))
        for r in resources
    ]

    def test(resource: str, context: Context) -> bool:
        return any(one(resource, context) for one in tests) != negated

    return test


def _template_test(pattern_: ResourcePattern) -> Callable[[str, Context], bool]:
    """Match one pattern holding variables; with a variable that has no value it matches nothing.

    The text before the first variable or wildcard must start the resource, which rules out most
    resources without resolving anything; patterns with no wildcard compare as plain strings.
    """
    template: Template = pattern_.template  # type: ignore[assignment]
    prefix = ""
    for part in template:
        if not isinstance(part, str):
            break
        prefix += part
    prefix = re.split(r"[*?]", prefix, maxsplit=1)[0]
    wild = any(isinstance(p, str) and has_wildcard(p) for p in template)

    def test(resource: str, context: Context) -> bool:
        if not resource.startswith(prefix):
            return False
        segments = resolve(template, context)
        if segments is None:
            return False
        if not wild:
            return resource == "".join(text for text, _ in segments)
        return compile_arn(segments)(resource)

    return test


@dataclass(frozen=True, eq=False)
class Policy:
    """A compiled policy; documents are immutable, so this is built once per document."""

    kind: str
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    name: str = ""
    text: str = ""


def parse_policy(document: str | dict | object, *, kind: str = "identity", name: str = "") -> Policy:
    """Compile a policy document (JSON text or already-decoded data); raise PolicyError if malformed."""
    tree, text, findings = read_document(document)
    if tree is not None:
        findings = findings + validate_tree(tree, kind)
    errors = [f for f in findings if f.severity == "ERROR"]
    if errors:
        raise PolicyError(errors)
    assert tree is not None
    return _compile(tree, kind, name, text)


def read_document(document: str | dict | object) -> tuple[jsontext.Node | None, str, list[Finding]]:
    """The located JSON tree of a document, or the JSON syntax finding that stops reading it."""
    if isinstance(document, bytes | bytearray):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            return None, "", [_syntax("The policy is not UTF-8 text.")]
    if not isinstance(document, str):
        try:
            document = json.dumps(document, indent=4, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            return None, "", [_syntax(f"The policy cannot be written as JSON: {exc}")]
    try:
        tree, errors = jsontext.parse_recovering(document)
    except jsontext.JsonSyntaxError as exc:
        return None, document, [_located_syntax(exc)]
    return tree, document, [_located_syntax(e) for e in errors]


def _located_syntax(exc: jsontext.JsonSyntaxError) -> Finding:
    p = exc.position
    return Finding(
        "ERROR",
        "JSON_SYNTAX_ERROR",
        "Json syntax error",
        f"Fix the JSON syntax error at index {p.offset} line {p.line} column {p.column}: {exc.message}.",
        (),
        p.line,
        p.column,
    )


def _syntax(detail: str) -> Finding:
    return Finding("ERROR", "JSON_SYNTAX_ERROR", "Json syntax error", detail)


def statement_nodes(tree: jsontext.Node) -> Iterator[tuple[Path, jsontext.Node]]:
    """Each statement object with its path, whether Statement is one object or a list."""
    if not isinstance(tree.value, dict):
        return
    statement = tree.value.get("Statement")
    if statement is None:
        return
    if isinstance(statement.value, dict):
        yield ("Statement",), statement
    elif isinstance(statement.value, list):
        for i, item in enumerate(statement.value):
            if isinstance(item.value, dict):
                yield ("Statement", i), item


def as_list(node: jsontext.Node) -> list[jsontext.Node]:
    return node.value if isinstance(node.value, list) else [node]  # type: ignore[return-value]


def condition_value_text(value: object) -> str | None:
    """A condition value as the string IAM compares (JSON booleans and numbers in their JSON form)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return value if isinstance(value, str) else None


class _Validator:
    def __init__(self, kind: str):
        self.kind = kind
        self.findings: list[Finding] = []
        self.variables = False

    def error(self, code: str, title: str, detail: str, path: Path, at: jsontext.Position | None) -> None:
        self.findings.append(
            Finding("ERROR", code, title, detail, path, at.line if at else None, at.column if at else None)
        )

    def run(self, tree: jsontext.Node) -> list[Finding]:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if not isinstance(tree.value, dict):
            self.error(
                "INVALID_POLICY",
                "Invalid policy",
                "The policy document must be a JSON object.",
                (),
                tree.start,
            )
            return self.findings
        top: dict[str, jsontext.Node] = tree.value
        for key in top:
            if key not in TOP_ELEMENTS:
                self.error(
                    "UNSUPPORTED_ELEMENT",
                    "Unsupported element",
                    f"The element {key} is not supported at the top of a policy. "
                    f"Use {', '.join(TOP_ELEMENTS)}.",
                    (key,),
                    tree.key_positions[key],
                )
        version = top.get("Version")
        if version is not None:
            if version.value not in VERSIONS:
                self.error(
                    "INVALID_VERSION",
                    "Invalid version",
                    f"The version {json.dumps(version.plain())} is not valid. Use one of the "
                    f"following versions: {', '.join(VERSIONS)}",
                    ("Version",),
                    version.start,
                )
            self.variables = version.value == VARIABLES_VERSION
        if "Id" in top and not isinstance(top["Id"].value, str):
            self.error("INVALID_ID", "Invalid Id", "The Id must be a string.", ("Id",), top["Id"].start)
        statement = top.get("Statement")
        if statement is None:
            self.error(
                "MISSING_STATEMENT",
                "Missing statement",
                "Add a Statement element: a policy needs at least one statement.",
                (),
                tree.start,
            )
            return self.findings
        if isinstance(statement.value, list):
            if not statement.value:
                self.error(
                    "MISSING_STATEMENT",
                    "Missing statement",
                    "The Statement array is empty: add at least one statement.",
                    ("Statement",),
                    statement.start,
                )
            for i, item in enumerate(statement.value):
                if not isinstance(item.value, dict):
                    self.error(
                        "INVALID_STATEMENT",
                        "Invalid statement",
                        "Each statement must be a JSON object.",
                        ("Statement", i),
                        item.start,
                    )
        elif not isinstance(statement.value, dict):
            self.error(
                "INVALID_STATEMENT",
                "Invalid statement",
                "Statement must be an object or an array of objects.",
                ("Statement",),
                statement.start,
            )
        sids: dict[str, Path] = {}
        for path, node in statement_nodes(tree):
            self.statement(path, node, sids)
        return self.findings

    def statement(self, path: Path, node: jsontext.Node, sids: dict[str, Path]) -> None:
        st: dict[str, jsontext.Node] = node.value  # type: ignore[assignment]
        for key in st:
            if key not in STATEMENT_ELEMENTS:
                self.error(
                    "UNSUPPORTED_ELEMENT",
                    "Unsupported element",
                    f"The element {key} is not supported in a statement.",
                    (*path, key),
                    node.key_positions[key],
                )
        self.sid(path, st.get("Sid"), sids)
        effect = st.get("Effect")
        if effect is None:
            self.error(
                "MISSING_EFFECT", "Missing effect", "Add an Effect element: Allow or Deny.", path, node.start
            )
        elif effect.value not in ("Allow", "Deny"):
            self.error(
                "INVALID_EFFECT",
                "Invalid effect",
                f"The effect {json.dumps(effect.plain())} is not valid. Use Allow or Deny "
                "(they are case sensitive).",
                (*path, "Effect"),
                effect.start,
            )
        self.pair(path, node, "Action", "NotAction", required=True, check=self.action)
        if self.kind == "trust":
            for key in ("Resource", "NotResource"):
                if key in st:
                    self.error(
                        "ROLE_TRUST_POLICY_SYNTAX_ERROR",
                        "Role trust policy syntax error",
                        f"A role trust policy must not have a {key} element.",
                        (*path, key),
                        node.key_positions[key],
                    )
        else:
            self.pair(
                path, node, "Resource", "NotResource", required=self.kind == "identity", check=self.resource
            )
        if self.kind == "identity":
            for key in ("Principal", "NotPrincipal"):
                if key in st:
                    self.error(
                        "UNSUPPORTED_ELEMENT",
                        "Unsupported element",
                        f"An identity-based policy must not have a {key} element: it applies to "
                        "the identity it is attached to.",
                        (*path, key),
                        node.key_positions[key],
                    )
        else:
            self.pair(path, node, "Principal", "NotPrincipal", required=True, check=None)
            for key in ("Principal", "NotPrincipal"):
                if key in st:
                    self.principal((*path, key), st[key])
        if "Condition" in st:
            self.condition((*path, "Condition"), st["Condition"])

    def sid(self, path: Path, sid: jsontext.Node | None, sids: dict[str, Path]) -> None:
        if sid is None:
            return
        if not isinstance(sid.value, str):
            self.error("INVALID_SID", "Invalid Sid", "The Sid must be a string.", (*path, "Sid"), sid.start)
            return
        if self.kind == "identity" and not _SID_IDENTITY.match(sid.value):
            self.error(
                "UNSUPPORTED_SID",
                "Unsupported Sid",
                f"The Sid {sid.value!r} is not valid: in identity-based policies a Sid may hold "
                "only letters A-Z, a-z and digits 0-9.",
                (*path, "Sid"),
                sid.start,
            )
        if sid.value and sid.value in sids:
            self.error(
                "UNIQUE_SIDS_REQUIRED",
                "Unique Sids required",
                f"The Sid {sid.value!r} is used by more than one statement; Sids must be unique "
                "within a policy.",
                (*path, "Sid"),
                sid.start,
            )
        sids.setdefault(sid.value, path)

    def pair(
        self, path: Path, node: jsontext.Node, element: str, negated: str, *, required: bool, check
    ) -> None:
        st: dict[str, jsontext.Node] = node.value  # type: ignore[assignment]
        if element in st and negated in st:
            self.error(
                "UNSUPPORTED_ELEMENT_COMBINATION",
                "Unsupported element combination",
                f"A statement can have {element} or {negated}, not both.",
                (*path, negated),
                node.key_positions[negated],
            )
        present = element if element in st else negated if negated in st else None
        if present is None:
            if required:
                code = "MISSING_" + element.upper()
                article = "an" if element[0] in "AEIOU" else "a"
                self.error(
                    code,
                    f"Missing {element.lower()}",
                    f"Add {article} {element} or {negated} element to the statement.",
                    path,
                    node.start,
                )
            return
        if check is None:
            return
        value = st[present]
        for i, item in enumerate(as_list(value)):
            item_path = (*path, present, i) if isinstance(value.value, list) else (*path, present)
            if not isinstance(item.value, str):
                self.error(
                    f"INVALID_{element.upper()}",
                    f"Invalid {element.lower()}",
                    f"Each {present} entry must be a string.",
                    item_path,
                    item.start,
                )
            else:
                check(item.value, item_path, item.start)

    def action(self, action: str, path: Path, at: jsontext.Position) -> None:
        if action == "*" or _ACTION.match(action):
            return
        if any(c.isspace() for c in action):
            fixed = "".join(action.split())
            detail = f"The action {action!r} contains white space; write it as {fixed!r}."
        elif ":" not in action:
            detail = (
                f"The action {action!r} must name its service, as in 'iam:{action}' "
                "(service prefix, colon, action name)."
            )
        else:
            detail = (
                f"The action {action!r} is not valid: write service:Action using letters, digits, "
                "'-', '_' and the wildcards * and ?."
            )
        self.error("INVALID_ACTION", "Invalid action", detail, path, at)

    def resource(self, resource: str, path: Path, at: jsontext.Position) -> None:
        if self.variables:
            self.variable_syntax(resource, path, at)
        if resource == "*":
            return
        if not resource.startswith("arn:") or resource.count(":") < 5:
            self.error(
                "INVALID_ARN",
                "Invalid ARN",
                f'The resource {resource!r} is not valid: use "*" or an ARN such as '
                "arn:aws:iam::123456789012:user/alice "
                "(arn:partition:service:region:account:resource).",
                path,
                at,
            )

    def variable_syntax(self, text: str, path: Path, at: jsontext.Position) -> None:
        try:
            parse_template(text)
        except VariableSyntaxError as exc:
            self.error("INVALID_VARIABLE", "Invalid variable", str(exc), path, at)

    def principal(self, path: Path, node: jsontext.Node) -> None:
        if node.value == "*":
            return
        if not isinstance(node.value, dict):
            self.error(
                "INVALID_PRINCIPAL_FORMAT",
                "Invalid principal format",
                'The principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}.',
                path,
                node.start,
            )
            return
        for key, value in node.value.items():
            if key not in PRINCIPAL_TYPES:
                self.error(
                    "INVALID_PRINCIPAL_KEY",
                    "Invalid principal key",
                    f"The principal type {key!r} is not valid. Use one of {', '.join(PRINCIPAL_TYPES)}.",
                    (*path, key),
                    node.key_positions[key],
                )
                continue
            for i, item in enumerate(as_list(value)):
                item_path = (*path, key, i) if isinstance(value.value, list) else (*path, key)
                text = item.value
                if not isinstance(text, str) or not text:
                    self.error(
                        "INVALID_PRINCIPAL_FORMAT",
                        "Invalid principal format",
                        "Each principal must be a non-empty string.",
                        item_path,
                        item.start,
                    )
                elif (
                    key == "AWS"
                    and text != "*"
                    and not (_ACCOUNT_ID.match(text) or _AWS_PRINCIPAL_ARN.match(text))
                ):
                    self.error(
                        "INVALID_PRINCIPAL_FORMAT",
                        "Invalid principal format",
                        f"The AWS principal {text!r} is not valid: use a 12-digit account id or the "
                        "ARN of an account root, user, role or role session.",
                        item_path,
                        item.start,
                    )

    def condition(self, path: Path, node: jsontext.Node) -> None:
        if not isinstance(node.value, dict):
            self.error(
                "INVALID_CONDITION",
                "Invalid condition",
                'Condition must be an object: {"Operator": {"key": "value"}}.',
                path,
                node.start,
            )
            return
        for op_name, block in node.value.items():
            op_path = (*path, op_name)
            operator = parse_operator(op_name)
            if operator is None:
                if op_name.startswith("Null") and op_name.endswith("IfExists"):
                    self.error(
                        "NULL_WITH_IF_EXISTS",
                        "Null with if exists",
                        "The Null operator cannot be used with IfExists.",
                        op_path,
                        node.key_positions[op_name],
                    )
                else:
                    self.error(
                        "INVALID_CONDITION_OPERATOR",
                        "Invalid condition operator",
                        f"The condition operator {op_name!r} is not valid.",
                        op_path,
                        node.key_positions[op_name],
                    )
                continue
            if not isinstance(block.value, dict):
                self.error(
                    "INVALID_CONDITION",
                    "Invalid condition",
                    f'{op_name} must map condition keys to values: {{"aws:username": "alice"}}.',
                    op_path,
                    block.start,
                )
                continue
            for key, values in block.value.items():
                key_path = (*op_path, key)
                if not _CONDITION_KEY.match(key):
                    self.error(
                        "INVALID_CONDITION_KEY_FORMAT",
                        "Invalid condition key format",
                        f"The condition key {key!r} is not valid: write prefix:name, as in aws:SourceIp.",
                        key_path,
                        block.key_positions[key],
                    )
                for i, item in enumerate(as_list(values)):
                    text = condition_value_text(item.value)
                    item_path = (*key_path, i) if isinstance(values.value, list) else key_path
                    if text is None:
                        self.error(
                            "INVALID_CONDITION_VALUE",
                            "Invalid condition value",
                            "A condition value must be a string, number or boolean.",
                            item_path,
                            item.start,
                        )
                    elif self.variables and operator.info.kind in {"string", "arn"}:
                        self.variable_syntax(text, item_path, item.start)


def validate_tree(tree: jsontext.Node, kind: str) -> list[Finding]:
    """The errors that make AWS reject this document as malformed."""
    return _Validator(kind).run(tree)


def _compile(tree: jsontext.Node, kind: str, name: str, text: str) -> Policy:
    top: dict[str, jsontext.Node] = tree.value  # type: ignore[assignment]
    version = top["Version"].value if "Version" in top else None
    variables = version == VARIABLES_VERSION
    statements = tuple(
        _compile_statement(i, node.plain(), variables)  # type: ignore[arg-type]
        for i, (_, node) in enumerate(statement_nodes(tree))
    )
    policy_id = top["Id"].value if "Id" in top else None
    return Policy(kind, version, policy_id, statements, name or (policy_id or ""), text)  # type: ignore[arg-type]


def _strings(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)  # type: ignore[arg-type]


def _compile_statement(index: int, st: dict, variables: bool) -> Statement:
    resources = None
    resource_key = "NotResource" if "NotResource" in st else "Resource" if "Resource" in st else None
    if resource_key:
        resources = tuple(_resource_pattern(r, variables) for r in _strings(st[resource_key]))
    principal_key = "NotPrincipal" if "NotPrincipal" in st else "Principal" if "Principal" in st else None
    clauses = []
    for op_name, block in (st.get("Condition") or {}).items():
        operator = parse_operator(op_name)
        for key, values in block.items():
            texts = tuple(condition_value_text(v) or "" for v in _strings(values))
            clauses.append(compile_clause(operator, key, texts, variables))  # type: ignore[arg-type]
    return Statement(
        index=index,
        sid=st.get("Sid") or None,
        effect=st["Effect"],
        action_patterns=_strings(st.get("Action", st.get("NotAction"))),
        not_action="NotAction" in st,
        resources=resources,
        not_resource=resource_key == "NotResource",
        principals=_principals(st[principal_key]) if principal_key else None,
        not_principal=principal_key == "NotPrincipal",
        clauses=tuple(clauses),
    )


def _resource_pattern(text: str, variables: bool) -> ResourcePattern:
    template = parse_template(text) if variables else None
    if template is not None:
        return ResourcePattern(text, template, None)
    return ResourcePattern(text, None, compile_arn(pattern(text)))


def _principals(value: object) -> Principals:
    if value == "*":
        return Principals(everyone=True)
    everyone, accounts, arns, roles, others = False, set(), set(), set(), set()
    for key, items in value.items():  # type: ignore[attr-defined]
        for item in _strings(items):
            if item == "*":
                everyone = True
            elif key != "AWS":
                others.add(item)
            elif _ACCOUNT_ID.match(item):
                accounts.add(item)
            elif item.endswith(":root"):
                accounts.add(item.split(":")[4])
            else:
                arns.add(item)
                parts = item.split(":", 5)
                if parts[2] == "iam" and parts[5].startswith("role/"):
                    roles.add((parts[4], parts[5].rsplit("/", 1)[-1]))
    return Principals(everyone, frozenset(accounts), frozenset(arns), frozenset(roles), frozenset(others))
