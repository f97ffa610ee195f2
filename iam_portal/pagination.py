"""Marker / MaxItems pagination of IAM List* operations, in a constant number of queries."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db.models import Q, QuerySet

from .errors import validation_error
from .prepared import PreparedQuery

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    is_truncated: bool
    marker: str | None  # pass back as Marker to get the next page


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode()


def _decode(marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        if text.startswith("o") and text[1:].isdigit() and len(text) <= 10:
            return int(text[1:])  # at most 999,999,999: nothing the database chokes on
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise validation_error(marker, "marker", "be a marker returned by a previous response")


def page_bounds(marker: str | None, max_items: int | None) -> tuple[int, int]:
    """The offset and size a Marker / MaxItems pair asks for (validated as the model says)."""
    size = _page_size(max_items)
    _check_marker(marker)
    return (0 if marker is None else _decode(marker)), size


def _page_size(max_items: int | None) -> int:
    size = DEFAULT_MAX_ITEMS if max_items is None else max_items
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
        raise validation_error(
            max_items, "maxItems", "have value less than or equal to 1000 and greater than or equal to 1"
        )
    return size


def _check_marker(marker: str | None) -> None:
    if marker is not None and (not isinstance(marker, str) or not 1 <= len(marker) <= 320):
        raise validation_error(marker, "marker", "have length between 1 and 320")


def _offset_page(rows: list, offset: int, size: int) -> Page:
    """A page from the rows at `offset`, fetched one more than asked (that one says more follow)."""
    truncated = len(rows) > size
    return Page(rows[:size], truncated, _encode(offset + size) if truncated else None)


def paginate(queryset: QuerySet | list, marker: str | None, max_items: int | None) -> Page:
    """One page of an ordered queryset (or list): one query, fetching one row more than asked."""
    offset, size = page_bounds(marker, max_items)
    return _offset_page(list(queryset[offset : offset + size + 1]), offset, size)


def paginate_prepared(
    query: PreparedQuery, marker: str | None, max_items: int | None, **values: object
) -> Page:
    """paginate() of an ordered PreparedQuery: one query, compiled once per page window."""
    offset, size = page_bounds(marker, max_items)
    return _offset_page(query.all(window=(offset, offset + size + 1), **values), offset, size)


def paginate_newest_first(queryset: QuerySet, marker: str | None, max_items: int | None) -> Page:
    """One page of rows with a `time`, newest first, by (time, id). The marker is a cursor naming the
    last row shown, not an offset: rows added meanwhile (an audit log grows) never make a later page
    repeat or skip one."""
    size = _page_size(max_items)
    _check_marker(marker)
    if marker is not None:
        time, pk = _decode_cursor(marker)
        queryset = queryset.filter(Q(time__lt=time) | Q(time=time, pk__lt=pk))
    rows = list(queryset.order_by("-time", "-pk")[: size + 1])
    truncated = len(rows) > size
    rows = rows[:size]
    return Page(rows, truncated, _encode_cursor(rows[-1].time, rows[-1].pk) if truncated else None)


def _encode_cursor(time: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"t{time.isoformat()}|{pk}".encode()).decode()


def _decode_cursor(marker: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        stamp, pk = text[1:].split("|")
        time = datetime.fromisoformat(stamp)
        if text.startswith("t") and pk.isdigit() and len(pk) <= 19 and time.tzinfo is not None:
            return time, int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise validation_error(marker, "marker", "be a marker returned by a previous response")
