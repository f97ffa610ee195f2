"""Audit log reads (the console's Activity pages; AWS's equivalent is CloudTrail LookupEvents).

Only the caller's account's events, newest first, in a constant number of queries whatever the
number of events. Reading the log needs cloudtrail:LookupEvents on "*" (CloudTrail has no resource
type for events): the root user may, an IAM user needs a policy that allows it.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from iam_portal.errors import NoSuchEntityError, validation_error
from iam_portal.pagination import Page, paginate_newest_first

from ..authz import authorize
from ..context import RequestContext
from ..models import AuditEvent

LOOKUP_EVENTS = "cloudtrail:LookupEvents"
OUTCOMES = (AuditEvent.SUCCESS, AuditEvent.FAILED, AuditEvent.DENIED)


def audit_events(
    ctx: RequestContext,
    *,
    actor_arn: str | None = None,
    target_arn: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    channel: str | None = None,
    involving_arn: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The account's audit events that pass the filters (checked, and the caller authorized, first).

    Filters (None or "" = no filter):
    - actor_arn: events whose actor ARN *contains* this text, case-insensitively (so
      "user/alice" also matches "user/alice2"; pass the full ARN and check `event.actor_arn` if
      you need one principal exactly);
    - target_arn: events whose target ARN *is* this ARN (case-insensitively: IAM names are);
    - action: the action as audited ("iam:CreateUser"), or an eventName of any service
      ("CreateUser"), case-insensitively;
    - involving_arn: events whose actor *or* target is exactly this ARN, case-insensitively (a
      user's Activity tab: what the user did and what was done to it);
    - outcome: "success", "failed" or "denied"; channel: "console", "query", "rest", …;
    - since (inclusive) / until (exclusive): aware datetimes bounding the event time.
    """
    if outcome and outcome not in OUTCOMES:
        raise validation_error(outcome, "outcome", "satisfy enum value set: [success, failed, denied]")
    authorize(ctx, LOOKUP_EVENTS, "*")
    events = AuditEvent.objects.filter(account=ctx.account)
    if actor_arn:
        events = events.filter(actor_arn__icontains=actor_arn)
    if target_arn:
        events = events.filter(target_arn__iexact=target_arn)
    if involving_arn:
        events = events.filter(Q(actor_arn__iexact=involving_arn) | Q(target_arn__iexact=involving_arn))
    if action:
        events = events.filter(
            Q(action__iexact=action) if ":" in action else Q(action__iendswith=f":{action}")
        )
    if outcome:
        events = events.filter(outcome=outcome)
    if channel:
        events = events.filter(channel=channel)
    if since is not None:
        events = events.filter(time__gte=since)
    if until is not None:
        events = events.filter(time__lt=until)
    return events


def list_audit_events(
    ctx: RequestContext, *, marker: str | None = None, max_items: int | None = None, **filters: object
) -> Page[AuditEvent]:
    """The account's audit events (filtered as audit_events says), newest first; one query per page.
    The marker is a cursor: events recorded while a caller pages through never make a page repeat or
    skip one."""
    return paginate_newest_first(audit_events(ctx, **filters), marker, max_items)  # type: ignore[arg-type]


def get_audit_event(ctx: RequestContext, *, event_id: int) -> AuditEvent:
    """One audit event of the caller's account (NoSuchEntity if it is not there or another account's)."""
    authorize(ctx, LOOKUP_EVENTS, "*")
    event = AuditEvent.objects.filter(account=ctx.account, pk=event_id).first()
    if event is None:
        # Another account's event is reported exactly like a missing one: its existence is not shown.
        raise NoSuchEntityError(f"The audit event with id {event_id} cannot be found.")
    return event
