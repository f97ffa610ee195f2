"""Prometheus metrics: requests by channel and status, their latency, authorization decisions and
sign-in failures, served at /metrics (iam_portal/observability.py).

Under gunicorn each worker is a process with its own counters: set PROMETHEUS_MULTIPROC_DIR to an
empty directory (shared by the workers of one machine, emptied at each start) and /metrics adds up
every worker's files (prometheus_client's multi-process mode), whichever worker answers the scrape.
Without it the counters are the answering process's own (the development server's one process).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "iam_portal_requests_total",
    "HTTP requests answered, by channel, method and status",
    ["channel", "method", "status"],
)
LATENCY = Histogram(
    "iam_portal_request_duration_seconds",
    "Time to answer a request, by channel",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUTHORIZATION_DECISIONS = Counter(
    "iam_portal_authorization_decisions_total", "authorize() outcomes (allowed or denied)", ["decision"]
)
SIGN_IN_FAILURES = Counter(
    "iam_portal_sign_in_failures_total", "Failed console sign-ins, by reason", ["reason"]
)

ALLOWED, DENIED = AUTHORIZATION_DECISIONS.labels("allowed"), AUTHORIZATION_DECISIONS.labels("denied")


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
