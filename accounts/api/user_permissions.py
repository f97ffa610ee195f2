"""REST resources: (being written)."""

from __future__ import annotations

ROUTES: list[tuple[str, type, str]] = []
