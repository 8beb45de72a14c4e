"""Ed25519 station signatures with raw 32-byte keys and 64-byte signatures."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from app.crypto.errors import BadSignature, CryptoError

__all__ = ["SIGNATURE_SIZE", "generate_signing_key", "sign", "signer", "signing_public_key", "verify"]

SIGNATURE_SIZE = 64


def _private(private_key: bytes) -> Ed25519PrivateKey:
    if len(private_key) != 32:
        raise CryptoError("Ed25519 private key must be 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(private_key)


def generate_signing_key() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw bytes: (private seed, public key)."""
    private = Ed25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def signing_public_key(private_key: bytes) -> bytes:
    """The raw public key for a raw Ed25519 private key."""
    return _private(private_key).public_key().public_bytes_raw()


def sign(private_key: bytes, message: bytes) -> bytes:
    """Ed25519 signature (deterministic, RFC 8032) over ``message``."""
    return _private(private_key).sign(message)


def signer(private_key: bytes) -> Callable[[bytes], bytes]:
    """``sign`` with the key loaded once: for signing many messages in one go (receipts).
    Loading a key costs as much as a signature; the caller drops the function after use."""
    return _private(private_key).sign


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Return if ``signature`` is valid, else raise :class:`BadSignature`."""
    if len(public_key) != 32:
        raise CryptoError("Ed25519 public key must be 32 bytes")
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature("signature must be 64 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise BadSignature("signature does not verify") from None


class Verifier:
    """One public key loaded once, to check many signatures (an export checks thousands)."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise CryptoError("Ed25519 public key must be 32 bytes")
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError:
            raise CryptoError("not an Ed25519 public key") from None

    def verify(self, message: bytes, signature: bytes) -> None:
        """As :func:`verify`."""
        if len(signature) != SIGNATURE_SIZE:
            raise BadSignature("signature must be 64 bytes")
        try:
            self._key.verify(signature, message)
        except (InvalidSignature, ValueError):
            raise BadSignature("signature does not verify") from None
