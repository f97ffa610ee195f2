"""The Django project itself: settings from the environment, pages, migrations, the database."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from iam_portal.settings import BASE_DIR, database_from_url


class DatabaseFromUrlTests:
    def test_default_is_sqlite_in_the_project(self, monkeypatch):
        monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
        assert database_from_url(None) == {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
        }

    def test_postgres_url(self, monkeypatch):
        monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "60")
        assert database_from_url("postgres://bob:p%40ss@db.internal:5433/iam") == {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "iam",
            "USER": "bob",
            "PASSWORD": "p@ss",
            "HOST": "db.internal",
            "PORT": "5433",
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }

    def test_sqlite_url(self):
        assert database_from_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"

    def test_unknown_scheme_is_a_clear_error(self):
        with pytest.raises(ValueError, match="DATABASE_URL scheme 'mysql' is not supported"):
            database_from_url("mysql://root@localhost/db")


@pytest.mark.django_db
class DatabaseTests:
    def test_the_suite_runs_on_the_database_named_by_database_url(self):
        expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
        assert connection.vendor == expected
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)

    def test_models_and_migrations_agree(self):
        out = StringIO()
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
        assert "No changes detected" in out.getvalue()


class HomePageTests:
    def test_home_page_renders(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert b"<h1>IAM Portal</h1>" in response.content

    def test_the_readme_shows_both_commands_first(self):
        readme = (Path(BASE_DIR) / "README.md").read_text()
        head = readme[: readme.index("\n## ", readme.index("make test"))]
        assert "make run" in head and "make test" in head


class InputEdgeTests:
    """Bad input gets a clear error, never a 500."""

    def test_markers_must_be_short_strings(self):
        import base64

        from iam_portal.errors import ValidationError
        from iam_portal.pagination import page_bounds

        for marker in (5, "", base64.urlsafe_b64encode(b"o" + b"9" * 200).decode()):
            with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
                page_bounds(marker, None)

    def test_a_nul_in_a_description_is_a_validation_error(self):
        from iam_portal import validation
        from iam_portal.errors import ValidationError

        with pytest.raises(ValidationError, match="Member must not contain a NUL character"):
            validation.description("a\x00b")


@pytest.mark.django_db
class NulInFiltersTests:
    """A NUL in a name filter is a ValidationError in every list, never a database error (PostgreSQL
    text cannot hold one) — the console's name suggestions included."""

    def test_every_list_refuses_a_nul_in_name_contains(self, ctx):
        from accounts.selectors.groups import list_groups
        from accounts.selectors.roles import list_roles
        from accounts.selectors.users import list_users
        from iam_portal.errors import ValidationError
        from policies.selectors import list_policies

        for listing in (list_users, list_groups, list_roles, list_policies):
            with pytest.raises(
                ValidationError,
                match="at 'nameContains' failed to satisfy constraint: Member must not contain a NUL",
            ):
                listing(ctx, name_contains="a\x00b")

    def test_the_simulators_name_suggestions_answer_400(self, client, root):
        client.force_login(root)
        response = client.get("/console/policy-simulator/names/", {"kind": "user", "q": "a\x00b"})
        assert response.status_code == 400
        assert response.json()["code"] == "ValidationError"
