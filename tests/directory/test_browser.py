"""Central's directory pages in a real Chromium, in all five languages: an administrator adds
an organisation (a missing English name is refused with the error on the field), sees it in
the list with its name in the interface language, retires it; phone width, no sideways
scrolling; a screenshot per language in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from app.languages import CODES
from app.services.central import directory
from tests.conftest import PASSPHRASE
from tests.screening.pages import Station
from tests.support.browser import chromium
from tests.support.live import serve

NAMES = {"en": "Mae Sot shelter", "th": "บ้านพักแม่สอด", "my": "မဲဆောက် ခိုလှုံရာ", "lo": "ບ້ານພັກແມ່ສອດ",
         "km": "ជម្រកម៉ែសត"}


def _choose_language(page: Station, lang: str) -> None:
    Select(page.find("#ui-lang")).select_by_value(lang)
    page.tap_and_load(page.find("form.lang-switch button[type=submit]"))
    page.wait().until(lambda d: d.find_element("css selector", "html").get_attribute("lang") == lang)


@pytest.mark.browser
def test_an_administrator_keeps_the_directory_in_every_language(central_app):
    with serve(central_app) as base, chromium(360, 740) as driver:
        page = Station(driver, base)
        page.login("admin", PASSPHRASE)
        for lang in CODES:
            page.open("/central/directory")
            _choose_language(page, lang)
            page.tap_and_load(page.find("a[href$='/central/directory/new']"))
            assert page.find("html").get_attribute("lang") == lang
            # The name in the interface language only: English is missing, so nothing is saved.
            if lang != "en":
                page.find(f"#name_{lang}").send_keys(NAMES[lang])
            Select(page.find("#kind")).select_by_value("shelter")
            page.tap(page.find("input[name=services][value=shelter]"))
            page.find("#phone").send_keys("055 123 456")
            page.tap_and_load(page.find("form.directory-form button[type=submit].primary"))
            error = page.find("#name_en-error")
            assert error.is_displayed() and page.find("#name_en").get_attribute("aria-invalid") == "true"
            assert not page.scrolls_sideways(), lang
            page.screenshot(f"directory-form-error-{lang}")
            with central_app.app_context():
                assert directory.current_version() == CODES.index(lang)  # nothing saved this time

            page.find("#name_en").send_keys(f"{NAMES['en']} {lang}")
            page.tap_and_load(page.find("form.directory-form button[type=submit].primary"))
            assert page.path() == "/central/directory"
            row = page.find_all("tr[data-organisation]")[-1]
            shown = row.find_element("css selector", "th span")
            assert shown.text == (NAMES[lang] if lang != "en" else f"{NAMES['en']} en")
            assert shown.get_attribute("lang") == lang
            assert not page.scrolls_sideways(), lang
            page.screenshot(f"directory-list-{lang}")

        # Retire the last one (the page asks for confirmation first).
        row = page.find_all("tr[data-organisation]")[-1]
        org_id = row.get_attribute("data-organisation")
        button = row.find_element("css selector", "button.danger")
        page.tap(button)
        alert = page.wait().until(lambda d: d.switch_to.alert)
        alert.accept()
        page.wait(10).until(lambda d: "retired" in (d.find_element(
            "css selector", f"tr[data-organisation='{org_id}']").get_attribute("class") or ""))
    with central_app.app_context():
        assert directory.organisation(org_id).retired and directory.current_version() == len(CODES) + 1
