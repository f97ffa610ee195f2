"""The audit log exported as CloudTrail records (ExportAuditEvents, a portal extension; the console's
Activity page downloads it as JSON lines).

One CloudTrail record (eventVersion 1.08) per audit event, oldest first, read in chunks from one
database cursor so that memory stays flat however many events there are. Reading the log needs
cloudtrail:LookupEvents on "*", as the Activity page. Secrets never reach the audit log
(accounts/audit.py); parameters named like one are dropped here again all the same.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from ..audit import SECRET_PARAMETERS
from ..context import RequestContext
from ..models import AuditEvent, Role, User
from .audit import audit_events

CONTENT_TYPE = "application/x-ndjson"  # JSON lines
EVENT_VERSION = "1.08"
REGION = "us-east-1"  # IAM, STS and sign-in events are global: CloudTrail records them in us-east-1
CHUNK_SIZE = 2000  # rows per fetch from the cursor
# eventID: a UUID derived from the event's id, so that exporting twice gives the same ids.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c8a0e-3b7d-5c1e-9a2f-4d8e0b6c7a15")
SIGN_IN_SOURCE = "signin"
# Actions that only read (CloudTrail's readOnly); the log holds writes, and denials of anything.
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Lookup", "Simulate")
_FIELDS = (
    "pk",
    "time",
    "actor_arn",
    "access_key_id",
    "channel",
    "source_ip",
    "request_id",
    "action",
    "target_arn",
    "parameters",
    "outcome",
    "error_code",
    "error_message",
    "user_agent",
)
_ACTOR = re.compile(
    r"arn:aws:(?:iam::(?P<acct>\d{12}):(?:(?P<root>root)|user(?P<user_path>/(?:.*/)?)(?P<user>[^/]+))"
    r"|sts::(?P<sts_acct>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<session>.+))"
)


def export_audit_events(
    ctx: RequestContext,
    *,
    actor_arn: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, object]]:
    """The account's audit events as CloudTrail records, oldest first. Validates and authorizes at
    once (so that a refusal is an error response, not a broken stream), then yields lazily.

    Filters (None or "" = no filter), as the Activity page's: actor_arn: the actor ARN *contains*
    this, case-insensitively; action: "iam:CreateUser" exactly, or an eventName ("CreateUser") of
    any service, case-insensitively; outcome: success, failed or denied; channel: console, query,
    rest, internal; since (inclusive) / until (exclusive): aware datetimes.
    """
    events = audit_events(
        ctx, actor_arn=actor_arn, action=action, outcome=outcome, channel=channel, since=since, until=until
    )
    rows = events.order_by("time", "pk").values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    return _records(ctx, rows)


def _records(ctx: RequestContext, rows: Iterator[tuple]) -> Iterator[dict[str, object]]:
    # The identities' unique ids: two queries when the export starts, bounded by the quotas of
    # users and roles, not by the number of events. With their creation times: an event older than
    # the entity of that name was another (deleted) entity's, whose id is gone.
    account_id = ctx.account.account_id
    user_ids = {
        name: (user_id, created)
        for name, user_id, created in User.objects.filter(account=ctx.account, is_root=False).values_list(
            "user_name", "user_id", "created"
        )
    }
    roles = {
        name: (role_id, path, created)
        for name, role_id, path, created in Role.objects.filter(account=ctx.account).values_list(
            "role_name", "role_id", "path", "created"
        )
    }
    for row in rows:
        yield cloudtrail_record(dict(zip(_FIELDS, row, strict=True)), account_id, user_ids, roles)


def cloudtrail_record(
    event: dict[str, object],
    account_id: str,
    user_ids: dict[str, tuple[str, datetime]],
    roles: dict[str, tuple[str, str, datetime]],
) -> dict[str, object]:
    """One audit event (its _FIELDS) as a CloudTrail record."""
    action = str(event["action"])
    source, _, name = action.partition(":")
    sign_in = source == SIGN_IN_SOURCE
    parameters = {
        _camel(k): v for k, v in dict(event["parameters"] or {}).items() if k not in SECRET_PARAMETERS
    }
    record: dict[str, object] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": _identity(event, account_id, user_ids, roles),
        "eventTime": _time(event["time"]),  # type: ignore[arg-type]
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name or action,
        "awsRegion": REGION,
        "sourceIPAddress": event["source_ip"] or "AWS Internal",
        "requestParameters": parameters or None,
        "responseElements": None,
    }
    if event["user_agent"]:
        record["userAgent"] = event["user_agent"]
    outcome, code = event["outcome"], event["error_code"]
    if sign_in and name == "ConsoleLogin":
        # CloudTrail's sign-in records answer Success or Failure in responseElements.
        record["responseElements"] = {
            "ConsoleLogin": "Success" if outcome == AuditEvent.SUCCESS else "Failure"
        }
    if outcome == AuditEvent.DENIED:
        record["errorCode"] = code or "AccessDenied"
        # The message the caller was given; events from before it was kept get AWS's sentence.
        resource = event["target_arn"] or "*"
        record["errorMessage"] = event["error_message"] or (
            f"User: {event['actor_arn']} is not authorized to perform: {action} on resource: {resource}"
        )
    elif outcome == AuditEvent.FAILED:
        record["errorCode"] = code or "ServiceFailure"
        if event["error_message"]:
            record["errorMessage"] = event["error_message"]
    record.update(
        {
            "requestID": event["request_id"] or None,
            "eventID": str(uuid.uuid5(EVENT_ID_NAMESPACE, str(event["pk"]))),
            "readOnly": name.startswith(READ_ONLY_PREFIXES),
            "eventType": "AwsConsoleSignIn" if sign_in else "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account_id,
            "eventCategory": "Management",
        }
    )
    if event["target_arn"]:
        # CloudTrail's resources element: the ARN acted on.
        record["resources"] = [{"ARN": event["target_arn"], "accountId": _account_of(event["target_arn"])}]
    return record


def _identity(
    event: dict[str, object],
    account_id: str,
    user_ids: dict[str, tuple[str, datetime]],
    roles: dict[str, tuple[str, str, datetime]],
) -> dict[str, object]:
    """CloudTrail's userIdentity: Root, IAMUser or AssumedRole (with its sessionContext); Unknown
    for anything else (a sign-in attempt as a user name that does not exist)."""
    arn = str(event["actor_arn"])
    key = event["access_key_id"] or None
    match = _ACTOR.fullmatch(arn)
    identity: dict[str, object]
    if match is None:
        identity = {"type": "Unknown", "principalId": "", "arn": arn, "accountId": account_id}
    elif match["root"]:
        identity = {"type": "Root", "principalId": match["acct"], "arn": arn, "accountId": match["acct"]}
    elif match["user"]:
        user_id, created = (
            user_ids.get(match["user"], ("", None)) if match["acct"] == account_id else ("", None)
        )
        identity = {
            "type": "IAMUser",
            "principalId": user_id if created is not None and created <= event["time"] else "",
            "arn": arn,
            "accountId": match["acct"],
            "userName": match["user"],
        }
    else:
        acct, role_name, session = match["sts_acct"], match["role"], match["session"]
        role_id, path, created = (
            roles.get(role_name, ("", "/", None)) if acct == account_id else ("", "/", None)
        )
        if created is None or event["time"] < created:  # another role of that name, deleted since
            role_id = ""
        identity = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}" if role_id else "",
            "arn": arn,
            "accountId": acct,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{acct}:role{path}{role_name}",
                    "accountId": acct,
                    "userName": role_name,
                }
            },
        }
    if key:
        identity["accessKeyId"] = key
    return identity


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=1024)  # a few dozen parameter names, millions of events
def _camel(name: str) -> str:
    """A snake_case parameter as CloudTrail's requestParameters name it (user_name → userName)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def json_lines(records: Iterator[dict[str, object]]) -> Iterator[bytes]:
    """Each record as one line of compact JSON (JSON lines, CONTENT_TYPE)."""
    for record in records:
        yield json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
