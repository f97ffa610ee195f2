"""`manage.py createaccount`: in process (call_command) and as a real command line (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Account, AuditEvent, User
from accounts.services.account import create_account_alias
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("createaccount", *args, stdout=out, **options)
    return out.getvalue()


def events_of(action: str) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(action=action).values_list("outcome", "error_code"))


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """`python manage.py …` in a separate process, against the database the URL names."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "iam_portal.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def current_database_url() -> str:
    """The URL of the database this test runs against (the test database, once pytest-django made it)."""
    s = connection.settings_dict
    credentials = quote(s["USER"], safe="") + (":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{credentials}@{s['HOST'] or 'localhost'}{port}/{quote(s['NAME'], safe='')}"


@pytest.mark.django_db
class CreateAccountCommandTests:
    def test_prints_the_new_account_id(self):
        output = run("--email", "owner@example.com", "--password", f.PASSWORD)
        root = User.objects.select_related("account").get(email="owner@example.com")
        assert output == f"{root.account.account_id}\n"
        assert root.is_root and root.check_password(f.PASSWORD)
        assert root.account.alias is None
        assert list(AuditEvent.objects.values_list("action", "outcome", "channel")) == [
            ("portal:CreateAccount", "success", "internal")
        ]

    def test_json_output(self):
        output = run("--email", "Owner@Example.com", "--password", f.PASSWORD, "--json")
        account = Account.objects.get()
        assert json.loads(output) == {
            "account_id": account.account_id,
            "root_user_email": "owner@example.com",
            "access_key_id": None,
            "secret_access_key": None,
        }

    def test_options_may_be_passed_as_keywords(self):
        output = run(email="owner@example.com", password=f.PASSWORD, alias="example", json=True)
        assert json.loads(output)["account_id"] == Account.objects.get(alias="example").account_id

    def test_sets_the_alias_as_the_new_root_user(self):
        output = run("--email", "owner@example.com", "--password", f.PASSWORD, "--alias", "example-corp")
        account = Account.objects.get(alias="example-corp")
        assert output == f"{account.account_id}\n"
        event = AuditEvent.objects.get(action="iam:CreateAccountAlias")
        assert (event.outcome, event.actor_arn, event.parameters) == (
            "success",
            account.root_arn,
            {"account_alias": "example-corp"},
        )

    def test_root_access_key_is_issued_and_shown_once(self):
        output = json.loads(
            run("--email", "owner@example.com", "--password", f.PASSWORD, "--root-access-key", "--json")
        )
        root = User.objects.get(email="owner@example.com")
        [key] = root.access_keys.all()
        assert output["access_key_id"] == key.access_key_id and key.access_key_id.startswith("AKIA")
        assert len(output["secret_access_key"]) == 40
        assert output["secret_access_key"] not in key.secret_ciphertext
        plain = run("--email", "other@example.com", "--password", f.PASSWORD, "--root-access-key")
        account_id, key_line = plain.splitlines()
        assert account_id == User.objects.get(email="other@example.com").account.account_id
        assert (
            key_line.split()[0] == User.objects.get(email="other@example.com").access_keys.get().access_key_id
        )

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ["--email", "nope", "--password", f.PASSWORD],
                "InvalidInput: The email address 'nope' is not valid.",
            ),
            (
                ["--email", "owner@example.com", "--password", "short"],
                "PasswordPolicyViolation: This password is too short. It must contain at least 8 characters.",
            ),
            (
                ["--email", "owner@example.com", "--password", f.PASSWORD, "--alias", "Bad_Alias"],
                "ValidationError: 1 validation error detected: Value 'Bad_Alias' at 'accountAlias' failed to "
                r"satisfy constraint: Member must satisfy regular expression pattern: "
                r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
            ),
            (
                ["--email", "owner@example.com", "--password", f.PASSWORD, "--alias", "123456789012"],
                "ValidationError: 1 validation error detected: Value '123456789012' at 'accountAlias' failed "
                "to satisfy constraint: Member must not be a 12-digit number",
            ),
        ],
    )
    def test_bad_input_is_a_command_error_and_creates_nothing(self, args, message):
        with pytest.raises(CommandError) as caught:
            run(*args)
        assert str(caught.value) == message
        assert (Account.objects.count(), User.objects.count()) == (0, 0)

    def test_a_taken_alias_leaves_no_half_written_account(self):
        taken = f.root_context()
        create_account_alias(taken, account_alias="taken")
        with pytest.raises(CommandError) as caught:
            run("--email", "owner@example.com", "--password", f.PASSWORD, "--alias", "taken")
        assert str(caught.value) == "EntityAlreadyExists: The account alias taken already exists."
        assert Account.objects.count() == 1
        assert not User.objects.filter(email="owner@example.com").exists()
        # The failed attempt's audit rows went with its transaction: they would name an account that
        # never existed.
        assert AuditEvent.objects.filter(action="portal:CreateAccount").count() == 1
        assert events_of("iam:CreateAccountAlias") == [("success", "")]
        # The email is still free: nothing of the failed attempt remained.
        run("--email", "owner@example.com", "--password", f.PASSWORD, "--alias", "free")
        assert Account.objects.get(alias="free").users.get().email == "owner@example.com"

    def test_an_email_already_signed_up_is_entity_already_exists(self):
        run("--email", "owner@example.com", "--password", f.PASSWORD)
        with pytest.raises(CommandError) as caught:
            run("--email", "owner@example.com", "--password", f.PASSWORD)
        assert str(caught.value) == (
            "EntityAlreadyExists: An account with the email address owner@example.com already exists."
        )
        assert Account.objects.count() == 1

    def test_email_and_password_are_required(self):
        with pytest.raises(CommandError, match="the following arguments are required: --email, --password"):
            run()


