"""Shared pytest configuration: fast password hashing, and PostgreSQL-only tests."""

from __future__ import annotations

import os

import pytest

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (tests/test_project.py checks it); tests need speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: runs only against PostgreSQL (the CI's second run)")


def pytest_collection_modifyitems(config, items):
    """Deselect (not skip) PostgreSQL-only tests on SQLite; .ci/run runs them on PostgreSQL."""
    if ON_POSTGRES:
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture
def root():
    """The root user of a new account."""
    from tests import factories

    return factories.root_user()


@pytest.fixture
def ctx(root):
    """A request by that root user."""
    from tests import factories

    return factories.root_context(root)


@pytest.fixture
def acct(ctx) -> str:
    return ctx.account.account_id
