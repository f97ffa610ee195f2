"""Secrets at rest (secret access keys; later TOTP seeds): AES-256-GCM under settings.SECRET_ENCRYPTION_KEY.

A sealed secret is text: ``v1:<key id>:<urlsafe base64 of 12-byte nonce + ciphertext + 16-byte tag>``.
The key id (a fingerprint of the key, not the key) names the key that sealed it, so that a key can be
rotated later: seal with the new key, keep the old ones in the box to open what they sealed. The
version, the key id and a caller's `context` (e.g. the access key id) are authenticated data, so a
sealed value moved to another row or relabelled fails to open. Nothing here logs, and no error
message carries a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random per seal (2^-32 collision odds only after 2^32 seals)
_DERIVE_INFO = b"iam-portal secretbox v1 development key"
_KEY_ID_INFO = b"iam-portal secretbox key id"


class SecretBoxError(Exception):
    """A sealed value that cannot be opened (wrong key, tampered, wrong context) or a bad key."""


def parse_key(text: str, name: str = "IAM_PORTAL_SECRET_KEY") -> bytes:
    """A key from its urlsafe base64 form (padding optional); exactly 32 bytes."""
    try:
        key = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        # The value itself is never echoed: it is (meant to be) a secret.
        raise SecretBoxError(f"{name} must be {KEY_BYTES} random bytes in urlsafe base64 (44 characters)")
    return key


def derive_key(secret_key: str) -> bytes:
    """A development key derived from Django's SECRET_KEY with HKDF-SHA256 (DEBUG only; see settings)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_DERIVE_INFO)
    return hkdf.derive(secret_key.encode())


def generate_key() -> str:
    """A new random key in the form IAM_PORTAL_SECRET_KEY takes."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def key_id(key: bytes) -> str:
    """A short public name of a key: an HMAC of a constant under it, which reveals nothing of the key."""
    return hmac.new(key, _KEY_ID_INFO, hashlib.sha256).hexdigest()[:12]


class SecretBox:
    """Seals with the first key; opens with whichever of its keys the sealed value names."""

    def __init__(self, key: bytes, *, previous: Iterable[bytes] = ()):
        keys = [key, *previous]
        if any(not isinstance(k, bytes) or len(k) != KEY_BYTES for k in keys):
            raise SecretBoxError(f"a secret box key must be {KEY_BYTES} bytes")
        self._current = key_id(key)
        self._keys = {key_id(k): AESGCM(k) for k in reversed(keys)}

    def __repr__(self) -> str:
        return f"<SecretBox key id {self._current}>"

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(
            nonce, plaintext.encode(), _associated_data(self._current, context)
        )
        return f"{VERSION}:{self._current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        version, _, rest = token.partition(":")
        kid, _, body = rest.partition(":")
        if version != VERSION or not kid or not body:
            raise SecretBoxError(f"not a {VERSION} sealed value")
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretBoxError(f"no key with id {kid} to open this value (the key was changed?)")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(kid, context)).decode()
        except (binascii.Error, ValueError, InvalidTag):
            raise SecretBoxError("the sealed value failed authentication (another key or context)") from None

    @property
    def current_key_id(self) -> str:
        return self._current


def _associated_data(kid: str, context: str) -> bytes:
    return f"{VERSION}:{kid}:{context}".encode()


def box() -> SecretBox:
    """The box of the running configuration (read at each call, so tests may override the setting)."""
    previous = getattr(settings, "SECRET_ENCRYPTION_PREVIOUS_KEYS", ())
    return SecretBox(settings.SECRET_ENCRYPTION_KEY, previous=previous)


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Seal a secret under the configured key; `context` must be given again to open it."""
    return box().encrypt(plaintext, context=context)


def decrypt(token: str, *, context: str = "") -> str:
    """Open a sealed secret; SecretBoxError if the key, the context or the value is not the sealing one."""
    return box().decrypt(token, context=context)
