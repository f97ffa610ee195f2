"""Who signed a request: the credentials behind an access key id (long-term or STS), and
GetCallerIdentity."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from iam_portal import secretbox
from iam_portal.errors import ExpiredTokenError, InvalidClientTokenIdError

from ..context import AssumedRole, RequestContext
from ..models import AccessKey, SessionCredential, User
from .access_keys import secret_for_signing

TEMPORARY_KEY_PREFIX = "ASIA"


@dataclass(frozen=True)
class SigningCredentials:
    """The principal a signature speaks for, and the secret to check the signature with."""

    caller: User | AssumedRole
    secret_access_key: str = field(repr=False)
    session: SessionCredential | None = None
    access_key: AccessKey | None = None  # a long-term key, as read (its last-used record included)

    @property
    def mfa_authenticated_at(self) -> datetime | None:
        return None if self.session is None else self.session.mfa_authenticated_at


def token_digest(session_token: str) -> str:
    """What is stored of a session token: its SHA-256 (the token is random, so no salt is needed)."""
    return hashlib.sha256(session_token.encode()).hexdigest()


def session_sealing_context(access_key_id: str) -> str:
    return f"session-key:{access_key_id}"


def signing_credentials(access_key_id: str, session_token: str | None, *, service: str) -> SigningCredentials:
    """The credentials of a request signed for `service` ("iam" or "sts"), before there is a caller.

    Unknown, inactive or mismatched credentials are InvalidClientTokenId; expired temporary ones
    ExpiredToken. GetSessionToken credentials without MFA cannot call IAM (AWS: "You cannot call
    any IAM API operations unless MFA authentication information is included in the request").
    Never log the result.
    """
    if not isinstance(access_key_id, str) or not access_key_id.startswith(TEMPORARY_KEY_PREFIX):
        found = None if session_token else secret_for_signing(access_key_id)
        if found is None:
            raise InvalidClientTokenIdError()
        key, secret = found
        return SigningCredentials(key.user, secret, access_key=key)
    session = (
        SessionCredential.objects.select_related("account", "user__account", "role__account")
        .filter(access_key_id=access_key_id)
        .first()
    )
    if session is None or not session_token:
        raise InvalidClientTokenIdError()
    if not hmac.compare_digest(session.token_digest, token_digest(session_token)):
        raise InvalidClientTokenIdError()
    if session.expiration <= timezone.now():
        raise ExpiredTokenError()
    if service == "iam" and not session.is_role_session and session.mfa_authenticated_at is None:
        raise InvalidClientTokenIdError()
    secret = secretbox.decrypt(session.secret_ciphertext, context=session_sealing_context(access_key_id))
    caller = AssumedRole(session.role, session) if session.is_role_session else session.user
    return SigningCredentials(caller, secret, session)


def get_caller_identity(ctx: RequestContext) -> dict[str, str]:
    """GetCallerIdentity: who signed the request. Always allowed, as in AWS (no policy can deny it)."""
    caller = ctx.caller
    user_id = ctx.account.account_id if caller.is_root else caller.user_id
    return {"UserId": user_id, "Account": ctx.account.account_id, "Arn": caller.arn}
