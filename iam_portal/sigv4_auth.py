"""SigV4 authentication of an HTTP request: one verification path for the Query API and the REST API.

`authenticate` checks the signature (accounts/sigv4.py, pure) with the secret of the access key or STS
credentials (accounts/selectors/sts.py), notes the key's use (GetAccessKeyLastUsed) and returns the
RequestContext of the key's owner or the STS session's principal, on the channel given.
Failures raise `sigv4.SigV4Error` or an `IamError` (InvalidClientTokenId, ExpiredToken) with AWS's
code, HTTP status and message; each adapter renders them in its own format.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from urllib.parse import parse_qs, quote

from django.http import HttpRequest

from accounts import sigv4
from accounts.authz import note_generation
from accounts.context import QUERY, RequestContext
from accounts.selectors.sts import signing_credentials
from accounts.services.access_keys import record_access_key_use

AUTHORIZATION_PREFIX = sigv4.ALGORITHM + " "


def is_signed(request: HttpRequest) -> bool:
    """Whether the request carries SigV4 data (an AWS4-HMAC-SHA256 Authorization header or a
    presigned query string): the REST API then authenticates it by signature, not by session."""
    if request.headers.get("Authorization", "").startswith(AUTHORIZATION_PREFIX):
        return True
    return any(name in request.GET for name in sigv4.PRESIGN_PARAMS[:3])


def authenticate(
    request: HttpRequest, body: bytes, request_id: str, *, service: str | None, channel: str = QUERY
) -> RequestContext:
    """Verify the SigV4 signature and note the key's use; the key's owner (or the STS session's
    principal) is the caller. `service`: the service the scope must name (None: iam or sts)."""
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
    _verify(signed, parsed, credentials.secret_access_key)
    if credentials.session is None:
        record_access_key_use(
            access_key_id, service=signed_service, region=region, known=credentials.access_key
        )
    ctx = RequestContext(
        caller=credentials.caller,
        session=credentials.session,
        mfa_authenticated_at=credentials.mfa_authenticated_at,
        channel=channel,
        source_ip=request.META.get("REMOTE_ADDR") or None,
        secure_transport=request.is_secure(),
        access_key_id=access_key_id,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        request_id=request_id,
    )
    note_generation(ctx)  # the caller and its account were loaded with the key: no second read
    return ctx


def _verify(signed: sigv4.SignedRequest, parsed: sigv4.ParsedSignature, secret: str) -> None:
    """sigv4.verify (AWS's canonical request, as botocore builds it), else the same signature over the
    two other forms that clients in use sign, which name the very same request:

    - the path as a client that percent-encoded a name's reserved characters signed it (AWS's SDKs
      encode the encoded path once more; the server only sees it decoded), e.g. alice%40example.com;
    - the query string exactly as sent, unsorted and not re-encoded (as curl 7.88 signs it, curl issue
      #9717), e.g. ?max_items=2&marker=bzI=;
    - its pairs sorted but not re-encoded (as botocore signs a query written into the URL:
      `_canonical_query_string_url`), e.g. marker=bzI=&max_items=2.

    The signature still covers every byte of the method, path, query, signed headers and body.
    """
    try:
        sigv4.verify(signed, parsed, secret)
        return
    except sigv4.SigV4Error as mismatch:
        failure = mismatch
    uri = sigv4.canonical_uri(signed.path)
    query = sigv4.canonical_query_string(signed.query, presigned=parsed.presigned)
    uris = [uri, sigv4.canonical_uri(quote(signed.path, safe="/~", errors="surrogatepass"))]
    # A presigned URL's query holds its own signature: only its canonical form can be the one signed.
    as_sent = sorted(item.partition("=")[::2] for item in signed.query.split("&")) if signed.query else []
    sorted_raw = "&".join(f"{name}={value}" for name, value in as_sent)
    queries = [query] if parsed.presigned else [query, signed.query, sorted_raw]
    forms = {form for form in itertools.product(uris, queries) if form != (uri, query)}  # that one failed
    headers = sigv4.canonical_headers(signed.headers, parsed.signed_headers) + "\n"
    provided = parsed.signature.encode("utf-8", "surrogatepass")
    for uri_form, query_form in sorted(forms):
        canonical = "\n".join(
            [
                signed.method.upper(),
                uri_form,
                query_form,
                headers,
                ";".join(parsed.signed_headers),
                sigv4.payload_hash(signed),
            ]
        )
        expected = sigv4.signature(secret, parsed, sigv4.string_to_sign(parsed, canonical))
        if hmac.compare_digest(expected.encode("ascii"), provided):
            declared = signed.headers.get("x-amz-content-sha256")
            if declared is not None and declared != hashlib.sha256(signed.body).hexdigest():
                raise failure  # the body must be the one signed, as sigv4.verify insists
            return
    raise failure


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
