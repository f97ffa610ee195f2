"""The account itself: sign-up (a new account and its root user)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from iam_portal.errors import EntityAlreadyExistsError, InvalidInputError, PasswordPolicyViolationError

from .. import audit
from ..context import INTERNAL, RequestContext
from ..models import Account, User, new_account_id, unique_id


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
