"""REST resources: a user's credentials (docs/rest-api/credentials.md).

GetLoginProfile, CreateLoginProfile, UpdateLoginProfile, DeleteLoginProfile, ChangePassword;
ListAccessKeys, CreateAccessKey, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed (for a named
user, and for the caller itself as AWS does without UserName); ListMFADevices, EnableMFADevice,
DeactivateMFADevice, ResyncMFADevice, ListVirtualMFADevices, CreateVirtualMFADevice,
DeleteVirtualMFADevice. Each action parses its input, calls ONE service or selector with the caller's
RequestContext and shapes the answer (iam_portal/rest.py).

Secrets: a password is write-only (never answered, never audited: the services see to the audit); a
secret access key is answered by CreateAccessKey only, a TOTP seed and its QR code by
CreateVirtualMFADevice only. Every answer of the API is Cache-Control: no-store (IamViewSet).
"""

from __future__ import annotations

import base64
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import MFADevice, User
from accounts.selectors import access_keys as key_reads
from accounts.selectors import mfa as mfa_reads
from accounts.selectors import passwords as password_reads
from accounts.services import access_keys, mfa, passwords
from iam_portal import validation
from iam_portal.rest import (
    NAME_PATTERN,
    IamViewSet,
    PageQuery,
    TagIn,
    TagOut,
    TimestampField,
    created,
    errors,
    name_field,
    page_response,
    paginated,
    path_field,
    tags_in,
    tags_out,
)

USER_NAME_REGEX = r"[\w+=,.@-]+"  # as the users resource's lookup
ACCESS_KEY_ID_PATTERN = r"^[A-Za-z0-9_]+$"  # accessKeyIdType: [\w]+ in ASCII, 16 to 128
SERIAL_NUMBER_PATTERN = r"^[A-Za-z0-9_+=/:,.@-]+$"  # serialNumberType: [\w+=/:,.@-]+ in ASCII
CODE_PATTERN = r"^[0-9]{6}$"  # authenticationCodeType
# passwordType: 1 to 128 of [\u0009\u000A\u000D\u0020-\u00FF] (valid in Python and ECMA-262 alike).
PASSWORD_PATTERN = r"^[\u0009\u000A\u000D\u0020-\u00FF]+$"

USER_NAME = OpenApiParameter(
    "user_name",
    str,
    OpenApiParameter.PATH,
    pattern=NAME_PATTERN,
    description="The user's name (case-insensitive, as in IAM).",
)
ACCESS_KEY_ID = OpenApiParameter(
    "access_key_id",
    str,
    OpenApiParameter.PATH,
    pattern=ACCESS_KEY_ID_PATTERN,
    description="The access key id (AKIA…).",
)
NO_SUCH_USER = "NoSuchEntity: no user of that name in the caller's account."
NO_SUCH_PROFILE = "NoSuchEntity: no such user, or the user has no login profile."
NO_SUCH_KEY = "NoSuchEntity: no such user, or no access key of that id of the user."
NO_SUCH_DEVICE = "NoSuchEntity: no such user, or no MFA device of that serial number (of the user)."
INVALID = "ValidationError, naming the field (or InvalidInput, as AWS answers)."
NOT_A_USER = "ValidationError: the caller is a role session, which must name a user."
LOGIN_PROFILES, ACCESS_KEYS, MFA_DEVICES = "login profiles", "access keys", "mfa devices"
INVALID_CODE = "InvalidAuthenticationCode: the two codes are not consecutive codes of the device."


def password_field(**kwargs: Any) -> serializers.RegexField:
    """A password: write-only, whitespace kept, and never echoed by an error message."""
    return serializers.RegexField(
        PASSWORD_PATTERN,
        min_length=1,
        max_length=passwords.PASSWORD_MAX,
        trim_whitespace=False,
        write_only=True,
        error_messages={"invalid": "Use tab, newline, carriage return and U+0020 to U+00FF only."},
        **kwargs,
    )


