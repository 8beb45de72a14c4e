"""Record envelope v1: pinned bytes, an independent decoder written from
docs/envelope.md, and every way a record can be tampered with or misplaced."""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto import (
    BadSignature,
    CryptoError,
    EnvelopeError,
    RecordHeader,
    decrypt_body,
    encrypt_body,
    generate_signing_key,
    generate_x25519,
    key_id,
    new_data_key,
    open_envelope,
    padded_length,
    parse_envelope,
    seal_envelope,
    sign,
    unwrap_local,
    verify_envelope,
    wrap_local,
)
from app.crypto.aead import aead_encrypt
from app.crypto.signing import verify
from tests.crypto import rfc9180
from tests.crypto.conftest import (
    CENTRAL_PRIVATE,
    CENTRAL_PUBLIC,
    DATA_KEY,
    RECORD_ID,
    SIGNING_KEY,
    STATION_KEY,
    STATION_PUBLIC,
)

MakeHeader = Callable[..., RecordHeader]

BODY = "ผู้ถูกสัมภาษณ์: ไม่ได้ถือหนังสือเดินทางของตนเอง / passport withheld".encode()
BODY_NONCE = bytes(range(12))
WRAP_NONCE = bytes(range(12, 24))

# --- pinned bytes (version 1); a change here is a wire-format change -------
HEADER_HEX = (
    "54495053"  # magic "TIPS"
    "01"  # version
    "3f1c2d4e5a6b4c7d8e9fa0b1c2d3e4f5"  # record id
    "000000000000002a"  # seq 42
    "323032352d31312d3232"  # "2025-11-22"
    "0a4d41452d534f542d3031"  # u8 10, "MAE-SOT-01"
    "0f7469702d73637265656e2d636f7265"  # u8 15, "tip-screen-core"
    "06323032352e31"  # u8 6, "2025.1"
    "1030303131323233333434353536363737"  # u8 16, local key id
    "1038623232386364373561623730626164"  # u8 16, central key id "8b228cd75ab70bad"
)
BODY_CT_SHA256 = "2d92ffa92f51e32c5f64d0fe104dab42b1c7b3249bef87ae9adaca18b6a4c2e4"
WRAP_HEX = (
    "0c0d0e0f1011121314151617"
    "e23b4c36303806b8d65ceefffed8edc8be8739a4dfb98f53bfc1a507371396589ee000fd7111414e6a792d8aecc74019"
)
# One real envelope, made once by seal_envelope with the fixed keys above. HPKE
# picks a fresh ephemeral key each time, so this part is pinned as captured.
SEALED_KEY_HEX = (
    "b7215507ec7d762fe029820c4f358127d864120b91b912a6ce4528baa0f07672"
    "36a6d707c41508d1489c1f8083d4494937a2b9be6f68deea366e44087bf1311f"
    "7b3c427064fca1e6bc3da779a0ec023e"
)
SIGNATURE_HEX = (
    "572c8da48a07b56ab89754a255881fb3124e36c929537655f08473f944820b98"
    "7d868bb8b94d0abc6974556f0cf311f2362abcb30050d81466092c0b4421970d"
)
ENVELOPE_SHA256 = "f311c472387c7bbc3d44fe716c6b0fbb76112b2ee46f8f0bd867bcddd13e79dc"


def _independent_body_ciphertext() -> bytes:
    """The pinned body, computed with raw AES-GCM from the documented rules."""
    padded = struct.pack(">I", len(BODY)) + BODY
    padded += bytes(4096 - len(padded))
    return BODY_NONCE + AESGCM(DATA_KEY).encrypt(BODY_NONCE, padded, bytes.fromhex(HEADER_HEX))


def _pinned_envelope() -> bytes:
    sealed = bytes.fromhex(SEALED_KEY_HEX)
    body = _independent_body_ciphertext()
    blob = b"".join(
        (
            bytes.fromhex(HEADER_HEX),
            struct.pack(">H", len(sealed)),
            sealed,
            struct.pack(">I", len(body)),
            body,
            bytes.fromhex(SIGNATURE_HEX),
        )
    )
    assert hashlib.sha256(blob).hexdigest() == ENVELOPE_SHA256
    return blob


PINNED = _pinned_envelope()


def _seal(header: RecordHeader, body: bytes = BODY, data_key: bytes = DATA_KEY) -> bytes:
    ct = encrypt_body(header, body, data_key)
    return seal_envelope(header, ct, data_key, CENTRAL_PUBLIC, SIGNING_KEY)


# --- known answers ------------------------------------------------------------


