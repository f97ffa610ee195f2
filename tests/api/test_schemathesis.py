"""Schemathesis against the live REST API (issue 8): every operation of the schema the live server
serves is fuzzed with SigV4-signed requests of an account's root user, one operation at a time
(positive and negative cases) and in stateful sequences linked by their data. No answer may be a 5xx,
have a status, content type or body the schema does not document, or accept input the schema says is
invalid (negative cases). Bounded and deterministic: a fixed number of examples, derandomized.

A failure lists every finding as `<operationId> (<mode>): <Schemathesis' report>`, each with the
curl command that reproduces it (the signature filtered out: sign it again to replay)."""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from urllib.parse import quote, unquote_to_bytes, urlsplit, urlunsplit

import hypothesis
import pytest
import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import AccessKey
from accounts.services import access_keys
from policies.models import ManagedPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
# Not used: ensure_resource_availability and use_after_free read every link from a created entity to a
# sub-resource as "must exist" (a new user has no login profile: 404 is right) and every DELETE on a
# collection URL as deleting it (DELETE …/tags/?tag_keys=k removes a tag; GET …/tags/ still lists);
# ignored_auth is replaced by an unsigned probe of every operation (Tally.unsigned), which a signing
# session cannot send.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
UNRESERVED = "-_.~"  # RFC 3986 unreserved characters besides letters and digits: SigV4 leaves them as is
EXAMPLES = 15  # per operation and generation mode: bounded so that CI stays fast
STATEFUL_SCENARIOS, STATEFUL_STEPS = 50, 10
MIN_STATEFUL_SUCCESSES = 12  # distinct operations answering 2xx in the stateful run (about 20 do)


