"""The station's Sync page: status, enrolment (admin), sync now and USB export (every station role)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ReceivedRecord, Record, RecordState
from app.roles import Role
from app.services import accounts
from app.services.central import keys as central_keys
from app.services.sync import client as sync_client
from app.services.sync import ingest
from app.web.access import ANY_USER, access_rule
from tests.conftest import PASSPHRASE
from tests.support.web import csrf_from, login, post_form


def test_sync_blueprint_only_on_stations(app, central_app):
    assert {"sync.index", "sync.sync_now", "sync.export", "sync.enrol"} <= set(app.view_functions)
    assert not any(e.startswith("sync.") for e in central_app.view_functions)
    assert set(access_rule(app, "sync.enrol")) == {Role.ADMIN}
    assert set(access_rule(app, "sync.retry")) == {Role.ADMIN, Role.COORDINATOR}
    for endpoint in ("sync.index", "sync.sync_now", "sync.export"):
        assert set(access_rule(app, endpoint)) == {ANY_USER}


def test_not_enrolled_admin_sees_the_enrolment_form(client, logged_in):
    logged_in(Role.ADMIN)
    html = client.get("/sync").get_data(as_text=True)
    assert "Not enrolled yet" in html
    assert 'action="/sync/enrol"' in html and 'for="url"' in html and 'for="code"' in html
    assert 'href="/sync"' in html  # the nav link
    assert "Sync now" not in html


def test_not_enrolled_officer_is_told_to_ask_an_admin(client, logged_in):
    logged_in(Role.OFFICER)
    html = client.get("/sync").get_data(as_text=True)
    assert "Ask an administrator" in html and 'action="/sync/enrol"' not in html
    token = csrf_from(html)
    response = client.post("/sync/enrol", data={"csrf_token": token, "url": "http://127.0.0.1:1", "code": "X"})
    assert response.status_code == 403


def test_sync_and_export_before_enrolment_say_so(client, logged_in):
    logged_in(Role.OFFICER)
    for action in ("/sync/now", "/sync/export"):
        response = post_form(client, "/sync", action, {})
        assert response.status_code == 302
        assert "not enrolled" in client.get("/sync").get_data(as_text=True)
    assert client.post("/sync/now").status_code == 400  # no CSRF token


def test_enrolment_form_errors_are_shown(client, logged_in):
    logged_in(Role.ADMIN)
    response = post_form(client, "/sync", "/sync/enrol", {"url": "", "code": ""})
    assert response.status_code == 400
    response = post_form(client, "/sync", "/sync/enrol", {"url": "http://example.org", "code": "ABCD"})
    assert response.status_code == 400
    assert "https" in response.get_data(as_text=True)


# -- against a live central ----------------------------------------------------------------


def _station_client(station, role=Role.ADMIN):
    client = station.app.test_client()
    name = "admin"
    if role is not Role.ADMIN:
        name = f"{role.value}1"
        with station.ctx():
            accounts.create_user(name, role, PASSPHRASE, secret=station.slot_secret)
    assert login(client, name, PASSPHRASE).status_code == 302
    return client


def _central_fingerprint(central):
    with central.app.app_context():
        return central_keys.public_fingerprint()


def test_wrong_fingerprint_stops_enrolment(central, station):
    client = _station_client(station)
    response = post_form(client, "/sync", "/sync/enrol", {
        "url": central.url, "code": central.code(), "fingerprint": "AAAA-BBBB-CCCC-DDDD"})
    assert response.status_code == 400
    assert "does not match" in response.get_data(as_text=True)
    with station.ctx():
        assert sync_client.status()["enrolled"] is False


def test_enrol_sync_export_through_the_page(central, station):
    waiting = station.finalised(1)
    admin = _station_client(station)
    fingerprint = _central_fingerprint(central)
    response = post_form(admin, "/sync", "/sync/enrol", {
        "url": central.url, "code": central.code(), "fingerprint": fingerprint})
    assert response.status_code == 302
    html = admin.get("/sync").get_data(as_text=True)
    assert f'<code class="fingerprint">{fingerprint}</code>' in html
    assert "1 finalised screening is now sealed for central" in html  # sealed with the admin's key
    assert re.search(r'<dd class="pending">1</dd>', html)

    # Any station role may export a USB bundle and sync.
    officer = _station_client(station, Role.OFFICER)
    more = station.finalised(1)
    response = post_form(officer, "/sync", "/sync/export", {})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tip-screen-')
    assert response.headers["Cache-Control"] == "no-store"
    bundle = response.get_data()
    assert b"Ma Aye" not in bundle and b"Person" not in bundle

    # Central's administrator imports it.
    central_admin = central.app.test_client()
    assert login(central_admin, "admin", PASSPHRASE).status_code == 302
    token = csrf_from(central_admin.get("/central/import").get_data(as_text=True))
    from io import BytesIO

    imported = central_admin.post("/central/import", data={"csrf_token": token,
                                                           "bundle": (BytesIO(bundle), "b.tipbundle")},
                                  content_type="multipart/form-data")
    assert "New records: 2" in imported.get_data(as_text=True)

    # The next sync settles both with central's receipts.
    response = post_form(officer, "/sync", "/sync/now", {})
    assert response.status_code == 302
    html = officer.get("/sync").get_data(as_text=True)
    assert "Sync done: 2 sent, 2 confirmed by central, 0 still waiting." in html
    assert re.search(r'<dd class="pending">0</dd>', html)
    assert "never" not in html.split("Last successful sync")[1].split("</dd>")[0]
    with central.app.app_context():
        ids = set(db.session.scalars(sa.select(ReceivedRecord.id)))
    assert ids == set(waiting + more)

    # A coordinator at central opens one: the station's answers, signed and sealed end to end.
    opened = central_admin.get(f"/central/records/{more[0]}")
    assert opened.status_code == 200
    assert "Person 0" in opened.get_data(as_text=True)

    # Nothing left: export says so instead of writing an empty file.
    response = post_form(officer, "/sync", "/sync/export", {})
    assert response.status_code == 302
    assert "Nothing to export" in officer.get("/sync").get_data(as_text=True)


def test_sync_failure_is_shown_in_plain_words(central, station):
    with station.ctx():
        sync_client.enrol(central.url, central.code())
    client = _station_client(station, Role.INTERPRETER)
    with station.ctx():
        from app.models import Installation

        db.session.execute(sa.update(Installation).values(central_url="http://127.0.0.1:9"))
        db.session.commit()
    response = post_form(client, "/sync", "/sync/now", {})
    assert response.status_code == 302
    html = client.get("/sync").get_data(as_text=True)
    assert "Central cannot be reached" in html
    assert "Last problem" in html


@pytest.mark.parametrize("role", [Role.OFFICER, Role.OUTREACH, Role.COORDINATOR])
def test_every_station_role_sees_the_page(client, logged_in, role):
    logged_in(role)
    assert client.get("/sync").status_code == 200


def test_records_central_will_not_take_are_shown_and_can_be_sent_again(central, station):
    with station.ctx():
        sync_client.enrol(central.url, central.code())
    ids = station.finalised(2)
    officer = _station_client(station, Role.OFFICER)
    assert post_form(officer, "/sync", "/sync/now", {}).status_code == 302
    # Central deletes them; the station forgets it heard back (as after a lost answer).
    with central.app.app_context():
        assert all(ingest.delete_record(rid) for rid in ids)
    with station.ctx():
        db.session.execute(sa.update(Record).values(state=RecordState.FINAL, receipt=None, receipt_at=None))
        db.session.commit()

    assert post_form(officer, "/sync", "/sync/now", {}).status_code == 302
    html = officer.get("/sync").get_data(as_text=True)
    assert "Central did not accept 2 record(s)" in html
    assert re.search(r'<dd class="pending">0</dd>', html)
    section = html.split('id="refused-heading"')[1].split("</section>")[0]
    assert "Not accepted by central" in section
    assert re.search(r"Central deleted this record earlier\.\s*<strong class=\"count\">2</strong>", section)
    assert 'action="/sync/retry"' not in section  # an officer may not send them again
    assert post_form(officer, "/sync", "/sync/retry", {}).status_code == 403

    coordinator = _station_client(station, Role.COORDINATOR)
    html = coordinator.get("/sync").get_data(as_text=True)
    assert 'action="/sync/retry"' in html
    assert post_form(coordinator, "/sync", "/sync/retry", {}).status_code == 302
    html = coordinator.get("/sync").get_data(as_text=True)
    assert "2 records will be sent again at the next sync." in html
    assert re.search(r'<dd class="pending">2</dd>', html) and 'id="refused-heading"' not in html
    with station.ctx():
        assert {r.sync_problem for r in station.records().values()} == {None}

    # Still deleted at central: refused again, and kept here.
    assert post_form(coordinator, "/sync", "/sync/now", {}).status_code == 302
    html = coordinator.get("/sync").get_data(as_text=True)
    assert 'id="refused-heading"' in html
    assert all(r.state is RecordState.FINAL and r.receipt is None for r in station.records().values())
    assert coordinator.post("/sync/retry").status_code == 400  # no CSRF token
