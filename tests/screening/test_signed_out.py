"""What a section page's script is told by the station: signed out (401 JSON, never a login
page), an expired form token, a fresh token after a new login; the page's default button."""

from __future__ import annotations

import re

from tests.conftest import PASSPHRASE
from tests.support.interview import stored_answers
from tests.support.web import csrf_from, login

SIGNED_OUT = "Signed out: log in again; your unsaved answers are kept on this page."
JSON = {"Accept": "application/json"}


def _end_sessions(app) -> None:
    """What a station restart or an idle lock does to a session: its row is gone."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import AuthSession

    with app.app_context():
        for sid in db.session.scalars(sa.select(AuthSession.id)).all():
            db.session.execute(sa.delete(AuthSession).where(AuthSession.id == sid))
        db.session.commit()


def test_autosave_after_the_session_ended_answers_401_json_not_a_login_page(app, client, start):
    interview = start("en")
    assert interview.autosave(q_needs_doctor="no").status_code == 200
    _end_sessions(app)
    response = interview.autosave(q_needs_doctor="yes")
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.get_json() == {"ok": False, "problem": "signed_out", "error": "login_required",
                                   "message": SIGNED_OUT}
    # Any request the page's script makes (it asks for JSON) is told the same.
    check = client.get("/screenings/session", headers=JSON)
    assert check.status_code == 401 and check.get_json()["problem"] == "signed_out"
    page = client.post(f"/screenings/{interview.id}/s/safety", data={"go": "next"}, headers=JSON)
    assert page.status_code == 401 and page.get_json()["problem"] == "signed_out"
    # A person's browser still gets the login page.
    plain = client.get(f"/screenings/{interview.id}/s/safety")
    assert plain.status_code == 302 and "/login" in plain.headers["Location"]


def test_after_logging_in_again_a_fresh_token_lets_the_kept_answer_be_saved(app, client, start):
    interview = start("en")
    old_token = interview.token
    _end_sessions(app)
    assert interview.autosave(q_needs_doctor="yes").status_code == 401
    assert login(client, _username(app), PASSPHRASE).status_code == 302
    # The old page's token belonged to the old session: refused with a named problem ...
    stale = interview.autosave(q_needs_doctor="yes")
    assert stale.status_code == 400 and stale.get_json()["problem"] == "form_expired"
    # ... and the page asks for a new one, then saves what it kept.
    check = client.get("/screenings/session", headers=JSON)
    assert check.status_code == 200 and check.get_json()["ok"] is True
    fresh = check.get_json()["csrf_token"]
    assert fresh != old_token
    interview.token = fresh
    assert interview.autosave(q_needs_doctor="yes").get_json()["ok"] is True
    assert stored_answers(app, interview)["q_needs_doctor"]["value"] == "yes"


def _username(app) -> str:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import User

    with app.app_context():
        return str(db.session.scalars(sa.select(User.username).where(User.username != "admin")).one())


def test_a_lock_ends_the_session_for_the_script_too(app, client, start):
    interview = start("en")
    home = client.get("/").get_data(as_text=True)
    assert client.post("/lock", data={"csrf_token": csrf_from(home)}).status_code == 302
    assert interview.autosave(q_needs_doctor="yes").status_code == 401


def test_review_button_and_enter_presses_next_without_javascript(app, client, start):
    interview = start("en")
    html = interview.page("safety").get_data(as_text=True)
    form = html[html.index('<form method="post" id="section-form"'):]
    buttons = re.findall(r'<button type="submit"(?: name="go" value="(\w+)")?', form)
    # Enter submits with the form's first submit button: one without "go", which means Next.
    assert buttons == ["", "back", "pause", "review", "next"]
    token = csrf_from(html)
    default = client.post(f"/screenings/{interview.id}/s/safety", data={"csrf_token": token})
    # No consent recorded: after safety comes the referral part (Back would be consent).
    assert default.status_code == 302 and default.headers["Location"].endswith("/s/referral")
    response = client.post(f"/screenings/{interview.id}/s/safety",
                           data={"csrf_token": token, "go": "review"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{interview.id}/review")


def test_the_page_carries_a_per_record_key_and_never_the_same_for_two_records(client, start):
    first = start("en")
    second = start("en")
    key = re.compile(r'<script type="application/json" id="unsaved-key">"([A-Za-z0-9+/=]{44})"</script>')
    one = key.search(first.page("safety").get_data(as_text=True))
    again = key.search(first.page("background").get_data(as_text=True))
    other = key.search(second.page("safety").get_data(as_text=True))
    assert one and again and other
    assert one.group(1) == again.group(1)  # the same across reloads: a reload can read it back
    assert one.group(1) != other.group(1)
