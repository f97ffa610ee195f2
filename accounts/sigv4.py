"""AWS Signature Version 4 verification for the Query API (IAM 2010-05-08, STS 2011-06-15): pure.

Both forms botocore produces are accepted: the `Authorization: AWS4-HMAC-SHA256 ...` header
(`SigV4Auth`) and a presigned query string (`SigV4QueryAuth`). The canonical request is built exactly
as botocore/auth.py builds it, and errors carry AWS's codes, HTTP statuses and messages. Looking up
the access key (InvalidClientTokenId) is the caller's job: `parse_authorization` → look up the secret
of `parsed.credential.access_key_id` → `verify`. Standard library only; no Django.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
SERVICES = ("iam", "sts")
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_EXPIRES = 604800  # a week, in seconds
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
RFC3986_SAFE = "-_.~"
SIGNATURE_PARAM = "X-Amz-Signature"
PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", SIGNATURE_PARAM, "X-Amz-SignedHeaders", "X-Amz-Date")
AUTH_COMPONENTS = ("Credential", "Signature", "SignedHeaders")
TIMESTAMP = re.compile(r"[0-9]{8}T[0-9]{6}Z")
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")

MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationToken"
INCOMPLETE_SIGNATURE = "IncompleteSignature"
SIGNATURE_DOES_NOT_MATCH = "SignatureDoesNotMatch"
REQUEST_EXPIRED = "RequestExpired"
MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


class SigV4Error(Exception):
    """An authentication failure, with AWS's error code, HTTP status and message."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"SigV4Error({self.code!r}, {self.message!r}, {self.http_status})"


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error(INCOMPLETE_SIGNATURE, message, 400)


def _mismatch(message: str = MISMATCH_MESSAGE) -> SigV4Error:
    return SigV4Error(SIGNATURE_DOES_NOT_MATCH, message, 403)


def _expired(message: str) -> SigV4Error:
    return SigV4Error(REQUEST_EXPIRED, message, 400)


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as received: `path` decoded (Django's request.path), `query` raw (QUERY_STRING),
    headers looked up by lowercase name (normalized here), the body as bytes."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", {str(k).lower(): str(v) for k, v in self.headers.items()})


@dataclass(frozen=True)
class Credential:
    """The credential scope: access key id, YYYYMMDD date, region and service."""

    access_key_id: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        """`date/region/service/aws4_request`, the third line of the string to sign."""
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


@dataclass(frozen=True)
class ParsedSignature:
    """What a request claims: who signed it, when, which headers, the signature, and how it was sent."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)
    timestamp: str  # X-Amz-Date in ISO-8601 basic format, as it enters the string to sign
    presigned: bool
    expires: int | None = None  # X-Amz-Expires of a presigned URL
    security_token: str | None = field(default=None, repr=False)  # X-Amz-Security-Token, if any
    credential_terminator: str = TERMINATOR

    @property
    def request_time(self) -> datetime:
        """The signing time as an aware UTC datetime."""
        return datetime.strptime(self.timestamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def query_pairs(query: str) -> list[tuple[bytes, bytes]]:
    """The raw query string's (name, value) pairs percent-decoded to bytes ('+' is a space, as in forms)."""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((_unquote(name), _unquote(value)))
    return pairs


def _unquote(text: str) -> bytes:
    return unquote_to_bytes(text.replace("+", " ").encode("utf-8", "surrogatepass"))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _query_params(query: str) -> dict[str, str]:
    """The first value of each query parameter, decoded as UTF-8."""
    params: dict[str, str] = {}
    for name, value in query_pairs(query):
        params.setdefault(_text(name), _text(value))
    return params


