"""Console passwords and the account password policy: CreateLoginProfile, UpdateLoginProfile,
DeleteLoginProfile, ChangePassword, UpdateAccountPasswordPolicy, DeleteAccountPasswordPolicy.

A plaintext password lives only in the arguments of these functions. It is hashed with Django's
hashers (Argon2 in production) into User.password and never reaches an audit row, a log record, an
exception message or a repr: the audit module drops parameters named password / old_password /
new_password (and these functions never hand it a password anyway), validation messages leave the
value out, and @sensitive_variables() hides every local below these functions in Django's error
reports. PasswordHistory keeps the hashes reuse prevention needs, and no more.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password, is_password_usable
from django.views.decorators.debug import sensitive_variables

from iam_portal import validation
from iam_portal.errors import (
    EntityAlreadyExistsError,
    InvalidInputError,
    InvalidUserTypeError,
    NoSuchEntityError,
    PasswordPolicyViolationError,
    validation_error,
)

from .. import audit
from ..authz import authorize, authorize_on, bump_generation
from ..context import RequestContext
from ..models import Account, LoginProfile, PasswordHistory, PasswordPolicy, User
from ..selectors.passwords import (
    USER_NAME_MAX,
    login_profile_user,
    no_login_profile,
    no_password_policy,
)

PASSWORD_MAX = 128
_PASSWORD = re.compile(r"[\u0009\u000A\u000D\u0020-\u00FF]+")
# What AWS counts for each character class (QUOTAS.md §4): ASCII letters and digits only.
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
UPPERCASE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
LOWERCASE = frozenset("abcdefghijklmnopqrstuvwxyz")
DIGITS = frozenset("0123456789")
# UpdateAccountPasswordPolicy's ranges (minimumPasswordLengthType, maxPasswordAgeType,
# passwordReusePreventionType) and the value an omitted MinimumPasswordLength resets to.
MIN_LENGTH_RANGE = (6, 128)
MAX_AGE_RANGE = (1, 1095)
REUSE_RANGE = (1, 24)
DEFAULT_MINIMUM_LENGTH = 6
REUSED = "Password cannot be reused"
DEFAULT_POLICY_MINIMUM_LENGTH = 8  # AWS's default password policy (no policy of the account's own)


def validate_password(value: object, member: str) -> str:
    """passwordType: 1-128 of [\\u0009\\u000A\\u000D\\u0020-\\u00FF]. The message never shows the value."""
    return validation.constrained(value, member, max_length=PASSWORD_MAX, pattern=_PASSWORD, hide_value=True)


def _boolean(value: object, member: str, default: bool | None = None) -> bool | None:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise validation_error(value, member, "be a boolean")
    return value


@sensitive_variables()
def policy_violations(policy: PasswordPolicy | None, user: User, password: str) -> list[str]:
    """Every rule of the account password policy the password breaks, in AWS's words.

    Without a policy, AWS's default applies: at least 8 characters and three of the four kinds.
    """
    if policy is None:
        return _default_policy_violations(password)
    broken = []
    if len(password) < policy.minimum_password_length:
        broken.append(f"Password should have a minimum length of {policy.minimum_password_length}")
    characters = set(password)
    for required, present, rule in (
        (policy.require_uppercase_characters, UPPERCASE, "at least one uppercase letter"),
        (policy.require_lowercase_characters, LOWERCASE, "at least one lowercase letter"),
        (policy.require_numbers, DIGITS, "at least one number"),
        (policy.require_symbols, SYMBOLS, "at least one symbol"),
    ):
        if required and not characters & present:
            broken.append(f"Password should have {rule}")
    if policy.password_reuse_prevention and _used_recently(user, password, policy.password_reuse_prevention):
        broken.append(REUSED)
    return broken


@sensitive_variables()
def _default_policy_violations(password: str) -> list[str]:
    """AWS's default password policy, in force while the account has none of its own."""
    broken = []
    if len(password) < DEFAULT_POLICY_MINIMUM_LENGTH:
        broken.append(f"Password should have a minimum length of {DEFAULT_POLICY_MINIMUM_LENGTH}")
    characters = set(password)
    missing = [
        name
        for kinds, name in (
            (UPPERCASE, "uppercase letter"),
            (LOWERCASE, "lowercase letter"),
            (DIGITS, "number"),
            (SYMBOLS, "symbol"),
        )
        if not characters & kinds
    ]
    if len(missing) > 1:  # three of the four kinds are required
        broken.append(
            f"Password should meet {len(missing) - 1} more of the following requirements: "
            + ", ".join(missing)
        )
    return broken