def test_header_bytes_pinned(make_header: MakeHeader) -> None:
    assert make_header().header_bytes() == bytes.fromhex(HEADER_HEX)


def test_body_and_local_wrap_known_answers(make_header: MakeHeader) -> None:
    header = make_header()
    ct = encrypt_body(header, BODY, DATA_KEY, nonce=BODY_NONCE)
    assert ct == _independent_body_ciphertext()
    assert hashlib.sha256(ct).hexdigest() == BODY_CT_SHA256
    assert decrypt_body(header, ct, DATA_KEY) == BODY
    wrap = wrap_local(DATA_KEY, STATION_KEY, header, nonce=WRAP_NONCE)
    assert wrap == bytes.fromhex(WRAP_HEX)
    assert unwrap_local(wrap, STATION_KEY, header) == DATA_KEY


def test_pinned_envelope_parses_verifies_and_opens(make_header: MakeHeader) -> None:
    env = parse_envelope(PINNED)
    assert env.header == make_header()
    assert env.record_id == RECORD_ID
    assert env.sha256 == ENVELOPE_SHA256
    assert env.padded_size == 4096
    assert len(PINNED) == 107 + 2 + 80 + 4 + 4124 + 64
    verify_envelope(env, STATION_PUBLIC)
    assert open_envelope(env, CENTRAL_PRIVATE) == BODY


def test_pinned_envelope_with_independent_decoder() -> None:
    """Decode by the offsets in docs/envelope.md with raw primitives and the
    test's own RFC 9180 schedule: the document is enough to write a reader."""
    blob = PINNED
    assert blob[:4] == b"TIPS" and blob[4] == 1
    assert uuid.UUID(bytes=blob[5:21]) == RECORD_ID
    assert struct.unpack(">Q", blob[21:29])[0] == 42
    assert blob[29:39] == b"2025-11-22"
    pos, strings = 39, []
    for _ in range(5):
        n = blob[pos]
        strings.append(blob[pos + 1 : pos + 1 + n].decode())
        pos += 1 + n
    assert strings == [
        "MAE-SOT-01",
        "tip-screen-core",
        "2025.1",
        "0011223344556677",
        key_id(CENTRAL_PUBLIC),
    ]
    header = blob[:pos]
    (sealed_len,) = struct.unpack(">H", blob[pos : pos + 2])
    sealed = blob[pos + 2 : pos + 2 + sealed_len]
    pos += 2 + sealed_len
    (body_len,) = struct.unpack(">I", blob[pos : pos + 4])
    body = blob[pos + 4 : pos + 4 + body_len]
    pos += 4 + body_len
    signature = blob[pos:]
    assert len(signature) == 64
    verify(STATION_PUBLIC, blob[:pos], signature)

    info = b"tip-screen/v1/data-key:" + hashlib.sha256(header).digest()
    shared = rfc9180.decap(sealed[:32], CENTRAL_PRIVATE)
    schedule = rfc9180.key_schedule(shared, info, rfc9180.AEAD_AES256GCM)
    data_key = AESGCM(schedule.key).decrypt(schedule.nonce(0), sealed[32:], b"")
    assert data_key == DATA_KEY
    padded = AESGCM(data_key).decrypt(body[:12], body[12:], header)
    (length,) = struct.unpack(">I", padded[:4])
    assert padded[4 : 4 + length] == BODY and not any(padded[4 + length :])


def test_seal_is_deterministic_outside_the_hpke_part(make_header: MakeHeader) -> None:
    header = make_header()
    ct = encrypt_body(header, BODY, DATA_KEY, nonce=BODY_NONCE)
    blob = seal_envelope(header, ct, DATA_KEY, CENTRAL_PUBLIC, SIGNING_KEY)
    assert len(blob) == len(PINNED)
    sealed = slice(107 + 2, 107 + 2 + 80)
    assert blob[: sealed.start] == PINNED[: sealed.start]
    assert blob[sealed.stop : -64] == PINNED[sealed.stop : -64]
    assert blob[sealed] != PINNED[sealed]  # fresh ephemeral key
    assert open_envelope(parse_envelope(blob), CENTRAL_PRIVATE) == BODY


# --- round trips and padding --------------------------------------------------


def test_round_trip_with_fresh_keys(make_header: MakeHeader) -> None:
    central_private, central_public = generate_x25519()
    signing_private, signing_public = generate_signing_key()
    header = make_header(record_id=uuid.uuid4(), central_key_id=key_id(central_public))
    data_key = new_data_key()
    body = bytes(range(256)) * 40
    ct = encrypt_body(header, body, data_key)
    blob = seal_envelope(header, ct, data_key, central_public, signing_private)
    env = parse_envelope(blob)
    verify_envelope(env, signing_public)
    assert open_envelope(env, central_private) == body
    assert env.padded_size == 16384


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(0, 4096), (4092, 4096), (4093, 8192), (8188, 8192), (8189, 16384), ((1 << 24) - 4, 1 << 24)],
)
def test_padding_buckets(length: int, bucket: int) -> None:
    assert padded_length(length) == bucket


