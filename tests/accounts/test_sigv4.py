"""accounts/sigv4.py: requests signed by botocore (SigV4Auth, SigV4QueryAuth, a boto3 client, the aws CLI)
verify; every failure has AWS's code, HTTP status and message. No database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

import boto3
import pytest
from botocore import auth as botocore_auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import sigv4
from accounts.sigv4 import Credential, SignedRequest, SigV4Error, parse_authorization, verify

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded; charset=utf-8"
LIST_USERS = b"Action=ListUsers&Version=2010-05-08"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
CREATE_POLICY_XML = (
    b'<CreatePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreatePolicyResult><Policy>'
    b"<PolicyName>p</PolicyName></Policy></CreatePolicyResult><ResponseMetadata><RequestId>r2</RequestId>"
    b"</ResponseMetadata></CreatePolicyResponse>"
)
PRESIGN_BODY = {"Action": "ListUsers", "Version": "2010-05-08"}
LIST_USERS_XML = (
    b'<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users/>'
    b"<IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>r1</RequestId>"
    b"</ResponseMetadata></ListUsersResponse>"
)


def host_of(url: str) -> str:
    """The Host header an HTTP client sends for url (botocore's _host_from_url)."""
    return botocore_auth._host_from_url(url)


def to_signed_request(method: str, url: str, headers, body: bytes | str | None) -> SignedRequest:
    """What the server sees: the decoded path, the raw query, the headers plus Host, the body bytes."""
    parts = urlsplit(url)
    headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in headers.items()}
    headers.setdefault("Host", host_of(url))
    if isinstance(body, str):
        body = body.encode()
    return SignedRequest(method, unquote(parts.path) or "/", parts.query, headers, body or b"")


def sign(
    *,
    url: str = "https://iam.amazonaws.com/",
    method: str = "POST",
    body: bytes | str | dict | None = LIST_USERS,
    headers: dict | None = None,
    at: datetime = NOW,
    service: str = "iam",
    region: str = "us-east-1",
    secret: str = SECRET,
    token: str | None = None,
    presign_expires: int | None = None,
    monkeypatch: pytest.MonkeyPatch,
) -> SignedRequest:
    """Sign a request with botocore at time `at` and return it as the server receives it."""
    monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda: at.replace(tzinfo=None))
    all_headers = {"Content-Type": FORM} if body else {}
    all_headers.update(headers or {})
    request = AWSRequest(method=method, url=url, data=body, headers=all_headers)
    credentials = Credentials(AKID, secret, token)
    if presign_expires is None:
        SigV4Auth(credentials, service, region).add_auth(request)
    else:
        SigV4QueryAuth(credentials, service, region, expires=presign_expires).add_auth(request)
    prepared = request.prepare()
    return to_signed_request(prepared.method, prepared.url, dict(prepared.headers), prepared.body)


def check(
    request: SignedRequest, secret: str = SECRET, now: datetime = NOW, **kwargs
) -> sigv4.ParsedSignature:
    parsed = parse_authorization(request, now=now, **kwargs)
    verify(request, parsed, secret)
    return parsed


def fails(code: str, status: int, message: str, request: SignedRequest, secret=SECRET, now=NOW, **kwargs):
    with pytest.raises(SigV4Error) as caught:
        check(request, secret, now, **kwargs)
    error = caught.value
    assert (error.code, error.http_status, error.message) == (code, status, message)


def replace(request: SignedRequest, **changes) -> SignedRequest:
    values = {name: getattr(request, name) for name in ("method", "path", "query", "headers", "body")}
    values.update(changes)
    return SignedRequest(**values)


