"""The interview through its pages: autosave, bad input, two tabs, outcome, override, slip, list."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Record
from tests.conftest import PASSPHRASE, admin_keys
from tests.support.interview import stored_answers as _answers
from tests.support.web import csrf_from, login


def test_start_in_two_taps_lands_on_the_first_section(client, start):
    interview = start("my")
    page = interview.page("setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-qid="q_respondent_name"' in html
    line = re.search(r'id="progress-text"[^>]*>(.*?)</p>', html)
    assert line and re.sub(r"<[^>]+>", "", line.group(1)) == "Part 1 of 11"  # counted ahead
    assert page.headers["Cache-Control"] == "no-store"


def test_autosave_stores_each_answer_with_its_language(app, start):
    interview = start("my")
    response = interview.autosave(q_needs_doctor="yes", q_respondent_name="Ma Aye")
    assert response.status_code == 200 and response.get_json()["ok"]
    stored = _answers(app, interview)
    assert stored["q_respondent_name"]["value"] == "Ma Aye"
    # Asked of the person: the person's language was on screen. The officer's own questions
    # (setup, noted by the screener) were in the officer's: English in this client.
    assert stored["q_needs_doctor"]["lang"] == "my"
    assert stored["q_respondent_name"]["lang"] == "en"


def test_an_officer_only_answer_records_the_officers_screen_language(app, client, start):
    interview = start("my")
    client.post("/language", data={"lang": "th", "next": "/",
                                   "csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    interview.autosave(q_interpreter="professional", q_maybe_child="no", q_needs_doctor="no")
    page = interview.page("setup").get_data(as_text=True)
    response = client.post(f"/screenings/{interview.id}/s/setup", data={
        "csrf_token": csrf_from(page), "go": "next", "seen-q_screener_org": "x",
        "q-q_screener_org": "ngo"})
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = _answers(app, interview)
    assert stored["q_interpreter"]["lang"] == "th"  # setup: an officer-only section
    assert stored["q_screener_org"]["lang"] == "th"  # the same through the page's Next
    assert stored["q_maybe_child"]["lang"] == "th"  # a screener-only question among the person's
    assert stored["q_needs_doctor"]["lang"] == "my"


def test_child_flag_is_returned_by_the_save_that_raises_it(start):
    interview = start()
    body = interview.autosave(q_age={"age": "16"}).get_json()
    assert body["ok"]
    assert "CHILD" in [f["code"] for f in body["flags"]]
    assert all(f["action"] for f in body["flags"])


def test_bad_answers_get_clear_messages_and_change_nothing(app, start):
    interview = start()
    interview.autosave(q_respondent_name="Original")
    cases = [
        ({"q_observation_notes": "x" * 5000}, "too long"),
        ({"q_hours_per_day": "many"}, "Enter a number"),
        ({"q_hours_per_day": "99"}, "from"),
        ({"q_interpreter": "moon"}, "Choose one of the listed answers"),
        ({"q_age": {"age": "-3"}}, "from"),
    ]
    for fields, words in cases:
        response = interview.autosave(q_location_type="shelter", **fields)
        assert response.status_code == 400, fields
        body = response.get_json()
        assert not body["ok"] and words in " ".join(body["errors"].values()), (fields, body)
    unknown = interview.client.post(f"/screenings/{interview.id}/answer",
                                    data={"qid": "q_nonexistent", "q-q_nonexistent": "1"},
                                    headers={"X-CSRFToken": interview.token})
    assert unknown.status_code == 400
    stored = _answers(app, interview)
    assert stored["q_respondent_name"]["value"] == "Original"
    assert "q_location_type" not in stored  # the good answer in a bad batch was not stored either


def test_thai_digits_are_accepted_in_numbers(app, start):
    interview = start()
    assert interview.autosave(q_hours_per_day="๑๔").get_json()["ok"]
    assert _answers(app, interview)["q_hours_per_day"]["value"] == 14


def test_another_officers_record_is_refused(app, client, start, make_user):
    interview = start()
    interview.autosave(q_respondent_name="Mine")
    other = make_user("officer")
    stranger = app.test_client()
    login(stranger, other["username"], other["passphrase"])
    token = csrf_from(stranger.get("/screenings/").get_data(as_text=True))
    response = stranger.post(f"/screenings/{interview.id}/answer",
                             data={"qid": "q_respondent_name", "q-q_respondent_name": "Theirs"},
                             headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert stranger.get(f"/screenings/{interview.id}/s/setup").status_code == 403
    assert _answers(app, interview)["q_respondent_name"]["value"] == "Mine"


def test_double_submission_stores_one_answer(app, start):
    interview = start()
    first = interview.autosave(q_respondent_name="Twice")
    second = interview.autosave(q_respondent_name="Twice")
    assert first.get_json()["ok"] and second.get_json()["ok"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Record)) == 1
    assert _answers(app, interview)["q_respondent_name"]["value"] == "Twice"


def test_two_tabs_never_lose_an_answer(app, client, start):
    interview = start()
    stale_page = interview.page("setup").get_data(as_text=True)  # tab A renders the page
    interview.autosave(q_respondent_name="From tab B")            # tab B answers meanwhile
    # Tab A presses Next with the page as it was rendered, plus its own new answer.
    seen = dict(_seen_fields(stale_page))
    response = client.post(f"/screenings/{interview.id}/s/setup", data={
        **seen, "q-q_location_type": "shelter", "go": "next",
        "csrf_token": csrf_from(stale_page)})
    assert response.status_code == 302
    stored = _answers(app, interview)
    assert stored["q_respondent_name"]["value"] == "From tab B"
    assert stored["q_location_type"]["value"] == "shelter"


def _seen_fields(html):
    import re

    return re.findall(r'name="(seen-[a-z0-9_]+)" value="([0-9a-f]+)"', html)


def test_page_post_without_javascript_saves_and_moves_on(app, client, start):
    interview = start()
    html = interview.page("setup").get_data(as_text=True)
    response = client.post(f"/screenings/{interview.id}/s/setup", data={
        **dict(_seen_fields(html)), "q-q_respondent_name": "No JS", "q-q_interpreter": "employer",
        "go": "next", "csrf_token": csrf_from(html)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/s/consent")
    stored = _answers(app, interview)
    assert stored["q_respondent_name"]["value"] == "No JS"
    consent = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-code="INTERPRETER"' in consent


def test_page_post_with_a_bad_answer_keeps_what_was_typed(client, start):
    interview = start()
    interview.page("work")
    html = interview.page("setup").get_data(as_text=True)
    response = client.post(f"/screenings/{interview.id}/s/setup", data={
        **dict(_seen_fields(html)), "q-q_respondent_name": "y" * 300, "go": "next",
        "csrf_token": csrf_from(html)})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "too long" in body and "y" * 300 in body


def test_consent_refused_takes_the_short_path(app, client, start):
    interview = start()
    interview.autosave(q_consent_interview="no")
    html = interview.page("consent").get_data(as_text=True)
    response = client.post(f"/screenings/{interview.id}/s/consent", data={
        **dict(_seen_fields(html)), "q-q_consent_interview": "no", "go": "next",
        "csrf_token": csrf_from(html)})
    nxt = response.headers["Location"]
    assert nxt.endswith("/s/safety")
    walk = [nxt]
    for _ in range(12):
        page = client.get(walk[-1]).get_data(as_text=True)
        if "/review" in walk[-1]:
            break
        section = walk[-1].rsplit("/", 1)[1]
        step = client.post(walk[-1], data={**dict(_seen_fields(page)), "go": "next",
                                           "csrf_token": csrf_from(page)})
        walk.append(step.headers["Location"])
        assert section not in ("work", "control", "recruitment")
    assert walk[-1].endswith("/review")
    assert not any(s in w for w in walk for s in ("/s/work", "/s/control", "/s/recruitment"))


def test_outcome_lists_indicators_and_finalise_keeps_an_override_reason(app, client, start):
    interview = start()
    interview.autosave(q_consent_interview="yes", q_job_different="yes", q_pay_different="yes",
                       q_free_to_leave="no", q_threats="yes", q_passport_holder="employer")
    page = client.get(f"/screenings/{interview.id}/outcome").get_data(as_text=True)
    assert 'data-element="deceptive_recruitment"' in page
    assert 'data-question="q_job_different"' in page
    refused = interview.finalise(tier="no_indicators", reason="short")
    assert refused.status_code == 400 and "reason" in refused.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.get(Record, interview.id).state.value == "draft"
    done = interview.finalise(tier="no_indicators", reason="Interpreter doubted; re-interview planned")
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Record, interview.id).state.value == "final"
    from app.services import accounts, records

    with app.app_context():
        rec = db.session.get(Record, interview.id)
        body = records.open_record(interview.id, accounts.get_user(rec.created_by), admin_keys(app)).body
    assert body["override"]["tier"] == "no_indicators"
    assert body["override"]["reason"] == "Interpreter doubted; re-interview planned"
    assert body["outcome"]["tier"] != "no_indicators"  # the computed tier is kept beside it
    final_page = client.get(f"/screenings/{interview.id}/outcome").get_data(as_text=True)
    assert "Interpreter doubted" in final_page
    again = interview.autosave(q_respondent_name="after final")
    assert again.status_code == 409


def test_referral_slip_has_hotlines_and_flags(app, client, start):
    from app.services import referrals

    interview = start()
    interview.autosave(q_age={"age": "15"}, q_referral_to=["msdhs_shelter", "ngo"])
    slip = client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    with app.app_context():
        numbers = [h.number for h in referrals.shipped().hotlines]
    assert numbers and all(number in slip for number in numbers)
    assert 'data-code="CHILD"' in slip and "Possibly a child" in slip and "MSDHS" in slip
    assert "data-print" in slip


def test_records_list_filters_and_discard_asks_first(app, client, start):
    first = start()
    first.autosave(q_respondent_name="Draft person")
    second = start()
    second.autosave(q_respondent_name="Final person")
    second.finalise()
    listing = client.get("/screenings/").get_data(as_text=True)
    assert "Draft person" in listing and "Final person" in listing
    drafts = client.get("/screenings/?state=draft").get_data(as_text=True)
    assert "Draft person" in drafts and "Final person" not in drafts
    future = client.get("/screenings/?since=2999-01-01").get_data(as_text=True)
    assert "Draft person" not in future
    bad = client.get("/screenings/?since=yesterday")
    assert bad.status_code == 200
    confirm = client.get(f"/screenings/{first.id}/discard")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Record, first.id) is not None  # asking deletes nothing
    client.post(f"/screenings/{first.id}/discard", data={"csrf_token": csrf_from(confirm.get_data(as_text=True))})
    with app.app_context():
        assert db.session.get(Record, first.id) is None
    refused = client.get(f"/screenings/{second.id}/discard")
    client.post(f"/screenings/{second.id}/discard", data={"csrf_token": csrf_from(refused.get_data(as_text=True))})
    with app.app_context():
        assert db.session.get(Record, second.id) is not None  # a final record cannot be discarded


def test_resume_goes_to_the_first_unanswered_part(client, start):
    interview = start()
    response = client.get(f"/screenings/{interview.id}/")
    assert response.headers["Location"].endswith("/s/setup")


def test_language_switch_keeps_answers(app, client, start):
    interview = start("km")
    interview.autosave(q_needs_doctor="yes")
    page = interview.page("setup").get_data(as_text=True)
    client.post(f"/screenings/{interview.id}/language", data={
        "lang": "lo", "back": f"/screenings/{interview.id}/s/setup", "csrf_token": csrf_from(page)})
    interview.autosave(q_basic_needs=["none"])
    stored = _answers(app, interview)
    assert stored["q_needs_doctor"] == {**stored["q_needs_doctor"], "value": "yes", "lang": "km"}
    assert stored["q_basic_needs"]["lang"] == "lo"


def test_old_versions_keep_rendering_with_their_own_text(app, client, start):
    import shutil
    from pathlib import Path

    interview = start()
    interview.autosave(q_respondent_name="Old version person")
    source = Path(app.root_path) / "questionnaires" / "default.yaml"
    target = Path(app.instance_path) / "questionnaires"
    target.mkdir(exist_ok=True)
    text = source.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.9.0", 1)
    text = text.replace('label: {en: "Name the person gives (optional)"',
                        'label: {en: "Name or nickname (new wording)"', 1)
    (target / "default-1.9.0.yaml").write_text(text, encoding="utf-8")
    app.extensions.pop("tip_questionnaires", None)  # as after a restart
    newer = start()
    with app.app_context():
        assert db.session.get(Record, newer.id).questionnaire_version == "1.9.0"
        assert db.session.get(Record, interview.id).questionnaire_version == "1.1.0"
    assert "new wording" in newer.page("setup").get_data(as_text=True)
    old_page = interview.page("setup").get_data(as_text=True)
    assert "new wording" not in old_page and "Name the person gives" in old_page
    shutil.rmtree(target)


def test_questionnaire_cli(runner, tmp_path):
    good = runner.invoke(args=["questionnaire", "list"])
    assert good.exit_code == 0 and "tip-default\t1.0.0" in good.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\nsections:\n  - id: s\n    questions:\n      - {id: q, type: yesno, "
                   "label: {en: Q}, relevant: \"${nope} = \"}\n")
    result = runner.invoke(args=["questionnaire", "validate", str(bad)])
    assert result.exit_code != 0
    assert "sections[0].questions[0]" in result.output or "relevant" in result.output
    ok = runner.invoke(args=["questionnaire", "validate", "app/questionnaires/default.yaml"])
    assert ok.exit_code == 0 and "OK" in ok.output


def test_demo_data_count_and_purge(app, runner, installed):
    made = runner.invoke(args=["demo-data", "--count", "6", "--marker", "DEMOMARK", "--seed", "3",
                               "--password-stdin"], input=PASSPHRASE + "\n")
    assert made.exit_code == 0, made.output
    with app.app_context():
        states = list(db.session.scalars(sa.select(Record.state)))
    assert len(states) == 6 and all(s.value == "final" for s in states)
    from app.services import accounts, records

    with app.app_context():
        admin = accounts.find_user("admin")
        items = records.list_for(admin, admin_keys(app))
    assert all(i.name.startswith("DEMOMARK") for i in items)
    assert len({i.respondent_lang for i in items}) >= 3
    purged = runner.invoke(args=["demo-data", "--purge", "--password-stdin"], input=PASSPHRASE + "\n")
    assert purged.exit_code == 0 and "Removed 6" in purged.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Record)) == 0
    missing = runner.invoke(args=["demo-data", "--count", "2", "--password-stdin"], input=PASSPHRASE + "\n")
    assert missing.exit_code != 0
