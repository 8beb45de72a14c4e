"""A screening in a real headless Chromium on a phone-sized screen (360x740).

What the questionnaire issue asks for, seen from the officer's side: the whole
walk from login to a final record, skip logic that shows and hides questions
without a reload, the CHILD alert as soon as an age under 18 is typed, answers
that survive closing the page, and pages that never scroll sideways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.support.browser import chromium

from .pages import Station, logged_in

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740

Answer = Callable[[Station], None]


@pytest.fixture
def station(live_app: tuple[Flask, str], installed: dict[str, str]) -> Iterator[Station]:
    """A phone-sized browser on a live station, logged in as the administrator."""
    _, base_url = live_app
    with logged_in(base_url, installed["username"], installed["passphrase"], WIDTH, HEIGHT) as page:
        yield page


def assert_fits(page: Station, what: str) -> None:
    assert page.driver.execute_script("return window.innerWidth;") == WIDTH
    assert not page.scrolls_sideways(), f"the {what} page scrolls sideways at {WIDTH}px"


def walk_to(page: Station, section_id: str, answers: dict[str, list[Answer]] | None = None) -> None:
    """Press Next (answering on the way) until the given section is on screen."""
    for _ in range(15):
        current = page.section_id()
        if current == section_id:
            return
        for answer in (answers or {}).get(str(current), []):
            answer(page)
        page.next()
    pytest.fail(f"never reached section {section_id}: now on {page.path()}")


CONSENT_YES: dict[str, list[Answer]] = {
    "consent": [lambda p: p.answer_consent("q_consent_interview", True)],
}

# One full interview of an adult: deceived about the job, passport held by the
# employer, not free to leave, threatened, sixteen-hour days without pay.
FULL_INTERVIEW: dict[str, list[Answer]] = {
    "setup": [
        lambda p: p.type_text("q_respondent_name", "Aye Aye"),
        lambda p: p.answer_single("q_location_type", "checkpoint"),
        lambda p: p.answer_single("q_screener_org", "immigration"),
        lambda p: p.answer_single("q_interpreter", "professional"),
        lambda p: p.answer_yesno("q_private_space", "yes"),
    ],
    "consent": [
        lambda p: p.answer_consent("q_consent_interview", True),
        lambda p: p.answer_consent("q_consent_mdt", True),
        lambda p: p.answer_consent("q_consent_cross_border", True),
    ],
    "safety": [
        lambda p: p.answer_yesno("q_needs_doctor", "no"),
        lambda p: p.answer_age("q_age", 30),
        lambda p: p.answer_yesno("q_maybe_child", "no"),
        lambda p: p.answer_multi("q_basic_needs", "none"),
    ],
    "background": [
        lambda p: p.answer_single("q_citizenship", "myanmar"),
        lambda p: p.answer_single("q_id_document", "held_by_other"),
    ],
    "recruitment": [
        lambda p: p.answer_single("q_promised_work", "factory"),
        lambda p: p.answer_yesno("q_job_different", "yes"),
        lambda p: p.answer_yesno("q_pay_different", "yes"),
        lambda p: p.answer_yesno("q_fee_or_loan", "no"),
    ],
    "work": [
        lambda p: p.answer_multi("q_work_type", "factory"),
        lambda p: p.type_text("q_hours_per_day", "16"),
        lambda p: p.answer_single("q_paid", "not_at_all"),
    ],
    "control": [
        lambda p: p.answer_yesno("q_free_to_leave", "no"),
        lambda p: p.answer_single("q_passport_holder", "employer"),
        lambda p: p.answer_yesno("q_threats", "yes"),
    ],
    "referral": [
        lambda p: p.answer_single("q_interview_end", "completed"),
        lambda p: p.answer_multi("q_referral_to", "mdt_nrm"),
    ],
}

EXPECTED_INDICATORS = {
    "deceptive_recruitment": {"q_job_different", "q_pay_different"},
    "exploitation": {"q_hours_per_day", "q_paid"},
    "coercion_at_destination": {"q_free_to_leave", "q_passport_holder", "q_threats"},
}


def test_full_screening_from_login_to_a_final_record(live_app: tuple[Flask, str],
                                                    installed: dict[str, str]) -> None:
    _, base_url = live_app
    with chromium(WIDTH, HEIGHT) as driver:
        page = Station(driver, base_url)
        page.use_viewport(WIDTH, HEIGHT)
        page.open("/login")
        assert_fits(page, "login")
        page.login(installed["username"], installed["passphrase"])
        assert page.path() == "/"
        assert_fits(page, "home")

        record_id = page.start_screening("en")  # two taps: "New screening", then the language
        assert page.section_id() == "setup"
        page.wait_for_script()
        assert_fits(page, "first section")

        walked: list[str] = []
        for _ in range(15):
            if not page.on_section():
                break
            current = str(page.section_id())
            walked.append(current)
            for answer in FULL_INTERVIEW.get(current, []):
                answer(page)
            if current == "control":
                assert_fits(page, "control section")
                page.screenshot("section-control-360x740")
            page.next()
        assert page.on_review(), f"Next after the last section should open the review, not {page.path()}"
        # Consent given, an adult, no scam work: every section but the two conditional ones.
        assert walked == ["setup", "consent", "safety", "background", "recruitment", "work", "control",
                          "observations", "referral"]
        assert page.find("dd[data-qid='q_passport_holder']").text == "The employer"

        page.see_outcome()
        assert_fits(page, "outcome")
        assert page.outcome_tier() == "refer_mdt"
        listed = page.outcome_elements()
        for element, questions in EXPECTED_INDICATORS.items():
            assert element in listed, f"{element} missing from the outcome page: {listed}"
            assert questions <= set(listed[element]), (element, listed[element])
        assert "forced_criminality" not in listed
        page.screenshot("outcome-360x740")

        page.finish()
        assert page.path().endswith(f"/screenings/{record_id}/outcome")
        assert page.find_all("a[href$='/slip']"), "a final outcome offers the referral slip"
        assert set(page.outcome_elements()) >= set(EXPECTED_INDICATORS)
        assert_fits(page, "final outcome")

        page.records_list()
        row = page.record_row(record_id)
        assert row.find_elements("css selector", "td")[3].text.startswith("Final")
        assert not row.find_elements("css selector", "a[href$='/discard']")
        assert row.find_elements("css selector", f"a[href$='/screenings/{record_id}/outcome']")


def test_skip_logic_shows_and_hides_questions_without_a_reload(station: Station) -> None:
    page = station
    page.start_screening("en")
    walk_to(page, "consent")
    page.mark_page()
    assert not page.is_shown("q_consent_mdt"), "the sharing consent waits for the interview consent"

    page.answer_consent("q_consent_interview", True)
    page.wait().until(lambda d: page.is_shown("q_consent_mdt"))
    assert page.is_shown("q_consent_cross_border")
    page.answer_consent("q_consent_interview", False)
    page.wait().until(lambda d: not page.is_shown("q_consent_mdt"))
    assert not page.is_shown("q_consent_cross_border")
    assert page.same_page(), "skip logic must not reload the page"
    page.wait_flag("NO_SHARING")

    # Without consent only safety and the referral follow.
    page.next()
    assert page.section_id() == "safety"
    assert "of 4" in page.find(".progress-text").text
    page.next()
    assert page.section_id() == "referral"

    # Consent after all: the person's account comes back, with its own skip logic.
    page.back()
    page.back()
    assert page.section_id() == "consent"
    page.answer_consent("q_consent_interview", True)
    page.next()
    assert page.section_id() == "safety"
    # Counted ahead: the child and scam sections count until the age and the work rule them out.
    assert "of 11" in page.find(".progress-text").text
    walk_to(page, "work")
    page.mark_page()
    assert page.is_shown("q_hours_per_day")
    page.answer_multi("q_work_type", "no_work")
    page.wait().until(lambda d: not page.is_shown("q_hours_per_day"))
    assert not page.is_shown("q_rest_days")
    page.answer_multi("q_work_type", "scam_online")  # "I did not work" is exclusive: it is unticked
    page.wait().until(lambda d: page.is_shown("q_hours_per_day"))
    assert page.chosen("q_work_type") == ["scam_online"]
    page.wait_flag("NON_PUNISHMENT")
    assert page.same_page()

    # Scam work brings in the forced-criminality module after the control section.
    page.next()
    assert page.section_id() == "control"
    assert not page.is_shown("q_passport_holder"), "no one else holds the passport: not asked"
    page.next()
    assert page.section_id() == "forced_criminality"
    assert {"q_deceive_online", "q_quota_punishment"} <= set(page.shown_questions())
    assert_fits(page, "forced criminality")


def test_an_age_under_18_raises_the_child_flag_at_once(station: Station) -> None:
    page = station
    record_id = page.start_screening("en")
    walk_to(page, "safety", CONSENT_YES)
    page.mark_page()
    assert "CHILD" not in page.flags()
    assert page.is_shown("q_maybe_child"), "with no age the screener is asked whether it may be a child"

    page.answer_age("q_age", 16)
    page.wait_flag("CHILD", timeout=5)
    assert page.same_page(), "the flag must come up without leaving the page"
    child = page.find("#flags [data-code='CHILD']")
    assert "child protection" in child.text
    page.wait().until(lambda d: not page.is_shown("q_maybe_child"))
    assert_fits(page, "safety section")
    page.screenshot("section-safety-child-flag-360x740")

    # The alert stays on the next pages, and the child module is on the way.
    page.next()
    assert "CHILD" in page.flags()
    assert page.section_id() == "background"
    page.open(f"/screenings/{record_id}/s/child")
    assert page.is_shown("q_travelled_with")


def test_answers_survive_closing_the_page_mid_section(station: Station) -> None:
    page = station
    record_id = page.start_screening("en")
    assert page.section_id() == "setup"
    page.type_text("q_respondent_name", "Nang Seng")
    page.answer_single("q_location_type", "shelter")
    page.answer_yesno("q_private_space", "no")

    # Close the tab without pressing Next, from a second tab that stays open.
    page.close_tab()
    page.resume(record_id)
    assert page.section_id() == "setup"
    assert page.value_of("q_respondent_name") == "Nang Seng"
    assert page.chosen("q_location_type") == ["shelter"]
    assert page.chosen("q_private_space") == ["no"]

    # The rest of the setup, consent refused, then leave the safety part half done.
    page.answer_single("q_screener_org", "ngo")
    page.answer_single("q_interview_language", "my")
    page.answer_single("q_interpreter", "ngo_staff")
    page.answer_yesno("q_others_present", "no")
    page.answer_yesno("q_same_gender_offered", "yes")
    page.next()
    page.answer_consent("q_consent_interview", False)
    page.next()
    assert page.section_id() == "safety"
    page.answer_yesno("q_needs_doctor", "yes")
    page.wait_flag("MEDICAL")
    page.home()

    # Back at the first part with a question still to answer: the two sharing consents
    # are hidden once consent is refused, so that is the safety part, not the consent part.
    page.resume(record_id)
    assert page.section_id() == "safety"
    assert page.chosen("q_needs_doctor") == ["yes"]
    assert "MEDICAL" in page.flags()


def test_an_answer_typed_just_before_the_tab_closes_is_kept(station: Station) -> None:
    page = station
    record_id = page.start_screening("en")
    # Close the tab straight after typing: the autosave has not even started yet.
    page.type_text("q_respondent_name", "Quick close", wait=False)
    page.close_tab()

    def kept() -> bool:
        # The browser finishes that save after the tab is gone: reopen until it has arrived.
        page.resume(record_id)
        return page.value_of("q_respondent_name") == "Quick close"

    page.wait().until(lambda d: kept(), "the answer typed last was lost when the tab closed")


def test_typing_on_during_a_slow_save_loses_nothing(station: Station) -> None:
    page = station
    record_id = page.start_screening("en")
    page.slow_network(latency_ms=600)
    name = page.find("#q-q_respondent_name")
    page.tap(name)
    name.send_keys("Nang")
    page.wait().until(lambda d: page.save_status() == "Saving…")
    name.send_keys(" Seng")  # typed while the first save is on its way
    page.wait_saved(timeout=10)
    page.slow_network(latency_ms=0)
    page.home()
    page.resume(record_id)
    assert page.value_of("q_respondent_name") == "Nang Seng"


def test_an_autosave_error_marks_the_input_invalid_until_it_is_fixed(station: Station) -> None:
    page = station
    page.start_screening("en")
    walk_to(page, "safety", CONSENT_YES)
    age = page.find("#q-q_age-age")
    assert "q-q_age-error" in (age.get_attribute("aria-describedby") or "").split()
    page.answer_age("q_age", 200, wait=False)
    page.wait().until(lambda d: age.get_attribute("aria-invalid") == "true")
    assert page.find("#q-q_age-error").text  # the message the input points at is on screen
    page.answer_age("q_age", 30, wait=False)
    page.wait().until(lambda d: age.get_attribute("aria-invalid") is None)