def with_header(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    headers = dict(request.headers)
    name = name.lower()
    if value is None:
        headers.pop(name, None)
    else:
        headers[name] = value
    return replace(request, headers=headers)


class SignedRequestTests:
    def test_headers_are_looked_up_by_lowercase_name(self):
        request = SignedRequest("POST", "/", "", {"X-Amz-Date": "x", "Host": "h"}, b"")
        assert request.headers == {"x-amz-date": "x", "host": "h"}


class VerifyHeaderSignatureTests:
    def test_list_users_as_boto3_sends_it(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        parsed = check(request)
        assert parsed.credential == Credential(AKID, "20261128", "us-east-1", "iam")
        assert parsed.signed_headers == ("content-type", "host", "x-amz-date")
        assert (parsed.timestamp, parsed.presigned, parsed.security_token) == (
            "20261128T120000Z",
            False,
            None,
        )
        assert sigv4.region_and_service(parsed) == ("us-east-1", "iam")

    def test_create_policy_with_a_url_encoded_json_document(self, monkeypatch):
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
        }
        body = {
            "Action": "CreatePolicy",
            "Version": "2010-05-08",
            "PolicyName": "read only",
            "PolicyDocument": json.dumps(document, indent=2),
        }
        request = sign(body=body, monkeypatch=monkeypatch)
        assert b"PolicyDocument=%7B" in request.body
        check(request)

    def test_unicode_in_the_body(self, monkeypatch):
        body = urlencode({"Action": "TagUser", "UserName": "zoë", "Tags.member.1.Value": "日本語 ✓"}).encode()
        check(sign(body=body, monkeypatch=monkeypatch))

    def test_a_path_other_than_root_with_unicode_and_dot_segments(self, monkeypatch):
        check(sign(url="https://portal.example.com/aws/iam/", monkeypatch=monkeypatch))
        check(sign(url="https://portal.example.com/aws/./x/../iam//", monkeypatch=monkeypatch))
        check(sign(url="https://portal.example.com/påth with space/", monkeypatch=monkeypatch))

    def test_a_port_in_the_host(self, monkeypatch):
        request = sign(url="http://localhost:8000/", monkeypatch=monkeypatch)
        assert request.headers["host"] == "localhost:8000"
        check(request)

    def test_a_query_string_is_canonicalized(self, monkeypatch):
        url = "https://iam.amazonaws.com/?Version=2010-05-08&Action=GetUser&UserName=a%20b%2Bc&Empty="
        check(sign(url=url, method="GET", body=None, monkeypatch=monkeypatch))

    def test_session_credentials_sign_the_security_token(self, monkeypatch):
        request = sign(token="FwoGZXIvYXdzE//token+/=", service="sts", monkeypatch=monkeypatch)
        parsed = check(request)
        assert "x-amz-security-token" in parsed.signed_headers
        assert parsed.security_token == "FwoGZXIvYXdzE//token+/="
        fails("SignatureDoesNotMatch", 403, MISMATCH, with_header(request, "X-Amz-Security-Token", "other"))

    def test_any_region_is_accepted(self, monkeypatch):
        for region in ("eu-west-1", "ap-south-1", "local"):
            parsed = check(sign(region=region, monkeypatch=monkeypatch))
            assert sigv4.region_and_service(parsed) == (region, "iam")

    def test_sts_scope_is_accepted_unless_the_caller_asks_for_iam(self, monkeypatch):
        request = sign(
            service="sts", body=b"Action=GetCallerIdentity&Version=2011-06-15", monkeypatch=monkeypatch
        )
        check(request)
        check(request, service="sts")
        fails(
            "SignatureDoesNotMatch",
            403,
            "Credential should be scoped to correct service: 'iam'.",
            request,
            service="iam",
        )

    def test_unsigned_headers_may_change(self, monkeypatch):
        request = sign(headers={"User-Agent": "aws-cli/1.46.3"}, monkeypatch=monkeypatch)
        assert "user-agent" not in parse_authorization(request, now=NOW).signed_headers
        check(with_header(request, "User-Agent", "something else"))

    def test_header_values_are_trimmed_and_inner_whitespace_collapsed(self, monkeypatch):
        request = sign(headers={"X-Custom": "  a   b\t c  "}, monkeypatch=monkeypatch)
        check(request)
        check(with_header(request, "X-Custom", "a b c"))

    def test_a_date_header_instead_of_x_amz_date(self, monkeypatch):
        request = sign(headers={"Date": "Mon, 01 Jan 2001 00:00:00 GMT"}, monkeypatch=monkeypatch)
        assert "x-amz-date" not in request.headers
        assert check(request).timestamp == "20261128T120000Z"

    def test_x_amz_content_sha256_is_honoured_when_it_is_the_bodys_hash(self, monkeypatch):
        digest = sigv4.hashlib.sha256(LIST_USERS).hexdigest()
        check(sign(headers={"X-Amz-Content-SHA256": digest}, monkeypatch=monkeypatch))

    def test_an_unsigned_payload_is_refused(self, monkeypatch):
        request = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, monkeypatch=monkeypatch)
        fails("SignatureDoesNotMatch", 403, MISMATCH, request)

    def test_a_real_boto3_client_request(self, monkeypatch):
        captured = []

        class Raw:
            def __init__(self, payload: bytes):
                self.payload = payload

            def stream(self, **kwargs):
                yield self.payload

        def before_send(request, **kwargs):
            captured.append(request)
            if "Action=CreatePolicy" in str(request.body):
                return AWSResponse(request.url, 200, {}, Raw(CREATE_POLICY_XML))
            return AWSResponse(request.url, 200, {}, Raw(LIST_USERS_XML))

        client = boto3.client(
            "iam",
            region_name="eu-west-1",
            endpoint_url="http://127.0.0.1:8000/",
            aws_access_key_id=AKID,
            aws_secret_access_key=SECRET,
            aws_session_token="session-token",
        )
        client.meta.events.register("before-send.iam", before_send)
        client.create_policy(
            PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
        client.list_users()
        assert len(captured) == 2
        for prepared in captured:
            request = to_signed_request(prepared.method, prepared.url, prepared.headers, prepared.body)
            parsed = parse_authorization(request)  # signed just now, by the real clock
            verify(request, parsed, SECRET)
            assert sigv4.region_and_service(parsed) == ("eu-west-1", "iam")
            assert parsed.security_token == "session-token"


class VerifyPresignedTests:
    def test_a_presigned_get_verifies(self, monkeypatch):
        request = sign(
            method="GET",
            body={"Action": "ListUsers", "Version": "2010-05-08"},
            presign_expires=300,
            monkeypatch=monkeypatch,
        )
        assert "X-Amz-Signature=" in request.query and "Action=ListUsers" in request.query
        parsed = check(request, now=NOW + timedelta(seconds=300))
        assert (parsed.presigned, parsed.expires) == (True, 300)

    def test_a_presigned_url_with_session_token_and_unicode(self, monkeypatch):
        body = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "zoë+1 2"}
        request = sign(method="GET", body=body, token="tok/en+=", presign_expires=60, monkeypatch=monkeypatch)
        assert check(request).security_token == "tok/en+="

    def test_expired_presigned_url(self, monkeypatch):
        request = sign(method="GET", body=PRESIGN_BODY, presign_expires=300, monkeypatch=monkeypatch)
        fails("RequestExpired", 400, "Request has expired.", request, now=NOW + timedelta(seconds=301))

    def test_presigned_url_is_not_subject_to_the_15_minutes_within_its_expiry(self, monkeypatch):
        request = sign(method="GET", body=PRESIGN_BODY, presign_expires=3600, monkeypatch=monkeypatch)
        check(request, now=NOW + timedelta(minutes=59))

    def test_presigned_query_tampered(self, monkeypatch):
        request = sign(method="GET", body=PRESIGN_BODY, presign_expires=300, monkeypatch=monkeypatch)
        tampered = replace(request, query=request.query.replace("ListUsers", "DeleteUser"))
        fails("SignatureDoesNotMatch", 403, MISMATCH, tampered)

    def test_missing_presigned_parameters_are_each_named(self):
        request = SignedRequest("GET", "/", "Action=ListUsers&X-Amz-Credential=x", {"host": "h"}, b"")
        message = (
            "AWS query-string parameters must include 'X-Amz-Algorithm'. "
            "AWS query-string parameters must include 'X-Amz-Signature'. "
            "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
            "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
        )
        fails("IncompleteSignature", 400, message, request)

    def test_bad_expires(self, monkeypatch):
        request = sign(method="GET", body=PRESIGN_BODY, presign_expires=300, monkeypatch=monkeypatch)
        for value, message in [
            ("-1", "X-Amz-Expires must be non-negative"),
            ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
            ("soon", "X-Amz-Expires should be a number, not 'soon'."),
        ]:
            bad = replace(request, query=request.query.replace("X-Amz-Expires=300", f"X-Amz-Expires={value}"))
            fails("IncompleteSignature", 400, message, bad)

    def test_header_and_query_signature_together(self, monkeypatch):
        request = sign(method="GET", body=PRESIGN_BODY, presign_expires=300, monkeypatch=monkeypatch)
        both = with_header(request, "Authorization", "AWS4-HMAC-SHA256 Credential=x")
        message = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        fails("SignatureDoesNotMatch", 403, message, both)


