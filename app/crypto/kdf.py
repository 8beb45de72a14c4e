"""Argon2id parameters, passphrase normalisation and login hashes.

Passphrases are normalised to Unicode NFC before they reach Argon2id. Thai,
Burmese, Lao and Khmer input methods do not all emit the same code points for
the same visible text: a Thai tone mark and a below-vowel can be typed in
either order (NFC puts combining marks in canonical order), and a Burmese
letter can arrive precomposed or as base + vowel sign (U+1026 versus
U+1025 U+102E). Without normalisation an officer who changes laptop or
keyboard layout would be locked out by a passphrase that looks identical.
NFC (not NFKC) is the form RFC 8265's OpaqueString profile uses: it only
merges canonically equivalent sequences and never changes what a user sees.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from app.crypto.errors import CryptoError, SlotError

__all__ = [
    "PRODUCTION_KDF",
    "TEST_KDF",
    "KdfParams",
    "check_params",
    "derive_key",
    "hash_passphrase",
    "normalise_passphrase",
    "verify_passphrase",
]


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters (RFC 9106 names: m in KiB, t, p)."""

    memory_kib: int
    iterations: int
    lanes: int


# Measured on the 2-core reference machine (AMD EPYC, cryptography 50.0.2 /
# OpenSSL Argon2id, which runs lanes on threads): 64 MiB, 14 passes, 2 lanes
# takes about 0.5 s per derivation. See docs/keys.md for the figures.
PRODUCTION_KDF = KdfParams(memory_kib=64 * 1024, iterations=14, lanes=2)

# The smallest parameters Argon2id accepts: for test fixtures only.
TEST_KDF = KdfParams(memory_kib=8, iterations=1, lanes=1)

MIN_MEMORY_KIB = 8 * 1024  # 8 MiB; TEST_KDF is the single exception
# The ceiling is tied to PRODUCTION_KDF: no parameter, and not memory x passes, may exceed
# CEILING times the production value, so a forged slot or hash costs at most about CEILING
# production derivations (about 2 s on the reference machine) and never more memory than
# the station's budget allows. Raising PRODUCTION_KDF raises the ceiling with it.
CEILING = 4
MAX_MEMORY_KIB = CEILING * PRODUCTION_KDF.memory_kib  # 256 MiB
MAX_ITERATIONS = CEILING * PRODUCTION_KDF.iterations  # 56
MAX_LANES = CEILING * PRODUCTION_KDF.lanes  # 8
MAX_WORK_KIB = CEILING * PRODUCTION_KDF.memory_kib * PRODUCTION_KDF.iterations  # 3.5 GiB-passes

SALT_SIZE = 16
KEY_SIZE = 32


def check_params(params: KdfParams) -> None:
    """Raise :class:`SlotError` unless ``params`` are within sane bounds.

    Called before every derivation, so parameters read from a tampered slot or
    hash can neither make us spend absurd memory or time nor silently fall to
    trivially weak values (below 8 MiB, other than the exact TEST_KDF).
    """
    m, t, p = params.memory_kib, params.iterations, params.lanes
    for name, value in (("memory_kib", m), ("iterations", t), ("lanes", p)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SlotError(f"KDF parameter {name} must be an int")
    if not 1 <= p <= MAX_LANES:
        raise SlotError(f"KDF lanes {p} outside 1..{MAX_LANES}")
    if not 1 <= t <= MAX_ITERATIONS:
        raise SlotError(f"KDF iterations {t} outside 1..{MAX_ITERATIONS}")
    if m > MAX_MEMORY_KIB:
        raise SlotError(f"KDF memory {m} KiB above the {MAX_MEMORY_KIB} KiB limit")
    if m < MIN_MEMORY_KIB and params != TEST_KDF:
        raise SlotError(f"KDF memory {m} KiB below the {MIN_MEMORY_KIB} KiB floor")
    if m < 8 * p:
        raise SlotError("KDF memory must be at least 8 KiB per lane")
    if m * t > MAX_WORK_KIB:
        raise SlotError("KDF memory x iterations above the work limit")


def normalise_passphrase(passphrase: str) -> bytes:
    """NFC-normalise and UTF-8 encode a passphrase (see the module docstring)."""
    if not isinstance(passphrase, str):
        raise CryptoError("passphrase must be a str")
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


# Two multi-lane Argon2id runs at once can deadlock inside OpenSSL (seen with cryptography
# 50.0.2 / OpenSSL 4.0.3: two threads, lanes=2). Derivations therefore take turns; each
# already uses every core through its lanes, so little is lost.
_ARGON2_TURN = threading.Lock()


def _argon2(params: KdfParams, salt: bytes) -> Argon2id:
    return Argon2id(
        salt=salt,
        length=KEY_SIZE,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """Derive a 32-byte key-encryption key with Argon2id (bounds checked)."""
    check_params(params)
    if len(salt) < 8:
        raise SlotError("salt too short")
    with _ARGON2_TURN:
        return _argon2(params, salt).derive(normalise_passphrase(passphrase))


def hash_passphrase(passphrase: str, params: KdfParams) -> str:
    """Return a PHC string ``$argon2id$v=19$m=..,t=..,p=..$salt$hash`` for login."""
    check_params(params)
    with _ARGON2_TURN:
        return _argon2(params, os.urandom(SALT_SIZE)).derive_phc_encoded(
            normalise_passphrase(passphrase)
        )


_PHC = re.compile(
    r"\$argon2id\$v=19\$m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,10})"
    r"\$([A-Za-z0-9+/]{11,86})\$([A-Za-z0-9+/]{22,86})"
)


def phc_params(encoded: str) -> KdfParams:
    """Parse and bounds-check the parameters of a PHC Argon2id string."""
    match = _PHC.fullmatch(encoded) if isinstance(encoded, str) else None
    if match is None:
        raise SlotError("not an Argon2id (v=19) PHC string")
    params = KdfParams(memory_kib=int(match[1]), iterations=int(match[2]), lanes=int(match[3]))
    check_params(params)
    try:
        base64.b64decode(match[4] + "=" * (-len(match[4]) % 4), validate=True)
        base64.b64decode(match[5] + "=" * (-len(match[5]) % 4), validate=True)
    except ValueError:
        raise SlotError("bad base64 in PHC string") from None
    return params


def verify_passphrase(encoded: str, passphrase: str) -> bool:
    """True if ``passphrase`` matches the PHC string, False if it does not.

    Raises :class:`SlotError` if ``encoded`` is malformed or its parameters
    are out of bounds (checked before any derivation).
    """
    phc_params(encoded)
    try:
        with _ARGON2_TURN:
            Argon2id.verify_phc_encoded(normalise_passphrase(passphrase), encoded)
    except InvalidKey:
        return False
    return True
