"""Unknown, revoked, forged and replayed requests: 401/409 JSON with a clear message, nothing stored."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from app.crypto import generate_signing_key
from app.extensions import db
from app.protocol import wire
from app.services import installation
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from app.services.sync import station_auth
from tests.sync.conftest import Answer, call, frame, resign

PATH = "/api/v1/records"
PULL = json.dumps({"questionnaires": {}}).encode()  # a pull from a station that holds nothing


def refused(answer: Answer, status: int, code: str, words: str) -> None:
    assert answer.status == status, answer.raw
    assert answer.content_type.startswith("application/json")
    data = answer.json
    assert data["error"] == code
    assert words in data["message"]
    assert "Traceback" not in data["message"]


def batch(station, ids: list[str]) -> bytes:
    recs = station.records()
    return frame([(rid, recs[rid].envelope) for rid in ids], pending=5)


def test_unenrolled_forged_and_replayed_requests_are_refused(central, station):
    # A station that never enrolled cannot even try.
    station.finalised(1)
    with station.ctx(), pytest.raises(SyncFailed, match="not enrolled"):
        sync_client.sync()

    station.enrol(central)
    station.seal_waiting()
    ids = [r for r in station.records()]
    body = batch(station, ids)
    before = central.counts()

    # No signature at all.
    refused(call(central.url, "POST", PATH, body), 401, "unsigned", "not signed")
    # A station central never enrolled (its own id and key, properly signed).
    stranger_key, _ = generate_signing_key()
    headers = resign(station, "POST", PATH, body, 1, int(time.time()), station_id=str(uuid.uuid4()),
                     key=stranger_key)
    refused(call(central.url, "POST", PATH, body, headers), 401, "unknown_station", "not enrolled")
    # The enrolled station's id, signed with another key.
    headers = resign(station, "POST", PATH, body, 10**6, int(time.time()), key=stranger_key)
    refused(call(central.url, "POST", PATH, body, headers), 401, "bad_signature", "does not verify")
    # A good signature over another body (the pending count changed on the way).
    headers = station.signed("POST", PATH, body)
    other = frame([(rid, env) for rid, env in wire.decode_records(body, 200)[1]], pending=6)
    refused(call(central.url, "POST", PATH, other, headers), 401, "bad_signature", "does not verify")
    # A good signature, a flipped bit in it.
    sig = bytearray(headers["X-TS-Signature"].encode())
    sig[5] = ord("A") if sig[5] != ord("A") else ord("B")
    refused(call(central.url, "POST", PATH, body, {**headers, "X-TS-Signature": sig.decode()}), 401,
            "bad_signature", "does not verify")
    # The updates endpoint is guarded the same way.
    refused(call(central.url, "POST", "/api/v1/updates", PULL), 401, "unsigned", "not signed")
    assert central.counts() == before
    assert central.received() == {}

    # Replay: a request captured on the way, sent after the station has moved on further
    # than the window of counters that may still arrive late...
    captured = station.signed("POST", PATH, body)
    later_body = frame([])
    for _ in range(station_auth.WINDOW + 1):
        station.signed("POST", PATH, later_body)  # requests the station made and central never saw
    assert call(central.url, "POST", PATH, later_body, station.signed("POST", PATH, later_body)).status == 200
    refused(call(central.url, "POST", PATH, body, captured), 409, "replayed", "already used")
    assert central.counts() == before
    # ...and the exact bytes of an accepted request, sent again.
    fresh = station.signed("POST", PATH, body)
    first = call(central.url, "POST", PATH, body, fresh)
    assert first.status == 200 and {r["status"] for r in first.json["results"]} == {"accepted"}
    stored = central.counts()
    held = central.received()
    refused(call(central.url, "POST", PATH, body, fresh), 409, "replayed", "already used")
    pull_headers = station.signed("POST", "/api/v1/updates", PULL)
    assert call(central.url, "POST", "/api/v1/updates", PULL, pull_headers).status == 200
    refused(call(central.url, "POST", "/api/v1/updates", PULL, pull_headers), 409, "replayed", "already used")
    assert central.counts() == stored
    assert {k: (v.receipt, v.received_at) for k, v in central.received().items()} == \
           {k: (v.receipt, v.received_at) for k, v in held.items()}


def test_revoked_station_is_refused(enrolled):
    central, station = enrolled
    ids = station.finalised(2)
    with station.ctx():
        sid = str(installation.get().station_id)
    runner = central.app.test_cli_runner()
    result = runner.invoke(args=["stations", "revoke", sid])
    assert result.exit_code == 0 and "Revoked." in result.output, result.output
    listed = runner.invoke(args=["stations", "list"])
    assert sid in listed.output and "revoked" in listed.output
    assert runner.invoke(args=["stations", "revoke", sid]).exit_code != 0  # already revoked
    before = central.counts()

    with station.ctx():
        with pytest.raises(SyncFailed, match="revoked"):
            sync_client.sync()
        assert "revoked" in (installation.get().last_sync_error or "")
        assert sync_client.pending_count() == 2
        db.session.remove()
    body = batch(station, ids)
    refused(call(central.url, "POST", PATH, body, station.signed("POST", PATH, body)), 401, "revoked",
            "revoked")
    refused(call(central.url, "POST", "/api/v1/updates", PULL, station.signed("POST", "/api/v1/updates", PULL)),
            401, "revoked", "revoked")
    assert central.counts() == before
    assert central.received() == {}
