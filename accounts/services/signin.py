"""Console sign-up and sign-in as services: sign-up (a new account, its root user and an alias),
the root user's and an IAM user's password sign-in, the MFA step, and the console's per-request
RequestContext. Views render them (accounts/views.py); nothing here knows about HTTP.

Every failure looks the same to the caller: one error type, one message, and one password hash
check whether the account, the user or the login profile is missing or the password is wrong, so
neither the answer nor its timing tells which identities exist. The audit trail (never the
password) records what really went wrong.

Brute force: failures are counted in the database (SignInThrottle rows, so every process sees
them) per identity and per source address; too many within WINDOW lock the key for LOCKOUT.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from django.contrib.auth import hashers
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.debug import sensitive_variables

from iam_portal import metrics
from iam_portal.errors import IamError, InvalidAuthenticationCodeError, PasswordPolicyViolationError

from .. import audit
from ..context import CONSOLE, RequestContext
from ..models import Account, AuditEvent, LoginProfile, MFADevice, PasswordPolicy, SignInThrottle, User
from .account import create_account, create_account_alias, validate_account_alias
from .passwords import DIGITS, LOWERCASE, UPPERCASE

SIGN_IN_FAILED = "Your authentication information is incorrect. Please try again."  # AWS console
WINDOW = timedelta(minutes=15)  # failures count within this window from the first one
LOCKOUT = timedelta(minutes=15)
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's word for a name that matched nobody
MAX_IDENTITY_FAILURES = 5  # per root email or per IAM user (account id + name)
MAX_ADDRESS_FAILURES = 20  # per source IP address, whatever identities it tries
ROOT_PASSWORD_MIN_LENGTH = 12
MAX_SIGN_IN_PASSWORD = 1024  # longer input cannot match a stored password; never hash megabytes
ANONYMOUS = "anonymous"  # the actor of audit rows written before anyone is signed in

# Audit: the action of every sign-in attempt, and `reason` values of failed ones.
CONSOLE_LOGIN = "signin:ConsoleLogin"
CREDENTIAL_CHALLENGE = "signin:CredentialChallenge"  # password right, MFA code asked for
LOCKOUT_ACTION = "signin:Lockout"
NO_SUCH_ACCOUNT, NO_SUCH_USER, NO_LOGIN_PROFILE = "NoSuchAccount", "NoSuchUser", "NoLoginProfile"
WRONG_PASSWORD, LOCKED, WRONG_CODE = "WrongPassword", "Locked", "InvalidAuthenticationCode"


class SignInError(IamError):
    """Any failed sign-in, with AWS's console message whatever the cause."""

    code, http_status = "SignInFailed", 401

    def __init__(self, message: str = SIGN_IN_FAILED):
        super().__init__(message)


class SignInLockedError(SignInError):
    """Too many failures for this identity or address: refused even with the right password."""

    code, http_status = "SignInLocked", 429

    def __init__(self, minutes: int):
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many failed sign-in attempts. Try again in {minutes} {unit}.")
        self.minutes = minutes


@dataclass(frozen=True)
class SignInResult:
    """A correct password, and what the console must do before the session is usable."""

    user: User
    mfa_required: bool = False  # the user has an enabled MFA device: complete_mfa next
    mfa_enrollment_required: bool = False  # root user without a device, account requires one
    password_change_required: bool = False  # reset required by an administrator, or expired
    password_change_allowed: bool = True  # False when expired under HardExpiry: an admin must reset
    days_until_expiry: int | None = None  # None when the account's passwords never expire


# Sign-up --------------------------------------------------------------------------------------


