"""What a station user's key slot holds: a small set of private keys, tagged.

Layout, version 1 (the secret inside the slot; see docs/keys.md)::

    "TIPU" || 01 || entries, each: u8 tag || u8 length || key bytes

Tags: 1 the user's own X25519 private key (required), 2 the station's Ed25519
signing key (required), 3 the administrators' X25519 private key (only in
administrators' slots), 4 the pre-0009 station data key (only in slots
converted from an older version, until no record needs it).
A slot made before this format holds exactly 32 bytes, the station data key
alone: :meth:`KeySet.unpack` refuses it, :func:`is_legacy_secret` names it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.crypto.errors import CryptoError
from app.crypto.keys import x25519_public_key

__all__ = ["KeySet", "is_legacy_secret"]

KEYSET_MAGIC = b"TIPU\x01"
TAG_OWN, TAG_SIGNING, TAG_ADMINS, TAG_LEGACY = 1, 2, 3, 4
LEGACY_SECRET_SIZE = 32


def is_legacy_secret(secret: bytes) -> bool:
    """A slot made before key sets: its secret is the 32-byte station data key itself."""
    return len(secret) == LEGACY_SECRET_SIZE


@dataclass(frozen=True, repr=False)
class KeySet:
    own: bytes  # this user's X25519 private key
    signing: bytes  # the station's Ed25519 signing key (every user seals what they finalise)
    admins: bytes | None = None  # the administrators' X25519 private key
    legacy: bytes | None = None  # the pre-0009 station data key, while old rows need it

    def __post_init__(self) -> None:
        for name in ("own", "signing", "admins", "legacy"):
            value = getattr(self, name)
            if value is not None and len(value) != 32:
                raise CryptoError(f"key set: {name} must be 32 bytes")

    def __repr__(self) -> str:  # never print keys
        return f"KeySet(admins={self.admins is not None}, legacy={self.legacy is not None})"

    @property
    def public(self) -> bytes:
        """This user's X25519 public key."""
        return x25519_public_key(self.own)

    def private_keys(self) -> list[bytes]:
        """The X25519 keys that may open a record's wrap set: own first, then administrators'."""
        return [self.own] + ([self.admins] if self.admins is not None else [])

    def without_legacy(self) -> KeySet:
        return replace(self, legacy=None)

    def pack(self) -> bytes:
        out = bytearray(KEYSET_MAGIC)
        for tag, value in ((TAG_OWN, self.own), (TAG_SIGNING, self.signing),
                           (TAG_ADMINS, self.admins), (TAG_LEGACY, self.legacy)):
            if value is not None:
                out += bytes([tag, len(value)]) + value
        return bytes(out)

    @classmethod
    def unpack(cls, secret: bytes) -> KeySet:
        if not secret.startswith(KEYSET_MAGIC):
            raise CryptoError("not a tip-screen key set")
        found: dict[int, bytes] = {}
        at = len(KEYSET_MAGIC)
        while at < len(secret):
            if at + 2 > len(secret):
                raise CryptoError("key set truncated")
            tag, size = secret[at], secret[at + 1]
            value = secret[at + 2 : at + 2 + size]
            if len(value) != size or tag in found or tag not in (TAG_OWN, TAG_SIGNING, TAG_ADMINS,
                                                                 TAG_LEGACY):
                raise CryptoError("key set garbled")
            found[tag] = value
            at += 2 + size
        if TAG_OWN not in found or TAG_SIGNING not in found:
            raise CryptoError("key set lacks the user's key or the signing key")
        return cls(own=found[TAG_OWN], signing=found[TAG_SIGNING], admins=found.get(TAG_ADMINS),
                   legacy=found.get(TAG_LEGACY))
