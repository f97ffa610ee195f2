"""Two app servers over one PostgreSQL and one Redis (issue 10): what one process changes, the other
obeys on its very next request, and concurrent writes through both never exceed a quota.

Each server is gunicorn with two sync workers (four processes in all) on the test database; the
tests write through the services in this process (committed: transactional tests) or through one
server, and read through the other with boto3 or a browser-like HTTP session. The hammering clients
are four separate Python processes (tests/multiprocess/hammer.py), each alternating between the
servers. PostgreSQL only: on SQLite the CI's first run deselects them (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from django.db import connection

from accounts.context import system_context
from accounts.models import AccessKey, GroupMembership
from accounts.services import access_keys, groups, policy_attachments, users
from accounts.services.account import create_account
from policies.models import PolicyVersion
from policies.services import create_policy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
HAMMER = Path(__file__).with_name("hammer.py")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "correct horse battery staple 42"
API_RATE = 8  # REST API requests per hour per access key, on both servers
GET_USER = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}'
LIST_USERS = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}'
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):  # polling a start-up, not timing a result: at most 30 s
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            if requests.get(f"{url}/readyz", timeout=30).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not become ready")


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker) -> Iterator[tuple[str, str]]:
    """Two gunicorn servers on the test database and Redis; their base URLs."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is required for the multi-process tests and is not reachable at {REDIS_URL}: {exc}"
        )
    with django_db_blocker.unblock():
        db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": REDIS_URL,
        "DATABASE_CONN_MAX_AGE": "0",
        "IAM_PORTAL_API_RATE": f"{API_RATE}/hour",
    }
    processes, urls = [], []
    for _ in range(2):
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "iam_portal.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ]
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes, strict=True):
            _wait_ready(url, process)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@dataclass
class Account:
    ctx: object
    key_id: str
    secret: str


@pytest.fixture
def account() -> Account:
    root = create_account(email="multi@example.com", password=PASSWORD)
    ctx = system_context(root)
    issued = access_keys.create_access_key(ctx)
    return Account(ctx, issued.access_key.access_key_id, issued.secret_access_key)


