"""Access advisor, the reads: GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities,
and the console's Access Advisor tab (the same report, computed for the page and not stored).

What "last accessed" means here: the last attempt, successful, failed or denied, that the audit log
holds within the tracking period (AWS: at least the last 400 days). The audit log records every write
and every denial but not successful reads, so a service used only by reads shows as not accessed.
The report is computed with a constant number of queries whatever the audit log's size: one GROUP BY
in the database gives max(time) per (actor, action); the rest is per policy and per entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from iam_portal.errors import InvalidInputError, NoSuchEntityError, validation_error
from iam_portal.pagination import Page, paginate
from policies.engine import Policy, parse_policy
from policies.engine.catalog import ACTIONS
from policies.engine.matching import Matcher, compile_string_like, has_wildcard, pattern
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    ManagedPolicy,
    PolicyVersion,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)
from policies.selectors import entity_by_arn

from .. import arns
from ..authz import authorize
from ..context import RequestContext
from ..models import Account, AuditEvent, Group, GroupMembership, Role, ServiceLastAccessedJob, User

GENERATE = "iam:GenerateServiceLastAccessedDetails"
GET = "iam:GetServiceLastAccessedDetails"
GET_WITH_ENTITIES = "iam:GetServiceLastAccessedDetailsWithEntities"

# AWS: "IAM reports activity for at least the last 400 days".
TRACKING_PERIOD = timedelta(days=400)
# AWS does not say how long a JobId stays readable; the portal keeps a job this long, then the job is
# gone (NoSuchEntity) and is deleted by the next GenerateServiceLastAccessedDetails of the account.
# A requester's newer job for the same entity and granularity replaces an older one sooner
# (accounts/services/access_advisor.py).
JOB_LIFETIME = timedelta(days=7)
REGION = "us-east-1"  # the portal has one region; AWS's IAM is global and reports this one
GRANULARITIES = (ServiceLastAccessedJob.SERVICE_LEVEL, ServiceLastAccessedJob.ACTION_LEVEL)
# The actions whose every attempt the audit log records (writes of every access level but Read and
# List): the portal's "tracked actions", as AWS tracks management actions.
TRACKED_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})
SERVICE_NAMES = {
    "iam": "AWS Identity and Access Management",
    "sts": "AWS Security Token Service",
    "cloudtrail": "AWS CloudTrail",
    "s3": "Amazon S3",
    "ec2": "Amazon EC2",
    "lambda": "AWS Lambda",
    "dynamodb": "Amazon DynamoDB",
    "kms": "AWS Key Management Service",
    "sns": "Amazon SNS",
    "sqs": "Amazon SQS",
    "logs": "Amazon CloudWatch Logs",
    "cloudwatch": "Amazon CloudWatch",
    "organizations": "AWS Organizations",
}

ARN_MIN, ARN_MAX = 20, 2048  # arnType
JOB_ID_LENGTH = 36  # jobIDType
NAMESPACE = re.compile(r"[\w-]{1,64}", re.ASCII)  # serviceNamespaceType
_POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):policy(/(?:.*/)?)([^/]+)")
_SESSION_ARN = re.compile(r"arn:aws:sts::\d{12}:assumed-role/([^/]+)/.+")
USER, ROLE, GROUP = "USER", "ROLE", "GROUP"


# --- Shapes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedActionLastAccessed:
    action_name: str
    last_accessed_time: datetime | None = None
    last_accessed_entity: str | None = None
    last_accessed_region: str | None = None


@dataclass(frozen=True)
class ServiceLastAccessed:
    """One allowed service: its last attempt (None when not accessed in the tracking period)."""

    service_name: str
    service_namespace: str
    last_authenticated: datetime | None = None
    last_authenticated_entity: str | None = None
    last_authenticated_region: str | None = None
    total_authenticated_entities: int = 0
    tracked_actions_last_accessed: list[TrackedActionLastAccessed] | None = None  # ACTION_LEVEL only

    @property
    def unused(self) -> bool:
        return self.last_authenticated is None


@dataclass(frozen=True)
class EntityDetails:
    """EntityDetails: EntityInfo (arn, name, type USER|ROLE, id, path) and LastAuthenticated."""

    arn: str
    name: str
    type: str
    id: str
    path: str
    last_authenticated: datetime | None = None


@dataclass(frozen=True)
class ServiceLastAccessedReport:
    """GetServiceLastAccessedDetails: the job and one page of ServicesLastAccessed."""

    job_id: str
    job_status: str
    job_type: str
    job_creation_date: datetime
    job_completion_date: datetime | None
    services: Page[ServiceLastAccessed]


@dataclass(frozen=True)
class EntitiesReport:
    """GetServiceLastAccessedDetailsWithEntities: the job and one page of EntityDetailsList."""

    job_id: str
    job_status: str
    job_creation_date: datetime
    job_completion_date: datetime | None
    entities: Page[EntityDetails]


@dataclass(frozen=True)
class Preview:
    """The console's tab: every allowed service, unused ones first flagged, nothing stored."""

    entity_arn: str
    generated: datetime
    services: list[ServiceLastAccessed]
    usage: Usage | None = None

    @property
    def unused(self) -> list[ServiceLastAccessed]:
        return [s for s in self.services if s.unused]

    def entities(self, namespace: str) -> list[EntityDetails]:
        """One allowed service's EntityDetailsList, as GetServiceLastAccessedDetailsWithEntities."""
        return self.usage.entity_details(namespace) if self.usage else []


