"""The REST API adapter's base (Django REST framework): authentication, errors, pages, rate limits.

A resource is an `IamViewSet` whose actions parse input with a serializer (`self.body(...)`,
`self.query(...)`), call ONE service or selector with `self.ctx`, and shape the answer with an `…Out`
serializer; authorization, rules, the transaction and the audit record live in that function
(DESIGN.md). Pattern to copy: accounts/api/users.py.

- Authentication: SigV4 with the portal's access keys or STS credentials, scope service `iam`, any
  region (`SigV4Authentication`, the Query API's own verification: iam_portal/sigv4_auth.py); or the
  console's signed-in session with CSRF enforced on unsafe methods (`ConsoleSessionAuthentication`).
  Either one builds the request's RequestContext on the `rest` channel, kept as `request.auth`.
- Errors: `exception_handler` renders every error as `{"error": {"code", "message"[, "fields"]}}`
  with AWS's code and HTTP status, never an HTML page.
- Pages: `?marker=&max_items=` in (`PageQuery`), `{"items", "is_truncated", "marker"}` out
  (`page_response`, `paginated` for the schema), over the services' Marker / IsTruncated pages.
- Rate limits: `CallerRateThrottle`, per access key id or per signed-in user, settings.IAM_PORTAL_API_RATE.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import set_rollback

from accounts import sigv4
from accounts.context import REST, AssumedRole, RequestContext
from iam_portal import session_auth, sigv4_auth, validation
from iam_portal.errors import IamError
from iam_portal.observability import REQUEST_ID_HEADER, request_id
from iam_portal.pagination import DEFAULT_MAX_ITEMS, Page

logger = logging.getLogger(__name__)

SIGNING_SERVICE = "iam"  # the credential scope's service: `curl --aws-sigv4 "aws:amz:<any region>:iam"`
MAX_ITEMS_LIMIT = 1000  # AWS's MaxItems maximum
ERROR_COMPONENT = "Error"  # the schema's name of ErrorOut, which every error response refers to
SERVICE_FAILURE = "An unexpected error occurred while processing the request."
MISSING_TOKEN = "Request is missing Authentication Token"
RATE_EXCEEDED = "Rate exceeded"


# --- Errors ----------------------------------------------------------------------------------------


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The one error shape of the API: {"error": {"code": <AWS code>, "message": …[, "fields": …]}}."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return {"error": error}


def error_response(
    code: str,
    message: str,
    http_status: int,
    *,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(error_body(code, message, fields), status=http_status, headers=dict(headers or {}))


class AwsAuthenticationFailed(exceptions.AuthenticationFailed):
    """A SigV4 failure with AWS's code and status (SignatureDoesNotMatch, InvalidClientTokenId, …)."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.aws_code, self.message, self.http_status = code, message, http_status


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"tags.0.key": [messages]}: each field named by its path."""
    if isinstance(detail, Mapping):
        out: dict[str, list[str]] = {}
        for name, value in detail.items():
            if name == api_settings.NON_FIELD_ERRORS_KEY and prefix:
                out.update(_flatten(value, prefix))  # a nested serializer's own error: its field's
            else:
                out.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
        return out
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    name = prefix or api_settings.NON_FIELD_ERRORS_KEY
    return {name: [str(message) for message in messages]} if messages else {}


def _validation_response(exc: exceptions.ValidationError) -> Response:
    fields = _flatten(exc.detail)
    count = sum(len(messages) for messages in fields.values())
    listed = "; ".join(
        f"{name}: {' '.join(m.rstrip('.') for m in messages)}" for name, messages in fields.items()
    )
    noun = "error" if count == 1 else "errors"
    return error_response(
        "ValidationError", f"{count} validation {noun} detected: {listed}", 400, fields=fields
    )


def _code_of(exc: exceptions.APIException) -> str:
    """PascalCase of DRF's default code (unsupported_media_type → UnsupportedMediaType)."""
    return "".join(part.capitalize() for part in str(exc.default_code).split("_"))


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """Every error of a REST view as JSON with the AWS code and HTTP status (REST_FRAMEWORK's
    EXCEPTION_HANDLER); an unexpected one is logged and answered as a 500 ServiceFailure."""
    set_rollback()
    if isinstance(exc, IamError):
        return error_response(exc.code, exc.message, exc.http_status)
    if isinstance(exc, AwsAuthenticationFailed):
        return error_response(exc.aws_code, exc.message, exc.http_status)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):  # Django's request size limits
        return error_response("ValidationError", f"The request is too large: {exc}", 400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)
    if isinstance(exc, exceptions.Throttled):
        # A whole number of seconds, at least 1 (RFC 9110 delay-seconds).
        wait = max(1, math.ceil(exc.wait or 1))
        return error_response("Throttling", RATE_EXCEEDED, 429, headers={"Retry-After": str(wait)})
    if isinstance(exc, exceptions.NotAuthenticated):
        return error_response("MissingAuthenticationToken", MISSING_TOKEN, 403)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.PermissionDenied):
        return error_response("AccessDenied", str(exc.detail), 403)
    if isinstance(exc, exceptions.NotFound):
        request = context.get("request")
        path = request.path if request is not None else ""
        return error_response("NotFound", f"No API resource at {path}.", 404)
    if isinstance(exc, exceptions.ParseError):
        return error_response("ValidationError", str(exc.detail), 400)
    if isinstance(exc, exceptions.APIException):
        return error_response(_code_of(exc), str(exc.detail), exc.status_code)
    # Never an HTML error page: the caller gets ServiceFailure, the operator the traceback.
    logger.exception("REST API request failed", exc_info=exc)
    return error_response("ServiceFailure", SERVICE_FAILURE, 500)