@sensitive_variables()
def root_password_violations(password: str, email: str = "") -> list[str]:
    """The sign-up rule for root passwords: 12 characters and three of the four kinds.

    Any character that is not an ASCII letter or digit counts as a symbol (spaces and punctuation
    make a password stronger whatever they are).
    """
    broken = []
    if len(password) < ROOT_PASSWORD_MIN_LENGTH:
        broken.append(f"Password should have a minimum length of {ROOT_PASSWORD_MIN_LENGTH}")
    characters = set(password)
    missing = [
        name
        for present, name in (
            (bool(characters & UPPERCASE), "uppercase letter"),
            (bool(characters & LOWERCASE), "lowercase letter"),
            (bool(characters & DIGITS), "number"),
            (bool(characters - UPPERCASE - LOWERCASE - DIGITS), "symbol"),
        )
        if not present
    ]
    if len(missing) > 1:  # three of the four kinds are required
        broken.append(
            f"Password should meet {len(missing) - 1} more of the following requirements: "
            + ", ".join(missing)
        )
    if email and password.strip().lower() == email.strip().lower():
        broken.append("Password should not be the email address")
    return broken


@sensitive_variables()
def sign_up(
    *, email: str, password: str, account_alias: str | None = None, source_ip: str | None = None
) -> User:
    """Sign up: a new account, its root user and (optionally) its alias, all or nothing.

    New accounts require MFA for the root user (Account.require_root_mfa): the first sign-in enrolls.
    """
    if account_alias is not None:
        validate_account_alias(account_alias)  # fail before anything is written
    if not isinstance(password, str):
        raise PasswordPolicyViolationError(
            f"Password should have a minimum length of {ROOT_PASSWORD_MIN_LENGTH}"
        )
    broken = root_password_violations(password, email if isinstance(email, str) else "")
    if broken:
        raise PasswordPolicyViolationError(", ".join(broken))
    source_ip = _address(source_ip)
    with transaction.atomic():  # an alias that turns out to be taken undoes the account too
        root = create_account(email=email, password=password, channel=CONSOLE, source_ip=source_ip)
        if account_alias is not None:
            ctx = RequestContext(caller=root, channel=CONSOLE, source_ip=source_ip)
            create_account_alias(ctx, account_alias=account_alias)
            root.account.alias = account_alias
    return root


# Password sign-in -----------------------------------------------------------------------------


def account_for_sign_in(id_or_alias: object) -> Account | None:
    """The account a sign-in URL (/signin/<id-or-alias>/) or form names: a 12-digit id or an alias."""
    if not isinstance(id_or_alias, str):
        return None
    value = id_or_alias.strip().lower()
    if not value:
        return None
    if len(value) == 12 and value.isdigit():  # aliases are never 12 digits (validate_account_alias)
        return Account.objects.filter(account_id=value).first()
    return Account.objects.filter(alias=value).first()


@sensitive_variables()
def authenticate_root(*, email: str, password: str, source_ip: str | None) -> SignInResult:
    """The root user's password sign-in (by email). Raises SignInError / SignInLockedError."""
    email = email.strip().lower() if isinstance(email, str) else ""
    source_ip = _address(source_ip)
    identity = _key("root", email)
    user = User.objects.select_related("account").filter(is_root=True, email=email).first() if email else None
    # What was typed is recorded only for a real identity: people type passwords into name fields.
    tried = {"email": email if user else HIDDEN}
    _refuse_if_locked(identity, source_ip, account=None, target="", tried=tried)
    if not _password_matches(user.password if user else None, password):
        reason = WRONG_PASSWORD if user else NO_SUCH_USER
        _fail(
            identity,
            source_ip,
            reason,
            account=user.account if user else None,
            target=_arn(user),
            tried=tried,
        )
    return _signed_in(user, identity, source_ip, _result(user, None), tried)


