"""The Query API endpoint: SigV4 authentication, Action/Version dispatch, XML responses.

IAM (Version 2010-05-08): every action of actions.IAM_ACTIONS. STS (Version 2011-06-15):
GetCallerIdentity, GetSessionToken, AssumeRole. Requests may be signed with long-term access keys or
with STS credentials (X-Amz-Security-Token). Errors are `<ErrorResponse>` documents with AWS's codes
and statuses, never HTML.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts import sigv4
from accounts.authz import note_generation
from accounts.context import QUERY, RequestContext
from accounts.selectors.sts import signing_credentials
from accounts.services.access_keys import record_access_key_use
from iam_portal.errors import IamError

from . import render
from .actions import ACTIONS_BY_VERSION, IAM_VERSION, STS_VERSION, Action
from .params import request_params

logger = logging.getLogger(__name__)


class QueryError(Exception):
    """An error of the protocol itself (MissingAction, InvalidAction, InvalidClientTokenId, …)."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


@csrf_exempt
def query_api(request: HttpRequest) -> HttpResponse:
    """POST / (or GET / with Action=…): one IAM or STS action, signed with SigV4."""
    request_id = str(uuid.uuid4())
    namespace = render.IAM_NAMESPACE
    try:
        body = request.body  # before request.POST: the signature covers the raw bytes
        params = request_params(request)
        version = params.get("Version", "")
        if version == STS_VERSION:
            namespace = render.STS_NAMESPACE
        ctx = authenticate(request, body, request_id, service=_signing_service(version))
        name, action = resolve(params)
        result = action.run(ctx, params)
        return render.response(render.success(name, result, request_id, namespace), 200, request_id)
    except (IamError, QueryError, sigv4.SigV4Error) as exc:
        return _error(exc.code, exc.message, exc.http_status, request_id, namespace)
    except (RequestDataTooBig, TooManyFieldsSent) as exc:  # Django's request size limits
        return _error("ValidationError", f"The request is too large: {exc}", 400, request_id, namespace)
    except Exception:
        # Never an HTML error page: the caller gets ServiceFailure, the operator the traceback.
        logger.exception("Query API request %s failed", request_id)
        message = "An unexpected error occurred while processing the request."
        return _error("ServiceFailure", message, 500, request_id, namespace)


def _error(code: str, message: str, status: int, request_id: str, namespace: str) -> HttpResponse:
    return render.response(render.error(code, message, status, request_id, namespace), status, request_id)


def _signing_service(version: str) -> str | None:
    """The service a request of this Version must be signed for (either, for an unknown Version)."""
    return {IAM_VERSION: "iam", STS_VERSION: "sts"}.get(version)


def authenticate(
    request: HttpRequest, body: bytes, request_id: str, *, service: str | None
) -> RequestContext:
    """Verify the SigV4 signature and note the key's use; the key's owner (or the STS session's
    principal) is the caller."""
    signed = sigv4.SignedRequest(
        method=request.method or "POST",
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        headers=_headers(request),
        body=body,
    )
    parsed = sigv4.parse_authorization(signed, service=service)
    access_key_id = parsed.credential.access_key_id
    region, signed_service = sigv4.region_and_service(parsed)
    credentials = signing_credentials(access_key_id, _session_token(request), service=signed_service)
    sigv4.verify(signed, parsed, credentials.secret_access_key)
    if credentials.session is None:
        record_access_key_use(
            access_key_id, service=signed_service, region=region, known=credentials.access_key
        )
    ctx = RequestContext(
        caller=credentials.caller,
        session=credentials.session,
        mfa_authenticated_at=credentials.mfa_authenticated_at,
        channel=QUERY,
        source_ip=request.META.get("REMOTE_ADDR") or None,
        secure_transport=request.is_secure(),
        access_key_id=access_key_id,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:256],
        request_id=request_id,
    )
    note_generation(ctx, ctx.account)  # loaded with the key: no second read of the account
    return ctx


def _session_token(request: HttpRequest) -> str | None:
    """X-Amz-Security-Token: a header (signed by botocore) or, in a presigned URL, a query member."""
    token = request.headers.get("X-Amz-Security-Token")
    if token is None:
        values = parse_qs(request.META.get("QUERY_STRING", "")).get("X-Amz-Security-Token")
        token = values[0] if values else None
    return token or None


def _headers(request: HttpRequest) -> dict[str, str]:
    """The request's headers by lowercase name, Host and Content-Type included."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    if "host" not in headers:  # HTTP/1.0 without Host: what the server answered on
        headers["host"] = request.META.get("SERVER_NAME", "")
    return headers


def resolve(params: Mapping[str, str]) -> tuple[str, Action]:
    """The action the request names: MissingAction without one, InvalidAction for an unknown one."""
    name = params.get("Action", "")
    if not name:
        raise QueryError("MissingAction", "Missing Action", 400)
    version = params.get("Version", "")
    action = ACTIONS_BY_VERSION.get(version, {}).get(name)
    if action is None:
        raise QueryError("InvalidAction", f"Could not find operation {name} for version {version}", 400)
    return name, action
