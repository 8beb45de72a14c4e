"""Overdue referrals stand out (config referral_overdue_days); a decline needs its reason, which
is sealed at rest and read back by the coordinator; a step that does not apply changes nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Referral, ReferralEvent
from app.models.types import utcnow
from app.roles import Role
from app.services.central import cases
from tests.directory.conftest import custody
from tests.referrals.conftest import ANSWERS, logged_in
from tests.support.web import post_form


def _referred(app, fake_station, org_id):
    record_id, envelope = fake_station.envelope(ANSWERS)
    fake_station.deliver((record_id, envelope))
    key = custody(app)
    with app.app_context():
        return record_id, cases.refer(record_id, org_id, ["q_age"], "", username="admin", secret=key).id


def test_a_referral_unanswered_for_longer_than_the_setting_is_overdue(central_app, as_role, fake_station, orgs,
                                                                     case_worker):
    case_worker(orgs["clinic"], "clinic.nurse")
    late_record, late = _referred(central_app, fake_station, orgs["clinic"])
    fresh_record, _fresh = _referred(central_app, fake_station, orgs["clinic"])
    with central_app.app_context():
        assert cases.overdue_days() == 7
        db.session.get(Referral, late).made_at = utcnow() - timedelta(days=8)
        db.session.commit()
    coordinator = as_role(Role.COORDINATOR)
    page = coordinator.get("/central/referrals/overdue").get_data(as_text=True)
    assert f'data-referral="{late}"' in page and fresh_record not in page
    listed = coordinator.get("/central/cases?period=all").get_data(as_text=True)
    row = listed[listed.index(f'data-record="{late_record}"'):]
    assert 'class="overdue"' in row[:row.index("</tr>")]
    row = listed[listed.index(f'data-record="{fresh_record}"'):]
    assert 'class="overdue"' not in row[:row.index("</tr>")]
    # Answered, it is no longer overdue.
    nurse = logged_in(central_app, "clinic.nurse")
    assert post_form(nurse, f"/central/partner/{late}", f"/central/partner/{late}/accepted", {}).status_code == 302
    assert late not in coordinator.get("/central/referrals/overdue").get_data(as_text=True)


def test_a_decline_needs_its_reason_sealed_at_rest(central_app, as_role, fake_station, orgs, case_worker):
    case_worker(orgs["clinic"], "clinic.nurse")
    record_id, referral_id = _referred(central_app, fake_station, orgs["clinic"])
    nurse = logged_in(central_app, "clinic.nurse")
    url = f"/central/partner/{referral_id}"
    refused = post_form(nurse, url, f"{url}/declined", {"text": "  "})
    assert refused.status_code == 303
    assert "Write a few words" in nurse.get(url).get_data(as_text=True)
    wrong = post_form(nurse, url, f"{url}/closed", {})  # not accepted yet: closing does not apply
    assert wrong.status_code == 303
    with central_app.app_context():
        assert db.session.get(Referral, referral_id).status == "referred"
    assert post_form(nurse, url, f"{url}/declined", {"text": "No beds for children this month."}).status_code == 302
    with central_app.app_context():
        event = db.session.scalars(sa.select(ReferralEvent).where(ReferralEvent.kind == "declined")).one()
        assert b"No beds" not in event.for_organisation and b"No beds" not in event.for_central
        assert db.session.get(Referral, referral_id).status == "declined"
    coordinator = as_role(Role.COORDINATOR)
    page = coordinator.get(f"/central/cases/{record_id}/case").get_data(as_text=True)
    assert "No beds for children this month." in page and 'data-status="declined"' in page
