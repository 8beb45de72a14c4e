"""Same id and same bytes: the same receipt. Same id, other bytes: conflict. Deleted: refused."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import sqlalchemy as sa

from app.crypto import encrypt_body, new_data_key, parse_envelope, seal_envelope
from app.extensions import db
from app.models import Record, RecordState
from app.protocol import problems
from app.protocol.messages import read_receipt
from app.services import installation, records
from app.services.records import store
from app.services.sync import client as sync_client
from app.services.sync import ingest
from app.services.sync.client import push as push_client
from tests.sync.conftest import call, frame

PATH = "/api/v1/records"


def other_envelope(station, record_id: str) -> bytes:
    """A second envelope for the same record id, really signed by the same station."""
    with station.ctx():
        inst = installation.get()
        rec = db.session.get(Record, record_id)
        header = replace(store.header_of(rec), version=1)  # another layout, same id
        data_key = new_data_key()
        body = encrypt_body(header, json.dumps({"answers": {"q_respondent_name": "Someone else"}}).encode(),
                            data_key)
        assert inst.central_public_key is not None
        return seal_envelope(header, body, data_key, inst.central_public_key,
                             station.secret.signing)


def push(central, station, envelopes: list[tuple[str, bytes]]) -> list[dict]:
    body = frame(envelopes)
    answer = call(central.url, "POST", PATH, body, station.signed("POST", PATH, body))
    assert answer.status == 200, answer.raw
    results: list[dict] = answer.json["results"]
    assert [r["id"] for r in results] == [rid for rid, _ in envelopes]
    return results


def test_identical_resend_is_a_no_op_with_the_same_receipt(enrolled):
    central, station = enrolled
    ids = station.finalised(3)
    with station.ctx():
        assert sync_client.sync().marked_synced == 3
    synced = station.records()
    held_before = central.received()
    for _ in range(2):
        results = push(central, station, [(rid, synced[rid].envelope) for rid in ids])
        for item in results:
            assert item["status"] == "duplicate" and item["reason"] is None
            receipt = base64.b64decode(item["receipt"])
            assert receipt == synced[item["id"]].receipt == held_before[item["id"]].receipt
    # The same record twice in one batch is settled once.
    twice = push(central, station, [(ids[0], synced[ids[0]].envelope)] * 2)
    assert [r["status"] for r in twice] == ["duplicate", "duplicate"]
    held_after = central.received()
    assert len(held_after) == 3
    for rid in ids:
        assert (held_after[rid].envelope, held_after[rid].receipt, held_after[rid].received_at) == \
               (held_before[rid].envelope, held_before[rid].receipt, held_before[rid].received_at)
    # The station syncing again finds nothing to send and changes nothing.
    with station.ctx():
        summary = sync_client.sync()
    assert summary.sent == 0 and summary.pending_after == 0


def test_other_content_under_the_same_id_is_a_conflict_and_the_original_is_kept(enrolled):
    central, station = enrolled
    first, second = station.finalised(2)
    with station.ctx():
        assert sync_client.sync().marked_synced == 2
    synced = station.records()
    held = central.received()

    forged = other_envelope(station, first)
    assert forged != synced[first].envelope
    assert parse_envelope(forged).record_id == parse_envelope(synced[first].envelope).record_id
    [result] = push(central, station, [(first, forged)])
    assert result["status"] == "conflict"
    assert result["reason"] == "different_content_same_id"
    assert result["receipt"] is None
    after = central.received()
    assert after[first].envelope == held[first].envelope == synced[first].envelope
    assert after[first].envelope_sha256 == synced[first].envelope_sha256
    assert after[first].receipt == synced[first].receipt
    assert station.records()[first].state is RecordState.SYNCED

    # The other way round: central got another envelope first; the station's own is the conflict.
    third = station.finalised(1)[0]
    mine = station.records()[third]
    theirs = other_envelope(station, third)
    assert push(central, station, [(third, theirs)])[0]["status"] == "accepted"
    with station.ctx():
        summary = sync_client.sync()
    assert summary.conflict == 1 and summary.marked_synced == 0 and summary.pending_after == 0
    assert any(third in p and "conflict" in p for p in summary.problems)
    assert station.records()[third].state is RecordState.FINAL
    assert station.records()[third].receipt is None
    assert station.records()[third].sync_problem == problems.SAME_ID_OTHER_CONTENT.stored
    kept = central.received()[third]
    assert kept.envelope == theirs and kept.envelope_sha256 != mine.envelope_sha256
    assert len(central.received()) == 3


def test_a_record_central_deleted_is_refused(enrolled, monkeypatch):
    central, station = enrolled
    [gone] = station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    synced = station.records()[gone]
    with central.ctx():
        assert ingest.delete_record(gone)
    [result] = push(central, station, [(gone, synced.envelope)])
    assert result["status"] == "refused" and result["reason"] == "deleted_at_central"
    assert result["receipt"] is None
    row = central.received()[gone]
    assert row.deleted_at is not None and row.envelope is None

    # Records deleted at central before this station heard back: refused, kept here with the
    # reason but out of the outbox, and (with a tiny batch) they do not stop the records after
    # them from syncing.
    monkeypatch.setattr(push_client, "BATCH", 2)
    early = station.finalised(3)
    mine = station.records()
    push(central, station, [(rid, mine[rid].envelope) for rid in early])
    with central.ctx():
        for rid in early:
            assert ingest.delete_record(rid)
    later = station.finalised(3)
    with station.ctx():
        summary = sync_client.sync()
    assert summary.refused == 3 and summary.marked_synced == 3
    assert summary.pending_after == 0
    now = station.records()
    assert all(now[rid].state is RecordState.FINAL and now[rid].receipt is None for rid in early)
    assert {now[rid].sync_problem for rid in early} == {problems.DELETED_AT_CENTRAL.stored}
    assert all(now[rid].envelope and now[rid].local_wrap for rid in early), "kept, and readable here"
    with station.ctx():
        assert records.sync_problems() == {problems.DELETED_AT_CENTRAL: 3}
        assert sync_client.status()["counts"]["not_accepted"] == 3
        # The next sync does not ask about them again.
        again = sync_client.sync()
    assert again.sent == 0 and again.refused == 0
    # Sent again on request (after the problem was sorted out at central): refused again here.
    with station.ctx():
        assert records.retry_sync_problems() == 3
        assert sync_client.pending_count() == 3
        retried = sync_client.sync()
    assert retried.sent == 3 and retried.refused == 3 and retried.pending_after == 0
    held = central.received()
    for rid in later:
        assert now[rid].state is RecordState.SYNCED
        assert read_receipt(now[rid].receipt).record_id == rid
        assert now[rid].receipt == held[rid].receipt
    assert all(held[rid].envelope is None for rid in early)
    assert set(held) == {gone, *early, *later}


def test_a_batch_mixing_a_known_and_a_new_record_gets_both_receipts(central, station):
    """One record central already holds next to a new one: both settle, each with a receipt."""
    from app.services.sync import client as sync_client
    from app.services.sync import ingest

    station.finalised(1)
    with station.ctx():
        sync_client.enrol(central.url, central.code("Mixed batch post"))
    station.seal_waiting()
    with station.ctx():
        sync_client.sync(pull=False)
    station.finalised(1)
    with station.ctx():
        rows = list(db.session.scalars(sa.select(Record).order_by(Record.seq)))
        items = [(r.id, r.envelope) for r in rows]
        station_id = rows[0].station_id
    with central.app.app_context():
        from app.models import Station

        results = ingest.ingest(db.session.get(Station, station_id), items)
    assert [r.status for r in results] == ["duplicate", "accepted"]
    assert all(r.receipt for r in results)


def test_records_another_worker_stored_meanwhile_are_settled_one_by_one(enrolled, monkeypatch):
    """The batch's COPY meets a row stored after this request looked (another worker, the
    same records): the whole COPY is refused by the unique key, nothing half-stored, and each
    record is answered on its own: the same bytes a duplicate with the first receipt, other
    bytes a conflict, the new one accepted, and each record and its facts row stored once."""
    from app.models import ReceivedRecord, RecordFacts, Station

    central, station = enrolled
    ids = station.finalised(3)
    station.seal_waiting()
    recs = station.records()
    first = push(central, station, [(ids[0], recs[ids[0]].envelope), (ids[1], recs[ids[1]].envelope)])
    assert [r["status"] for r in first] == ["accepted", "accepted"]
    conflicting = other_envelope(station, ids[1])
    with central.ctx():
        monkeypatch.setattr(ingest, "_held", lambda _ids: {})  # as if looked before they arrived
        sender = db.session.get(Station, parse_envelope(recs[ids[0]].envelope).header.station_id)
        answer = ingest.ingest(sender, [(ids[0], recs[ids[0]].envelope), (ids[1], conflicting),
                                        (ids[2], recs[ids[2]].envelope)])
        assert [(r.id, r.status.value) for r in answer] == [
            (ids[0], "duplicate"), (ids[1], "conflict"), (ids[2], "accepted")]
        assert answer[0].receipt == base64.b64decode(first[0]["receipt"])
        db.session.remove()
        for model, column in ((ReceivedRecord, ReceivedRecord.id), (RecordFacts, RecordFacts.record_id)):
            counts = dict(db.session.execute(sa.select(column, sa.func.count()).group_by(column)).all())
            assert counts == {rid: 1 for rid in ids}, model.__name__
