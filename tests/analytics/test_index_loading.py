"""A long index read never holds a page: the read goes to a background thread, the page says
the counts are being prepared (or keeps showing the last counts of the same generation), and
shows the new ones once the read is done. And received records the counts leave out for now
(no facts yet) are said so, under the small-cell rule."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import ReceivedRecord, RecordFacts
from app.roles import Role
from app.services.analytics import index as facts_index
from app.services.analytics import views
from app.services.analytics.index import index_for
from tests.support.facts_rows import add_records, add_station

ADULT = {"tier": "no_indicators", "flags": [], "elements": [], "nationality": "thai", "age_band": "25-34",
         "month": "2026-03"}


def _total(html: str) -> str | None:
    marker = "Screenings matching the filters: "
    return html.split(marker, 1)[1].split("<", 1)[0] if marker in html else None


def _finish_loading(app: Flask) -> None:
    loader = index_for(app)._loader
    assert loader is not None
    loader.join(60)
    assert not loader.is_alive()


def test_a_long_first_read_goes_to_the_background(as_role: Callable[..., FlaskClient], central_app: Flask,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts_index, "SYNC_LOAD_ROWS", 5)  # 12 rows: "too many to read in a request"
    with central_app.app_context():
        add_records(add_station("Mae Sot post"), [ADULT] * 12)
    client = as_role(Role.COORDINATOR)
    index = index_for(central_app)
    with index._lock:  # the background read waits here: it is under way while we look
        page = client.get("/central/")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "The counts are being prepared after a restart" in html
        assert '<meta http-equiv="refresh"' in html and _total(html) is None
        cases = client.get("/central/cases").get_data(as_text=True)
        assert "The counts are being prepared after a restart" in cases and "data-record=" not in cases
        assert index._loading()
    _finish_loading(central_app)
    html = client.get("/central/").get_data(as_text=True)
    assert _total(html) == "12" and "being prepared" not in html and "http-equiv" not in html
    assert index.full_loads == 1  # read once, by the background thread


def test_new_rows_of_the_same_generation_keep_the_last_counts_meanwhile(
        as_role: Callable[..., FlaskClient], central_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        add_records(station, [ADULT] * 6)
    client = as_role(Role.COORDINATOR)
    assert _total(client.get("/central/").get_data(as_text=True)) == "6"  # read in the request: few rows
    monkeypatch.setattr(facts_index, "SYNC_LOAD_ROWS", 5)
    with central_app.app_context():
        add_records(station, [ADULT] * 9)  # a large bundle, say
    index = index_for(central_app)
    with index._lock:
        html = client.get("/central/").get_data(as_text=True)
        assert _total(html) == "6" and "being prepared" not in html  # the last counts, still right
    _finish_loading(central_app)
    assert _total(client.get("/central/").get_data(as_text=True)) == "15"


def test_the_command_line_waits_for_the_read(central_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts_index, "SYNC_LOAD_ROWS", 1)
    with central_app.app_context():
        add_records(add_station("Mae Sot post"), [ADULT] * 3)
    runner = central_app.test_cli_runner()
    result = runner.invoke(args=["dashboard", "--json"])
    assert result.exit_code == 0, result.output
    assert index_for(central_app)._loader is None  # read in the command itself


def _without_facts(station_id: str, count: int) -> None:
    start = int(db.session.scalar(sa.select(sa.func.max(ReceivedRecord.seq))) or 0)
    for n in range(count):
        db.session.add(ReceivedRecord(id=str(uuid.uuid4()), station_id=station_id, seq=start + n + 1,
                                      questionnaire_id="tip-default", questionnaire_version="1",
                                      central_key_id="0" * 16, created_day="2026-03-02", envelope=b"",
                                      envelope_sha256="0" * 64, receipt=b""))
    db.session.commit()


def test_records_not_counted_yet_are_said_so_under_the_small_cell_rule(
        as_role: Callable[..., FlaskClient], central_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "COVERAGE_SECONDS", 0.0)  # counted afresh on every page here
    client = as_role(Role.COORDINATOR)
    with central_app.app_context():
        station = add_station("Mae Sot post")
        add_records(station, [ADULT] * 3)
    assert "data-coverage" not in client.get("/central/").get_data(as_text=True)  # all counted
    with central_app.app_context():
        _without_facts(station, 1)
    html = client.get("/central/").get_data(as_text=True)
    assert "Not every received record is counted yet: hidden of hidden." in html  # 3 and 4: small
    with central_app.app_context():
        add_records(station, [ADULT] * 4)
        _without_facts(station, 2)
    for path in ("/central/", "/central/cases"):
        html = client.get(path).get_data(as_text=True)
        assert "Not every received record is counted yet: 7 of 10." in html, path
    with central_app.app_context():  # the rebuild adds the missing facts: the notice goes
        missing = db.session.scalars(sa.select(ReceivedRecord.id).outerjoin(
            RecordFacts, RecordFacts.record_id == ReceivedRecord.id).where(RecordFacts.id.is_(None))).all()
        for record_id in missing:
            db.session.add(RecordFacts(record_id=record_id, station_id=station, created_day="2026-03-02",
                                       questionnaire_id="tip-default", questionnaire_version="1",
                                       facts=json.dumps(ADULT), source="rebuild"))
        db.session.commit()
    assert "data-coverage" not in client.get("/central/").get_data(as_text=True)


def test_the_coverage_counts_are_kept_for_a_while(central_app: Flask) -> None:
    with central_app.test_request_context():
        station = add_station("Mae Sot post")
        add_records(station, [ADULT] * 6)
        assert views.coverage() is None
        _without_facts(station, 6)
        assert views.coverage() is None  # the count of a moment ago, not counted again
        found = views.coverage(fresh=True)
        assert found is not None and (found.counted, found.received) == (6, 12)
        assert views.coverage() == found