@pytest.fixture(autouse=True)
def aws_managed_policies(transactional_db):
    """transaction=True tests flush the database, migration data included: load the AWS policies again."""
    if not ManagedPolicy.objects.filter(arn=ADMIN_ACCESS).exists():
        from django.apps import apps

        from policies import managed

        managed.sync(apps, None)


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Thousands of requests from one key: the rate limit would answer most with 429 (documented, so
    conformant, but then nothing behind it would be exercised)."""
    settings.IAM_PORTAL_API_RATE = "1000000/min"


@pytest.fixture
def server(live_server) -> Iterator[object]:
    """The live server; its request threads are waited for at teardown (as tests/query_api does)."""
    yield live_server
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


class RootSigV4(requests.auth.AuthBase):
    """Signs each request with an access key of the account's root user, as botocore's SigV4Auth does.

    The path and query are first written in SigV4's canonical form (every byte but the unreserved ones
    percent-encoded, the query sorted): the same request, but one whose signature does not depend on
    how a client chose to encode it. Fuzzing may deactivate or delete the very key it signs with
    (UpdateCallerAccessKey, DeleteCallerAccessKey with an id from ListCallerAccessKeys): the key is then
    restored through the services first, so later requests still reach the operation under test.
    """

    def __init__(self, root) -> None:
        self.use(root)

    def use(self, root) -> None:
        """Sign as this root user from now on, with a new access key."""
        self.ctx = f.root_context(root)
        issued = access_keys.create_access_key(self.ctx)
        self.access_key_id, self.secret = issued.access_key.access_key_id, issued.secret_access_key

    def _restore_key(self) -> None:
        """Make the signing key usable again if a fuzzed request deactivated or deleted it."""
        key = AccessKey.objects.filter(access_key_id=self.access_key_id).first()
        if key is not None and key.status == "Active":
            return
        if key is not None:
            access_keys.update_access_key(self.ctx, access_key_id=self.access_key_id, status="Active")
            return
        for other in AccessKey.objects.filter(user=self.ctx.caller):  # at most 2 keys per user
            access_keys.delete_access_key(self.ctx, access_key_id=other.access_key_id)
        issued = access_keys.create_access_key(self.ctx)
        self.access_key_id, self.secret = issued.access_key.access_key_id, issued.secret_access_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self._restore_key()
        parts = urlsplit(request.url)
        path = quote(unquote_to_bytes(parts.path), safe="/" + UNRESERVED)
        pairs = []
        for pair in filter(None, parts.query.split("&")):
            name, _, value = pair.partition("=")
            pairs.append(
                tuple(quote(unquote_to_bytes(p.replace("+", " ")), safe=UNRESERVED) for p in (name, value))
            )
        query = "&".join(f"{name}={value}" for name, value in sorted(pairs))
        request.url = urlunsplit((parts.scheme, parts.netloc, path, query, ""))
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        headers = (
            {"Content-Type": request.headers["Content-Type"]} if "Content-Type" in request.headers else {}
        )
        aws = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        SigV4Auth(Credentials(self.access_key_id, self.secret), "iam", "us-east-1").add_auth(aws)
        for name in ("Authorization", "X-Amz-Date"):
            request.headers[name] = aws.headers[name]
        return request


@pytest.fixture
def signed_session(root) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = RootSigV4(root)
    session.headers["Connection"] = "close"  # one request per connection: no keep-alive thread lingers
    yield session
    session.close()


# Random strings are never valid policy documents or ARNs of existing policies: with these, positive
# cases also reach the success paths behind them (CreatePolicy, PutUserPolicy, CreateRole,
# AttachUserPolicy, SimulateCustomPolicy, ...). Negative cases never use them (they match the schema).
IDENTITY_DOCUMENTS = [
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]},
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadOwnUser", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
             "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
        ],
    },
]  # fmt: skip
TRUST_DOCUMENTS = [
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
]
MANAGED_POLICY_ARNS = [
    ADMIN_ACCESS,
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
]
SEEDS = {
    "documents": [json.dumps(doc) for doc in IDENTITY_DOCUMENTS],
    "trust-documents": [json.dumps(doc) for doc in TRUST_DOCUMENTS],
    "policy-arns": MANAGED_POLICY_ARNS,
}
SEEDED = {
    "body.policy_document": "documents",
    "body.assume_role_policy_document": "trust-documents",
    "body.policy_input_list[*]": "documents",
    "body.permissions_boundary_policy_input_list[*]": "documents",
    "body.policy_arn": "policy-arns",
    "body.permissions_boundary": "policy-arns",
    "query.policy_arn": "policy-arns",
}


@pytest.fixture
def api_schema(server):
    """The schema the live server serves, as Schemathesis loads it: no generated credentials (every
    request is signed), and the seeds above for half the positive cases' documents and ARNs."""
    config = schemathesis.Config.from_dict(
        {
            "generation": {"with-security-parameters": False},
            "dictionaries": {name: {"values": values} for name, values in SEEDS.items()},
            "parameters": {key: {"dictionary": name, "probability": 0.5} for key, name in SEEDED.items()},
            "operations": [  # UpdateAssumeRolePolicy's policy_document is a trust policy
                {
                    "include-operation-id": "UpdateAssumeRolePolicy",
                    "parameters": {
                        "body.policy_document": {"dictionary": "trust-documents", "probability": 0.5}
                    },
                }
            ],
        }
    )
    return schemathesis.openapi.from_url(f"{server.url}/api/schema/?format=json", config=config)


def documented_operations(raw: dict) -> list[str]:
    return [op["operationId"] for item in raw["paths"].values() for op in item.values()]


SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples every run
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a finding is reported as generated
    suppress_health_check=list(HealthCheck),
)


