"""Receipts: a new one (version 2) counts only as vouched for by the answer's signed
statement; one signed on its own (version 1, made by centrals before 2026-12 and still
returned for their records) counts by its own signature too."""

from __future__ import annotations

import pytest

from app.crypto import generate_signing_key, sign, signer
from app.protocol.messages import (
    ProtocolError,
    check_receipt,
    make_receipt,
    read_receipt,
    receipt_day,
    receipt_digest,
    receipts_statement,
    vouched_receipts,
)

DAY = "2026-01-01"


def _signed_v1(record_id: str, sha256: str, key: bytes) -> bytes:
    body = make_receipt(record_id, sha256, DAY).replace(b'"v":2', b'"v":1')
    return body + sign(key, body)


def test_one_statement_vouches_for_every_receipt_of_an_answer():
    private, public = generate_signing_key()
    sign_with = signer(private)
    receipts = [(f"id-{n}", make_receipt(f"id-{n}", "ab" * 32, DAY)) for n in range(3)]
    receipts.append(("id-old", _signed_v1("id-old", "ab" * 32, private)))  # a duplicate of old
    vouched = vouched_receipts(receipts_statement(receipts, sign_with), public)
    assert vouched == {rid: receipt_digest(raw) for rid, raw in receipts}
    for rid, raw in receipts:
        assert check_receipt(raw, public, vouched=vouched[rid]).record_id == rid


def test_a_new_receipt_carries_no_signature_and_names_record_bytes_and_day():
    raw = make_receipt("r", "ab" * 32, DAY)
    assert raw == b'{"received_at":"2026-01-01","record_id":"r","sha256":"' + b"ab" * 32 + b'","v":2}'
    receipt = read_receipt(raw)
    assert (receipt.record_id, receipt.sha256, receipt.version) == ("r", "ab" * 32, 2)
    assert str(receipt_day(raw)) == DAY
    old = _signed_v1("r", "ab" * 32, generate_signing_key()[0])
    assert read_receipt(old).version == 1 and str(receipt_day(old)) == DAY


def test_a_receipt_no_statement_vouches_for_is_refused():
    private, public = generate_signing_key()
    raw = make_receipt("r", "ab" * 32, DAY)
    with pytest.raises(ProtocolError, match="not vouched"):
        check_receipt(raw, public)
    # A statement by another key vouches for nothing.
    other, _ = generate_signing_key()
    vouched = vouched_receipts(receipts_statement([("r", raw)], signer(other)), public)
    assert vouched == {}
    with pytest.raises(ProtocolError):
        check_receipt(raw, public, vouched=vouched.get("r"))
    # A statement by the right key for other bytes: the receipt changed on the way.
    genuine = vouched_receipts(receipts_statement([("r", raw)], signer(private)), public)["r"]
    with pytest.raises(ProtocolError):
        check_receipt(make_receipt("r", "cd" * 32, DAY), public, vouched=genuine)


def test_a_version_1_receipt_that_does_not_match_the_vouched_digest_needs_its_own_signature():
    private, public = generate_signing_key()
    forger, _ = generate_signing_key()
    forged = _signed_v1("r", "cd" * 32, forger)
    genuine = _signed_v1("r", "ab" * 32, private)
    with pytest.raises(ProtocolError):
        check_receipt(forged, public, vouched=receipt_digest(genuine))
    assert check_receipt(genuine, public).record_id == "r"  # its own signature, no statement


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"v":3,"record_id":"r","sha256":"a","received_at":"x"}',
                                 b'{"v":2,"record_id":"r"}', b"x" * 100])
def test_what_is_no_receipt_is_refused(raw):
    with pytest.raises(ProtocolError):
        read_receipt(raw)
    assert receipt_day(raw) is None
