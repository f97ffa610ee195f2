"""Conditional GETs: every read answers with an ETag; If-None-Match with it is 304 until it changes."""

from __future__ import annotations

import pytest

from accounts.services import users
from tests.api.conftest import HOST, as_meta, sign

pytestmark = pytest.mark.django_db


def conditional_get(api, path: str, key, etag: str):
    """A signed GET with If-None-Match (added after signing, as a client adds it: not a signed header)."""
    return api.get(path, HTTP_HOST=HOST, HTTP_IF_NONE_MATCH=etag, **as_meta(sign("GET", path, key)))


def test_a_read_carries_an_etag_and_an_unchanged_one_is_not_sent_again(ctx, api, signed, root_key):
    users.create_user(ctx, user_name="alice")
    first = signed("GET", "/api/v1/users/alice/", root_key)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = conditional_get(api, "/api/v1/users/alice/", root_key, etag)
    assert again.status_code == 304 and again.content == b""
    users.tag_user(ctx, user_name="alice", tags=[{"Key": "team", "Value": "web"}])
    changed = conditional_get(api, "/api/v1/users/alice/", root_key, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["tags"] == [{"key": "team", "value": "web"}]
