"""Console pages: policies (being built)."""

from __future__ import annotations

urlpatterns: list = []
