"""Canaries typed through the real pages never reach the disk, the logs or the temp directory.

A canary in each script the station serves (Thai, Burmese, Lao, Khmer,
Latin) goes in as a respondent's name and as free text, through the real
HTTP server: the section form (no JavaScript) and the autosave request (the
JavaScript path), then the record is finalised and sealed. We then look for
each canary, in UTF-8, UTF-16 (both byte orders), JSON and URL escapes, in the
SQLite file and its -wal and -shm, everything in the instance directory, the
captured logs, the temp files written meanwhile and the cookie a browser
would keep: while still logged in (key unlocked) and again after Lock.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest

from app.config import SQLITE_NAME
from app.services import records
from tests.records.http import Browser
from tests.records.scan import files_under, forms, hits, labels, scan_files, temp_files_since

CANARIES = {
    "th": "แคนารี่ทดสอบ",
    "my": "ကနရီစမ်းသပ်",
    "lo": "ທົດສອບຄານາຣີ",
    "km": "សាកល្បងកាណារី",
    "en": "CanaryLatin",
}
SEEN_RE = r'name="seen-{qid}" value="([^"]*)"'


def _unique(base: str) -> str:
    # Unique per run, so a hit can only come from this run.
    return f"{base}{time.monotonic_ns() % 100000:05d}"


def test_scanner_finds_every_encoding():
    """The scan below can fail: it finds a canary in each encoding it claims to check."""
    text = CANARIES["my"]
    for name, encoded in forms(text).items():
        assert hits(b"xx" + encoded + b"yy", [text]), name
    assert not hits(b"nothing here", [text])


def _leaks(app, start: float, canaries: list[str], caplog, browser: Browser) -> list[object]:
    instance = Path(app.instance_path)
    db_files = [instance / SQLITE_NAME, instance / f"{SQLITE_NAME}-wal", instance / f"{SQLITE_NAME}-shm"]
    assert db_files[0].stat().st_size > 0
    found: list[object] = labels(scan_files([*db_files, *files_under(instance)], canaries), canaries)
    found += labels(scan_files(temp_files_since(start), canaries), canaries)
    found += [("caplog", canaries.index(t), e) for t, e in hits(caplog.text.encode(), canaries)]
    # What a browser on the laptop keeps on disk: its cookies (Flask's are signed, not encrypted).
    serializer = app.session_interface.get_signing_serializer(app)
    for cookie in browser.jar:
        raw = cookie.value or ""
        decoded = repr(serializer.loads(raw)) if cookie.name == "tip_session" else ""
        for t, e in hits((raw + decoded).encode(), canaries):
            found.append(("cookie", canaries.index(t), e))
    return found


@pytest.mark.parametrize("enrolled", [True, False], ids=["sealed", "waiting"])
def test_canaries_through_the_pages_leave_no_trace(live_app, central, caplog, enrolled):
    caplog.set_level(logging.DEBUG)  # even with every logger at DEBUG (SQL statements included)
    app, url = live_app
    start = time.time()
    if enrolled:
        with app.app_context():
            records.set_central_key(central.public, central.key_id)
    canaries = {lang: _unique(text) for lang, text in CANARIES.items()}
    every = list(canaries.values())
    browser = Browser(url)
    assert browser.login("admin", "long enough test phrase").status == 200
    made: dict[str, str] = {}
    for lang, canary in canaries.items():
        rid = browser.start_screening(lang)
        made[lang] = rid
        section = f"/screenings/{rid}/s/setup"
        page = browser.get(section)
        seen = re.search(SEEN_RE.format(qid="q_respondent_name"), page.text)
        assert page.status == 200 and seen
        # The name through the section form, as without JavaScript.
        reply = browser.form(section, section, {"q-q_respondent_name": canary,
                                                "seen-q_respondent_name": seen.group(1), "go": "next"})
        assert reply.status == 200 and "/s/consent" in reply.url, (reply.status, reply.url)
        # Free text through autosave, as the page's script sends it.
        token = browser.csrf(section)
        for qid, value in (("q_consent_interview", "yes"),
                           ("q_observation_notes", f"{canary} seen at the gate\n{canary}"),
                           ("q_handover_note", f"handover {canary}"),
                           ("q_compound_location", canary)):
            saved = browser.autosave(rid, token, {qid: value})
            assert saved.status == 200 and saved.json()["ok"], saved.text
            assert saved.json()["answers"][qid] == value
    # One draft holds every canary at once; the rest are finalised.
    draft = browser.start_screening("en")
    token = browser.csrf(f"/screenings/{draft}/s/setup")
    assert browser.autosave(draft, token, {"q_respondent_name": " ".join(every),
                                           "q_handover_note": "\n".join(every)}).status == 200
    for lang, rid in made.items():
        done = browser.form(f"/screenings/{rid}/outcome", f"/screenings/{rid}/outcome",
                            {"override_tier": "", "override_reason": ""})
        assert done.status == 200 and done.url.endswith(f"/screenings/{rid}/outcome")
        review = browser.get(f"/screenings/{rid}/review")
        assert review.status == 200 and canaries[lang] in review.text  # the final record reads back
    listing = browser.get("/screenings/")
    assert all(c in listing.text for c in every)
    with app.app_context():
        rows = {r.id: r for r in records.list_for(_admin(), _secret(app))}
    assert all(rows[rid].state == "final" and rows[rid].waiting is not enrolled for rid in made.values())

    assert _leaks(app, start, every, caplog, browser) == []

    # Lock: the key leaves memory; the disk is checked again.
    lock = browser.form("/screenings/", "/lock", {})
    assert lock.status == 200 and "/login" in lock.url
    assert len(app.extensions["tip_keys"]) == 0
    assert "/login" in browser.get("/screenings/").url
    assert _leaks(app, start, every, caplog, browser) == []
    # Every page that showed a canary told the browser not to keep a copy.
    for reply in browser.replies:
        if any(c in reply.text for c in every):
            assert reply.headers["Cache-Control"] == "no-store"


def _admin():
    from app.services import accounts

    return accounts.find_user("admin")


def _secret(app):
    from tests.conftest import admin_keys

    return admin_keys(app)
