"""Content-Security-Policy on every response: scripts, styles, images and frames from this server only.

The console has no inline script, style or event handler (tests/test_deployment.py checks the
templates), so the policy needs no 'unsafe-inline'. Two third-party pages differ: Redoc and Swagger UI
(the REST API's /api/redoc/ and /api/docs/) inject <style> elements and Redoc starts a worker from a
blob: URL, so those paths get the same policy with inline styles and blob: workers allowed — never
inline scripts (Swagger UI is served by SpectacularSwaggerSplitView, whose script is a file).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # the MFA QR code is a data: URI
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)
API_DOCS_PATHS = ("/api/docs/", "/api/redoc/")


class ContentSecurityPolicyMiddleware:
    """Add the policy to every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            docs = request.path_info.startswith(API_DOCS_PATHS)
            response[HEADER] = API_DOCS_POLICY if docs else POLICY
        return response
