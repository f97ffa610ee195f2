"""Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice, DeactivateMFADevice,
DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices; the console's pending device, sign-in's
verify_code (replay, back-off) and the root user's recovery codes.

Codes are real RFC 6238 codes computed from the seed at a fixed time (django-otp's TOTP.time).
"""

from __future__ import annotations

import base64
import json
import logging
import struct
import threading
import xml.etree.ElementTree as ET
import zlib
from datetime import timedelta

import pytest
import qrcode
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.utils import timezone
from django_otp.oath import TOTP, hotp

from accounts.models import AuditEvent, MFADevice, RecoveryCode, User, unique_id
from accounts.selectors import mfa as mfa_reads
from accounts.selectors.account import get_account_summary
from accounts.services import mfa
from accounts.services.account import create_account_alias
from accounts.services.users import create_user, delete_user
from iam_portal import secretbox
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    EntityAlreadyExistsError,
    IamError,
    InvalidAuthenticationCodeError,
    InvalidInputError,
    InvalidUserTypeError,
    LimitExceededError,
    NoSuchEntityError,
    ValidationError,
)
from iam_portal.secretbox import SecretBoxError
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

NOW = 1_800_000_015  # a fixed Unix time, 15 seconds into a step
T = NOW // 30
INVALID = "^Authentication code for device is not valid.$"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Clock:
    now = NOW


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    """django-otp's clock, set by the test (the service reads time through TOTP.time)."""
    fixed = Clock()
    monkeypatch.setattr(TOTP, "time", property(lambda self: fixed.now))
    return fixed


@pytest.fixture
def alice(ctx) -> User:
    return create_user(ctx, user_name="alice")


@pytest.fixture
def bob(ctx) -> User:
    return create_user(ctx, user_name="bob")


def seed_of(device) -> bytes:
    text = device.base32_string_seed if isinstance(device, mfa.NewVirtualMFADevice) else device
    return base64.b32decode(text)


def code(device, step: int) -> str:
    """The device's code at a time step."""
    return f"{hotp(seed_of(device), step):06d}"


def wrong_code(device, around: int = T) -> str:
    """A well-formed code that is no code of the device near the step."""
    near = {code(device, step) for step in range(around - 3, around + 4)}
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)


def new(ctx, name: str = "phone", **kwargs) -> mfa.NewVirtualMFADevice:
    return mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=name, **kwargs)


def enable(ctx, device, user_name: str | None = None, step: int = T) -> MFADevice:
    """Enable with the codes of the step before and of `step` (by default, now's)."""
    return mfa.enable_mfa_device(
        ctx,
        user_name=user_name,
        serial_number=device.device.serial_number,
        authentication_code_1=code(device, step - 1),
        authentication_code_2=code(device, step),
    )


def stored(device) -> MFADevice:
    return MFADevice.objects.get(
        pk=device.device.pk if isinstance(device, mfa.NewVirtualMFADevice) else device.pk
    )


def self_service(ctx, name: str, actions: list[str] | None = None):
    """An IAM user allowed the MFA actions on its own user ARN and its own device name."""
    user = create_user(ctx, user_name=name)
    acct = ctx.account.account_id
    f.put_user_policy(
        user,
        "ManageOwnMFA",
        f.allow(
            actions or ["iam:*MFADevice*", "iam:ListMFADevices"],
            [f"arn:aws:iam::{acct}:user/${{aws:username}}", f"arn:aws:iam::{acct}:mfa/${{aws:username}}*"],
        ),
    )
    return f.context_for(user)


