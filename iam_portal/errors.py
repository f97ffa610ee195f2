"""Typed errors with AWS error codes and HTTP statuses; each adapter renders them once.

Codes and statuses are the IAM model's (../shared/reference/API.md); messages follow AWS's wording.
"""

from __future__ import annotations


class IamError(Exception):
    """An error a caller can act on: AWS `code`, HTTP status and a message."""

    code = "ServiceFailure"
    http_status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NoSuchEntityError(IamError):
    code, http_status = "NoSuchEntity", 404


class EntityAlreadyExistsError(IamError):
    code, http_status = "EntityAlreadyExists", 409


class LimitExceededError(IamError):
    code, http_status = "LimitExceeded", 409


class DeleteConflictError(IamError):
    code, http_status = "DeleteConflict", 409


class MalformedPolicyDocumentError(IamError):
    code, http_status = "MalformedPolicyDocument", 400


class InvalidInputError(IamError):
    code, http_status = "InvalidInput", 400


class ValidationError(IamError):
    """A parameter outside the model's constraints (length, pattern, range)."""

    code, http_status = "ValidationError", 400


class PasswordPolicyViolationError(IamError):
    code, http_status = "PasswordPolicyViolation", 400


class UnmodifiableEntityError(IamError):
    code, http_status = "UnmodifiableEntity", 400


class ConcurrentModificationError(IamError):
    code, http_status = "ConcurrentModification", 409


class InvalidUserTypeError(IamError):
    code, http_status = "InvalidUserType", 400


class AccessDeniedError(IamError):
    code, http_status = "AccessDenied", 403


class PackedPolicyTooLargeError(IamError):
    code, http_status = "PackedPolicyTooLarge", 400


class InvalidClientTokenIdError(IamError):
    """Credentials the portal does not know, or may not be used for this service."""

    code, http_status = "InvalidClientTokenId", 403

    def __init__(self, message: str = "The security token included in the request is invalid."):
        super().__init__(message)


class ExpiredTokenError(IamError):
    """Temporary credentials past their expiration."""

    code, http_status = "ExpiredToken", 403

    def __init__(self, message: str = "The security token included in the request is expired"):
        super().__init__(message)


class InvalidAuthenticationCodeError(IamError):
    """An MFA code that is wrong, replayed or not consecutive (or a throttled attempt)."""

    code, http_status = "InvalidAuthenticationCode", 403


class ReportNotPresentError(IamError):
    """GetCredentialReport before any GenerateCredentialReport."""

    code, http_status = "ReportNotPresent", 410


class ReportExpiredError(IamError):
    """GetCredentialReport of a report older than the 4 hours after which Generate makes a new one."""

    code, http_status = "ReportExpired", 410


def validation_error(
    value: object, member: str, constraint: str, *, hide_value: bool = False
) -> ValidationError:
    """AWS's message form for a constraint failure on one member (without the value for secrets)."""
    shown = "Value" if hide_value else f"Value '{value}'"
    return ValidationError(
        f"1 validation error detected: {shown} at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )
