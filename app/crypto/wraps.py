"""A record's data key wrapped to the people who may open it: its creator and the administrators.

Layout, version 1 (see docs/envelope.md, "Local key wraps")::

    "TIPW" || 01 || u8 count (1..8)
    || count x ( recipient key id (8: first bytes of SHA-256 of its X25519 public key)
                 || HPKE sealed data key (80) )
    || mac (16)

Each entry is HPKE base mode (the same suite as the envelope) to one
recipient's X25519 public key, with ``info = "tip-screen/v1/key-wrap:" ||
SHA-256(header bytes)``, so an entry moved to another record does not open.
The mac (HMAC-SHA256 under a key derived from the data key, over the label,
the header hash and every byte before it, cut to 16 bytes) makes the set one
unit: whoever opens their entry also checks that nobody changed, added or
removed another one (adding one needs the data key itself).
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from app.crypto.envelope import RecordHeader
from app.crypto.errors import CryptoError, EnvelopeError
from app.crypto.hpke import hpke_open, hpke_seal
from app.crypto.keys import DATA_KEY_SIZE, x25519_public_key

__all__ = ["WRAPS_MAGIC", "recipient_id", "unwrap_data_key", "wrap_data_key", "wrap_recipients"]

WRAPS_MAGIC = b"TIPW"
WRAPS_VERSION = 1
MAX_RECIPIENTS = 8
ID_SIZE = 8
SEALED_SIZE = 80
ENTRY_SIZE = ID_SIZE + SEALED_SIZE  # 88
MAC_SIZE = 16
_HEAD = struct.Struct(">4sBB")
INFO_LABEL = b"tip-screen/v1/key-wrap:"  # || SHA-256(header bytes): 55 bytes
MAC_LABEL = b"tip-screen/v1/key-wraps:"  # || SHA-256(header bytes) || bytes before the mac
MAC_KEY_LABEL = b"tip-screen/v1/key-wraps-mac-key"
# Which entry a private key opens is found by its public key's id; deriving the public key is
# an X25519 multiplication (a third of opening a wrap), so the id is kept, under a hash of the
# private key: no private key is kept, and an id is public (the wrap set shows it).
_MEMO_LABEL = b"tip-screen/v1/recipient-memo:"
_IDS_OF_PRIVATE: dict[bytes, bytes] = {}
IDS_MEMO_MAX = 256


def recipient_id(public_key: bytes) -> bytes:
    """The 8 raw bytes that name a recipient inside a wrap set."""
    if len(public_key) != 32:
        raise CryptoError("public key must be 32 raw bytes")
    return hashlib.sha256(public_key).digest()[:ID_SIZE]


def _id_of_private(private: bytes) -> bytes:
    """``recipient_id(x25519_public_key(private))``, worked out once per key."""
    memo = hashlib.sha256(_MEMO_LABEL + private).digest()
    found = _IDS_OF_PRIVATE.get(memo)
    if found is None:
        found = recipient_id(x25519_public_key(private))
        if len(_IDS_OF_PRIVATE) >= IDS_MEMO_MAX:
            _IDS_OF_PRIVATE.clear()
        _IDS_OF_PRIVATE[memo] = found
    return found


def _mac(data_key: bytes, header_hash: bytes, signed: bytes) -> bytes:
    mac_key = hmac.new(data_key, MAC_KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(mac_key, MAC_LABEL + header_hash + signed, hashlib.sha256).digest()[:MAC_SIZE]


def wrap_data_key(data_key: bytes, header: RecordHeader, recipients: list[bytes]) -> bytes:
    """Wrap ``data_key`` to each X25519 public key in ``recipients`` (1..8, no repeats)."""
    if len(data_key) != DATA_KEY_SIZE:
        raise CryptoError("data key must be 32 bytes")
    ids = [recipient_id(public) for public in recipients]
    if not 1 <= len(ids) <= MAX_RECIPIENTS or len(set(ids)) != len(ids):
        raise CryptoError(f"a wrap set has 1..{MAX_RECIPIENTS} distinct recipients")
    header_hash = hashlib.sha256(header.header_bytes()).digest()
    info = INFO_LABEL + header_hash
    out = _HEAD.pack(WRAPS_MAGIC, WRAPS_VERSION, len(ids))
    for rid, public in zip(ids, recipients, strict=True):
        out += rid + hpke_seal(public, data_key, info)
    return out + _mac(data_key, header_hash, out)


def _entries(wraps: bytes, record: object) -> list[tuple[bytes, bytes]]:
    rec_id = getattr(record, "record_id", None)
    if len(wraps) < _HEAD.size or wraps[:4] != WRAPS_MAGIC:
        raise EnvelopeError("not a key wrap set", rec_id)
    _, version, count = _HEAD.unpack_from(wraps)
    if version != WRAPS_VERSION:
        raise EnvelopeError(f"unsupported key wrap version {version}", rec_id)
    if not 1 <= count <= MAX_RECIPIENTS or len(wraps) != _HEAD.size + count * ENTRY_SIZE + MAC_SIZE:
        raise EnvelopeError("key wrap set has the wrong length", rec_id)
    entries = []
    for n in range(count):
        at = _HEAD.size + n * ENTRY_SIZE
        entries.append((wraps[at : at + ID_SIZE], wraps[at + ID_SIZE : at + ENTRY_SIZE]))
    return entries


def wrap_recipients(wraps: bytes) -> list[bytes]:
    """The recipient ids of a wrap set (no key needed). :class:`EnvelopeError` if malformed."""
    return [rid for rid, _ in _entries(wraps, None)]


def unwrap_data_key(wraps: bytes, header: RecordHeader, private_keys: list[bytes]) -> bytes:
    """The data key, opened with the first of ``private_keys`` the set names; the mac is checked.

    :class:`EnvelopeError` if none of the keys is a recipient, the entry does not open,
    or any byte of the set was changed."""
    entries = dict(_entries(wraps, header))
    header_hash = hashlib.sha256(header.header_bytes()).digest()
    for private in private_keys:
        sealed = entries.get(_id_of_private(private))
        if sealed is None:
            continue
        try:
            data_key = hpke_open(private, sealed, INFO_LABEL + header_hash)
        except CryptoError:
            raise EnvelopeError("local key wrap does not open", header.record_id) from None
        if len(data_key) != DATA_KEY_SIZE or not hmac.compare_digest(
                _mac(data_key, header_hash, wraps[:-MAC_SIZE]), wraps[-MAC_SIZE:]):
            raise EnvelopeError("local key wrap set was changed", header.record_id)
        return data_key
    raise EnvelopeError("this record's key is not wrapped to any key held", header.record_id)
