"""Sync through a proxy that cuts the connection at random bytes, both ways, many times."""

from __future__ import annotations

import hashlib
import os

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Record, RecordState
from app.protocol.messages import read_receipt
from app.services import installation
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from app.services.sync.client import push, transport
from tests.support.faulty_proxy import DOWN, UP, faulty_proxy

RECORDS = 60
SEED = int(os.environ.get("TIP_SCREEN_PROXY_SEED", "20240611"))


def _assert_consistent(central, station) -> None:
    """At any moment: whatever the station marked synced, central holds, with that receipt."""
    held = central.received()
    for rec in station.records().values():
        if rec.state is RecordState.SYNCED or rec.receipt is not None:
            assert rec.state is RecordState.SYNCED and rec.receipt is not None
            assert rec.id in held, "marked synced but central does not hold it"
            receipt = read_receipt(rec.receipt)  # checked under central's statement as it arrived
            assert (receipt.record_id, receipt.sha256) == (rec.id, rec.envelope_sha256)
            assert held[rec.id].envelope_sha256 == rec.envelope_sha256
            assert held[rec.id].receipt == rec.receipt


def test_cuts_at_random_bytes_leave_both_sides_consistent(enrolled, monkeypatch):
    central, station = enrolled
    monkeypatch.setattr(push, "BATCH", 5)
    monkeypatch.setattr(transport, "TIMEOUT", 5.0)
    made = set(station.finalised(RECORDS))

    with faulty_proxy(central.url, fault_rate=0.9, seed=SEED, max_cuts=400) as proxy:
        with station.ctx():
            installation.get().central_url = proxy.url
            db.session.commit()
        failures = 0
        for _attempt in range(600):
            try:
                with station.ctx():
                    summary = sync_client.sync()
            except SyncFailed as exc:
                failures += 1
                assert "Traceback" not in str(exc)
                _assert_consistent(central, station)
                continue
            break
        else:
            pytest.fail("sync never completed through the proxy")

    cuts = proxy.cuts
    pushes = proxy.cuts_in("POST /api/v1/records")
    assert len(cuts) >= 50, f"only {len(cuts)} cuts"
    assert len(pushes) >= 30
    assert {c.direction for c in pushes} == {UP, DOWN}
    # Cuts landed all over the messages: in the head, early and late in the body.
    assert min(c.offset for c in pushes) < 200
    assert any(c.direction == UP and c.offset > c.total * 0.8 for c in pushes)
    assert any(c.direction == DOWN and c.offset > c.total * 0.5 for c in pushes)
    # Every cut failed its sync run; a run fails once even when both of its requests on the
    # wire (push.DEPTH) were cut.
    assert len(cuts) <= failures * push.DEPTH and failures <= len(cuts)
    assert summary.pending_after == 0

    # Central holds exactly the station's finalised set, once each, with the same bytes.
    stations_records = station.records()
    assert set(stations_records) == made
    held = central.received()
    assert set(held) == made
    with central.ctx():
        rows = db.session.execute(sa.select(
            sa.func.count(), sa.func.count(sa.distinct(sa.text("envelope_sha256"))),
            sa.func.count(sa.distinct(sa.text("seq")))).select_from(sa.table("received_records"))).one()
    assert tuple(rows) == (RECORDS, RECORDS, RECORDS)
    for rid, row in held.items():
        rec = stations_records[rid]
        assert row.envelope is not None and rec.envelope is not None
        assert row.envelope_sha256 == rec.envelope_sha256 == hashlib.sha256(rec.envelope).hexdigest()
        assert row.envelope == rec.envelope
        assert row.seq == rec.seq
    # Every station record is synced, and only with a valid receipt for its exact envelope.
    assert {r.state for r in stations_records.values()} == {RecordState.SYNCED}
    _assert_consistent(central, station)
    with station.ctx():
        assert sync_client.pending_count() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Record)
                                 .where(Record.receipt.is_(None))) == 0
        assert installation.get().last_sync_error is None
