"""Record envelope, version 1: the sealed, signed form of a screening record.

The byte-exact layout is in docs/envelope.md. In short::

    header      magic "TIPS", version, record id, seq, day, five short strings
    sealed key  u16 length || HPKE(central public key, data key, info=H(header))
    body        u32 length || AES-256-GCM(data key, padded body, aad=header)
    signature   Ed25519(station signing key, every byte above)

Only the header is plaintext, and it holds only the metadata DESIGN.md
allows. The body is padded to a power-of-two bucket (at least 4 KiB) so its
size says little about how much a respondent disclosed.

One module on purpose (about 480 lines): it is the whole wire format, read side
by side with docs/envelope.md and its known-answer tests; splitting the writer
from the parser would put the two halves of each field's layout in two places.
The opener (:class:`EnvelopeOpener`) is the parser's last step with the key held.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import struct
import uuid
from dataclasses import dataclass

from app.crypto.aead import NONCE_SIZE, TAG_SIZE, aead_decrypt, aead_encrypt
from app.crypto.errors import BadSignature, CryptoError, EnvelopeError
from app.crypto.hpke import HPKE_OVERHEAD, HpkeOpener, hpke_open, hpke_seal
from app.crypto.keys import DATA_KEY_SIZE, key_id, x25519_public_key
from app.crypto.signing import SIGNATURE_SIZE, Verifier, sign, verify

__all__ = [
    "ENVELOPE_MAGIC",
    "ENVELOPE_VERSION",
    "FACTS_VERSION",
    "Envelope",
    "RecordHeader",
    "decrypt_body",
    "encrypt_body",
    "open_envelope",
    "open_facts",
    "padded_length",
    "parse_envelope",
    "seal_envelope",
    "unwrap_local",
    "verify_envelope",
    "wrap_local",
]

ENVELOPE_MAGIC = b"TIPS"
ENVELOPE_VERSION = 1  # no facts section: drafts, and records sealed before central had a facts key
FACTS_VERSION = 2  # the same, plus the de-identified facts sealed to central's facts key
VERSIONS = (ENVELOPE_VERSION, FACTS_VERSION)

MIN_PADDED = 4096
MAX_PADDED = 1 << 24  # 16 MiB
LENGTH_PREFIX = 4
MAX_STRING = 255
SEALED_KEY_SIZE = HPKE_OVERHEAD + DATA_KEY_SIZE  # 80
BODY_OVERHEAD = NONCE_SIZE + TAG_SIZE  # 28
MAX_ENVELOPE = 64 * 1024 + MAX_PADDED  # header and keys are far below 64 KiB

HPKE_INFO_LABEL = b"tip-screen/v1/data-key:"  # || SHA-256(header bytes)
FACTS_INFO_LABEL = b"tip-screen/v2/facts:"  # || SHA-256(header bytes)
FACTS_PADDED = 1024  # facts are padded to this (or the next power of two), so sizes say nothing
MAX_FACTS_PADDED = 16384
LOCAL_WRAP_AAD_LABEL = b"tip-screen/v1/local-wrap:"  # || header bytes

_FIXED = struct.Struct(">4sB16sQ10s")  # magic, version, record id, seq, day
_PREFIX_SIZE = 21  # magic, version, record id: the same in every version
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _check_text(name: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, str) or not value:
        raise CryptoError(f"{name} must be a non-empty str")
    if not value.isprintable():
        raise CryptoError(f"{name} must not contain control characters")
    if len(value.encode("utf-8")) > MAX_STRING:
        raise CryptoError(f"{name} longer than {MAX_STRING} UTF-8 bytes")


@dataclass(frozen=True)
class RecordHeader:
    """The plaintext metadata of one record; its bytes are authenticated.

    ``central_key_id`` is None only for a draft that has not been sealed;
    a sealed envelope always names the central key it is sealed to.
    """

    record_id: uuid.UUID
    station_id: str
    seq: int
    questionnaire_id: str
    questionnaire_version: str
    created_day: str
    local_key_id: str
    central_key_id: str | None
    version: int = ENVELOPE_VERSION  # FACTS_VERSION: the sealed envelope carries facts

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise CryptoError(f"envelope version {self.version!r} unknown")
        if not isinstance(self.record_id, uuid.UUID):
            raise CryptoError("record_id must be a uuid.UUID")
        if not isinstance(self.seq, int) or isinstance(self.seq, bool):
            raise CryptoError("seq must be an int")
        if not 0 <= self.seq < 1 << 64:
            raise CryptoError("seq outside 0..2**64-1")
        if not isinstance(self.created_day, str) or not _DAY.fullmatch(self.created_day):
            raise CryptoError("created_day must be YYYY-MM-DD")
        try:
            datetime.date.fromisoformat(self.created_day)
        except ValueError:
            raise CryptoError(f"created_day {self.created_day!r} is not a date") from None
        _check_text("station_id", self.station_id)
        _check_text("questionnaire_id", self.questionnaire_id)
        _check_text("questionnaire_version", self.questionnaire_version)
        _check_text("local_key_id", self.local_key_id)
        _check_text("central_key_id", self.central_key_id, optional=True)

    def header_bytes(self) -> bytes:
        """Canonical encoding: the envelope's first bytes and the AEAD's AAD."""
        out = bytearray(
            _FIXED.pack(
                ENVELOPE_MAGIC,
                self.version,
                self.record_id.bytes,
                self.seq,
                self.created_day.encode("ascii"),
            )
        )
        for text in (
            self.station_id,
            self.questionnaire_id,
            self.questionnaire_version,
            self.local_key_id,
            self.central_key_id or "",
        ):
            raw = text.encode("utf-8")
            out.append(len(raw))
            out += raw
        return bytes(out)


# -- body --------------------------------------------------------------------


def padded_length(body_length: int) -> int:
    """Bucket size for a body: the smallest power of two holding the body and
    its 4-byte length prefix, at least 4 KiB, at most 16 MiB."""
    need = body_length + LENGTH_PREFIX
    if body_length < 0 or need > MAX_PADDED:
        raise CryptoError(f"record body of {body_length} bytes is too large")
    return max(MIN_PADDED, 1 << (need - 1).bit_length())


def _valid_padded(size: int) -> bool:
    return MIN_PADDED <= size <= MAX_PADDED and size & (size - 1) == 0


def encrypt_body(
    header: RecordHeader, body: bytes, data_key: bytes, *, nonce: bytes | None = None
) -> bytes:
    """Pad ``body`` (u32 length || body || zeros) and encrypt it with AES-256-GCM,
    the header bytes as associated data. Returns ``nonce || ciphertext || tag``.

    ``nonce`` is for known-answer tests only; leave it None.
    """
    size = padded_length(len(body))
    padded = struct.pack(">I", len(body)) + body + bytes(size - LENGTH_PREFIX - len(body))
    return aead_encrypt(data_key, padded, header.header_bytes(), nonce)


def decrypt_body(header: RecordHeader, ciphertext: bytes, data_key: bytes) -> bytes:
    """Decrypt and unpad; raise :class:`EnvelopeError` naming the record."""
    rid = header.record_id
    if not _valid_padded(len(ciphertext) - BODY_OVERHEAD):
        raise EnvelopeError("body ciphertext has an invalid size", rid)
    try:
        padded = aead_decrypt(data_key, ciphertext, header.header_bytes())
    except CryptoError:
        raise EnvelopeError("body does not decrypt (wrong key, header or data)", rid) from None
    (length,) = struct.unpack_from(">I", padded)
    end = LENGTH_PREFIX + length
    # Padding must be all zero bytes (counted in C: a Python loop cost ~86 µs per record).
    if end > len(padded) or padded.count(0, end) != len(padded) - end:
        raise EnvelopeError("body padding is malformed", rid)
    return padded[LENGTH_PREFIX:end]


# -- local wrap ----------------------------------------------------------------


def wrap_local(
    data_key: bytes, station_key: bytes, header: RecordHeader, *, nonce: bytes | None = None
) -> bytes:
    """Wrap a record's data key under the station data key (60 bytes:
    nonce || ciphertext || tag), bound to this record's header."""
    if len(data_key) != DATA_KEY_SIZE:
        raise CryptoError("data key must be 32 bytes")
    return aead_encrypt(station_key, data_key, LOCAL_WRAP_AAD_LABEL + header.header_bytes(), nonce)


