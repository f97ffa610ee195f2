"""Console pages: dashboard (being built)."""

from __future__ import annotations

urlpatterns: list = []
