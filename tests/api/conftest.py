"""Fixtures of the REST API tests: access keys, requests signed with botocore's SigV4Auth and sent
through Django's test client, and a signed-in console session."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services.access_keys import create_access_key
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user
from tests import factories as f

USERS = "/api/v1/users/"
HOST = "testserver"
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


@dataclass(frozen=True)
class Key:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None  # STS credentials


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttle counts live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


def issue_key(ctx, user_name: str | None = None) -> Key:
    """An access key made through the service (the caller's own without a user name)."""
    issued = create_access_key(ctx, user_name=user_name)
    return Key(issued.access_key.access_key_id, issued.secret_access_key)


@pytest.fixture
def root_key(ctx) -> Key:
    """The root user's first access key."""
    return issue_key(ctx)


def iam_user(ctx, name: str, *policy_arns: str):
    """An IAM user with these managed policies attached, through the services."""
    user = create_user(ctx, user_name=name)
    for arn in policy_arns:
        attach_user_policy(ctx, user_name=name, policy_arn=arn)
    return user


@pytest.fixture
def nobody_key(ctx) -> Key:
    """The key of an IAM user "nobody" that no policy allows anything."""
    iam_user(ctx, "nobody")
    return issue_key(ctx, "nobody")


def sign(
    method: str,
    path: str,
    key: Key,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    region: str = "us-east-1",
    service: str = "iam",
    secret: str | None = None,
) -> dict[str, str]:
    """The headers botocore's SigV4Auth adds to this request (as boto3 or the aws cli sign)."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body, headers=headers)
    credentials = Credentials(key.access_key_id, secret or key.secret_access_key, key.session_token)
    SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    """Request headers as the test client takes them (HTTP_X_AMZ_DATE=…), Content-Type left out."""
    return {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name.lower() != "content-type"
    }


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def signed(api) -> Callable[..., object]:
    """signed(method, path, key, json_body=None, **sign_options): a SigV4-signed request sent through
    the test client; the response's .json() is the parsed body."""

    def send(method: str, path: str, key: Key, json_body: object = None, **options):
        body = b"" if json_body is None else json.dumps(json_body).encode()
        content_type = "application/json" if json_body is not None else None
        headers = sign(method, path, key, body, content_type=content_type, **options)
        return api.generic(
            method, path, data=body, content_type=content_type or "", HTTP_HOST=HOST, **as_meta(headers)
        )

    return send


@pytest.fixture
def session(root):
    """The root user signed in to the console, with CSRF checks enforced as in a browser."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(root)
    return client


def error(response) -> tuple[int, str, str]:
    """(HTTP status, AWS code, message) of an error response."""
    body = response.json()
    assert set(body) == {"error"}, body
    return response.status_code, body["error"]["code"], body["error"]["message"]


def denial(acct: str, caller: str, action: str, resource: str) -> str:
    return f.denial(acct, caller, action, resource)
