"""Console workflows made of several AWS actions, run all or nothing.

The AWS console sends several requests for one click (Create group with members and policies,
Delete role with its policies, …). Here they run through their own services in one transaction:
every action is authorized first, outside the transaction and before anything is written (a denial
is audited and nothing changes); each service then authorizes again inside, with the same answer
(the request's authorization generation is read once per request), and audits its own action.
When one fails, the rollback takes the audit rows of the steps before it away (they did not
happen) and the failure is recorded again after the rollback, so the trail says what was refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from iam_portal.errors import IamError

from .. import audit
from ..authz import authorize
from ..context import RequestContext


@dataclass(frozen=True)
class Step:
    """One AWS action of a console workflow: how it is authorized, and the service call that does it."""

    action: str
    resource: str
    context: dict[str, object]
    run: Callable[[], object]
    audited: dict[str, object] = field(default_factory=dict)  # what its audit row names


def run_all_or_nothing(ctx: RequestContext, steps: Sequence[Step]) -> list[object]:
    """Authorize every step, then run them in order in one transaction; their results, in order."""
    for step in steps:
        authorize(ctx, step.action, step.resource, step.context)
    current: Step | None = None
    try:
        with transaction.atomic():
            results = []
            for step in steps:
                current = step  # a failure at the commit is put down to the last step
                results.append(step.run())
    except Exception as exc:
        if current is not None:  # its own failure row went with the rollback
            code = exc.code if isinstance(exc, IamError) else "ServiceFailure"
            audit.record(
                ctx,
                current.action,
                target=current.resource,
                outcome=audit.DENIED if code == "AccessDenied" else audit.FAILED,
                error_code=code,
                **current.audited,
            )
        raise
    return results
