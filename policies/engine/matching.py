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


def _glob_regex(segments: Segments, *, arn: bool) -> str:
    """Regex source for a wildcard pattern; with arn=True wildcards stay inside one ARN component."""
    colons_in_pattern = sum(text.count(":") for text, _ in segments)
    per_component = arn and colons_in_pattern >= 5
    out: list[str] = []
    colons = 0
    for segment, literal in segments:
        wild = not literal
        for ch in segment:
            if ch == ":":
                colons += 1
                out.append(":")
            elif wild and ch in "*?":
                inside = per_component and colons < 5
                out.append(("[^:]*" if inside else ".*") if ch == "*" else ("[^:]" if inside else "."))
            else:
                out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def compile_arn(segments: Segments) -> Matcher:
    """Matcher for one Resource / ArnLike pattern (case-sensitive, per ARN component)."""
    if segments == (("*", False),):
        return _always
    if not any(has_wildcard(text) for text, literal in segments if not literal):
        return "".join(text for text, _ in segments).__eq__
    regex = re.compile(_glob_regex(segments, arn=True), re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


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
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    regex = re.compile(_glob_regex(segments, arn=False), flags)
    return lambda value: regex.fullmatch(value) is not None


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
