"""Virtual MFA device writes: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
DeactivateMFADevice, DeleteVirtualMFADevice, TagMFADevice, UntagMFADevice; the sign-in check of a code
(`verify_code`), the console's enrollment device (`pending_device_for`), the console's Assign MFA device
wizard and Remove (`begin_mfa_enrollment`, `resume_mfa_enrollment`, `remove_mfa_device`) and the root
user's recovery codes.

Devices are RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps) with a 20-byte seed from `secrets`. The
seed is shown by CreateVirtualMFADevice (and again by `pending_device_for` and `resume_mfa_enrollment`,
to the principal enrolling that very device), stored sealed (iam_portal/secretbox.py, context
"mfa:<serial number>"), and never reaches an audit row, a log, a message or a repr; nor does a code or
a recovery code. A code is accepted once: a device keeps the step of its last accepted code (last_t)
and accepts only later ones.
MFA feeds no policy, so these writes leave the authorization generation alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from urllib.parse import quote

import qrcode
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_otp.oath import TOTP, hotp
from qrcode.image.svg import SvgPathImage

from iam_portal import secretbox, validation
from iam_portal.errors import (
    DeleteConflictError,
    EntityAlreadyExistsError,
    InvalidAuthenticationCodeError,
    InvalidInputError,
    InvalidUserTypeError,
    LimitExceededError,
    NoSuchEntityError,
)
from iam_portal.prepared import lock_row

from .. import audit, quotas
from ..authz import authorize, authorize_on, resource_tag_context
from ..context import RequestContext, system_context
from ..models import Account, AuditEvent, MFADevice, RecoveryCode, User
from ..selectors.mfa import (
    DEVICE_NAME_MAX,
    SERIAL_NUMBER_RANGE,
    device_arn,
    device_tags,
    mfa_user,
    no_such_device,
    sealing_context,
    validate_serial_number,
)
from .steps import Step, run_all_or_nothing

MAX_MFA_DEVICES_PER_USER = quotas.MFA_DEVICES_PER_USER
MAX_VIRTUAL_MFA_DEVICES = quotas.USERS_QUOTA  # QUOTAS.md §2: virtual MFA devices per account = user quota
SEED_BYTES = 20
STEP, DIGITS = 30, 6
ENABLE_TOLERANCE = 2  # steps either side of now that EnableMFADevice's two codes may come from
SIGN_IN_TOLERANCE = 1  # steps either side of the device's (drift-corrected) now at sign-in
RESYNC_WINDOW = 20  # ResyncMFADevice looks ±10 minutes for the two codes
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper and typed back
ROOT_DEVICE_NAME = "root-account-mfa-device"  # AWS's name for the root user's virtual device
INVALID_CODE = "Authentication code for device is not valid."
VERIFY_ACTION = "portal:VerifyMFACode"
_CODE = re.compile(r"[\d]+", re.ASCII)  # the model's pattern, as its message quotes it
_THROTTLE_FIELDS = ["throttling_failure_timestamp", "throttling_failure_count"]
_PNG_SCALE = 6  # pixels per QR module


@dataclass(frozen=True)
class NewVirtualMFADevice:
    """A device and its seed, for the one page that shows it: the seed as text, a QR code of the
    otpauth URI (PNG and SVG) and the URI itself. The repr hides all but the device."""

    device: MFADevice
    base32_string_seed: str = field(repr=False)
    qr_code_png: bytes = field(repr=False)
    qr_code_svg: str = field(repr=False)
    otpauth_uri: str = field(repr=False)

    def __repr__(self) -> str:
        return f"NewVirtualMFADevice(device={self.device!r}, seed=<hidden>)"

    __str__ = __repr__


# Checks ---------------------------------------------------------------------------------------------


def _validate_code(value: object, member: str) -> str:
    """authenticationCodeType: 6 digits. The message never shows the value."""
    return validation.constrained(
        value, member, min_length=DIGITS, max_length=DIGITS, pattern=_CODE, hide_value=True
    )


def _lock_user(user: User) -> None:
    """Lock the user's row: racing enables for one user count its devices one at a time."""
    if not lock_row(User, user.pk):
        raise NoSuchEntityError(f"The user with name {user.user_name} cannot be found.")


