"""The RequestContext of a signed-in console session, shared by the console and the REST API.

A console session is Django's session plus what IAM needs to know about it: when the user passed
MFA (so that aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge reach the policy engine).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest

from accounts.context import CONSOLE, RequestContext
from iam_portal.observability import request_id

MFA_AT = "iam_mfa_at"  # session key: ISO time the signed-in user passed MFA (absent: no MFA)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address (behind a trusted proxy, as iam_portal/proxies.py found it)."""
    return request.META.get("REMOTE_ADDR") or None


def request_context(request: HttpRequest, *, channel: str = CONSOLE, **kwargs) -> RequestContext:
    """The RequestContext of a request of the signed-in session's user, on `channel`."""
    mfa_at = request.session.get(MFA_AT)
    kwargs.setdefault("request_id", request_id(request))
    return RequestContext(
        caller=request.user,
        channel=channel,
        source_ip=client_ip(request),
        secure_transport=request.is_secure(),
        mfa_authenticated_at=datetime.fromisoformat(mfa_at) if mfa_at else None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        **kwargs,
    )