def parse_authorization(
    request: SignedRequest, *, now: datetime | None = None, service: str | None = None
) -> ParsedSignature:
    """Parse and check a request's SigV4 signature data (not the signature itself, see `verify`).

    Accepts the Authorization header or presigned query parameters; checks the algorithm, that every
    part is present, that `host` is signed, the date format, the 15-minute clock skew (or a presigned
    URL's X-Amz-Expires) against `now`, and the credential scope: any region, service `service` (or
    either of iam and sts), terminator aws4_request, date that of X-Amz-Date.
    """
    now = now or datetime.now(UTC)
    header = request.headers.get("authorization", "")
    params = _query_params(request.query)
    query_auth = any(name in params for name in PRESIGN_PARAMS[:3])
    if header and "X-Amz-Algorithm" in params:
        raise _mismatch(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    if header:
        parsed = _parse_header(request, header)
    elif query_auth:
        parsed = _parse_query(params)
    else:
        raise SigV4Error(MISSING_AUTHENTICATION_TOKEN, "Request is missing Authentication Token", 403)
    if "host" not in parsed.signed_headers:
        raise _mismatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    _check_time(parsed, now)
    _check_scope(parsed, service)
    return parsed


def _parse_header(request: SignedRequest, header: str) -> ParsedSignature:
    """The `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` form."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    components: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        if not equals:
            raise _incomplete(
                f"'{item}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{header}'"
            )
        components.setdefault(name.strip(), value.strip())
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in AUTH_COMPONENTS
        if not components.get(name)
    ]
    timestamp = _header_timestamp(request.headers)
    if timestamp is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise _incomplete(" ".join([*missing, f"Authorization={header}"]))
    credential, terminator = _parse_credential(components["Credential"])
    return ParsedSignature(
        credential=credential,
        credential_terminator=terminator,
        signed_headers=_signed_headers(components["SignedHeaders"]),
        signature=components["Signature"],
        timestamp=_checked_timestamp(timestamp or ""),
        presigned=False,
        security_token=request.headers.get("x-amz-security-token"),
    )


def _header_timestamp(headers: Mapping[str, str]) -> str | None:
    """X-Amz-Date, else the Date header converted to ISO-8601 basic format (as botocore signs it)."""
    if headers.get("x-amz-date"):
        return headers["x-amz-date"]
    date = headers.get("date")
    if not date:
        return None
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return date  # reported as a malformed date by _checked_timestamp
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def _parse_query(params: Mapping[str, str]) -> ParsedSignature:
    """The presigned form: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature."""
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in PRESIGN_PARAMS
        if not params.get(name)
    ]
    if missing:
        raise _incomplete(" ".join([*missing, "Re-examine the query-string parameters."]))
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'.")
    credential, terminator = _parse_credential(params["X-Amz-Credential"])
    return ParsedSignature(
        credential=credential,
        credential_terminator=terminator,
        signed_headers=_signed_headers(params["X-Amz-SignedHeaders"]),
        signature=params[SIGNATURE_PARAM],
        timestamp=_checked_timestamp(params["X-Amz-Date"]),
        presigned=True,
        expires=_parse_expires(params.get("X-Amz-Expires")),
        security_token=params.get("X-Amz-Security-Token"),
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.lstrip("-").isdigit():
        raise _incomplete(f"X-Amz-Expires should be a number, not '{value}'.")
    expires = int(value)
    if expires < 0:
        raise _incomplete("X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGNED_EXPIRES:
        raise _incomplete(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES}"
        )
    return expires


def _signed_headers(value: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in value.split(";"))


def _checked_timestamp(value: str) -> str:
    """The timestamp if it is ISO-8601 basic format (YYYYMMDDTHHMMSSZ) and a real date and time."""
    try:
        if TIMESTAMP.fullmatch(value):
            datetime.strptime(value, TIMESTAMP_FORMAT)
            return value
    except ValueError:
        pass
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_credential(value: str) -> tuple[Credential, str]:
    """The credential scope's parts and its terminator."""
    parts = value.split("/")
    if len(parts) != 5 or not parts[0]:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{value}'"
        )
    return Credential(access_key_id=parts[0], date=parts[1], region=parts[2], service=parts[3]), parts[4]


def _check_time(parsed: ParsedSignature, now: datetime) -> None:
    """RequestExpired beyond 15 minutes of clock skew, or past a presigned URL's X-Amz-Expires."""
    signed_at = parsed.request_time
    stamp = parsed.timestamp
    if signed_at > now + MAX_SKEW:
        limit = (now + MAX_SKEW).strftime(TIMESTAMP_FORMAT)
        raise _expired(
            f"Signature not yet current: {stamp} is still later than {limit} "
            f"({now.strftime(TIMESTAMP_FORMAT)} + 15 min.)"
        )
    if parsed.presigned and parsed.expires is not None:
        if now > signed_at + timedelta(seconds=parsed.expires):
            raise _expired("Request has expired.")
        return
    if signed_at < now - MAX_SKEW:
        limit = (now - MAX_SKEW).strftime(TIMESTAMP_FORMAT)
        raise _expired(
            f"Signature expired: {stamp} is now earlier than {limit} "
            f"({now.strftime(TIMESTAMP_FORMAT)} - 15 min.)"
        )


