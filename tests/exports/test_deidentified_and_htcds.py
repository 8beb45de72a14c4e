"""De-identified exports (facts only, sorted by value, a summary sheet through the small-cell
rule), HTCDS-named columns against the definition's mapping, and the password-protected zip."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime

import pytest
import pyzipper
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import ExportRun, RecordFacts
from app.questionnaire import htcds
from app.roles import Role
from app.services import questionnaires
from app.services.analytics import views
from app.services.analytics.filters import Filters
from app.services.central import audit
from tests.exports.conftest import (
    as_dicts,
    audit_entries,
    client_as,
    post_export,
    read_csv,
    read_xlsx,
    station,
)

PEOPLE = [  # (citizenship, sex, work, tier)
    ("lao", "female", ["factory"], "refer_mdt"),
    ("lao", "male", ["fishing", "factory"], "refer_mdt"),
    ("lao", "female", [], "possible_victim"),
    ("lao", "female", ["domestic"], "labour_rights"),
    ("lao", "male", ["construction"], "no_indicators"),
    ("lao", "female", ["factory"], "refer_mdt"),
    ("thai", "male", ["agriculture"], "possible_victim"),
    ("thai", "female", ["begging"], "refer_mdt"),
]


@pytest.fixture
def central(sqlite_central: Flask) -> Flask:
    post = station(sqlite_central)
    items = []
    for n, (citizenship, sex, work, tier) in enumerate(PEOPLE):
        answers = {"q_consent_interview": "yes", "q_respondent_name": f"Person {n}", "q_citizenship": citizenship,
                   "q_sex": sex, "q_violence": "yes" if tier == "refer_mdt" else "no"}
        if work:
            answers["q_work_type"] = work
        items.append(post.envelope(answers, outcome={"tier": tier, "flags": [], "elements": []}))
    post.deliver(*items)
    return sqlite_central


def test_rows_are_the_facts_and_nothing_else(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR)
    posted = post_export(client, kind="deidentified", format="csv")
    assert posted.response.status_code == 200
    assert b"Person" not in posted.body  # no name, no free text
    table = read_csv(posted.body)
    assert "record_id" not in table[0] and "seq" not in table[0] and "created_day" not in table[0]
    rows = as_dicts(table)
    with central.app_context():
        stored = [json.loads(f) for f in db.session.scalars(sa.select(RecordFacts.facts))]
    assert Counter((r["nationality"], r["sex"], r["tier"]) for r in rows) == \
        Counter((f["nationality"], f["sex"], f["tier"]) for f in stored)
    for row in rows:
        work = (row["exploitation"] or "").split()
        for code in ("factory", "fishing", "domestic"):
            assert int(row[f"exploitation/{code}"]) == (code in work)
    # Sorted by the values: the order says nothing about when a record arrived.
    keys = [(r["nationality"], r["sex"]) for r in rows]
    assert keys != [(p[0], p[1]) for p in PEOPLE]


def test_summary_sheet_is_the_dashboard_with_small_counts_hidden(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR)
    posted = post_export(client, kind="deidentified", format="xlsx", language="en")
    assert posted.response.status_code == 200
    records = read_xlsx(posted.body, 0)
    assert len(records) == 2 + len(PEOPLE)
    summary = read_xlsx(posted.body, 1)
    with central.app_context():
        board = views.dashboard(Filters(), today=datetime.now(UTC).date())
    counts = {(r[0], r[1]): r[3] for r in summary[1:] if len(r) >= 4 and r[1] is not None}
    nationality = board.chart("nationality")
    title = nationality.spec.label("en")
    for row in nationality.rows:
        assert counts[(title, row.code)] == (row.count if row.count is not None else "hidden")
    assert counts[(title, "thai")] == "hidden"  # 2 of 8: below the threshold of 5
    shown = [v for v in counts.values() if isinstance(v, int)]
    assert all(v == 0 or v >= 5 for v in shown)


def test_htcds_names_follow_the_mapping(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR)
    with central.app_context():
        definition = questionnaires.latest()
    posted = post_export(client, kind="deidentified", format="csv", htcds="1")
    table = read_csv(posted.body)
    for column in htcds.fact_columns(definition):
        assert column.name in table[0]
    rows = as_dicts(table)
    assert Counter(r["prs_Citizenship"] for r in rows) == {"LA": 6, "TH": 2}
    assert Counter(r["vic_TraffickingStatus"] for r in rows) == {htcds.POSSIBLE: 6, None: 2}
    assert b"ActualVictimOfTrafficking" not in posted.body

    posted = post_export(client, kind="full", format="csv", htcds="1")
    table = read_csv(posted.body)
    names = table[0]
    for column in htcds.question_columns(definition):
        assert column.name in names, column
    # Questions without an HTCDS name keep their id.
    assert "q_respondent_name" in names and "q_citizenship" not in names
    rows = as_dicts(table)
    assert Counter(r["prs_Citizenship"] for r in rows) == {"LA": 6, "TH": 2}
    assert Counter(r["vic_MethodsOfControl_PhysicalAbuse"] for r in rows) == {"1": 4, "0": 4}
    factory = next(c.name for c in htcds.question_columns(definition) if c.option == "factory")
    assert Counter(r[factory] for r in rows) == {"1": 3, "0": 4, None: 1}
    assert b"ActualVictimOfTrafficking" not in posted.body


def test_zip_opens_with_the_password_shown_once(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR)
    page = client.get("/central/export").get_data(as_text=True)
    again = client.get("/central/export").get_data(as_text=True)
    posted = post_export(client, kind="full", format="zip")
    assert posted.response.status_code == 200
    assert posted.password not in page and posted.password not in again  # a new one each page view
    with pyzipper.AESZipFile(io.BytesIO(posted.body)) as archive:
        (name,) = archive.namelist()
        assert name.endswith(".csv")
        with pytest.raises(RuntimeError):
            archive.read(name, pwd=b"not-the-password")
        inner = archive.read(name, pwd=posted.password.encode())
    assert b"Person 0" in inner and b"Person 0" not in posted.body
    assert len(read_csv(inner)) == 2 + len(PEOPLE)
    # Never stored: not in the audit log, not in the run's row.
    for entry in audit_entries(central, audit.EXPORT, audit.EXPORT_DONE):
        assert posted.password not in entry.detail
    with central.app_context():
        run = db.session.get(ExportRun, posted.run)
        assert run is not None and posted.password not in repr(vars(run))
