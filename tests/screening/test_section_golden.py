"""Golden pages: every section page of the default questionnaire, for every pair of interface and
respondent language, is byte for byte what the committed files in golden/ hold (made before the
labels were prepared once per questionnaire version and language pair, so that work changed
nothing a person sees). What differs on every run is masked: the form token, the record's id,
the page's unsaved-answers key and the answers' save times.

Each pair's file holds, one after the other: the eleven sections answered (interpreter's view),
the same in the show-card view, the safety section posted with a bad age (the 400 page with the
posted values and the error), and the referral section once a signed directory is held.

To make the files again (only when a page is meant to change):
``TIP_SCREEN_WRITE_GOLDEN=1 .venv/bin/python -m pytest tests/screening/test_section_golden.py``
"""

from __future__ import annotations

import difflib
import lzma
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import languages
from tests.support.interview import Interview
from tests.support.web import csrf_from, login

GOLDEN = Path(__file__).resolve().parent / "golden"
LANGS = (*languages.TRANSLATED, languages.DEFAULT)
SECTIONS = ("setup", "consent", "safety", "background", "recruitment", "work", "control",
            "forced_criminality", "child", "observations", "referral")
ANSWERS = {
    "q_consent_interview": "yes", "q_consent_mdt": "no", "q_consent_cross_border": "yes",
    "q_respondent_name": "Ma Aye <b>", "q_location_type": "checkpoint", "q_others_present": "no",
    "q_needs_doctor": "yes", "q_age": {"age": "16", "estimated": "1"}, "q_maybe_child": "yes",
    "q_basic_needs": ["food", "water"], "q_work_type": ["scam_online"], "q_paid": "partly",
    "q_hours_per_day": "14", "q_citizenship": "myanmar",
    "q_observation_notes": "Tired; \"careful\" & quiet.",
}
PAGE_MARK = "\n===== {} =====\n"
MASKS = (
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"'), r'\1CSRF"'),
    (re.compile(r'(<script type="application/json" id="unsaved-key">)[^<]*'), r"\1KEY"),
    (re.compile(r'("at": ?")[^"]+"'), r'\1AT"'),
)


def _masked(html: str, record_id: str) -> str:
    html = html.replace(record_id, "RECORD")
    for pattern, replacement in MASKS:
        html = pattern.sub(replacement, html)
    return html


def _set_ui(client, lang: str) -> None:
    token = csrf_from(client.get("/screenings/new").get_data(as_text=True))
    response = client.post("/language", data={"lang": lang, "next": "/", "csrf_token": token})
    assert response.status_code == 302


def _publish_directory(app) -> None:
    """A signed directory held by the station, as the referral tests make one."""
    from app.crypto import generate_signing_key
    from app.extensions import db
    from app.models import Installation
    from app.protocol.directory import to_json
    from app.protocol.identity import make_directory_statement
    from app.services import referrals
    from tests.directory.test_proposals import ALL

    private, public = generate_signing_key()
    with app.app_context():
        inst = db.session.scalar(sa.select(Installation))
        inst.central_signing_public_key = public
        db.session.commit()
        statement = make_directory_statement(private, 1, datetime(2026, 1, 1, tzinfo=UTC),
                                             [to_json(o) for o in ALL])
        referrals.take(statement, source="file")


def _start(client, resp: str) -> Interview:
    token = csrf_from(client.get("/screenings/new").get_data(as_text=True))
    response = client.post("/screenings/new", data={"respondent_lang": resp, "csrf_token": token})
    assert response.status_code == 302
    return Interview(client, response.headers["Location"].split("/")[2], token)


def _pages(app, client, make_user, ui: str) -> dict[str, str]:
    """Every page of every pair with this interface language: {respondent language: text}."""
    from app.services import questionnaires

    with app.app_context():
        assert tuple(s.id for s in questionnaires.latest().sections) == SECTIONS  # every section page
    pages: dict[str, list[str]] = {}
    interviews = {}
    creds = make_user("officer", username="golden")  # the name is on every page
    assert login(client, creds["username"], creds["passphrase"]).status_code == 302
    _set_ui(client, ui)
    for resp in LANGS:
        interview = interviews[resp] = _start(client, resp)
        assert interview.autosave(**ANSWERS).status_code == 200
        out = pages[resp] = []
        for view in ("", "?view=card"):
            for section in SECTIONS:
                page = client.get(f"/screenings/{interview.id}/s/{section}{view}")
                assert page.status_code == 200, (ui, resp, section)
                out.append(PAGE_MARK.format(section + view) + _masked(page.get_data(as_text=True), interview.id))
        html = interview.page("safety").get_data(as_text=True)
        bad = client.post(f"/screenings/{interview.id}/s/safety", data={
            "csrf_token": csrf_from(html), "go": "next", "seen-q_age": "x", "q-q_age-age": "two hundred"})
        assert bad.status_code == 400, (ui, resp)
        out.append(PAGE_MARK.format("safety posted with an error") + _masked(bad.get_data(as_text=True), interview.id))
    _publish_directory(app)
    for resp, interview in interviews.items():
        page = interview.page("referral")
        assert page.status_code == 200 and "data-organisation=" in page.get_data(as_text=True)
        pages[resp].append(PAGE_MARK.format("referral with a directory")
                           + _masked(page.get_data(as_text=True), interview.id))
    return {resp: "".join(parts) for resp, parts in pages.items()}


def _first_difference(expected: str, got: str) -> str:
    diff = difflib.unified_diff(expected.splitlines(), got.splitlines(), "golden", "now", n=2, lineterm="")
    return "\n".join(list(diff)[:60])


@pytest.fixture
def app(make_app):
    return make_app(post_province="Tak")  # the directory proposes by province


@pytest.mark.parametrize("ui", LANGS)
def test_section_pages_are_byte_identical_to_the_golden_files(app, client, make_user, ui):
    pages = _pages(app, client, make_user, ui)
    writing = os.environ.get("TIP_SCREEN_WRITE_GOLDEN") == "1"
    for resp, text in pages.items():
        path = GOLDEN / f"section-{ui}-{resp}.txt.xz"
        if writing:
            GOLDEN.mkdir(exist_ok=True)
            path.write_bytes(lzma.compress(text.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
            continue
        expected = lzma.decompress(path.read_bytes()).decode("utf-8")
        assert text == expected, f"interface {ui}, respondent {resp}:\n{_first_difference(expected, text)}"
    assert not writing, "golden files written; run again without TIP_SCREEN_WRITE_GOLDEN"
