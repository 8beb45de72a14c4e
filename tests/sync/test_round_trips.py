"""What a signed request costs central on PostgreSQL, counted on the wire (real PostgreSQL,
real HTTP server): authentication takes two round trips, the pool pings nothing, a
connection the server ended is replaced before use, and the host's signing key is read
once per version of its file, in memory only."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.pool import Pool

from app import extensions
from app.extensions import db
from app.services.central import host as central_host
from app.services.sync import station_auth
from tests.conftest import PASSPHRASE
from tests.support.postgres import PG_HOST, PG_PORT, PG_USER
from tests.support.round_trips import counting
from tests.sync.conftest import call, frame

KNOWN = "/api/v1/records/known"
PULL = json.dumps({"questionnaires": {}}).encode()


def _engine(central):  # type: ignore[no-untyped-def]
    with central.ctx():
        return db.engine


def test_authentication_takes_two_round_trips(enrolled):
    central, station = enrolled
    body = json.dumps({"records": []}).encode()
    engine = _engine(central)
    for _ in range(3):  # the same every time, not only on a fresh connection
        headers = station.signed("POST", KNOWN, body)
        with central.app.test_request_context(), counting(engine) as trips:
            signed = station_auth.authenticate("POST", KNOWN, headers, body)
        assert trips.round_trips <= 2, (trips, trips.messages)
        assert [s.split()[0] for s in trips.statements] == ["SELECT", "UPDATE"], trips
        assert signed.counter == int(headers["X-TS-Counter"])
        assert signed.station.last_counter == signed.counter  # the row as this request left it


def test_a_signed_push_and_pull_in_round_trips(enrolled):
    """The whole request, authentication included: no ping, no BEGIN/COMMIT for the
    authentication, one COPY per table for the envelopes and their facts."""
    central, station = enrolled
    ids = station.finalised(3)
    station.seal_waiting()
    recs = station.records()
    body = frame([(rid, recs[rid].envelope) for rid in ids])
    engine = _engine(central)
    with counting(engine) as push:
        answer = call(central.url, "POST", "/api/v1/records", body, station.signed("POST", "/api/v1/records", body))
    assert answer.status == 200 and [r["status"] for r in answer.json["results"]] == ["accepted"] * 3
    assert not any('";"' in m or "SELECT 1" in m for m in push.messages), push.messages  # no ping
    assert sum("COPY" in m for m in push.messages) == 2, push.messages
    # 11 for authentication and the store, 3 for the upload's admission slot (take, release).
    assert push.round_trips <= 14, (push, push.messages)
    known = json.dumps({"records": [{"id": rid, "sha256": recs[rid].envelope_sha256} for rid in ids]}).encode()
    with counting(engine) as resend:
        answer = call(central.url, "POST", KNOWN, known, station.signed("POST", KNOWN, known))
    assert [r["status"] for r in answer.json["results"]] == ["duplicate"] * 3
    assert resend.round_trips <= 6, (resend, resend.messages)
    with counting(engine) as pull:
        answer = call(central.url, "POST", "/api/v1/updates", PULL, station.signed("POST", "/api/v1/updates", PULL))
    assert answer.status == 200
    assert pull.round_trips <= 12, (pull, pull.messages)


def _end_pooled_connections(central) -> int:  # type: ignore[no-untyped-def]
    """What a PostgreSQL restart does to the app's idle pooled connections: ended from the
    server side (waiting until each backend is gone). Returns how many."""
    with central.ctx():
        name = db.engine.url.database
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return len(rows)


def _push_one(central, station) -> int:  # type: ignore[no-untyped-def]
    (rid,) = station.finalised(1)
    station.seal_waiting()
    body = frame([(rid, station.records()[rid].envelope)])
    return call(central.url, "POST", "/api/v1/records", body, station.signed("POST", "/api/v1/records", body)).status


def test_the_request_after_the_server_ended_the_pooled_connections_succeeds(enrolled):
    central, station = enrolled
    assert _push_one(central, station) == 200  # the pool holds connections now
    assert _end_pooled_connections(central) >= 1
    assert _push_one(central, station) == 200
    assert call(central.url, "GET", "/healthz").status == 200
    # The same without the check at checkout (and without a ping): the stale connection is
    # used and the request fails. So it is the check that saved the request above.
    event.remove(Pool, "checkout", extensions._drop_dead_connections)
    try:
        assert _end_pooled_connections(central) >= 1
        assert _push_one(central, station) == 500
    finally:
        event.listen(Pool, "checkout", extensions._drop_dead_connections)
    assert _push_one(central, station) == 200


def _host_public_key(answer) -> str:  # type: ignore[no-untyped-def]
    return str(answer.json["receipts_statement"]["payload"]["host_certificate"]["payload"]["public_key"])


def test_a_new_host_key_is_used_from_the_next_request_and_the_cached_one_stays_off_disk(enrolled):
    central, station = enrolled
    path = Path(central.app.instance_path) / central_host.HOST_FILE

    def push() -> str:
        (rid,) = station.finalised(1)
        station.seal_waiting()
        body = frame([(rid, station.records()[rid].envelope)])
        answer = call(central.url, "POST", "/api/v1/records", body, station.signed("POST", "/api/v1/records", body))
        assert answer.status == 200 and answer.json["results"][0]["status"] == "accepted"
        return _host_public_key(answer)

    old_private = json.loads(path.read_text())["private_key"]
    first = push()
    assert push() == first  # the same key, read once
    result = central.app.test_cli_runner().invoke(args=["keys", "certify-host", "--password-stdin"],
                                                  input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    new_private = json.loads(path.read_text())["private_key"]
    assert new_private != old_private
    renewed = push()  # the server's process never restarted
    assert renewed != first
    # The station takes receipts signed under the new certificate.
    with station.ctx():
        from app.services.sync import client as sync_client

        station.finalised(1)
        assert sync_client.sync().marked_synced >= 1
    # On disk: the new key only in the host file; the old one, cached until the rotation, nowhere.
    for key, allowed in ((old_private, set()), (new_private, {path})):
        raw = base64.b64decode(key)
        found = {p for root in (Path(central.app.instance_path), Path(station.app.instance_path))
                 for p in root.rglob("*") if p.is_file() and (raw in p.read_bytes() or key.encode() in p.read_bytes())}
        assert found == allowed