class Tally:
    """The answers each operation gave, so that a run that exercised nothing cannot pass: the root
    user is never denied, so any 403 is a failed signature (a bug of the signer or the server)."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.forbidden: list[str] = []
        self.unsigned: dict[str, tuple[int, str]] = {}  # operation -> answer to one unsigned request

    def record(self, case, response) -> None:
        self.statuses[case.operation.definition.raw["operationId"]][response.status_code] += 1
        if response.status_code == 403:
            request = response.request
            self.forbidden.append(f"{request.method} {request.url}: {response.text[:300]}")

    def probe_unsigned(self, case, base_url: str) -> None:
        """Send the case once without any credentials: every operation must refuse it."""
        name = case.operation.definition.raw["operationId"]
        if name not in self.unsigned:
            with requests.Session() as plain:
                response = case.call(base_url=base_url, session=plain, headers={"Connection": "close"})
            code = response.json()["error"]["code"] if response.status_code == 403 else response.text[:200]
            self.unsigned[name] = (response.status_code, code)

    def succeeded(self) -> set[str]:
        """Operations that answered 2xx at least once."""
        return {name for name, counts in self.statuses.items() if any(200 <= s < 300 for s in counts)}


def has_inputs(operation) -> bool:
    """Whether there is anything to make invalid (negative mode needs a parameter or a body)."""
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


def fuzz(operation, mode: GenerationMode, session: requests.Session, base_url: str, tally: Tally) -> None:
    """EXAMPLES generated requests of one operation, each checked (raises on the first finding)."""
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
    transport = {"base_url": base_url, "session": session}

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        tally.probe_unsigned(case, base_url)
        response = case.call(**transport)
        tally.record(case, response)
        case.validate_response(response, checks=checks, transport_kwargs=transport)

    run()


def test_every_operation_answers_as_documented(api_schema, signed_session, server):
    """Each operation of the schema, positive and negative cases: every finding of every operation is
    reported at once (as `<operationId> (<mode>): <Schemathesis' report with a curl command>`)."""
    tally = Tally()
    findings: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()  # an operation Schemathesis cannot load fails the test here
        name = operation.definition.raw["operationId"]
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_inputs(operation) else [])
        for mode in modes:
            try:
                fuzz(operation, mode, signed_session, server.url, tally)
            except (Exception, BaseExceptionGroup) as failure:  # all findings, not just the first
                findings.append(f"{name} ({mode.value}): {failure}")
    documented = documented_operations(api_schema.raw_schema)
    assert len(set(documented)) == len(documented)  # operation ids are unique: each one is counted
    assert set(tally.statuses) == set(documented)  # every operation of the schema was exercised
    assert not tally.forbidden, "\n".join(tally.forbidden)
    refused = dict.fromkeys(documented, (403, "MissingAuthenticationToken"))
    assert tally.unsigned == refused  # no operation answers a request without credentials
    assert not findings, "\n\n".join(findings)


def test_sequences_of_operations_answer_as_documented(api_schema, signed_session, server):
    """Stateful: Schemathesis links operations by their data (CreateGroup's group_name feeds GetGroup,
    PutGroupPolicy, AddUserToGroup, ...) and runs sequences of them, so that the success paths behind
    a created entity are checked too."""
    tally = Tally()
    machine = api_schema.as_state_machine()

    class Signed(machine):
        def setup(self) -> None:
            # Each scenario starts in a new, empty account: the answers to a sequence of requests (and
            # so what Hypothesis draws next) are the same however often it is replayed.
            signed_session.auth.use(f.root_user())

        def get_call_kwargs(self, case) -> dict:
            return {"base_url": server.url, "session": signed_session}

        def after_call(self, response, case) -> None:
            super().after_call(response, case)
            tally.record(case, response)

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder)

    Signed.run(
        settings=hypothesis.settings(
            SETTINGS,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            phases=[Phase.generate],
        )
    )
    assert not tally.forbidden, "\n".join(tally.forbidden)
    # Sequences reach success paths that single requests with random names cannot. (Which creations
    # succeed depends on what Hypothesis draws for this schema: CreateRole needs a seeded trust policy
    # AND valid other members, and some schemas' draws never give both in 50 scenarios, so only the
    # two creations every draw so far has reached are required.)
    assert {"CreateUser", "CreateGroup"} <= tally.succeeded(), sorted(tally.succeeded())
    assert len(tally.succeeded()) >= MIN_STATEFUL_SUCCESSES, sorted(tally.succeeded())
