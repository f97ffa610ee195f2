"""Access key writes: CreateAccessKey, UpdateAccessKey, DeleteAccessKey; and the last-use record of
the request signer.

The secret access key is generated here, returned once (by CreateAccessKey only), stored sealed
(iam_portal/secretbox.py), and never audited, logged or put in a message. Access keys authenticate
requests; they feed no policy, so these writes leave the authorization generation alone.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from iam_portal import secretbox
from iam_portal.errors import LimitExceededError, NoSuchEntityError, validation_error
from iam_portal.prepared import PreparedInsert, PreparedStatement, lock_row

from .. import audit, quotas
from ..authz import authorize_on
from ..context import RequestContext
from ..models import AccessKey, User
from ..selectors.access_keys import key_owner, no_such_key, sealing_context, validate_access_key_id

MAX_ACCESS_KEYS_PER_USER = quotas.ACCESS_KEYS_PER_USER_QUOTA  # the root user's quota is also 2
KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
SECRET_LENGTH = 40
STATUSES = (AccessKey.ACTIVE, AccessKey.INACTIVE)
# The signer records a use at most once per key, service and region in this time, so that a busy key
# does not turn every request into a write on one row (AWS's last-used data is not to the second either).
LAST_USED_RESOLUTION = timedelta(minutes=15)


@dataclass(frozen=True)
class IssuedAccessKey:
    """CreateAccessKey's answer: the key and its secret, the only time the secret is ever shown."""

    access_key: AccessKey
    secret_access_key: str = field(repr=False)

    def __repr__(self) -> str:
        return f"IssuedAccessKey(access_key={self.access_key!r}, secret_access_key=<hidden>)"

    __str__ = __repr__


def new_access_key_id(prefix: str = "AKIA") -> str:
    """The prefix (AKIA: long-term; ASIA: STS) and 16 random characters of [A-Z2-7] (80 bits), as AWS's
    key ids."""
    return prefix + "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    """40 random characters of [A-Za-z0-9+/] (240 bits) from `secrets`."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


_insert_key = PreparedInsert(AccessKey)
_key_count = PreparedStatement(
    lambda user_id: AccessKey.objects.filter(user_id=user_id).count(), user_id=int
)
_delete_key = PreparedStatement(  # the key is of this user, or it is NoSuchEntity
    lambda user_id, access_key_id: AccessKey.objects.filter(
        user_id=user_id, access_key_id=access_key_id
    ).delete(),
    user_id=int,
    access_key_id=str,
)


def _lock_owner(owner: User) -> None:
    """Lock the owner's row: racing CreateAccessKey calls for one user count keys one at a time."""
    if not lock_row(User, owner.pk):
        raise NoSuchEntityError(f"The user with name {owner.user_name} cannot be found.")


def _validate_status(status: object) -> None:
    if status not in STATUSES:
        raise validation_error(status, "status", "satisfy enum value set: [Active, Inactive]")


def create_access_key(ctx: RequestContext, *, user_name: str | None = None) -> IssuedAccessKey:
    """CreateAccessKey: an Active key for the user, or for the caller itself (root too) without a name."""
    owner = key_owner(ctx, user_name)
    authorize_on(ctx, "iam:CreateAccessKey", owner)  # outside the transaction: denials stay audited
    with audit.write(ctx, "iam:CreateAccessKey", owner.arn, user_name=user_name) as entry:
        _lock_owner(owner)
        if _key_count.scalar(user_id=owner.pk) >= MAX_ACCESS_KEYS_PER_USER:
            raise LimitExceededError(f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS_PER_USER}")
        key_id, secret = new_access_key_id(), new_secret_access_key()
        key = _insert_key.create(
            user=owner,
            access_key_id=key_id,
            secret_ciphertext=secretbox.encrypt(secret, context=sealing_context(key_id)),
            status=AccessKey.ACTIVE,
        )
        entry.parameters["access_key_id"] = key_id  # the id is audited; the secret never is
    return IssuedAccessKey(access_key=key, secret_access_key=secret)


def update_access_key(
    ctx: RequestContext, *, access_key_id: str, status: str, user_name: str | None = None
) -> AccessKey:
    """UpdateAccessKey: make a key of the user (the caller's own without a name) Active or Inactive."""
    validate_access_key_id(access_key_id)
    _validate_status(status)
    owner = key_owner(ctx, user_name)
    authorize_on(ctx, "iam:UpdateAccessKey", owner)
    with audit.write(
        ctx,
        "iam:UpdateAccessKey",
        owner.arn,
        user_name=user_name,
        access_key_id=access_key_id,
        status=status,
    ):
        key = AccessKey.objects.select_for_update().filter(user=owner, access_key_id=access_key_id).first()
        if key is None:  # unknown, or another user's: AWS does not tell the two apart
            raise no_such_key(access_key_id)
        if key.status != status:
            key.status = status
            key.save(update_fields=["status"])
    return key


def delete_access_key(ctx: RequestContext, *, access_key_id: str, user_name: str | None = None) -> None:
    """DeleteAccessKey: delete a key of the user (the caller's own without a name) for good."""
    validate_access_key_id(access_key_id)
    owner = key_owner(ctx, user_name)
    authorize_on(ctx, "iam:DeleteAccessKey", owner)
    with audit.write(ctx, "iam:DeleteAccessKey", owner.arn, user_name=user_name, access_key_id=access_key_id):
        if not _delete_key.execute(user_id=owner.pk, access_key_id=access_key_id):
            raise no_such_key(access_key_id)


def record_access_key_use(
    access_key_id: str, *, service: str, region: str, known: AccessKey | None = None
) -> None:
    """Note that a verified request was signed with the key (GetAccessKeyLastUsed reads it).

    For the request signer, after verification; `region` is "" for services without regions.
    `known`: the key's row as the request read it; when its record is recent and alike, no query.
    """
    if not isinstance(service, str) or not 1 <= len(service) <= 64:
        raise ValueError("service must be a service namespace of 1 to 64 characters, e.g. 'iam'")
    if not isinstance(region, str) or len(region) > 32:
        raise ValueError("region must be a region name of at most 32 characters, or ''")
    now = timezone.now()
    if (
        known is not None
        and known.last_used_date is not None
        and known.last_used_date >= now - LAST_USED_RESOLUTION
        and (known.last_used_service, known.last_used_region) == (service, region)
    ):
        return
    # One conditional UPDATE: nothing is written (or locked) while the last record is recent and alike.
    due = (
        Q(last_used_date__isnull=True)
        | Q(last_used_date__lt=now - LAST_USED_RESOLUTION)
        | ~Q(last_used_service=service)
        | ~Q(last_used_region=region)
    )
    AccessKey.objects.filter(due, access_key_id=access_key_id, status=AccessKey.ACTIVE).update(
        last_used_date=now, last_used_service=service, last_used_region=region
    )
