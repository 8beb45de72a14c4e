from __future__ import annotations

import pytest

from app.crypto import generate_signing_key, signer
from app.protocol.messages import (
    ProtocolError,
    check_receipt,
    make_receipt,
    receipt_digest,
    receipts_statement,
    vouched_receipts,
)


def test_one_statement_vouches_for_every_receipt_of_an_answer():
    private, public = generate_signing_key()
    sign = signer(private)
    receipts = [(f"id-{n}", make_receipt(f"id-{n}", "ab" * 32, "2026-01-01T00:00:00+00:00", sign))
                for n in range(3)]
    vouched = vouched_receipts(receipts_statement(receipts, sign), public)
    assert vouched == {rid: receipt_digest(raw) for rid, raw in receipts}
    for rid, raw in receipts:
        assert check_receipt(raw, public, vouched=vouched[rid]).record_id == rid


def test_a_statement_by_another_key_vouches_for_nothing():
    private, public = generate_signing_key()
    other, _ = generate_signing_key()
    raw = make_receipt("r", "ab" * 32, "2026-01-01T00:00:00+00:00", private)
    assert vouched_receipts(receipts_statement([("r", raw)], signer(other)), public) == {}


def test_a_receipt_that_does_not_match_the_vouched_digest_needs_its_own_signature():
    private, public = generate_signing_key()
    forger, _ = generate_signing_key()
    forged = make_receipt("r", "cd" * 32, "2026-01-01T00:00:00+00:00", forger)
    genuine = make_receipt("r", "ab" * 32, "2026-01-01T00:00:00+00:00", private)
    with pytest.raises(ProtocolError):
        check_receipt(forged, public, vouched=receipt_digest(genuine))
