"""STS actions that issue temporary credentials: GetSessionToken and AssumeRole.

The credentials are an ASIA… access key id, a secret access key and a session token, valid until
their expiration; requests signed with them act as the user (GetSessionToken) or as the role
session arn:aws:sts::<account>:assumed-role/<role>/<session> (AssumeRole). The secret is sealed and
only a digest of the token is stored; both are returned once, here.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from iam_portal import secretbox, validation
from iam_portal.errors import (
    InvalidAuthenticationCodeError,
    PackedPolicyTooLargeError,
    ValidationError,
    validation_error,
)
from policies.documents import check_document, size
from policies.models import ManagedPolicy

from .. import audit
from ..authz import authorize_assume_role, deny, not_authorized
from ..context import AssumedRole, RequestContext
from ..models import Role, SessionCredential, User
from ..selectors.sts import TEMPORARY_KEY_PREFIX, session_sealing_context, token_digest
from . import mfa
from .access_keys import new_access_key_id, new_secret_access_key

# The STS model's ranges and AWS's rules (../shared/reference/QUOTAS.md, "Role session duration").
USER_SESSION_RANGE, USER_SESSION_DEFAULT = (900, 129_600), 43_200
ROOT_SESSION_MAX = 3_600  # longer requests of the root user get one hour (GetSessionToken docs)
ROLE_SESSION_RANGE, ROLE_SESSION_DEFAULT = (900, 43_200), 3_600
ROLE_CHAINING_MAX = 3_600
PACKED_POLICY_MAX = 2_048  # inline session policy, managed policy ARNs and session tags together
MAX_SESSION_POLICY_ARNS = 10
SESSION_TOKEN_BYTES = 96
SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*", re.ASCII)
SERIAL_NUMBER = re.compile(r"[\w+=/:,.@-]*", re.ASCII)
TOKEN_CODE = re.compile(r"[\d]*", re.ASCII)
ANY_TEXT = re.compile(r".+", re.S)  # arnType: a length range only
ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", re.ASCII)
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
SESSION_CREDENTIALS = "Cannot call GetSessionToken with session credentials"
ROOT_CANNOT_ASSUME = "Roles may not be assumed by root accounts."


@dataclass(frozen=True)
class TemporaryCredentials:
    """The Credentials member of GetSessionToken and AssumeRole: shown once, never stored in clear."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime


@dataclass(frozen=True)
class AssumedRoleCredentials:
    """AssumeRole's answer."""

    credentials: TemporaryCredentials
    assumed_role_id: str  # <role id>:<session name>
    arn: str  # arn:aws:sts::<account>:assumed-role/<role>/<session>
    packed_policy_size: int | None  # percent of the allowed size, when session policies or tags are sent
    source_identity: str | None


@sensitive_variables()
def _issue(
    ctx: RequestContext, expiration: datetime, **fields: object
) -> tuple[SessionCredential, TemporaryCredentials]:
    """Store a new session (expired ones of the account go) and its credentials, shown this once."""
    SessionCredential.objects.filter(account=fields["account"], expiration__lt=ctx.now).delete()
    key_id, secret = new_access_key_id(TEMPORARY_KEY_PREFIX), new_secret_access_key()
    token = base64.b64encode(secrets.token_bytes(SESSION_TOKEN_BYTES)).decode()
    session = SessionCredential.objects.create(
        access_key_id=key_id,
        secret_ciphertext=secretbox.encrypt(secret, context=session_sealing_context(key_id)),
        token_digest=token_digest(token),
        issued_by_arn=ctx.caller_arn,
        created=ctx.now,
        expiration=expiration,
        **fields,
    )
    return session, TemporaryCredentials(key_id, secret, token, expiration)


@sensitive_variables("token_code")
def _mfa_authenticated_at(
    ctx: RequestContext, action: str, target: str, serial_number: str | None, token_code: str | None
) -> datetime | None:
    """When the request proves MFA: now, with a valid SerialNumber and TokenCode of the caller's
    device; else whenever the caller's own credentials did (None if never). A wrong code is
    AccessDenied, as in AWS."""
    if serial_number is None and token_code is None:
        return ctx.mfa_authenticated_at
    if serial_number is not None:
        validation.constrained(
            serial_number, "serialNumber", min_length=9, max_length=256, pattern=SERIAL_NUMBER
        )
    if token_code is not None:
        validation.constrained(
            token_code, "tokenCode", min_length=6, max_length=6, pattern=TOKEN_CODE, hide_value=True
        )
    try:
        if serial_number is None or token_code is None or not isinstance(ctx.caller, User):
            raise InvalidAuthenticationCodeError(MFA_FAILED)
        # Its own transaction: a wrong code's back-off is committed even though the request fails.
        mfa.verify_code(ctx.caller, token_code, serial_number, ctx=ctx)
    except InvalidAuthenticationCodeError:
        deny(ctx, action, target, MFA_FAILED, serial_number=serial_number)
    return ctx.now