# TOTP -----------------------------------------------------------------------------------------------


def _seed(device: MFADevice) -> bytes:
    return base64.b32decode(_seed_text(device))


def _seed_text(device: MFADevice) -> str:
    return secretbox.decrypt(device.seed_ciphertext, context=sealing_context(device.serial_number))


def _current_step(seed: bytes) -> int:
    """The time step of now, without drift (django-otp's clock: tests set TOTP.time)."""
    return TOTP(seed, step=STEP, digits=DIGITS).t()


def _code_is(seed: bytes, step: int, code: str) -> bool:
    return step >= 0 and hmac.compare_digest(f"{hotp(seed, step, digits=DIGITS):0{DIGITS}d}", code)


def _consecutive(
    seed: bytes, code_1: str, code_2: str, *, center: int, window: int, after: int
) -> int | None:
    """The step of code 2 when codes 1 and 2 are those of two consecutive steps within `window` of
    `center`, both later than step `after` (replay); None otherwise. The same code twice never is."""
    if code_1 == code_2:
        return None
    for step in range(center - window, center + window):
        if step > after and _code_is(seed, step, code_1) and _code_is(seed, step + 1, code_2):
            return step + 1
    return None


def _locked_until(device: MFADevice) -> datetime | None:
    """When django-otp's exponential back-off lets the device verify again; None if it may now."""
    allowed, data = device.verify_is_allowed()
    return None if allowed else data["locked_until"]


# Presentation ---------------------------------------------------------------------------------------


def _account_name(user: User) -> str:
    """The otpauth label's account: "<user name or root email>@<account alias or id>"."""
    account = user.account
    return f"{user.email if user.is_root else user.user_name}@{account.alias or account.account_id}"


def _otpauth_uri(base32_seed: str, account_name: str) -> str:
    issuer = quote(getattr(settings, "IAM_PORTAL_MFA_ISSUER", "IAM Portal"), safe="")
    return f"otpauth://totp/{issuer}:{quote(account_name, safe='@')}?secret={base32_seed}&issuer={issuer}"