class CreateAccountCommandLineTests:
    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_creates_the_account_in_the_test_database(self):
        done = manage(
            current_database_url(),
            "createaccount",
            "--email",
            "cli@example.com",
            "--password",
            f.PASSWORD,
            "--alias",
            "cli-corp",
            "--json",
        )
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        account = Account.objects.get(alias="cli-corp")  # committed by the other process
        assert printed == {
            "account_id": account.account_id,
            "root_user_email": "cli@example.com",
            "access_key_id": None,
            "secret_access_key": None,
        }
        # The other process hashes with the production hasher (this one is set to fast MD5).
        assert account.users.get().password.startswith("argon2$")

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_a_failure_exits_non_zero_with_the_aws_message(self):
        create_account_alias(f.root_context(), account_alias="taken")
        done = manage(
            current_database_url(),
            "createaccount",
            "--email",
            "cli@example.com",
            "--password",
            f.PASSWORD,
            "--alias",
            "taken",
        )
        assert done.returncode == 1
        assert done.stdout == ""
        assert "CommandError: EntityAlreadyExists: The account alias taken already exists." in done.stderr
        assert not User.objects.filter(email="cli@example.com").exists()

    def test_works_from_a_fresh_sqlite_database(self, tmp_path):
        # Runs on every pass (SQLite's test database lives in memory, out of another process's reach).
        url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
        assert manage(url, "migrate", "--noinput", "-v", "0").returncode == 0
        done = manage(url, "createaccount", "--email", "cli@example.com", "--password", f.PASSWORD)
        assert done.returncode == 0, done.stderr
        account_id = done.stdout.strip()
        assert len(account_id) == 12 and account_id.isdigit()
        again = manage(url, "createaccount", "--email", "cli@example.com", "--password", f.PASSWORD, "--json")
        assert again.returncode == 1 and again.stdout == ""
        assert "An account with the email address cli@example.com already exists." in again.stderr
        keys = manage(
            url,
            "createaccount",
            "--email",
            "k@example.com",
            "--password",
            f.PASSWORD,
            "--root-access-key",
            "--json",
        )
        assert keys.returncode == 0, keys.stderr
        assert json.loads(keys.stdout)["access_key_id"].startswith("AKIA")
