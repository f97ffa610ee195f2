"""The account itself: sign-up (a new account and its root user), CreateAccountAlias,
DeleteAccountAlias.
"""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from iam_portal.errors import (
    EntityAlreadyExistsError,
    InvalidInputError,
    InvalidUserTypeError,
    NoSuchEntityError,
    PasswordPolicyViolationError,
    validation_error,
)

from .. import audit
from ..authz import authorize
from ..context import INTERNAL, RequestContext
from ..models import Account, User, new_account_id, unique_id

ALIAS_PATTERN = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
_ALIAS = re.compile(ALIAS_PATTERN)


def create_account(
    *, email: str, password: str, channel: str = INTERNAL, source_ip: str | None = None
) -> User:
    """Sign up: a new account with a random unique 12-digit id and its root user; returns the root."""
    try:
        validate_email(email)
    except DjangoValidationError:
        raise InvalidInputError(f"The email address {email!r} is not valid.") from None
    email = email.strip().lower()
    try:
        validate_password(password)
    except DjangoValidationError as exc:
        raise PasswordPolicyViolationError(" ".join(exc.messages)) from None
    if User.objects.filter(email=email).exists():
        raise EntityAlreadyExistsError(f"An account with the email address {email} already exists.")
    for _ in range(5):  # a random id collides about once in 10^11 tries; retry rather than fail
        try:
            with transaction.atomic():
                account = Account.objects.create(account_id=new_account_id())
                root = User(account=account, is_root=True, email=email, user_id=unique_id("AIDA"))
                root.set_password(password)
                root.save()
                audit.record(
                    RequestContext(caller=root, channel=channel, source_ip=source_ip),
                    "portal:CreateAccount",
                    target=account.root_arn,
                    email=email,
                )
                return root
        except IntegrityError:
            if User.objects.filter(email=email).exists():
                raise EntityAlreadyExistsError(
                    f"An account with the email address {email} already exists."
                ) from None
    raise RuntimeError("could not allocate a unique account id")


def validate_account_alias(value: object, member: str = "accountAlias") -> str:
    """accountAliasType: 3-63 lowercase letters, digits and single inner hyphens; not an account id."""
    if not isinstance(value, str):
        raise validation_error(value, member, "not be null")
    if len(value) < 3:
        raise validation_error(value, member, "have length greater than or equal to 3")
    if len(value) > 63:
        raise validation_error(value, member, "have length less than or equal to 63")
    if not _ALIAS.fullmatch(value):
        raise validation_error(value, member, f"satisfy regular expression pattern: {ALIAS_PATTERN}")
    if len(value) == 12 and value.isdigit():
        # A 12-digit alias would be indistinguishable from an account id in sign-in URLs.
        raise validation_error(value, member, "not be a 12-digit number")
    return value


def create_account_alias(ctx: RequestContext, *, account_alias: str) -> None:
    """CreateAccountAlias. An account has one alias: a new one replaces the old, as in AWS.
    Aliases are unique across the portal (AWS: across all accounts)."""
    validate_account_alias(account_alias)
    authorize(ctx, "iam:CreateAccountAlias", "*")  # no resource type in IAM: always "*"
    already = EntityAlreadyExistsError(f"The account alias {account_alias} already exists.")
    with audit.write(
        ctx,
        "iam:CreateAccountAlias",
        ctx.account.root_arn,
        on_integrity_error=already,
        account_alias=account_alias,
    ) as entry:
        # Locking the account row serializes this account's alias writes; another account racing
        # for the same alias is stopped by the unique column (IntegrityError -> `already`).
        account = Account.objects.select_for_update().get(pk=ctx.account.pk)
        if Account.objects.filter(alias=account_alias).exists():
            raise already
        if account.alias:
            entry.parameters["previous_alias"] = account.alias  # what the replacement overwrote
        account.alias = account_alias
        account.save(update_fields=["alias"])  # never a full save: authz_generation is not ours


def delete_account_alias(ctx: RequestContext, *, account_alias: str) -> None:
    """DeleteAccountAlias: only the alias the account has (NoSuchEntity otherwise)."""
    validate_account_alias(account_alias)
    authorize(ctx, "iam:DeleteAccountAlias", "*")
    with audit.write(ctx, "iam:DeleteAccountAlias", ctx.account.root_arn, account_alias=account_alias):
        account = Account.objects.select_for_update().get(pk=ctx.account.pk)
        if account.alias != account_alias:
            raise NoSuchEntityError(f"The account alias {account_alias} cannot be found.")
        account.alias = None
        account.save(update_fields=["alias"])


def set_root_mfa_required(ctx: RequestContext, *, required: bool) -> None:
    """Whether the root user must enrol an MFA device at its next sign-in (on for new accounts).

    Only the root user may change it: it protects the root user itself.
    """
    with audit.write(ctx, "portal:SetRootMfaRequired", ctx.account.root_arn, required=required):
        if not ctx.caller.is_root:
            raise InvalidUserTypeError("Only the root user can change whether the root user must use MFA.")
        Account.objects.filter(pk=ctx.account.pk).update(require_root_mfa=required)
