"""Access advisor: GenerateServiceLastAccessedDetails (the reads are in accounts/selectors/access_advisor.py).

Generation is synchronous: the report is computed from the audit log and stored with the job, so a job
is COMPLETED as soon as its JobId is returned and never IN_PROGRESS. Jobs expire after JOB_LIFETIME;
and a requester keeps one job per entity and granularity: generating again replaces the earlier one.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from .. import audit
from ..authz import authorize
from ..context import RequestContext
from ..models import ServiceLastAccessedJob
from ..selectors.access_advisor import (
    GENERATE,
    JOB_LIFETIME,
    build_report,
    check_arn,
    check_granularity,
    entities_json,
    services_json,
    subject_for,
)


def generate_service_last_accessed_details(
    ctx: RequestContext, *, arn: str, granularity: str | None = None
) -> ServiceLastAccessedJob:
    """GenerateServiceLastAccessedDetails: a report on a user, group, role or managed policy; the job's
    JobId reads it (by the same caller only, as in AWS)."""
    arn = check_arn(arn)
    job_type = check_granularity(granularity)
    subject = subject_for(ctx.account, arn)
    authorize(ctx, GENERATE, subject.arn)  # outside the transaction: a denial stays audited
    with audit.write(ctx, GENERATE, subject.arn, granularity=job_type) as entry:
        now = timezone.now()
        # Expired jobs of the account go here, so the table holds at most a week of jobs.
        ServiceLastAccessedJob.objects.filter(account=ctx.account, created__lte=now - JOB_LIFETIME).delete()
        # AWS returns a new JobId each time and keeps the earlier ones for a while; the portal keeps
        # only the newest per requester, entity and granularity, so that repeating a generation (a
        # script polling a report) does not pile up reports. The earlier JobIds are then NoSuchEntity.
        ServiceLastAccessedJob.objects.filter(
            account=ctx.account, requester_arn=ctx.caller_arn, entity_arn=subject.arn, job_type=job_type
        ).delete()
        services, usage = build_report(ctx.account, subject, job_type, now)
        job = ServiceLastAccessedJob.objects.create(
            job_id=str(uuid.uuid4()),
            account=ctx.account,
            job_type=job_type,
            job_status=ServiceLastAccessedJob.COMPLETED,
            entity_arn=subject.arn,
            requester_arn=ctx.caller_arn,
            created=now,
            completed=now,
            services=services_json(services),
            entities=entities_json(usage),
        )
        entry.parameters["job_id"] = job.job_id
    return job