# --- The subject: what is reported on ----------------------------------------------------------------


@dataclass(frozen=True)
class _Actor:
    """A user or role whose attempts count (a role's through its sessions' ARNs) since its creation."""

    arn: str
    name: str
    type: str
    id: str
    path: str
    created: datetime


@dataclass(frozen=True)
class Subject:
    """A user, group, role or managed policy: its ARN, its policy documents and its actors."""

    arn: str
    kind: str  # "user" | "group" | "role" | "policy"
    documents: list[str]
    actors: list[_Actor]


def check_arn(value: object) -> str:
    """The Arn member: a string of arnType's length."""
    if not isinstance(value, str) or not value:
        raise validation_error(value, "arn", "not be null")
    if not ARN_MIN <= len(value) <= ARN_MAX:
        raise validation_error(value, "arn", f"have length between {ARN_MIN} and {ARN_MAX}")
    return value


def check_granularity(value: object) -> str:
    """Granularity: SERVICE_LEVEL (the default) or ACTION_LEVEL."""
    if value is None:
        return ServiceLastAccessedJob.SERVICE_LEVEL
    if value not in GRANULARITIES:
        raise validation_error(value, "granularity", f"satisfy enum value set: [{', '.join(GRANULARITIES)}]")
    return value  # type: ignore[return-value]


def _user_actor(user: User) -> _Actor:
    return _Actor(user.arn, user.user_name, USER, user.user_id, user.path, user.created)


def _role_actor(role: Role) -> _Actor:
    return _Actor(role.arn, role.role_name, ROLE, role.role_id, role.path, role.created)


def _default_documents(attached_to: Q) -> list[str]:
    """The default versions of the policies `attached_to` selects: a `policy__in` subquery each, so
    that no join repeats a version and no DISTINCT is needed (PostgreSQL plans OR'd joins through
    attachments and memberships as LEFT JOINs over the account's attachments plus DISTINCT: a user's
    subject at 5,000 users took 88 ms so, 2.7 ms with the subqueries)."""
    rows = PolicyVersion.objects.filter(attached_to, is_default=True)
    return list(rows.values_list("document", flat=True))


def subject_for(account: Account, arn: str) -> Subject:
    """The entity an Arn names in the account, with its permissions policies (NoSuchEntity, or
    InvalidInput for an ARN that names no user, group, role or managed policy). Boundaries are not
    read: AWS's report "only applies permissions policy logic"."""
    found = entity_by_arn(account, arn)
    if found is not None:
        entity, kind = found
        return {"user": _user_subject, "group": _group_subject, "role": _role_subject}[kind](entity)
    found = _POLICY_ARN.fullmatch(arn)
    if found is not None:
        return _policy_subject(account, arn, found.group(1))
    raise InvalidInputError(f"ARN {arn} is not valid.")