def unwrap_local(wrap: bytes, station_key: bytes, header: RecordHeader) -> bytes:
    """Recover the data key; :class:`EnvelopeError` if the wrap belongs to
    another record or key, or was modified."""
    try:
        key = aead_decrypt(station_key, wrap, LOCAL_WRAP_AAD_LABEL + header.header_bytes())
    except CryptoError:
        raise EnvelopeError("local key wrap does not open", header.record_id) from None
    if len(key) != DATA_KEY_SIZE:
        raise EnvelopeError("local key wrap holds a key of the wrong size", header.record_id)
    return key


# -- sealed envelope -----------------------------------------------------------


def _hpke_info(header_bytes: bytes) -> bytes:
    return HPKE_INFO_LABEL + hashlib.sha256(header_bytes).digest()


@dataclass(frozen=True)
class Envelope:
    """A parsed (not yet verified, not yet opened) envelope."""

    header: RecordHeader
    header_bytes: bytes
    sealed_key: bytes
    body_ciphertext: bytes
    signature: bytes
    raw: bytes
    facts_key_id: str | None = None  # version 2 only
    sealed_facts: bytes | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the whole envelope, signature included."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def padded_size(self) -> int:
        """Size of the padded body plaintext (a power of two >= 4096)."""
        return len(self.body_ciphertext) - BODY_OVERHEAD

    @property
    def record_id(self) -> uuid.UUID:
        return self.header.record_id


