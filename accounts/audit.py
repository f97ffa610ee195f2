"""The audit trail: every write (success or failure) and every denial, append-only.

Secrets never reach it: parameters named like a secret are dropped before anything is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from iam_portal.errors import IamError
from iam_portal.prepared import PreparedInsert

from .context import RequestContext
from .models import AuditEvent

SUCCESS, FAILED, DENIED = AuditEvent.SUCCESS, AuditEvent.FAILED, AuditEvent.DENIED
SECRET_PARAMETERS = frozenset(
    {
        "password",
        "old_password",
        "new_password",
        "secret_access_key",
        "authentication_code_1",
        "authentication_code_2",
        "seed",
        "base32_string_seed",
        "qr_code_png",
        "session_token",
    }
)


def _public(parameters: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in parameters.items() if k not in SECRET_PARAMETERS and v is not None}


_insert_event = PreparedInsert(AuditEvent)  # every write and every denial: built once


def record(
    ctx: RequestContext,
    action: str,
    *,
    target: str = "",
    outcome: str = SUCCESS,
    error_code: str = "",
    error_message: str = "",
    **parameters: object,
) -> AuditEvent:
    """Append one audit event for this request (and the error the caller was answered, if any)."""
    return _insert_event.create(
        account=ctx.account,
        actor_arn=ctx.caller_arn,
        access_key_id=ctx.access_key_id,
        channel=ctx.channel,
        source_ip=ctx.source_ip,
        request_id=ctx.request_id,
        action=action,
        target_arn=target,
        parameters=_public(parameters),
        outcome=outcome,
        error_code=error_code,
        error_message=error_message,
        user_agent=ctx.user_agent[:256],  # the column's size; conditions saw the whole header
    )


@dataclass
class Entry:
    """What a write will be audited as; the service may fill in the target once it knows it."""

    target: str
    parameters: dict[str, object] = field(default_factory=dict)


@contextmanager
def write(
    ctx: RequestContext,
    action: str,
    target: str = "",
    *,
    on_integrity_error: IamError | None = None,
    **parameters: object,
) -> Iterator[Entry]:
    """A write's transaction, audited inside it on success and after its rollback on failure.

    `on_integrity_error` turns a database constraint violation (two racing requests) into the
    AWS error the service would have raised had it seen the other request's row.
    """
    entry = Entry(target, dict(parameters))
    try:
        with transaction.atomic():
            yield entry
            record(ctx, action, target=entry.target, **entry.parameters)
    except IamError as exc:
        record(
            ctx,
            action,
            target=entry.target,
            outcome=FAILED,
            error_code=exc.code,
            error_message=exc.message,
            **entry.parameters,
        )
        raise
    except IntegrityError:
        if on_integrity_error is None:
            raise
        record(
            ctx,
            action,
            target=entry.target,
            outcome=FAILED,
            error_code=on_integrity_error.code,
            error_message=on_integrity_error.message,
            **entry.parameters,
        )
        raise on_integrity_error from None
    except Exception:
        # Anything else (a deadlock, a lost row) is a ServiceFailure to the caller: audit it too.
        record(
            ctx, action, target=entry.target, outcome=FAILED, error_code="ServiceFailure", **entry.parameters
        )
        raise
