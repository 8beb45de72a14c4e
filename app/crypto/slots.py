"""Passphrase key slots: a secret wrapped under an Argon2id-derived key.

Slot layout, version 1 (all integers big-endian; see docs/keys.md)::

    0   4   magic  b"TIPK"
    4   1   slot version = 1
    5   1   KDF id = 1 (Argon2id, version 0x13)
    6   4   memory_kib  (u32)
    10  4   iterations  (u32)
    14  1   lanes       (u8)
    15  16  salt
    31  12  AES-GCM nonce
    43  n+16  AES-256-GCM(KEK, secret) || tag, AAD = bytes 0..30

The parameters and salt are associated data, so altering them makes the slot
fail to open; parameters outside sane bounds are refused before deriving.
"""

from __future__ import annotations

import os
import struct

from app.crypto.aead import NONCE_SIZE, TAG_SIZE, aead_decrypt, aead_encrypt
from app.crypto.errors import CryptoError, SlotError, WrongPassphrase
from app.crypto.kdf import SALT_SIZE, KdfParams, derive_key

__all__ = ["make_slot", "open_slot", "slot_params"]

SLOT_MAGIC = b"TIPK"
SLOT_VERSION = 1
KDF_ARGON2ID = 1
MAX_SECRET_SIZE = 1024

_HEAD = struct.Struct(">4sBBIIB")  # magic, version, kdf, memory, iterations, lanes
_AAD_SIZE = _HEAD.size + SALT_SIZE  # 31
_MIN_SIZE = _AAD_SIZE + NONCE_SIZE + TAG_SIZE + 1


def _make_slot(
    passphrase: str, secret: bytes, params: KdfParams, salt: bytes, nonce: bytes | None
) -> bytes:
    if not passphrase:
        raise CryptoError("empty passphrase")
    if not 1 <= len(secret) <= MAX_SECRET_SIZE:
        raise CryptoError(f"slot secret must be 1..{MAX_SECRET_SIZE} bytes")
    if len(salt) != SALT_SIZE:
        raise CryptoError(f"salt must be {SALT_SIZE} bytes")
    kek = derive_key(passphrase, salt, params)
    aad = (
        _HEAD.pack(
            SLOT_MAGIC,
            SLOT_VERSION,
            KDF_ARGON2ID,
            params.memory_kib,
            params.iterations,
            params.lanes,
        )
        + salt
    )
    return aad + aead_encrypt(kek, secret, aad, nonce)


def make_slot(passphrase: str, secret: bytes, params: KdfParams) -> bytes:
    """Wrap ``secret`` under a key derived from ``passphrase`` (fresh salt and nonce)."""
    return _make_slot(passphrase, secret, params, os.urandom(SALT_SIZE), None)


def _parse(slot: bytes) -> tuple[KdfParams, bytes, bytes, bytes]:
    """Return (params, salt, aad, aead blob); raise SlotError on anything odd."""
    if not isinstance(slot, bytes | bytearray | memoryview):
        raise SlotError("slot must be bytes")
    slot = bytes(slot)
    if len(slot) < _HEAD.size or slot[:4] != SLOT_MAGIC:
        raise SlotError("not a tip-screen key slot")
    _magic, version, kdf, memory, iterations, lanes = _HEAD.unpack_from(slot)
    if version != SLOT_VERSION:
        raise SlotError(f"unsupported key slot version {version} (this build reads {SLOT_VERSION})")
    if kdf != KDF_ARGON2ID:
        raise SlotError(f"unknown KDF id {kdf}")
    if len(slot) < _MIN_SIZE:
        raise SlotError("key slot truncated")
    if len(slot) > _MIN_SIZE - 1 + MAX_SECRET_SIZE:
        raise SlotError("key slot too long")
    params = KdfParams(memory_kib=memory, iterations=iterations, lanes=lanes)
    return params, slot[_HEAD.size : _AAD_SIZE], slot[:_AAD_SIZE], slot[_AAD_SIZE:]


def slot_params(slot: bytes) -> KdfParams:
    """The KDF parameters a slot was made with (e.g. to decide to re-wrap it
    with stronger ones after a successful unlock). Raises SlotError."""
    return _parse(slot)[0]


def open_slot(slot: bytes, passphrase: str) -> bytes:
    """Unwrap a slot's secret.

    Raises :class:`SlotError` if the slot is garbled, of an unknown version or
    has out-of-bounds parameters (before deriving anything), and
    :class:`WrongPassphrase` if the derived key does not authenticate, which
    is also what a modification of the parameters, salt or ciphertext gives.
    """
    params, salt, aad, blob = _parse(slot)
    kek = derive_key(passphrase, salt, params)
    try:
        return aead_decrypt(kek, blob, aad)
    except CryptoError:
        raise WrongPassphrase("wrong passphrase for this key slot") from None