def seal_envelope(
    header: RecordHeader,
    body_ciphertext: bytes,
    data_key: bytes,
    central_public_key: bytes,
    signing_key: bytes,
    facts: bytes | None = None,
    facts_public_key: bytes | None = None,
) -> bytes:
    """Build the wire envelope: header, data key sealed to central, body, then (version 2)
    the facts sealed to central's facts key, and the signature over all of it.

    ``header.central_key_id`` must be ``key_id(central_public_key)``, and the
    body ciphertext must decrypt under ``data_key`` with this header (checked,
    so a mismatched draft cannot be sealed by mistake).
    """
    rid = header.record_id
    if header.central_key_id != key_id(central_public_key):
        raise EnvelopeError("header.central_key_id does not name the central public key", rid)
    decrypt_body(header, body_ciphertext, data_key)
    if (facts is None) != (header.version == ENVELOPE_VERSION) or (facts is None) != (
        facts_public_key is None
    ):
        raise EnvelopeError("facts, their key and a version 2 header go together", rid)
    hb = header.header_bytes()
    sealed = hpke_seal(central_public_key, data_key, _hpke_info(hb))
    parts = [
        hb,
        struct.pack(">H", len(sealed)),
        sealed,
        struct.pack(">I", len(body_ciphertext)),
        body_ciphertext,
    ]
    if facts is not None and facts_public_key is not None:
        ident = key_id(facts_public_key).encode("ascii")
        sealed_facts = hpke_seal(facts_public_key, _pad_facts(facts, rid), _facts_info(hb))
        parts += [bytes([len(ident)]), ident, struct.pack(">I", len(sealed_facts)), sealed_facts]
    signed = b"".join(parts)
    return signed + sign(signing_key, signed)


