"""The interview on a phone (real Chromium, 360x740) when the connection fails.

The network is cut through the DevTools protocol. Next, Back, Review and the
language switch during an outage keep the officer on the page with a clear
message and go on by themselves once the answers are saved; afterwards every
answer given is in the stored record. Also: the save status in view, Enter in a
number field, a signed-out page that keeps its answers until the officer logs
in again in another tab, answers kept across a reload only encrypted, the
language each answer records, Zawgyi replaced in the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.support.interview import Interview, stored_answers

from .pages import Station, logged_in

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740
HELD = "No connection: your answers are kept on this page; they will be saved when the connection is back."
SIGNED_OUT = "Signed out: log in again (in another tab, then come back); your unsaved answers are kept on this page."


class FieldStation(Station):
    """A phone whose connection to the station can be cut (DevTools network emulation)."""

    def offline(self) -> None:
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def online(self) -> None:
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def press(self, go: str) -> None:
        """Tap a navigation button without waiting for a new page (there may be none)."""
        self.tap(self.find(f"#section-form .nav-buttons button[name=go][value={go}]"))

    def wait_status(self, text: str, timeout: float = 5) -> None:
        self.wait(timeout).until(lambda d: text in self.save_status(),
                                 f"status never said {text!r}: {self.save_status()!r}")

    def wait_section(self, section: str, timeout: float = 10) -> None:
        self.wait(timeout).until(lambda d: self.section_id() == section and
                                 d.execute_script("return document.readyState") == "complete",
                                 f"did not reach {section}: {self.path()}")

    def no_leave_dialog(self) -> bool:
        try:
            self.driver.switch_to.alert  # noqa: B018 - raises when there is none
        except NoAlertPresentException:
            return True
        return False


@pytest.fixture
def phone(live_app: tuple[Flask, str], installed: dict[str, str]) -> Iterator[FieldStation]:
    _, base_url = live_app
    with logged_in(base_url, installed["username"], installed["passphrase"], WIDTH, HEIGHT, FieldStation) as page:
        yield page


class RefuseAutosave:
    """WSGI middleware: while ``on``, the station answers every autosave with a plain 503 page
    (as a proxy would), so neither the page's saves nor the browser's keepalive on leaving
    arrive, while the pages themselves still load. DevTools blocking cannot do that: the
    keepalive sent after the page is gone escapes it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.on = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.on and environ["PATH_INFO"].endswith("/answer"):
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [b"<h1>unavailable</h1>"]
        return self.app(environ, start_response)


def answers_of(app: Flask, record_id: str) -> dict[str, Any]:
    return stored_answers(app, Interview(None, record_id, ""))  # type: ignore[arg-type]


def values(app: Flask, record_id: str) -> dict[str, Any]:
    return {qid: entry["value"] for qid, entry in answers_of(app, record_id).items()}


def to_safety(page: FieldStation) -> str:
    record_id = page.start_screening("en")
    page.next()
    page.answer_consent("q_consent_interview", True)
    page.next()
    assert page.section_id() == "safety"
    return record_id


def test_next_during_an_outage_waits_on_the_page_and_goes_on_when_it_is_back(live_app, phone):
    app, _ = live_app
    page = phone
    record_id = page.start_screening("en")
    page.type_text("q_respondent_name", "Before the cut")
    page.mark_page()
    page.offline()
    page.tap(page.find("#q-q_location_type-box input[value='shelter']"))
    page.type_text("q_respondent_name", "Typed in the cut", wait=False)
    page.wait_status("Not saved: no connection. Answers waiting: 2")
    page.press("next")
    page.wait_status(HELD)
    assert page.same_page() and page.section_id() == "setup", "Next must not leave for the browser's error page"
    assert page.value_of("q_respondent_name") == "Typed in the cut"
    page.online()
    page.wait_section("consent")
    assert {"q_respondent_name": "Typed in the cut", "q_location_type": "shelter"}.items() <= values(app, record_id).items()


def test_back_and_review_during_an_outage_keep_every_answer(live_app, phone):
    app, _ = live_app
    page = phone
    record_id = to_safety(page)
    page.mark_page()
    page.offline()
    page.tap(page.find("#q-q_needs_doctor-box input[value='no']"))
    page.press("back")
    page.wait_status(HELD)
    assert page.same_page()
    page.online()
    page.wait_section("consent")
    assert values(app, record_id)["q_needs_doctor"] == "no"

    page.next()
    assert page.section_id() == "safety"
    page.mark_page()
    page.offline()
    page.answer_age("q_age", 30, wait=False)
    page.press("review")
    page.wait_status(HELD)
    assert page.same_page()
    page.online()
    page.wait(10).until(lambda d: page.on_review(), f"review never opened: {page.path()}")
    stored = values(app, record_id)
    assert stored["q_age"]["age"] == 30 and stored["q_needs_doctor"] == "no"
    assert stored["q_consent_interview"] == "yes"
    assert page.find("dd[data-qid='q_age']").text.startswith("30")


