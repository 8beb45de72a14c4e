"""Full exports read back with the csv module and openpyxl equal the records decrypted one by
one, in five languages and scripts, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.languages import CODES
from app.questionnaire import show_answer
from app.questionnaire.facts import CatalogWords
from app.roles import Role
from app.services import accounts, questionnaires, unlock
from app.services.central import received
from app.text.zawgyi import to_unicode
from tests.conftest import PASSPHRASE
from tests.exports.conftest import as_dicts, client_as, post_export, read_csv, read_xlsx, station

FREE_TEXT = ("q_respondent_name", "q_compound_location", "q_observation_notes")


def _burmese(testdata: Any) -> tuple[str, str]:
    """A real Zawgyi line and its Unicode, from the shared test pairs."""
    folder: Path = testdata("zawgyi")
    zawgyi = [line for line in (folder / "udhr_mya_zawgyi_out.txt").read_text("utf-8").splitlines()
              if line and not line.startswith("#")][2]
    return zawgyi, to_unicode(zawgyi).text


def _records(testdata: Any) -> list[dict[str, Any]]:
    zawgyi, unicode_text = _burmese(testdata)
    return [
        {"lang": "en", "name": "Jane Doe", "place": "Compound 7, Myawaddy", "notes": "Line one\nline two",
         "citizenship": "vietnamese", "work": ["fishing", "factory"]},
        {"lang": "th", "name": "สมชาย ใจดี", "place": "โรงงานริมแม่น้ำ", "notes": "มีรอยช้ำที่แขน",
         "citizenship": "thai", "work": ["agriculture"]},
        {"lang": "my", "name": unicode_text, "zawgyi": zawgyi, "place": "ရန်ကုန်", "notes": "မှတ်ချက်",
         "citizenship": "myanmar", "work": ["scam_online", "fraud", "gambling"]},
        {"lang": "lo", "name": "ສົມພອນ ແກ້ວມະນີ", "place": "ວຽງຈັນ", "notes": "ບັນທຶກ",
         "citizenship": "lao", "work": []},
        {"lang": "km", "name": "សុខ ចាន់ធា", "place": "ភ្នំពេញ", "notes": "កំណត់ចំណាំ",
         "citizenship": "cambodian", "work": ["domestic"]},
    ]


def _seal(app: Flask, records: list[dict[str, Any]]) -> list[str]:
    post = station(app)
    items = []
    for r in records:
        entries = {
            "q_respondent_name": {"value": r["name"], "lang": r["lang"],
                                  **({"zawgyi_original": r["zawgyi"]} if "zawgyi" in r else {})},
            "q_compound_location": {"value": r["place"], "lang": r["lang"]},
            "q_observation_notes": {"value": r["notes"], "lang": "en"},
            "q_citizenship": {"value": r["citizenship"], "lang": r["lang"]},
            "q_violence": {"value": "yes" if r["work"] else "no", "lang": r["lang"]},
            "q_age": {"value": {"age": 17, "dob": None, "estimated": True}, "lang": r["lang"]},
            "q_hours_per_day": {"value": 14, "lang": r["lang"]},
            "q_followup_date": {"value": {"date": "2026-04-01", "estimated": False}, "lang": "en"},
            "q_paid": {"value": {"special": "declined"}, "lang": r["lang"]},
        }
        if r["work"]:
            entries["q_work_type"] = {"value": r["work"], "lang": r["lang"]}
        items.append(post.envelope(entries=entries, respondent_lang=r["lang"],
                                   outcome={"tier": "possible_victim", "flags": [], "elements": []}))
    post.deliver(*items)
    return [record_id for record_id, _ in items]


def _decrypted(app: Flask, ids: list[str]) -> dict[str, dict[str, Any]]:
    with app.app_context():
        user = accounts.find_user("admin")
        secret = unlock.open_keys(user, PASSPHRASE)
        return {rid: received.open_received(rid, username="admin", secret=secret).body for rid in ids}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_full_export_equals_the_decrypted_records(any_central: Flask, testdata: Any, fmt: str) -> None:
    app = any_central
    ids = _seal(app, _records(testdata))
    bodies = _decrypted(app, ids)
    client, _ = client_as(app, Role.COORDINATOR)
    with app.app_context():
        definition = questionnaires.latest()
    for lang in CODES:
        posted = post_export(client, kind="full", format=fmt, language=lang, answer_languages="1")
        assert posted.response.status_code == 200, posted.response.get_data(as_text=True)[:400]
        table = read_csv(posted.body) if fmt == "csv" else read_xlsx(posted.body)
        ids_row, labels_row = table[0], table[1]
        # Row 2: the labels in the chosen language.
        citizenship = definition.question("q_citizenship")
        assert labels_row[ids_row.index("q_citizenship")] == citizenship.label.get(lang)
        rows = {r["record_id"]: r for r in as_dicts(table)}
        assert set(rows) == set(ids)
        words = CatalogWords(lang)
        for record_id, body in bodies.items():
            row = rows[record_id]
            answers = body["answers"]
            assert row["respondent_language"] == body["respondent_lang"]
            for qid in FREE_TEXT:
                assert row[qid] == answers[qid]["value"]  # as typed, in its script
                assert row[f"{qid}.lang"] == answers[qid]["lang"]
            assert row["q_respondent_name.zawgyi"] == answers["q_respondent_name"].get("zawgyi_original")
            option = citizenship.option(answers["q_citizenship"]["value"])
            assert row["q_citizenship"] == option.value
            assert row["q_citizenship.label"] == option.label.get(lang)
            assert str(row["q_age"]) == "17"  # a number in XLSX, its digits in CSV
            assert row["q_age.label"] == show_answer(definition.question("q_age"), answers["q_age"]["value"], words)
            assert str(row["q_hours_per_day"]) == "14"
            assert row["q_followup_date"] == "2026-04-01"
            assert row["q_paid"] == "__declined__"
            assert row["q_violence"] == answers["q_violence"]["value"]
            work = answers.get("q_work_type", {}).get("value")
            work_question = definition.question("q_work_type")
            for opt in work_question.options:
                expected = None if work is None else int(opt.value in work)
                cell = row[f"q_work_type/{opt.value}"]
                assert (None if cell is None else int(cell)) == expected, (record_id, opt.value)
            if work:
                assert row["q_work_type"] == " ".join(work)
                assert row["q_work_type.label"] == "; ".join(work_question.option(v).label.get(lang) for v in work)
            else:
                assert row["q_work_type"] is None
            assert row["tier"] == "possible_victim"
