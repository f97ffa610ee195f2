"""Console pages: help_pages (being built)."""

from __future__ import annotations

urlpatterns: list = []