def test_switching_the_language_while_typing_and_offline_loses_nothing(live_app, phone):
    app, _ = live_app
    page = phone
    record_id = to_safety(page)
    # Online first, as the walk-through did it: type and switch at once.
    page.mark_page()
    page.type_text("q_age", "41", field="-age", wait=False)
    Select(page.find("#resp-lang")).select_by_value("th")
    assert page.no_leave_dialog(), "the browser asked 'Leave site?'"
    page.wait(10).until(lambda d: not page.same_page() and d.execute_script("return document.readyState") == "complete")
    assert Select(page.find("#resp-lang")).first_selected_option.get_attribute("value") == "th"
    assert page.value_of("q_age", "-age") == "41", "the field was emptied by the switch"
    assert values(app, record_id)["q_age"]["age"] == 41

    # Offline: the page stays, says why, and switches once the answer is saved.
    page.mark_page()
    page.offline()
    page.type_text("q_age", "42", field="-age", wait=False)
    Select(page.find("#resp-lang")).select_by_value("lo")
    page.wait_status(HELD)
    assert page.same_page() and page.no_leave_dialog()
    page.online()
    page.wait(10).until(lambda d: not page.same_page() and d.execute_script("return document.readyState") == "complete")
    assert Select(page.find("#resp-lang")).first_selected_option.get_attribute("value") == "lo"
    assert page.value_of("q_age", "-age") == "42"
    stored = answers_of(app, record_id)
    assert stored["q_age"]["value"]["age"] == 42 and stored["q_age"]["lang"] == "th"  # on screen when typed


def test_the_status_stays_in_view_says_each_change_once_and_is_saved_within_a_second(phone):
    page = phone
    to_safety(page)
    status = page.find("#save-status")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    page.driver.execute_script("window.scrollTo(0, document.body.scrollHeight);")
    top, bottom = page.driver.execute_script(
        "var r = document.getElementById('save-status').getBoundingClientRect(); return [r.top, r.bottom];")
    assert 0 <= top and bottom <= HEIGHT, f"the save status scrolled out of view ({top}, {bottom})"
    # Record every text the status and the alerts box take from here on.
    page.driver.execute_script("""
      window.said = []; window.flagsAdded = 0; window.backAt = 0; window.savedAt = 0;
      var s = document.getElementById('save-status');
      new MutationObserver(function () {
        window.said.push(s.textContent);
        if (s.textContent === 'Saved' && window.backAt && !window.savedAt) window.savedAt = performance.now();
      }).observe(s, {childList: true, characterData: true, subtree: true});
      new MutationObserver(function (list) {
        list.forEach(function (m) { window.flagsAdded += m.addedNodes.length; });
      }).observe(document.getElementById('flags'), {childList: true, subtree: true});
      window.addEventListener('online', function () { window.backAt = performance.now(); });
    """)
    page.tap(page.find("#q-q_needs_doctor-box input[value='no']"))
    page.wait_status("Saved")
    page.tap(page.find("#q-q_needs_doctor-box input[value='yes']"))  # raises MEDICAL
    page.wait_flag("MEDICAL")
    page.wait_status("Saved")
    said = page.driver.execute_script("return window.said;")
    assert said == ["Saving…", "Saved", "Saving…", "Saved"], said
    assert page.driver.execute_script("return window.flagsAdded;") == 1  # only the new alert

    page.offline()
    page.tap(page.find("#q-q_needs_doctor-box input[value='no']"))
    page.answer_age("q_age", 25, wait=False)
    page.wait_status("Answers waiting: 2")
    page.online()
    page.wait_status("Saved")
    page.wait().until(lambda d: d.execute_script("return window.savedAt > 0;"))
    back_at, saved_at = page.driver.execute_script("return [window.backAt, window.savedAt];")
    print(f"saved {saved_at - back_at:.0f} ms after the connection came back")
    assert saved_at - back_at < 1000
    # No status was said twice in a row during the outage (retries do not re-announce).
    said = page.driver.execute_script("return window.said;")
    assert all(a != b for a, b in zip(said, said[1:], strict=False)), said


def test_enter_in_a_number_field_saves_it_and_never_goes_back(live_app, phone):
    app, _ = live_app
    page = phone
    record_id = to_safety(page)
    page.mark_page()
    age = page.find("#q-q_age-age")
    page.tap(age)
    age.send_keys("33" + Keys.ENTER)
    page.wait_saved()
    assert page.same_page() and page.section_id() == "safety"
    assert values(app, record_id)["q_age"]["age"] == 33

    # Without the script, Enter presses the form's first submit button: Next.
    page.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    page.open(f"/screenings/{record_id}/s/safety")
    age = page.find("#q-q_age-age")
    age.clear()
    age.send_keys("34" + Keys.ENTER)
    page.wait_section("background")
    assert values(app, record_id)["q_age"]["age"] == 34


def _lock_in(page: FieldStation, handle: str) -> None:
    page.driver.switch_to.window(handle)
    page.open("/")
    page.tap_and_load(page.find("button.lock-button"))


