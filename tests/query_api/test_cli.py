"""The real AWS CLI (`aws iam …`, `aws sts …`) against the live server, JSON output asserted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Key

pytestmark = pytest.mark.django_db(transaction=True)
AWS = Path(sys.executable).with_name("aws")


def aws(live_server, key: Key, *args: str) -> dict:
    """Run `aws <args> --endpoint-url <live server> --output json` with the key in the environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": key.access_key_id,
        "AWS_SECRET_ACCESS_KEY": key.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,  # nothing from the developer's own configuration
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }
    if key.session_token:
        env["AWS_SESSION_TOKEN"] = key.session_token
    done = subprocess.run(
        [str(AWS), *args, "--endpoint-url", live_server.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_iam_create_get_and_list_users(live_server, root_key, root):
    acct = root.account.account_id
    created = aws(live_server, root_key, "iam", "create-user", "--user-name", "erin", "--path", "/staff/")
    assert created["User"]["UserName"] == "erin"
    assert created["User"]["Path"] == "/staff/"
    assert created["User"]["Arn"] == f"arn:aws:iam::{acct}:user/staff/erin"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created["User"]["CreateDate"])

    fetched = aws(live_server, root_key, "iam", "get-user", "--user-name", "erin")
    assert fetched["User"]["UserId"] == created["User"]["UserId"]

    listed = aws(live_server, root_key, "iam", "list-users")
    assert [u["UserName"] for u in listed["Users"]] == ["erin"]


def test_sts_get_caller_identity(live_server, root_key, root):
    acct = root.account.account_id
    identity = aws(live_server, root_key, "sts", "get-caller-identity")
    assert identity == {"UserId": acct, "Account": acct, "Arn": f"arn:aws:iam::{acct}:root"}


def test_sts_assume_role_then_act_as_the_role(live_server, root_key, root):
    """`aws sts assume-role`, then the CLI with AWS_SESSION_TOKEN acts as the role session."""
    acct = root.account.account_id
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:user/erin"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    aws(live_server, root_key, "iam", "create-user", "--user-name", "erin")
    erin = aws(live_server, root_key, "iam", "create-access-key", "--user-name", "erin")["AccessKey"]
    role = aws(live_server, root_key, "iam", "create-role", "--role-name", "reader",
               "--assume-role-policy-document", trust)["Role"]  # fmt: skip
    aws(live_server, root_key, "iam", "attach-role-policy", "--role-name", "reader",
        "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")  # fmt: skip

    assumed = aws(live_server, Key(erin["AccessKeyId"], erin["SecretAccessKey"]), "sts", "assume-role",
                  "--role-arn", role["Arn"], "--role-session-name", "cli-session")  # fmt: skip
    credentials = assumed["Credentials"]
    session = Key(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    identity = aws(live_server, session, "sts", "get-caller-identity")
    assert identity == {
        "UserId": f"{role['RoleId']}:cli-session",
        "Account": acct,
        "Arn": f"arn:aws:sts::{acct}:assumed-role/reader/cli-session",
    }
    listed = aws(live_server, session, "iam", "list-users")
    assert [u["UserName"] for u in listed["Users"]] == ["erin"]