@sensitive_variables()
def _used_recently(user: User, password: str, remembered: int) -> bool:
    """Whether the password is one of the user's last `remembered` passwords (the current one included)."""
    hashes = [user.password] if user.password and is_password_usable(user.password) else []
    history = PasswordHistory.objects.filter(user=user).values_list("password_hash", flat=True)
    for encoded in history[:remembered]:
        if encoded not in hashes:  # the newest history entry is the current password's hash
            hashes.append(encoded)
    # check_password() without a setter: a hash of an old password is never rewritten.
    return any(check_password(password, encoded) for encoded in hashes[:remembered])


@sensitive_variables()
def _enforce(policy: PasswordPolicy | None, user: User, password: str) -> None:
    broken = policy_violations(policy, user, password)
    if broken:
        raise PasswordPolicyViolationError(", ".join(broken))


@sensitive_variables()
def _set_password(ctx: RequestContext, user: User, password: str, policy: PasswordPolicy | None) -> None:
    """Hash and store the password; remember its hash only while reuse prevention needs it."""
    user.set_password(password)
    user.save(update_fields=["password"])
    remembered = policy.password_reuse_prevention if policy else None
    history = PasswordHistory.objects.filter(user=user)
    if not remembered:
        history.delete()
        return
    PasswordHistory.objects.create(user=user, password_hash=user.password, created=ctx.now)
    stale = list(history.values_list("pk", flat=True)[remembered:])
    if stale:
        PasswordHistory.objects.filter(pk__in=stale).delete()


def _lock(user: User, user_name: str) -> User:
    """The user's row, locked: it serializes this user's password writes (and DeleteUser)."""
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise NoSuchEntityError(f"The user with name {user_name} cannot be found.")
    locked.account = user.account  # the same row; saves a query when the caller wants the ARN
    return locked


def _current_policy(account: Account) -> PasswordPolicy | None:
    return PasswordPolicy.objects.filter(account=account).first()


@sensitive_variables()
def create_login_profile(
    ctx: RequestContext,
    *,
    user_name: str | None = None,
    password: str,
    password_reset_required: bool = False,
) -> LoginProfile:
    """CreateLoginProfile: a console password for an IAM user (the caller without user_name)."""
    validate_password(password, "password")
    reset = _boolean(password_reset_required, "passwordResetRequired", default=False)
    user = login_profile_user(ctx, user_name)
    name = user_name or user.user_name
    authorize_on(ctx, "iam:CreateLoginProfile", user)
    already = EntityAlreadyExistsError(f"Login Profile for user {name} already exists.")
    with audit.write(
        ctx,
        "iam:CreateLoginProfile",
        user.arn,
        on_integrity_error=already,
        user_name=name,
        password_reset_required=reset,
    ):
        locked = _lock(user, name)
        if LoginProfile.objects.filter(user=locked).exists():
            raise already
        policy = _current_policy(ctx.account)
        _enforce(policy, locked, password)
        _set_password(ctx, locked, password, policy)
        profile = LoginProfile.objects.create(
            user=locked, created=ctx.now, password_changed=ctx.now, password_reset_required=reset
        )
    return profile


@sensitive_variables()
def update_login_profile(
    ctx: RequestContext,
    *,
    user_name: str,
    password: str | None = None,
    password_reset_required: bool | None = None,
) -> None:
    """UpdateLoginProfile: set a user's password (checked against the policy) and/or its reset flag."""
    validation.name(user_name, "userName", USER_NAME_MAX)  # required here, unlike Create/Get/Delete
    if password is not None:
        validate_password(password, "password")
    reset = _boolean(password_reset_required, "passwordResetRequired")
    user = login_profile_user(ctx, user_name)
    authorize_on(ctx, "iam:UpdateLoginProfile", user)
    with audit.write(
        ctx,
        "iam:UpdateLoginProfile",
        user.arn,
        user_name=user_name,
        password_set=True if password is not None else None,  # that it changed, never what to
        password_reset_required=reset,
    ):
        locked = _lock(user, user_name)
        profile = LoginProfile.objects.filter(user=locked).first()
        if profile is None:
            raise no_login_profile(user_name)
        changed = []
        if password is not None:
            policy = _current_policy(ctx.account)
            _enforce(policy, locked, password)
            _set_password(ctx, locked, password, policy)
            profile.password_changed = ctx.now
            changed.append("password_changed")
        if reset is not None:
            profile.password_reset_required = reset
            changed.append("password_reset_required")
        if changed:
            profile.save(update_fields=changed)


def delete_login_profile(ctx: RequestContext, *, user_name: str | None = None) -> None:
    """DeleteLoginProfile: the user can no longer sign in to the console; its password is unusable."""
    user = login_profile_user(ctx, user_name)
    name = user_name or user.user_name
    authorize_on(ctx, "iam:DeleteLoginProfile", user)
    with audit.write(ctx, "iam:DeleteLoginProfile", user.arn, user_name=name):
        locked = _lock(user, name)
        deleted, _ = LoginProfile.objects.filter(user=locked).delete()
        if not deleted:
            raise no_login_profile(name)
        # Changing the hash also ends the user's console sessions (Django's session auth hash).
        locked.set_unusable_password()
        locked.save(update_fields=["password"])
        PasswordHistory.objects.filter(user=locked).delete()  # no password, nothing to compare with