def serial_number_field(**kwargs: Any) -> serializers.RegexField:
    """A virtual MFA device's serial number: its ARN (arn:aws:iam::<account>:mfa/<path><name>)."""
    low, high = mfa_reads.SERIAL_NUMBER_RANGE
    return serializers.RegexField(
        SERIAL_NUMBER_PATTERN,
        min_length=low,
        max_length=high,
        error_messages={"invalid": "Use letters, digits and +=/:,.@_- only."},
        help_text="The device's serial number, which is its ARN.",
        **kwargs,
    )


def code_field() -> serializers.RegexField:
    return serializers.RegexField(
        CODE_PATTERN,  # the pattern states the length: one message for any wrong code
        write_only=True,
        error_messages={"invalid": "Must be 6 digits."},  # never the code itself
        help_text="A code the device shows (6 digits).",
    )


# --- Login profiles and passwords ---------------------------------------------------------------------


class LoginProfileOut(serializers.Serializer):
    """LoginProfile: that the user has a console password, never the password or its hash."""

    user_name = serializers.CharField(source="user.user_name")
    create_date = TimestampField(source="created")
    password_reset_required = serializers.BooleanField()


class CreateLoginProfileIn(serializers.Serializer):
    password = password_field(help_text="The user's console password (checked against the password policy).")
    password_reset_required = serializers.BooleanField(
        default=False, help_text="Whether the user must choose a new password at the next sign-in."
    )


class UpdateLoginProfileIn(serializers.Serializer):
    password = password_field(required=False, help_text="A new password (checked against the policy).")
    password_reset_required = serializers.BooleanField(
        required=False, help_text="Whether the user must choose a new password at the next sign-in."
    )


class ChangePasswordIn(serializers.Serializer):
    old_password = password_field(help_text="The caller's current password.")
    new_password = password_field(help_text="The new password (checked against the password policy).")


