"""Key generation and key names: fresh data keys, X25519 pairs, fingerprints, ids."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.crypto.errors import CryptoError

__all__ = [
    "fingerprint",
    "identity_fingerprint",
    "generate_x25519",
    "hkdf_sha256",
    "key_id",
    "new_data_key",
    "x25519_public_key",
]

DATA_KEY_SIZE = 32


def new_data_key() -> bytes:
    """32 random bytes from the OS CSPRNG (an AES-256 key)."""
    return os.urandom(DATA_KEY_SIZE)


def hkdf_sha256(key_material: bytes, *, salt: bytes, info: bytes, length: int = DATA_KEY_SIZE) -> bytes:
    """HKDF-SHA256 (RFC 5869): a key of ``length`` bytes from secret input key material,
    a salt (itself may be secret) and a label (``info``) that separates uses."""
    if not key_material:
        raise CryptoError("HKDF needs key material")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key_material)


def generate_x25519() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as raw 32-byte strings: (private, public)."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def x25519_public_key(private_key: bytes) -> bytes:
    """The raw public key belonging to a raw X25519 private key."""
    if len(private_key) != 32:
        raise CryptoError("X25519 private key must be 32 bytes")
    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()


def _check_public(public_key: bytes) -> bytes:
    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise CryptoError("public key must be 32 raw bytes")
    return hashlib.sha256(public_key).digest()


def _groups(digest: bytes) -> str:
    text = base64.b32encode(digest[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


IDENTITY_LABEL = b"tip-screen/v1/central-identity\x00"


def identity_fingerprint(signing_public_key: bytes, record_public_key: bytes) -> str:
    """Fingerprint of central's whole identity: its Ed25519 identity (signing) key and its
    X25519 record key, as SHA-256 over a label and both raw keys, in the same 4x4 base32
    form as :func:`fingerprint`. Swapping either key changes it."""
    _check_public(signing_public_key)
    _check_public(record_public_key)
    return _groups(hashlib.sha256(IDENTITY_LABEL + signing_public_key + record_public_key).digest())


def fingerprint(public_key: bytes) -> str:
    """Human-comparable fingerprint: the first 80 bits of SHA-256 of the raw
    key, RFC 4648 base32, in four groups of four (``ABCD-EFGH-IJKL-MNOP``).

    Base32 avoids 0/O and 1/I/l confusion and reads well aloud over a phone.
    """
    return _groups(_check_public(public_key))


def key_id(public_key: bytes) -> str:
    """Short stable id: lower-case hex of the first 8 bytes of SHA-256."""
    return _check_public(public_key)[:8].hex()