def _facts_info(header_bytes: bytes) -> bytes:
    return FACTS_INFO_LABEL + hashlib.sha256(header_bytes).digest()


def _facts_bucket(length: int) -> int:
    return max(FACTS_PADDED, 1 << (length + 1).bit_length())


def _pad_facts(facts: bytes, rid: uuid.UUID) -> bytes:
    size = _facts_bucket(len(facts))
    if size > MAX_FACTS_PADDED:
        raise EnvelopeError("facts too large", rid)
    return struct.pack(">H", len(facts)) + facts + bytes(size - 2 - len(facts))


def open_facts(envelope: Envelope, facts_private_key: bytes) -> bytes:
    """The facts (unpadded bytes) of a version 2 envelope, with central's facts key.
    Does not check the signature: call :func:`verify_envelope` first."""
    rid = envelope.record_id
    if envelope.sealed_facts is None:
        raise EnvelopeError("the envelope carries no facts", rid)
    have = key_id(x25519_public_key(facts_private_key))
    if have != envelope.facts_key_id:
        raise EnvelopeError(f"facts sealed to key {envelope.facts_key_id}, not to key {have}", rid)
    try:
        padded = hpke_open(facts_private_key, envelope.sealed_facts,
                           _facts_info(envelope.header_bytes))
    except CryptoError:
        raise EnvelopeError("sealed facts do not open", rid) from None
    (length,) = struct.unpack_from(">H", padded)
    end = 2 + length
    if len(padded) != _facts_bucket(length) or padded.count(0, end) != len(padded) - end:
        raise EnvelopeError("facts padding is malformed", rid)
    return padded[2:end]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.record_id: uuid.UUID | None = None

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise EnvelopeError(f"envelope truncated in {what}", self.record_id)
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def text(self, what: str) -> str:
        length = self.take(1, what)[0]
        try:
            return self.take(length, what).decode("utf-8")
        except UnicodeDecodeError:
            raise EnvelopeError(f"{what} is not UTF-8", self.record_id) from None


def parse_envelope(blob: bytes) -> Envelope:
    """Split an envelope into its parts, checking every length and field.

    Raises :class:`EnvelopeError` for a foreign, truncated, over-long or
    unknown-version file, naming the record id whenever bytes 5..20 exist
    (they hold the record id in every envelope version).
    """
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise EnvelopeError("envelope must be bytes")
    data = bytes(blob)
    if len(data) < 5 or data[:4] != ENVELOPE_MAGIC:
        raise EnvelopeError("not a tip-screen record envelope (bad magic)")
    rid = uuid.UUID(bytes=data[5:_PREFIX_SIZE]) if len(data) >= _PREFIX_SIZE else None
    if data[4] not in VERSIONS:
        raise EnvelopeError(
            f"unsupported envelope version {data[4]} (this build reads versions "
            f"{', '.join(map(str, VERSIONS))}; upgrade tip-screen)",
            rid,
        )
    if len(data) > MAX_ENVELOPE:
        raise EnvelopeError("envelope larger than the 16 MiB limit", rid)
    reader = _Reader(data)
    reader.record_id = rid
    _magic, version, rid_bytes, seq, day = _FIXED.unpack(reader.take(_FIXED.size, "header"))
    reader.record_id = uuid.UUID(bytes=rid_bytes)
    station_id = reader.text("station id")
    questionnaire_id = reader.text("questionnaire id")
    questionnaire_version = reader.text("questionnaire version")
    local_key_id = reader.text("local key id")
    central_key_id = reader.text("central key id")
    header_end = reader.pos
    try:
        header = RecordHeader(
            record_id=reader.record_id,
            station_id=station_id,
            seq=seq,
            questionnaire_id=questionnaire_id,
            questionnaire_version=questionnaire_version,
            created_day=day.decode("ascii"),
            local_key_id=local_key_id,
            central_key_id=central_key_id or None,
            version=version,
        )
    except (CryptoError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"invalid header: {exc}", reader.record_id) from None
    if header.central_key_id is None:
        raise EnvelopeError("envelope names no central key", header.record_id)
    if header.header_bytes() != data[:header_end]:  # decoding is canonical; be sure
        raise EnvelopeError("header is not in canonical form", header.record_id)
    (sealed_len,) = struct.unpack(">H", reader.take(2, "sealed key length"))
    if sealed_len != SEALED_KEY_SIZE:
        raise EnvelopeError(f"sealed key must be {SEALED_KEY_SIZE} bytes", header.record_id)
    sealed = reader.take(sealed_len, "sealed key")
    (body_len,) = struct.unpack(">I", reader.take(4, "body length"))
    if not _valid_padded(body_len - BODY_OVERHEAD):
        raise EnvelopeError("body length is not a valid padded size", header.record_id)
    body = reader.take(body_len, "body")
    facts_key_id = sealed_facts = None
    if version == FACTS_VERSION:
        facts_key_id = reader.text("facts key id")
        (facts_len,) = struct.unpack(">I", reader.take(4, "facts length"))
        padded = facts_len - HPKE_OVERHEAD
        if not facts_key_id or padded < FACTS_PADDED or padded > MAX_FACTS_PADDED \
                or padded & (padded - 1):
            raise EnvelopeError("facts section is malformed", header.record_id)
        sealed_facts = reader.take(facts_len, "facts")
    signature = reader.take(SIGNATURE_SIZE, "signature")
    if reader.pos != len(data):
        raise EnvelopeError("trailing bytes after the signature", header.record_id)
    return Envelope(
        header=header,
        header_bytes=data[:header_end],
        sealed_key=sealed,
        body_ciphertext=body,
        signature=signature,
        raw=data,
        facts_key_id=facts_key_id,
        sealed_facts=sealed_facts,
    )


