"""The upload frame (app/protocol/wire.py), byte for byte as docs/sync.md describes it."""

from __future__ import annotations

import pytest

from app.protocol import wire

ID_A = "00112233-4455-6677-8899-aabbccddeeff"
ID_B = "ffeeddcc-bbaa-4998-8776-554433221100"
# magic, version 1, pending 7, count 2; then id || u32 length || envelope, twice.
PINNED = bytes.fromhex(
    "5453524201" "00000007" "0002"
    "00112233445566778899aabbccddeeff" "00000003" "414243"
    "ffeeddccbbaa49988776554433221100" "00000000")


def test_the_frame_is_pinned_byte_for_byte():
    assert wire.encode_records(7, [(ID_A, b"ABC"), (ID_B, b"")]) == PINNED
    assert wire.decode_records(PINNED, 200) == (7, [(ID_A, b"ABC"), (ID_B, b"")])
    assert len(PINNED) == wire.HEAD_SIZE + 2 * wire.ITEM_OVERHEAD + 3


def test_pending_is_clamped_and_an_empty_frame_is_eleven_bytes():
    assert wire.decode_records(wire.encode_records(-5, []), 0) == (0, [])
    assert wire.decode_records(wire.encode_records(2**40, []), 0)[0] == wire.MAX_PENDING
    assert len(wire.encode_records(0, [])) == wire.HEAD_SIZE == 11


@pytest.mark.parametrize(("body", "words"), [
    (b"", "not a tip-screen upload frame"),
    (b'{"records": []}', "not a tip-screen upload frame"),
    (PINNED[:10], "not a tip-screen upload frame"),
    (b"TSRB\x02" + PINNED[5:], "version 2 is not supported"),
    (PINNED[:wire.HEAD_SIZE + 19], "records[0]: the frame ends before the record's id and length"),
    (PINNED[:wire.HEAD_SIZE + 22], "records[0]: the frame ends 1 bytes before the envelope does"),
    (PINNED[:-1], "records[1]: the frame ends before the record's id and length"),
    (PINNED + b"\0", "1 bytes follow the last record"),
    (PINNED[:wire.HEAD_SIZE - 1] + b"\x01" + PINNED[wire.HEAD_SIZE:], "20 bytes follow the last record"),
])
def test_a_malformed_frame_is_named(body, words):
    with pytest.raises(wire.FrameError, match=words.replace("[", r"\[").replace("]", r"\]")):
        wire.decode_records(body, 200)


def test_the_count_is_checked_before_any_record_is_read():
    head_only = wire.encode_records(0, [])[:-2] + (201).to_bytes(2, "big")  # 201 announced, none sent
    with pytest.raises(wire.TooManyRecords, match="At most 200"):
        wire.decode_records(head_only, 200)
    assert wire.decode_records(PINNED, 2)[0] == 7
    with pytest.raises(wire.TooManyRecords):
        wire.decode_records(PINNED, 1)
