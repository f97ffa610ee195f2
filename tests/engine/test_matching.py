"""Wildcard matching (policies/engine/matching.py): the linear-time glob equals the straightforward
regular-expression translation on every small pattern, and cannot be made to backtrack."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine.matching import compile_arn, compile_string_like, pattern


def reference_regex(segments, *, arn: bool) -> str:
    """The translation the engine used before: `*` → `.*` (`[^:]*` inside the first five components of
    a six-component ARN pattern), `?` → `.` (`[^:]`), everything else literal."""
    per_component = arn and sum(text.count(":") for text, _ in segments) >= 5
    out, colons = [], 0
    for text, literal in segments:
        for ch in text:
            if ch == ":":
                colons += 1
                out.append(":")
            elif not literal and ch in "*?":
                inside = per_component and colons < 5
                out.append(("[^:]*" if inside else ".*") if ch == "*" else ("[^:]" if inside else "."))
            else:
                out.append(re.escape(ch))
    return "".join(out)


def reference(segments, value: str, *, arn: bool, ignore_case: bool = False) -> bool:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(reference_regex(segments, arn=arn), value, flags) is not None


TEXT = st.text(alphabet="ab:*?", max_size=9)
VALUE = st.text(alphabet="abAB:", max_size=12)
LITERAL = st.tuples(st.text(alphabet="a*?:", max_size=3), st.just(True))  # a policy variable's value
SEGMENTS = st.lists(st.one_of(TEXT.map(lambda t: (t, False)), LITERAL), min_size=1, max_size=3).map(tuple)


class GlobEqualsTheRegexTests:
    @settings(max_examples=3000, deadline=None)
    @given(SEGMENTS, VALUE)
    def test_string_like(self, segments, value):
        assert compile_string_like(segments)(value) == reference(segments, value, arn=False)

    @settings(max_examples=2000, deadline=None)
    @given(SEGMENTS, VALUE)
    def test_string_like_ignoring_case(self, segments, value):
        expected = reference(segments, value, arn=False, ignore_case=True)
        assert compile_string_like(segments, True)(value) == expected

    @settings(max_examples=3000, deadline=None)
    @given(SEGMENTS, VALUE)
    def test_arn_like(self, segments, value):
        assert compile_arn(segments)(value) == reference(segments, value, arn=True)

    @settings(max_examples=2000, deadline=None)
    @given(st.lists(st.text(alphabet="ab*?", max_size=3), min_size=6, max_size=6), VALUE)
    def test_six_component_arns(self, components, value):
        segments = pattern(":".join(components))
        assert compile_arn(segments)(value) == reference(segments, value, arn=True)

    def test_examples(self):
        assert compile_arn(pattern("arn:aws:s3:::bucket/*/key?"))("arn:aws:s3:::bucket/a:b/c/key1")
        assert not compile_arn(pattern("arn:aws:iam::*:user/*"))("arn:aws:iam::1:2:user/x")
        assert compile_arn(pattern("arn:aws:iam::*:user/*"))("arn:aws:iam::123456789012:user/a:b")
        assert compile_string_like(pattern("iam:get*"), True)("IAM:GetUser")
        assert compile_string_like((("a", False), ("*", True), ("b*", False)))("a*bzz")
        assert not compile_string_like((("a", False), ("*", True), ("b*", False)))("axbzz")


class NoBacktrackingTests:
    """Each of these took minutes (or forever) as one regular expression: `.*a.*a…c` against a long
    run of `a` backtracks through every way of placing the wildcards. They answer at once now."""

    def test_many_wildcards_against_a_long_resource(self):
        resource = "arn:aws:s3:::" + "a" * 20_000
        assert not compile_arn(pattern("arn:aws:s3:::" + "*a" * 12 + "*c"))(resource)
        assert compile_arn(pattern("arn:aws:s3:::" + "*a" * 12 + "*"))(resource)

    def test_many_wildcards_in_a_string_like_condition(self):
        value = "a" * 20_000 + "b"
        assert not compile_string_like(pattern("*a?" * 10 + "c"))(value)
        assert compile_string_like(pattern("*a?" * 10 + "*b"))(value)
