"""Checks of a policy document a caller sends: the model's constraints, a size quota, the grammar.

Shared by managed policies, inline policies and role trust policies, so that every channel rejects
a bad document with the same AWS error and the engine's located message.
"""

from __future__ import annotations

import re

from iam_portal.errors import LimitExceededError, MalformedPolicyDocumentError, validation_error

from .engine import Policy, PolicyError, parse_policy

MAX_DOCUMENT_LENGTH = 131_072  # the model's policyDocumentType
DOCUMENT_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
_DOCUMENT = re.compile(DOCUMENT_PATTERN)
_JSON_WHITESPACE = frozenset(" \t\n\r")


def size(document: str) -> int:
    """A document's size as IAM counts it: characters other than white space."""
    return sum(ch not in _JSON_WHITESPACE for ch in document)


def check_document(
    document: object,
    *,
    member: str = "policyDocument",
    kind: str = "identity",
    max_size: int | None = None,
    too_large: str = "",
) -> Policy:
    """The compiled policy, or ValidationError / LimitExceeded(too_large) / MalformedPolicyDocument.

    The size is checked before parsing, so the engine only ever reads documents of allowed size.
    """
    if document is None:
        raise validation_error(document, member, "not be null")
    if not isinstance(document, str) or not document:
        raise validation_error(document, member, "have length greater than or equal to 1")
    if len(document) > MAX_DOCUMENT_LENGTH:
        raise validation_error("…", member, f"have length less than or equal to {MAX_DOCUMENT_LENGTH}")
    if not _DOCUMENT.fullmatch(document):
        raise validation_error(
            "…", member, r"satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"
        )
    if max_size is not None and size(document) > max_size:
        raise LimitExceededError(too_large)
    try:
        return parse_policy(document, kind=kind)
    except PolicyError as exc:
        raise MalformedPolicyDocumentError(str(exc)) from None