@sensitive_variables()
def authenticate_iam_user(
    *, account: str, user_name: str, password: str, source_ip: str | None
) -> SignInResult:
    """An IAM user's password sign-in: `account` is the 12-digit id or the alias. The user needs a
    login profile. Raises SignInError / SignInLockedError."""
    found = account_for_sign_in(account)
    name = user_name if isinstance(user_name, str) else ""
    source_ip = _address(source_ip)
    # One counter per user whether the account is named by id or by alias.
    entered = account.strip().lower() if isinstance(account, str) else ""
    identity = _key("user", f"{found.account_id if found else entered}:{name.lower()}")
    user = profile = None
    if found is not None and name:
        user = (
            User.objects.select_related("account", "login_profile")
            .filter(account=found, is_root=False, user_name__lower=name.lower())
            .first()
        )
        profile = _login_profile(user)
    # What was typed is recorded only for a real identity: people type passwords into name fields.
    tried = {"account": entered if found else HIDDEN, "user_name": name if user else HIDDEN}
    _refuse_if_locked(identity, source_ip, account=found, target="", tried=tried)
    # No login profile: the stored hash is unusable anyway, but compare against the dummy as for
    # an unknown user so that the work is the same.
    if not _password_matches(user.password if profile else None, password):
        if found is None:
            reason = NO_SUCH_ACCOUNT
        elif user is None:
            reason = NO_SUCH_USER
        else:
            reason = NO_LOGIN_PROFILE if profile is None else WRONG_PASSWORD
        _fail(identity, source_ip, reason, account=found, target=_arn(user), tried=tried)
    tried["user_name"] = user.user_name  # as stored
    return _signed_in(user, identity, source_ip, _result(user, profile), tried)