def png_pixels(data: bytes) -> list[list[int]]:
    """Decode a 1-bit greyscale PNG (chunk CRCs checked): rows of 0 (black) and 1 (white)."""
    assert data[:8] == PNG_SIGNATURE
    pos, chunks = 8, {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (1, 0, 0) and list(chunks)[-1] == b"IEND"
    raw, stride = zlib.decompress(chunks[b"IDAT"]), 1 + (width + 7) // 8
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)  # filter type None
    return [[(row[1 + x // 8] >> (7 - x % 8)) & 1 for x in range(width)] for row in rows]


class CreateVirtualMFADeviceTests:
    def test_creates_an_unassigned_device_whose_serial_number_is_its_arn(self, ctx, acct):
        made = new(ctx, "phone")
        device = made.device
        assert device.serial_number == f"arn:aws:iam::{acct}:mfa/phone"
        assert (device.user, device.enable_date, device.last_t) == (None, None, -1)
        assert len(seed_of(made)) == 20 and len(made.base32_string_seed) == 32
        assert (
            new(ctx, "tablet", path="/team/").device.serial_number == f"arn:aws:iam::{acct}:mfa/team/tablet"
        )
        assert events("iam:CreateVirtualMFADevice") == [("success", "")] * 2
        event = AuditEvent.objects.filter(action="iam:CreateVirtualMFADevice").first()
        assert event.target_arn == device.serial_number
        assert event.parameters == {"virtual_mfa_device_name": "phone", "path": "/"}

    def test_seeds_are_random(self, ctx):
        seeds = {new(ctx, f"d{i}").base32_string_seed for i in range(5)}
        assert len(seeds) == 5

    def test_the_seed_column_is_ciphertext_sealed_to_the_device(self, ctx):
        made, other = new(ctx, "phone"), new(ctx, "tablet")
        column = MFADevice.objects.values_list("seed_ciphertext", flat=True).get(pk=made.device.pk)
        assert column.startswith("v1:") and made.base32_string_seed not in column
        assert seed_of(made).hex() not in column
        serial = made.device.serial_number
        assert secretbox.decrypt(column, context=f"mfa:{serial}") == made.base32_string_seed
        with pytest.raises(SecretBoxError):
            secretbox.decrypt(column, context=f"mfa:{other.device.serial_number}")

    def test_names_are_unique_per_account_case_insensitively_whatever_the_path(self, ctx):
        new(ctx, "phone")
        for name, path in [("PHONE", "/"), ("phone", "/other/")]:
            with pytest.raises(
                EntityAlreadyExistsError, match="^MFADevice entity at the same path and name already exists.$"
            ):
                new(ctx, name, path=path)
        assert new(f.root_context(), "phone").device.device_name == "phone"  # another account
        assert events("iam:CreateVirtualMFADevice") == [
            ("success", ""),
            ("failed", "EntityAlreadyExists"),
            ("failed", "EntityAlreadyExists"),
            ("success", ""),
        ]

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Value '' at 'virtualMFADeviceName' failed to satisfy constraint: Member must not be null"),
            ("a" * 227, "Member must have length less than or equal to 226"),
            ("my phone", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
        ],
    )
    def test_names_follow_the_model_constraints(self, ctx, name, message):
        with pytest.raises(ValidationError) as caught:
            new(ctx, name)
        assert message in caught.value.message
        assert not MFADevice.objects.exists()

    def test_a_name_of_226_characters_is_accepted(self, ctx):
        assert len(new(ctx, "a" * 226).device.device_name) == 226

    def test_paths_follow_the_model_constraints(self, ctx):
        with pytest.raises(ValidationError, match="at 'path' failed to satisfy constraint"):
            new(ctx, path="team")

    def test_a_serial_number_longer_than_256_characters_is_invalid_input(self, ctx):
        with pytest.raises(InvalidInputError, match="would exceed 256 characters"):
            new(ctx, "a" * 200, path="/" + "p" * 40 + "/")

    def test_tags_are_stored_and_reach_the_policy(self, ctx):
        made = new(ctx, tags=[{"Key": "team", "Value": "blue"}])
        assert stored(made).tags == {"team": "blue"}
        ops = create_user(ctx, user_name="ops")
        f.put_user_policy(
            ops,
            "BlueDevices",
            f.allow(
                "iam:CreateVirtualMFADevice", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}
            ),
        )
        ops_ctx = f.context_for(ops)
        new(ops_ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        with pytest.raises(AccessDeniedError):
            new(ops_ctx, "red", tags=[{"Key": "team", "Value": "red"}])

    def test_quota_of_virtual_devices_per_account(self, ctx, monkeypatch):
        monkeypatch.setattr(mfa, "MAX_VIRTUAL_MFA_DEVICES", 2)
        new(ctx, "a")
        new(ctx, "b")
        with pytest.raises(
            LimitExceededError, match="^Cannot exceed quota for VirtualMFADevicesPerAccount: 2$"
        ):
            new(ctx, "c")

    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        with pytest.raises(AccessDeniedError) as caught:
            new(f.context_for(alice), "alice")
        assert caught.value.message == f.denial(
            acct, "alice", "iam:CreateVirtualMFADevice", f"arn:aws:iam::{acct}:mfa/alice"
        )
        assert events("iam:CreateVirtualMFADevice") == [("denied", "AccessDenied")]
        assert not MFADevice.objects.exists()

    def test_an_iam_user_may_create_its_own_device_only(self, ctx):
        carol = self_service(ctx, "carol")
        assert new(carol, "carol").device.device_name == "carol"
        with pytest.raises(AccessDeniedError):
            new(carol, "dave")


class QRCodeTests:
    def test_the_otpauth_uri_names_the_issuer_and_the_device(self, ctx):
        made = new(ctx, "phone")
        seed = made.base32_string_seed
        assert made.otpauth_uri == f"otpauth://totp/IAM%20Portal:phone?secret={seed}&issuer=IAM%20Portal"

    def test_the_issuer_comes_from_the_settings(self, ctx, settings):
        settings.IAM_PORTAL_MFA_ISSUER = "Acme & Co"
        made = new(ctx, "phone")
        assert made.otpauth_uri.startswith("otpauth://totp/Acme%20%26%20Co:phone?secret=")
        assert made.otpauth_uri.endswith("&issuer=Acme%20%26%20Co")

    def test_the_png_shows_the_qr_code_of_the_uri(self, ctx):
        made = new(ctx, "phone")
        assert made.qr_code_png.startswith(PNG_SIGNATURE)
        expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        expected.add_data(made.otpauth_uri)
        expected.make(fit=True)
        matrix = expected.get_matrix()
        pixels = png_pixels(made.qr_code_png)
        scale = len(pixels) // len(matrix)
        assert scale >= 4 and len(pixels) == len(pixels[0]) == scale * len(matrix)
        assert pixels == [
            [0 if matrix[y // scale][x // scale] else 1 for x in range(len(pixels))]
            for y in range(len(pixels))
        ]

    def test_the_svg_parses_as_xml(self, ctx):
        made = new(ctx, "phone")
        root = ET.fromstring(made.qr_code_svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.find("{http://www.w3.org/2000/svg}path") is not None

    def test_the_repr_hides_the_seed_the_uri_and_the_images(self, ctx):
        made = new(ctx, "phone")
        assert (
            repr(made)
            == str(made)
            == f"NewVirtualMFADevice(device=<MFADevice {made.device.serial_number}>, seed=<hidden>)"
        )


class PendingDeviceForTests:
    def test_the_root_users_device_keeps_its_seed_across_reloads(self, ctx, root, acct):
        first = mfa.pending_device_for(ctx, root)
        again = mfa.pending_device_for(f.root_context(root), root, mfa.enrollment_token(first.device))
        assert first.device.serial_number == f"arn:aws:iam::{acct}:mfa/root-account-mfa-device"
        assert again.device.pk == first.device.pk
        assert again.base32_string_seed == first.base32_string_seed
        assert again.qr_code_png == first.qr_code_png and again.otpauth_uri == first.otpauth_uri
        assert first.otpauth_uri == (
            f"otpauth://totp/IAM%20Portal:{root.email}@{acct}?secret={first.base32_string_seed}"
            "&issuer=IAM%20Portal"
        )
        assert events("iam:CreateVirtualMFADevice") == [("success", "")]  # created once

    def test_the_label_uses_the_account_alias(self, ctx, root):
        create_account_alias(ctx, account_alias="example-corp")
        root = User.objects.select_related("account").get(pk=root.pk)
        assert (
            f"IAM%20Portal:{root.email}@example-corp?"
            in mfa.pending_device_for(f.root_context(root), root).otpauth_uri
        )

    def test_an_iam_users_device_is_named_after_it(self, ctx, acct):
        carol_ctx = self_service(ctx, "carol")
        pending = mfa.pending_device_for(carol_ctx, carol_ctx.caller)
        assert pending.device.serial_number == f"arn:aws:iam::{acct}:mfa/carol"
        assert f"IAM%20Portal:carol@{acct}?" in pending.otpauth_uri
        assert (
            mfa.pending_device_for(
                carol_ctx, carol_ctx.caller, mfa.enrollment_token(pending.device)
            ).base32_string_seed
            == pending.base32_string_seed
        )

    def test_another_sign_in_gets_a_new_seed_and_the_unfinished_device_goes(self, ctx, root):
        """A seed is shown to one sign-in only: another session cannot learn the device to be enrolled."""
        first = mfa.pending_device_for(ctx, root)
        other = mfa.pending_device_for(f.root_context(root), root)
        assert other.base32_string_seed != first.base32_string_seed
        assert not MFADevice.objects.filter(pk=first.device.pk).exists()
        assert MFADevice.objects.filter(user__isnull=True).count() == 1

    def test_once_enabled_the_next_pending_device_is_a_new_one(self, ctx):
        carol_ctx = self_service(ctx, "carol")
        first = mfa.pending_device_for(carol_ctx, carol_ctx.caller)
        enable(carol_ctx, first)
        second = mfa.pending_device_for(carol_ctx, carol_ctx.caller)
        assert second.device.device_name == "carol-2"
        assert second.base32_string_seed != first.base32_string_seed

    def test_a_pending_device_someone_else_created_is_not_shown_again(self, ctx):
        planted = new(ctx, "carol")  # the root user knows this seed
        carol_ctx = self_service(ctx, "carol")
        pending = mfa.pending_device_for(carol_ctx, carol_ctx.caller)
        assert pending.device.device_name == "carol-2"
        assert pending.base32_string_seed != planted.base32_string_seed

    def test_the_caller_needs_permission_to_create_the_device(self, ctx, alice, acct):
        with pytest.raises(
            AccessDeniedError, match=f"iam:CreateVirtualMFADevice on resource: arn:aws:iam::{acct}:mfa/alice "
        ):
            mfa.pending_device_for(f.context_for(alice), alice)


class EnableMFADeviceTests:
    def test_two_consecutive_codes_assign_the_device(self, ctx, alice):
        made = new(ctx)
        device = enable(ctx, made, "alice")
        assert (device.user, device.last_t, device.drift) == (alice, T, 0)
        row = stored(made)
        assert row.user_id == alice.pk and row.enable_date is not None and row.last_t == T
        assert events("iam:EnableMFADevice") == [("success", "")]
        event = AuditEvent.objects.get(action="iam:EnableMFADevice")
        assert event.target_arn == alice.arn
        assert event.parameters == {"user_name": "alice", "serial_number": made.device.serial_number}

    @pytest.mark.parametrize("step", [T - 1, T + 1, T + 2])
    def test_codes_a_step_or_two_off_still_enable(self, ctx, alice, step):
        assert enable(ctx, new(ctx), "alice", step=step).user == alice

    @pytest.mark.parametrize(
        "codes",
        [
            pytest.param(lambda d: (code(d, T), code(d, T)), id="the-same-code-twice"),
            pytest.param(lambda d: (code(d, T - 2), code(d, T)), id="not-consecutive"),
            pytest.param(lambda d: (code(d, T), code(d, T - 1)), id="in-reverse-order"),
            pytest.param(lambda d: (code(d, T - 1), wrong_code(d)), id="a-wrong-code"),
            pytest.param(lambda d: (code(d, T - 10), code(d, T - 9)), id="five-minutes-old"),
        ],
    )
    def test_other_codes_are_invalid(self, ctx, alice, codes):
        made = new(ctx)
        first, second = codes(made)
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID) as caught:
            mfa.enable_mfa_device(
                ctx,
                user_name="alice",
                serial_number=made.device.serial_number,
                authentication_code_1=first,
                authentication_code_2=second,
            )
        assert (caught.value.code, caught.value.http_status) == ("InvalidAuthenticationCode", 403)
        assert stored(made).user is None
        assert events("iam:EnableMFADevice") == [("failed", "InvalidAuthenticationCode")]

    def test_the_same_code_twice_is_refused_even_when_two_steps_share_it(
        self, ctx, alice, clock, monkeypatch
    ):
        """RFC 4226's test key gives 235522 at both steps 62075368 and 62075369."""
        monkeypatch.setattr(mfa.secrets, "token_bytes", lambda n: b"12345678901234567890")
        clock.now = 62075369 * 30 + 5
        made = new(ctx)
        assert code(made, 62075368) == code(made, 62075369) == "235522"
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.enable_mfa_device(
                ctx,
                user_name="alice",
                serial_number=made.device.serial_number,
                authentication_code_1="235522",
                authentication_code_2="235522",
            )
        assert stored(made).user is None

    @pytest.mark.parametrize(
        ("value", "constraint"),
        [
            ("12345", "Member must have length greater than or equal to 6"),
            ("", "Member must have length greater than or equal to 6"),
            ("1234567", "Member must have length less than or equal to 6"),
            ("12a456", r"Member must satisfy regular expression pattern: [\d]+"),
            ("12\uff13456", r"Member must satisfy regular expression pattern: [\d]+"),
            (None, "Member must not be null"),
        ],
    )
    def test_malformed_codes_are_validation_errors_that_do_not_show_them(self, ctx, alice, value, constraint):
        made = new(ctx)
        with pytest.raises(ValidationError) as caught:
            mfa.enable_mfa_device(
                ctx,
                user_name="alice",
                serial_number=made.device.serial_number,
                authentication_code_1=code(made, T - 1),
                authentication_code_2=value,
            )
        assert caught.value.message == (
            f"1 validation error detected: Value at 'authenticationCode2' failed to satisfy constraint: {constraint}"
        )

    def test_a_device_in_use(self, ctx, alice, bob):
        made = new(ctx)
        enable(ctx, made, "alice")
        with pytest.raises(EntityAlreadyExistsError, match="^MFA Device is already in use.$"):
            enable(ctx, made, "bob", step=T + 2)
        assert stored(made).user == alice

    def test_an_unknown_device_or_one_of_another_account(self, ctx, alice, acct):
        theirs = new(f.root_context(), "theirs")
        for serial in [f"arn:aws:iam::{acct}:mfa/nothing", theirs.device.serial_number]:
            with pytest.raises(
                NoSuchEntityError, match=f"^MFA Device with serial number {serial} does not exist.$"
            ):
                mfa.enable_mfa_device(
                    ctx,
                    user_name="alice",
                    serial_number=serial,
                    authentication_code_1=code(theirs, T - 1),
                    authentication_code_2=code(theirs, T),
                )
        assert stored(theirs).user is None

    def test_an_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            enable(ctx, new(ctx), "ghost")

    def test_at_most_eight_devices_per_user(self, ctx, alice):
        for i in range(8):
            enable(ctx, new(ctx, f"d{i}"), "alice")
        ninth = new(ctx, "d8")
        with pytest.raises(LimitExceededError, match="^Cannot exceed quota for MFADevicesPerUser: 8$"):
            enable(ctx, ninth, "alice")
        assert MFADevice.objects.filter(user=alice).count() == 8 and stored(ninth).user is None

    def test_the_root_user_enables_its_own_without_a_name(self, ctx, root):
        assert get_account_summary(ctx)["AccountMFAEnabled"] == 0
        device = enable(ctx, mfa.pending_device_for(ctx, root))
        assert device.user == root
        assert get_account_summary(ctx)["AccountMFAEnabled"] == 1
        assert AuditEvent.objects.get(action="iam:EnableMFADevice").target_arn == root.arn

    def test_a_new_iam_user_may_not_even_for_itself(self, ctx, alice, acct):
        made = new(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            enable(f.context_for(alice), made)
        assert caught.value.message == f.denial(
            acct, "alice", "iam:EnableMFADevice", f"arn:aws:iam::{acct}:user/alice"
        )
        assert events("iam:EnableMFADevice") == [("denied", "AccessDenied")]

    def test_an_iam_user_with_the_self_service_policy_enables_its_own(self, ctx, bob):
        carol_ctx = self_service(ctx, "carol")
        assert enable(carol_ctx, mfa.pending_device_for(carol_ctx, carol_ctx.caller)).user == carol_ctx.caller
        with pytest.raises(AccessDeniedError):
            enable(carol_ctx, new(ctx, "for-bob"), "bob")

    def test_a_deactivated_device_takes_codes_newer_than_any_it_gave(self, ctx, alice, clock):
        made = new(ctx)
        enable(ctx, made, "alice")
        mfa.deactivate_mfa_device(ctx, user_name="alice", serial_number=made.device.serial_number)
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            enable(ctx, made, "alice")  # the same two codes again
        clock.now += 60
        assert enable(ctx, made, "alice", step=T + 2).user == alice


class VerifyCodeTests:
    @pytest.fixture
    def device(self, ctx, alice):
        made = new(ctx)
        enable(ctx, made, "alice")
        return made

    def test_a_new_code_signs_in_once(self, alice, device, clock):
        clock.now += 30
        assert mfa.verify_code(alice, code(device, T + 1)) == device.device
        assert stored(device).last_t == T + 1
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.verify_code(alice, code(device, T + 1))
        assert events("portal:VerifyMFACode") == [("success", ""), ("failed", "InvalidAuthenticationCode")]

    def test_a_code_accepted_by_enable_is_refused_at_sign_in(self, alice, device):
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.verify_code(alice, code(device, T))
        event = AuditEvent.objects.get(action="portal:VerifyMFACode")
        assert (event.outcome, event.target_arn, event.parameters) == (
            "failed",
            alice.arn,
            {"reason": "replayed code"},
        )

    def test_a_code_one_step_off_is_accepted_and_the_drift_followed(self, alice, device, clock):
        clock.now += 30
        mfa.verify_code(alice, code(device, T + 2))
        assert (stored(device).last_t, stored(device).drift) == (T + 2, 1)

    def test_a_code_two_steps_off_is_not(self, alice, device, clock):
        clock.now += 30
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.verify_code(alice, code(device, T + 3))

    def test_after_a_wrong_code_even_the_right_one_waits_for_the_back_off(
        self, alice, device, clock, settings
    ):
        settings.OTP_TOTP_THROTTLE_FACTOR = 60
        clock.now += 30
        right, wrong = code(device, T + 1), wrong_code(device, T + 1)
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.verify_code(alice, wrong)
        with pytest.raises(
            InvalidAuthenticationCodeError, match=r"^Too many wrong codes; try again in (59|60) seconds.$"
        ):
            mfa.verify_code(alice, right)
        row = stored(device)
        assert (row.throttling_failure_count, row.last_t) == (1, T)  # a refused attempt does not count
        MFADevice.objects.filter(pk=row.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(seconds=61)
        )
        assert mfa.verify_code(alice, right) == device.device
        assert stored(device).throttling_failure_count == 0
        assert events("portal:VerifyMFACode") == [("failed", "InvalidAuthenticationCode")] * 2 + [
            ("success", "")
        ]
        reasons = [
            e.parameters.get("reason") for e in AuditEvent.objects.filter(action="portal:VerifyMFACode")
        ]
        assert reasons == ["wrong code", "throttled", None]

    def test_the_back_off_doubles(self, alice, device, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 60
        for _ in range(2):
            with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
                mfa.verify_code(alice, wrong_code(device))
            # Past the 60 seconds the first failure costs.
            MFADevice.objects.filter(pk=device.device.pk).update(
                throttling_failure_timestamp=timezone.now() - timedelta(seconds=61)
            )
        assert stored(device).throttling_failure_count == 2
        with pytest.raises(
            InvalidAuthenticationCodeError, match=r"^Too many wrong codes; try again in (58|59) seconds.$"
        ):
            mfa.verify_code(alice, wrong_code(device))  # the second failure costs 120 seconds; 61 have passed

    def test_a_malformed_code_does_not_count_towards_the_back_off(self, alice, device, clock):
        for typed in ["abcde-fghjk", "12345", ""]:
            with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
                mfa.verify_code(alice, typed)
        assert stored(device).throttling_failure_count == 0
        clock.now += 30
        assert (
            mfa.verify_code(alice, code(device, T + 1)[:3] + " " + code(device, T + 1)[3:]) == device.device
        )

    def test_the_named_device_or_any_enabled_one(self, ctx, alice, device, clock):
        second = new(ctx, "second")
        enable(ctx, second, "alice")
        clock.now += 30
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.verify_code(alice, code(second, T + 1), serial_number=device.device.serial_number)
        MFADevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
        assert mfa.verify_code(alice, code(second, T + 1)) == second.device
        assert (
            mfa.verify_code(alice, code(device, T + 1), serial_number=device.device.serial_number)
            == device.device
        )

    def test_a_pending_device_or_another_users_does_not_count(self, ctx, alice, bob, device, clock):
        pending = new(ctx, "pending")
        clock.now += 30
        for user, made in [(alice, pending), (bob, device)]:
            with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
                mfa.verify_code(user, code(made, T + 1))
        assert AuditEvent.objects.filter(action="portal:VerifyMFACode").last().parameters == {
            "reason": "no device"
        }

    def test_the_request_context_is_audited(self, alice, device, clock):
        request = f.context_for(alice, channel="console", source_ip="203.0.113.9")
        clock.now += 30
        mfa.verify_code(alice, code(device, T + 1), ctx=request)
        event = AuditEvent.objects.get(action="portal:VerifyMFACode")
        assert (event.channel, event.source_ip, event.actor_arn) == ("console", "203.0.113.9", alice.arn)


class ResyncMFADeviceTests:
    def test_codes_of_a_clock_five_minutes_slow_resync_the_device(self, ctx, alice, clock):
        made = new(ctx)
        enable(ctx, made, "alice")
        clock.now += 60  # now T + 2; the device shows T - 8
        with pytest.raises(InvalidAuthenticationCodeError):
            mfa.verify_code(alice, code(made, T - 8))
        MFADevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
        # Codes newer than the last one the device gave (T) are needed: the slow device shows them later.
        clock.now += 300
        device = mfa.resync_mfa_device(
            ctx,
            user_name="alice",
            serial_number=made.device.serial_number,
            authentication_code_1=code(made, T + 1),
            authentication_code_2=code(made, T + 2),
        )
        assert (device.drift, device.last_t) == (-10, T + 2)
        clock.now += 30
        assert mfa.verify_code(alice, code(made, T + 3)) == made.device
        assert events("iam:ResyncMFADevice") == [("success", "")]

    @pytest.mark.parametrize(
        "pair",
        [
            pytest.param((T + 1, T + 1), id="the-same-code-twice"),
            pytest.param((T + 1, T + 3), id="not-consecutive"),
            pytest.param((T + 30, T + 31), id="fifteen-minutes-ahead"),
            pytest.param((T - 1, T), id="already-used"),
        ],
    )
    def test_other_codes_are_invalid(self, ctx, alice, pair):
        made = new(ctx)
        enable(ctx, made, "alice")
        with pytest.raises(InvalidAuthenticationCodeError, match=INVALID):
            mfa.resync_mfa_device(
                ctx,
                user_name="alice",
                serial_number=made.device.serial_number,
                authentication_code_1=code(made, pair[0]),
                authentication_code_2=code(made, pair[1]),
            )
        assert stored(made).drift == 0
        assert events("iam:ResyncMFADevice") == [("failed", "InvalidAuthenticationCode")]

    def test_a_device_not_enabled_for_that_user(self, ctx, alice, bob):
        made = new(ctx)
        enable(ctx, made, "alice")
        serial = made.device.serial_number
        with pytest.raises(
            NoSuchEntityError, match=f"^MFA Device with serial number {serial} does not exist.$"
        ):
            mfa.resync_mfa_device(
                ctx,
                user_name="bob",
                serial_number=serial,
                authentication_code_1=code(made, T + 1),
                authentication_code_2=code(made, T + 2),
            )

    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        made = new(ctx)
        enable(ctx, made, "alice")
        with pytest.raises(AccessDeniedError, match="iam:ResyncMFADevice on resource: .*:user/alice "):
            mfa.resync_mfa_device(
                f.context_for(alice),
                serial_number=made.device.serial_number,
                authentication_code_1=code(made, T + 1),
                authentication_code_2=code(made, T + 2),
            )


class DeactivateMFADeviceTests:
    def test_unassigns_and_the_device_stays(self, ctx, alice):
        made = new(ctx)
        enable(ctx, made, "alice")
        mfa.deactivate_mfa_device(ctx, user_name="alice", serial_number=made.device.serial_number)
        row = stored(made)
        assert (row.user, row.enable_date, row.last_t) == (None, None, T)
        assert mfa_reads.list_mfa_devices(ctx, user_name="alice").items == []
        assert [
            d.pk for d in mfa_reads.list_virtual_mfa_devices(ctx, assignment_status="Unassigned").items
        ] == [row.pk]
        assert events("iam:DeactivateMFADevice") == [("success", "")]
        with pytest.raises(InvalidAuthenticationCodeError):
            mfa.verify_code(alice, code(made, T + 1))

    def test_a_device_not_assigned_to_that_user(self, ctx, alice, bob):
        made = new(ctx)
        enable(ctx, made, "alice")
        serial = made.device.serial_number
        for user_name in ["bob", "alice"]:
            if user_name == "alice":
                mfa.deactivate_mfa_device(ctx, user_name="alice", serial_number=serial)
            with pytest.raises(
                NoSuchEntityError, match=f"^MFA Device with serial number {serial} does not exist.$"
            ):
                mfa.deactivate_mfa_device(ctx, user_name=user_name, serial_number=serial)
        assert events("iam:DeactivateMFADevice") == [
            ("failed", "NoSuchEntity"),
            ("success", ""),
            ("failed", "NoSuchEntity"),
        ]

    def test_the_root_user_deactivates_its_own_without_a_name(self, ctx, root):
        made = mfa.pending_device_for(ctx, root)
        enable(ctx, made)
        mfa.deactivate_mfa_device(ctx, serial_number=made.device.serial_number)
        assert get_account_summary(ctx)["AccountMFAEnabled"] == 0

    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        made = new(ctx)
        enable(ctx, made, "alice")
        with pytest.raises(AccessDeniedError) as caught:
            mfa.deactivate_mfa_device(f.context_for(alice), serial_number=made.device.serial_number)
        assert caught.value.message == f.denial(
            acct, "alice", "iam:DeactivateMFADevice", f"arn:aws:iam::{acct}:user/alice"
        )
        assert stored(made).user == alice

    def test_the_serial_number_follows_the_model_constraints(self, ctx):
        with pytest.raises(
            ValidationError,
            match="at 'serialNumber' failed to satisfy constraint: Member must have length greater than or equal to 9",
        ):
            mfa.deactivate_mfa_device(ctx, serial_number="short")
        with pytest.raises(ValidationError, match=r"pattern: \[\\w\+=/:,\.@-\]\+"):
            mfa.deactivate_mfa_device(ctx, serial_number="arn with spaces")


class DeleteVirtualMFADeviceTests:
    def test_deletes_an_unassigned_device(self, ctx):
        made = new(ctx)
        mfa.delete_virtual_mfa_device(ctx, serial_number=made.device.serial_number)
        assert not MFADevice.objects.exists()
        assert events("iam:DeleteVirtualMFADevice") == [("success", "")]
        assert (
            AuditEvent.objects.get(action="iam:DeleteVirtualMFADevice").target_arn
            == made.device.serial_number
        )

    def test_a_device_in_use_must_be_deactivated_first(self, ctx, alice):
        made = new(ctx)
        enable(ctx, made, "alice")
        serial = made.device.serial_number
        with pytest.raises(DeleteConflictError, match="^MFA VirtualDevice in use. Must deactivate first.$"):
            mfa.delete_virtual_mfa_device(ctx, serial_number=serial)
        mfa.deactivate_mfa_device(ctx, user_name="alice", serial_number=serial)
        mfa.delete_virtual_mfa_device(ctx, serial_number=serial)
        assert events("iam:DeleteVirtualMFADevice") == [("failed", "DeleteConflict"), ("success", "")]

    def test_an_unknown_device_or_one_of_another_account(self, ctx, acct):
        theirs = new(f.root_context(), "theirs")
        for serial in [f"arn:aws:iam::{acct}:mfa/nothing", theirs.device.serial_number]:
            with pytest.raises(
                NoSuchEntityError, match=f"^MFA Device with serial number {serial} does not exist.$"
            ):
                mfa.delete_virtual_mfa_device(ctx, serial_number=serial)
        assert MFADevice.objects.filter(pk=theirs.device.pk).exists()

    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        made = new(ctx)
        with pytest.raises(AccessDeniedError) as caught:
            mfa.delete_virtual_mfa_device(f.context_for(alice), serial_number=made.device.serial_number)
        assert caught.value.message == f.denial(
            acct, "alice", "iam:DeleteVirtualMFADevice", made.device.serial_number
        )
        assert events("iam:DeleteVirtualMFADevice") == [("denied", "AccessDenied")]

    def test_resource_tags_reach_the_policy(self, ctx):
        blue = new(ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        red = new(ctx, "red", tags=[{"Key": "team", "Value": "red"}])
        ops = create_user(ctx, user_name="ops")
        f.put_user_policy(
            ops,
            "BlueOnly",
            f.allow(
                "iam:DeleteVirtualMFADevice", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}
            ),
        )
        ops_ctx = f.context_for(ops)
        with pytest.raises(AccessDeniedError):
            mfa.delete_virtual_mfa_device(ops_ctx, serial_number=red.device.serial_number)
        mfa.delete_virtual_mfa_device(ops_ctx, serial_number=blue.device.serial_number)


class DeleteUserWithMFATests:
    def test_a_user_with_an_mfa_device_cannot_be_deleted(self, ctx, alice):
        made = new(ctx)
        enable(ctx, made, "alice")
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must delete MFA device first.$"
        ):
            delete_user(ctx, user_name="alice")
        mfa.deactivate_mfa_device(ctx, user_name="alice", serial_number=made.device.serial_number)
        delete_user(ctx, user_name="alice")
        assert MFADevice.objects.filter(pk=made.device.pk).exists()  # the virtual device outlives the user


class ListMFADevicesTests:
    def test_lists_the_users_enabled_devices_oldest_first(self, ctx, alice, bob):
        one, two = new(ctx, "one"), new(ctx, "two")
        enable(ctx, two, "alice")
        enable(ctx, one, "alice")
        enable(ctx, new(ctx, "bobs"), "bob")
        new(ctx, "pending")
        page = mfa_reads.list_mfa_devices(ctx, user_name="alice")
        assert [(d.user_name, d.serial_number) for d in page.items] == [
            ("alice", two.device.serial_number),
            ("alice", one.device.serial_number),
        ]
        assert all(d.enable_date is not None for d in page.items) and not page.is_truncated

    def test_without_a_name_the_callers_own(self, ctx, root):
        made = mfa.pending_device_for(ctx, root)
        enable(ctx, made)
        assert [(d.user_name, d.serial_number) for d in mfa_reads.list_mfa_devices(ctx).items] == [
            (None, made.device.serial_number)
        ]
        carol_ctx = self_service(ctx, "carol")
        mine = mfa.pending_device_for(carol_ctx, carol_ctx.caller)
        enable(carol_ctx, mine)
        assert [d.serial_number for d in mfa_reads.list_mfa_devices(carol_ctx).items] == [
            mine.device.serial_number
        ]

    def test_pages(self, ctx, alice):
        for i in range(3):
            enable(ctx, new(ctx, f"d{i}"), "alice")
        first = mfa_reads.list_mfa_devices(ctx, user_name="alice", max_items=2)
        rest = mfa_reads.list_mfa_devices(ctx, user_name="alice", max_items=2, marker=first.marker)
        assert (len(first.items), first.is_truncated, len(rest.items), rest.is_truncated) == (
            2,
            True,
            1,
            False,
        )

    def test_an_unknown_user(self, ctx):
        with pytest.raises(NoSuchEntityError, match="^The user with name ghost cannot be found.$"):
            mfa_reads.list_mfa_devices(ctx, user_name="ghost")

    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        with pytest.raises(AccessDeniedError) as caught:
            mfa_reads.list_mfa_devices(f.context_for(alice))
        assert caught.value.message == f.denial(
            acct, "alice", "iam:ListMFADevices", f"arn:aws:iam::{acct}:user/alice"
        )


class ListVirtualMFADevicesTests:
    def test_by_assignment_status(self, ctx, alice):
        enable(ctx, new(ctx, "b-assigned"), "alice")
        new(ctx, "a-pending")

        def names(status: str | None = None) -> list[str]:
            kwargs = {"assignment_status": status} if status else {}
            return [d.device_name for d in mfa_reads.list_virtual_mfa_devices(ctx, **kwargs).items]

        assert names() == names("Any") == ["a-pending", "b-assigned"]
        assert (names("Assigned"), names("Unassigned")) == (["b-assigned"], ["a-pending"])

    def test_an_unknown_status(self, ctx):
        with pytest.raises(
            ValidationError, match=r"at 'assignmentStatus' .* enum value set: \[Assigned, Unassigned, Any\]"
        ):
            mfa_reads.list_virtual_mfa_devices(ctx, assignment_status="Some")

    def test_devices_of_other_accounts_are_invisible(self, ctx):
        new(f.root_context(), "theirs")
        assert mfa_reads.list_virtual_mfa_devices(ctx).items == []

    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        with pytest.raises(AccessDeniedError) as caught:
            mfa_reads.list_virtual_mfa_devices(f.context_for(alice))
        assert caught.value.message == f.denial(
            acct, "alice", "iam:ListVirtualMFADevices", f"arn:aws:iam::{acct}:mfa/"
        )

    def test_query_count_does_not_grow_with_devices(self, ctx, django_assert_num_queries):
        acct = ctx.account

        def bulk(n: int) -> None:
            users = User.objects.bulk_create(
                User(account=acct, user_name=f"u{n}-{i}", user_id=unique_id("AIDA"), password="!")
                for i in range(n)
            )
            MFADevice.objects.bulk_create(
                MFADevice(
                    account=acct,
                    device_name=f"d{n}-{i:04}",
                    serial_number=f"arn:aws:iam::{acct.account_id}:mfa/d{n}-{i:04}",
                    seed_ciphertext="v1:x:y",
                    user=users[i] if i % 2 else None,
                    enable_date=timezone.now() if i % 2 else None,
                )
                for i in range(n)
            )

        counts = []
        for n in (10, 490):
            bulk(n)
            fresh = f.root_context(ctx.caller)
            with django_assert_num_queries(1) as captured:
                page = mfa_reads.list_virtual_mfa_devices(fresh, max_items=1000)
                arns = [(d.serial_number, d.user.arn if d.user else None, d.enable_date) for d in page.items]
            counts.append(len(captured.captured_queries))
            assert "seed_ciphertext" not in captured.captured_queries[0]["sql"]
        assert counts == [1, 1] and len(arns) == 500 and sum(1 for a in arns if a[1]) == 250


class RecoveryCodeTests:
    def test_ten_codes_shown_once_and_stored_as_password_hashes(self, ctx, root):
        codes = mfa.generate_recovery_codes(ctx)
        assert len(codes) == len(set(codes)) == 10
        assert all(len(c) == 11 and c[5] == "-" for c in codes)
        hashes = list(RecoveryCode.objects.filter(user=root).values_list("code_hash", flat=True))
        assert len(hashes) == 10
        for c in codes:
            assert not any(c in h or c.replace("-", "") in h for h in hashes)
            assert sum(check_password(c, h) for h in hashes) == 1
        assert events("portal:GenerateRecoveryCodes") == [("success", "")]
        assert AuditEvent.objects.get(action="portal:GenerateRecoveryCodes").parameters == {"count": 10}

    def test_a_code_works_once(self, ctx, root):
        codes = mfa.generate_recovery_codes(ctx)
        assert mfa.use_recovery_code(root, codes[3]) is True
        assert mfa.use_recovery_code(root, codes[3]) is False
        assert mfa.use_recovery_code(root, f"  {codes[4].upper()} ") is True  # as read off paper
        assert RecoveryCode.objects.filter(user=root, used__isnull=False).count() == 2
        assert events("portal:UseRecoveryCode") == [
            ("success", ""),
            ("failed", "InvalidAuthenticationCode"),
            ("success", ""),
        ]

    def test_new_codes_replace_the_old_ones(self, ctx, root):
        old = mfa.generate_recovery_codes(ctx)
        new_codes = mfa.generate_recovery_codes(ctx)
        assert RecoveryCode.objects.filter(user=root).count() == 10
        assert mfa.use_recovery_code(root, old[0]) is False
        assert mfa.use_recovery_code(root, new_codes[0]) is True

    def test_wrong_text_and_other_accounts_codes_are_refused(self, ctx, root):
        other = f.root_context()
        theirs = mfa.generate_recovery_codes(other)
        mfa.generate_recovery_codes(ctx)
        for typed in [theirs[0], "", "aaaaa-aaaaa", None]:
            assert mfa.use_recovery_code(root, typed) is False
        assert mfa.use_recovery_code(other.caller, theirs[0]) is True

    def test_iam_users_have_none(self, ctx, alice):
        with pytest.raises(InvalidUserTypeError, match="^Recovery codes are for the root user only.$"):
            mfa.generate_recovery_codes(f.context_for(alice))
        assert not RecoveryCode.objects.exists()
        assert events("portal:GenerateRecoveryCodes") == [("failed", "InvalidUserType")]


class AccountSummaryMFATests:
    def test_devices_devices_in_use_and_root_mfa(self, ctx, root, alice):
        def mfa_keys() -> tuple[int, int, int]:
            summary = get_account_summary(ctx)
            return summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]

        assert mfa_keys() == (0, 0, 0)
        new(ctx, "spare")
        enable(ctx, new(ctx, "alices"), "alice")
        new(f.root_context(), "elsewhere")  # another account's
        assert mfa_keys() == (2, 1, 0)
        root_device = mfa.pending_device_for(ctx, root)
        assert mfa_keys() == (3, 1, 0)
        enable(ctx, root_device)
        assert mfa_keys() == (3, 2, 1)
        mfa.deactivate_mfa_device(ctx, serial_number=root_device.device.serial_number)
        assert mfa_keys() == (3, 1, 0)

    @pytest.mark.parametrize("size", [10, 500])
    def test_still_one_query(self, ctx, size, django_assert_num_queries):
        MFADevice.objects.bulk_create(
            MFADevice(
                account=ctx.account, device_name=f"d{i}", serial_number=f"s{size}-{i}", seed_ciphertext="x"
            )
            for i in range(size)
        )
        with django_assert_num_queries(1):
            assert get_account_summary(ctx)["MFADevices"] == size


class SecretHygieneTests:
    def test_seeds_codes_and_recovery_codes_are_in_no_audit_row_log_message_or_repr(
        self, ctx, root, alice, clock, caplog
    ):
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="django")
        connection.force_debug_cursor = True  # log every SQL statement and its parameters too
        seeds: list[str] = []
        codes: list[str] = []
        messages: list[str] = []
        reprs: list[str] = []

        def attempt(call) -> None:
            try:
                call()
            except IamError as exc:
                messages.extend([exc.message, str(exc), repr(exc)])

        try:
            made = new(ctx, "phone")
            pending = mfa.pending_device_for(ctx, root)
            again = mfa.pending_device_for(ctx, root, mfa.enrollment_token(pending.device))
            seeds += [made.base32_string_seed, pending.base32_string_seed]
            reprs += [repr(made), str(made), repr(pending), repr(again), repr(made.device), str(made.device)]
            codes += [code(made, T - 1), code(made, T), code(pending, T - 1), code(pending, T)]
            attempt(lambda: enable(ctx, made, "alice", step=T - 5))  # wrong: too old
            codes += [code(made, T - 6), code(made, T - 5)]
            enable(ctx, made, "alice")
            enable(ctx, pending)
            clock.now += 30
            codes.append(code(made, T + 1))
            mfa.verify_code(alice, code(made, T + 1))
            attempt(lambda: mfa.verify_code(alice, code(made, T + 1)))  # replayed
            attempt(lambda: mfa.verify_code(alice, wrong_code(made, T + 1)))
            attempt(lambda: mfa.verify_code(alice, code(made, T + 1)))  # throttled
            attempt(
                lambda: mfa.enable_mfa_device(
                    ctx,
                    user_name="alice",
                    serial_number=made.device.serial_number,
                    authentication_code_1="12345",
                    authentication_code_2="12a456",
                )
            )
            clock.now += 300
            codes += [code(made, T + 11), code(made, T + 12)]
            mfa.resync_mfa_device(
                ctx,
                user_name="alice",
                serial_number=made.device.serial_number,
                authentication_code_1=code(made, T + 11),
                authentication_code_2=code(made, T + 12),
            )
            recovery = mfa.generate_recovery_codes(ctx)
            mfa.use_recovery_code(root, recovery[0])
            mfa.use_recovery_code(root, recovery[0])
            reprs += [repr(rc) for rc in RecoveryCode.objects.all()]
        finally:
            connection.force_debug_cursor = False
        assert len(messages) == 5 * 3
        assert any(
            "INSERT" in r.getMessage() and "accounts_mfadevice" in r.getMessage() for r in caplog.records
        )
        rows = [json.dumps(row, default=str) for row in AuditEvent.objects.values()]
        logs = [r.getMessage() + repr(r.args) + repr(r.__dict__) for r in caplog.records]
        text = "\n".join(rows + logs + messages + reprs)
        for secret in seeds + recovery:
            for form in {secret, secret.lower(), secret.replace("-", "")}:
                assert form not in text
        for seed in seeds:
            assert base64.b32decode(seed).hex() not in text
        # Six digits can turn up by chance in SQL timestamps; the codes must be in no audit value or message.
        parameters = "\n".join(json.dumps(p) for p in AuditEvent.objects.values_list("parameters", flat=True))
        for one in [*codes, "12345", "12a456"]:
            assert one not in parameters and all(one not in m for m in messages)
        assert not {
            "authentication_code_1",
            "authentication_code_2",
            "seed",
            "base32_string_seed",
            "code",
        } & {key for p in AuditEvent.objects.values_list("parameters", flat=True) for key in p}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enables_of_one_device_for_ten_users_let_exactly_one_through(clock):
    ctx = f.root_context()
    for i in range(10):
        create_user(ctx, user_name=f"racer{i}")
    made = new(ctx, "contested")
    results: list[str] = []
    barrier = threading.Barrier(10)

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            enable(ctx, made, f"racer{i}")
            results.append("ok")
        except EntityAlreadyExistsError as exc:
            assert exc.message == "MFA Device is already in use."
            results.append("in use")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["in use"] * 9 + ["ok"]
    assert MFADevice.objects.filter(user__isnull=False).count() == 1
    assert sorted(events("iam:EnableMFADevice")) == [("failed", "EntityAlreadyExists")] * 9 + [
        ("success", "")
    ]
