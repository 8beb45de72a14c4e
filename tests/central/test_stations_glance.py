"""Stations at a glance: last contact, records this month and in all, records waiting at the
station, errors (refused requests and records, with the last problem), clock skew; record
counts below the small-cell threshold are not shown."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.crypto import generate_signing_key
from app.extensions import db
from app.models import ReceivedRecord, Station
from app.protocol import wire
from app.roles import Role
from app.services.central import received as central_records
from app.services.central import stations as central_stations
from tests.central.conftest import FakeStation
from tests.sync.conftest import call, enrolled, frame, resign  # noqa: F401  (enrolled: a fixture)

PATH = "/api/v1/records"


def _row(html: str, station_id: str) -> str:
    match = re.search(rf'<tr data-station="{station_id}">.*?</tr>', html, re.S)
    assert match, html
    return match.group(0)


def _cell(row: str, name: str) -> str:
    match = re.search(rf'<td [^>]*data-count="{name}">(.*?)</td>', row, re.S)
    assert match, row
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _station(app, station_id: str) -> Station:
    with app.app_context():
        db.session.remove()
        station = db.session.get(Station, station_id)
        assert station is not None
        db.session.expunge(station)
        return station


def test_counts_this_month_in_all_and_waiting_small_ones_hidden(central_app, as_role, fake_station):
    small = FakeStation(central_app, "Ban Khlong Luek")
    for result in fake_station.deliver(*[fake_station.envelope() for _ in range(8)]):
        assert result.status.value == "accepted"
    small.deliver(small.envelope(), small.envelope())
    with central_app.app_context():
        # Two of the first station's records arrived last month, one was deleted at central.
        ids = list(db.session.scalars(sa.select(ReceivedRecord.id)
                                      .where(ReceivedRecord.station_id == fake_station.id)))
        last_month = datetime.now(UTC).replace(day=1) - timedelta(days=3)
        db.session.execute(sa.update(ReceivedRecord).where(ReceivedRecord.id.in_(ids[:2]))
                           .values(received_at=last_month))
        db.session.execute(sa.update(ReceivedRecord).where(ReceivedRecord.id == ids[2])
                           .values(deleted_at=datetime.now(UTC), envelope=None))
        db.session.execute(sa.update(Station).where(Station.id == fake_station.id).values(pending=12))
        db.session.execute(sa.update(Station).where(Station.id == small.id).values(pending=3))
        db.session.commit()
    html = as_role(Role.COORDINATOR).get("/central/stations").get_data(as_text=True)
    big = _row(html, fake_station.id)
    assert _cell(big, "month") == "5"  # 8 received, 2 last month, 1 deleted
    assert _cell(big, "records") == "7"
    assert _cell(big, "pending") == "12"
    assert _cell(big, "errors") == "0"
    little = _row(html, small.id)
    for name in ("month", "records", "pending"):
        assert _cell(little, name) == "fewer than 5", name
    assert "2" not in _cell(little, "records") and "3" not in _cell(little, "pending")
    assert "Counts of records from 1 to 4 are shown as “fewer than 5”" in html
    # Nothing is summed across stations: no total could give a hidden count away.
    with central_app.app_context():
        rows = {r.id: r for r in central_stations.overview()}
    assert rows[small.id].records is None and rows[small.id].pending is None
    assert rows[fake_station.id].records_this_month == 5


def test_a_station_with_nothing_sent_shows_zeros_and_its_clock(central_app, as_role, fake_station):
    html = as_role(Role.COORDINATOR).get("/central/stations").get_data(as_text=True)
    row = _row(html, fake_station.id)
    assert _cell(row, "month") == _cell(row, "records") == _cell(row, "pending") == "0"
    assert _cell(row, "errors") == "0" and "Last:" not in row
    assert '<td data-label="Clock">Right time</td>' in row


def test_refused_and_conflicting_records_are_counted_with_the_last_problem(central_app, as_role, fake_station):
    record_id, blob = fake_station.envelope()
    fake_station.deliver((record_id, blob))
    assert _station(central_app, fake_station.id).error_count == 0
    fake_station.deliver((record_id, blob))  # the same bytes again: a duplicate, no error
    assert _station(central_app, fake_station.id).error_count == 0
    _, other = fake_station.envelope(record_id=uuid.UUID(record_id))
    other_station = FakeStation(central_app, "Other post")
    stranger_id, stranger_blob = other_station.envelope()
    results = fake_station.deliver((record_id, other),  # same id, other bytes: a conflict
                                   (stranger_id, stranger_blob))  # another station's: refused
    assert [r.status.value for r in results] == ["conflict", "refused"]
    station = _station(central_app, fake_station.id)
    assert station.error_count == 2
    assert station.last_error_code == "422.2"  # the last one: an envelope of another station
    assert station.last_error_at is not None
    assert _station(central_app, other_station.id).error_count == 0
    html = as_role(Role.COORDINATOR).get("/central/stations").get_data(as_text=True)
    row = _row(html, fake_station.id)
    assert _cell(row, "errors").startswith("2")
    assert "Last: Central could not read the sealed record." in row


def test_a_conflict_found_by_asking_and_one_in_a_usb_bundle_are_counted(central_app, fake_station):
    from app.services.sync import ingest

    record_id, blob = fake_station.envelope()
    fake_station.deliver((record_id, blob))
    with central_app.app_context():
        station = db.session.get(Station, fake_station.id)
        answer = ingest.known(station, [(record_id, "0" * 64), (str(uuid.uuid4()), "0" * 64)])
    assert [r.status.value for r in answer] == ["conflict", "unknown"]
    assert _station(central_app, fake_station.id).error_count == 1
    _, other = fake_station.envelope(record_id=uuid.UUID(record_id))
    with central_app.app_context():
        summary = central_records.import_bundle(fake_station.bundle((record_id, other)), username="admin")
    assert summary.counts == {"conflict": 1}
    station = _station(central_app, fake_station.id)
    assert station.error_count == 2 and station.last_error_code == "409.2"


def test_failed_requests_of_an_enrolled_station_are_counted(enrolled):  # noqa: F811
    """Real HTTP: a forged signature, a replayed counter and a malformed frame of the station
    count against it; a request naming no enrolled station changes no station."""
    central, station = enrolled
    station_id = _station_id(station)
    body = frame([], pending=0)
    stranger_key, _ = generate_signing_key()

    headers = resign(station, "POST", PATH, body, 10**5, int(time.time()), key=stranger_key)
    assert call(central.url, "POST", PATH, body, headers).status == 401
    after_forgery = _station(central.app, station_id)
    assert after_forgery.error_count == 1 and after_forgery.last_error_code == "401.5"

    headers = station.signed("POST", PATH, body)
    assert call(central.url, "POST", PATH, body, headers).status == 200
    assert call(central.url, "POST", PATH, body, headers).status == 409  # the same counter again
    assert _station(central.app, station_id).last_error_code == "409.1"

    bad = wire.MAGIC + b" cut short"
    headers = station.signed("POST", PATH, bad)
    answer = call(central.url, "POST", PATH, bad, headers)
    assert answer.status == 400 and answer.json["code"] == 400.4, answer.raw
    after = _station(central.app, station_id)
    assert after.error_count == 3 and after.last_error_code == "400.4"

    someone = str(uuid.uuid4())
    headers = resign(station, "POST", PATH, body, 1, int(time.time()), station_id=someone, key=stranger_key)
    assert call(central.url, "POST", PATH, body, headers).status == 401
    assert _station(central.app, station_id).error_count == 3


def _station_id(station) -> str:
    from app.services import installation

    with station.ctx():
        return str(installation.get().station_id)
