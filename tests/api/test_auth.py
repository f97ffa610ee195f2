"""Authentication, errors and rate limits of the REST API: SigV4 (botocore's signer through the test
client, temporary credentials, a real `curl --aws-sigv4` against a live server), the console session
with CSRF, the one error shape (404, 405, 415, 500 included) and the per-caller rate limit."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import sigv4
from accounts.context import REST
from accounts.models import AccessKey, AuditEvent, SessionCredential, User
from accounts.services import access_keys, roles, users
from accounts.services.policy_attachments import attach_role_policy
from accounts.services.sts import assume_role, get_session_token
from iam_portal.session_auth import MFA_AT
from tests import factories as f

from .conftest import HOST, USERS, Key, as_meta, denial, error, iam_user, issue_key, sign

pytestmark = pytest.mark.django_db
INVALID_TOKEN = "The security token included in the request is invalid."
CURL = "/usr/bin/curl"


def role_session_key(ctx) -> Key:
    """AssumeRole credentials (session "ops") of a role "admin" that may list and create users,
    assumed by the IAM user "dev"."""
    acct = ctx.account.account_id
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{acct}:user/dev"},
        "Action": "sts:AssumeRole",
    }
    role = roles.create_role(ctx, role_name="admin", assume_role_policy_document=f.document(trust))
    f.managed_policy(ctx.account, "users-admin", f.allow(["iam:ListUsers", "iam:CreateUser"]))
    attach_role_policy(ctx, role_name="admin", policy_arn=f"arn:aws:iam::{acct}:policy/users-admin")
    dev = iam_user(ctx, "dev")
    f.put_user_policy(dev, "assume", f.allow("sts:AssumeRole", role.arn))
    c = assume_role(f.context_for(dev), role_arn=role.arn, role_session_name="ops").credentials
    return Key(c.access_key_id, c.secret_access_key, c.session_token)


class SigV4Tests:
    def test_a_botocore_signed_request_is_the_keys_owner_in_any_region(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        response = signed("GET", USERS, root_key, region="eu-west-3")
        assert response.status_code == 200
        assert [u["user_name"] for u in response.json()["items"]] == ["alice"]
        key = AccessKey.objects.get(access_key_id=root_key.access_key_id)
        assert (key.last_used_service, key.last_used_region) == ("iam", "eu-west-3")

    def test_a_raw_equals_sign_in_the_query_as_botocore_signs_a_url(self, signed, root_key, api):
        """botocore sorts a URL's query pairs but leaves `marker=…==` as written (no %3D): accepted; the
        same signature over another marker is refused."""
        for marker in ("YWFkMDo1Mw==", "YWFkMDo1MzE="):  # padded markers, whatever the page's pk
            path = f"/api/v1/account/authorization-details/?max_items=3&marker={marker}"
            assert signed("GET", path, root_key).status_code == 200
        headers = sign("GET", "/api/v1/users/?max_items=3&marker=bzE=", root_key)
        response = api.get("/api/v1/users/?max_items=3&marker=bzI=", HTTP_HOST=HOST, **as_meta(headers))
        assert error(response)[:2] == (403, "SignatureDoesNotMatch")

    def test_a_wrong_secret_is_signature_does_not_match(self, signed, root_key):
        response = signed("GET", USERS, root_key, secret="not-the-secret")
        assert error(response) == (403, "SignatureDoesNotMatch", sigv4.MISMATCH_MESSAGE)

    def test_a_body_changed_after_signing_does_not_match(self, api, root_key):
        headers = sign("POST", USERS, root_key, b'{"user_name": "alice"}', content_type="application/json")
        response = api.generic(
            "POST", USERS, b'{"user_name": "mallory"}', "application/json", HTTP_HOST=HOST, **as_meta(headers)
        )
        assert error(response) == (403, "SignatureDoesNotMatch", sigv4.MISMATCH_MESSAGE)
        assert not User.objects.filter(is_root=False).exists()

    def test_an_unknown_or_inactive_key_is_invalid_client_token_id(self, signed, root_key, ctx):
        unknown = Key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        assert error(signed("GET", USERS, unknown)) == (403, "InvalidClientTokenId", INVALID_TOKEN)
        access_keys.update_access_key(ctx, access_key_id=root_key.access_key_id, status="Inactive")
        assert error(signed("GET", USERS, root_key)) == (403, "InvalidClientTokenId", INVALID_TOKEN)

    def test_no_credentials_is_missing_authentication_token(self, api):
        response = api.get(USERS)
        assert error(response) == (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )

    def test_a_scope_of_another_service_does_not_match(self, signed, root_key):
        response = signed("GET", USERS, root_key, service="sts")
        assert error(response) == (
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'iam'.",
        )

    def test_an_old_signature_is_request_expired(self, api, root_key):
        headers = sign("GET", USERS, root_key)
        old = (timezone.now() - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
        headers["X-Amz-Date"] = old
        response = api.get(USERS, HTTP_HOST=HOST, **as_meta(headers))
        status, code, message = error(response)
        assert (status, code) == (400, "RequestExpired")  # AWS's status for an expired signature
        assert message.startswith(f"Signature expired: {old} is now earlier than ")

    def test_a_presigned_url_works(self, api, root_key):
        request = AWSRequest(method="GET", url=f"http://{HOST}{USERS}")
        credentials = Credentials(root_key.access_key_id, root_key.secret_access_key)
        SigV4QueryAuth(credentials, "iam", "us-east-1", expires=60).add_auth(request)
        path = request.url.removeprefix(f"http://{HOST}")
        assert api.generic("GET", path, HTTP_HOST=HOST).status_code == 200

    def test_a_percent_encoded_name_in_the_path_is_signed_as_aws_sdks_sign_it(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice@example.com")
        response = signed("GET", f"{USERS}{quote('alice@example.com', safe='')}/", root_key)
        assert (response.status_code, response.json()["user_name"]) == (200, "alice@example.com")

    def test_a_write_is_audited_on_the_rest_channel_with_the_key(self, signed, root_key, acct):
        response = signed("POST", USERS, root_key, {"user_name": "alice"})
        assert response.status_code == 201
        event = AuditEvent.objects.get(action="iam:CreateUser")
        assert (event.channel, event.access_key_id, event.request_id) == (
            REST,
            root_key.access_key_id,
            response["x-amzn-RequestId"],
        )


class TemporaryCredentialsTests:
    @pytest.fixture
    def role_session(self, ctx, acct) -> Key:
        return role_session_key(ctx)

    def test_a_role_session_lists_and_creates_users_as_the_assumed_role(self, signed, role_session, acct):
        assert signed("GET", USERS, role_session).status_code == 200
        response = signed("POST", USERS, role_session, {"user_name": "made-by-role"})
        assert response.status_code == 201
        event = AuditEvent.objects.get(action="iam:CreateUser", channel=REST)
        assert (event.actor_arn, event.access_key_id) == (
            f"arn:aws:sts::{acct}:assumed-role/admin/ops",
            role_session.access_key_id,
        )

    def test_the_session_is_limited_to_the_roles_policies(self, signed, role_session, ctx, acct):
        users.create_user(ctx, user_name="keep")
        response = signed("DELETE", USERS + "keep/", role_session)
        assert error(response) == (
            403,
            "AccessDenied",
            f"User: arn:aws:sts::{acct}:assumed-role/admin/ops is not authorized to perform: iam:DeleteUser "
            f"on resource: arn:aws:iam::{acct}:user/keep because no identity-based policy allows the "
            "iam:DeleteUser action",
        )

    def test_without_its_token_or_once_expired_the_key_is_refused(self, signed, role_session):
        without_token = Key(role_session.access_key_id, role_session.secret_access_key)
        assert error(signed("GET", USERS, without_token)) == (403, "InvalidClientTokenId", INVALID_TOKEN)
        SessionCredential.objects.filter(access_key_id=role_session.access_key_id).update(
            expiration=timezone.now() - timedelta(seconds=1)
        )
        assert error(signed("GET", USERS, role_session)) == (
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )

    def test_get_session_token_credentials_without_mfa_cannot_call_iam(self, signed, ctx):
        dev = iam_user(ctx, "dev", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        c = get_session_token(f.context_for(dev))
        response = signed("GET", USERS, Key(c.access_key_id, c.secret_access_key, c.session_token))
        assert error(response) == (403, "InvalidClientTokenId", INVALID_TOKEN)


class SessionTests:
    def test_a_signed_in_session_reads_without_a_csrf_token(self, session, ctx):
        users.create_user(ctx, user_name="alice")
        response = session.get(USERS)
        assert (response.status_code, response.json()["items"][0]["user_name"]) == (200, "alice")

    def test_unsafe_methods_need_the_csrf_token(self, session, acct):
        response = session.post(USERS, {"user_name": "alice"}, format="json")
        assert error(response) == (403, "AccessDenied", "CSRF Failed: CSRF cookie not set.")
        session.cookies["csrftoken"] = token = "a" * 32
        response = session.post(USERS, {"user_name": "alice"}, format="json")
        assert error(response) == (403, "AccessDenied", "CSRF Failed: CSRF token missing.")
        assert not User.objects.filter(user_name="alice").exists()
        assert not AuditEvent.objects.filter(action="iam:CreateUser").exists()
        response = session.post(USERS, {"user_name": "alice"}, format="json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 201
        event = AuditEvent.objects.get(action="iam:CreateUser")
        assert (event.channel, event.actor_arn, event.access_key_id, event.request_id) == (
            REST,
            f"arn:aws:iam::{acct}:root",
            "",
            response["x-amzn-RequestId"],
        )

    def test_the_sessions_mfa_reaches_the_policies(self, ctx, acct):
        guarded = iam_user(ctx, "guarded")
        f.put_user_policy(
            guarded,
            "mfa-only",
            f.allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        )
        client = APIClient()
        client.force_login(guarded)
        response = client.get(USERS)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "guarded", "iam:ListUsers", f"arn:aws:iam::{acct}:user/"),
        )
        session = client.session
        session[MFA_AT] = timezone.now().isoformat()
        session.save()
        assert client.get(USERS).status_code == 200

    def test_a_signature_wins_over_a_session(self, session, root_key, ctx, acct):
        """A signed request is its key's owner's, whatever cookie comes with it."""
        iam_user(ctx, "nobody")
        nobody = issue_key(ctx, "nobody")
        headers = sign("GET", USERS, nobody)
        response = session.get(USERS, HTTP_HOST=HOST, **as_meta(headers))
        assert error(response)[:2] == (403, "AccessDenied")
        assert response.json()["error"]["message"] == denial(
            acct, "nobody", "iam:ListUsers", f"arn:aws:iam::{acct}:user/"
        )


class ErrorShapeTests:
    def test_a_path_under_api_that_names_nothing_is_a_json_404(self, signed, root_key, settings):
        for debug in (False, True):
            settings.DEBUG = debug
            for path in ("/api/v1/nothing/", "/api/v1/users", "/api/v2/users/"):
                response = signed("GET", path, root_key)
                assert error(response) == (404, "NotFound", f"No API resource at {path}.")

    def test_a_post_to_a_path_that_names_nothing_is_a_json_404_too(self, signed, session, root_key):
        assert error(signed("POST", "/api/v1/nothing/", root_key, {})) == (
            404,
            "NotFound",
            "No API resource at /api/v1/nothing/.",
        )
        assert error(session.post("/api/v1/nothing/", {}, format="json"))[:2] == (404, "NotFound")

    def test_a_body_over_djangos_limit_is_a_validation_error(self, session, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        response = session.post(USERS, {"user_name": "x" * 200}, format="json")
        assert error(response) == (
            400,
            "ValidationError",
            "The request is too large: Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.",
        )

    def test_an_unsupported_method_is_a_json_405_with_allow(self, signed, root_key):
        response = signed("PUT", USERS, root_key, {})
        assert error(response) == (405, "MethodNotAllowed", 'Method "PUT" not allowed.')
        assert response["Allow"] == "GET, POST, HEAD, OPTIONS"

    def test_a_body_that_is_not_json_is_a_415(self, api, root_key):
        body = b"user_name=alice"
        headers = sign("POST", USERS, root_key, body, content_type="application/x-www-form-urlencoded")
        response = api.generic(
            "POST", USERS, body, "application/x-www-form-urlencoded", HTTP_HOST=HOST, **as_meta(headers)
        )
        assert error(response) == (
            415,
            "UnsupportedMediaType",
            'Unsupported media type "application/x-www-form-urlencoded" in request.',
        )

    def test_an_unexpected_failure_is_a_logged_json_service_failure(
        self, signed, root_key, monkeypatch, caplog
    ):
        def broken(*args, **kwargs):
            raise RuntimeError("database on fire")

        monkeypatch.setattr("accounts.api.users.user_reads.list_users", broken)
        with caplog.at_level(logging.ERROR, logger="iam_portal.rest"):
            response = signed("GET", USERS, root_key)
        assert error(response) == (
            500,
            "ServiceFailure",
            "An unexpected error occurred while processing the request.",
        )
        assert response["Content-Type"] == "application/json"
        assert "database on fire" in caplog.text

    def test_every_answer_names_its_request_id(self, api, signed, root_key):
        for response in (
            api.get(USERS),
            signed("GET", USERS, root_key),
            signed("GET", USERS + "x/", root_key),
        ):
            assert len(response["x-amzn-RequestId"]) == 36


class RateLimitTests:
    def test_a_key_over_its_rate_gets_429_with_retry_after(self, signed, root_key, ctx, settings):
        settings.IAM_PORTAL_API_RATE = "2/min"
        assert [signed("GET", USERS, root_key).status_code for _ in range(2)] == [200, 200]
        response = signed("GET", USERS, root_key)
        assert error(response) == (429, "Throttling", "Rate exceeded")
        assert 1 <= int(response["Retry-After"]) <= 60
        # Another key (of the same user) has its own count.
        assert signed("GET", USERS, issue_key(ctx)).status_code == 200

    def test_a_signed_in_user_over_its_rate_gets_429(self, session, root_key, settings):
        settings.IAM_PORTAL_API_RATE = "1/hour"
        assert session.get(USERS).status_code == 200
        response = session.get(USERS)
        assert error(response) == (429, "Throttling", "Rate exceeded")
        assert 3500 <= int(response["Retry-After"]) <= 3600
        assert not AuditEvent.objects.filter(action="iam:ListUsers").exists()

    def test_failed_authentication_is_not_counted(self, signed, root_key, settings):
        settings.IAM_PORTAL_API_RATE = "1/min"
        for _ in range(3):
            assert signed("GET", USERS, root_key, secret="wrong").status_code == 403
        assert signed("GET", USERS, root_key).status_code == 200


@pytest.mark.django_db(transaction=True)
class CurlTests:
    """The real curl binary, signing with --aws-sigv4, against a live server."""

    @pytest.fixture
    def server(self, live_server):
        yield live_server
        # Wait for the live server's request threads: one still closing its database connection
        # after the server stopped would raise in the background.
        for thread in threading.enumerate():
            if "process_request_thread" in thread.name:
                thread.join(timeout=5)

    def curl(self, url: str, key: Key, *args: str) -> tuple[int, dict]:
        assert (
            shutil.which(CURL)
            and "--aws-sigv4"
            in subprocess.run([CURL, "--help", "all"], capture_output=True, text=True, check=True).stdout
        )
        done = subprocess.run(
            [CURL, "-sS", "--aws-sigv4", "aws:amz:us-east-1:iam", "--user",
             f"{key.access_key_id}:{key.secret_access_key}", "-w", "\n%{http_code}", *args, url],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        body, _, status = done.stdout.rpartition("\n")
        return int(status), json.loads(body) if body else {}

    def test_curl_lists_creates_and_is_refused_with_a_bad_secret(self, server):
        root = f.root_user()
        ctx = f.root_context(root)
        key = issue_key(ctx)
        users.create_user(ctx, user_name="existing", path="/eng/")
        url = f"{server.url}{USERS}"

        status, body = self.curl(url, key)
        assert (status, [u["user_name"] for u in body["items"]]) == (200, ["existing"])

        status, body = self.curl(
            url,
            key,
            "-H",
            "Content-Type: application/json",
            "-d",
            '{"user_name": "from-curl", "path": "/ops/"}',
        )
        assert (status, body["arn"]) == (201, f"arn:aws:iam::{ctx.account.account_id}:user/ops/from-curl")
        event = AuditEvent.objects.get(action="iam:CreateUser", channel=REST)
        assert (event.outcome, event.access_key_id) == ("success", key.access_key_id)

        # curl 7.88 signs the query string as written (unsorted, not re-encoded): accepted as sent.
        status, body = self.curl(f"{url}?path_prefix=/ops/&max_items=5", key)
        assert (status, [u["user_name"] for u in body["items"]]) == (200, ["from-curl"])

        status, body = self.curl(url, Key(key.access_key_id, "wrong-secret"))
        assert (status, body["error"]["code"], body["error"]["message"]) == (
            403,
            "SignatureDoesNotMatch",
            sigv4.MISMATCH_MESSAGE,
        )

    def test_curl_with_temporary_credentials_acts_as_the_role_session(self, server):
        ctx = f.root_context()
        session = role_session_key(ctx)
        url = f"{server.url}{USERS}"
        status, body = self.curl(
            url,
            session,
            "-H", f"X-Amz-Security-Token: {session.session_token}",
            "-H", "Content-Type: application/json",
            "-d", '{"user_name": "by-role"}',
        )  # fmt: skip
        assert status == 201
        event = AuditEvent.objects.get(action="iam:CreateUser", channel=REST)
        assert event.actor_arn == f"arn:aws:sts::{ctx.account.account_id}:assumed-role/admin/ops"
        status, body = self.curl(url, session)  # the token left out
        assert (status, body["error"]["code"]) == (403, "InvalidClientTokenId")