def _user_subject(user: User) -> Subject:
    documents = list(UserPolicy.objects.filter(user=user).values_list("document", flat=True))
    documents += GroupPolicy.objects.filter(group__memberships__user=user).values_list("document", flat=True)
    documents += _default_documents(
        Q(policy__in=UserPolicyAttachment.objects.filter(user=user).values("policy"))
        | Q(policy__in=GroupPolicyAttachment.objects.filter(group__memberships__user=user).values("policy"))
    )
    return Subject(user.arn, "user", documents, [_user_actor(user)])


def _group_subject(group: Group) -> Subject:
    documents = list(GroupPolicy.objects.filter(group=group).values_list("document", flat=True))
    documents += _default_documents(
        Q(policy__in=GroupPolicyAttachment.objects.filter(group=group).values("policy"))
    )
    members = User.objects.filter(memberships__group=group).order_by("user_name", "pk")
    actors = []
    for user in members:
        user.account = group.account  # the ARN needs the account id: no query per member
        actors.append(_user_actor(user))
    return Subject(group.arn, "group", documents, actors)


def _role_subject(role: Role) -> Subject:
    documents = list(RolePolicy.objects.filter(role=role).values_list("document", flat=True))
    documents += _default_documents(
        Q(policy__in=RolePolicyAttachment.objects.filter(role=role).values("policy"))
    )
    return Subject(role.arn, "role", documents, [_role_actor(role)])


def _policy_subject(account: Account, arn: str, owner: str) -> Subject:
    """A customer managed policy of the account or an AWS managed policy; its actors are the users
    and roles it is attached to, directly or (users) through a group."""
    missing = NoSuchEntityError(f"Policy {arn} does not exist or is not attachable.")
    if owner not in ("aws", account.account_id):
        raise missing
    policy = ManagedPolicy.objects.filter(Q(account=account) | Q(account__isnull=True), arn=arn).first()
    if policy is None:
        raise missing
    documents = list(
        PolicyVersion.objects.filter(policy=policy, is_default=True).values_list("document", flat=True)
    )
    # Subqueries, not OR'd joins plus DISTINCT (see _default_documents): each user once, as is.
    direct = UserPolicyAttachment.objects.filter(policy=policy).values("user")
    through_groups = GroupMembership.objects.filter(group__policy_attachments__policy=policy).values("user")
    users = (
        User.objects.filter(account=account, is_root=False)
        .filter(Q(pk__in=direct) | Q(pk__in=through_groups))
        .order_by("user_name", "pk")
    )
    roles = Role.objects.filter(account=account, policy_attachments__policy=policy).order_by(
        "role_name", "pk"
    )
    actors = []
    for entity in [*users, *roles]:
        entity.account = account  # no query per entity for the ARN
        actors.append(_user_actor(entity) if isinstance(entity, User) else _role_actor(entity))
    return Subject(arn, "policy", documents, actors)


# --- Allowed services --------------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _compiled(document: str) -> Policy:
    return parse_policy(document, kind="identity")  # stored documents were validated when written


@lru_cache(maxsize=4096)
def _matcher(text: str) -> Matcher:
    """A wildcard pattern over lower-cased action names or namespaces."""
    return compile_string_like(pattern(text.lower()))


