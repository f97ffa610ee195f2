"""Health endpoints for load balancers and orchestrators: `GET /healthz` and `GET /readyz`.

- /healthz: the process is up and serving (no dependency is touched): 200 `{"status": "ok"}`.
- /readyz: the process can answer requests: the database answers a query and the cache (Redis when
  REDIS_URL is set) stores and returns a value: 200 `{"status": "ready", "checks": {...}}`, else 503
  with the failing check's error class (never its message: it may carry a host name or a password).

They are answered by the first middleware, before SecurityMiddleware: a load balancer probes a
backend by its address, which is not in ALLOWED_HOSTS, and over plain HTTP, which SECURE_SSL_REDIRECT
would redirect. Neither reveals anything but "up" and the names of the checks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse

HEALTH, READY = "/healthz", "/readyz"


def _json(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key, value = f"iam-portal:readyz:{uuid.uuid4().hex}", "1"
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what it stored")
    finally:
        cache.delete(key)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache}


def readiness() -> tuple[bool, dict[str, str]]:
    """Each check's outcome: "ok" or the exception's class name."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the class says which kind
            results[name] = type(exc).__name__
    return all(r == "ok" for r in results.values()), results


class HealthCheckMiddleware:
    """Answer GET/HEAD /healthz and /readyz before any other middleware (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path not in (HEALTH, READY) or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if path == HEALTH:
            return _json(200, {"status": "ok"})
        ready, checks = readiness()
        return _json(200 if ready else 503, {"status": "ready" if ready else "unavailable", "checks": checks})
