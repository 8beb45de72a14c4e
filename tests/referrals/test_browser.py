"""Cases and referrals in a real Chromium at phone width, in all five languages: a coordinator
refers a case from its page (ticks two fields, writes a note), the organisation's case worker
opens it, sees exactly those fields, accepts and records a service; the coordinator's case page
shows the trail; no page scrolls sideways; a screenshot per page and language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.webdriver.support.ui import Select

from app.extensions import db
from app.languages import CODES
from app.models import Referral
from app.roles import Role
from tests.conftest import PASSPHRASE
from tests.directory.test_browser import _choose_language
from tests.referrals.conftest import ANSWERS
from tests.screening.pages import Station
from tests.support.browser import chromium
from tests.support.live import serve


@pytest.mark.browser
def test_refer_accept_and_serve_in_every_language(central_app, central_users, fake_station, orgs, case_worker):
    case_worker(orgs["clinic"], "clinic.nurse")
    coordinator = central_users(Role.COORDINATOR)
    record_ids = {}
    for lang in CODES:
        record_id, envelope = fake_station.envelope(ANSWERS)
        fake_station.deliver((record_id, envelope))
        record_ids[lang] = record_id
    with serve(central_app) as base:
        with chromium(360, 740) as driver:
            page = Station(driver, base)
            page.login(coordinator["username"], PASSPHRASE)
            for lang in CODES:
                record_id = record_ids[lang]
                page.open(f"/central/cases/{record_id}/case")
                _choose_language(page, lang)
                assert page.find("[data-status]").get_attribute("data-status") == "new"
                assert not page.scrolls_sideways(), lang
                page.screenshot(f"case-{lang}")
                Select(page.find("#organisation")).select_by_value(orgs["clinic"])
                page.tap_and_load(page.find("form[action$='/refer'] button[type=submit]"))
                page.tap(page.find("input[name=field][value=q_age]"))
                page.tap(page.find("input[name=field][value=q_needs_doctor]"))
                page.find("#note").send_keys(f"Handover {lang}")
                assert not page.scrolls_sideways(), lang
                page.screenshot(f"case-refer-{lang}")
                page.tap_and_load(page.find("form[action$='/refer'] button[type=submit]"))
                assert page.path() == f"/central/cases/{record_id}/case"
                assert page.find("dd[data-status]").get_attribute("data-status") == "referred"
        with central_app.app_context():
            referral_of = {r.record_id: r.id for r in db.session.scalars(sa.select(Referral))}
        with chromium(360, 740) as driver:
            page = Station(driver, base)
            page.login("clinic.nurse", PASSPHRASE)
            assert page.path() == "/central/partner"
            for lang in CODES:
                referral_id = referral_of[record_ids[lang]]
                page.open(f"/central/partner/{referral_id}")
                _choose_language(page, lang)
                shown = {e.get_attribute("data-question") for e in page.find_all("dd[data-question]")}
                assert shown == {"q_age", "q_needs_doctor"}, lang
                assert page.find(".handover-note").text == f"Handover {lang}"
                assert not page.scrolls_sideways(), lang
                page.screenshot(f"partner-referral-{lang}")
                page.tap_and_load(page.find("form[action$='/accepted'] button[type=submit]"))
                page.find("form[action$='/service'] textarea").send_keys(f"Seen by the doctor ({lang})")
                page.tap_and_load(page.find("form[action$='/service'] button[type=submit]"))
                assert page.find("dd[data-status]").get_attribute("data-status") == "service_given"
                assert not page.scrolls_sideways(), lang
            page.open("/central/partner")
            assert not page.scrolls_sideways()
            page.screenshot("partner-cases")
    with central_app.app_context():
        assert {r.status for r in db.session.scalars(sa.select(Referral))} == {"service_given"}
