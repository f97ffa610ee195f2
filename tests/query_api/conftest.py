"""Fixtures of the Query API tests: a live server, the root user's first access key, boto3 clients."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from accounts.services.access_keys import create_access_key
from policies.models import ManagedPolicy
from tests import factories

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


@dataclass(frozen=True)
class Key:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None  # STS credentials

    @classmethod
    def of(cls, credentials: dict) -> Key:
        """The Credentials member of GetSessionToken or AssumeRole."""
        return cls(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


@pytest.fixture(autouse=True)
def aws_managed_policies(transactional_db):
    """transaction=True tests flush the database, migration data included: load the AWS policies again."""
    if not ManagedPolicy.objects.filter(arn=ADMIN_ACCESS).exists():
        from django.apps import apps

        from policies import managed

        managed.sync(apps, None)


@pytest.fixture(autouse=True)
def live_server_quiesced(live_server):
    """Wait for the live server's request threads at teardown: a thread still closing its database
    connection after the server stopped sharing it would raise in the background."""
    yield live_server
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


@pytest.fixture
def root_key(root) -> Key:
    """The root user's first access key, made through the service (as the console would)."""
    issued = create_access_key(factories.root_context(root))
    return Key(issued.access_key.access_key_id, issued.secret_access_key)


def _close_after_response(request, **kwargs) -> None:
    request.headers["Connection"] = "close"  # not a signed header


@pytest.fixture
def make_client(live_server) -> Callable[..., object]:
    """boto3 clients of the live server: make_client(key) for IAM, make_client(key, "sts") for STS."""
    clients = []

    def make(key: Key, service: str = "iam", region: str = "us-east-1"):
        client = boto3.client(
            service,
            endpoint_url=live_server.url,
            region_name=region,
            aws_access_key_id=key.access_key_id,
            aws_secret_access_key=key.secret_access_key,
            aws_session_token=key.session_token,
            config=NO_RETRIES,
        )
        # One request per connection: no keep-alive thread outlives the test (see live_server_quiesced).
        client.meta.events.register("before-send", _close_after_response)
        clients.append(client)
        return client

    yield make
    for client in clients:  # close keep-alive connections before the live server stops
        client.close()


@pytest.fixture
def iam(make_client, root_key):
    """An IAM client signed with the root user's key."""
    return make_client(root_key)


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: str
    headers: dict


def send(url: str, data: dict | None, *, key: Key | None = None, method: str = "POST") -> RawResponse:
    """A Query API request built by hand (signed with botocore's SigV4Auth when a key is given)."""
    request = AWSRequest(method=method, url=url, data=data if method == "POST" else None,
                         params=data if method == "GET" else None)  # fmt: skip
    if method == "POST":
        request.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    if key is not None:
        credentials = Credentials(key.access_key_id, key.secret_access_key)
        SigV4Auth(credentials, "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    raw = urllib.request.Request(prepared.url, data=body or None, method=method)
    for name, value in prepared.headers.items():
        raw.add_header(name, value)
    try:
        with urllib.request.urlopen(raw) as answer:
            return RawResponse(answer.status, answer.read().decode(), dict(answer.headers))
    except urllib.error.HTTPError as failed:
        return RawResponse(failed.code, failed.read().decode(), dict(failed.headers))
