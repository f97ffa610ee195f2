"""What one Query API request costs the database once the caller's policies are cached."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from accounts.services import access_keys, policy_attachments, users
from tests import factories as f

pytestmark = pytest.mark.django_db


def signed_post(client, key, params: dict) -> object:
    """POST / through Django's test client, signed by botocore as boto3 would sign it."""
    body = urlencode(params)
    request = AWSRequest(
        method="POST",
        url="http://testserver/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(key.access_key.access_key_id, key.secret_access_key), "iam", "us-east-1").add_auth(
        request
    )
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items() if k != "Content-Type"}
    return client.post("/", body, content_type=request.headers["Content-Type"], **headers)


def test_a_warm_get_user_costs_two_queries(client, django_assert_num_queries):
    """The key (with its user and account, whose authorization generation it carries) and the user
    asked for: the last-used record is recent, and the caller's compiled policies are cached."""
    ctx = f.root_context()
    users.create_user(ctx, user_name="admin")
    policy_attachments.attach_user_policy(
        ctx, user_name="admin", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    key = access_keys.create_access_key(ctx, user_name="admin")
    params = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "admin"}
    assert signed_post(client, key, params).status_code == 200  # the cache and the last-used record
    with django_assert_num_queries(2):
        answer = signed_post(client, key, params)
    assert answer.status_code == 200 and b"<UserName>admin</UserName>" in answer.content
