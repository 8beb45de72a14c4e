"""Every page an officer or an administrator reaches on a station, on a 360x740 phone, in each
interface language: nothing wider than the screen, no hidden sideways scrolling inside a box,
every link, button and field within the screen's width; and the two language controls, the
officer's screen and the respondent's, told apart by their labels."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.languages import CODES
from tests.conftest import PASSPHRASE
from tests.support.browser import chromium
from tests.support.interview import Interview
from tests.support.live import serve
from tests.support.web import csrf_from, login

from .pages import Station

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740
# Long enough to push a table cell wider than a phone if the layout lets it.
LONG_NAME = "Naw Htoo Htoo Paw Kyi Kyi Moe Thandar Soe Win Aung"
LONG_USER = "outreach_team_leader_maesot_2"

# What the page holds that is wider than the screen, or an element that scrolls sideways on
# its own (a table in an overflow box), or a control partly or wholly off the screen's width.
MEASURE = """
const width = window.innerWidth;
const problems = [];
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\\s+/g, '.') : '') +
  ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
if (document.documentElement.scrollWidth > width) {
  problems.push('page is ' + document.documentElement.scrollWidth + 'px wide');
}
for (const el of document.querySelectorAll('body *')) {
  if (!shown(el) || el.matches('input, select, textarea, option')) continue;
  const overflow = getComputedStyle(el).overflowX;
  if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
    problems.push('scrolls sideways inside: ' + name(el));
  }
}
for (const el of document.querySelectorAll('a[href], button, select, input:not([type=hidden]), textarea')) {
  if (!shown(el) || el.closest('.skip-link')) continue;
  const r = el.getBoundingClientRect();
  if (r.left < -0.5 || r.right > width + 0.5) {
    problems.push('out of view: ' + name(el) + ' at ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
}
return problems;
"""


def fits(page: Station, what: str) -> list[str]:
    assert page.driver.execute_script("return window.innerWidth;") == WIDTH
    return [f"{what}: {problem}" for problem in page.driver.execute_script(MEASURE)]


def choose_interface_language(page: Station, lang: str) -> None:
    """The header's language control, as a person uses it (it submits itself)."""
    from selenium.webdriver.support.ui import Select

    Select(page.find("#ui-lang")).select_by_value(lang)
    page.wait(10).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && document.documentElement.lang") == lang)


def seed(app: Flask, client: FlaskClient) -> dict[str, str]:
    """Records and accounts to fill the tables: drafts with long names, a finished one, and
    accounts with long names. Returns the ids the pages link to."""
    from app.services import accounts
    from tests.conftest import admin_secret

    with app.app_context():
        accounts.create_user(LONG_USER, "outreach", PASSPHRASE, secret=admin_secret(app))
        accounts.create_user("somchai", "officer", PASSPHRASE, secret=admin_secret(app))
        officer_id = str(accounts.find_user("somchai").id)
    assert login(client, "admin", PASSPHRASE).status_code == 302
    ids = {"user": officer_id}
    for n, lang in enumerate(("my", "th", "km")):
        page = client.get("/screenings/new")
        token = csrf_from(page.get_data(as_text=True))
        response = client.post("/screenings/new", data={"respondent_lang": lang, "csrf_token": token})
        interview = Interview(client, response.headers["Location"].split("/")[2], token)
        assert interview.autosave(q_respondent_name=f"{LONG_NAME} {n}").status_code == 200
        ids["record"] = interview.id
    return ids


@pytest.fixture
def phone(live_app: tuple[Flask, str]) -> Iterator[Station]:
    _, base_url = live_app
    with chromium(WIDTH, HEIGHT) as driver:
        page = Station(driver, base_url)
        page.use_viewport(WIDTH, HEIGHT)
        yield page


def walk(page: Station, paths: list[tuple[str, str]]) -> list[str]:
    problems: list[str] = []
    for what, path in paths:
        page.open(path)
        page.wait_for_script()
        problems += fits(page, what)
    return problems


def test_every_station_page_fits_a_phone_in_every_language(app: Flask, live_app: tuple[Flask, str],
                                                          phone: Station) -> None:
    ids = seed(app, app.test_client())
    problems: list[str] = []
    admin_pages = [
        ("home", "/"), ("records", "/screenings/"), ("records, drafts", "/screenings/?state=draft"),
        ("screening start", "/screenings/new"), ("section", f"/screenings/{ids['record']}/s/setup"),
        ("accounts", "/admin/users"), ("account passphrase", f"/admin/users/{ids['user']}/passphrase"),
        ("account phone set-up", f"/admin/users/{ids['user']}/phone"),
        ("sync", "/sync"),
    ]
    officer_pages = [("home", "/"), ("records", "/screenings/"), ("screening start", "/screenings/new"),
                     ("sync", "/sync")]
    for lang in CODES:
        phone.open("/login")
        choose_interface_language(phone, lang)
        problems += fits(phone, f"{lang} login")
        phone.login("admin", PASSPHRASE)
        assert phone.driver.execute_script("return document.documentElement.lang") == lang
        problems += walk(phone, [(f"{lang} admin {what}", path) for what, path in admin_pages])
        phone.screenshot(f"phone-sync-{lang}")
        phone.open(f"/screenings/{ids['record']}/s/setup")
        phone.screenshot(f"phone-section-{lang}")
        phone.open("/screenings/")
        phone.screenshot(f"phone-records-{lang}")
        phone.open("/admin/users")
        phone.screenshot(f"phone-accounts-{lang}")
        phone.tap_and_load(phone.find("header button.link"))  # log out
        phone.login("somchai", PASSPHRASE)
        problems += walk(phone, [(f"{lang} officer {what}", path) for what, path in officer_pages])
        phone.tap_and_load(phone.find("header button.link"))
    assert not problems, "\n".join(problems)


def test_the_setup_page_fits_a_phone_in_every_language(app: Flask) -> None:
    """First run (no installation yet): the setup page in each language."""
    problems: list[str] = []
    with serve(app) as base_url, chromium(WIDTH, HEIGHT) as driver:
        page = Station(driver, base_url)
        page.use_viewport(WIDTH, HEIGHT)
        for lang in CODES:
            page.open("/setup/")
            choose_interface_language(page, lang)
            assert page.path().startswith("/setup")
            problems += fits(page, f"{lang} setup")
            page.screenshot(f"phone-setup-{lang}")
    assert not problems, "\n".join(problems)


def test_the_sync_page_of_an_enrolled_station_fits_a_phone(app: Flask, live_app: tuple[Flask, str],
                                                           phone: Station) -> None:
    """Enrolled with a central of a long address: the status and both buttons in view."""
    from app.extensions import db
    from app.models.types import utcnow
    from app.services import installation

    with app.app_context():
        inst = installation.find()
        assert inst is not None
        inst.enrolled_at = utcnow()
        inst.central_url = "https://centraltipscreening.ministryofsocialdevelopment.example.org/stationsync"
        db.session.commit()
    phone.login("admin", PASSPHRASE)
    problems: list[str] = []
    for lang in CODES:
        phone.open("/sync")
        choose_interface_language(phone, lang)
        assert phone.find_all("form[action$='/sync/now'] button"), "no Sync now button"
        problems += fits(phone, f"{lang} enrolled sync")
    assert not problems, "\n".join(problems)


def _label_of(page: Station, control_id: str) -> Any:
    label = page.find(f"label[for='{control_id}']")
    return label, label.text.strip()


def test_the_two_language_controls_are_labelled_apart(app: Flask, live_app: tuple[Flask, str],
                                                     phone: Station) -> None:
    """On a section page the officer's screen language and the respondent's are two controls,
    each with a visible label of its own, both within the screen."""
    ids = seed(app, app.test_client())
    phone.login("admin", PASSPHRASE)
    phone.open(f"/screenings/{ids['record']}/s/setup")
    phone.wait_for_script()
    ui_label, ui_text = _label_of(phone, "ui-lang")
    resp_label, resp_text = _label_of(phone, "resp-lang")
    assert ui_label.is_displayed() and resp_label.is_displayed()
    assert ui_text == "Your language (screen)"
    assert resp_text == "Respondent's language"
    # Each control says which it is to a screen reader too (its accessible name is its label).
    assert phone.find("#ui-lang").accessible_name == ui_text
    assert phone.find("#resp-lang").accessible_name == resp_text
    # The respondent's control shows the respondent's language, the screen's the officer's.
    assert phone.find("#resp-lang").get_attribute("value") == "km"
    assert phone.find("#ui-lang").get_attribute("value") == "en"
    # No other language control on the page to confuse them with.
    assert len(phone.find_all("select[name=lang]")) == 2
    assert not fits(phone, "section")
    # The screening start names the respondent's language the same way.
    phone.open("/screenings/new")
    assert phone.find("form.card legend").text.strip().startswith("Respondent's language")
