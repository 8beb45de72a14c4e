"""Live pages: the versions a page compares move when what it shows may have changed; its
background requests never keep a session alive; and in a real Chromium, records a real
station syncs over real HTTP show up on the open page with no reload."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuthSession, Installation, RecordFacts, Station
from app.roles import Role
from app.services import accounts
from app.services.accounts import keyring
from app.services.sync import client as sync_client
from tests.conftest import PASSPHRASE
from tests.sync.conftest import enrolled  # noqa: F401  (a fixture: real central and station)

BACKGROUND = {"X-TS-Background": "1", "Accept": "application/json"}


def _versions(client) -> dict[str, str]:
    response = client.get("/central/live", headers=BACKGROUND)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.get_data())


def _add_facts(app, record_id: str, station_id: str) -> None:
    """A facts row as ingest writes it (the facts themselves do not matter here)."""
    with app.app_context():
        db.session.add(RecordFacts(record_id=record_id, station_id=station_id, created_day="2026-03-01",
                                   questionnaire_id="tip-default", questionnaire_version="1",
                                   facts="{}", source="ingest"))
        db.session.commit()


def test_versions_move_with_new_facts_a_deletion_and_a_station_problem(central_app, as_role, fake_station):
    fake_station.with_facts = False  # the facts row is added by hand below
    client = as_role(Role.COORDINATOR)
    first = _versions(client)
    assert set(first) == {"facts", "stations"}
    assert _versions(client) == first  # nothing happened: the same

    record_id, blob = fake_station.envelope()
    fake_station.deliver((record_id, blob))
    _add_facts(central_app, record_id, fake_station.id)
    second = _versions(client)
    assert second["facts"] != first["facts"] and second["stations"] == first["stations"]

    with central_app.app_context():  # a deletion bumps the generation (rows only come and go)
        db.session.execute(sa.update(Installation).values(facts_generation=Installation.facts_generation + 1))
        db.session.commit()
    third = _versions(client)
    assert third["facts"] not in (first["facts"], second["facts"])

    fake_station.deliver((record_id, fake_station.envelope(record_id=uuid.UUID(record_id))[1]))  # conflict
    assert _versions(client)["stations"] != third["stations"]


def test_live_answers_json_and_only_to_coordinators_and_administrators(central_app, as_role):
    signed_out = central_app.test_client().get("/central/live", headers=BACKGROUND)
    assert signed_out.status_code == 401 and signed_out.json["error"] == "login_required"
    for role in (Role.OFFICER, Role.INTERPRETER, Role.OUTREACH):
        assert as_role(role).get("/central/live", headers=BACKGROUND).status_code == 403, role
    assert _versions(as_role(Role.ADMIN))


def _last_seen(app) -> datetime:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(sa.select(sa.func.max(AuthSession.last_seen_at)))


def _idle_for(app, minutes: float) -> None:
    with app.app_context():
        db.session.execute(sa.update(AuthSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=minutes)))
        db.session.commit()


def test_background_requests_do_not_keep_an_unattended_session_open(central_app, as_role):
    client = as_role(Role.COORDINATOR)
    _idle_for(central_app, 5)
    before = _last_seen(central_app)
    _versions(client)
    page = client.get("/central/stations", headers={"X-TS-Background": "1"})
    assert page.status_code == 200
    assert _last_seen(central_app) == before  # the page's own polling is not activity
    client.get("/central/stations")
    assert _last_seen(central_app) > before  # the person's request is

    _idle_for(central_app, 16)  # past the 15-minute idle timeout, with only polling meanwhile
    answer = client.get("/central/live", headers=BACKGROUND)
    assert answer.status_code == 401  # live.js reloads the page: the login page, not the data


# -- in a real Chromium -----------------------------------------------------------------


def _coordinator(central) -> str:
    name = "coord" + uuid.uuid4().hex[:4]
    with central.ctx():
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASSPHRASE)
        accounts.create_user(name, Role.COORDINATOR, PASSPHRASE, secret=secret)
    return name


def _cell(page, station_id: str, name: str) -> str:
    return str(page.find(f'tr[data-station="{station_id}"] td[data-count="{name}"]').text)


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_records_a_station_syncs_appear_on_the_open_stations_page(enrolled, width, tmp_path):  # noqa: F811
    from tests.screening.pages import logged_in

    central, station = enrolled
    with station.ctx():
        from app.services import installation

        station_id = str(installation.get().station_id)
    with logged_in(central.url, _coordinator(central), PASSPHRASE, width, 740) as page:
        page.open("/central/stations")
        assert _cell(page, station_id, "month") == "0"
        version = page.find("[data-live]").get_attribute("data-live-version")
        page.mark_page()
        page.driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight);")
        scrolled = page.driver.execute_script("return window.scrollY;")

        station.finalised(6)
        with station.ctx():
            summary = sync_client.sync()
        assert summary.marked_synced == 6

        # No one touches the page: it catches up by itself.
        page.wait(30).until(lambda d: _cell(page, station_id, "month") == "6")
        assert page.same_page(), "the page was reloaded"
        assert _cell(page, station_id, "records") == "6" and _cell(page, station_id, "pending") == "0"
        assert page.find("[data-live]").get_attribute("data-live-version") != version
        assert page.driver.execute_script("return window.scrollY;") == scrolled
        status = page.find("p[role=status][aria-live=polite]")
        page.wait(5).until(lambda d: "up to date" in (status.get_attribute("textContent") or ""))
        assert page.driver.save_screenshot(str(tmp_path / f"stations-live-{width}.png"))


@pytest.mark.browser
def test_without_javascript_the_stations_page_is_complete(enrolled, tmp_path):  # noqa: F811
    """The same page with scripts off: every count there, just not live."""
    from tests.screening.pages import Station as Page
    from tests.support.browser import chromium

    central, station = enrolled
    station.finalised(2)
    with station.ctx():
        sync_client.sync()
    name = _coordinator(central)
    with chromium(1280, 740) as driver:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        page = Page(driver, central.url)
        page.login(name, PASSPHRASE)
        page.open("/central/stations")
        row = page.find("tr[data-station]")
        assert "fewer than 5" in row.find_element("css selector", 'td[data-count="records"]').text
        assert not page.find_all("p[role=status]")  # the script did not run
        assert driver.save_screenshot(str(tmp_path / "stations-no-js.png"))
    with central.ctx():
        assert db.session.scalar(sa.select(Station.pending)) == 0


def _total(page) -> str:
    found = page.find_all(".dashboard-total")
    return str(found[0].text) if found else ""


@pytest.mark.browser
def test_records_a_station_syncs_appear_on_the_open_dashboard_and_case_list(enrolled, tmp_path):  # noqa: F811
    """Two tabs, the dashboard and the case list, open before the records exist."""
    from tests.screening.pages import logged_in

    central, station = enrolled
    with logged_in(central.url, _coordinator(central), PASSPHRASE, 1280, 900) as page:
        page.open("/central/cases")
        assert not page.find_all("tr[data-record]")
        cases_tab = page.driver.current_window_handle
        page.driver.switch_to.new_window("tab")
        page.open("/central/")
        assert "6" not in _total(page)
        page.mark_page()

        station.finalised(6)
        with station.ctx():
            assert sync_client.sync().marked_synced == 6
            from app.services import installation

            station_id = str(installation.get().station_id)
        with central.ctx():  # the facts travelled sealed and were indexed at ingest
            assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordFacts)
                                     .where(RecordFacts.station_id == station_id)) == 6

        page.wait(30).until(lambda d: "6" in _total(page))
        assert page.same_page(), "the dashboard was reloaded"
        assert page.driver.save_screenshot(str(tmp_path / "dashboard-live.png"))
        page.driver.switch_to.window(cases_tab)
        page.driver.execute_script("document.dispatchEvent(new Event('visibilitychange'));")
        page.wait(30).until(lambda d: len(page.find_all("tr[data-record]")) == 6)
        assert page.driver.save_screenshot(str(tmp_path / "cases-live.png"))
