"""A JSON reader that remembers where every value and key stands in the text.

The standard `json` module gives neither positions for values nor an error for duplicate keys;
policy validation needs both (findings point at a line and column, and AWS rejects duplicates).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Position:
    offset: int
    line: int  # 1-based
    column: int  # 1-based


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, position: Position):
        super().__init__(f"{message} at line {position.line} column {position.column}")
        self.message = message
        self.position = position


@dataclass(eq=False)
class Node:
    """A JSON value with its place in the text; objects keep the place of each key too."""

    value: object  # dict[str, Node] | list[Node] | str | int | float | bool | None
    start: Position
    key_positions: dict[str, Position] = field(default_factory=dict)

    def plain(self) -> object:
        """The value as ordinary Python data."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class _Reader:
    def __init__(self, text: str, recover: bool = False):
        self.text = text
        self.recover = recover
        self.errors: list[JsonSyntaxError] = []
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.line_starts, offset)
        return Position(offset, line, offset - self.line_starts[line - 1] + 1)

    def fail(self, message: str, offset: int) -> JsonSyntaxError:
        return JsonSyntaxError(message, self.position(offset))

    def missing_comma(self, j: int, starts: str) -> bool:
        """In recovery mode, note a missing ',' before the next member and read on as if it were there."""
        if self.recover and j < len(self.text) and self.text[j] in starts:
            self.errors.append(self.fail("Expecting ',' delimiter", j))
            return True
        return False

    def skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()

    def value(self, i: int, depth: int) -> tuple[Node, int]:
        if depth > _MAX_DEPTH:
            raise self.fail("Nesting is too deep", i)
        text = self.text
        if i >= len(text):
            raise self.fail("Expecting value", i)
        ch = text[i]
        if ch == "{":
            return self.object(i, depth)
        if ch == "[":
            return self.array(i, depth)
        if ch == '"':
            s, end = self.string(i)
            return Node(s, self.position(i)), end
        for literal, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, i):
                return Node(val, self.position(i)), i + len(literal)
        m = _NUMBER.match(text, i)
        if m and m.end() > i:
            number = float(m.group()) if m.group(1) or m.group(2) else int(m.group())
            return Node(number, self.position(i)), m.end()
        raise self.fail("Expecting value", i)

    def string(self, i: int) -> tuple[str, int]:
        text, parts, j = self.text, [], i + 1
        while True:
            m = _STRING_CHUNK.match(text, j)
            parts.append(m.group())
            j = m.end()
            if j >= len(text):
                raise self.fail("Unterminated string", i)
            ch = text[j]
            if ch == '"':
                return "".join(parts), j + 1
            if ch != "\\":
                raise self.fail("Invalid control character in string", j)
            esc = text[j + 1 : j + 2]
            if esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
                j += 2
            elif esc == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
                parts.append(chr(int(text[j + 2 : j + 6], 16)))
                j += 6
            else:
                raise self.fail("Invalid escape in string", j)

    def object(self, i: int, depth: int) -> tuple[Node, int]:
        node = Node({}, self.position(i))
        members: dict[str, Node] = node.value  # type: ignore[assignment]
        j = self.skip(i + 1)
        if self.text.startswith("}", j):
            return node, j + 1
        while True:
            if not self.text.startswith('"', j):
                raise self.fail("Expecting property name enclosed in double quotes", j)
            key, after_key = self.string(j)
            if key in members:
                raise self.fail(f"Duplicate key {key!r}", j)
            node.key_positions[key] = self.position(j)
            j = self.skip(after_key)
            if not self.text.startswith(":", j):
                raise self.fail("Expecting ':' delimiter", j)
            members[key], j = self.value(self.skip(j + 1), depth + 1)
            j = self.skip(j)
            if self.text.startswith(",", j):
                j = self.skip(j + 1)
            elif self.text.startswith("}", j):
                return node, j + 1
            elif not self.missing_comma(j, '"'):
                raise self.fail("Expecting ',' delimiter", j)

    def array(self, i: int, depth: int) -> tuple[Node, int]:
        node = Node([], self.position(i))
        items: list[Node] = node.value  # type: ignore[assignment]
        j = self.skip(i + 1)
        if self.text.startswith("]", j):
            return node, j + 1
        while True:
            item, j = self.value(j, depth + 1)
            items.append(item)
            j = self.skip(j)
            if self.text.startswith(",", j):
                j = self.skip(j + 1)
            elif self.text.startswith("]", j):
                return node, j + 1
            elif not self.missing_comma(j, '"{[-0123456789tfn'):
                raise self.fail("Expecting ',' delimiter", j)


def parse(text: str) -> Node:
    """Read one JSON document; raise JsonSyntaxError (with line and column) on bad JSON."""
    return parse_recovering(text, recover=False)[0]


def parse_recovering(text: str, recover: bool = True) -> tuple[Node, list[JsonSyntaxError]]:
    """Read one document, reading past missing commas (each noted) so later mistakes show too.

    Any other syntax error raises JsonSyntaxError.
    """
    reader = _Reader(text, recover)
    node, end = reader.value(reader.skip(0), 0)
    end = reader.skip(end)
    if end != len(text):
        raise reader.fail("Extra data", end)
    return node, reader.errors
