"""The console's "Security credentials" page of a user (or of the caller itself, the root user too):
GetLoginProfile, ListMFADevices, ListAccessKeys and GetAccessKeyLastUsed at once, in a constant number
of queries.

As the AWS console does, each section is shown only if the caller may read it; a section the caller
may not read comes back as None rather than failing the page. Reading another user's page when
none of it is readable is AccessDenied (audited, on iam:ListAccessKeys). No secret, seed or hash is
ever loaded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..authz import authorize_on, is_allowed, resource_tag_context
from ..context import RequestContext
from ..models import AccessKey, LoginProfile, MFADevice, User
from .access_keys import key_owner

NOT_AVAILABLE = "N/A"  # GetAccessKeyLastUsed's ServiceName and Region of a key never used


@dataclass(frozen=True)
class AccessKeyRow:
    """One access key as the console lists it (ListAccessKeys plus GetAccessKeyLastUsed)."""

    access_key_id: str
    status: str
    create_date: datetime
    last_used_date: datetime | None
    last_used_service: str  # "N/A" when never used
    last_used_region: str  # "N/A" when never used, or for a service without regions

    @property
    def is_active(self) -> bool:
        return self.status == AccessKey.ACTIVE


@dataclass(frozen=True)
class MFADeviceRow:
    """One enabled MFA device (ListMFADevices, with the device's name)."""

    serial_number: str
    device_name: str
    enable_date: datetime


@dataclass(frozen=True)
class SecurityCredentials:
    """Whose credentials these are, and each section the caller may read (None: it may not)."""

    user: User
    login_profile: LoginProfile | None  # None: no console access, or not readable (see below)
    login_profile_readable: bool  # False for the root user, whose password is not a login profile
    mfa_devices: list[MFADeviceRow] | None
    access_keys: list[AccessKeyRow] | None
    last_used_readable: bool  # whether the access keys' last-used columns are the caller's to see


def _may(ctx: RequestContext, action: str, user: User) -> bool:
    """authorize_on()'s decision (the user's tags included), without raising or auditing."""
    return is_allowed(ctx, action, user.arn, resource_tag_context(user.tags or {}))


def security_credentials(ctx: RequestContext, *, user_name: str | None = None) -> SecurityCredentials:
    """The named IAM user's credentials, or without a name the caller's own (root user included)."""
    user = key_owner(ctx, user_name)  # validates the name; NoSuchEntity for an unknown user
    profile_readable = not user.is_root and _may(ctx, "iam:GetLoginProfile", user)
    devices_readable = _may(ctx, "iam:ListMFADevices", user)
    keys_readable = _may(ctx, "iam:ListAccessKeys", user)
    if user_name is not None and not (profile_readable or devices_readable or keys_readable):
        authorize_on(ctx, "iam:ListAccessKeys", user)  # raises AccessDenied, audited
    last_used_readable = keys_readable and _may(ctx, "iam:GetAccessKeyLastUsed", user)

    profile = LoginProfile.objects.filter(user=user).first() if profile_readable else None
    devices = None
    if devices_readable:
        devices = [
            MFADeviceRow(serial, name, enabled)
            for serial, name, enabled in MFADevice.objects.filter(user=user)
            .order_by("enable_date", "pk")
            .values_list("serial_number", "device_name", "enable_date")
        ]
    keys = None
    if keys_readable:
        rows = (
            AccessKey.objects.filter(user=user)
            .order_by("created", "pk")
            .values_list(
                "access_key_id",
                "status",
                "created",
                "last_used_date",
                "last_used_service",
                "last_used_region",
            )
        )
        keys = [
            AccessKeyRow(
                key_id,
                status,
                created,
                used if last_used_readable else None,
                (service or NOT_AVAILABLE) if last_used_readable and used else NOT_AVAILABLE,
                (region or NOT_AVAILABLE) if last_used_readable and used else NOT_AVAILABLE,
            )
            for key_id, status, created, used, service, region in rows
        ]
    return SecurityCredentials(user, profile, profile_readable, devices, keys, last_used_readable)