@pytest.mark.parametrize("how", ["lock in another tab", "station restart"])
def test_a_signed_out_page_keeps_its_answers_until_the_officer_logs_in_again(live_app, installed, phone, how):
    app, _ = live_app
    page = phone
    record_id = to_safety(page)
    first = page.driver.current_window_handle
    page.driver.switch_to.new_window("tab")
    second = page.driver.current_window_handle
    if how == "station restart":
        # What a restart does to the keys: gone from the process's memory, so the session is over.
        keys = app.extensions["tip_keys"]
        app.extensions["tip_keys"] = type(keys)(app.config["TIP"].idle_timeout_minutes * 60)
    else:
        _lock_in(page, second)
    page.driver.switch_to.window(first)
    page.tap(page.find("#q-q_needs_doctor-box input[value='yes']"))
    page.answer_age("q_age", 19, wait=False)
    page.wait_status(SIGNED_OUT)
    assert "no connection" not in page.save_status()
    assert page.section_id() == "safety", "the page must not turn into the login page"

    page.driver.switch_to.window(second)
    page.login(installed["username"], installed["passphrase"])
    page.driver.switch_to.window(first)
    page.wait_status("Saved", timeout=10)
    stored = values(app, record_id)
    assert stored["q_needs_doctor"] == "yes" and stored["q_age"]["age"] == 19
    page.next()
    assert page.section_id() == "background"


def test_unsaved_answers_survive_a_reload_and_are_never_in_clear_in_storage(live_app, phone):
    app, _ = live_app
    page = phone
    refuse = RefuseAutosave(app.wsgi_app)
    app.wsgi_app = refuse  # type: ignore[method-assign]
    record_id = page.start_screening("en")
    secret_text = "Ma Hnin Secret"
    assert not page.find_all("#unsaved-key"), "the page key must leave the document at once"
    refuse.on = True
    page.type_text("q_respondent_name", secret_text, wait=False)
    page.tap(page.find("#q-q_location_type-box input[value='shelter']"))
    page.wait_status("Answers waiting: 2")
    page.wait().until(lambda d: d.execute_script("return sessionStorage.length;") == 1)
    stash = page.driver.execute_script(
        "var o = {}; for (var i = 0; i < sessionStorage.length; i++) { var k = sessionStorage.key(i);"
        " o[k] = sessionStorage.getItem(k); } return o;")
    everything = " ".join(f"{k} {v}" for k, v in stash.items())
    assert secret_text not in everything and "shelter" not in everything and "Secret" not in everything
    assert "q-q_respondent_name" not in everything

    page.driver.refresh()  # the keepalive on leaving is refused too
    page.wait_for_script()
    page.wait_status("Answers waiting: 2")
    assert page.value_of("q_respondent_name") == secret_text
    assert page.chosen("q_location_type") == ["shelter"]
    assert "q_respondent_name" not in answers_of(app, record_id)  # so the page had it from storage
    refuse.on = False
    page.wait_status("Saved", timeout=5)
    assert {"q_respondent_name": secret_text, "q_location_type": "shelter"}.items() <= values(app, record_id).items()
    page.wait().until(lambda d: d.execute_script("return sessionStorage.length;") == 0)


def test_an_officer_only_answer_records_the_officers_language(live_app, phone):
    app, _ = live_app
    page = phone
    record_id = page.start_screening("my")  # the officer's screen stays English
    page.answer_single("q_interpreter", "professional")
    page.next()
    page.answer_consent("q_consent_interview", True)
    stored = answers_of(app, record_id)
    assert stored["q_interpreter"]["lang"] == "en"
    assert stored["q_consent_interview"]["lang"] == "my"


def _zawgyi_pair(directory: Path) -> tuple[str, str]:
    from app.text.zawgyi import to_unicode

    zawgyi = (directory / "mmgov_zawgyi_src.txt").read_text(encoding="utf-8").splitlines()
    unicode = (directory / "mmgov_unicode_out.txt").read_text(encoding="utf-8").splitlines()
    for z, u in zip(zawgyi, unicode, strict=False):
        if 15 <= len(z) <= 40 and not z.startswith("#") and to_unicode(z).text == u.strip() != z:
            return z, u.strip()
    raise AssertionError("no short Zawgyi line in the test data")


def test_zawgyi_is_replaced_in_the_field_by_its_unicode_conversion(live_app, phone, testdata):
    app, _ = live_app
    page = phone
    zawgyi, unicode = _zawgyi_pair(testdata("zawgyi"))
    record_id = page.start_screening("my")
    page.mark_page()
    page.type_text("q_respondent_name", zawgyi, wait=False)
    page.wait().until(lambda d: page.value_of("q_respondent_name") == unicode,
                      "the field kept the Zawgyi text after it was converted")
    assert page.same_page()
    assert page.find("#q-q_respondent_name-converted").is_displayed()
    stored = answers_of(app, record_id)["q_respondent_name"]
    assert stored["value"] == unicode and stored["zawgyi_original"] == zawgyi
    assert page.find("#q-q_respondent_name").get_attribute("value") == unicode
    assert not page.find_all("#q-q_respondent_name-box .error:not([hidden])")