@csrf_exempt  # a POST to a wrong path is a 404, not the CSRF middleware's HTML page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that names no resource: a JSON 404 (DEBUG or not)."""
    return JsonResponse(error_body("NotFound", f"No API resource at {request.path}."), status=404)


# --- Authentication ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSessionUser:
    """`request.user` of a request signed with AssumeRole credentials (DRF wants is_authenticated)."""

    role_session: AssumedRole
    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __str__(self) -> str:
        return self.role_session.arn


class SigV4Authentication(BaseAuthentication):
    """AWS Signature Version 4 (Authorization header or presigned URL), credential scope
    `<date>/<any region>/iam/aws4_request`, long-term keys or STS credentials (X-Amz-Security-Token).

    A request without SigV4 data is left to the next authentication class; a signed request that
    fails is refused with AWS's code (SignatureDoesNotMatch, InvalidClientTokenId, ExpiredToken, …).
    """

    def authenticate(self, request: Request) -> tuple[Any, RequestContext] | None:
        django_request = request._request
        if not sigv4_auth.is_signed(django_request):
            return None
        try:
            # The raw body, before DRF parses it: the signature covers these bytes.
            ctx = sigv4_auth.authenticate(
                django_request,
                django_request.body,
                request_id(django_request),
                service=SIGNING_SERVICE,
                channel=REST,
            )
        except (sigv4.SigV4Error, IamError) as exc:
            raise AwsAuthenticationFailed(exc.code, exc.message, exc.http_status) from None
        caller = ctx.caller
        return (RoleSessionUser(caller) if isinstance(caller, AssumedRole) else caller), ctx


class ConsoleSessionAuthentication(SessionAuthentication):
    """The console's signed-in session (its cookie), CSRF enforced on unsafe methods: send the
    csrftoken cookie's value in an X-CSRFToken header with POST, PATCH and DELETE."""

    def authenticate(self, request: Request) -> tuple[Any, RequestContext] | None:
        found = super().authenticate(request)  # enforces CSRF
        if found is None:
            return None
        django_request = request._request
        ctx = session_auth.request_context(
            django_request, channel=REST, request_id=request_id(django_request)
        )
        return found[0], ctx


class SigV4Scheme(OpenApiAuthenticationExtension):
    target_class = SigV4Authentication
    name = "sigv4"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "AWS Signature Version 4 with a portal access key, credential scope service `iam`, "
                'any region: `curl --aws-sigv4 "aws:amz:us-east-1:iam" --user KEY:SECRET …`. '
                "Temporary credentials add an X-Amz-Security-Token header."
            ),
        }


class ConsoleSessionScheme(OpenApiAuthenticationExtension):
    target_class = ConsoleSessionAuthentication
    name = "consoleSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "The console's signed-in session. POST, PATCH and DELETE also need the csrftoken "
                "cookie's value in an X-CSRFToken header."
            ),
        }


# --- Rate limits -----------------------------------------------------------------------------------