def _check_scope(parsed: ParsedSignature, service: str | None) -> None:
    """SignatureDoesNotMatch, with AWS's messages, for a scope of another service or date."""
    credential = parsed.credential
    problems = []
    if not credential.region:
        problems.append("Credential should be scoped to a valid region, not ''.")
    if credential.service not in ((service,) if service else SERVICES):
        problems.append(f"Credential should be scoped to correct service: '{service or SERVICES[0]}'.")
    if parsed.credential_terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{parsed.credential_terminator}'."
        )
    if credential.date != parsed.timestamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{credential.date}' != '{parsed.timestamp[:8]}', from '{parsed.timestamp}'."
        )
    if problems:
        raise _mismatch(" ".join(problems))


def verify(request: SignedRequest, parsed: ParsedSignature, secret_access_key: str) -> None:
    """Recompute the signature with the secret (botocore's SigV4Auth / SigV4QueryAuth) and compare it in
    constant time; SignatureDoesNotMatch if it differs or the body does not match x-amz-content-sha256."""
    to_sign = string_to_sign(parsed, canonical_request(request, parsed))
    expected = signature(secret_access_key, parsed, to_sign)
    provided = parsed.signature.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(expected.encode("ascii"), provided):
        raise _mismatch()
    declared = request.headers.get("x-amz-content-sha256")
    if declared is not None and declared != hashlib.sha256(request.body).hexdigest():
        # Honoured in the canonical request, as botocore does, but the body must be the one signed:
        # an UNSIGNED-PAYLOAD Query request would let its Action be swapped.
        raise _mismatch()


def canonical_request(request: SignedRequest, parsed: ParsedSignature) -> str:
    """The SigV4 canonical request: method, URI, query, headers, signed header names, payload hash."""
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query_string(request.query, presigned=parsed.presigned),
            canonical_headers(request.headers, parsed.signed_headers) + "\n",
            ";".join(parsed.signed_headers),
            payload_hash(request),
        ]
    )


def canonical_uri(path: str) -> str:
    """botocore's `_normalize_url_path`: dot segments and empty segments removed, then URI-encoded
    (everything but unreserved characters and '/')."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    if not path:
        normalized = "/"
    else:
        first = "/" if path.startswith("/") else ""
        last = "/" if path.endswith("/") and segments else ""
        normalized = first + "/".join(segments) + last
    return quote(normalized, safe="/~", errors="surrogatepass")


def canonical_query_string(query: str, *, presigned: bool = False) -> str:
    """Each parameter RFC 3986-encoded as `name=value`, sorted by name then value; a presigned
    request's X-Amz-Signature left out."""
    pairs = []
    for name, value in query_pairs(query):
        if presigned and name == SIGNATURE_PARAM.encode():
            continue
        pairs.append((quote(name, safe=RFC3986_SAFE), quote(value, safe=RFC3986_SAFE)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(headers: Mapping[str, str], signed_headers: tuple[str, ...]) -> str:
    """`name:value` lines of the signed headers, values trimmed and inner whitespace collapsed."""
    return "\n".join(f"{name}:{' '.join(headers.get(name, '').split())}" for name in signed_headers)


def payload_hash(request: SignedRequest) -> str:
    """x-amz-content-sha256 when sent (botocore signs it as given), else the body's SHA-256."""
    declared = request.headers.get("x-amz-content-sha256")
    if declared is not None:
        return declared
    return hashlib.sha256(request.body).hexdigest() if request.body else EMPTY_SHA256


def string_to_sign(parsed: ParsedSignature, canonical: str) -> str:
    """Algorithm, timestamp, credential scope and the hex SHA-256 of the canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return "\n".join([ALGORITHM, parsed.timestamp, parsed.credential.scope, digest])


def signing_key(secret_access_key: str, credential: Credential) -> bytes:
    """The HMAC-SHA256 key chain: "AWS4"+secret → date → region → service → aws4_request."""
    key = f"AWS4{secret_access_key}".encode("utf-8", "surrogatepass")
    for part in (credential.date, credential.region, credential.service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return key


def signature(secret_access_key: str, parsed: ParsedSignature, to_sign: str) -> str:
    """The hex HMAC-SHA256 of the string to sign under the signing key."""
    key = signing_key(secret_access_key, parsed.credential)
    return hmac.new(key, to_sign.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def region_and_service(parsed: ParsedSignature) -> tuple[str, str]:
    """The signed region and service (for GetAccessKeyLastUsed's record and choosing IAM or STS)."""
    return parsed.credential.region, parsed.credential.service