@sensitive_variables("token_code")
def get_session_token(
    ctx: RequestContext,
    *,
    duration_seconds: int | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
) -> TemporaryCredentials:
    """GetSessionToken: temporary credentials of the calling user, carrying MFA when a code is given.

    No policy decides it ("You cannot use policies to control authentication operations"). Role
    sessions and other temporary credentials cannot call it.
    """
    validation.integer(duration_seconds, "durationSeconds", USER_SESSION_RANGE)
    if ctx.session is not None or not isinstance(ctx.caller, User):
        deny(ctx, "sts:GetSessionToken", "", SESSION_CREDENTIALS)
    user = ctx.caller
    duration = duration_seconds or USER_SESSION_DEFAULT
    if user.is_root:
        duration = min(duration_seconds or ROOT_SESSION_MAX, ROOT_SESSION_MAX)
    mfa_at = _mfa_authenticated_at(ctx, "sts:GetSessionToken", user.arn, serial_number, token_code)
    with audit.write(
        ctx, "sts:GetSessionToken", user.arn, duration_seconds=duration, serial_number=serial_number
    ) as entry:
        _, credentials = _issue(
            ctx,
            ctx.now + timedelta(seconds=duration),
            account=user.account,
            user=user,
            mfa_authenticated_at=mfa_at,
        )
        entry.parameters["issued_access_key_id"] = credentials.access_key_id
    return credentials


def _role_by_arn(ctx: RequestContext, role_arn: str) -> Role | None:
    """The role an AssumeRole request names, in any account of the portal; None if there is none
    (which AWS does not reveal: the caller is simply not authorized)."""
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        return None
    account_id, name = match.groups()
    role = (
        Role.objects.select_related("account")
        .filter(account__account_id=account_id, role_name__lower=name.lower())
        .first()
    )
    return role if role is not None and role.arn == role_arn else None


def _session_policy_arns(values: object) -> list[str]:
    """PolicyArns ([{"arn": …}]) within the model's constraints: at most 10 ARNs."""
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_SESSION_POLICY_ARNS:
        raise validation_error(
            values,
            "policyArns",
            f"have length less than or equal to {MAX_SESSION_POLICY_ARNS}",
            hide_value=True,
        )
    arns = []
    for i, item in enumerate(values, 1):
        arn = item.get("arn") if isinstance(item, dict) else None
        validation.constrained(
            arn, f"policyArns.{i}.member.arn", min_length=20, max_length=2048, pattern=ANY_TEXT
        )
        arns.append(arn)
    return arns


def _check_attachable(role: Role, arns: list[str]) -> None:
    """Session policy ARNs name managed policies of the role's account or AWS's."""
    known = set(
        ManagedPolicy.objects.filter(
            Q(account__isnull=True) | Q(account=role.account), arn__in=arns
        ).values_list("arn", flat=True)
    )
    for arn in arns:
        if arn not in known:
            raise ValidationError(f"Policy {arn} does not exist or is not attachable.")


def _packed_percent(policy: str | None, policy_arns: list[str], tags: dict[str, str]) -> int:
    """How much of the packed session allowance the session policies and tags use, in percent."""
    used = (size(policy) if policy else 0) + sum(map(len, policy_arns))
    used += sum(len(k) + len(v) for k, v in tags.items())
    return math.ceil(100 * used / PACKED_POLICY_MAX)


