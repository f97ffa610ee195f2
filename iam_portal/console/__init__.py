"""The console adapter's base: who is signed in, their RequestContext, and IamErrors rendered once.

The session's RequestContext (with when the user passed MFA) is built in iam_portal/session_auth.py,
which the REST API shares; its names are re-exported here for the console's modules.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.selectors.permissions import Check, allowed
from iam_portal.errors import IamError
from iam_portal.session_auth import MFA_AT, client_ip, request_context

__all__ = ["MFA_AT", "ConsoleView", "client_ip", "error_page", "request_context", "safe_next"]


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


class ConsoleView(View):
    """Base of every signed-in console page: `self.ctx` is the caller's RequestContext."""

    sign_in_url = "accounts:signin"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            from django.urls import reverse

            return redirect(
                f"{reverse(self.sign_in_url)}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
            )
        self.ctx = request_context(request)
        request.iam_ctx = self.ctx  # the sidebar reuses it (and its memo: one generation read a request)
        try:
            return super().dispatch(request, *args, **kwargs)
        except IamError as exc:  # a form view shows errors on its form; anything else lands here
            return error_page(request, exc)

    def may(self, **checks: Check) -> dict[str, bool]:
        """Which controls to offer: {name: allowed} for name=(action, resource ARN[, condition keys])."""
        return allowed(self.ctx, checks)

    def render(
        self, template: str, context: dict | None = None, *, status: int = 200, secret: bool = False
    ) -> TemplateResponse:
        """A page; `secret` pages (a password, a secret key, a seed shown once) are never cached."""
        response = TemplateResponse(
            self.request, template, {"ctx": self.ctx, **(context or {})}, status=status
        )
        if secret:
            response["Cache-Control"] = "no-store"
        return response


def error_page(request: HttpRequest, exc: IamError) -> HttpResponse:
    return TemplateResponse(request, "console/error.html", {"error": exc}, status=exc.http_status)
