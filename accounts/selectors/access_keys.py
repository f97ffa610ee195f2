"""Access key reads: ListAccessKeys, GetAccessKeyLastUsed; and the secret lookup of SigV4 verification.

Reads return metadata only. The one read that opens a secret, `secret_for_signing`, serves the request
signer (authentication, before any RequestContext exists) and is never exposed to a caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from iam_portal import secretbox, validation
from iam_portal.errors import NoSuchEntityError
from iam_portal.pagination import Page, paginate_prepared
from iam_portal.prepared import PreparedQuery

from .. import lookups
from ..authz import authorize_on
from ..context import RequestContext
from ..models import AccessKey, User

ACCESS_KEY_ID = re.compile(r"[\w]+", re.ASCII)
NOT_AVAILABLE = "N/A"  # GetAccessKeyLastUsed's ServiceName and Region of a key never used


@dataclass(frozen=True)
class AccessKeyMetadata:
    """One ListAccessKeys entry: never the secret. user_name is None for the root user's keys."""

    user_name: str | None
    access_key_id: str
    status: str
    create_date: datetime


@dataclass(frozen=True)
class AccessKeyLastUsed:
    """GetAccessKeyLastUsed's answer: no date and "N/A" service and region if never used."""

    user_name: str | None
    last_used_date: datetime | None
    service_name: str
    region: str


def validate_access_key_id(value: object, member: str = "accessKeyId") -> str:
    """accessKeyIdType: 16 to 128 of [\\w]."""
    return validation.constrained(
        value, member, min_length=16, max_length=128, pattern=ACCESS_KEY_ID, empty_is_null=True
    )


def no_such_key(access_key_id: str) -> NoSuchEntityError:
    return NoSuchEntityError(f"The Access Key with id {access_key_id} cannot be found.")


def key_owner(ctx: RequestContext, user_name: str | None) -> User:
    """The user a key request names (validated), or without a name the calling user itself (the root
    user included: root keys belong to the root user), as in AWS."""
    if user_name is None:
        return ctx.calling_user()
    validation.name(user_name, "userName", 128)
    return lookups.user_by_name(ctx.account, user_name)


def _public_user_name(user: User) -> str | None:
    return None if user.is_root else user.user_name


_keys_of = PreparedQuery(  # only the metadata columns: the sealed secret never leaves the database here
    lambda user_id: AccessKey.objects.filter(user_id=user_id)
    .order_by("created", "pk")
    .values_list("access_key_id", "status", "created"),
    user_id=int,
)


def list_access_keys(
    ctx: RequestContext,
    *,
    user_name: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[AccessKeyMetadata]:
    """ListAccessKeys: the user's keys (the caller's own without user_name) oldest first; one query."""
    owner = key_owner(ctx, user_name)
    authorize_on(ctx, "iam:ListAccessKeys", owner)
    page = paginate_prepared(_keys_of, marker, max_items, user_id=owner.pk)
    name = _public_user_name(owner)
    return Page(
        [AccessKeyMetadata(name, key_id, status, created) for key_id, status, created in page.items],
        page.is_truncated,
        page.marker,
    )


def get_access_key_last_used(ctx: RequestContext, *, access_key_id: str) -> AccessKeyLastUsed:
    """GetAccessKeyLastUsed: for a key of any user of the caller's account, authorized on its owner."""
    validate_access_key_id(access_key_id)
    key = (
        AccessKey.objects.select_related("user__account")
        .filter(access_key_id=access_key_id, user__account=ctx.account)
        .defer("secret_ciphertext")
        .first()
    )
    if key is None:
        raise no_such_key(access_key_id)
    authorize_on(ctx, "iam:GetAccessKeyLastUsed", key.user)
    if key.last_used_date is None:
        return AccessKeyLastUsed(_public_user_name(key.user), None, NOT_AVAILABLE, NOT_AVAILABLE)
    return AccessKeyLastUsed(
        _public_user_name(key.user),
        key.last_used_date,
        key.last_used_service or NOT_AVAILABLE,
        key.last_used_region or NOT_AVAILABLE,  # AWS: N/A for services without regions
    )


# Every signed request reads its key: compiled once (iam_portal/prepared.py).
_active_key = PreparedQuery(
    lambda access_key_id: AccessKey.objects.select_related("user__account").filter(
        access_key_id=access_key_id, status=AccessKey.ACTIVE
    )[:1],
    access_key_id=str,
)


def secret_for_signing(access_key_id: str) -> tuple[AccessKey, str] | None:
    """An Active key (its user and account loaded) and its opened secret, for SigV4 verification;
    None otherwise.

    No authorization: this authenticates a request before there is a caller. Never log the result.
    """
    if not isinstance(access_key_id, str) or not 16 <= len(access_key_id) <= 128:
        return None
    key = _active_key.first(access_key_id=access_key_id)
    if key is None:
        return None
    # A value that cannot be opened (the key was changed) raises SecretBoxError: an operator's problem,
    # which must not pass for a mere unknown key.
    return key, secretbox.decrypt(key.secret_ciphertext, context=sealing_context(key.access_key_id))


def sealing_context(access_key_id: str) -> str:
    """Authenticated data of a sealed secret access key: a sealed value copied to another key fails."""
    return f"access-key:{access_key_id}"
