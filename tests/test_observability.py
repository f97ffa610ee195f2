"""Observability (issue 10): one request id in the response, the audit event and the JSON log line;
Prometheus metrics at /metrics, for allowed clients only, added up across processes."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.test import Client

from accounts import authz
from accounts.models import AuditEvent
from accounts.services.access_keys import create_access_key
from accounts.services.signin import SignInError, authenticate_root
from iam_portal import metrics
from iam_portal.errors import AccessDeniedError
from iam_portal.observability import REQUEST_ID_HEADER, JsonFormatter
from iam_portal.settings import BASE_DIR

pytestmark = pytest.mark.django_db


def signed_post(client: Client, key, params: dict[str, str]):
    """A Query API call signed as boto3 signs it."""
    body = "&".join(f"{k}={v}" for k, v in params.items())
    request = AWSRequest(
        method="POST",
        url="http://testserver/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(key.access_key.access_key_id, key.secret_access_key), "iam", "us-east-1").add_auth(
        request
    )
    meta = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in request.headers.items()
        if k.lower() != "content-type"
    }
    return client.post("/", body, content_type=request.headers["Content-Type"], **meta)


@pytest.fixture
def json_log():
    """The iam_portal.requests log lines of the test, formatted by JsonFormatter, parsed."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("iam_portal.requests")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in lines]
    logger.removeHandler(handler)
    logger.setLevel(level)


class RequestIdTests:
    def test_a_query_api_write_has_one_id_in_response_body_audit_event_and_log(self, ctx, json_log):
        key = create_access_key(ctx)
        client = Client()
        response = signed_post(
            client, key, {"Action": "CreateUser", "UserName": "alice", "Version": "2010-05-08"}
        )
        assert response.status_code == 200
        rid = response[REQUEST_ID_HEADER]
        assert f"<RequestId>{rid}</RequestId>" in response.content.decode()
        assert AuditEvent.objects.get(action="iam:CreateUser").request_id == rid
        (line,) = json_log()
        assert line["request_id"] == rid
        assert {k: line[k] for k in ("level", "logger", "method", "path", "status", "channel")} == {
            "level": "INFO",
            "logger": "iam_portal.requests",
            "method": "POST",
            "path": "/",
            "status": 200,
            "channel": "query",
        }
        assert line["duration_ms"] > 0 and line["client_ip"] == "127.0.0.1"

    def test_every_response_carries_a_new_id(self, client):
        first, second = client.get("/signin/"), client.get("/signin/")
        assert first[REQUEST_ID_HEADER] != second[REQUEST_ID_HEADER]
        assert len(first[REQUEST_ID_HEADER]) == 36

    def test_the_formatter_keeps_exceptions_and_leaves_out_the_id_outside_a_request(self):
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.LogRecord(
                "x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
            )
        entry = json.loads(JsonFormatter().format(record))
        assert entry["message"] == "failed here" and entry["level"] == "ERROR"
        assert "request_id" not in entry
        assert entry["exception"].endswith("ValueError: boom")


def sample(text: str, name: str, **labels: str) -> float:
    """A sample's value in Prometheus's text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class MetricsTests:
    def test_metrics_count_requests_denials_and_sign_in_failures(self, ctx, client):
        def scrape() -> str:
            response = client.get("/metrics")
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/plain; version=")
            return response.content.decode()

        before = scrape()
        root_key = create_access_key(ctx)  # the root's key: allowed
        signed_post(Client(), root_key, {"Action": "ListUsers", "Version": "2010-05-08"})
        with pytest.raises(SignInError):
            authenticate_root(email="nobody@example.com", password="wrong-password", source_ip="192.0.2.1")
        after = scrape()
        labels = {"channel": "query", "method": "POST", "status": "200"}
        counted = sample(after, "iam_portal_requests_total", **labels)
        assert counted == sample(before, "iam_portal_requests_total", **labels) + 1
        allowed = "iam_portal_authorization_decisions_total"
        assert sample(after, allowed, decision="allowed") > sample(before, allowed, decision="allowed")
        failures = "iam_portal_sign_in_failures_total"
        assert (
            sample(after, failures, reason="NoSuchUser") == sample(before, failures, reason="NoSuchUser") + 1
        )
        assert 'iam_portal_request_duration_seconds_bucket{channel="query",le="0.001"}' in after

    def test_metrics_are_not_served_to_other_addresses(self, client):
        response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 404
        assert b"iam_portal_requests_total" not in response.content

    def test_denials_are_counted(self, ctx):
        before = metrics.DENIED._value.get()
        with pytest.raises(AccessDeniedError, match="not authorized"):
            authz.deny(ctx, "iam:CreateUser", "arn:aws:iam::123456789012:user/x", "not authorized")
        assert metrics.DENIED._value.get() == before + 1


class MultiProcessMetricsTests:
    def test_scrapes_add_up_every_worker_process(self, tmp_path):
        """Two "workers" count requests in PROMETHEUS_MULTIPROC_DIR; a third process reads the sum."""
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
        count = "from iam_portal import metrics; metrics.REQUESTS.labels('query', 'POST', '200').inc({n})"
        for n in (2, 3):
            subprocess.run([sys.executable, "-c", count.format(n=n)], cwd=BASE_DIR, env=env, check=True)
        read = "from iam_portal import metrics; print(metrics.exposition()[0].decode())"
        text = subprocess.run(
            [sys.executable, "-c", read], cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True
        ).stdout
        assert sample(text, "iam_portal_requests_total", channel="query", method="POST", status="200") == 5


class ServerTimingTests:
    def test_off_by_default(self, client):
        assert "Server-Timing" not in client.get("/signin/")

    def test_on_it_gives_the_time_and_the_queries_of_the_request(self, client, root, settings):
        settings.IAM_PORTAL_SERVER_TIMING = True  # read when the middleware is built: a new client
        client = Client()
        client.force_login(root)
        header = client.get("/console/users/")["Server-Timing"]
        found = re.fullmatch(r'app;dur=([\d.]+), db;dur=([\d.]+);desc="(\d+) queries"', header)
        assert found is not None, header
        app, db, queries = float(found[1]), float(found[2]), int(found[3])
        assert app >= db > 0 and queries >= 2


class MethodLabelTests:
    def test_unknown_methods_share_one_label(self, client):
        for method in ("FOO1", "FOO2"):
            client.generic(method, "/signin/")
        text = client.get("/metrics").content.decode()
        assert 'method="FOO1"' not in text and 'method="FOO2"' not in text
        assert sample(text, "iam_portal_requests_total", channel="console", method="other", status="405") >= 2