class LoginProfileViewSet(IamViewSet):
    """/api/v1/users/{user_name}/login-profile/: the user's console password (one per user)."""

    lookup_field = "user_name"
    lookup_value_regex = USER_NAME_REGEX

    @extend_schema(
        operation_id="GetLoginProfile",
        summary="Get a user's login profile",
        description="GetLoginProfile (iam:GetLoginProfile): when the password was created, whether it "
        "must be reset. Never the password.",
        parameters=[USER_NAME],
        responses={200: LoginProfileOut, **errors(e400=INVALID, e404=NO_SUCH_PROFILE)},
        tags=[LOGIN_PROFILES],
    )
    @action(detail=True, methods=["get"], url_path="login-profile", url_name="detail")
    def login_profile(self, request: Request, user_name: str) -> Response:
        profile = password_reads.get_login_profile(self.ctx, user_name=user_name)
        return Response(LoginProfileOut(profile).data)

    @extend_schema(
        operation_id="CreateLoginProfile",
        summary="Give a user a console password",
        description="CreateLoginProfile (iam:CreateLoginProfile). The password must meet the account "
        "password policy (AWS's default policy without one). It is never answered or audited.",
        parameters=[USER_NAME],
        request=CreateLoginProfileIn,
        responses={
            201: LoginProfileOut,
            **errors(
                e400=INVALID + " PasswordPolicyViolation: the password breaks the password policy.",
                e404=NO_SUCH_USER,
                e409="EntityAlreadyExists: the user has a login profile.",
            ),
        },
        tags=[LOGIN_PROFILES],
    )
    @login_profile.mapping.post
    def create_login_profile(self, request: Request, user_name: str) -> Response:
        data = self.body(CreateLoginProfileIn)
        profile = passwords.create_login_profile(
            self.ctx,
            user_name=user_name,
            password=data["password"],
            password_reset_required=data["password_reset_required"],
        )
        location = reverse("accounts_api:user-login-profile-detail", args=[profile.user.user_name])
        return created(LoginProfileOut(profile).data, request.build_absolute_uri(location))

    @extend_schema(
        operation_id="UpdateLoginProfile",
        summary="Set a user's password or reset flag",
        description="UpdateLoginProfile (iam:UpdateLoginProfile): a new password (checked against the "
        "password policy) and/or whether it must be reset at the next sign-in.",
        parameters=[USER_NAME],
        request=UpdateLoginProfileIn,
        responses={
            204: None,
            **errors(
                e400=INVALID + " PasswordPolicyViolation: the password breaks the password policy.",
                e404=NO_SUCH_PROFILE,
            ),
        },
        tags=[LOGIN_PROFILES],
    )
    @login_profile.mapping.patch
    def update_login_profile(self, request: Request, user_name: str) -> Response:
        data = self.body(UpdateLoginProfileIn)
        passwords.update_login_profile(
            self.ctx,
            user_name=user_name,
            password=data.get("password"),
            password_reset_required=data.get("password_reset_required"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteLoginProfile",
        summary="Remove a user's console password",
        description="DeleteLoginProfile (iam:DeleteLoginProfile): the user can no longer sign in to the "
        "console, and its console sessions end.",
        parameters=[USER_NAME],
        responses={204: None, **errors(e400=INVALID, e404=NO_SUCH_PROFILE)},
        tags=[LOGIN_PROFILES],
    )
    @login_profile.mapping.delete
    def delete_login_profile(self, request: Request, user_name: str) -> Response:
        passwords.delete_login_profile(self.ctx, user_name=user_name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CallerPasswordViewSet(IamViewSet):
    """/api/v1/me/password/: the calling IAM user's own password."""

    @extend_schema(
        operation_id="ChangePassword",
        summary="Change the caller's password",
        description="ChangePassword (iam:ChangePassword on the caller's own ARN, or allowed by the "
        "password policy's allow_users_to_change_password, or while a reset is required): IAM users "
        "only, never the root user.",
        request=ChangePasswordIn,
        responses={
            204: None,
            **errors(
                e400=INVALID + " The old password is wrong (InvalidInput), the new one breaks the "
                "password policy (PasswordPolicyViolation), or the caller is the root user or a role "
                "session (InvalidUserType, ValidationError).",
                e404="NoSuchEntity: the caller has no login profile.",
            ),
        },
        tags=[LOGIN_PROFILES],
    )
    @action(detail=False, methods=["post"], url_path="me/password", url_name="password")
    def change_password(self, request: Request) -> Response:
        data = self.body(ChangePasswordIn)
        passwords.change_password(
            self.ctx, old_password=data["old_password"], new_password=data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Access keys -------------------------------------------------------------------------------------


class AccessKeyMetadataOut(serializers.Serializer):
    """AccessKeyMetadata: never the secret."""

    user_name = serializers.CharField(allow_null=True, help_text="null for the root user's keys.")
    access_key_id = serializers.CharField()
    status = serializers.ChoiceField(access_keys.STATUSES)
    create_date = TimestampField()


class AccessKeyOut(serializers.Serializer):
    """AccessKey of CreateAccessKey (an IssuedAccessKey): the one answer that carries the secret."""

    user_name = serializers.SerializerMethodField()
    access_key_id = serializers.CharField(source="access_key.access_key_id")
    status = serializers.ChoiceField(access_keys.STATUSES, source="access_key.status")
    secret_access_key = serializers.CharField(
        help_text="Shown this once: store it now; it cannot be read again."
    )
    create_date = TimestampField(source="access_key.created")

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="null for the root user's key."))
    def get_user_name(self, issued: access_keys.IssuedAccessKey) -> str | None:
        owner = issued.access_key.user
        return None if owner.is_root else owner.user_name


class LastUsedOut(serializers.Serializer):
    """AccessKeyLastUsed: no date and "N/A" service and region for a key never used."""

    last_used_date = TimestampField(allow_null=True)
    service_name = serializers.CharField(help_text='"N/A" when never used.')
    region = serializers.CharField(help_text='"N/A" when never used, or for a service without regions.')


class AccessKeyLastUsedOut(serializers.Serializer):
    user_name = serializers.CharField(allow_null=True, help_text="The key's owner; null for the root user.")
    access_key_last_used = LastUsedOut(source="*")


class UpdateAccessKeyIn(serializers.Serializer):
    """UpdateAccessKey's body, sent with PUT: the status is the key's one changeable attribute and is
    required (drf-spectacular documents every field of a PATCH body as optional)."""

    status = serializers.ChoiceField(access_keys.STATUSES, help_text="Inactive keys cannot sign requests.")


class AccessKeyListQuery(PageQuery):
    pass


def _list_access_keys(view: IamViewSet, user_name: str | None) -> Response:
    query = view.query(AccessKeyListQuery)
    page = key_reads.list_access_keys(
        view.ctx, user_name=user_name, marker=query.get("marker"), max_items=query.get("max_items")
    )
    return page_response(page, AccessKeyMetadataOut)


def _create_access_key(view: IamViewSet, user_name: str | None) -> Response:
    issued = access_keys.create_access_key(view.ctx, user_name=user_name)
    key, owner = issued.access_key, issued.access_key.user
    if owner.is_root:
        location = reverse("accounts_api:access-key-detail", args=[key.access_key_id])
    else:
        location = reverse("accounts_api:user-access-key-detail", args=[owner.user_name, key.access_key_id])
    return created(AccessKeyOut(issued).data, view.request.build_absolute_uri(location))


def _update_access_key(view: IamViewSet, user_name: str | None, access_key_id: str) -> Response:
    data = view.body(UpdateAccessKeyIn)
    access_keys.update_access_key(
        view.ctx, user_name=user_name, access_key_id=access_key_id, status=data["status"]
    )
    return Response(status=status.HTTP_204_NO_CONTENT)


def _delete_access_key(view: IamViewSet, user_name: str | None, access_key_id: str) -> Response:
    access_keys.delete_access_key(view.ctx, user_name=user_name, access_key_id=access_key_id)
    return Response(status=status.HTTP_204_NO_CONTENT)


class AccessKeyViewSet(IamViewSet):
    """/api/v1/users/{user_name}/access-keys/: a user's access keys (at most 2)."""

    lookup_field = "access_key_id"
    lookup_value_regex = ACCESS_KEY_ID_PATTERN[1:-1]

    @extend_schema(
        operation_id="ListAccessKeys",
        summary="List a user's access keys",
        description="ListAccessKeys (iam:ListAccessKeys), oldest first; never a secret.",
        parameters=[USER_NAME, AccessKeyListQuery],
        responses={
            200: paginated(AccessKeyMetadataOut, "AccessKeyList", "A page of access keys."),
            **errors(e400=INVALID, e404=NO_SUCH_USER),
        },
        tags=[ACCESS_KEYS],
    )
    def list(self, request: Request, user_name: str) -> Response:
        return _list_access_keys(self, user_name)

    @extend_schema(
        operation_id="CreateAccessKey",
        summary="Create an access key for a user",
        description="CreateAccessKey (iam:CreateAccessKey): a new Active key. The answer is the only "
        "one that ever carries the secret access key.",
        parameters=[USER_NAME],
        request=None,
        responses={
            201: AccessKeyOut,
            **errors(
                e400=INVALID,
                e404=NO_SUCH_USER,
                e409="LimitExceeded: the user has 2 access keys already.",
            ),
        },
        tags=[ACCESS_KEYS],
    )
    def create(self, request: Request, user_name: str) -> Response:
        return _create_access_key(self, user_name)

    @extend_schema(
        operation_id="UpdateAccessKey",
        summary="Activate or deactivate a user's access key",
        description="UpdateAccessKey (iam:UpdateAccessKey).",
        parameters=[USER_NAME, ACCESS_KEY_ID],
        request=UpdateAccessKeyIn,
        responses={204: None, **errors(e400=INVALID, e404=NO_SUCH_KEY)},
        tags=[ACCESS_KEYS],
    )
    def update(self, request: Request, user_name: str, access_key_id: str) -> Response:
        return _update_access_key(self, user_name, access_key_id)

    @extend_schema(
        operation_id="DeleteAccessKey",
        summary="Delete a user's access key",
        description="DeleteAccessKey (iam:DeleteAccessKey): for good; requests it signs fail at once.",
        parameters=[USER_NAME, ACCESS_KEY_ID],
        responses={204: None, **errors(e400=INVALID, e404=NO_SUCH_KEY)},
        tags=[ACCESS_KEYS],
    )
    def destroy(self, request: Request, user_name: str, access_key_id: str) -> Response:
        return _delete_access_key(self, user_name, access_key_id)

    @extend_schema(
        operation_id="GetAccessKeyLastUsed",
        summary="When a user's access key was last used",
        description="GetAccessKeyLastUsed (iam:GetAccessKeyLastUsed on the key's owner): the date, "
        "service and region of its last use.",
        parameters=[USER_NAME, ACCESS_KEY_ID],
        responses={200: AccessKeyLastUsedOut, **errors(e400=INVALID, e404=NO_SUCH_KEY)},
        tags=[ACCESS_KEYS],
    )
    @action(detail=True, methods=["get"], url_path="last-used", url_name="last-used")
    def last_used(self, request: Request, user_name: str, access_key_id: str) -> Response:
        found = key_reads.get_access_key_last_used(self.ctx, access_key_id=access_key_id)
        # GetAccessKeyLastUsed finds a key of any user; under this URL it must be this user's key.
        if found.user_name is None or found.user_name.lower() != user_name.lower():
            raise key_reads.no_such_key(access_key_id)
        return Response(AccessKeyLastUsedOut(found).data)


class CallerAccessKeyViewSet(IamViewSet):
    """/api/v1/access-keys/: the caller's own access keys (the root user's too), as AWS's key actions
    without UserName; a role session must name a user."""

    lookup_field = "access_key_id"
    lookup_value_regex = ACCESS_KEY_ID_PATTERN[1:-1]

    @extend_schema(
        operation_id="ListCallerAccessKeys",
        summary="List the caller's access keys",
        description="ListAccessKeys without UserName (iam:ListAccessKeys on the caller's ARN).",
        parameters=[AccessKeyListQuery],
        responses={
            200: paginated(AccessKeyMetadataOut, "AccessKeyList", "A page of access keys."),
            **errors(e400=INVALID + " " + NOT_A_USER),
        },
        tags=[ACCESS_KEYS],
    )
    def list(self, request: Request) -> Response:
        return _list_access_keys(self, None)

    @extend_schema(
        operation_id="CreateCallerAccessKey",
        summary="Create an access key for the caller",
        description="CreateAccessKey without UserName (iam:CreateAccessKey on the caller's ARN): the "
        "only answer that ever carries the secret access key.",
        request=None,
        responses={
            201: AccessKeyOut,
            **errors(
                e400=INVALID + " " + NOT_A_USER,
                e409="LimitExceeded: the caller has 2 access keys already.",
            ),
        },
        tags=[ACCESS_KEYS],
    )
    def create(self, request: Request) -> Response:
        return _create_access_key(self, None)

    @extend_schema(
        operation_id="UpdateCallerAccessKey",
        summary="Activate or deactivate one of the caller's access keys",
        description="UpdateAccessKey without UserName (iam:UpdateAccessKey on the caller's ARN).",
        parameters=[ACCESS_KEY_ID],
        request=UpdateAccessKeyIn,
        responses={
            204: None,
            **errors(e400=INVALID, e404="NoSuchEntity: the caller has no access key of that id."),
        },
        tags=[ACCESS_KEYS],
    )
    def update(self, request: Request, access_key_id: str) -> Response:
        return _update_access_key(self, None, access_key_id)

    @extend_schema(
        operation_id="DeleteCallerAccessKey",
        summary="Delete one of the caller's access keys",
        description="DeleteAccessKey without UserName (iam:DeleteAccessKey on the caller's ARN).",
        parameters=[ACCESS_KEY_ID],
        responses={
            204: None,
            **errors(e400=INVALID, e404="NoSuchEntity: the caller has no access key of that id."),
        },
        tags=[ACCESS_KEYS],
    )
    def destroy(self, request: Request, access_key_id: str) -> Response:
        return _delete_access_key(self, None, access_key_id)

    @extend_schema(
        operation_id="GetCallerAccessKeyLastUsed",
        summary="When an access key of the account was last used",
        description="GetAccessKeyLastUsed as AWS has it, by key id alone: a key of any user of the "
        "account (iam:GetAccessKeyLastUsed on its owner), the root user's included.",
        parameters=[ACCESS_KEY_ID],
        responses={
            200: AccessKeyLastUsedOut,
            **errors(e400=INVALID, e404="NoSuchEntity: no access key of that id in the account."),
        },
        tags=[ACCESS_KEYS],
    )
    @action(detail=True, methods=["get"], url_path="last-used", url_name="last-used")
    def last_used(self, request: Request, access_key_id: str) -> Response:
        found = key_reads.get_access_key_last_used(self.ctx, access_key_id=access_key_id)
        return Response(AccessKeyLastUsedOut(found).data)


# --- MFA devices -------------------------------------------------------------------------------------


class MFADeviceOut(serializers.Serializer):
    """MFADevice (ListMFADevices): a device enabled for a user."""

    user_name = serializers.CharField(allow_null=True, help_text="null for the root user's devices.")
    serial_number = serializers.CharField(help_text="The device's serial number, which is its ARN.")
    enable_date = TimestampField()


class MFADeviceUserOut(serializers.Serializer):
    """The user a virtual device is assigned to. The root user has no name or path and its user_id is
    the account id, as in AWS."""

    user_name = serializers.SerializerMethodField()
    user_id = serializers.SerializerMethodField()
    arn = serializers.CharField()
    path = serializers.SerializerMethodField()
    create_date = TimestampField(source="created")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_user_name(self, user: User) -> str | None:
        return None if user.is_root else user.user_name

    @extend_schema_field(serializers.CharField(help_text="AIDA…, or the account id for the root user."))
    def get_user_id(self, user: User) -> str:
        return user.account.account_id if user.is_root else user.user_id

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_path(self, user: User) -> str | None:
        return None if user.is_root else user.path


class VirtualMFADeviceOut(serializers.Serializer):
    """VirtualMFADevice as ListVirtualMFADevices returns it (never its seed)."""

    serial_number = serializers.CharField(help_text="The device's serial number, which is its ARN.")
    user = MFADeviceUserOut(allow_null=True, help_text="The user it is assigned to; null if unassigned.")
    enable_date = TimestampField(allow_null=True, help_text="When it was enabled; null if unassigned.")
    tags = serializers.SerializerMethodField()

    @extend_schema_field(TagOut(many=True))
    def get_tags(self, device: MFADevice) -> list[dict[str, str]]:
        return tags_out(device.tags)


class NewVirtualMFADeviceOut(serializers.Serializer):
    """CreateVirtualMFADevice's answer: the only one that carries the seed and its QR code."""

    serial_number = serializers.CharField(source="device.serial_number")
    base32_string_seed = serializers.CharField(
        help_text="The TOTP seed in base32. Shown this once: it cannot be read again."
    )
    qr_code_png = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.CharField(help_text="A PNG image of the otpauth:// URI's QR code, base64-encoded.")
    )
    def get_qr_code_png(self, new: mfa.NewVirtualMFADevice) -> str:
        return base64.b64encode(new.qr_code_png).decode("ascii")

    @extend_schema_field(TagOut(many=True))
    def get_tags(self, new: mfa.NewVirtualMFADevice) -> list[dict[str, str]]:
        return tags_out(new.device.tags)


