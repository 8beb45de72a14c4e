"""A section page's frame (screening/section.html around its questions) is prepared once per
questionnaire version, language pair, section, view and script root, and filled per page
(app/web/chrome.py): the pieces hold nothing of a record or a person (no answer, flag, record
id, form token or page key), each officer's page has their own, and another language pair or
questionnaire version gets a frame of its own. That a filled frame is the page rendered in
full is test_section_golden.py's."""

from __future__ import annotations

import re

import pytest

from tests.screening.test_section_golden import SECTIONS, _set_ui, _start
from tests.support.web import csrf_from, login

SECRET = "Qx9 frame secret"
UNSAVED_KEY = re.compile(r'<script type="application/json" id="unsaved-key">"([^"]+)"')


@pytest.fixture(autouse=True)
def _nothing_prepared_yet():
    """The prepared labels are the process's: start each test without another test's."""
    from app.screening import labels

    with labels._PREPARED_LOCK:
        labels._PREPARED.clear()


def _frames() -> dict[tuple[object, ...], str]:
    """Every prepared frame: (questionnaire version, pair, key) -> its text and slots."""
    from app.screening import labels

    with labels._PREPARED_LOCK:
        return {(page.definition.version, page.resp_lang, page.ui_lang, *key): "".join(pieces[0]) + repr(pieces[1])
                for _definition, page in labels._PREPARED.values()
                for key, pieces in page.frames.items() if pieces is not None}


def test_frames_hold_nothing_of_the_record_or_the_officer(client, make_user) -> None:
    creds = make_user("officer", username="framed")
    assert login(client, creds["username"], creds["passphrase"]).status_code == 302
    interview = _start(client, "my")
    assert interview.autosave(q_consent_interview="yes", q_respondent_name=SECRET, q_needs_doctor="yes",
                              q_observation_notes=SECRET).status_code == 200
    seen = []
    for view in ("", "?view=card"):
        for section in SECTIONS:
            page = client.get(f"/screenings/{interview.id}/s/{section}{view}")
            assert page.status_code == 200
            seen.append(page.get_data(as_text=True))
    frames = _frames()
    assert {(key[3], key[4]) for key in frames} == {(s, card) for s in SECTIONS for card in (False, True)}
    held = "".join(frames.values())
    html = seen[0]
    assert SECRET in html and interview.id in html and 'data-code="' in html
    for private in (SECRET, "framed", interview.id, csrf_from(html), UNSAVED_KEY.search(html).group(1),
                    'data-code="'):
        assert private not in held, private


def test_each_officer_and_each_pair_gets_its_own(app, make_user) -> None:
    first, second = app.test_client(), app.test_client()
    for client, name in ((first, "frame_a"), (second, "frame_b")):
        creds = make_user("officer", username=name)
        assert login(client, creds["username"], creds["passphrase"]).status_code == 302
    mine, theirs = _start(first, "my"), _start(second, "my")
    assert mine.autosave(q_consent_interview="yes").status_code == 200
    assert theirs.autosave(q_consent_interview="no").status_code == 200
    page_a = mine.page("consent").get_data(as_text=True)
    page_b = theirs.page("consent").get_data(as_text=True)
    assert mine.id in page_a and theirs.id not in page_a and theirs.id in page_b and mine.id not in page_b
    assert csrf_from(page_a) != csrf_from(page_b)
    assert UNSAVED_KEY.search(page_a).group(1) != UNSAVED_KEY.search(page_b).group(1)
    assert len({key[:3] for key in _frames()}) == 1  # one pair so far: the frame was shared
    # Another screen language: another frame, in that language.
    _set_ui(first, "th")
    thai = mine.page("consent").get_data(as_text=True)
    assert 'lang="th"' in thai and {key[1:3] for key in _frames()} == {("my", "en"), ("my", "th")}
    assert thai != page_a and mine.id in thai


def test_another_questionnaire_version_gets_a_frame_of_its_own(app, client, make_user) -> None:
    """A definition object of its own (another version, or the same with a signed directory)
    is a key of its own: the frame is never the one another version made."""
    from app.screening import labels
    from tests.screening.test_section_golden import _publish_directory

    creds = make_user("officer", username="versions")
    assert login(client, creds["username"], creds["passphrase"]).status_code == 302
    interview = _start(client, "en")
    assert interview.page("referral").status_code == 200
    before = {id(definition) for definition, _page in labels._PREPARED.values()}
    _publish_directory(app)  # "Refer to" now offers the directory: another definition object
    page = interview.page("referral")
    assert page.status_code == 200 and "data-organisation=" in page.get_data(as_text=True)
    after = {id(definition) for definition, page in labels._PREPARED.values() if page.frames}
    assert after - before, "the definition with the directory got no frame of its own"
