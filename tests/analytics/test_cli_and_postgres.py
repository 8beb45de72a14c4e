"""``flask dashboard --json`` (same rule as the page) and the index on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask

from app.extensions import db
from app.services import setup
from app.services.analytics import views
from app.services.analytics.filters import Filters
from app.services.analytics.index import index_for
from tests.conftest import PASSPHRASE
from tests.support.facts_rows import add_records, add_station, bump_generation
from tests.support.postgres import fresh_database

CHILD = {"tier": "refer_mdt", "flags": ["flag_child"], "elements": ["forced_criminality"], "nationality": "myanmar"}
ADULT = {"tier": "no_indicators", "flags": [], "elements": [], "nationality": "thai"}


def test_dashboard_json_uses_the_small_cell_rule(central_app: Flask) -> None:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        add_records(station, [CHILD] * 3 + [ADULT] * 8 + [dict(ADULT, tier="possible_victim", nationality="lao")] * 6)
    result = central_app.test_cli_runner().invoke(args=["dashboard", "--json", "--period", "all"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    tier = next(c for c in out["charts"] if c["id"] == "tier")
    counts = {r["code"]: r["count"] for r in tier["rows"]}
    # 3 is small; the 6 hides with it (the smallest that keeps the 3 from being worked out).
    assert counts["refer_mdt"] is None and counts["possible_victim"] is None
    assert counts["no_indicators"] == 8 and tier["total"] == 17
    assert out["small_cell_threshold"] == 5
    filtered = central_app.test_cli_runner().invoke(args=["dashboard", "--json", "--fact", "nationality=thai"])
    assert json.loads(filtered.output)["charts"][0]["total"] == 8
    bad = central_app.test_cli_runner().invoke(args=["dashboard", "--fact", "nationality=atlantis"])
    assert bad.exit_code == 1 and "'atlantis' is not a value of 'nationality'" in bad.output
    plain = central_app.test_cli_runner().invoke(args=["dashboard"])
    assert "refer_mdt: hidden" in plain.output


@pytest.mark.postgres
def test_index_on_postgresql(make_app: Callable[..., Flask]) -> None:
    from flask_migrate import upgrade

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        try:
            with app.app_context():
                upgrade()
                setup.initialise("Central", "admin", PASSPHRASE)
                station = add_station("Mae Sot post")
                add_records(station, [CHILD] * 6 + [ADULT] * 7)
                board = views.dashboard(Filters(), today=date(2026, 3, 20))
                assert board.chart("tier").total == 13  # type: ignore[union-attr]
                add_records(station, [CHILD] * 2)
                flags = views.dashboard(Filters(), today=date(2026, 3, 20)).chart("flags")
                assert dict((r.code, r.count) for r in flags.rows)["flag_child"] == 8  # type: ignore[union-attr]
                bump_generation()
                assert index_for().current().size == 15 and index_for().full_loads == 2
                page = views.cases(Filters.from_args({"f.tier": "refer_mdt"}, date(2026, 3, 20)), per_page=5)
                assert page.total == 8 and len(page.cases) == 5 and page.has_next
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
