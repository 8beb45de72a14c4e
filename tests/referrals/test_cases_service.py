"""Referring a case, the case worker's steps, what each side can open, and the audit entries."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, KeySlot, Referral, ReferralEvent
from app.services import accounts
from app.services.central import cases, partners
from app.services.errors import NotFound, ValidationFailed
from tests.conftest import PASSPHRASE
from tests.directory.conftest import custody
from tests.referrals.conftest import ANSWERS


def _worker(app, name):
    with app.app_context():
        user = accounts.find_user(name)
        secret = db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == user.id))
        from app.crypto import open_slot
        return user.id, open_slot(secret.slot, PASSPHRASE)


def test_referral_seals_only_the_chosen_fields_to_the_organisation(central_app, fake_station, orgs, case_worker):
    record_id, envelope = fake_station.envelope(ANSWERS)
    fake_station.deliver((record_id, envelope))
    case_worker(orgs["clinic"], "clinic.nurse")
    case_worker(orgs["shelter"], "shelter.staff")
    key = custody(central_app)
    with central_app.app_context():
        referral = cases.refer(record_id, orgs["clinic"], ["q_age", "q_needs_doctor"], "Needs a paediatrician.",
                               username="admin", secret=key)
        referral_id = referral.id
        assert cases.case_state(record_id).status == "referred"
        stored = db.session.get(Referral, referral_id).shared
        assert b"paediatrician" not in stored and b"q_age" not in stored  # sealed
    nurse_id, nurse_key = _worker(central_app, "clinic.nurse")
    other_id, other_key = _worker(central_app, "shelter.staff")
    assert nurse_key != key and len(nurse_key) == 32  # the organisation's key, not central's custody key
    with central_app.app_context():
        nurse = accounts.get_user(nurse_id)
        part = cases.read_shared(referral_id, user=nurse, secret=nurse_key)
        assert part.share["fields"] == {"q_age": 15, "q_needs_doctor": "yes"}
        assert part.share["note"] == "Needs a paediatrician."
        assert "q_citizenship" not in part.share["fields"]
        other = accounts.get_user(other_id)
        try:
            cases.read_shared(referral_id, user=other, secret=other_key)
            raise AssertionError("a case worker of another organisation read the referral")
        except NotFound:
            pass
        cases.step(referral_id, "accepted", "", user=nurse, secret=nurse_key)
        cases.step(referral_id, "service", "Seen by Dr. K; antibiotics.", user=nurse, secret=nurse_key)
        assert cases.case_state(record_id).status == "service_given"
        texts = db.session.scalars(sa.select(ReferralEvent.for_organisation)).all()
        assert all(b"antibiotics" not in (t or b"") for t in texts)
        (trail,) = cases.trail(record_id, key)  # coordinators read the step's text with central's key
        assert [(s.kind, s.text) for s in trail.steps] == [
            ("referred", ""), ("accepted", ""), ("service", "Seen by Dr. K; antibiotics.")]
        actions = [a for a in db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))]
        assert actions[-5:] == ["open", "referral", "referral_read", "referral_accept", "referral_service"]
        assert "antibiotics" not in " ".join(db.session.scalars(sa.select(AuditEntry.detail)))


def test_referral_without_the_needed_consent_is_refused_with_the_reason(central_app, fake_station, orgs,
                                                                        case_worker):
    record_id, envelope = fake_station.envelope(ANSWERS)  # consented across the border, not to the MDT
    fake_station.deliver((record_id, envelope))
    case_worker(orgs["mdt"], "mdt.officer")
    key = custody(central_app)
    with central_app.app_context():
        try:
            cases.refer(record_id, orgs["mdt"], ["q_age"], "", username="admin", secret=key)
            raise AssertionError("referred without the MDT consent")
        except ValidationFailed as exc:
            assert "has not agreed" in str(exc) and "Tak MDT" in str(exc)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
        assert cases.case_state(record_id).status == "new"


def test_a_later_case_worker_gets_the_same_organisation_key(central_app, orgs, case_worker):
    case_worker(orgs["clinic"], "first.worker")
    case_worker(orgs["clinic"], "second.worker")
    assert _worker(central_app, "first.worker")[1] == _worker(central_app, "second.worker")[1]
    with central_app.app_context():
        assert partners.key_of(orgs["clinic"]) is not None
        assert [u.username for u in partners.case_workers(orgs["clinic"])] == ["first.worker", "second.worker"]