def _png(matrix: list[list[bool]], scale: int = _PNG_SCALE) -> bytes:
    """A 1-bit greyscale PNG of a QR matrix (True = dark), written with zlib: no imaging library."""
    size = len(matrix) * scale
    rows = []
    for modules in matrix:
        bits = "".join(("0" if dark else "1") * scale for dark in modules)
        bits += "1" * (-len(bits) % 8)
        rows.append(b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big"))  # filter type 0
    raw = b"".join(row for row in rows for _ in range(scale))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@sensitive_variables()
def _presented(device: MFADevice, base32_seed: str, account_name: str) -> NewVirtualMFADevice:
    uri = _otpauth_uri(base32_seed, account_name)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(uri)
    code.make(fit=True)
    svg = code.make_image(image_factory=SvgPathImage).to_string(encoding="unicode")
    return NewVirtualMFADevice(device, base32_seed, _png(code.get_matrix()), svg, uri)


# Actions --------------------------------------------------------------------------------------------


@sensitive_variables()
def _create(
    ctx: RequestContext, device_name: str, path: str, tags: list[dict] | None, account_name: str | None
) -> NewVirtualMFADevice:
    validation.name(device_name, "virtualMFADeviceName", DEVICE_NAME_MAX)
    validation.path(path)
    tag_values = validation.tags(tags or [])
    serial = device_arn(ctx.account.account_id, path, device_name)
    if len(serial) > SERIAL_NUMBER_RANGE[1]:
        raise InvalidInputError(
            f"The device's serial number (its ARN) would exceed {SERIAL_NUMBER_RANGE[1]} characters; "
            "use a shorter path or name."
        )
    authorize(
        ctx, "iam:CreateVirtualMFADevice", serial, validation.tag_context(tag_values) if tag_values else None
    )
    already = EntityAlreadyExistsError("MFADevice entity at the same path and name already exists.")
    base32_seed = base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode()
    with audit.write(
        ctx,
        "iam:CreateVirtualMFADevice",
        serial,
        on_integrity_error=already,
        virtual_mfa_device_name=device_name,
        path=path,
        tags=tag_values or None,
    ):
        # The account row serializes creations, so the quota and the name check cannot race.
        Account.objects.select_for_update().get(pk=ctx.account.pk)
        if MFADevice.objects.filter(account=ctx.account, device_name__lower=device_name.lower()).exists():
            raise already
        if MFADevice.objects.filter(account=ctx.account).count() >= MAX_VIRTUAL_MFA_DEVICES:
            raise LimitExceededError(
                f"Cannot exceed quota for VirtualMFADevicesPerAccount: {MAX_VIRTUAL_MFA_DEVICES}"
            )
        device = MFADevice.objects.create(
            account=ctx.account,
            device_name=device_name,
            path=path,
            serial_number=serial,
            seed_ciphertext=secretbox.encrypt(base32_seed, context=sealing_context(serial)),
            tags=tag_values,
        )
    return _presented(device, base32_seed, account_name or device_name)


def create_virtual_mfa_device(
    ctx: RequestContext, *, virtual_mfa_device_name: str, path: str = "/", tags: list[dict] | None = None
) -> NewVirtualMFADevice:
    """CreateVirtualMFADevice: an unassigned device with a new random seed, returned this once."""
    return _create(ctx, virtual_mfa_device_name, path, tags, None)


def _created_by_caller(ctx: RequestContext, device: MFADevice) -> bool:
    """Whether the caller created the device (its latest creation): only then may its seed be shown
    again. A pending device someone else made could have a seed that someone else knows."""
    creator = (
        AuditEvent.objects.filter(
            account=ctx.account,
            action="iam:CreateVirtualMFADevice",
            target_arn=device.serial_number,
            outcome=audit.SUCCESS,
        )
        .order_by("-time", "-id")
        .values_list("actor_arn", flat=True)
        .first()
    )
    return creator == ctx.caller_arn


@sensitive_variables()
def enrollment_token(device: MFADevice) -> str:
    """What a sign-in keeps in its session to find its own pending device again (not the seed)."""
    return hashlib.sha256(device.seed_ciphertext.encode()).hexdigest()[:32]


def pending_device_for(ctx: RequestContext, user: User, token: str | None = None) -> NewVirtualMFADevice:
    """The enrollment page's device: the pending device this sign-in already showed (found by its
    `token`, kept in the session), else a new one, so that a seed is shown to one session only and
    stays the same across its retries and reloads. Other unfinished devices of the user's
    enrollment are deleted: nobody else's view of a seed can become the user's device.

    The root user's device is named root-account-mfa-device, as in AWS; a taken name gets a suffix.
    """
    base = ROOT_DEVICE_NAME if user.is_root else user.user_name
    names = [base, *(f"{base}-{n}" for n in range(2, MAX_MFA_DEVICES_PER_USER + 2))]
    unfinished = [
        d
        for d in MFADevice.objects.filter(
            reduce(or_, (Q(device_name__lower=name.lower()) for name in names)),
            account=ctx.account,
            user__isnull=True,
        )
        if _created_by_caller(ctx, d)
    ]
    for device in unfinished:
        if token and hmac.compare_digest(enrollment_token(device), token):
            authorize(ctx, "iam:CreateVirtualMFADevice", device.serial_number)
            return _presented(device, _seed_text(device), _account_name(user))
    for device in unfinished:
        delete_virtual_mfa_device(ctx, serial_number=device.serial_number)
    try:
        return _pending_or_new(ctx, names, _account_name(user), reuse=False)
    except EntityAlreadyExistsError:
        return _pending_or_new(ctx, names, _account_name(user), reuse=False)  # a racing request took the name


@sensitive_variables()
def _pending_or_new(
    ctx: RequestContext, names: list[str], account_name: str, reuse: bool = True
) -> NewVirtualMFADevice:
    found = MFADevice.objects.filter(
        reduce(or_, (Q(device_name__lower=name.lower()) for name in names)), account=ctx.account
    )
    by_name = {device.device_name.lower(): device for device in found}
    free = None
    for name in names:
        device = by_name.get(name.lower())
        if device is None:
            free = free or name
        elif reuse and device.user_id is None and _created_by_caller(ctx, device):
            # Showing the seed again is creating the device again, as far as permissions go.
            authorize(ctx, "iam:CreateVirtualMFADevice", device.serial_number)
            return _presented(device, _seed_text(device), account_name)
    if free is None:
        raise LimitExceededError(f"Cannot exceed quota for MFADevicesPerUser: {MAX_MFA_DEVICES_PER_USER}")
    return _create(ctx, free, "/", None, account_name)


@sensitive_variables()
def enable_mfa_device(
    ctx: RequestContext,
    *,
    serial_number: str,
    authentication_code_1: str,
    authentication_code_2: str,
    user_name: str | None = None,
) -> MFADevice:
    """EnableMFADevice: assign a pending device to the user (the caller without a name, the root user
    included) with two consecutive codes from it."""
    validate_serial_number(serial_number)
    _validate_code(authentication_code_1, "authenticationCode1")
    _validate_code(authentication_code_2, "authenticationCode2")
    user = mfa_user(ctx, user_name)
    authorize_on(ctx, "iam:EnableMFADevice", user)
    with audit.write(ctx, "iam:EnableMFADevice", user.arn, user_name=user_name, serial_number=serial_number):
        _lock_user(user)
        # The device's row: of racing enables of one device, exactly one finds it unassigned.
        device = (
            MFADevice.objects.select_for_update()
            .filter(account=ctx.account, serial_number=serial_number)
            .first()
        )
        if device is None:
            raise no_such_device(serial_number)
        if device.user_id is not None:
            raise EntityAlreadyExistsError("MFA Device is already in use.")
        if MFADevice.objects.filter(user=user).count() >= MAX_MFA_DEVICES_PER_USER:
            raise LimitExceededError(f"Cannot exceed quota for MFADevicesPerUser: {MAX_MFA_DEVICES_PER_USER}")
        seed = _seed(device)
        step = _consecutive(
            seed,
            authentication_code_1,
            authentication_code_2,
            center=_current_step(seed),
            window=ENABLE_TOLERANCE,
            after=device.last_t,  # a device enabled before (then deactivated) needs fresh codes
        )
        if step is None:
            raise InvalidAuthenticationCodeError(INVALID_CODE)
        # As in AWS, late codes still enable the device; ResyncMFADevice corrects the drift.
        device.user, device.enable_date, device.last_t, device.drift = user, timezone.now(), step, 0
        device.throttle_reset(commit=False)
        device.save(update_fields=["user", "enable_date", "last_t", "drift", *_THROTTLE_FIELDS])
    return device


@sensitive_variables()
def resync_mfa_device(
    ctx: RequestContext,
    *,
    serial_number: str,
    authentication_code_1: str,
    authentication_code_2: str,
    user_name: str | None = None,
) -> MFADevice:
    """ResyncMFADevice: find two consecutive codes of the user's device within ±10 minutes and
    remember how far its clock is off."""
    validate_serial_number(serial_number)
    _validate_code(authentication_code_1, "authenticationCode1")
    _validate_code(authentication_code_2, "authenticationCode2")
    user = mfa_user(ctx, user_name)
    authorize_on(ctx, "iam:ResyncMFADevice", user)
    with audit.write(ctx, "iam:ResyncMFADevice", user.arn, user_name=user_name, serial_number=serial_number):
        device = MFADevice.objects.select_for_update().filter(user=user, serial_number=serial_number).first()
        if device is None:
            raise no_such_device(serial_number)
        seed = _seed(device)
        now = _current_step(seed)
        step = _consecutive(
            seed,
            authentication_code_1,
            authentication_code_2,
            center=now,
            window=RESYNC_WINDOW,
            after=device.last_t,
        )
        if step is None:
            raise InvalidAuthenticationCodeError(INVALID_CODE)
        device.drift, device.last_t = step - now, step
        device.throttle_reset(commit=False)
        device.save(update_fields=["drift", "last_t", *_THROTTLE_FIELDS])
    return device


def deactivate_mfa_device(ctx: RequestContext, *, serial_number: str, user_name: str | None = None) -> None:
    """DeactivateMFADevice: unassign the device from the user (the caller without a name). The device
    stays, unassigned, with its seed; enabling it again takes two codes newer than any it gave."""
    validate_serial_number(serial_number)
    user = mfa_user(ctx, user_name)
    authorize_on(ctx, "iam:DeactivateMFADevice", user)
    with audit.write(
        ctx, "iam:DeactivateMFADevice", user.arn, user_name=user_name, serial_number=serial_number
    ):
        _lock_user(user)
        device = MFADevice.objects.select_for_update().filter(user=user, serial_number=serial_number).first()
        if device is None:
            raise no_such_device(serial_number)
        # last_t stays: a code the device gave before is not good again after a re-enable.
        device.user, device.enable_date, device.drift = None, None, 0
        device.throttle_reset(commit=False)
        device.save(update_fields=["user", "enable_date", "drift", *_THROTTLE_FIELDS])


def delete_virtual_mfa_device(ctx: RequestContext, *, serial_number: str) -> None:
    """DeleteVirtualMFADevice: only an unassigned device (DeleteConflict while it is in use)."""
    validate_serial_number(serial_number)
    tags = device_tags(ctx, serial_number)
    authorize(ctx, "iam:DeleteVirtualMFADevice", serial_number, resource_tag_context(tags))
    with audit.write(ctx, "iam:DeleteVirtualMFADevice", serial_number, serial_number=serial_number):
        device = (
            MFADevice.objects.select_for_update()
            .filter(account=ctx.account, serial_number=serial_number)
            .defer("seed_ciphertext")
            .first()
        )
        if device is None:  # deleted since the lookup
            raise no_such_device(serial_number)
        if device.user_id is not None:
            raise DeleteConflictError("MFA VirtualDevice in use. Must deactivate first.")
        device.delete()


def _lock_device(ctx: RequestContext, serial_number: str) -> MFADevice:
    """The device's row (seed left out), locked for the rest of the transaction; it may have gone."""
    device = (
        MFADevice.objects.select_for_update()
        .filter(account=ctx.account, serial_number=serial_number)
        .only("pk", "tags")
        .first()
    )
    if device is None:
        raise no_such_device(serial_number)
    return device


def tag_mfa_device(ctx: RequestContext, *, serial_number: str, tags: list[dict]) -> None:
    """TagMFADevice: a key that exists (in any case) gets the new value; at most 50 tags."""
    validate_serial_number(serial_number)
    tag_values = validation.tags(tags)
    current = device_tags(ctx, serial_number)
    authorize(
        ctx,
        "iam:TagMFADevice",
        serial_number,
        {**resource_tag_context(current), **validation.tag_context(tag_values)},
    )
    with audit.write(ctx, "iam:TagMFADevice", serial_number, serial_number=serial_number, tags=tag_values):
        locked = _lock_device(ctx, serial_number)
        locked.tags = validation.merge_tags(locked.tags, tag_values)
        locked.save(update_fields=["tags"])


def untag_mfa_device(ctx: RequestContext, *, serial_number: str, tag_keys: list[str]) -> None:
    """UntagMFADevice: keys that are not there are ignored, as in AWS."""
    validate_serial_number(serial_number)
    keys = validation.tag_keys(tag_keys)
    current = device_tags(ctx, serial_number)
    authorize(
        ctx, "iam:UntagMFADevice", serial_number, {**resource_tag_context(current), "aws:TagKeys": keys}
    )
    with audit.write(ctx, "iam:UntagMFADevice", serial_number, serial_number=serial_number, tag_keys=keys):
        locked = _lock_device(ctx, serial_number)
        locked.tags = validation.remove_tags(locked.tags, keys)
        locked.save(update_fields=["tags"])


# Sign-in --------------------------------------------------------------------------------------------


@sensitive_variables()
def verify_code(
    user: User, code: str, serial_number: str | None = None, *, ctx: RequestContext | None = None
) -> MFADevice:
    """Sign-in's second factor: the code of one of the user's enabled devices (the one named, else
    any), once only, under django-otp's exponential back-off; the device it came from.

    Call it outside a transaction: a failure's back-off is committed before the error is raised.
    `ctx` (the sign-in request) is for the audit row; without it, the internal channel.
    """
    ctx = ctx or system_context(user)
    typed = code.replace(" ", "") if isinstance(code, str) else ""
    failure: InvalidAuthenticationCodeError | None = None
    reason = ""
    with transaction.atomic():
        devices = MFADevice.objects.select_for_update().filter(user=user).order_by("pk")
        if serial_number is not None:
            devices = devices.filter(serial_number=serial_number)
        devices = list(devices)
        waits = [until for until in map(_locked_until, devices) if until is not None]
        matched = None
        if not devices:
            failure, reason = InvalidAuthenticationCodeError(INVALID_CODE), "no device"
        elif waits:
            seconds = max(1, math.ceil((max(waits) - timezone.now()).total_seconds()))
            failure = InvalidAuthenticationCodeError(f"Too many wrong codes; try again in {seconds} seconds.")
            reason = "throttled"
        elif len(typed) != DIGITS or not _CODE.fullmatch(typed):
            # Not a guess at a code (a recovery code, a typo): it does not count towards the back-off.
            failure, reason = InvalidAuthenticationCodeError(INVALID_CODE), "malformed code"
        else:
            matched, replayed = _match(devices, typed)
            for device in devices:
                if matched is None:
                    device.throttle_increment(commit=False)
                else:
                    device.throttle_reset(commit=False)
                fields = [*_THROTTLE_FIELDS, "last_t", "drift"] if device is matched else _THROTTLE_FIELDS
                device.save(update_fields=fields)
            if matched is None:
                failure = InvalidAuthenticationCodeError(INVALID_CODE)
                reason = "replayed code" if replayed else "wrong code"
            else:
                audit.record(ctx, VERIFY_ACTION, target=user.arn, serial_number=matched.serial_number)
    if failure is not None:
        audit.record(
            ctx,
            VERIFY_ACTION,
            target=user.arn,
            outcome=audit.FAILED,
            error_code=failure.code,
            serial_number=serial_number,
            reason=reason,
        )
        raise failure
    return matched


@sensitive_variables()
def _match(devices: list[MFADevice], code: str) -> tuple[MFADevice | None, bool]:
    """The device whose code this is now (its last_t and drift updated), and whether the code was
    one already used (so refused)."""
    replayed = False
    for device in devices:
        seed = _seed(device)
        now = _current_step(seed) + device.drift
        for offset in range(-SIGN_IN_TOLERANCE, SIGN_IN_TOLERANCE + 1):
            if _code_is(seed, now + offset, code):
                if now + offset <= device.last_t:
                    replayed = True
                    continue
                device.last_t, device.drift = now + offset, device.drift + offset
                return device, False
    return None, replayed


# Recovery codes -------------------------------------------------------------------------------------


def _new_recovery_code() -> str:
    """Two groups of five characters: 50 random bits."""
    text = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{text[:5]}-{text[5:]}"


@sensitive_variables()
def generate_recovery_codes(ctx: RequestContext) -> list[str]:
    """Ten new one-time recovery codes of the root user, replacing any earlier ones; shown this once."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with audit.write(ctx, "portal:GenerateRecoveryCodes", ctx.caller_arn, count=RECOVERY_CODE_COUNT):
        if not ctx.caller.is_root:
            raise InvalidUserTypeError("Recovery codes are for the root user only.")
        _lock_user(ctx.caller)
        RecoveryCode.objects.filter(user=ctx.caller).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=ctx.caller, code_hash=make_password(code)) for code in codes
        )
    return codes


@sensitive_variables()
def use_recovery_code(user: User, code: str, *, ctx: RequestContext | None = None) -> bool:
    """Spend one of the user's recovery codes: True once per code, False for any other text."""
    ctx = ctx or system_context(user)
    typed = "".join(code.split()).lower() if isinstance(code, str) else ""
    used = None
    with transaction.atomic():
        unused = RecoveryCode.objects.select_for_update().filter(user=user, used__isnull=True).order_by("pk")
        used = next((rc for rc in unused if typed and check_password(typed, rc.code_hash)), None)
        if used is not None:
            used.used = timezone.now()
            used.save(update_fields=["used"])
            audit.record(ctx, "portal:UseRecoveryCode", target=user.arn)
    if used is None:
        audit.record(
            ctx,
            "portal:UseRecoveryCode",
            target=user.arn,
            outcome=audit.FAILED,
            error_code=InvalidAuthenticationCodeError.code,
        )
    return used is not None


# The console's Assign MFA device wizard -------------------------------------------------------------


def _enrollment_label(account: Account, device_name: str) -> str:
    """The wizard's otpauth account name: "<device name>@<account alias or id>", as AWS's console."""
    return f"{device_name}@{account.alias or account.account_id}"


def begin_mfa_enrollment(ctx: RequestContext, *, virtual_mfa_device_name: str) -> NewVirtualMFADevice:
    """The wizard's first step, CreateVirtualMFADevice (path "/"): a pending device and its seed.

    The page keeps the serial number and enrollment_token() of the device (not its seed) to show it
    again to the same session (resume_mfa_enrollment) until EnableMFADevice assigns it.
    """
    label = _enrollment_label(ctx.account, virtual_mfa_device_name)
    return _create(ctx, virtual_mfa_device_name, "/", None, label)


@sensitive_variables()
def resume_mfa_enrollment(ctx: RequestContext, *, serial_number: str, token: str) -> NewVirtualMFADevice:
    """The wizard's pending device again (a reload, a wrong code): only while it is unassigned, only
    to the caller that created it and with the token its session kept, as pending_device_for does.
    Anything else is NoSuchEntity: a seed is never shown to anyone who did not see it first."""
    validate_serial_number(serial_number)
    device = MFADevice.objects.filter(
        account=ctx.account, serial_number=serial_number, user__isnull=True
    ).first()
    if (
        device is None
        or not isinstance(token, str)
        or not hmac.compare_digest(enrollment_token(device).encode(), token.encode())
        or not _created_by_caller(ctx, device)
    ):
        raise no_such_device(serial_number)
    # Showing the seed again is creating the device again, as far as permissions go.
    authorize(ctx, "iam:CreateVirtualMFADevice", device.serial_number)
    return _presented(device, _seed_text(device), _enrollment_label(ctx.account, device.device_name))


def remove_mfa_device(ctx: RequestContext, *, serial_number: str, user_name: str | None = None) -> None:
    """The console's Remove: DeactivateMFADevice then DeleteVirtualMFADevice (the user's own device
    without a name), all or nothing: a caller who may deactivate but not delete leaves no unassigned
    device (with a seed someone knows) behind. Each action is audited as itself."""
    validate_serial_number(serial_number)
    user = mfa_user(ctx, user_name)
    tags = device_tags(ctx, serial_number)  # NoSuchEntity for a device not in the account
    audited = {"user_name": user_name, "serial_number": serial_number}
    run_all_or_nothing(
        ctx,
        [
            Step(
                "iam:DeactivateMFADevice",
                user.arn,
                resource_tag_context(user.tags or {}),
                lambda: deactivate_mfa_device(ctx, serial_number=serial_number, user_name=user_name),
                audited,
            ),
            Step(
                "iam:DeleteVirtualMFADevice",
                serial_number,
                resource_tag_context(tags),
                lambda: delete_virtual_mfa_device(ctx, serial_number=serial_number),
                {"serial_number": serial_number},
            ),
        ],
    )
