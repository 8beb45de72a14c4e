"""HPKE (RFC 9180) base mode, single shot, with one fixed suite:
DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (ids 0x0020, 0x0001,
0x0002).

``hpke_seal`` returns ``enc (32 bytes) || ciphertext || tag (16 bytes)``;
the AEAD runs once with sequence number 0 and empty associated data, so
bind context through ``info``.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from app.crypto.errors import CryptoError

__all__ = ["ENC_SIZE", "HPKE_OVERHEAD", "SUITE_IDS", "HpkeOpener", "hpke_open", "hpke_seal"]

ENC_SIZE = 32
HPKE_OVERHEAD = ENC_SIZE + 16
SUITE_IDS = (0x0020, 0x0001, 0x0002)  # kem_id, kdf_id, aead_id
MAX_INFO_SIZE = 64  # RFC 9180 section 7.2.1: the size every implementation must support

_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


def _check_info(info: bytes) -> None:
    if len(info) > MAX_INFO_SIZE:
        raise CryptoError(f"HPKE info longer than {MAX_INFO_SIZE} bytes")


def hpke_seal(public_key: bytes, plaintext: bytes, info: bytes) -> bytes:
    """Seal ``plaintext`` to a raw X25519 public key (fresh ephemeral key)."""
    _check_info(info)
    if len(public_key) != 32:
        raise CryptoError("X25519 public key must be 32 bytes")
    try:
        recipient = X25519PublicKey.from_public_bytes(public_key)
        return _SUITE.encrypt(plaintext, recipient, info)
    except ValueError as exc:
        raise CryptoError(f"HPKE seal failed: {exc}") from None


def hpke_open(private_key: bytes, sealed: bytes, info: bytes) -> bytes:
    """Open what :func:`hpke_seal` made; raise :class:`CryptoError` on any failure."""
    _check_info(info)
    if len(private_key) != 32:
        raise CryptoError("X25519 private key must be 32 bytes")
    if len(sealed) < HPKE_OVERHEAD:
        raise CryptoError("HPKE ciphertext too short")
    try:
        return _SUITE.decrypt(sealed, X25519PrivateKey.from_private_bytes(private_key), info)
    except (InvalidTag, ValueError):
        raise CryptoError("HPKE open failed (wrong key, modified data or wrong info)") from None


class HpkeOpener:
    """One private key loaded once, to open many sealed items (an export opens thousands:
    loading the key and deriving its public half each time cost a quarter of the work)."""

    def __init__(self, private_key: bytes) -> None:
        if len(private_key) != 32:
            raise CryptoError("X25519 private key must be 32 bytes")
        self._key = X25519PrivateKey.from_private_bytes(private_key)
        self.public_key = self._key.public_key().public_bytes_raw()

    def open(self, sealed: bytes, info: bytes) -> bytes:
        """As :func:`hpke_open`."""
        _check_info(info)
        if len(sealed) < HPKE_OVERHEAD:
            raise CryptoError("HPKE ciphertext too short")
        try:
            return _SUITE.decrypt(sealed, self._key, info)
        except (InvalidTag, ValueError):
            raise CryptoError("HPKE open failed (wrong key, modified data or wrong info)") from None
