"""Background sync on the station: the schedule as pure functions, and one live round trip."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.services.sync import client as sync_client
from app.services.sync.client import background as background_sync
from app.services.sync.client import push
from app.services.sync.client.background import BackgroundSync, is_due, next_delay


@pytest.mark.parametrize("interval, failures, expected", [
    (300, 0, 300), (300, 1, 600), (300, 2, 1200), (300, 3, 2400), (300, 4, 3600), (300, 50, 3600),
    (1, 0, 1), (1, 5, 32), (1, 12, 3600), (1, 10_000, 3600),
    (7200, 0, 7200), (7200, 3, 7200),  # an interval above the cap is never shortened
])
def test_next_delay_backs_off_exponentially_up_to_an_hour(interval, failures, expected):
    assert next_delay(interval, failures) == expected


def test_next_delay_needs_a_positive_interval():
    with pytest.raises(ValueError):
        next_delay(0, 0)


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("enrolled, pending, last, due", [
    (False, 5, None, False),
    (True, 0, None, True),  # never pulled
    (True, 3, NOW, True),  # records waiting
    (True, 0, NOW - timedelta(seconds=30), False),  # pulled recently, nothing waiting
    (True, 0, NOW - timedelta(seconds=60), True),  # pull is an interval old
])
def test_is_due(enrolled, pending, last, due):
    assert is_due(enrolled=enrolled, pending=pending, last_sync_at=last, now=NOW, interval=60) is due


def test_start_only_for_a_station_with_an_interval(make_app, installed):
    assert background_sync.start(make_app(sync_interval_seconds=0)) is None
    assert background_sync.start(make_app(role="central", sync_interval_seconds=60)) is None
    app = make_app(sync_interval_seconds=3600)
    worker = background_sync.start(app)
    try:
        assert worker is not None and worker.is_alive()
        assert background_sync.start(app) is worker  # never two threads
        with app.app_context():
            assert background_sync.state() is worker.state
    finally:
        worker.stop()
        worker.join(5)
    assert not worker.is_alive()


def test_create_app_starts_no_thread(make_app):
    app = make_app(sync_interval_seconds=1)
    assert background_sync.EXTENSION not in app.extensions


def test_a_failing_round_never_raises_and_logs_only_the_type(app, installed, monkeypatch, caplog):
    from datetime import datetime as dt

    from app.extensions import db
    from app.models import Installation

    with app.app_context():
        db.session.execute(db.update(Installation).values(enrolled_at=dt.now(UTC)))
        db.session.commit()

    def boom(*args, **kwargs):
        raise RuntimeError("respondent Ma Aye at Mae Sot")

    monkeypatch.setattr(push, "sync", boom)
    worker = BackgroundSync(app, 60)
    with caplog.at_level(logging.WARNING, logger="tip_screen.background_sync"):
        assert worker.round() is False
        assert worker.round() is False
    assert worker.state.failures == 2 and worker.state.last_error_type == "RuntimeError"
    assert "RuntimeError" in caplog.text and "Ma Aye" not in caplog.text
    assert "next try in 240 s" in caplog.text
    monkeypatch.setattr(push, "sync", lambda *a, **k: push.SyncSummary())
    assert worker.round() is True
    assert worker.state.failures == 0 and worker.state.last_error_type is None


def test_a_round_does_nothing_when_not_enrolled(app, installed, monkeypatch):
    monkeypatch.setattr(push, "sync", lambda *a, **k: pytest.fail("must not sync"))
    assert BackgroundSync(app, 60).round() is None


def test_a_round_skips_while_the_sync_page_is_syncing(app, installed, monkeypatch):
    from app.extensions import db
    from app.models import Installation

    with app.app_context():
        db.session.execute(db.update(Installation).values(enrolled_at=datetime.now(UTC)))
        db.session.commit()
    monkeypatch.setattr(push, "sync", lambda *a, **k: pytest.fail("must not sync"))
    with background_sync.SYNC_LOCK:
        assert BackgroundSync(app, 60).round() is None


def test_the_thread_syncs_a_record_with_a_live_central(central, station):
    with station.ctx():
        sync_client.enrol(central.url, central.code())
        sync_client.sync()  # the first pull; now nothing is due
    record_ids = station.finalised(1)
    worker = BackgroundSync(station.app, 1)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with station.ctx():
                if sync_client.pending_count() == 0:
                    break
            time.sleep(0.2)
        with station.ctx():
            assert sync_client.pending_count() == 0
        assert worker.state.failures == 0 and worker.state.rounds >= 1
    finally:
        worker.stop()
        worker.join(15)
    assert not worker.is_alive()
    with central.app.app_context():
        from app.extensions import db
        from app.models import ReceivedRecord

        assert db.session.get(ReceivedRecord, record_ids[0]) is not None