def _login_profile(user: User | None) -> LoginProfile | None:
    if user is None:
        return None
    try:
        return user.login_profile
    except LoginProfile.DoesNotExist:
        return None


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash made by the current hasher (per algorithm: settings may change it), matched by nothing."""
    algorithm = hashers.get_hasher().algorithm
    if algorithm not in _DUMMY_HASHES:
        _DUMMY_HASHES[algorithm] = hashers.make_password(get_random_string(32))
    return _DUMMY_HASHES[algorithm]


@sensitive_variables()
def _password_matches(encoded: str | None, password: object) -> bool:
    """Exactly one hash check, against the user's hash or a dummy one: the same work either way.

    hashers.check_password is looked up at call time (tests count the calls).
    """
    usable = encoded is not None and hashers.is_password_usable(encoded)
    candidate = password if isinstance(password, str) and len(password) <= MAX_SIGN_IN_PASSWORD else ""
    matched = hashers.check_password(candidate, encoded if usable else _dummy_hash())
    return matched and usable and bool(candidate)


def _result(user: User, profile: LoginProfile | None) -> SignInResult:
    """What the console must do next: MFA, MFA enrollment, a password change (IAM users only:
    the password policy does not apply to the root user)."""
    has_device = MFADevice.objects.filter(user=user, enable_date__isnull=False).exists()
    if user.is_root:
        return SignInResult(
            user=user,
            mfa_required=has_device,
            mfa_enrollment_required=not has_device and user.account.require_root_mfa,
        )
    policy = PasswordPolicy.objects.filter(account=user.account).first()
    expired, days_left = False, None
    if policy is not None and policy.max_password_age:
        remaining = profile.password_changed + timedelta(days=policy.max_password_age) - timezone.now()
        expired = remaining <= timedelta(0)
        days_left = 0 if expired else math.ceil(remaining / timedelta(days=1))
    return SignInResult(
        user=user,
        mfa_required=has_device,
        password_change_required=profile.password_reset_required or expired,
        password_change_allowed=not (expired and policy.hard_expiry),
        days_until_expiry=days_left,
    )


def _signed_in(
    user: User, identity: str, source_ip: str | None, result: SignInResult, tried: dict
) -> SignInResult:
    """The password was right. With an MFA step still to come, the identity's failure count stays:
    only a finished sign-in resets it (otherwise the password would buy unlimited code guesses)."""
    ctx = RequestContext(caller=user, channel=CONSOLE, source_ip=source_ip)
    if result.mfa_required:
        audit.record(ctx, CREDENTIAL_CHALLENGE, target=user.arn, challenge="MFA", **tried)
        return result
    SignInThrottle.objects.filter(key=identity).delete()
    audit.record(
        ctx,
        CONSOLE_LOGIN,
        target=user.arn,
        mfa_used="No",
        mfa_enrollment_required=result.mfa_enrollment_required or None,
        password_change_required=result.password_change_required or None,
        password_change_allowed=result.password_change_allowed if result.password_change_required else None,
        **tried,
    )
    return result


# MFA ------------------------------------------------------------------------------------------


@sensitive_variables()
def complete_mfa(
    result_user: User, code: str, *, serial_number: str | None = None, source_ip: str | None
) -> datetime:
    """The MFA step after a correct password (SignInResult.mfa_required): a code of one of the user's
    devices, or for the root user a recovery code. Returns the MFA authentication time."""
    from . import mfa  # imported here: mfa.py is written apart from this module

    user = result_user
    source_ip = _address(source_ip)
    identity = _identity_of(user)
    if user.is_root:
        tried = {"email": user.email}
    else:
        tried = {"account": user.account.account_id, "user_name": user.user_name}
    _refuse_if_locked(identity, source_ip, account=user.account, target=user.arn, tried=tried)
    ctx = RequestContext(caller=user, channel=CONSOLE, source_ip=source_ip)  # for mfa's own audit rows
    recovery = False
    try:
        mfa.verify_code(user, code, serial_number=serial_number, ctx=ctx)
    except InvalidAuthenticationCodeError:
        # A recovery code is the root user's way in without the device. A 6-digit code is a device
        # code, never a recovery code: no hashing ten recovery codes for a mistyped one.
        if user.is_root and not _looks_like_device_code(code):
            recovery = mfa.use_recovery_code(user, code, ctx=ctx)
        if not recovery:
            _fail(identity, source_ip, WRONG_CODE, account=user.account, target=user.arn, tried=tried)
    at = timezone.now()
    SignInThrottle.objects.filter(key=identity).delete()  # the sign-in is complete
    ctx = RequestContext(caller=user, channel=CONSOLE, source_ip=source_ip, mfa_authenticated_at=at, now=at)
    audit.record(
        ctx, CONSOLE_LOGIN, target=user.arn, mfa_used="Yes", recovery_code_used=recovery or None, **tried
    )
    return at


@sensitive_variables()
def _looks_like_device_code(code: object) -> bool:
    typed = code.replace(" ", "") if isinstance(code, str) else ""
    return len(typed) == 6 and typed.isascii() and typed.isdigit()


def session_context(
    user: User,
    *,
    mfa_authenticated_at: datetime | None,
    source_ip: str | None,
    secure_transport: bool,
    user_agent: str,
    channel: str = CONSOLE,
) -> RequestContext:
    """The RequestContext of one console request by a signed-in user (aws:MultiFactorAuthPresent
    and aws:MultiFactorAuthAge come from mfa_authenticated_at)."""
    return RequestContext(
        caller=user,
        channel=channel,
        source_ip=source_ip,
        secure_transport=secure_transport,
        mfa_authenticated_at=mfa_authenticated_at,
        user_agent=user_agent,
    )


# Throttle -------------------------------------------------------------------------------------


def _key(kind: str, value: str) -> str:
    """A throttle key: a hash of what was typed (which may be a mistyped password), never the text."""
    return f"{kind}:sha256:{hashlib.sha256(value.encode()).hexdigest()}"


def _identity_of(user: User) -> str:
    if user.is_root:
        return _key("root", (user.email or "").lower())
    return _key("user", f"{user.account.account_id}:{user.user_name.lower()}")


def _address(source_ip: str | None) -> str | None:
    """A valid IP address or None (the audit column is an inet on PostgreSQL)."""
    if not source_ip:
        return None
    try:
        return str(ipaddress.ip_address(source_ip.strip()))
    except ValueError:
        return None


def _network(source_ip: str) -> str:
    """What one attacker controls: an IPv4 address (also written IPv4-mapped) or an IPv6 /64."""
    address = ipaddress.ip_address(source_ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _keys(identity: str, source_ip: str | None) -> list[tuple[str, int]]:
    keys = [(identity, MAX_IDENTITY_FAILURES)]
    if source_ip:
        keys.append((f"ip:{_network(source_ip)}", MAX_ADDRESS_FAILURES))
    return keys


def _refuse_if_locked(
    identity: str, source_ip: str | None, *, account: Account | None, target: str, tried: dict
) -> None:
    """SignInLockedError while the identity or the address is locked; no password is checked and
    nothing more is counted (the lock does not grow while it lasts)."""
    now = timezone.now()
    until = max(
        SignInThrottle.objects.filter(
            key__in=[key for key, _ in _keys(identity, source_ip)], locked_until__gt=now
        ).values_list("locked_until", flat=True),
        default=None,
    )
    if until is None:
        return
    error = SignInLockedError(max(1, math.ceil((until - now).total_seconds() / 60)))
    _record_anonymous(
        CONSOLE_LOGIN,
        account=account,
        target=target,
        source_ip=source_ip,
        error_code=error.code,
        parameters={**tried, "reason": LOCKED},
    )
    metrics.SIGN_IN_FAILURES.labels(LOCKED).inc()
    raise error


def _fail(
    identity: str, source_ip: str | None, reason: str, *, account: Account | None, target: str, tried: dict
) -> NoReturn:
    """Count the failure for the identity and the address, audit it (and any lock it causes), raise."""
    metrics.SIGN_IN_FAILURES.labels(reason).inc()
    now = timezone.now()
    for key, limit in _keys(identity, source_ip):
        locked = _count_failure(key, limit, now)
        if locked is not None:
            _record_anonymous(
                LOCKOUT_ACTION,
                account=account,
                target=target,
                source_ip=source_ip,
                error_code=SignInLockedError.code,
                parameters={
                    "key": key,
                    "failures": locked.failures,
                    "locked_until": locked.locked_until.isoformat(),
                },
            )
    _record_anonymous(
        CONSOLE_LOGIN,
        account=account,
        target=target,
        source_ip=source_ip,
        error_code=SignInError.code,
        parameters={**tried, "reason": reason},
    )
    raise SignInError()


def _count_failure(key: str, limit: int, now: datetime) -> SignInThrottle | None:
    """One more failure for the key; returns the row if this failure locked it.

    The row is locked (select_for_update) while it is read and written, so concurrent failures in
    any number of processes are all counted; a racing first insert is retried by get_or_create.
    """
    with transaction.atomic():
        row, _ = SignInThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"failures": 0, "first_failure": now}
        )
        locked_now = row.locked_until is not None and row.locked_until > now
        if not locked_now and (row.locked_until is not None or now - row.first_failure >= WINDOW):
            row.failures, row.first_failure, row.locked_until = 0, now, None  # a new window
        row.failures += 1
        newly_locked = row.locked_until is None and row.failures >= limit
        if newly_locked:
            row.locked_until = now + LOCKOUT
        row.save(update_fields=["failures", "first_failure", "locked_until"])
    return row if newly_locked else None


def _arn(user: User | None) -> str:
    return user.arn if user is not None else ""


def _record_anonymous(
    action: str,
    *,
    account: Account | None,
    target: str,
    source_ip: str | None,
    error_code: str,
    parameters: dict[str, object],
) -> AuditEvent:
    """An audit row with no caller (audit.record needs one): a failed or refused sign-in attempt.

    Written directly, as the one place that does; `parameters` never hold the password or a code.
    """
    return AuditEvent.objects.create(
        account=account,
        actor_arn=ANONYMOUS,
        channel=CONSOLE,
        source_ip=source_ip,
        action=action,
        target_arn=target,
        parameters={k: v for k, v in parameters.items() if v is not None},
        outcome=AuditEvent.FAILED,
        error_code=error_code,
    )
