"""Virtual MFA device reads: ListMFADevices, ListVirtualMFADevices, ListMFADeviceTags; and the shared
checks of the MFA writes.

Reads never load a seed: the sealed column is left out of every query here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from iam_portal import validation
from iam_portal.errors import NoSuchEntityError, validation_error
from iam_portal.pagination import Page, paginate

from .. import arns, lookups
from ..authz import authorize, authorize_on, resource_tag_context
from ..context import RequestContext
from ..models import MFADevice, User

DEVICE_NAME_MAX = 226  # the column's length; the model sets no maximum (virtualMFADeviceName)
USER_NAME_MAX = 128  # existingUserNameType
SERIAL_NUMBER = re.compile(r"[\w+=/:,.@-]+", re.ASCII)
SERIAL_NUMBER_RANGE = (9, 256)
ASSIGNED, UNASSIGNED, ANY = "Assigned", "Unassigned", "Any"
ASSIGNMENT_STATUSES = (ASSIGNED, UNASSIGNED, ANY)


@dataclass(frozen=True)
class MFADeviceMetadata:
    """One ListMFADevices entry. user_name is None for the root user's devices."""

    user_name: str | None
    serial_number: str
    enable_date: datetime


def device_arn(account_id: str, path: str, device_name: str) -> str:
    """A virtual device's ARN, which is also its serial number."""
    return f"arn:aws:iam::{account_id}:mfa{path}{device_name}"


def sealing_context(serial_number: str) -> str:
    """Authenticated data of a sealed seed: a sealed value copied to another device fails to open."""
    return f"mfa:{serial_number}"


def validate_serial_number(value: object, member: str = "serialNumber") -> str:
    """serialNumberType: 9 to 256 of [\\w+=/:,.@-]."""
    low, high = SERIAL_NUMBER_RANGE
    return validation.constrained(
        value, member, min_length=low, max_length=high, pattern=SERIAL_NUMBER, empty_is_null=True
    )


def no_such_device(serial_number: str) -> NoSuchEntityError:
    return NoSuchEntityError(f"MFA Device with serial number {serial_number} does not exist.")


def device_tags(ctx: RequestContext, serial_number: str) -> dict[str, str]:
    """The tags of the account's device with this serial number (NoSuchEntity if there is none).

    Only the tags column is read: a tag action's authorization needs nothing else, and no seed."""
    found = (
        MFADevice.objects.filter(account=ctx.account, serial_number=serial_number)
        .values_list("tags", flat=True)
        .first()
    )
    if found is None:
        raise no_such_device(serial_number)
    return found


def mfa_user(ctx: RequestContext, user_name: str | None) -> User:
    """The IAM user a request names (validated), or without a name the caller itself (root too)."""
    if user_name is None:
        return ctx.calling_user()
    validation.name(user_name, "userName", USER_NAME_MAX)
    return lookups.user_by_name(ctx.account, user_name)


def list_mfa_devices(
    ctx: RequestContext,
    *,
    user_name: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[MFADeviceMetadata]:
    """ListMFADevices: the devices enabled for the user (the caller without a name), oldest first."""
    user = mfa_user(ctx, user_name)
    authorize_on(ctx, "iam:ListMFADevices", user)
    rows = (
        MFADevice.objects.filter(user=user)
        .order_by("enable_date", "pk")
        .values_list("serial_number", "enable_date")
    )
    page = paginate(rows, marker, max_items)
    name = None if user.is_root else user.user_name
    return Page(
        [MFADeviceMetadata(name, serial, enabled) for serial, enabled in page.items],
        page.is_truncated,
        page.marker,
    )


def list_virtual_mfa_devices(
    ctx: RequestContext,
    *,
    assignment_status: str = ANY,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[MFADevice]:
    """ListVirtualMFADevices: the account's devices by name, with their users; one query.

    Each device comes with its user (and the user's account, for the ARN); the seed is not loaded.
    """
    if assignment_status not in ASSIGNMENT_STATUSES:
        raise validation_error(
            assignment_status, "assignmentStatus", "satisfy enum value set: [Assigned, Unassigned, Any]"
        )
    authorize(ctx, "iam:ListVirtualMFADevices", arns.all_in(ctx.account.account_id, "mfa"))
    devices = (
        MFADevice.objects.select_related("user__account")
        .defer("seed_ciphertext")
        .filter(account=ctx.account)
        .order_by("device_name", "pk")
    )
    if assignment_status == ASSIGNED:
        devices = devices.filter(user__isnull=False)
    elif assignment_status == UNASSIGNED:
        devices = devices.filter(user__isnull=True)
    return paginate(devices, marker, max_items)


def list_mfa_device_tags(
    ctx: RequestContext, *, serial_number: str, marker: str | None = None, max_items: int | None = None
) -> Page[tuple[str, str]]:
    """ListMFADeviceTags: (key, value) pairs by key (PostgreSQL's jsonb keeps no insertion order)."""
    validate_serial_number(serial_number)
    tags = device_tags(ctx, serial_number)
    authorize(ctx, "iam:ListMFADeviceTags", serial_number, resource_tag_context(tags))
    return paginate(sorted(tags.items(), key=lambda kv: kv[0].lower()), marker, max_items)


def enabled_devices(user: User) -> list[MFADevice]:
    """The user's enabled MFA devices, for the sign-in page (no authorization: the password was proved)."""
    return list(MFADevice.objects.filter(user=user, enable_date__isnull=False).order_by("device_name"))
