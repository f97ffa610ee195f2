"""Console pages: account_settings (being built)."""

from __future__ import annotations

urlpatterns: list = []