def verify_envelope(envelope: Envelope, station_public_key: bytes | Verifier) -> None:
    """Check the station's Ed25519 signature; raise :class:`BadSignature`.

    The caller must pick ``station_public_key`` by ``envelope.header.station_id``
    (the enrolled station's key), so one station cannot sign as another. A
    :class:`Verifier` (the key loaded once) serves for checking many envelopes.
    """
    try:
        if isinstance(station_public_key, Verifier):
            station_public_key.verify(envelope.raw[:-SIGNATURE_SIZE], envelope.signature)
        else:
            verify(station_public_key, envelope.raw[:-SIGNATURE_SIZE], envelope.signature)
    except BadSignature:
        raise BadSignature(
            f"record {envelope.record_id}: envelope signature does not verify"
        ) from None


class EnvelopeOpener:
    """Central's record private key loaded once, to open many envelopes (:func:`open_envelope`)."""

    def __init__(self, central_private_key: bytes) -> None:
        self._hpke = HpkeOpener(central_private_key)
        self.key_id = key_id(self._hpke.public_key)

    def open(self, envelope: Envelope) -> bytes:
        """Unseal the data key and return the body (the signature is not checked here)."""
        header = envelope.header
        rid = header.record_id
        if self.key_id != header.central_key_id:
            raise EnvelopeError(
                f"sealed to central key {header.central_key_id}, not to key {self.key_id}", rid
            )
        try:
            data_key = self._hpke.open(envelope.sealed_key, _hpke_info(envelope.header_bytes))
        except CryptoError:
            raise EnvelopeError("sealed data key does not open", rid) from None
        if len(data_key) != DATA_KEY_SIZE:
            raise EnvelopeError("sealed data key has the wrong size", rid)
        return decrypt_body(header, envelope.body_ciphertext, data_key)


def open_envelope(envelope: Envelope, central_private_key: bytes) -> bytes:
    """Unseal the data key with central's private key and return the body.

    Does not check the signature: call :func:`verify_envelope` first.
    """
    return EnvelopeOpener(central_private_key).open(envelope)
