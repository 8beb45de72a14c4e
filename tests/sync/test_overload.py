"""Overload: a central with a small admission bound turns a burst away with 503 and
Retry-After, and the stations come back (after that, plus jitter) until every record is in,
once. Real servers: central on PostgreSQL over HTTP, stations on their SQLite files."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, Response, request_finished

from app.extensions import db
from app.models import ReceivedRecord, RecordState
from app.services import installation
from app.services.errors import CentralBusy
from app.services.sync import admission
from app.services.sync.client import push
from tests.conftest import PASSPHRASE
from tests.support.web import login, post_form
from tests.sync.conftest import Central, StationSide, new_station, running_central

pytestmark = pytest.mark.postgres
STATIONS = 3
RECORDS = 4


@pytest.fixture
def small_central(make_app: Callable[..., Flask]) -> Iterator[Central]:
    with running_central(make_app, ingest_slots=1, ingest_slots_per_worker=1) as central:
        yield central


class BusyAnswers:
    """Every 503 central answers, as (status, Retry-After, JSON), as it is sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str | None, Any]] = []
        self.arrived = threading.Condition()

    def note(self, _sender: Flask, response: Response, **_: Any) -> None:
        if response.status_code == 503:
            with self.arrived:
                self.seen.append((response.status_code, response.headers.get("Retry-After"),
                                  response.get_json()))
                self.arrived.notify_all()

    def wait_for(self, count: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.seen) >= count, timeout=60), self.seen


@contextmanager
def busy_answers(central: Central) -> Iterator[BusyAnswers]:
    answers = BusyAnswers()
    request_finished.connect(answers.note, central.app)
    try:
        yield answers
    finally:
        request_finished.disconnect(answers.note, central.app)


@contextmanager
def every_slot_taken(central: Central) -> Iterator[None]:
    """Another worker holds central's only ingest slot (its advisory lock) for the block."""
    with central.ctx():
        conn = db.engine.connect()
        try:
            assert conn.execute(sa.select(sa.func.pg_try_advisory_lock(admission.LOCK_CLASS, 0))).scalar()
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(admission.LOCK_CLASS, 0)))
            conn.close()


def test_a_burst_is_answered_503_with_retry_after_and_every_record_arrives_once(
        small_central: Central, make_app: Callable[..., Flask]) -> None:
    stations = [new_station(make_app) for _ in range(STATIONS)]
    sent: dict[str, tuple[str, str]] = {}  # record id -> (station id, envelope sha256)
    for station in stations:
        station.enrol(small_central)
        ids = station.finalised(RECORDS)
        with station.ctx():
            sid = str(installation.get().station_id)
        for rid, row in station.records().items():
            if rid in ids:
                sent[rid] = (sid, str(row.envelope_sha256))
    summaries: list[push.SyncSummary] = []
    failures: list[BaseException] = []

    def sync(station: StationSide) -> None:
        try:
            with station.ctx():
                summaries.append(push.sync(pull=False))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=sync, args=(s,)) for s in stations]
    with busy_answers(small_central) as seen:
        with every_slot_taken(small_central):
            for thread in threads:
                thread.start()
            seen.wait_for(STATIONS)  # each station's first upload was turned away
        for thread in threads:
            thread.join(timeout=120)
    assert not failures, failures
    assert len(summaries) == STATIONS
    for status, retry_after, body in seen.seen:
        assert status == 503 and body["code"] == 503.1 and body["error"] == "busy"
        assert retry_after is not None and 1 <= int(retry_after) <= admission.MAX_RETRY_SECONDS
    for summary in summaries:
        assert summary.busy >= 1 and summary.marked_synced == RECORDS and summary.accepted == RECORDS
        assert summary.busy_seconds >= summary.busy  # at least the second central asked for, each time
    # Jitter: the stations did not all wait the same time.
    assert len({round(s.busy_seconds, 3) for s in summaries}) == STATIONS
    stored = small_central.received()
    assert {rid: (row.station_id, row.envelope_sha256) for rid, row in stored.items()} == sent
    with small_central.ctx():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord)) == len(sent)
    for station in stations:
        assert {r.state for r in station.records().values()} == {RecordState.SYNCED}
        with station.ctx():
            assert installation.get().last_sync_error is None


def test_busy_central_is_a_calm_status_on_the_sync_page_not_an_error(
        small_central: Central, station: StationSide) -> None:
    station.enrol(small_central)
    station.finalised(2)
    client = station.app.test_client()
    assert login(client, "admin", PASSPHRASE).status_code == 302
    with busy_answers(small_central) as seen, every_slot_taken(small_central):
        answer = post_form(client, "/sync", "/sync/now", {})
        html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert len(seen.seen) == 1  # the page does not keep the officer waiting: one try, then later
    assert "Central is busy right now. Nothing was lost. Sync again after" in html
    assert "flash-error" not in html and "Last problem" not in html
    assert {r.state for r in station.records().values()} == {RecordState.FINAL}  # still waiting, all there
    assert small_central.received() == {}


def test_an_upload_past_the_bound_costs_central_no_slot(small_central: Central) -> None:
    """The slot is given back on every path: held, refused, raised inside the block."""
    with small_central.app.test_request_context():
        with admission.slot():
            with pytest.raises(admission.Overloaded):
                with admission.slot():
                    pass
        with pytest.raises(ValueError), admission.slot():
            raise ValueError("the upload failed")
        with admission.slot():  # free again after both
            pass
        with every_slot_taken(small_central), pytest.raises(admission.Overloaded) as refused:
            with admission.slot():
                pass
        assert refused.value.retry_after >= 1


def test_the_wait_is_what_central_asked_plus_jitter() -> None:
    waits = [push.busy_delay(4.0) for _ in range(50)]
    assert all(4.0 <= w <= 6.0 for w in waits)
    assert len(set(waits)) == len(waits)


def test_a_503_with_retry_after_from_a_load_balancer_is_busy_too() -> None:
    from app.services.sync.client.transport import busy_answer

    busy = busy_answer("7", "text/html", b"<h1>503 Service Unavailable</h1>")
    assert isinstance(busy, CentralBusy) and busy.retry_after == 7
    assert busy_answer(None, "text/html", b"<h1>503</h1>") is None  # an outage, not "come back"
    assert busy_answer(None, "application/json", b'{"code": 503.1}').retry_after == 5.0  # type: ignore[union-attr]
    assert busy_answer("nan", "text/html", b"").retry_after == 5.0  # type: ignore[union-attr]
    assert busy_answer("99999", "text/html", b"").retry_after == 3600.0  # type: ignore[union-attr]