def test_padding_hides_size_within_a_bucket(make_header: MakeHeader) -> None:
    header = make_header()
    sizes = {len(encrypt_body(header, b"x" * n, DATA_KEY)) for n in (0, 1, 100, 4092)}
    assert sizes == {12 + 4096 + 16}
    for n in (0, 1, 4092, 4093):
        assert decrypt_body(header, encrypt_body(header, b"y" * n, DATA_KEY), DATA_KEY) == b"y" * n
    with pytest.raises(CryptoError):
        padded_length(1 << 24)


@pytest.mark.parametrize(
    "padded",
    [
        struct.pack(">I", 4093) + bytes(4092),  # length beyond the bucket
        struct.pack(">I", 3) + b"abc" + b"\x01" + bytes(4088),  # non-zero padding
    ],
)
def test_malformed_padding_refused(make_header: MakeHeader, padded: bytes) -> None:
    header = make_header()
    ct = aead_encrypt(DATA_KEY, padded, header.header_bytes())
    with pytest.raises(EnvelopeError, match="padding"):
        decrypt_body(header, ct, DATA_KEY)


# --- tampering ------------------------------------------------------------------


def test_every_flipped_byte_is_refused() -> None:
    for i in range(len(PINNED)):
        tampered = bytearray(PINNED)
        tampered[i] ^= 0x01
        with pytest.raises(CryptoError):
            env = parse_envelope(bytes(tampered))
            verify_envelope(env, STATION_PUBLIC)


def test_every_flipped_byte_before_the_signature_fails_to_open() -> None:
    """Even without the signature check, nothing a reader relies on can change."""
    for i in range(len(PINNED) - 64):
        tampered = bytearray(PINNED)
        tampered[i] ^= 0x01
        with pytest.raises(EnvelopeError):
            open_envelope(parse_envelope(bytes(tampered)), CENTRAL_PRIVATE)


def _swap_header(blob: bytes, header: RecordHeader) -> bytes:
    old = parse_envelope(blob).header_bytes
    return header.header_bytes() + blob[len(old) :]


def test_swapped_headers_are_refused(make_header: MakeHeader) -> None:
    a = make_header(record_id=uuid.uuid4(), seq=1)
    b = make_header(record_id=uuid.uuid4(), seq=2)
    blob_a = _seal(a, b"record A")
    moved = parse_envelope(_swap_header(blob_a, b))
    assert moved.record_id == b.record_id
    with pytest.raises(BadSignature, match=str(b.record_id)):
        verify_envelope(moved, STATION_PUBLIC)
    with pytest.raises(EnvelopeError, match=str(b.record_id)):
        open_envelope(moved, CENTRAL_PRIVATE)


def test_resigned_replay_under_another_id_is_refused(make_header: MakeHeader) -> None:
    """A signer who moves A's sealed key and body under B's header (and signs
    it) still cannot get it opened: HPKE info and body AAD bind the header."""
    a = make_header(record_id=uuid.uuid4())
    b = make_header(record_id=uuid.uuid4())
    blob = _swap_header(_seal(a, b"record A"), b)[:-64]
    replay = parse_envelope(blob + sign(SIGNING_KEY, blob))
    verify_envelope(replay, STATION_PUBLIC)
    with pytest.raises(EnvelopeError, match="sealed data key does not open"):
        open_envelope(replay, CENTRAL_PRIVATE)


@pytest.mark.parametrize(
    "change",
    [
        {"record_id": uuid.UUID(int=1)},
        {"seq": 43},
        {"station_id": "MAE-SOT-02"},
        {"questionnaire_version": "2025.2"},
        {"created_day": "2025-11-23"},
        {"local_key_id": "other"},
    ],
)
def test_local_wrap_and_body_bound_to_their_header(
    make_header: MakeHeader, change: dict[str, object]
) -> None:
    header, other = make_header(), make_header(**change)
    wrap = wrap_local(DATA_KEY, STATION_KEY, header)
    ct = encrypt_body(header, BODY, DATA_KEY)
    with pytest.raises(EnvelopeError) as err:
        unwrap_local(wrap, STATION_KEY, other)
    assert err.value.record_id == other.record_id
    with pytest.raises(EnvelopeError):
        decrypt_body(other, ct, DATA_KEY)
    with pytest.raises(EnvelopeError):
        unwrap_local(wrap, new_data_key(), header)
    with pytest.raises(EnvelopeError):
        decrypt_body(header, ct, new_data_key())