@sensitive_variables("token_code")
def assume_role(
    ctx: RequestContext,
    *,
    role_arn: str,
    role_session_name: str,
    policy_arns: list[dict] | None = None,
    policy: str | None = None,
    duration_seconds: int | None = None,
    tags: list[dict] | None = None,
    external_id: str | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
    source_identity: str | None = None,
) -> AssumedRoleCredentials:
    """AssumeRole: credentials of a session of the role, if its trust policy and the caller's own
    policies allow (sts:TagSession too with Tags, sts:SetSourceIdentity with SourceIdentity).

    The session's permissions are the role's, limited by the session policies (Policy, PolicyArns).
    DurationSeconds: 900 up to the role's MaxSessionDuration, one hour when a role session assumes
    a role (role chaining). The root user cannot assume roles.
    """
    validation.constrained(role_arn, "roleArn", min_length=20, max_length=2048, pattern=ANY_TEXT)
    validation.constrained(
        role_session_name, "roleSessionName", min_length=2, max_length=64, pattern=SESSION_NAME
    )
    validation.integer(duration_seconds, "durationSeconds", ROLE_SESSION_RANGE)
    if external_id is not None:
        validation.constrained(external_id, "externalId", min_length=2, max_length=1224, pattern=EXTERNAL_ID)
    if source_identity is not None:
        validation.constrained(
            source_identity, "sourceIdentity", min_length=2, max_length=64, pattern=SESSION_NAME
        )
    session_tags = validation.tags(tags or [])
    arns = _session_policy_arns(policy_arns)
    if policy is not None:
        check_document(policy, member="policy")
    if ctx.caller.is_root:
        deny(ctx, "sts:AssumeRole", role_arn, ROOT_CANNOT_ASSUME)
    role = _role_by_arn(ctx, role_arn)
    if role is None:
        deny(ctx, "sts:AssumeRole", role_arn, not_authorized(ctx, "sts:AssumeRole", role_arn))
    chained = isinstance(ctx.caller, AssumedRole)
    inherited = ctx.caller.session.source_identity if chained else ""
    if inherited and source_identity is not None and source_identity != inherited:
        # "The value that is set cannot be changed during the role session" (AWS), nor down a chain.
        deny(
            ctx,
            "sts:AssumeRole",
            role.arn,
            f"{not_authorized(ctx, 'sts:SetSourceIdentity', role.arn)} "
            f"because the source identity {inherited} of the session cannot be changed",
        )
    # A source identity follows a role chain, and must be allowed at each step (IAM User Guide).
    source_identity = source_identity or inherited or None
    mfa_at = _mfa_authenticated_at(ctx, "sts:AssumeRole", role.arn, serial_number, token_code)
    decided = replace(ctx, mfa_authenticated_at=mfa_at)  # as the trust policy sees the request
    extra: dict[str, object] = {
        "sts:RoleSessionName": role_session_name,
        **(validation.tag_context(session_tags) if session_tags else {}),
    }
    if external_id is not None:
        extra["sts:ExternalId"] = external_id
    if source_identity is not None:
        extra["sts:SourceIdentity"] = source_identity
    actions = ["sts:AssumeRole"]
    if session_tags:
        actions.append("sts:TagSession")
    if source_identity is not None:
        actions.append("sts:SetSourceIdentity")
    authorize_assume_role(decided, role, actions, extra)

    duration = duration_seconds or ROLE_SESSION_DEFAULT
    packed = None
    with audit.write(
        ctx,
        "sts:AssumeRole",
        role.arn,
        role_session_name=role_session_name,
        duration_seconds=duration,
        external_id=external_id,
        source_identity=source_identity,
        policy_arns=arns or None,
        tags=session_tags or None,
        serial_number=serial_number,
    ) as entry:
        if chained and duration > ROLE_CHAINING_MAX:
            raise ValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit "
                "for roles assumed by role chaining."
            )
        if duration > role.max_session_duration:
            raise ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        _check_attachable(role, arns)
        if policy is not None or arns or session_tags:
            packed = _packed_percent(policy, arns, session_tags)
            if packed > 100:
                raise PackedPolicyTooLargeError(
                    f"Packed policy consumes {packed}% of allotted space, please use smaller policy."
                )
        session, credentials = _issue(
            ctx,
            ctx.now + timedelta(seconds=duration),
            account=role.account,
            role=role,
            role_session_name=role_session_name,
            session_policy=policy or "",
            session_policy_arns=arns,
            tags=session_tags,
            source_identity=source_identity or "",
            mfa_authenticated_at=mfa_at,
        )
        entry.parameters["issued_access_key_id"] = credentials.access_key_id
    identity = AssumedRole(role, session)
    return AssumedRoleCredentials(credentials, identity.user_id, identity.arn, packed, source_identity)
