"""The Query API endpoint: SigV4 authentication, Action/Version dispatch, XML responses.

IAM (Version 2010-05-08): every action of actions.IAM_ACTIONS. STS (Version 2011-06-15):
GetCallerIdentity, GetSessionToken, AssumeRole. Requests may be signed with long-term access keys or
with STS credentials (X-Amz-Security-Token). Errors are `<ErrorResponse>` documents with AWS's codes
and statuses, never HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts import sigv4
from iam_portal import observability
from iam_portal.errors import IamError
from iam_portal.sigv4_auth import authenticate

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
    request_id = observability.request_id(request)
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