def allowed_services(documents: Iterable[str]) -> dict[str, set[str] | None]:
    """namespace -> the catalogued actions (iam, sts) its Allow statements allow, or None for a service
    outside the catalogue (named, but its actions unknown). "*" is every catalogued service; Deny
    statements and conditions are not weighed, as AWS lists what the permissions policies allow."""
    out: dict[str, set[str] | None] = {}

    def add(namespace: str, names: Iterable[str] | None) -> None:
        if names is None:
            out.setdefault(namespace, None)
            return
        names = set(names)
        if not names:
            return
        known = out.get(namespace)
        out[namespace] = names if known is None else known | names

    for document in documents:
        for statement in _compiled(document).statements:
            if statement.effect != "Allow":
                continue
            if statement.not_action:
                for namespace, actions in ACTIONS.items():
                    add(
                        namespace,
                        (a for a in actions if not statement.matches_action(f"{namespace}:{a}".lower())),
                    )
                continue
            for text in statement.action_patterns:
                prefix, _, name = text.partition(":")
                if text == "*":
                    prefix, name = "*", "*"
                if has_wildcard(prefix) or prefix.lower() in ACTIONS:
                    match_prefix, match_name = _matcher(prefix), _matcher(name)
                    for namespace, actions in ACTIONS.items():
                        if match_prefix(namespace):
                            add(namespace, (a for a in actions if match_name(a.lower())))
                elif prefix:
                    add(prefix.lower(), None)
    return out


# --- The report --------------------------------------------------------------------------------------


def _actor_key(subject: Subject) -> tuple[dict[str, _Actor], dict[str, _Actor]]:
    """(exact actor ARN -> user, role name -> role): a role acts through its sessions."""
    users = {a.arn: a for a in subject.actors if a.type == USER}
    roles = {a.name: a for a in subject.actors if a.type == ROLE}
    return users, roles


def last_attempts(account: Account, subject: Subject, now: datetime) -> dict[tuple[str, str], datetime]:
    """(actor ARN, action) -> the last attempt within the tracking period and since the actor was
    created: ONE query, grouped in the database, however many audit events there are. Role sessions
    count for their role."""
    users, roles = _actor_key(subject)
    if not users and not roles:
        return {}
    who = Q(actor_arn__in=list(users)) if users else Q()
    for name in roles:
        session = Q(actor_arn__startswith=arns.assumed_role(account.account_id, name, ""))
        who = who | session if who else session
    rows = (
        AuditEvent.objects.filter(who, account=account, time__gte=now - TRACKING_PERIOD, time__lte=now)
        .values("actor_arn", "action")
        .annotate(last=Max("time"))
        .order_by()  # no default ordering: it would join the GROUP BY
    )
    out: dict[tuple[str, str], datetime] = {}
    for row in rows:
        actor = users.get(row["actor_arn"])
        if actor is None:
            session = _SESSION_ARN.fullmatch(row["actor_arn"])
            actor = roles.get(session.group(1)) if session else None
        # A user or role deleted and created again under its name has the same ARN (and its sessions
        # the same prefix): the old one's attempts are not the new one's. The group's maximum is the
        # last attempt, so when it predates the creation there is none since (as role_usage.py).
        if actor is None or row["last"] < actor.created:
            continue
        key = (actor.arn, row["action"].lower())
        if key not in out or row["last"] > out[key]:
            out[key] = row["last"]
    return out


def _service_name(namespace: str) -> str:
    return SERVICE_NAMES.get(namespace, namespace)


@dataclass(frozen=True)
class Usage:
    """Per allowed namespace, the actors that made attempts and their last one; the subject's other
    actors made none. Kept so, not as one EntityDetailsList per namespace: a group of 5,000 members
    allowed 600 services would otherwise hold 3,000,000 entries."""

    actors: list[_Actor]
    seen: dict[str, dict[str, datetime]]  # namespace -> actor ARN -> last attempt

    def entity_details(self, namespace: str) -> list[EntityDetails]:
        """GetServiceLastAccessedDetailsWithEntities' EntityDetailsList for one namespace: none for a
        service the report does not list."""
        seen = self.seen.get(namespace)
        if seen is None:
            return []
        return _ordered(
            [EntityDetails(a.arn, a.name, a.type, a.id, a.path, seen.get(a.arn)) for a in self.actors]
        )


def _ordered(details: list[EntityDetails]) -> list[EntityDetails]:
    """Most recent first (AWS's order), then never-accessed ones by name (stable: then as listed)."""
    return sorted(
        details,
        key=lambda d: (
            d.last_authenticated is None,
            -d.last_authenticated.timestamp() if d.last_authenticated else 0.0,
            d.name,
        ),
    )


