"""Request ids, one structured log line per request, request metrics, and /metrics.

Every request gets an id (a UUID) when it arrives. The same id is the Query API's RequestId, the REST
API's and every response's `x-amzn-RequestId` header (but /healthz's and /readyz's, answered before),
the RequestContext's request_id (and so every audit event's), and the `request_id` of every log record
written while the request runs (JsonFormatter reads it from a context variable). The client cannot
choose it: a client-chosen id could be made to collide with another request's in the audit log.

With IAM_PORTAL_SERVER_TIMING on, each response also says what it cost the server, in the standard
`Server-Timing` header: `app;dur=<ms>, db;dur=<ms>;desc="<n> queries"` (bench/scale.py reads it). Off by
default: the number of queries a page needs is nobody else's business.

/metrics (iam_portal/metrics.py) is answered here, before ALLOWED_HOSTS and the HTTPS redirect (a
Prometheus server scrapes a backend by its address, over HTTP), and only to clients whose address is in
IAM_PORTAL_METRICS_ALLOW (default: this machine only); others get a 404, as for any unknown path.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from . import metrics
from .proxies import in_networks, parse_networks

REQUEST_ID_HEADER = "x-amzn-RequestId"
# The methods that get their own metrics label: a client chooses the method, and each new label value
# would be a new time series (without bound).
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
METRICS_PATH = "/metrics"
CURRENT_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("iam_request_id", default="")
logger = logging.getLogger("iam_portal.requests")


def request_id(request: HttpRequest) -> str:
    """This request's id (made on first use when a request did not come through the middleware)."""
    if not hasattr(request, "iam_request_id"):
        request.iam_request_id = str(uuid.uuid4())
    return request.iam_request_id


def channel_of(request: HttpRequest) -> str:
    """The channel a request came in on, for logs and metrics (the Query API is `/`'s POST or ?Action=)."""
    path = request.path_info
    if path == "/" and (request.method == "POST" or "Action" in request.GET):
        return "query"
    if path.startswith("/api/"):
        return "rest"
    if path.startswith("/static/"):
        return "static"
    return "console"


class ObservabilityMiddleware:
    """Give each request its id, time it, log it, count it; answer /metrics to allowed clients."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.metrics_allowed = parse_networks(getattr(settings, "IAM_PORTAL_METRICS_ALLOW", "127.0.0.1,::1"))
        self.server_timing = getattr(settings, "IAM_PORTAL_SERVER_TIMING", False)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = request.META.get("REMOTE_ADDR", "")
        if request.path_info == METRICS_PATH and in_networks(client, self.metrics_allowed):
            body, content_type = metrics.exposition()
            return HttpResponse(body, content_type=content_type, headers={"Cache-Control": "no-store"})
        rid = request_id(request)
        token = CURRENT_REQUEST_ID.set(rid)
        started = time.perf_counter()
        status = 500
        queries = _QueryTimer()
        try:
            with connection.execute_wrapper(queries) if self.server_timing else contextlib.nullcontext():
                response = self.get_response(request)
            status = response.status_code
            if REQUEST_ID_HEADER not in response:
                response[REQUEST_ID_HEADER] = rid
            if self.server_timing:
                response["Server-Timing"] = queries.header(time.perf_counter() - started)
            return response
        finally:
            seconds = time.perf_counter() - started
            channel = channel_of(request)
            method = request.method if request.method in HTTP_METHODS else "other"
            metrics.REQUESTS.labels(channel, method, str(status)).inc()
            metrics.LATENCY.labels(channel).observe(seconds)
            logger.info(
                "%s %s %s",
                request.method,
                request.path_info,
                status,
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path_info,
                        "status": status,
                        "channel": channel,
                        "duration_ms": round(seconds * 1000, 3),
                        "client_ip": request.META.get("REMOTE_ADDR"),
                    }
                },
            )
            CURRENT_REQUEST_ID.reset(token)


class _QueryTimer:
    """A database execute wrapper that counts the queries of a request and the time they take."""

    def __init__(self) -> None:
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started

    def header(self, app_seconds: float) -> str:
        """The Server-Timing value: the whole request's time and the database's, in milliseconds."""
        app, db = app_seconds * 1000, self.seconds * 1000
        return f'app;dur={app:.3f}, db;dur={db:.3f};desc="{self.count} queries"'


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, a record's `fields`, and
    the exception's traceback if there is one. Secrets never reach a log record (callers log ids)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = CURRENT_REQUEST_ID.get()
        if rid:
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
