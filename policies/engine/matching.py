"""Wildcard matching of actions, ARNs and strings, compiled once per pattern.

Actions match case-insensitively with `*` and `?`. ARNs match case-sensitively, each of the six
colon-separated components on its own, so a wildcard in the region never swallows a colon; in the
last component (the resource, which may itself contain colons) a wildcard spans anything.
A pattern is a tuple of segments `(text, literal)`: text where `*` and `?` are wildcards, or literal
text (from a policy variable such as `${*}` or a context value) that matches only itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]


Segments = tuple[tuple[str, bool], ...]  # (text, literal): literal text has no wildcards


def pattern(text: str) -> Segments:
    """Segments of a pattern written without policy variables."""
    return ((text, False),)


def _always(_: str) -> bool:
    return True


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _parts(segments: Segments) -> list[tuple[str, int]]:
    """The texts between the pattern's `*` wildcards, each as a regex source and its length: a
    fixed-length run of literal characters and `?` (any one character), with no quantifier, so that
    none can backtrack."""
    parts: list[list[str]] = [[]]
    for text, literal in segments:
        for ch in text:
            if not literal and ch == "*":
                parts.append([])
            else:
                parts[-1].append("." if not literal and ch == "?" else re.escape(ch))
    return [("".join(part), len(part)) for part in parts]


def _glob(segments: Segments, flags: int) -> Matcher:
    """Whole-value matching of a `*`/`?` pattern in time linear in the value for each part, whatever the
    number of wildcards: the part before the first `*` must start the value, the part after the last
    must end it, and each part between them is taken at its leftmost place after the previous one
    (a `*` spans anything, so the leftmost place never loses a match that a later one would give).

    A translation to one regular expression (`.*a.*a.*a.*c`) backtracks: a policy's Resource
    `arn:aws:s3:::*a*a*a*a*a*c` against a long resource name would hold a worker for minutes.
    """
    parts = _parts(segments)
    if len(parts) <= 2:  # at most one `*`: one regular expression (faster; it cannot backtrack much)
        whole = re.compile(".*".join(source for source, _ in parts), flags | re.DOTALL)
        return lambda value: whole.fullmatch(value) is not None
    regexes = [re.compile(source, flags | re.DOTALL) for source, _ in parts]
    first, middle, last = regexes[0], regexes[1:-1], regexes[-1]
    head, tail = parts[0][1], parts[-1][1]
    fixed = sum(length for _, length in parts)

    def match(value: str) -> bool:
        if len(value) < fixed or first.match(value) is None:
            return False
        end = len(value) - tail
        if last.fullmatch(value, end) is None:
            return False
        position = head
        for regex in middle:
            found = regex.search(value, position, end)
            if found is None:
                return False
            position = found.end()
        return True

    return match


def _component_source(component: Segments, *, last: bool) -> str:
    """Regex source of one ARN component: its wildcards stay inside it, but in the last one."""
    star, one = (".*", ".") if last else ("[^:]*", "[^:]")
    out = []
    for text, literal in component:
        for ch in text:
            wild = not literal and ch in "*?"
            out.append((star if ch == "*" else one) if wild else re.escape(ch))
    return "".join(out)


def _arn_components(segments: Segments) -> list[Segments]:
    """A pattern's six ARN components, split at its first five colons (literal text's included)."""
    components: list[list[tuple[str, bool]]] = [[]]
    for text, literal in segments:
        piece = ""
        for ch in text:
            if ch == ":" and len(components) < 6:
                components[-1].append((piece, literal))
                components.append([])
                piece = ""
            else:
                piece += ch
        components[-1].append((piece, literal))
    return [tuple(component) for component in components]


@lru_cache(maxsize=8192)
def compile_arn(segments: Segments) -> Matcher:
    """Matcher for one Resource / ArnLike pattern (case-sensitive). With all six components written
    out, each is matched on its own, so a wildcard in the region never swallows a colon; in the last
    component (the resource, which may itself contain colons) a wildcard spans anything."""
    if segments == (("*", False),):
        return _always
    if not any(has_wildcard(text) for text, literal in segments if not literal):
        return "".join(text for text, _ in segments).__eq__
    if sum(text.count(":") for text, _ in segments) < 5:
        return _glob(segments, 0)
    components = _arn_components(segments)
    if all(len(_parts(component)) <= 2 for component in components):
        # At most one `*` a component: one regular expression, with `[^:]*` in the first five (a
        # wildcard there cannot leave its component, so nothing backtracks across components).
        source = ":".join(_component_source(c, last=n == 5) for n, c in enumerate(components))
        whole = re.compile(source, re.DOTALL)
        return lambda value: whole.fullmatch(value) is not None
    matchers = [_glob(component, 0) for component in components]

    def match(value: str) -> bool:
        values = value.split(":", 5)
        return len(values) == 6 and all(m(v) for m, v in zip(matchers, values, strict=True))

    return match


@lru_cache(maxsize=8192)
def compile_string_like(segments: Segments, ignore_case: bool = False) -> Matcher:
    """Matcher for a StringLike value or an action pattern: `*` and `?` span anything."""
    if segments == (("*", False),):
        return _always
    if not any(has_wildcard(text) for text, literal in segments if not literal):
        text = "".join(text for text, _ in segments)
        if ignore_case:
            text = text.lower()
            return lambda value: value.lower() == text
        return text.__eq__
    return _glob(segments, re.IGNORECASE if ignore_case else 0)


def any_of(matchers: list[Matcher]) -> Matcher:
    """One matcher that is true when any of the given ones is (exact texts folded into a set)."""
    if any(m is _always for m in matchers):
        return _always
    exact = {m.__self__ for m in matchers if getattr(m, "__name__", "") == "__eq__"}
    others = [m for m in matchers if getattr(m, "__name__", "") != "__eq__"]
    if not others:
        return exact.__contains__
    if not exact:
        return others[0] if len(others) == 1 else (lambda value: any(m(value) for m in others))
    return lambda value: value in exact or any(m(value) for m in others)


def action_matcher(patterns: list[str]) -> Matcher:
    """Matcher over lower-cased action names ("iam:getuser") for Action / NotAction patterns."""
    return any_of([compile_string_like(pattern(p.lower())) for p in patterns])


def arn_account(arn: str) -> str | None:
    """The account component of an ARN, or None when the ARN has none (S3), is not an ARN, or
    names AWS itself (arn:aws:iam::aws:policy/…: AWS managed policies belong to no account)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4] and parts[4] != "aws":
        return parts[4]
    return None
