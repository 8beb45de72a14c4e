"""The whole referral loop with real servers: a station (SQLite) screens a child with medical needs
who consented, the officer picks an organisation the station proposes from the pulled directory,
the record syncs to central (PostgreSQL, real HTTP), a coordinator refers it, a case worker of
that organisation (and of no other) reads exactly the shared fields, accepts and records a
service, and the officer's records list says so after the station's next pull."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import sqlalchemy as sa

from app.extensions import db
from app.models import ReferralFeedback
from app.services import accounts, installation, questionnaires, records, referrals
from app.services.sync import client as sync_client
from app.services.sync import updates
from tests.conftest import PASSPHRASE
from tests.directory.conftest import add_at_central
from tests.referrals.conftest import ANSWERS, logged_in
from tests.support.web import csrf_from, login, post_form

DOC = json.loads((Path(__file__).parents[2] / "app" / "api" / "openapi.json").read_text())


def _screen(station, clinic_id: str) -> str:
    with station.ctx():
        admin = accounts.find_user("admin")
        rec = records.create(admin, station.secret, respondent_lang="my", interview_lang="th")
        raw = {k: str(v) for k, v in ANSWERS.items()} | {"q_age": {"age": "15"}}
        saved = records.save_answers(rec.id, admin, station.secret, {"q_respondent_name": "Ma Hla", **raw},
                                     lang="th")
        answers = saved.answers
        assert answers.get("q_needs_doctor") == "yes", answers
        definition = referrals.with_directory(questionnaires.latest())
        offer = referrals.offer_for(definition, answers, "my")
        assert offer is not None and "medical" in offer.needs and "children" in offer.needs
        assert clinic_id in [o.id for o in offer.proposed]  # proposed for this person
        records.save_answers(rec.id, admin, station.secret, {"q_referral_to": [clinic_id]}, lang="th")
        records.finalise(rec.id, admin, station.secret)
        return str(rec.id)


def test_the_referral_loop_from_the_interview_to_the_officer_s_list(enrolled, case_worker_at):
    central, station = enrolled
    clinic, _ = add_at_central(central.app, name="Mae Sot hospital children's ward", kind="health",
                               province="", services=("medical", "children"), languages=("my", "th"))
    shelter, _ = add_at_central(central.app, name="Tak shelter", kind="shelter", province="",
                                services=("shelter",))
    with station.ctx():
        sync_client.pull_updates(installation.get())  # the directory reaches the station
    record_id = _screen(station, clinic)
    officer = station.app.test_client()
    assert login(officer, "admin", PASSPHRASE).status_code == 302
    slip = officer.get(f"/screenings/{record_id}/slip").get_data(as_text=True)
    assert f'data-referral="{clinic}"' in slip and "Mae Sot hospital children" in slip
    assert f'data-referral="{shelter}"' not in slip  # listed: what the officer picked, not all
    with station.ctx():
        sync_client.sync()
    with central.ctx():
        db.session.remove()
    assert record_id in central.received()

    case_worker_at(central.app, clinic, "ward.nurse")
    case_worker_at(central.app, shelter, "shelter.staff")
    coordinator = central.app.test_client()
    assert login(coordinator, "admin", PASSPHRASE).status_code == 302
    refer = coordinator.get(f"/central/cases/{record_id}/refer?organisation={clinic}")
    assert refer.status_code == 200
    answer = coordinator.post(f"/central/cases/{record_id}/refer", data={
        "organisation": clinic, "field": ["q_age", "q_needs_doctor"], "note": "Fever; speaks Burmese only.",
        "csrf_token": csrf_from(refer.get_data(as_text=True))})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]

    nurse = logged_in(central.app, "ward.nurse")
    listed = nurse.get("/central/partner").get_data(as_text=True)
    (referral_id,) = re.findall(r'data-referral="([^"]+)"', listed)
    page = nurse.get(f"/central/partner/{referral_id}").get_data(as_text=True)
    assert set(re.findall(r'data-question="([^"]+)"', page)) == {"q_age", "q_needs_doctor"}
    assert "Ma Hla" not in page and "Fever; speaks Burmese only." in page
    assert post_form(nurse, f"/central/partner/{referral_id}", f"/central/partner/{referral_id}/accepted",
                     {}).status_code == 302
    with station.ctx():
        sync_client.pull_updates(installation.get())
        db.session.remove()
    accepted = officer.get("/screenings/").get_data(as_text=True)
    assert "referred to Mae Sot hospital children&#39;s ward: accepted on" in accepted
    assert post_form(nurse, f"/central/partner/{referral_id}", f"/central/partner/{referral_id}/service",
                     {"text": "Admitted to the children's ward."}).status_code == 302
    stranger = logged_in(central.app, "shelter.staff")
    assert re.findall(r'data-referral="([^"]+)"', stranger.get("/central/partner").get_data(as_text=True)) == []
    assert stranger.get(f"/central/partner/{referral_id}").status_code == 404

    # The pull answer carries the status, as documented, and nothing personal.
    with station.ctx():
        body = json.loads(sync_client.pull._held(installation.get()))
    with central.ctx():
        station_id = next(iter(central.received().values())).station_id
        signed = updates.signed_updates(body["questionnaires"], body["central_key_id"], body["facts_key_id"],
                                        body["directory_version"], station_id=station_id,
                                        referrals_seen=body["referrals_seen"])
    assert signed is not None
    schema = DOC["components"]["schemas"]["SignedUpdates"]["properties"]["payload"]["properties"]
    jsonschema.validate(signed["payload"]["referral_statuses"], schema["referral_statuses"])
    assert "Admitted" not in json.dumps(signed) and "Ma Hla" not in json.dumps(signed)
    with station.ctx():
        sync_client.pull_updates(installation.get())
        db.session.remove()
        assert db.session.scalar(sa.select(ReferralFeedback.status)) == "service_given"
    row = officer.get("/screenings/").get_data(as_text=True)
    assert "referred to Mae Sot hospital children&#39;s ward: service given on" in row
    # The next pull brings nothing new about it: the station said what it had seen.
    with station.ctx():
        body = json.loads(sync_client.pull._held(installation.get()))
    assert body["referrals_seen"] >= 1
    with central.ctx():
        assert updates.signed_updates(body["questionnaires"], body["central_key_id"], body["facts_key_id"],
                                      body["directory_version"], station_id=station_id,
                                      referrals_seen=body["referrals_seen"]) is None