class MFACodesIn(serializers.Serializer):
    serial_number = serial_number_field()
    authentication_code1 = code_field()
    authentication_code2 = code_field()


class SerialNumberQuery(serializers.Serializer):
    serial_number = serial_number_field()


class MFADeviceListQuery(PageQuery):
    pass


class VirtualMFADeviceListQuery(PageQuery):
    assignment_status = serializers.ChoiceField(
        mfa_reads.ASSIGNMENT_STATUSES,
        default=mfa_reads.ANY,
        help_text="Assigned (enabled for a user), Unassigned, or Any.",
    )


class CreateVirtualMFADeviceIn(serializers.Serializer):
    virtual_mfa_device_name = name_field(mfa_reads.DEVICE_NAME_MAX)
    path = path_field(default="/")
    tags = TagIn(many=True, required=False, max_length=validation.MAX_TAGS)


class MFADeviceViewSet(IamViewSet):
    """/api/v1/users/{user_name}/mfa-devices/: the MFA devices enabled for a user."""

    lookup_field = "user_name"
    lookup_value_regex = USER_NAME_REGEX

    @extend_schema(
        operation_id="ListMFADevices",
        summary="List a user's MFA devices",
        description="ListMFADevices (iam:ListMFADevices): the devices enabled for the user, oldest first.",
        parameters=[USER_NAME, MFADeviceListQuery],
        responses={
            200: paginated(MFADeviceOut, "MFADeviceList", "A page of MFA devices."),
            **errors(e400=INVALID, e404=NO_SUCH_USER),
        },
        tags=[MFA_DEVICES],
    )
    @action(detail=True, methods=["get"], url_path="mfa-devices", url_name="list")
    def mfa_devices(self, request: Request, user_name: str) -> Response:
        query = self.query(MFADeviceListQuery)
        page = mfa_reads.list_mfa_devices(
            self.ctx, user_name=user_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, MFADeviceOut)

    @extend_schema(
        operation_id="EnableMFADevice",
        summary="Enable a virtual MFA device for a user",
        description="EnableMFADevice (iam:EnableMFADevice): assign an unassigned device to the user with "
        "two consecutive codes it shows. At most 8 devices per user.",
        parameters=[USER_NAME],
        request=MFACodesIn,
        responses={
            201: MFADeviceOut,
            **errors(
                e400=INVALID,
                e403=INVALID_CODE + " AccessDenied: the caller's policies do not allow it.",
                e404=NO_SUCH_DEVICE,
                e409="EntityAlreadyExists: the device is in use; LimitExceeded: the user has 8 devices.",
            ),
        },
        tags=[MFA_DEVICES],
    )
    @mfa_devices.mapping.post
    def enable(self, request: Request, user_name: str) -> Response:
        data = self.body(MFACodesIn)
        device = mfa.enable_mfa_device(
            self.ctx,
            user_name=user_name,
            serial_number=data["serial_number"],
            authentication_code_1=data["authentication_code1"],
            authentication_code_2=data["authentication_code2"],
        )
        shown = mfa_reads.MFADeviceMetadata(device.user.user_name, device.serial_number, device.enable_date)
        return Response(MFADeviceOut(shown).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="DeactivateMFADevice",
        summary="Deactivate a user's MFA device",
        description="DeactivateMFADevice (iam:DeactivateMFADevice): the device is unassigned (and stays, "
        "with its seed, until DeleteVirtualMFADevice).",
        parameters=[USER_NAME, SerialNumberQuery],
        responses={204: None, **errors(e400=INVALID, e404=NO_SUCH_DEVICE)},
        tags=[MFA_DEVICES],
    )
    @mfa_devices.mapping.delete
    def deactivate(self, request: Request, user_name: str) -> Response:
        query = self.query(SerialNumberQuery)
        mfa.deactivate_mfa_device(self.ctx, user_name=user_name, serial_number=query["serial_number"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ResyncMFADevice",
        summary="Resynchronize a user's MFA device",
        description="ResyncMFADevice (iam:ResyncMFADevice): two consecutive codes of the device within "
        "10 minutes of now set how far its clock is off.",
        parameters=[USER_NAME],
        request=MFACodesIn,
        responses={
            204: None,
            **errors(
                e400=INVALID,
                e403=INVALID_CODE + " AccessDenied: the caller's policies do not allow it.",
                e404=NO_SUCH_DEVICE,
            ),
        },
        tags=[MFA_DEVICES],
    )
    @action(detail=True, methods=["post"], url_path="mfa-devices/resync", url_name="resync")
    def resync(self, request: Request, user_name: str) -> Response:
        data = self.body(MFACodesIn)
        mfa.resync_mfa_device(
            self.ctx,
            user_name=user_name,
            serial_number=data["serial_number"],
            authentication_code_1=data["authentication_code1"],
            authentication_code_2=data["authentication_code2"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VirtualMFADeviceViewSet(IamViewSet):
    """/api/v1/virtual-mfa-devices/: the account's virtual MFA devices, by serial number (an ARN, with
    slashes: so in the body or the query string, never in the path)."""

    @extend_schema(
        operation_id="ListVirtualMFADevices",
        summary="List virtual MFA devices",
        description="ListVirtualMFADevices (iam:ListVirtualMFADevices): the account's devices by name, "
        "with the users they are assigned to; never a seed.",
        parameters=[VirtualMFADeviceListQuery],
        responses={
            200: paginated(VirtualMFADeviceOut, "VirtualMFADeviceList", "A page of virtual MFA devices."),
            **errors(e400=INVALID),
        },
        tags=[MFA_DEVICES],
    )
    @action(detail=False, methods=["get"], url_path="virtual-mfa-devices", url_name="list")
    def virtual_mfa_devices(self, request: Request) -> Response:
        query = self.query(VirtualMFADeviceListQuery)
        page = mfa_reads.list_virtual_mfa_devices(
            self.ctx,
            assignment_status=query["assignment_status"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, VirtualMFADeviceOut)

    @extend_schema(
        operation_id="CreateVirtualMFADevice",
        summary="Create a virtual MFA device",
        description="CreateVirtualMFADevice (iam:CreateVirtualMFADevice on the new device's ARN): an "
        "unassigned device with a new random seed. The answer is the only one that carries the seed "
        "and its QR code; enable the device with two codes from it (EnableMFADevice).",
        request=CreateVirtualMFADeviceIn,
        responses={
            201: NewVirtualMFADeviceOut,
            **errors(
                e400=INVALID,
                e409="EntityAlreadyExists: a device of that name exists (in any case, on any path); "
                "LimitExceeded: the account has as many devices as its user quota.",
            ),
        },
        tags=[MFA_DEVICES],
    )
    @virtual_mfa_devices.mapping.post
    def create_device(self, request: Request) -> Response:
        data = self.body(CreateVirtualMFADeviceIn)
        new = mfa.create_virtual_mfa_device(
            self.ctx,
            virtual_mfa_device_name=data["virtual_mfa_device_name"],
            path=data["path"],
            tags=tags_in(data.get("tags", [])),
        )
        # No Location: the serial number (an ARN) is not part of any URL.
        return Response(NewVirtualMFADeviceOut(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="DeleteVirtualMFADevice",
        summary="Delete a virtual MFA device",
        description="DeleteVirtualMFADevice (iam:DeleteVirtualMFADevice): an unassigned device only.",
        parameters=[SerialNumberQuery],
        responses={
            204: None,
            **errors(
                e400=INVALID,
                e404="NoSuchEntity: no device of that serial number in the account.",
                e409="DeleteConflict: the device is enabled for a user; deactivate it first.",
            ),
        },
        tags=[MFA_DEVICES],
    )
    @virtual_mfa_devices.mapping.delete
    def delete_device(self, request: Request) -> Response:
        query = self.query(SerialNumberQuery)
        mfa.delete_virtual_mfa_device(self.ctx, serial_number=query["serial_number"])
        return Response(status=status.HTTP_204_NO_CONTENT)


USER_PREFIX = rf"users/(?P<user_name>{USER_NAME_REGEX})"
# The users prefix again with detail actions only: the router makes no list or detail route for these
# viewsets (they have no list/retrieve), only users/{user_name}/login-profile/ and …/mfa-devices/.
# The empty prefix likewise yields only the actions' own paths (virtual-mfa-devices/, me/password/):
# a collection that DELETE takes with a query string, which a prefix's list route cannot have.
ROUTES: list[tuple[str, type, str]] = [
    ("users", LoginProfileViewSet, "user-login-profile"),
    (rf"{USER_PREFIX}/access-keys", AccessKeyViewSet, "user-access-key"),
    ("users", MFADeviceViewSet, "user-mfa-device"),
    ("access-keys", CallerAccessKeyViewSet, "access-key"),
    ("", VirtualMFADeviceViewSet, "virtual-mfa-device"),
    ("", CallerPasswordViewSet, "caller"),
]
