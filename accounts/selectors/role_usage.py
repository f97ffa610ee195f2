"""When each role of an account was last used (RoleLastUsed of GetRole and
GetAccountAuthorizationDetails; the findings' unused roles), from the audit log.

A role is used when it is assumed (a successful sts:AssumeRole whose target is the role, in the
account's own audit log: the portal's cost follows one account's log, so an AssumeRole that another
account's principal made, audited in that account's log, does not count until the session acts) and
whenever one of its sessions acts (an audit event whose actor is
arn:aws:sts::<account>:assumed-role/<role>/<session>, whatever its outcome: the session's
credentials were used). Internal read without authorization: callers authorize first.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max, Value
from django.db.models.functions import StrIndex, Substr

from .. import arns
from ..models import Account, AuditEvent, Role

# The portal keeps no region per request; IAM and STS answer on their global endpoint, us-east-1.
REGION = "us-east-1"
ASSUME_ROLE = "sts:AssumeRole"


def roles_last_used(account: Account) -> dict[str, tuple[datetime, str]]:
    """{role id (AROA…): (last used, region)} for the account's roles used since they were created; two
    aggregate queries over the audit log and one over the roles, whatever the number of events."""
    account_id = account.account_id
    role_prefix = f"arn:aws:iam::{account_id}:role/"
    assumed = dict(
        AuditEvent.objects.filter(
            account=account,
            action=ASSUME_ROLE,
            outcome=AuditEvent.SUCCESS,
            target_arn__startswith=role_prefix,
        )
        .order_by()
        .values_list("target_arn")
        .annotate(last=Max("time"))
    )
    # The role name is the ARN's part between "assumed-role/" and the next "/": cut in SQL so that
    # the grouping is by role, not by session (sessions are many).
    session_prefix = arns.assumed_role(account_id, "", "")[:-1]  # arn:aws:sts::<id>:assumed-role/
    rest = Substr("actor_arn", len(session_prefix) + 1)
    acted = dict(
        AuditEvent.objects.filter(account=account, actor_arn__startswith=session_prefix)
        .order_by()
        .annotate(rest=rest)
        .annotate(role_name=Substr("rest", 1, StrIndex("rest", Value("/")) - 1))
        .filter(role_name__gt="", rest__contains="/")
        .values_list("role_name")
        .annotate(last=Max("time"))
    )
    used: dict[str, tuple[datetime, str]] = {}
    roles = Role.objects.filter(account=account).values_list("role_id", "role_name", "path", "created")
    for role_id, name, path, created in roles:
        times = [t for t in (assumed.get(arns.role(account_id, path, name)), acted.get(name)) if t]
        last = max(times, default=None)
        # A role deleted and created again under its name does not inherit the old one's use.
        if last is not None and last >= created:
            used[role_id] = (last, REGION)
    return used
