"""The coordinator's workspace in a real Chromium: the dashboard, the case list and the
stations page in each of the five languages, on a phone and on a laptop, after a real station
synced records over real HTTP: the page's own words in that language, every chart with its
table, no sideways scrolling, native digits when chosen, and a screenshot of each."""

from __future__ import annotations

import base64
import uuid

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from app.languages import CODES, in_native_digits
from app.roles import Role
from app.services import accounts
from app.services.accounts import keyring
from app.services.sync import client as sync_client
from tests.conftest import PASSPHRASE
from tests.sync.conftest import enrolled  # noqa: F401  (a fixture: real central and station)

pytestmark = pytest.mark.browser

PAGES = {"dashboard": ("/central/", "Dashboard"), "cases": ("/central/cases", "Case list"),
         "stations": ("/central/stations", "Stations")}


@pytest.mark.parametrize("width", [360, 1280])
def test_workspace_in_five_languages(enrolled, width):  # noqa: F811
    from tests.screening.pages import logged_in

    central, station = enrolled
    station.finalised(7)
    with station.ctx():
        assert sync_client.sync().marked_synced == 7
    name = "coord" + uuid.uuid4().hex[:4]
    with central.ctx():
        admin = accounts.find_user("admin")
        accounts.create_user(name, Role.COORDINATOR, PASSPHRASE, secret=keyring.open_user_slot(admin, PASSPHRASE))
        titles = {lang: {page: _in(lang, title) for page, (_path, title) in PAGES.items()} for lang in CODES}

    with logged_in(central.url, name, PASSPHRASE, width, 800) as page:
        for lang in CODES:
            with central.ctx():
                accounts.set_locale(accounts.find_user(name), lang)
            for key, (path, _title) in PAGES.items():
                page.open(path)
                assert page.find("html").get_attribute("lang") == lang
                assert page.title() == titles[lang][key], (lang, key)
                if lang != "en":
                    assert page.title() != titles["en"][key], (lang, key)
                assert not page.scrolls_sideways(), (lang, key, width)
                _whole_page(page, f"central-{key}-{lang}-{width}")
            page.open("/central/cases")
            sort = page.find("table.cases thead a")  # sorting is in view on a phone too
            assert sort.is_displayed() and sort.size["height"] > 0
            page.open("/central/")
            charts = page.find_all("section.chart-block")
            assert charts and all(c.find_elements("css selector", "svg") and c.find_elements("css selector", "table")
                                  for c in charts)
            assert "7" in page.find(".dashboard-total").text
            if lang != "en":  # native digits, when chosen, on the same counts
                page.tap_and_load(page.find("form.digits-choice button"))
                assert in_native_digits("7", lang) in page.find(".dashboard-total").text
                _whole_page(page, f"central-dashboard-{lang}-{width}-native-digits")
                page.tap_and_load(page.find("form.digits-choice button"))
                assert "7" in page.find(".dashboard-total").text


def _in(lang: str, text: str) -> str:
    with force_locale(lang):
        return _(text)


def _whole_page(page, name: str) -> None:
    """The whole page (NAME-whole.png) and its top (NAME.png) into test-artifacts/screenshots/."""
    from tests.screening.pages import SCREENSHOTS

    size = page.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000), "scale": 1}
    shot = page.driver.execute_cdp_cmd("Page.captureScreenshot",
                                       {"format": "png", "captureBeyondViewport": True, "clip": clip})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}-whole.png").write_bytes(base64.b64decode(shot["data"]))
    page.screenshot(name)  # and the top, as the screen shows it