def build_report(
    account: Account, subject: Subject, granularity: str, now: datetime
) -> tuple[list[ServiceLastAccessed], Usage]:
    """The services the subject's policies allow, by namespace, each with its last attempt by one of
    the subject's actors; and, per namespace, the last attempt of each actor that made one."""
    allowed = allowed_services(subject.documents)
    attempts = last_attempts(account, subject, now)
    by_service: dict[str, dict[str, datetime]] = {}  # namespace -> actor ARN -> last attempt
    by_action: dict[str, tuple[datetime, str]] = {}  # "iam:createuser" -> (last attempt, actor ARN)
    for (actor_arn, action), when in attempts.items():
        namespace = action.partition(":")[0]
        seen = by_service.setdefault(namespace, {})
        if actor_arn not in seen or when > seen[actor_arn]:
            seen[actor_arn] = when
        if action not in by_action or when > by_action[action][0]:
            by_action[action] = (when, actor_arn)
    services: list[ServiceLastAccessed] = []
    usage = Usage(subject.actors, {})
    for namespace in sorted(allowed):
        seen = by_service.get(namespace, {})
        usage.seen[namespace] = seen
        last = max(seen.items(), key=lambda item: (item[1], item[0]), default=None)
        tracked = None
        actions = allowed[namespace]
        if granularity == ServiceLastAccessedJob.ACTION_LEVEL and actions is not None:
            tracked = []
            for name in sorted(actions):
                if ACTIONS[namespace][name] not in TRACKED_LEVELS:
                    continue
                hit = by_action.get(f"{namespace}:{name}".lower())
                tracked.append(
                    TrackedActionLastAccessed(name, hit[0], hit[1], REGION)
                    if hit
                    else TrackedActionLastAccessed(name)
                )
        services.append(
            ServiceLastAccessed(
                service_name=_service_name(namespace),
                service_namespace=namespace,
                last_authenticated=last[1] if last else None,
                last_authenticated_entity=last[0] if last else None,
                last_authenticated_region=REGION if last else None,
                total_authenticated_entities=len(seen),
                tracked_actions_last_accessed=tracked,
            )
        )
    return services, usage


# --- Stored jobs: JSON both ways ---------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def services_json(services: list[ServiceLastAccessed]) -> list[dict[str, Any]]:
    out = []
    for s in services:
        tracked = s.tracked_actions_last_accessed
        out.append(
            {
                "name": s.service_name,
                "namespace": s.service_namespace,
                "last": _iso(s.last_authenticated),
                "entity": s.last_authenticated_entity,
                "region": s.last_authenticated_region,
                "total": s.total_authenticated_entities,
                "actions": None
                if tracked is None
                else [[t.action_name, _iso(t.last_accessed_time), t.last_accessed_entity] for t in tracked],
            }
        )
    return out


# The job's `entities` JSON: the actors once, and per allowed namespace [actor index, last attempt] of
# the actors that made attempts. The keys start with "@", which no service namespace ([\w-]) can.
_MEMBERS, _SEEN = "@members", "@seen"


def entities_json(usage: Usage) -> dict[str, Any]:
    index = {a.arn: i for i, a in enumerate(usage.actors)}
    return {
        _MEMBERS: [[a.arn, a.name, a.type, a.id, a.path] for a in usage.actors],
        _SEEN: {
            namespace: sorted([index[arn], _iso(when)] for arn, when in seen.items())  # by actor
            for namespace, seen in usage.seen.items()
        },
    }


def _stored_entities(stored: dict[str, Any], namespace: str) -> list[EntityDetails]:
    """One namespace's EntityDetailsList from a job's `entities` JSON."""
    if _MEMBERS not in stored:  # a job stored before the compact form: namespace -> EntityDetailsList
        rows = stored.get(namespace, [])
        return [
            EntityDetails(arn, name, kind, id_, path, _time(last))
            for arn, name, kind, id_, path, last in rows
        ]
    seen = stored[_SEEN].get(namespace)
    if seen is None:
        return []
    members = stored[_MEMBERS]
    last = dict(seen)
    return _ordered(
        [
            EntityDetails(arn, name, kind, id_, path, _time(last.get(i)))
            for i, (arn, name, kind, id_, path) in enumerate(members)
        ]
    )


