"""RequestContext: who is asking, from where, through which channel (DESIGN.md, principle 2).

The caller is a User (the root user or an IAM user, with long-term keys, a console session or
GetSessionToken credentials) or an AssumedRole (a role session from AssumeRole).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from iam_portal.errors import ValidationError

from . import arns
from .models import Account, Role, SessionCredential, User

CONSOLE, REST, QUERY, INTERNAL = "console", "rest", "query", "internal"
NON_USER_CREDENTIALS = "Must specify userName when calling with non-User credentials"


@dataclass(frozen=True)
class AssumedRole:
    """The identity of requests signed with AssumeRole credentials: the role, in one named session."""

    role: Role
    session: SessionCredential
    is_root = False

    @property
    def account(self) -> Account:
        return self.role.account

    @property
    def arn(self) -> str:
        """arn:aws:sts::<account>:assumed-role/<role>/<session>: what policies see as the principal."""
        return arns.assumed_role(self.account.account_id, self.role.role_name, self.session.role_session_name)

    @property
    def user_id(self) -> str:
        """aws:userid of a role session: the role's unique id and the session name."""
        return f"{self.role.role_id}:{self.session.role_session_name}"

    @property
    def tags(self) -> dict[str, str]:
        """aws:PrincipalTag/*: the role's tags, a session tag of the same key winning."""
        return {**self.role.tags, **self.session.tags}


@dataclass(frozen=True)
class RequestContext:
    """Everything a service needs to authorize and audit one request."""

    caller: User | AssumedRole
    channel: str = INTERNAL
    source_ip: str | None = None
    secure_transport: bool = True
    mfa_authenticated_at: datetime | None = None  # when the caller last proved MFA, if ever
    access_key_id: str = ""
    # The STS credentials the request was signed with (GetSessionToken or AssumeRole), if any.
    session: SessionCredential | None = None
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

    def calling_user(self) -> User:
        """The user behind a request that names no user (GetUser, ListAccessKeys, … without UserName);
        a role session must name one, as in AWS."""
        if isinstance(self.caller, User):
            return self.caller
        raise ValidationError(NON_USER_CREDENTIALS)


def system_context(caller: User, **kwargs) -> RequestContext:
    """A context for management commands and tests (the internal channel unless told otherwise)."""
    return RequestContext(caller=caller, **{"channel": INTERNAL, **kwargs})
