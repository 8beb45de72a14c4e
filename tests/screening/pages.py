"""Page objects for driving the station in a real browser (SecureDrop-style navigators).

A ``Station`` wraps one Selenium driver and one live server. Its methods are the
things an officer does (log in, start a screening, answer, press Next), plus the
few checks the browser tests need (which questions are shown, which flags are up,
does the page scroll sideways). Every wait is explicit: WebDriverWait on a
condition, never a fixed sleep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SECTION_PATH = re.compile(r"/screenings/(?P<record>[^/]+)/s/(?P<section>[^/?#]+)")


class Station:
    """One officer's browser on one station."""

    def __init__(self, driver: Any, base_url: str, timeout: float = 5.0) -> None:
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # -- plumbing ---------------------------------------------------------

    def use_viewport(self, width: int, height: int) -> None:
        """Headless Chromium will not open a window narrower than 500 px: emulate the phone's screen.

        Not "mobile" emulation: that lets Chromium zoom out to fit a too-wide page, which
        would hide exactly the sideways scrolling the tests look for.
        """
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def wait(self, timeout: float | None = None) -> WebDriverWait[Any]:
        return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,))

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def path(self) -> str:
        url: str = self.driver.current_url
        return url[len(self.base_url):] if url.startswith(self.base_url) else url

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def tap(self, element: WebElement) -> None:
        """A tap: scroll the element into the middle of the small screen, then click it."""
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def tap_and_load(self, element: WebElement) -> None:
        """Tap something that loads a new page, and wait until the new page is there."""
        self.tap(element)

        def gone(_driver: Any) -> bool:
            try:
                element.is_enabled()
            except (StaleElementReferenceException, WebDriverException):
                # Stale, or Chromium between two documents ("Node ... does not belong to the
                # document"): either way the old page is gone.
                return True
            return False

        self.wait(10).until(gone)
        self.wait(10).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def close_tab(self) -> None:
        """Close the current tab (not the browser): go on in a fresh tab."""
        closing = self.driver.current_window_handle
        self.driver.switch_to.new_window("tab")
        fresh = self.driver.current_window_handle
        self.driver.switch_to.window(closing)
        self.driver.close()
        self.driver.switch_to.window(fresh)

    def slow_network(self, latency_ms: int) -> None:
        """Every request takes this much longer (0: back to normal)."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1})

    def title(self) -> str:
        return str(self.find("h1").text)

    def scrolls_sideways(self) -> bool:
        return bool(self.driver.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth;"))

    def screenshot(self, name: str) -> Path:
        """The top of the page as the phone shows it, into test-artifacts/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.execute_script("window.scrollTo(0, 0);")
        target = SCREENSHOTS / f"{name}.png"
        assert self.driver.save_screenshot(str(target)), f"screenshot {name} not written"
        return target

    # -- login and home ---------------------------------------------------

    def login(self, username: str, passphrase: str) -> None:
        self.open("/login")
        self.find("#username").send_keys(username)
        self.find("#passphrase").send_keys(passphrase)
        self.tap_and_load(self.find("form button[type=submit].primary"))
        assert self.find_all("button.lock-button"), f"not logged in: {self.path()}"

    def home(self) -> None:
        self.open("/")

    def start_screening(self, lang: str = "en") -> str:
        """Two taps from home: "New screening", then the person's language. Returns the record id."""
        self.tap_and_load(self.find("main a[href$='/screenings/new']"))
        self.tap_and_load(self.find(f"button[name=respondent_lang][value='{lang}']"))
        return self.record_id()

    def records_list(self) -> None:
        self.open("/screenings/")

    def record_row(self, record_id: str) -> WebElement:
        return self.find(f"tr[data-record='{record_id}']")

    def resume(self, record_id: str) -> None:
        self.records_list()
        self.tap_and_load(self.record_row(record_id).find_element(By.CSS_SELECTOR, "a[href$='/']"))
        self.wait_for_script()

    # -- section pages ----------------------------------------------------

    def record_id(self) -> str:
        match = SECTION_PATH.search(self.path())
        assert match, f"not on a section page: {self.path()}"
        return match.group("record")

    def section_id(self) -> str | None:
        match = SECTION_PATH.search(self.path())
        return match.group("section") if match else None

    def on_section(self) -> bool:
        return self.section_id() is not None

    def wait_for_script(self) -> None:
        """screening.js is deferred: wait until the page is fully loaded."""
        self.wait(10).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def question(self, qid: str) -> WebElement:
        return self.find(f"#q-{qid}-box")

    def has_question(self, qid: str) -> bool:
        return bool(self.find_all(f"#q-{qid}-box"))

    def is_shown(self, qid: str) -> bool:
        return self.question(qid).get_attribute("hidden") is None

    def shown_questions(self) -> list[str]:
        return [str(box.get_attribute("data-qid")) for box in self.find_all("fieldset.question")
                if box.get_attribute("hidden") is None]

    def mark_page(self) -> None:
        """Tag the document, so that a later check can tell that no reload happened."""
        self.driver.execute_script("document.documentElement.dataset.sameDocument = 'yes';")

    def same_page(self) -> bool:
        return bool(self.driver.execute_script(
            "return document.documentElement.dataset.sameDocument === 'yes';"))

    def _choose(self, qid: str, value: str) -> None:
        self._before_change()
        self.tap(self.find(f"#q-{qid}-box input[name='q-{qid}'][value='{value}']"))
        self.wait_saved()

    def answer_yesno(self, qid: str, value: str) -> None:
        self._choose(qid, value)

    def answer_consent(self, qid: str, agrees: bool = True) -> None:
        self._choose(qid, "yes" if agrees else "no")

    def answer_single(self, qid: str, value: str) -> None:
        self._choose(qid, value)

    def answer_multi(self, qid: str, *values: str) -> None:
        for value in values:
            box = self.find(f"#q-{qid}-box input[name='q-{qid}'][value='{value}']")
            if not box.is_selected():
                self._choose(qid, value)

    def type_text(self, qid: str, text: str, field: str = "", wait: bool = True) -> None:
        """Type into a text input (``field`` = "-age" or "-dob" for age/date of birth).

        ``wait=False`` returns as soon as the keys are in, before the autosave (which
        waits for a pause in typing) has even started.
        """
        self._before_change()
        element = self.find(f"#q-{qid}{field}")
        self.tap(element)
        element.clear()
        element.send_keys(text)
        if wait:
            self.wait_saved()

    def answer_age(self, qid: str, years: int, wait: bool = True) -> None:
        self.type_text(qid, str(years), "-age", wait=wait)

    def value_of(self, qid: str, field: str = "") -> str:
        return str(self.find(f"#q-{qid}{field}").get_attribute("value"))

    def chosen(self, qid: str) -> list[str]:
        return [str(i.get_attribute("value")) for i in self.find_all(f"#q-{qid}-box input[name='q-{qid}']")
                if i.is_selected()]

    def _before_change(self) -> None:
        """Clear the save status, so that "Saved" afterwards is about this change."""
        self.driver.execute_script("var s = document.getElementById('save-status'); if (s) s.textContent = '';")

    def save_status(self) -> str:
        return str(self.find("#save-status").text)

    def wait_saved(self, timeout: float | None = None) -> None:
        self.wait(timeout).until(lambda d: self.save_status() == "Saved",
                                 f"autosave did not finish on {self.path()}")

    def flags(self) -> list[str]:
        return [str(f.get_attribute("data-code")) for f in self.find_all("#flags [data-code]")]

    def wait_flag(self, code: str, timeout: float | None = None) -> None:
        self.wait(timeout).until(lambda d: code in self.flags(), f"flag {code} did not appear")

    def _nav(self, go: str) -> None:
        self.tap_and_load(self.find(f"#section-form button[name=go][value={go}]"))
        if self.on_section():
            self.wait_for_script()

    def next(self) -> None:
        self._nav("next")

    def back(self) -> None:
        self._nav("back")

    def pause(self) -> None:
        self._nav("pause")

    # -- review and outcome -----------------------------------------------

    def on_review(self) -> bool:
        return self.path().split("?")[0].endswith("/review")

    def see_outcome(self) -> None:
        self.tap_and_load(self.find("main a.button.primary[href$='/outcome']"))

    def outcome_elements(self) -> dict[str, list[str]]:
        """Element -> question ids of the indicators listed under it."""
        return {str(e.get_attribute("data-element")):
                [str(i.get_attribute("data-question")) for i in e.find_elements(By.CSS_SELECTOR, "[data-question]")]
                for e in self.find_all(".outcome [data-element]")}

    def outcome_tier(self) -> str:
        section = self.find("section.outcome")
        classes = str(section.get_attribute("class")).split()
        return next((c[len("tier-"):] for c in classes if c.startswith("tier-")), "")

    def finish(self) -> None:
        self.tap_and_load(self.find("main form button[type=submit].primary"))


S = TypeVar("S", bound=Station)


@contextmanager
def logged_in(base_url: str, username: str, passphrase: str, width: int, height: int,
              kind: type[S] = Station) -> Iterator[S]:  # type: ignore[assignment]
    """A real Chromium of the given viewport on a live station, logged in."""
    from tests.support.browser import chromium

    with chromium(width, height) as driver:
        page = kind(driver, base_url)
        page.use_viewport(width, height)
        page.login(username, passphrase)
        yield page
