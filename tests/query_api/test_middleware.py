"""QueryApiMiddleware: Query API calls are answered before the console's middleware and URLs."""

from __future__ import annotations

import pytest

from accounts.services import access_keys
from tests import factories as f
from tests.query_api.test_request_cost import signed_post

pytestmark = pytest.mark.django_db


def test_a_signed_call_gets_no_session_csrf_or_framing_headers(client):
    key = access_keys.create_access_key(f.root_context())
    answer = signed_post(client, key, {"Action": "GetUser", "Version": "2010-05-08"})
    assert answer.status_code == 200 and b"<GetUserResponse" in answer.content
    assert not answer.cookies  # no session, no CSRF cookie: nothing of the console's ran
    assert "X-Frame-Options" not in answer and "Vary" not in answer


def test_a_call_to_a_host_not_allowed_is_a_400(client):
    answer = client.post("/", {"Action": "GetUser"}, HTTP_HOST="evil.example")
    assert answer.status_code == 400


def test_a_post_elsewhere_is_not_a_query_api_call(client):
    # The console's own pages answer their own POSTs (here: a sign-in form without a CSRF token).
    client.handler.enforce_csrf_checks = True
    answer = client.post("/signin/", {})
    assert answer.status_code == 403 and b"CSRF" in answer.content


def test_a_plain_get_of_the_root_is_the_console(client):
    answer = client.get("/")
    assert answer.status_code == 200 and b"<ErrorResponse" not in answer.content