@sensitive_variables()
def change_password(ctx: RequestContext, *, old_password: str, new_password: str) -> None:
    """ChangePassword: the calling IAM user changes its own password (never the root user's).

    Allowed by an identity policy (iam:ChangePassword on its own ARN), by the account password
    policy's AllowUsersToChangePassword, or while an administrator requires a reset (AWS gives such
    a user the change-password permission); an explicit deny still refuses it.
    """
    validate_password(old_password, "oldPassword")
    validate_password(new_password, "newPassword")
    caller = ctx.calling_user()
    policy = _current_policy(ctx.account)
    reset_required = LoginProfile.objects.filter(user=caller, password_reset_required=True).exists()
    authorize_on(
        ctx,
        "iam:ChangePassword",
        caller,
        granted=reset_required or (policy is not None and policy.allow_users_to_change_password),
    )
    with audit.write(ctx, "iam:ChangePassword", caller.arn, user_name=caller.user_name or None):
        if caller.is_root:
            raise InvalidUserTypeError("ChangePassword is for IAM users; the root user cannot call it.")
        locked = _lock(caller, caller.user_name)
        profile = LoginProfile.objects.filter(user=locked).first()
        if profile is None:
            raise no_login_profile(caller.user_name)
        if not check_password(old_password, locked.password):
            raise InvalidInputError("The old password was incorrect.")
        _enforce(policy, locked, new_password)
        _set_password(ctx, locked, new_password, policy)
        profile.password_changed = ctx.now
        profile.password_reset_required = False
        profile.save(update_fields=["password_changed", "password_reset_required"])


def update_account_password_policy(
    ctx: RequestContext,
    *,
    minimum_password_length: int | None = None,
    require_symbols: bool | None = None,
    require_numbers: bool | None = None,
    require_uppercase_characters: bool | None = None,
    require_lowercase_characters: bool | None = None,
    allow_users_to_change_password: bool | None = None,
    max_password_age: int | None = None,
    password_reuse_prevention: int | None = None,
    hard_expiry: bool | None = None,
) -> PasswordPolicy:
    """UpdateAccountPasswordPolicy. As in AWS, every omitted parameter goes back to its default."""
    values = {
        "minimum_password_length": validation.integer(
            minimum_password_length, "minimumPasswordLength", MIN_LENGTH_RANGE
        )
        or DEFAULT_MINIMUM_LENGTH,
        "require_symbols": _boolean(require_symbols, "requireSymbols", False),
        "require_numbers": _boolean(require_numbers, "requireNumbers", False),
        "require_uppercase_characters": _boolean(
            require_uppercase_characters, "requireUppercaseCharacters", False
        ),
        "require_lowercase_characters": _boolean(
            require_lowercase_characters, "requireLowercaseCharacters", False
        ),
        "allow_users_to_change_password": _boolean(
            allow_users_to_change_password, "allowUsersToChangePassword", False
        ),
        "max_password_age": validation.integer(max_password_age, "maxPasswordAge", MAX_AGE_RANGE),
        "password_reuse_prevention": validation.integer(
            password_reuse_prevention, "passwordReusePrevention", REUSE_RANGE
        ),
        "hard_expiry": _boolean(hard_expiry, "hardExpiry", False),
    }
    authorize(ctx, "iam:UpdateAccountPasswordPolicy", "*")  # no resource type in IAM: always "*"
    with audit.write(ctx, "iam:UpdateAccountPasswordPolicy", ctx.account.root_arn, **values):
        Account.objects.select_for_update().get(pk=ctx.account.pk)  # one policy row per account
        policy, _ = PasswordPolicy.objects.update_or_create(account=ctx.account, defaults=values)
        if not policy.password_reuse_prevention:
            PasswordHistory.objects.filter(user__account=ctx.account).delete()  # no longer needed
        # AllowUsersToChangePassword decides what IAM users may do (ChangePassword,
        # GetAccountPasswordPolicy): every such write marks cached authorization state stale.
        bump_generation(ctx.account)
    return policy


def delete_account_password_policy(ctx: RequestContext) -> None:
    """DeleteAccountPasswordPolicy: no custom policy any more (NoSuchEntity if there was none)."""
    authorize(ctx, "iam:DeleteAccountPasswordPolicy", "*")
    with audit.write(ctx, "iam:DeleteAccountPasswordPolicy", ctx.account.root_arn):
        Account.objects.select_for_update().get(pk=ctx.account.pk)
        deleted, _ = PasswordPolicy.objects.filter(account=ctx.account).delete()
        if not deleted:
            raise no_password_policy(ctx.account.account_id)
        PasswordHistory.objects.filter(user__account=ctx.account).delete()  # no reuse rule left
        bump_generation(ctx.account)