# --- malformed files ------------------------------------------------------------


def test_every_truncation_is_refused_naming_the_record() -> None:
    for n in range(len(PINNED)):
        with pytest.raises(EnvelopeError) as err:
            parse_envelope(PINNED[:n])
        if n >= 21:
            assert err.value.record_id == RECORD_ID
            assert str(RECORD_ID) in str(err.value)


@pytest.mark.parametrize(
    "blob",
    [b"", b"TIP", b"PK\x03\x04" + bytes(200), b"%PDF-1.7\n", b"tips\x01" + bytes(100), "TIPS"],
)
def test_foreign_files_are_refused(blob: bytes) -> None:
    with pytest.raises(EnvelopeError, match="not a tip-screen|must be bytes") as err:
        parse_envelope(blob)
    assert err.value.record_id is None


def test_unknown_version_is_a_clear_error() -> None:
    future = PINNED[:4] + bytes([3]) + PINNED[5:]
    with pytest.raises(EnvelopeError, match="unsupported envelope version 3") as err:
        parse_envelope(future)
    assert err.value.record_id == RECORD_ID
    with pytest.raises(EnvelopeError, match="version 0"):
        parse_envelope(b"TIPS\x00")


def test_trailing_bytes_and_bad_lengths() -> None:
    with pytest.raises(EnvelopeError, match="trailing"):
        parse_envelope(PINNED + b"\x00")
    sealed_at = 107
    bad_sealed = PINNED[:sealed_at] + struct.pack(">H", 79) + PINNED[sealed_at + 2 :]
    with pytest.raises(EnvelopeError, match="80 bytes"):
        parse_envelope(bad_sealed)
    body_at = sealed_at + 2 + 80
    bad_body = PINNED[:body_at] + struct.pack(">I", 5000) + PINNED[body_at + 4 :]
    with pytest.raises(EnvelopeError, match="padded size"):
        parse_envelope(bad_body)


def test_wrong_keys(make_header: MakeHeader) -> None:
    env = parse_envelope(PINNED)
    with pytest.raises(BadSignature, match=str(RECORD_ID)):
        verify_envelope(env, generate_signing_key()[1])
    other_private, _ = generate_x25519()
    with pytest.raises(EnvelopeError, match="sealed to central key 8b228cd75ab70bad"):
        open_envelope(env, other_private)


def test_seal_refuses_inconsistent_inputs(make_header: MakeHeader) -> None:
    header = make_header()
    ct = encrypt_body(header, BODY, DATA_KEY)
    with pytest.raises(EnvelopeError, match="central_key_id"):
        seal_envelope(header, ct, DATA_KEY, generate_x25519()[1], SIGNING_KEY)
    with pytest.raises(EnvelopeError, match="does not decrypt"):
        seal_envelope(header, ct, new_data_key(), CENTRAL_PUBLIC, SIGNING_KEY)
    other = make_header(seq=7)
    with pytest.raises(EnvelopeError, match="does not decrypt"):
        seal_envelope(other, ct, DATA_KEY, CENTRAL_PUBLIC, SIGNING_KEY)
    draft = make_header(central_key_id=None)
    draft_ct = encrypt_body(draft, BODY, DATA_KEY)
    assert decrypt_body(draft, draft_ct, DATA_KEY) == BODY
    with pytest.raises(EnvelopeError):
        seal_envelope(draft, draft_ct, DATA_KEY, CENTRAL_PUBLIC, SIGNING_KEY)


@pytest.mark.parametrize(
    "change",
    [
        {"created_day": "2025-13-01"},
        {"created_day": "25-11-22"},
        {"created_day": "2025-11-22T00:00"},
        {"station_id": ""},
        {"station_id": "a\nb"},
        {"questionnaire_id": "x" * 256},
        {"local_key_id": None},
        {"central_key_id": ""},
        {"seq": -1},
        {"seq": 1 << 64},
        {"seq": True},
        {"record_id": str(RECORD_ID)},
    ],
)
def test_header_validation(make_header: MakeHeader, change: dict[str, object]) -> None:
    with pytest.raises(CryptoError):
        make_header(**change)


def test_header_allows_thai_and_long_ascii(make_header: MakeHeader) -> None:
    header = make_header(station_id="ด่านแม่สอด", questionnaire_id="q" * 255)
    blob = _seal(header)
    assert parse_envelope(blob).header == header
