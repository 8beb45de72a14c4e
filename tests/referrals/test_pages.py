"""The pages: a coordinator refers a case, the case worker of that organisation reads exactly the
shared fields and steps it on; a case worker of another organisation gets nothing, whatever
URL or id they try; a referral without the consent is refused, nothing saved."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Referral
from app.roles import Role
from tests.referrals.conftest import ANSWERS, logged_in
from tests.support.web import csrf_from, post_form


def _refer(coordinator, record_id, org_id, fields, note):
    url = f"/central/cases/{record_id}/refer?organisation={org_id}"
    page = coordinator.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return coordinator.post(f"/central/cases/{record_id}/refer", data={
        "organisation": org_id, "field": fields, "note": note,
        "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_refer_read_accept_serve_and_another_organisation_sees_nothing(central_app, as_role, fake_station,
                                                                       orgs, case_worker):
    record_id, envelope = fake_station.envelope(ANSWERS)
    fake_station.deliver((record_id, envelope))
    other_id, other_envelope = fake_station.envelope(ANSWERS)
    fake_station.deliver((other_id, other_envelope))
    case_worker(orgs["clinic"], "clinic.nurse")
    case_worker(orgs["shelter"], "shelter.staff")
    coordinator = as_role(Role.COORDINATOR)
    answer = _refer(coordinator, record_id, orgs["clinic"], ["q_age", "q_needs_doctor"], "Bring an interpreter.")
    assert answer.status_code == 302
    case_page = coordinator.get(f"/central/cases/{record_id}/case").get_data(as_text=True)
    assert 'data-status="referred"' in case_page and "Mae Tao clinic" in case_page
    with central_app.app_context():
        referral_id = db.session.scalar(sa.select(Referral.id))

    nurse = logged_in(central_app, "clinic.nurse")
    assert nurse.get("/").headers["Location"].endswith("/central/partner")
    listed = nurse.get("/central/partner").get_data(as_text=True)
    assert referral_id in listed
    page = nurse.get(f"/central/partner/{referral_id}").get_data(as_text=True)
    shown = set(re.findall(r'data-question="([^"]+)"', page))
    assert shown == {"q_age", "q_needs_doctor"}  # exactly the shared fields
    assert "Bring an interpreter." in page
    assert post_form(nurse, f"/central/partner/{referral_id}", f"/central/partner/{referral_id}/accepted",
                     {}).status_code == 302
    assert post_form(nurse, f"/central/partner/{referral_id}", f"/central/partner/{referral_id}/service",
                     {"text": "Treated at the clinic."}).status_code == 302
    page = nurse.get(f"/central/partner/{referral_id}").get_data(as_text=True)
    assert 'data-status="service_given"' in page and "Treated at the clinic." in page
    trail = coordinator.get(f"/central/cases/{record_id}/case").get_data(as_text=True)
    assert "Treated at the clinic." in trail  # the handover trail, read with central's key

    # Another organisation's case worker: nothing in the list, 404 for every URL and id.
    stranger = logged_in(central_app, "shelter.staff")
    assert referral_id not in stranger.get("/central/partner").get_data(as_text=True)
    before = _entries(central_app)
    for url in (f"/central/partner/{referral_id}", f"/central/partner/{record_id}",
                f"/central/partner/{other_id}"):
        assert stranger.get(url).status_code == 404, url
    answer = post_form(stranger, "/central/partner", f"/central/partner/{referral_id}/closed", {})
    assert answer.status_code == 404
    for url in (f"/central/records/{record_id}", f"/central/cases/{record_id}/case",
                f"/central/cases/{record_id}/refer?organisation={orgs['shelter']}", "/central/cases",
                "/central/referrals/overdue", "/central/records"):
        assert stranger.get(url).status_code == 403, url
    assert _entries(central_app) == before  # nothing read, nothing changed
    with central_app.app_context():
        assert db.session.get(Referral, referral_id).status == "service_given"


def _entries(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_a_referral_without_the_consent_is_refused_with_the_reason(central_app, as_role, fake_station, orgs,
                                                                  case_worker):
    record_id, envelope = fake_station.envelope(ANSWERS)  # no consent to the multidisciplinary team
    fake_station.deliver((record_id, envelope))
    case_worker(orgs["mdt"], "mdt.officer")
    coordinator = as_role(Role.COORDINATOR)
    answer = _refer(coordinator, record_id, orgs["mdt"], ["q_age"], "")
    assert answer.status_code == 400
    assert "has not agreed to their case being shared" in answer.get_data(as_text=True)
    with central_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
    assert 'data-status="new"' in coordinator.get(f"/central/cases/{record_id}/case").get_data(as_text=True)


def test_the_case_list_shows_status_and_assignee(central_app, as_role, fake_station, orgs, case_worker):
    record_id, envelope = fake_station.envelope(ANSWERS)
    fake_station.deliver((record_id, envelope))
    coordinator = as_role(Role.COORDINATOR)
    with central_app.app_context():
        from app.services import accounts
        admin_id = accounts.find_user("admin").id
    assert post_form(coordinator, f"/central/cases/{record_id}/case", f"/central/cases/{record_id}/assign",
                     {"assignee": str(admin_id)}).status_code == 302
    page = coordinator.get("/central/cases?period=all").get_data(as_text=True)
    row = page[page.index(f'data-record="{record_id}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-status="new"' in row and ">admin<" in row
    with central_app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "case_assign")) \
            == "assigned to admin"


def test_the_accounts_page_never_puts_central_s_key_into_a_case_worker_s_slot(central_app, as_role, orgs,
                                                                              case_worker):
    from app.models import KeySlot

    worker = case_worker(orgs["clinic"], "clinic.nurse")
    with central_app.app_context():
        before = db.session.scalar(sa.select(KeySlot.slot).where(KeySlot.user_id == worker["id"]))
    admin = as_role(Role.ADMIN)
    url = f"/central/directory/{orgs['clinic']}/workers"
    answer = post_form(admin, f"/admin/users/{worker['id']}/passphrase", f"/admin/users/{worker['id']}/passphrase",
                       {"passphrase": "a new long passphrase 42", "confirm": "a new long passphrase 42"})
    assert answer.status_code == 400 and "organisation" in answer.get_data(as_text=True)
    with central_app.app_context():
        assert db.session.scalar(sa.select(KeySlot.slot).where(KeySlot.user_id == worker["id"])) == before
    # The organisation's page sets it, with the organisation's key: the new passphrase opens it.
    assert post_form(admin, url, f"{url}/{worker['id']}/passphrase",
                     {"passphrase": "a new long passphrase 42"}).status_code == 302
    from tests.support.web import login
    client = central_app.test_client()
    assert login(client, "clinic.nurse", "a new long passphrase 42").status_code == 302
    assert client.get("/central/partner").status_code == 200
    # And the role cannot be chosen on the general form.
    assert 'value="partner"' not in admin.get("/admin/users").get_data(as_text=True)
