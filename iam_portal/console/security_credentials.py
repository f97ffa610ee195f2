"""Console pages: security_credentials (being built)."""

from __future__ import annotations

urlpatterns: list = []