def _services(rows: list[dict[str, Any]]) -> list[ServiceLastAccessed]:
    out = []
    for row in rows:
        actions = row["actions"]
        tracked = None
        if actions is not None:
            tracked = [
                TrackedActionLastAccessed(name, _time(when), entity, REGION if when else None)
                for name, when, entity in actions
            ]
        out.append(
            ServiceLastAccessed(
                row["name"],
                row["namespace"],
                _time(row["last"]),
                row["entity"],
                row["region"],
                row["total"],
                tracked,
            )
        )
    return out


# --- The reads ---------------------------------------------------------------------------------------


def _check_job_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise validation_error(value, "jobId", "not be null")
    if len(value) != JOB_ID_LENGTH:
        raise validation_error(value, "jobId", f"have length between {JOB_ID_LENGTH} and {JOB_ID_LENGTH}")
    return value


def _job(ctx: RequestContext, job_id: object) -> ServiceLastAccessedJob:
    """The caller's own job, younger than JOB_LIFETIME (AWS: "must be used by the same role within a
    session, or by the same user"): anyone else's, or an expired one, does not exist."""
    job_id = _check_job_id(job_id)
    job = ServiceLastAccessedJob.objects.filter(
        job_id=job_id,
        account=ctx.account,
        requester_arn=ctx.caller_arn,
        created__gt=timezone.now() - JOB_LIFETIME,
    ).first()
    if job is None:
        raise NoSuchEntityError(f"No service last accessed job with JobId {job_id} was found.")
    return job


def get_service_last_accessed_details(
    ctx: RequestContext, *, job_id: str, marker: str | None = None, max_items: int | None = None
) -> ServiceLastAccessedReport:
    """GetServiceLastAccessedDetails: the stored report, ServicesLastAccessed by namespace, a page."""
    authorize(ctx, GET, "*")  # the action has no resource type: always "*"
    job = _job(ctx, job_id)
    page = paginate(_services(job.services), marker, max_items)
    return ServiceLastAccessedReport(
        job.job_id, job.job_status, job.job_type, job.created, job.completed, page
    )


def get_service_last_accessed_details_with_entities(
    ctx: RequestContext,
    *,
    job_id: str,
    service_namespace: str,
    marker: str | None = None,
    max_items: int | None = None,
) -> EntitiesReport:
    """GetServiceLastAccessedDetailsWithEntities: the users and roles whose attempts the report counts
    for one service, most recent first (a service the report does not list: none)."""
    authorize(ctx, GET_WITH_ENTITIES, "*")
    if not isinstance(service_namespace, str) or not service_namespace:
        raise validation_error(service_namespace, "serviceNamespace", "not be null")
    if not NAMESPACE.fullmatch(service_namespace):
        raise validation_error(
            service_namespace, "serviceNamespace", r"satisfy regular expression pattern: [\w-]*"
        )
    job = _job(ctx, job_id)
    details = _stored_entities(job.entities, service_namespace.lower())
    return EntitiesReport(
        job.job_id, job.job_status, job.created, job.completed, paginate(details, marker, max_items)
    )


def preview_service_last_accessed(ctx: RequestContext, *, arn: str) -> Preview:
    """The console's Access Advisor tab: the report the API would generate now (service level), not
    stored. Needs what AWS's console needs: iam:GenerateServiceLastAccessedDetails on the entity and
    iam:GetServiceLastAccessedDetails."""
    arn = check_arn(arn)
    subject = subject_for(ctx.account, arn)
    authorize(ctx, GENERATE, subject.arn)
    authorize(ctx, GET, "*")
    now = timezone.now()
    services, usage = build_report(ctx.account, subject, ServiceLastAccessedJob.SERVICE_LEVEL, now)
    return Preview(subject.arn, now, services, usage)
