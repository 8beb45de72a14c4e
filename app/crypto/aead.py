"""AES-256-GCM with the nonce carried in front of the ciphertext.

Blob layout: ``nonce (12 bytes) || ciphertext || tag (16 bytes)``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto.errors import CryptoError

__all__ = ["KEY_SIZE", "NONCE_SIZE", "TAG_SIZE", "aead_decrypt", "aead_encrypt"]

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16


def _cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_SIZE:
        raise CryptoError(f"AES-256-GCM needs a {KEY_SIZE}-byte key, got {len(key)} bytes")
    return AESGCM(key)


def aead_encrypt(key: bytes, plaintext: bytes, aad: bytes, nonce: bytes | None = None) -> bytes:
    """Encrypt ``plaintext`` bound to ``aad``; return ``nonce || ciphertext``.

    The nonce is 12 random bytes unless given. Pass a nonce only in
    known-answer tests: reusing a nonce under one key destroys GCM.
    """
    if nonce is None:
        nonce = os.urandom(NONCE_SIZE)
    elif len(nonce) != NONCE_SIZE:
        raise CryptoError(f"nonce must be {NONCE_SIZE} bytes, got {len(nonce)}")
    return nonce + _cipher(key).encrypt(nonce, plaintext, aad)


def aead_decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a blob made by :func:`aead_encrypt`; raise :class:`CryptoError`
    if it is too short, was modified, or ``key``/``aad`` differ."""
    cipher = _cipher(key)
    if len(blob) < NONCE_SIZE + TAG_SIZE:
        raise CryptoError("ciphertext too short")
    try:
        return cipher.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], aad)
    except InvalidTag:
        raise CryptoError(
            "authentication failed (wrong key, modified data or wrong context)"
        ) from None
