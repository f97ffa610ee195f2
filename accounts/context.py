"""RequestContext: who is asking, from where, through which channel (DESIGN.md, principle 2)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from .models import Account, User

CONSOLE, REST, QUERY, INTERNAL = "console", "rest", "query", "internal"


@dataclass(frozen=True)
class RequestContext:
    """Everything a service needs to authorize and audit one request."""

    caller: User
    channel: str = INTERNAL
    source_ip: str | None = None
    secure_transport: bool = True
    mfa_authenticated_at: datetime | None = None  # when the caller last proved MFA, if ever
    access_key_id: str = ""
    user_agent: str = ""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    now: datetime = field(default_factory=lambda: timezone.now())  # looked up at call time
    # Per-request memo (the authorization generation is read once per request).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def account(self) -> Account:
        return self.caller.account

    @property
    def caller_arn(self) -> str:
        return self.caller.arn

    @property
    def caller_user_name(self) -> str | None:
        """The calling IAM user's name (None for the root user)."""
        return None if self.caller.is_root else self.caller.user_name


def system_context(caller: User, **kwargs) -> RequestContext:
    """A context for management commands and tests (the internal channel unless told otherwise)."""
    return RequestContext(caller=caller, **{"channel": INTERNAL, **kwargs})
