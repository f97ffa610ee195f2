"""Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, defaults).

Only policies with Version 2012-10-17 substitute variables; older or unversioned policies read
`${...}` as plain text. A variable whose key is missing (and has no default) or has several
values has no value (IAM User Guide, "Policy variables with no value"): a Resource or NotResource
entry holding it matches no resource, and a condition value holding it is null, which only
negated operators (StringNotEquals, StringNotLike, …) match. Substituted text is literal: a `*`
in a user name or tag value is not a wildcard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .matching import Segments

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}
_KEY = re.compile(r"^[A-Za-z0-9.\-_]+:[^\s,'{}]+$")

Context = dict[str, "str | list[str]"]  # lower-cased key -> value(s)


@dataclass(frozen=True)
class Variable:
    key: str  # as written
    key_lc: str
    default: str | None


Template = tuple["str | Variable", ...]  # text (may hold wildcards) and variables, in order


class VariableSyntaxError(ValueError):
    pass


def parse_template(text: str) -> Template | None:
    """The text split into text and variables, or None when it has no `${`; raises on bad syntax."""
    if "${" not in text:
        return None
    parts: list[str | Variable] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        parts.append(_variable(m.group(1)))
        pos = m.end()
    rest = text[pos:]
    if "${" in rest:
        raise VariableSyntaxError(f"The variable in {text!r} is missing its closing brace")
    if rest:
        parts.append(rest)
    return tuple(parts)


def _variable(body: str) -> str | Variable:
    if body in _SPECIAL:
        return Variable(body, "", _SPECIAL[body])  # fixed value, marked by an empty key
    if not body.strip():
        raise VariableSyntaxError("A policy variable is empty: ${}")
    m = _DEFAULT.match(body)
    if m:
        key, default = m.group(1), m.group(2)
    elif "," in body or "'" in body:
        raise VariableSyntaxError(
            f"The variable ${{{body}}} is malformed: write a default as ${{key, 'default'}}"
        )
    else:
        key, default = body.strip(), None
    if not _KEY.match(key):
        raise VariableSyntaxError(f"The variable ${{{body}}} does not name a context key")
    return Variable(key, key.lower(), default)


def variables_in(template: Template) -> list[Variable]:
    return [p for p in template if isinstance(p, Variable) and p.key_lc]


def resolve(template: Template, context: Context) -> Segments | None:
    """Segments with every variable replaced by literal text, or None if one cannot be resolved."""
    segments: list[tuple[str, bool]] = []
    for part in template:
        if isinstance(part, str):
            segments.append((part, False))
            continue
        if not part.key_lc:
            segments.append((part.default or "", True))
            continue
        value = context.get(part.key_lc)
        if isinstance(value, str):
            segments.append((value, True))
        elif value is None and part.default is not None:
            segments.append((part.default, True))
        else:
            return None  # missing without default, or multi-valued
    return tuple(segments)
