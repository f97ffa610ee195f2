"""REST resources of the policies app (docs/rest-api.md): managed policies and their versions,
policy validation and simulation.

ROUTES lists (prefix, viewset, basename) triples that policies/api_urls.py registers under /api/v1/.
"""

from __future__ import annotations

ROUTES: list[tuple[str, type, str]] = []
