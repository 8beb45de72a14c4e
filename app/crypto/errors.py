"""Exceptions raised by :mod:`app.crypto`.

Every failure the package reports is a :class:`CryptoError`, so a caller that
only needs "it did not work" can catch one class. Library exceptions
(``InvalidTag``, ``InvalidSignature``, ``ValueError`` from key loading) never
leak out: they are translated here so the rest of the app does not depend on
``cryptography``'s exception types.
"""

from __future__ import annotations

import uuid

__all__ = [
    "BadSignature",
    "CryptoError",
    "EnvelopeError",
    "SlotError",
    "WrongPassphrase",
]


class CryptoError(Exception):
    """Base class: decryption, verification or parsing failed."""


class WrongPassphrase(CryptoError):
    """The passphrase does not open this key slot.

    AES-GCM cannot tell a wrong passphrase from a slot whose authenticated
    bytes were modified (including its KDF parameters), so both end here.
    """


class SlotError(CryptoError):
    """A key slot or encoded hash is garbled, of an unknown version, or carries
    KDF parameters outside the sane bounds (refused before any derivation)."""


class EnvelopeError(CryptoError):
    """A record envelope is truncated, foreign, of an unknown version, or does
    not decrypt. ``record_id`` is set whenever the id could be read."""

    def __init__(self, message: str, record_id: uuid.UUID | None = None) -> None:
        self.record_id = record_id
        self.reason = message
        if record_id is not None:
            message = f"record {record_id}: {message}"
        super().__init__(message)


class BadSignature(CryptoError):
    """An Ed25519 signature does not verify under the given public key."""