class CallerRateThrottle(SimpleRateThrottle):
    """settings.IAM_PORTAL_API_RATE ("600/min") per access key id (SigV4) or per signed-in user.

    A fixed window that starts at the caller's first request: one counter, incremented atomically
    (`cache.incr`: Redis's INCR), so that concurrent requests in several workers and machines count
    together exactly when the cache is shared (REDIS_URL); DRF's sliding window reads, appends and
    writes back a list, which concurrent requests can overwrite. Without a shared cache each process
    counts alone.
    """

    scope = "api"

    def get_rate(self) -> str:
        return settings.IAM_PORTAL_API_RATE  # read per request: tests and deployments may change it

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ctx = request.auth
        if not isinstance(ctx, RequestContext):
            return None  # not authenticated: refused before throttling
        ident = f"key:{ctx.access_key_id}" if ctx.access_key_id else f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        now = time.time()
        # Both keys are created by the window's first request and expire with it (add: only if absent).
        self.cache.add(f"{key}:start", now, timeout=self.duration)
        self.cache.add(key, 0, timeout=self.duration)
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window ended between add and incr: this request opens the next one
            self.cache.set(key, count := 1, timeout=self.duration)
        if count <= self.num_requests:
            return True
        self._wait = max(0.0, self.cache.get(f"{key}:start", now) + self.duration - now)
        return False

    def wait(self) -> float:
        return self._wait


# --- Input, output, pages ----------------------------------------------------------------------------

# The IAM model's constraints in JSON Schema's regular expression dialect, so that the schema states
# them (the services check them again, with AWS's messages, for every channel).
NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]+$"  # [\w+=,.@-]+ in ASCII
PATH_PATTERN = rf"^(?:{validation.PATH.pattern})$"
PATH_PREFIX_PATTERN = rf"^{validation.PATH_PREFIX.pattern}$"


def name_field(max_length: int, **kwargs: Any) -> serializers.RegexField:
    """A user, group, role or policy name: 1..max_length of [\\w+=,.@-]."""
    return serializers.RegexField(
        NAME_PATTERN,
        max_length=max_length,
        error_messages={"invalid": "Use letters, digits and +=,.@_- only."},
        **kwargs,
    )


def name_contains_field(noun: str) -> serializers.CharField:
    """The lists' filter by part of the name, in any case (no AWS member: the REST API's own)."""
    help_text = f"Only {noun} whose name contains this, in any case."
    return serializers.CharField(required=False, min_length=1, max_length=128, help_text=help_text)


def path_field(**kwargs: Any) -> serializers.RegexField:
    """An entity path: "/" or "/division/team/"."""
    return serializers.RegexField(
        PATH_PATTERN,
        max_length=512,
        error_messages={"invalid": "Must be / or begin and end with / (printable ASCII between)."},
        **kwargs,
    )


def path_prefix_field(**kwargs: Any) -> serializers.RegexField:
    """A path prefix of a List action (PathPrefix): "/" by default."""
    return serializers.RegexField(
        PATH_PREFIX_PATTERN,
        max_length=512,
        default="/",
        error_messages={"invalid": "Must begin with / (printable ASCII after)."},
        **kwargs,
    )


class TagIn(serializers.Serializer):
    key = serializers.CharField(min_length=1, max_length=128, trim_whitespace=False)
    value = serializers.CharField(max_length=256, allow_blank=True, default="", trim_whitespace=False)


class TagOut(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.CharField(allow_blank=True)


class TagsIn(serializers.Serializer):
    """Tag{User,Role,Policy}'s body: 1 to 50 tags."""

    tags = TagIn(many=True, min_length=1, max_length=validation.MAX_TAGS)


class UntagQuery(serializers.Serializer):
    """Untag{User,Role,Policy}'s query: the keys to remove."""

    tag_keys = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=128, trim_whitespace=False),
        min_length=1,
        max_length=validation.MAX_TAGS,
        help_text="A key to remove; repeat the parameter for several (?tag_keys=a&tag_keys=b).",
    )


