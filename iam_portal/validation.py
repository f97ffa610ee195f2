"""Checks of request members against the IAM model's constraints (../shared/reference/QUOTAS.md §1).

Each raises a ValidationError (or InvalidInput where AWS says so) naming the member in AWS's form.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInputError, LimitExceededError, validation_error

NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
PATH = re.compile(r"/|/[\u0021-\u007E]+/")
PATH_PREFIX = re.compile(r"/[\u0021-\u007F]*")
MAX_TAGS = 50
_TAG_PUNCTUATION = set("_.:/=+-@")


def constrained(
    value: object,
    member: str,
    *,
    min_length: int = 1,
    max_length: int,
    pattern: re.Pattern,
    empty_is_null: bool = False,
    hide_value: bool = False,
) -> str:
    """A string member within the model's length range that matches its pattern (fullmatch)."""
    if not isinstance(value, str) or (empty_is_null and not value):
        constraint = "not be null"
    elif len(value) < min_length:
        constraint = f"have length greater than or equal to {min_length}"
    elif len(value) > max_length:
        constraint = f"have length less than or equal to {max_length}"
    elif not pattern.fullmatch(value):
        constraint = f"satisfy regular expression pattern: {pattern.pattern}"
    else:
        return value
    raise validation_error(value, member, constraint, hide_value=hide_value)


def integer(value: object, member: str, bounds: tuple[int, int]) -> int | None:
    """An integer member within the model's range (None stays None: the member was not sent)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation_error(value, member, "be an integer")
    low, high = bounds
    if value < low:
        raise validation_error(value, member, f"have value greater than or equal to {low}")
    if value > high:
        raise validation_error(value, member, f"have value less than or equal to {high}")
    return value


def name(value: object, member: str, max_length: int) -> str:
    """A user, group, role or policy name: 1..max_length of [\\w+=,.@-]."""
    if not isinstance(value, str) or not value:
        raise validation_error(value, member, "not be null")
    if len(value) > max_length:
        raise validation_error(value, member, f"have length less than or equal to {max_length}")
    if not NAME.fullmatch(value):
        raise validation_error(value, member, r"satisfy regular expression pattern: [\w+=,.@-]+")
    return value


def path(value: object, member: str = "path") -> str:
    """An entity path: "/" or "/a/b/" (1 to 512 characters)."""
    if not isinstance(value, str) or not 1 <= len(value) <= 512:
        raise validation_error(value, member, "have length between 1 and 512")
    if not PATH.fullmatch(value):
        raise validation_error(
            value,
            member,
            "satisfy regular expression pattern: "
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        )
    return value


def path_prefix(value: object, member: str = "pathPrefix") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 512:
        raise validation_error(value, member, "have length between 1 and 512")
    if not PATH_PREFIX.fullmatch(value):
        raise validation_error(value, member, r"satisfy regular expression pattern: \u002F[\u0021-\u007F]*")
    return value


ROLE_DESCRIPTION = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"


def search_text(value: str, member: str = "nameContains") -> str:
    """A portal filter's text (part of a name): any characters but NUL, which PostgreSQL text cannot
    hold (a query with it would fail, not just match nothing)."""
    if "\x00" in value:
        raise validation_error(value.replace("\x00", "\\0"), member, "not contain a NUL character")
    return value


def description(value: object, member: str = "description", pattern: str | None = None) -> str:
    """A role or policy description: at most 1,000 characters (of `pattern`, when the model has one)."""
    if not isinstance(value, str):
        raise validation_error(value, member, "not be null")
    if len(value) > 1000:
        raise validation_error(value, member, "have length less than or equal to 1000")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise validation_error(value, member, f"satisfy regular expression pattern: {pattern}")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise validation_error(value.replace("\x00", "\\0"), member, "not contain a NUL character")
    return value


def _tag_text_ok(text: str) -> bool:
    """[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]: letters, separators, numbers and a little punctuation."""
    return all(ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LZN" for ch in text)


def tags(value: object, member: str = "tags") -> dict[str, str]:
    """A Tags list ([{"Key": …, "Value": …}]) as a dict; keys are case-insensitive in IAM."""
    if not isinstance(value, list | tuple):
        raise validation_error(value, member, "be a list of tags")
    if len(value) > MAX_TAGS:
        raise validation_error(value, member, f"have length less than or equal to {MAX_TAGS}")
    out: dict[str, str] = {}
    seen: set[str] = set()
    for i, tag in enumerate(value, 1):
        key = tag.get("Key") if isinstance(tag, dict) else None
        val = tag.get("Value", "") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not _tag_text_ok(key):
            raise validation_error(
                key,
                f"{member}.{i}.member.key",
                r"satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+ "
                "and have length between 1 and 128",
            )
        if not isinstance(val, str) or len(val) > 256 or not _tag_text_ok(val):
            raise validation_error(
                val,
                f"{member}.{i}.member.value",
                r"satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]* "
                "and have length less than or equal to 256",
            )
        if key.lower() in seen:
            raise InvalidInputError(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(key.lower())
        out[key] = val
    return out


def tag_keys(value: object, member: str = "tagKeys") -> list[str]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(k, str) and 1 <= len(k) <= 128 for k in value
    ):
        raise validation_error(value, member, "be a list of tag keys of length between 1 and 128")
    if len(value) > MAX_TAGS:
        raise validation_error(value, member, f"have length less than or equal to {MAX_TAGS}")
    return list(value)


def merge_tags(current: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """TagUser / TagRole: a key that exists (in any case) gets the new value; at most 50 tags."""
    merged = {k: v for k, v in current.items() if k.lower() not in {n.lower() for n in new}}
    merged.update(new)
    if len(merged) > MAX_TAGS:
        raise LimitExceededError(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    return merged


def remove_tags(current: dict[str, str], keys: list[str]) -> dict[str, str]:
    gone = {k.lower() for k in keys}
    return {k: v for k, v in current.items() if k.lower() not in gone}


def tag_context(tag_values: dict[str, str]) -> dict[str, object]:
    """aws:RequestTag/* and aws:TagKeys for authorizing a request that sets tags."""
    context: dict[str, object] = {f"aws:RequestTag/{k}": v for k, v in tag_values.items()}
    context["aws:TagKeys"] = list(tag_values)
    return context
