"""What one signed request costs central in round trips to PostgreSQL (real PostgreSQL,
real HTTP server): authentication takes at most two."""

from __future__ import annotations

import json

from app.extensions import db
from app.services.sync import station_auth
from tests.support.round_trips import counting
from tests.sync.conftest import call, frame

PULL = json.dumps({"questionnaires": {}}).encode()


def test_explore(enrolled):
    central, station = enrolled
    ids = station.finalised(3)
    station.seal_waiting()
    recs = station.records()
    body = frame([(rid, recs[rid].envelope) for rid in ids])
    headers = station.signed("POST", "/api/v1/records", body)
    with central.ctx():
        engine = db.engine
    with counting(engine) as push:
        answer = call(central.url, "POST", "/api/v1/records", body, headers)
    assert answer.status == 200
    print("PUSH", push, push.messages)
    headers = station.signed("POST", "/api/v1/updates", PULL)
    with counting(engine) as pull:
        answer = call(central.url, "POST", "/api/v1/updates", PULL, headers)
    print("PULL", pull, pull.messages)
    path = "/api/v1/records/known"
    kbody = json.dumps({"records": []}).encode()
    headers = station.signed("POST", path, kbody)
    with central.app.test_request_context():
        with counting(engine) as auth:
            station_auth.authenticate("POST", path, headers, kbody)
    print("AUTH", auth, auth.messages)
    assert 0