def iam(url: str, key_id: str, secret: str):
    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def code_of(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def _user_with_key(account: Account, name: str) -> tuple[str, str]:
    users.create_user(account.ctx, user_name=name)
    issued = access_keys.create_access_key(account.ctx, user_name=name)
    return issued.access_key.access_key_id, issued.secret_access_key


class ObeyedAtOnceTests:
    def test_a_detached_policy(self, servers, account):
        a, b = servers
        key = _user_with_key(account, "carol")
        arn = iam(a, account.key_id, account.secret).create_policy(
            PolicyName="list", PolicyDocument=LIST_USERS
        )["Policy"]["Arn"]
        iam(a, account.key_id, account.secret).attach_user_policy(UserName="carol", PolicyArn=arn)
        assert (
            iam(b, *key).list_users()["ResponseMetadata"]["HTTPStatusCode"] == 200
        )  # B caches carol's policies
        iam(a, account.key_id, account.secret).detach_user_policy(UserName="carol", PolicyArn=arn)
        assert code_of(lambda: iam(b, *key).list_users()) == "AccessDenied"

    def test_a_user_removed_from_a_group(self, servers, account):
        a, b = servers
        key = _user_with_key(account, "dave")
        groups.create_group(account.ctx, group_name="listers")
        admin = iam(a, account.key_id, account.secret)
        admin.put_group_policy(GroupName="listers", PolicyName="list", PolicyDocument=LIST_USERS)
        admin.add_user_to_group(GroupName="listers", UserName="dave")
        assert iam(b, *key).list_users()["ResponseMetadata"]["HTTPStatusCode"] == 200
        admin.remove_user_from_group(GroupName="listers", UserName="dave")
        assert code_of(lambda: iam(b, *key).list_users()) == "AccessDenied"

    def test_a_deactivated_key(self, servers, account):
        a, b = servers
        key = _user_with_key(account, "erin")
        policy_attachments.put_user_policy(
            account.ctx, user_name="erin", policy_name="self", policy_document=GET_USER
        )
        assert iam(b, *key).get_user()["User"]["UserName"] == "erin"
        iam(a, account.key_id, account.secret).update_access_key(
            UserName="erin", AccessKeyId=key[0], Status="Inactive"
        )
        assert code_of(lambda: iam(b, *key).get_user()) == "InvalidClientTokenId"

    def test_a_lockout(self, servers, account):
        a, b = servers

        def sign_in(url: str, password: str) -> str:
            session = requests.Session()
            page = session.get(f"{url}/signin/root/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            form = {"csrfmiddlewaretoken": token, "email": "multi@example.com", "password": password}
            return session.post(
                f"{url}/signin/root/", data=form, headers={"Referer": f"{url}/signin/root/"}
            ).text

        for _ in range(5):
            assert "Your authentication information is incorrect" in sign_in(a, "wrong password")
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in sign_in(b, PASSWORD)


class RateLimitTests:
    def test_both_servers_count_one_rest_api_rate_limit_in_redis(self, servers, account):
        """Requests alternate between the servers (four worker processes): the limit is the account's."""

        def get(url: str) -> int:
            request = AWSRequest(method="GET", url=f"{url}/api/v1/users/")
            SigV4Auth(Credentials(account.key_id, account.secret), "iam", "us-east-1").add_auth(request)
            return requests.get(request.url, headers=dict(request.headers.items()), timeout=30).status_code

        statuses = [get(servers[n % 2]) for n in range(API_RATE + 2)]
        assert statuses == [200] * API_RATE + [429, 429]


def hammer(servers: tuple[str, str], account: Account, operation: str, calls: list[dict]) -> Counter:
    """Four client processes, each making its share of `calls` alternately on both servers; the
    outcomes (success or AWS error code) of all calls."""
    shares = [calls[i::4] for i in range(4)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(HAMMER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in shares
    ]
    for process, share in zip(processes, shares, strict=True):
        job = {"endpoints": list(servers), "key": [account.key_id, account.secret], "operation": operation}
        process.stdin.write(json.dumps({**job, "calls": share}))
        process.stdin.close()
    outcomes: Counter = Counter()
    for process in processes:
        out = process.stdout.read()
        assert process.wait(timeout=300) == 0
        outcomes.update(json.loads(out))
    return outcomes


class QuotasHoldUnderConcurrencyTests:
    def test_create_access_key(self, servers, account):
        users.create_user(account.ctx, user_name="frank")
        outcomes = hammer(servers, account, "create_access_key", [{"UserName": "frank"}] * 16)
        assert outcomes == Counter({"ok": 2, "LimitExceeded": 14})
        assert AccessKey.objects.filter(user__user_name="frank").count() == 2

    def test_add_user_to_group(self, servers, account):
        users.create_user(account.ctx, user_name="grace")
        for n in range(20):
            groups.create_group(account.ctx, group_name=f"g{n:02d}")
        calls = [{"UserName": "grace", "GroupName": f"g{n:02d}"} for n in range(20)]
        outcomes = hammer(servers, account, "add_user_to_group", calls)
        assert outcomes == Counter({"ok": 10, "LimitExceeded": 10})
        assert GroupMembership.objects.filter(user__user_name="grace").count() == 10

    def test_create_policy_version(self, servers, account):
        policy = create_policy(account.ctx, policy_name="versioned", policy_document=LIST_USERS)
        calls = [{"PolicyArn": policy.arn, "PolicyDocument": LIST_USERS}] * 12
        outcomes = hammer(servers, account, "create_policy_version", calls)
        assert outcomes == Counter({"ok": 4, "LimitExceeded": 8})
        assert PolicyVersion.objects.filter(policy=policy).count() == 5