class FailureTests:
    def test_missing_authentication(self):
        request = SignedRequest("POST", "/", "", {"host": "iam.amazonaws.com"}, LIST_USERS)
        fails("MissingAuthenticationToken", 403, "Request is missing Authentication Token", request)

    def test_unsupported_algorithm(self, monkeypatch):
        request = with_header(sign(monkeypatch=monkeypatch), "Authorization", "AWS4-HMAC-SHA512 Credential=x")
        fails("IncompleteSignature", 400, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.", request)

    def test_a_component_without_equal_sign(self, monkeypatch):
        header = "AWS4-HMAC-SHA256 FooBar, BazBurp"
        request = with_header(sign(monkeypatch=monkeypatch), "Authorization", header)
        message = (
            f"'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'"
        )
        fails("IncompleteSignature", 400, message, request)

    @pytest.mark.parametrize("missing", ["Credential", "SignedHeaders", "Signature"])
    def test_each_missing_authorization_part_is_named(self, monkeypatch, missing):
        request = sign(monkeypatch=monkeypatch)
        parts = request.headers["authorization"].removeprefix("AWS4-HMAC-SHA256 ").split(", ")
        header = "AWS4-HMAC-SHA256 " + ", ".join(p for p in parts if not p.startswith(missing + "="))
        message = f"Authorization header requires '{missing}' parameter. Authorization={header}"
        fails("IncompleteSignature", 400, message, with_header(request, "Authorization", header))

    def test_missing_date(self, monkeypatch):
        request = with_header(sign(monkeypatch=monkeypatch), "X-Amz-Date", None)
        header = request.headers["authorization"]
        message = (
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            f"Authorization={header}"
        )
        fails("IncompleteSignature", 400, message, request)

    def test_everything_missing_is_named_at_once(self, monkeypatch):
        request = with_header(sign(monkeypatch=monkeypatch), "X-Amz-Date", None)
        request = with_header(request, "Authorization", "AWS4-HMAC-SHA256 Foo=Bar")
        message = (
            "Authorization header requires 'Credential' parameter. "
            "Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            "Authorization=AWS4-HMAC-SHA256 Foo=Bar"
        )
        fails("IncompleteSignature", 400, message, request)

    def test_malformed_date(self, monkeypatch):
        request = with_header(sign(monkeypatch=monkeypatch), "X-Amz-Date", "2026-11-28T12:00:00Z")
        message = (
            "Date must be in ISO-8601 'basic format'. Got '2026-11-28T12:00:00Z'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        )
        fails("IncompleteSignature", 400, message, request)

    def test_credential_without_five_parts(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        header = request.headers["authorization"].replace(f"{AKID}/20261128/us-east-1/iam/aws4_request", AKID)
        message = (
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{AKID}'"
        )
        fails("IncompleteSignature", 400, message, with_header(request, "Authorization", header))

    def test_wrong_secret(self, monkeypatch):
        fails("SignatureDoesNotMatch", 403, MISMATCH, sign(monkeypatch=monkeypatch), secret="x" * 40)

    def test_tampered_body(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        fails(
            "SignatureDoesNotMatch",
            403,
            MISMATCH,
            replace(request, body=b"Action=DeleteUser&Version=2010-05-08"),
        )

    def test_tampered_signed_header(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        fails("SignatureDoesNotMatch", 403, MISMATCH, with_header(request, "Content-Type", "text/plain"))
        fails("SignatureDoesNotMatch", 403, MISMATCH, with_header(request, "Host", "evil.example.com"))

    def test_tampered_method_path_and_query(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        fails("SignatureDoesNotMatch", 403, MISMATCH, replace(request, method="PUT"))
        fails("SignatureDoesNotMatch", 403, MISMATCH, replace(request, path="/other"))
        fails("SignatureDoesNotMatch", 403, MISMATCH, replace(request, query="Action=DeleteUser"))

    def test_host_must_be_signed(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        header = request.headers["authorization"].replace(
            "content-type;host;x-amz-date", "content-type;x-amz-date"
        )
        message = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        fails("SignatureDoesNotMatch", 403, message, with_header(request, "Authorization", header))

    @pytest.mark.parametrize("minutes", [15, -15, 14, -14, 0])
    def test_clock_skew_within_15_minutes_is_accepted(self, monkeypatch, minutes):
        check(sign(at=NOW + timedelta(minutes=minutes), monkeypatch=monkeypatch))

    def test_a_request_signed_more_than_15_minutes_ago_is_expired(self, monkeypatch):
        request = sign(at=NOW - timedelta(minutes=15, seconds=1), monkeypatch=monkeypatch)
        message = (
            "Signature expired: 20261128T114459Z is now earlier than 20261128T114500Z "
            "(20261128T120000Z - 15 min.)"
        )
        fails("RequestExpired", 400, message, request)

    def test_a_request_signed_more_than_15_minutes_ahead_is_not_yet_current(self, monkeypatch):
        request = sign(at=NOW + timedelta(minutes=15, seconds=1), monkeypatch=monkeypatch)
        message = (
            "Signature not yet current: 20261128T121501Z is still later than 20261128T121500Z "
            "(20261128T120000Z + 15 min.)"
        )
        fails("RequestExpired", 400, message, request)

    def test_wrong_service_in_scope(self, monkeypatch):
        request = sign(service="s3", monkeypatch=monkeypatch)
        fails("SignatureDoesNotMatch", 403, "Credential should be scoped to correct service: 'iam'.", request)

    def test_wrong_terminator_and_date_in_scope(self, monkeypatch):
        request = sign(monkeypatch=monkeypatch)
        header = request.headers["authorization"].replace(
            "20261128/us-east-1/iam/aws4_request", "20261127/us-east-1/iam/aws5_request"
        )
        message = (
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20261127' != '20261128', from '20261128T120000Z'."
        )
        fails("SignatureDoesNotMatch", 403, message, with_header(request, "Authorization", header))


class CanonicalFormTests:
    def test_canonical_request_is_botocores(self, monkeypatch):
        monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
        url = "https://iam.amazonaws.com/a b/./c/?b=2&a=%E2%9C%93&a=1&X-Custom=x%2Fy"
        request = AWSRequest(method="POST", url=url, data=LIST_USERS, headers={"Content-Type": FORM})
        signer = SigV4Auth(Credentials(AKID, SECRET), "iam", "us-east-1")
        signer.add_auth(request)
        ours = to_signed_request("POST", url, dict(request.headers), LIST_USERS)
        del request.headers["Authorization"]  # botocore's canonical request is computed before it is added
        parsed = parse_authorization(ours, now=NOW)
        assert sigv4.canonical_request(ours, parsed) == signer.canonical_request(request)

    def test_canonical_uri(self):
        assert sigv4.canonical_uri("") == "/"
        assert sigv4.canonical_uri("/") == "/"
        assert sigv4.canonical_uri("/a//b/../c/") == "/a/c/"
        assert sigv4.canonical_uri("/ü ~x") == "/%C3%BC%20~x"

    def test_canonical_query_string_sorts_and_encodes_rfc3986(self):
        assert sigv4.canonical_query_string("b=2&a=x+y&a=%41&c") == "a=A&a=x%20y&b=2&c="
        assert sigv4.canonical_query_string("X-Amz-Signature=abc&z=1", presigned=True) == "z=1"

    def test_signing_key_matches_awss_documented_example(self):
        # docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (the example key chain)
        key = sigv4.signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Credential("AKID", "20120215", "us-east-1", "iam")
        )
        assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


class RobustnessTests:
    @settings(max_examples=300, deadline=None)
    @given(
        authorization=st.one_of(
            st.text(),
            st.binary().map(lambda b: b.decode("latin-1")),
            st.builds(
                lambda cred, signed, sig: (
                    f"AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders={signed}, Signature={sig}"
                ),
                st.text(),
                st.text(),
                st.text(),
            ),
        ),
        query=st.one_of(
            st.text(),
            st.binary().map(lambda b: b.decode("latin-1")),
            st.lists(
                st.tuples(
                    st.sampled_from(
                        [*sigv4.PRESIGN_PARAMS, "X-Amz-Expires", "X-Amz-Security-Token", "Action"]
                    ),
                    st.text(),
                )
            ).map(lambda pairs: "&".join(f"{quote(k)}={quote(v, errors='surrogatepass')}" for k, v in pairs)),
        ),
        date=st.one_of(st.none(), st.text(), st.just("20261128T120000Z")),
        body=st.binary(max_size=64),
    )
    def test_arbitrary_input_raises_only_sigv4_error(self, authorization, query, date, body):
        headers = {"host": "iam.amazonaws.com", "authorization": authorization}
        if date is not None:
            headers["x-amz-date"] = date
        for request in (
            SignedRequest("POST", "/", query, headers, body),
            SignedRequest("GET", "/", query, {"host": "h"}, body),
        ):
            try:
                check(request)
            except SigV4Error as error:
                assert error.code in {
                    "MissingAuthenticationToken",
                    "IncompleteSignature",
                    "SignatureDoesNotMatch",
                    "RequestExpired",
                }
                assert error.http_status in {400, 403}


class AwsCliTests:
    """The aws CLI (its own vendored botocore) against a tiny server that verifies with accounts.sigv4."""

    @pytest.fixture
    def server(self):
        outcomes: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path, _, query = self.path.partition("?")
                request = SignedRequest("POST", unquote(path), query, dict(self.headers.items()), body)
                try:
                    parsed = parse_authorization(request)
                    verify(request, parsed, SECRET)
                except SigV4Error as error:
                    outcomes.append(error.code)
                    payload = (
                        f"<ErrorResponse><Error><Type>Sender</Type><Code>{error.code}</Code>"
                        f"<Message>{error.message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
                    ).encode()
                    self.send_response(error.http_status)
                else:
                    outcomes.append("ok:" + "/".join(sigv4.region_and_service(parsed)))
                    payload = LIST_USERS_XML
                    self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_port}", outcomes
        httpd.shutdown()
        httpd.server_close()

    def run_cli(self, endpoint: str, secret: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": AKID,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_MAX_ATTEMPTS": "1",
        }
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        aws = Path(sys.executable).parent / "aws"
        command = [str(aws), "iam", "list-users", "--endpoint-url", endpoint, "--region", "eu-west-1"]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    def test_the_cli_signature_verifies(self, server):
        endpoint, outcomes = server
        result = self.run_cli(endpoint, SECRET)
        assert result.returncode == 0, result.stderr
        assert outcomes == ["ok:eu-west-1/iam"]

    def test_the_cli_with_a_wrong_secret_gets_signature_does_not_match(self, server):
        endpoint, outcomes = server
        result = self.run_cli(endpoint, "x" * 40)
        assert result.returncode != 0
        assert "SignatureDoesNotMatch" in result.stderr
        assert outcomes == ["SignatureDoesNotMatch"]