def tags_in(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """REST tags ({key, value}) as the services take them (AWS's Tag: {Key, Value})."""
    return [{"Key": tag["key"], "Value": tag["value"]} for tag in tags]


def tag_out(pair: tuple[str, str]) -> dict[str, str]:
    """A (key, value) pair of a List*Tags page as {key, value}."""
    return {"key": pair[0], "value": pair[1]}


def tags_out(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """A tags dict as [{key, value}] by key, case-insensitively (as List*Tags orders them)."""
    return [tag_out(pair) for pair in sorted(tags.items(), key=lambda kv: kv[0].lower())]


class PermissionsBoundaryOut(serializers.Serializer):
    """AttachedPermissionsBoundary."""

    permissions_boundary_type = serializers.CharField(help_text="PermissionsBoundaryPolicy.")
    permissions_boundary_arn = serializers.CharField()


def boundary_out(policy: Any) -> dict[str, str] | None:
    """A user's or role's permissions boundary (a ManagedPolicy or None) as PermissionsBoundaryOut."""
    if policy is None:
        return None
    return {"permissions_boundary_type": "PermissionsBoundaryPolicy", "permissions_boundary_arn": policy.arn}


@extend_schema_field(OpenApiTypes.DATETIME)
class TimestampField(serializers.Field):
    """A datetime as AWS writes it: ISO 8601 in UTC with a Z (2026-01-31T12:00:00Z)."""

    def to_representation(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@extend_schema_serializer(component_name="ErrorDetail")
class ErrorDetailOut(serializers.Serializer):
    code = serializers.CharField(help_text="The AWS error code, e.g. NoSuchEntity, AccessDenied.")
    message = serializers.CharField(help_text="AWS's message.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="ValidationError only: messages by field (nested fields as `tags.0.key`).",
    )


@extend_schema_serializer(component_name=ERROR_COMPONENT)
class ErrorOut(serializers.Serializer):
    """Every error: the AWS error code and message (and, for ValidationError, the fields)."""

    error = ErrorDetailOut()


def errors(**described: str) -> dict[int, OpenApiResponse]:
    """Error responses for extend_schema: errors(e404="NoSuchEntity: …") → {404: Error, described}."""
    return {int(key[1:]): OpenApiResponse(ErrorOut, description=text) for key, text in described.items()}


# Added to every operation by `add_common_errors` (SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS).
COMMON_ERRORS = {
    "400": "ValidationError (naming the field) or another AWS client error: a parameter or the body "
    "breaks the IAM model's constraints.",
    "403": "Authentication failed (MissingAuthenticationToken, InvalidClientTokenId, SignatureDoesNotMatch, "
    "ExpiredToken; AccessDenied for a missing CSRF token) or the caller's policies do not allow the "
    "action (AccessDenied, with AWS's message).",
    "429": "Throttling: the caller's rate limit is exceeded; retry after the Retry-After header's seconds.",
    "500": "ServiceFailure: an unexpected error (logged).",
}


def add_common_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the 400, 403, 429 and 500 every operation may answer."""
    error_ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                response: dict[str, Any] = {
                    "content": {"application/json": {"schema": error_ref}},
                    "description": description,
                }
                if code == "429":
                    response["headers"] = {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "Seconds to wait before retrying.",
                        }
                    }
                responses.setdefault(code, response)
    return result


class PageQuery(serializers.Serializer):
    """?marker=&max_items=: as AWS's Marker and MaxItems (default 100, at most 1000). A list's query
    serializer extends it; extend_schema(parameters=[ThatQuery]) documents each field."""

    marker = serializers.CharField(
        required=False, min_length=1, max_length=320, help_text="The `marker` of the previous page."
    )
    max_items = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ITEMS_LIMIT,
        help_text=f"Items per page (default {DEFAULT_MAX_ITEMS}, at most {MAX_ITEMS_LIMIT}).",
    )


class TagListQuery(PageQuery):
    """List{User,Role,Policy}Tags' query: a page."""


class PageOut(serializers.Serializer):
    """The page envelope; `paginated` makes one per item shape for the schema."""

    is_truncated = serializers.BooleanField(help_text="Whether more items follow.")
    marker = serializers.CharField(
        allow_null=True, help_text="Pass as `marker` to get the next page; null on the last page."
    )


_PAGES: dict[str, type[serializers.Serializer]] = {}


def paginated(
    item: type[serializers.Serializer], name: str, description: str
) -> type[serializers.Serializer]:
    """The schema of a page of `item`s, as the component `name` (e.g. "UserList", "A page of users.")."""
    if name not in _PAGES:
        page = type(name, (PageOut,), {"items": item(many=True), "__module__": __name__})
        # One envelope object, not a list of them (drf-spectacular's default for a list action).
        _PAGES[name] = extend_schema_serializer(many=False, description=description)(page)
    return _PAGES[name]


def page_response(page: Page, item: type[serializers.Serializer], shape: Any = None) -> Response:
    """A service's Page as {"items": [...], "is_truncated": bool, "marker": str | null}; `shape`
    turns each service item into what `item` serializes (default: the item itself)."""
    rows: Iterable[Any] = page.items if shape is None else map(shape, page.items)
    return Response(
        {"items": item(rows, many=True).data, "is_truncated": page.is_truncated, "marker": page.marker}
    )


# --- The base view ---------------------------------------------------------------------------------


def json_type_errors(field: serializers.Field, value: Any, name: str = "") -> dict[str, list[str]]:
    """{field path: [message]} where a JSON value is not of the type its serializer field (and so the
    OpenAPI schema) names; null is left to the field's allow_null."""
    if value is None:
        return {}
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        if not isinstance(value, list):
            return {name: ["Must be an array."]}
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(value):
            errors.update(json_type_errors(field.child, item, f"{name}.{index}"))
        return errors
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, Mapping):
            return {name: ["Must be an object."]}
        errors = {}
        for child_name, child in field.fields.items():
            if not child.read_only and child_name in value:
                path = f"{name}.{child_name}" if name else child_name
                errors.update(json_type_errors(child, value[child_name], path))
        return errors
    kind = next((kind for kind in _JSON_TYPES if isinstance(field, kind)), None)
    if kind is None:
        return {}
    types, wanted = _JSON_TYPES[kind]
    if isinstance(value, types) and not _bool_as_number(value, types):
        return {}
    # DRF's words for the kind where it has them ("Must be a valid boolean.", "Not a valid string."):
    # not the field's own "invalid" message, which may speak of a pattern.
    return {name: [kind.default_error_messages["invalid"] if wanted is None else f"Must be {wanted}."]}


def _bool_as_number(value: Any, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, bool) and bool not in kinds


# The JSON type each kind of serializer field takes (JSONField and DictField: anything / an object).
_JSON_TYPES: dict[type, tuple[tuple[type, ...], str | None]] = {
    serializers.BooleanField: ((bool,), None),
    serializers.IntegerField: ((int,), None),
    serializers.FloatField: ((int, float), None),
    serializers.DictField: ((dict,), "an object"),
    serializers.CharField: ((str,), None),
    serializers.ChoiceField: ((str, int), "one of the choices"),
    serializers.DateTimeField: ((str,), "a string"),
}


class IamViewSet(viewsets.ViewSet):
    """Base of every REST resource: authenticated callers only (authorization is the services'),
    JSON in and out, `self.ctx` the caller's RequestContext."""

    authentication_classes = [SigV4Authentication, ConsoleSessionAuthentication]
    permission_classes = [IsAuthenticated]  # authorization lives in the services (DESIGN.md rule 5)
    throttle_classes = [CallerRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    @property
    def ctx(self) -> RequestContext:
        return self.request.auth

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Django's request size limit (DATA_UPLOAD_MAX_MEMORY_SIZE) for every body, session-authenticated
        # ones too; DRF then parses the bytes read here.
        request._request.body  # noqa: B018
        request_id(request._request)
        super().initial(request, *args, **kwargs)

    def body(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The JSON body, validated (ValidationError naming each field). Each value must have the JSON
        type the schema gives it: DRF alone would take 12 for "12", "true" for true and "5" for 5."""
        data = self.request.data
        wrong = json_type_errors(serializer_class(), data) if isinstance(data, Mapping) else {}
        serializer = serializer_class(data=data)
        if not serializer.is_valid() or wrong:
            raise exceptions.ValidationError({**(serializer.errors or {}), **wrong})
        return serializer.validated_data

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The query string, validated as given (ValidationError naming each parameter): `?marker=`
        is an empty marker, refused, not a missing one (a QueryDict would make it look absent)."""
        params, fields = self.request.query_params, serializer_class().fields
        lists = {name for name, field in fields.items() if isinstance(field, serializers.ListField)}
        data = {name: params.getlist(name) if name in lists else params[name] for name in params}
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response[REQUEST_ID_HEADER] = request_id(request._request)
        if request.method == "GET" and response.status_code == 200:
            # A read depends on the caller's permissions: private, and checked again every time, with
            # the ETag that ConditionalGetMiddleware adds (an unchanged answer is a 304). No read
            # carries a secret: those are only in the answer to the write that made them.
            response["Cache-Control"] = "private, no-cache"
        else:
            response["Cache-Control"] = "no-store"  # a secret shown once is never cached anywhere
        return response


def created(data: Any, location: str) -> Response:
    """201 Created with the new resource's URL."""
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})
