"""The facts index: refreshed from new rows, reloaded after a generation bump, counted right."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import RecordFacts
from app.services.analytics import views
from app.services.analytics.filters import Filters
from app.services.analytics.index import index_for
from tests.support.facts_rows import add_records, add_station, bump_generation

TODAY = date(2026, 3, 20)


def child(nationality: str = "myanmar") -> dict[str, object]:
    return {"tier": "refer_mdt", "flags": ["flag_child"], "elements": ["exploitation", "forced_criminality"],
            "nationality": nationality, "age_band": "12-14"}


def adult(nationality: str = "thai") -> dict[str, object]:
    return {"tier": "no_indicators", "flags": [], "elements": [], "nationality": nationality, "age_band": "25-34"}


def test_index_reads_new_rows_and_reloads_after_a_generation_bump(central_app: Flask) -> None:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        add_records(station, [adult()] * 6)
        index = index_for()
        first = index.current()
        assert first.size == 6 and index.full_loads == 1
        add_records(station, [child()] * 7)
        second = index.current()
        assert second.size == 13 and index.full_loads == 1  # only the new rows were read
        assert second.last_id > first.last_id
        assert first.size == 6  # the old snapshot is untouched (readers keep theirs)
        # A deletion bumps the generation: the index starts again and forgets the deleted rows.
        db.session.execute(sa.delete(RecordFacts).where(RecordFacts.id <= first.last_id))
        db.session.commit()
        bump_generation()
        third = index.current()
        assert third.size == 7 and index.full_loads == 2


def test_counts_and_filters(central_app: Flask) -> None:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        other = add_station("Ranong post")
        add_records(station, [child()] * 6 + [adult()] * 9)
        add_records(other, [child("cambodia")] * 2 + [adult()] * 5, day="2026-01-10")
        board = views.dashboard(Filters(), today=TODAY)
        tier = board.chart("tier")
        assert tier is not None and tier.total == 22
        assert dict((r.code, r.count) for r in tier.rows)["refer_mdt"] == 8
        nationality = dict((r.code, r.count) for r in board.chart("nationality").rows)  # type: ignore[union-attr]
        # cambodia (2) is small; myanmar (6) hides with it so the 2 cannot be worked out.
        assert nationality["cambodia"] is None and nationality["myanmar"] is None and nationality["thai"] == 14
        flags = dict((r.code, r.count) for r in board.chart("flags").rows)  # type: ignore[union-attr]
        assert flags["flag_child"] == 8
        share = board.chart("forced_criminality_share")
        assert share is not None and [r.count for r in share.rows] == [8, 14]
        stations = dict((r.code, r.count) for r in board.chart("stations").rows)  # type: ignore[union-attr]
        assert stations == {station: 15, other: 7}
        filtered = views.dashboard(Filters.from_args({"f.flags": "flag_child", "station": station}, TODAY),
                                   today=TODAY)
        assert filtered.chart("tier").total == 6  # type: ignore[union-attr]
        by_month = views.dashboard(Filters(), today=TODAY, unit="month").chart("time")
        assert [(r.code, r.count) for r in by_month.rows] == [("2026-01", 7), ("2026-02", 0), ("2026-03", 15)]  # type: ignore[union-attr]
        by_week = views.dashboard(Filters.from_args({"period": "30d"}, TODAY), today=TODAY, unit="week")
        assert by_week.chart("time").total == 15  # type: ignore[union-attr]


def test_case_list_sorts_pages_and_hides_small_totals(central_app: Flask) -> None:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        ids = add_records(station, [adult()] * 3 + [child()] * 3)
        page = views.cases(Filters(), sort="tier", descending=False, per_page=4)
        assert page.total == 6 and page.has_next
        assert [c.facts["tier"] for c in page.cases] == ["refer_mdt"] * 3 + ["no_indicators"]
        assert page.cases[0].record_id == ids[-1]  # newest first among equals
        second = views.cases(Filters(), sort="tier", descending=False, page=2, per_page=4)
        assert len(second.cases) == 2 and not second.has_next
        few = views.cases(Filters.from_args({"f.tier": "refer_mdt"}, TODAY))
        assert len(few.cases) == 3 and few.total is None  # 3 is a small count: not shown
        found = views.search("Mae Sot post 2")
        assert [m.record_id for m in found] == [ids[1]]
        assert [m.record_id for m in views.search(ids[4][:8])] == [ids[4]]


def test_a_total_one_chart_hides_is_hidden_in_every_chart(central_app: Flask) -> None:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        # Five records, one of each nationality: the five ones cannot be protected with the total shown.
        add_records(station, [adult(n) for n in ("thai", "myanmar", "lao", "cambodian", "vietnamese")])
        board = views.dashboard(Filters(), today=TODAY)
        assert all(chart.total is None for chart in board.charts)
        tier = board.chart("tier")
        assert tier is not None and any(r.count is None for r in tier.rows)  # the 5 does not give the total away
