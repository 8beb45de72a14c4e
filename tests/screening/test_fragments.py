"""Questions prepared once per questionnaire version, language pair and view
(app/screening/fragments.py): the pieces hold no answer, and a template that tests the
state with ``{% if %}`` (which a prepared question cannot leave open) is not prepared. That
the filled pieces are the page rendered in full is test_section_golden.py's."""

from __future__ import annotations

import pytest

from tests.screening.test_section_golden import SECTIONS, _start
from tests.support.web import login

SECRET = "Zq7 secret words"


def _held_pieces() -> str:
    from app.screening import labels

    with labels._PREPARED_LOCK:
        held = [pieces for _definition, page in labels._PREPARED.values()
                for pieces in page.questions.values() if pieces is not None]
    assert held, "no question was prepared"
    return "".join("".join(texts) + repr(slots) for texts, slots in held)


def test_prepared_questions_hold_no_answer(client, make_user) -> None:
    creds = make_user("officer", username="fragments")
    assert login(client, creds["username"], creds["passphrase"]).status_code == 302
    interview = _start(client, "my")
    assert interview.autosave(q_consent_interview="yes", q_respondent_name=SECRET, q_observation_notes=SECRET,
                              q_hours_per_day="13", q_age={"age": "17"}).status_code == 200
    for view in ("", "?view=card"):
        for section in SECTIONS:
            page = client.get(f"/screenings/{interview.id}/s/{section}{view}")
            assert page.status_code == 200
            if section == "setup" and not view:
                assert SECRET in page.get_data(as_text=True)  # filled in on the page
    held = _held_pieces()
    assert SECRET not in held and "secret" not in held
    assert 'value="13"' not in held and 'value="17"' not in held


def test_a_state_tested_with_if_is_noticed(app) -> None:
    from app.screening.fragments import _Probe

    template = app.jinja_env.from_string("{% if st.value == 'yes' %}checked{% endif %}")
    with pytest.raises(TypeError, match="use a method"):
        template.render(st=_Probe("st", []))
    template = app.jinja_env.from_string("{% if d.error %}x{% endif %}")
    with pytest.raises(TypeError, match="use a method"):
        template.render(d=_Probe("d", []))
