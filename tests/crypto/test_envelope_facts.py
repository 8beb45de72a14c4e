"""Record envelope v2: the facts section, read by an independent decoder written from
docs/envelope.md, and the ways it can be tampered with or sealed to the wrong key."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable

import pytest

from app.crypto import (
    FACTS_VERSION,
    BadSignature,
    CryptoError,
    EnvelopeError,
    RecordHeader,
    encrypt_body,
    generate_x25519,
    key_id,
    open_envelope,
    open_facts,
    parse_envelope,
    seal_envelope,
    verify_envelope,
)
from app.crypto.hpke import hpke_open
from tests.crypto.conftest import CENTRAL_PRIVATE, CENTRAL_PUBLIC, DATA_KEY, SIGNING_KEY, STATION_PUBLIC

MakeHeader = Callable[..., RecordHeader]
FACTS_PRIVATE, FACTS_PUBLIC = generate_x25519()
BODY = b'{"answers": {"q_name": {"value": "Aung"}}}'
FACTS = json.dumps({"tier": "possible_victim", "flags": ["flag_child"]}).encode()


def _seal(header: RecordHeader, facts: bytes = FACTS) -> bytes:
    body = encrypt_body(header, BODY, DATA_KEY)
    return seal_envelope(header, body, DATA_KEY, CENTRAL_PUBLIC, SIGNING_KEY,
                         facts=facts, facts_public_key=FACTS_PUBLIC)


@pytest.fixture
def header(make_header: MakeHeader) -> RecordHeader:
    return make_header(version=FACTS_VERSION)


def test_round_trip(header: RecordHeader) -> None:
    envelope = parse_envelope(_seal(header))
    verify_envelope(envelope, STATION_PUBLIC)
    assert envelope.header.version == 2 and envelope.header == header
    assert envelope.facts_key_id == key_id(FACTS_PUBLIC)
    assert open_facts(envelope, FACTS_PRIVATE) == FACTS
    assert open_envelope(envelope, CENTRAL_PRIVATE) == BODY  # the record key still opens the body


def test_independent_decoder(header: RecordHeader) -> None:
    """Walk the bytes as docs/envelope.md lays them out, with nothing from app.crypto.envelope."""
    blob = _seal(header)
    hb = header.header_bytes()
    assert blob[4] == 2
    pos = len(hb)
    (sealed_len,) = struct.unpack_from(">H", blob, pos)
    pos += 2 + sealed_len
    (body_len,) = struct.unpack_from(">I", blob, pos)
    pos += 4 + body_len
    ident_len = blob[pos]
    ident = blob[pos + 1:pos + 1 + ident_len].decode("ascii")
    pos += 1 + ident_len
    (facts_len,) = struct.unpack_from(">I", blob, pos)
    sealed = blob[pos + 4:pos + 4 + facts_len]
    assert ident == key_id(FACTS_PUBLIC)
    assert len(blob) == pos + 4 + facts_len + 64  # then the signature, and nothing else
    padded = hpke_open(FACTS_PRIVATE, sealed, b"tip-screen/v2/facts:" + hashlib.sha256(hb).digest())
    assert len(padded) == 1024
    (length,) = struct.unpack_from(">H", padded)
    assert padded[2:2 + length] == FACTS and not any(padded[2 + length:])


def test_size_says_nothing(header: RecordHeader) -> None:
    short = _seal(header, b"{}")
    long = _seal(header, json.dumps({"flags": ["flag_child", "flag_medical", "flag_danger"] * 20}).encode())
    assert len(short) == len(long)


def test_every_flipped_byte_of_the_facts_breaks_the_signature(header: RecordHeader) -> None:
    blob = _seal(header)
    start = len(blob) - 64 - (1024 + 48) - 4 - 17
    for at in range(start, len(blob) - 64, 7):
        changed = blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1:]
        try:
            envelope = parse_envelope(changed)
        except EnvelopeError:
            continue
        with pytest.raises(BadSignature):
            verify_envelope(envelope, STATION_PUBLIC)


def test_facts_bound_to_their_header(header: RecordHeader, make_header: MakeHeader) -> None:
    """Facts moved into another record's envelope (re-signed by a thief of the station key
    even) do not open: they are bound to the header they were sealed with."""
    other = make_header(version=FACTS_VERSION, seq=43)
    mine = parse_envelope(_seal(header))
    theirs = parse_envelope(_seal(other))
    swapped = type(theirs)(**{**theirs.__dict__, "sealed_facts": mine.sealed_facts})
    with pytest.raises(EnvelopeError, match="do not open"):
        open_facts(swapped, FACTS_PRIVATE)


def test_wrong_key_and_no_facts(header: RecordHeader, make_header: MakeHeader) -> None:
    envelope = parse_envelope(_seal(header))
    with pytest.raises(EnvelopeError, match="not to key"):
        open_facts(envelope, generate_x25519()[0])
    with pytest.raises(EnvelopeError, match="not to key"):
        open_facts(envelope, CENTRAL_PRIVATE)  # the record key is not the facts key
    v1 = make_header()
    plain = parse_envelope(seal_envelope(v1, encrypt_body(v1, BODY, DATA_KEY), DATA_KEY,
                                         CENTRAL_PUBLIC, SIGNING_KEY))
    assert plain.header.version == 1 and plain.sealed_facts is None
    with pytest.raises(EnvelopeError, match="no facts"):
        open_facts(plain, FACTS_PRIVATE)


def test_facts_version_and_facts_go_together(header: RecordHeader, make_header: MakeHeader) -> None:
    body = encrypt_body(header, BODY, DATA_KEY)
    with pytest.raises(EnvelopeError, match="go together"):
        seal_envelope(header, body, DATA_KEY, CENTRAL_PUBLIC, SIGNING_KEY)
    v1 = make_header()
    with pytest.raises(EnvelopeError, match="go together"):
        seal_envelope(v1, encrypt_body(v1, BODY, DATA_KEY), DATA_KEY, CENTRAL_PUBLIC, SIGNING_KEY,
                      facts=FACTS, facts_public_key=FACTS_PUBLIC)
    with pytest.raises(EnvelopeError, match="too large"):
        _seal(header, b"x" * 20000)
    with pytest.raises(CryptoError):
        make_header(version=3)


def test_truncations_refused(header: RecordHeader) -> None:
    blob = _seal(header)
    for cut in range(len(blob) - 64 - 1100, len(blob), 97):
        with pytest.raises(EnvelopeError):
            parse_envelope(blob[:cut])
