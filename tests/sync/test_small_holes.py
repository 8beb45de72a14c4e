"""Small holes, each attacked against real servers: deep or huge JSON, a counter jumping far
ahead, asking about another station's records, and clear times kept to the day."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Station
from app.models.types import UTCDateTime
from app.protocol.messages import b64, read_receipt
from app.services import installation
from app.services.sync import client as sync_client
from app.services.sync import station_auth
from tests.sync.conftest import Answer, call, frame, new_station, resign

DEEP = 100_000


def clear_400(answer: Answer, words: str = "nested too deeply") -> None:
    assert answer.status == 400, answer.raw[:300]
    assert answer.content_type.startswith("application/json")
    data = answer.json
    assert data["error"] and words in data["message"]
    assert b"Traceback" not in answer.raw


@pytest.mark.parametrize("shape", [b"[" * DEEP + b"]" * DEEP, b'{"a":' * DEEP + b"1" + b"}" * DEEP,
                                   b'{"records": ' + b"[" * 40 + b"]" * 40 + b"}"])
def test_deeply_nested_json_gets_400_with_a_message(enrolled, shape):
    central, station = enrolled
    before = central.counts()
    for path in ("/api/v1/enrol", "/api/v1/records/known", "/api/v1/updates"):
        headers = station.signed("POST", path, shape) if path != "/api/v1/enrol" else {}
        clear_400(call(central.url, "POST", path, shape, headers))
    assert central.counts() == before
    # The server is fine afterwards: the station syncs.
    station.finalised(1)
    station.seal_waiting()
    with station.ctx():
        assert sync_client.sync().accepted == 1


def test_a_body_over_4_mb_gets_413_with_a_message(enrolled):
    central, _ = enrolled
    big = b'{"code": "' + b"A" * (4 * 1024 * 1024 + 10) + b'"}'
    for path in ("/api/v1/enrol", "/api/v1/records/known"):
        try:
            answer = call(central.url, "POST", path, big)
        except (BrokenPipeError, ConnectionResetError):
            continue  # the server may close before the upload ends: also a refusal
        assert answer.status == 413 and answer.json["message"]
        assert b"Traceback" not in answer.raw


def test_a_deeply_nested_bundle_file_is_refused_with_a_message(enrolled, tmp_path):
    central, station = enrolled
    with station.ctx():
        sid = installation.get().station_id
    for name, data in {"deep": b"[" * DEEP + b"]" * DEEP,
                       "deep inside": json.dumps({"payload": {"format": "tip-screen-bundle", "version": 1,
                                                              "station_id": sid, "records": []}}).encode()
                       .replace(b'"records": []', b'"records": [' + b"[" * 50 + b"]" * 50 + b"]")}.items():
        path = tmp_path / "deep.tipbundle"
        path.write_bytes(data)
        result = central.app.test_cli_runner().invoke(args=["bundle", "import", str(path)])
        assert result.exit_code != 0, name
        assert "nested too deeply" in result.output and "Nothing was imported" in result.output, result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert central.counts()["received_records"] == 0


def test_a_counter_jumping_far_ahead_is_refused(enrolled):
    central, station = enrolled
    path = "/api/v1/records"
    body = frame([])
    ok = station.signed("POST", path, body)
    assert call(central.url, "POST", path, body, ok).status == 200
    last = int(ok["X-TS-Counter"])
    for jump in (10**9, station_auth.MAX_JUMP + 1):
        answer = call(central.url, "POST", path, body, resign(station, "POST", path, body, last + jump,
                                                              int(time.time())))
        assert answer.status == 401 and answer.json["error"] == "bad_counter"
        assert "too far ahead" in answer.json["message"]
    def last_at_central() -> int:
        with central.ctx():
            db.session.remove()
            row = db.session.get(Station, ok["X-TS-Station"])
            assert row is not None
            return row.last_counter

    assert last_at_central() == last  # nothing moved
    # The station's own next requests still work; a jump right at the bound is accepted.
    with station.ctx():
        assert sync_client.sync().sent == 0
    at_bound = last_at_central() + station_auth.MAX_JUMP
    answer = call(central.url, "POST", path, body, resign(station, "POST", path, body, at_bound, int(time.time())))
    assert answer.status == 200 and last_at_central() == at_bound


def test_known_answers_unknown_for_another_station_records(enrolled, make_app):
    central, station = enrolled
    ids = station.finalised(2)
    station.seal_waiting()
    with station.ctx():
        assert sync_client.sync().accepted == 2
    held = central.received()
    other = new_station(make_app)
    other.enrol(central)
    path = "/api/v1/records/known"
    body = json.dumps({"records": [{"id": rid, "sha256": held[rid].envelope_sha256} for rid in ids]}).encode()
    answer = call(central.url, "POST", path, body, other.signed("POST", path, body))
    assert answer.status == 200
    results = answer.json["results"]
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    assert all(r["receipt"] is None and r["reason"] is None for r in results)
    assert answer.json["receipts_statement"] is None
    # The station that sent them still gets its idempotent answer: duplicate, the same receipt.
    mine = call(central.url, "POST", path, body, station.signed("POST", path, body)).json["results"]
    assert [r["status"] for r in mine] == ["duplicate", "duplicate"]
    assert [r["receipt"] for r in mine] == [b64(held[rid].receipt) for rid in ids]
    # Pushing them as the other station stores nothing of theirs over them.
    recs = station.records()
    push = frame([(rid, recs[rid].envelope) for rid in ids])
    answer = call(central.url, "POST", "/api/v1/records", push, other.signed("POST", "/api/v1/records", push))
    assert {r["status"] for r in answer.json["results"]} == {"refused"}
    assert central.received() == held or {k: v.envelope for k, v in central.received().items()} == \
        {k: v.envelope for k, v in held.items()}


EXACT = {  # table.column: why it needs more than the day (docs/keys.md, "Every clear column")
    "auth_sessions.created_at", "auth_sessions.last_seen_at", "failed_attempts.at",
    "installation.central_key_since", "installation.central_key_changed_at",
}


def test_clear_times_on_the_station_are_kept_to_the_day(enrolled):
    central, station = enrolled
    station.finalised(2)
    station.seal_waiting()
    with station.ctx():
        assert sync_client.sync().marked_synced == 2
    seen = 0
    with station.ctx():
        db.session.remove()
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, UTCDateTime) or f"{table.name}.{column.name}" in EXACT:
                    continue
                for (value,) in db.session.execute(sa.select(column).where(column.is_not(None))):
                    seen += 1
                    assert (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0), \
                        f"{table.name}.{column.name} = {value}"
        for raw in db.session.scalars(sa.text("SELECT receipt FROM records WHERE receipt IS NOT NULL")):
            received_at = read_receipt(bytes(raw)).received_at
            assert len(received_at) == 10 and datetime.fromisoformat(received_at)
    assert seen >= 7  # installation created/enrolled/last sync, the admin and its slot, two receipts
