"""The progress line in a real Chromium at 360x740: counted ahead from the start, changed on
the page as an answer rules sections in or out (no reload), and the same as the station's own
count when the page is loaded again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.browser import chromium

from .pages import Station

pytestmark = pytest.mark.browser


@pytest.fixture
def station(live_app: tuple[Flask, str], installed: dict[str, str]) -> Iterator[Station]:
    _, base_url = live_app
    with chromium(360, 740) as driver:
        page = Station(driver, base_url)
        page.use_viewport(360, 740)
        page.login(installed["username"], installed["passphrase"])
        yield page


def progress(page: Station) -> tuple[str, str, str]:
    """The line's text, and the bar's value and maximum."""
    bar = page.find("#progress-bar")
    return (page.find("#progress-text").text, str(bar.get_attribute("value")),
            str(bar.get_attribute("max")))


def wait_progress(page: Station, text: str) -> None:
    page.wait().until(lambda d: page.find("#progress-text").text == text,
                      f"progress line never became {text!r}: {page.find('#progress-text').text!r}")


def reloaded(page: Station) -> tuple[str, str, str]:
    page.driver.refresh()
    page.wait_for_script()
    return progress(page)


def test_the_progress_line_counts_ahead_and_follows_the_answers(station: Station) -> None:
    station.start_screening("en")
    station.wait_for_script()
    assert progress(station) == ("Part 1 of 11", "1", "11")
    station.next()
    assert station.section_id() == "consent"
    assert progress(station) == ("Part 2 of 11", "2", "11")  # was "of 4" before consent

    station.mark_page()
    station.answer_consent("q_consent_interview", False)
    wait_progress(station, "Part 2 of 4")  # refused: setup, consent, safety, referral
    assert progress(station)[1:] == ("2", "4")
    station.answer_consent("q_consent_interview", True)
    wait_progress(station, "Part 2 of 11")
    assert station.same_page(), "the line changed by a reload, not on the page"
    assert reloaded(station) == ("Part 2 of 11", "2", "11")

    station.next()
    assert station.section_id() == "safety"
    station.mark_page()
    station.answer_age("q_age", 30)
    station.answer_yesno("q_maybe_child", "no")
    wait_progress(station, "Part 3 of 10")  # an adult: no child section
    assert station.same_page()
    assert reloaded(station) == ("Part 3 of 10", "3", "10")


def test_the_last_section_says_how_many_were_really_shown(station: Station) -> None:
    """Refused consent: Next walks setup, consent, safety, referral, and the referral page
    says "Part 4 of 4"."""
    station.start_screening("en")
    station.wait_for_script()
    station.next()
    station.answer_consent("q_consent_interview", False)
    walked = []
    for _ in range(6):
        if not station.on_section():
            break
        walked.append(station.section_id())
        last = progress(station)
        station.next()
    assert walked == ["consent", "safety", "referral"]
    assert last == ("Part 4 of 4", "4", "4")


SCENARIOS = [
    {},
    {"q_consent_interview": "no"},
    {"q_consent_interview": "yes"},
    {"q_consent_interview": "yes", "q_age": 16},
    {"q_consent_interview": "yes", "q_age": 30, "q_maybe_child": "no"},
    {"q_consent_interview": "yes", "q_age": 30, "q_maybe_child": "no", "q_work_type": ["factory"]},
    {"q_consent_interview": "yes", "q_age": 30, "q_maybe_child": "no", "q_work_type": ["fraud"]},
    {"q_consent_interview": "yes", "q_maybe_child": {"special": "unknown"}},
]


def test_the_browser_counts_as_the_station_does(app: Flask, station: Station) -> None:
    """progress.js against app/questionnaire/progress.py: the same answers on the same section
    give the same line, for every scenario on pages early, middle and late."""
    from app.questionnaire import progress_position
    from app.services import questionnaires

    with app.app_context():
        definition = questionnaires.latest()
    record_id = station.start_screening("en")
    for section in ("setup", "consent", "safety", "work", "observations"):
        station.open(f"/screenings/{record_id}/s/{section}")
        station.wait_for_script()
        for answers in SCENARIOS:
            shown = station.driver.execute_script(
                "document.getElementById('section-form').dispatchEvent("
                "new CustomEvent('tip:answers', {detail: {answers: arguments[0]}}));"
                "return document.getElementById('progress-text').textContent;", answers)
            n, total = progress_position(definition, answers, section)
            assert shown == f"Part {n} of {total}", (section, answers)
