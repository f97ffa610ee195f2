"""Console pages: activity (being built)."""

from __future__ import annotations

urlpatterns: list = []
