"""A station clock two years off: flagged, never trusted, nothing refused for it."""

from __future__ import annotations

import json
import time
import types

import sqlalchemy as sa

from app.extensions import db
from app.models import ReceivedRecord, RecordState, Station
from app.protocol.messages import b64
from app.services import installation
from app.services.sync import client as sync_client
from app.services.sync.client import transport
from tests.sync.conftest import call

TWO_YEARS = 2 * 365 * 24 * 3600


def clock(monkeypatch, offset: int) -> None:
    """Only the station's client sees the wrong time; central (same process) keeps the real one."""
    real = time.time
    monkeypatch.setattr(transport, "time", types.SimpleNamespace(time=lambda: real() + offset))


def central_skew(central, station) -> int:
    with station.ctx():
        sid = installation.get().station_id
    with central.ctx():
        db.session.remove()
        station_row = db.session.get(Station, sid)
        assert station_row is not None
        return station_row.clock_skew_seconds


def test_clock_two_years_off_is_flagged_and_ordering_follows_sequence_numbers(enrolled, monkeypatch):
    central, station = enrolled
    order = []

    clock(monkeypatch, +TWO_YEARS)  # station clock two years ahead
    order += station.finalised(3)
    with station.ctx():
        ahead = sync_client.sync()
    assert ahead.marked_synced == 3 and ahead.refused == ahead.conflict == 0
    assert abs(ahead.clock_skew_seconds + TWO_YEARS) < 60
    assert abs(central_skew(central, station) + TWO_YEARS) < 60

    clock(monkeypatch, -TWO_YEARS)  # then two years behind: timestamps go back four years
    order += station.finalised(3)
    result = station.app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert "Marked synced: 3" in result.output
    assert "This laptop's clock is 730 days behind central's." in result.output
    assert "Set the right date and time on this laptop." in result.output
    assert abs(central_skew(central, station) - TWO_YEARS) < 60

    # A request signed by hand with the far-off timestamp: the answer says the skew too.
    order += station.finalised(1)
    rec = station.records()[order[-1]]
    body = json.dumps({"records": [{"id": rec.id, "envelope": b64(rec.envelope)}]}).encode()
    headers = station.signed("POST", "/api/v1/records", body, timestamp=int(time.time()) + TWO_YEARS)
    answer = call(central.url, "POST", "/api/v1/records", body, headers)
    assert answer.status == 200
    assert answer.json["results"][0]["status"] == "accepted"
    assert abs(answer.json["clock_skew_seconds"] + TWO_YEARS) < 60

    # Everything arrived; central orders by the station's sequence numbers, not by its clock.
    local = station.records()
    with central.ctx():
        rows = list(db.session.execute(sa.select(ReceivedRecord.id, ReceivedRecord.seq)
                                       .order_by(ReceivedRecord.seq)))
    assert [rid for rid, _ in rows] == order
    assert [seq for _, seq in rows] == [local[rid].seq for rid in order]
    assert [seq for _, seq in rows] == sorted({seq for _, seq in rows})
    assert all(local[rid].state is RecordState.SYNCED for rid in order[:-1])

    # A right clock clears the flag.
    monkeypatch.setattr(transport, "time", time)
    with station.ctx():
        assert sync_client.sync().clock_skew_seconds == 0
    assert central_skew(central, station) == 0
