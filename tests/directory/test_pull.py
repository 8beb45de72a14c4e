"""The directory edited at central reaches a real station by pull, over real HTTP (central on
PostgreSQL); a tampered or older directory is refused and changes nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import DirectoryVersion
from app.services import installation, referrals
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from tests.conftest import PASSPHRASE
from tests.directory.conftest import ORGANISATION, add_at_central
from tests.support.web import csrf_from, login


def _held(station):
    with station.ctx():
        db.session.remove()
        found = referrals.newest()
        return referrals.held_version(), found


def test_an_organisation_added_on_central_s_page_reaches_the_station_at_its_next_pull(enrolled):
    central, station = enrolled
    assert _held(station) == (0, None)
    client = central.app.test_client()
    assert login(client, "admin", PASSPHRASE).status_code == 302
    page = client.get("/central/directory/new")
    answer = client.post("/central/directory/new",
                         data={**ORGANISATION, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert answer.status_code == 302, answer.get_data(as_text=True)

    with station.ctx():
        sync_client.pull_updates(installation.get())
    version, found = _held(station)
    assert version == 1
    (org,) = found.organisations
    assert org.name.get("th") == "บ้านพักเด็กจังหวัดตาก" and org.name.get("lo") == "Tak children's shelter"
    assert org.contacts == {"phone": "055 123 456", "messaging": "LINE @tak-shelter",
                            "address": "12 Intharakiri Rd, Mae Sot", "hours": "24 hours"}
    assert org.services == ("children", "shelter") and org.province == "Tak"
    sync_page = station.app.test_client()
    assert login(sync_page, "admin", PASSPHRASE).status_code == 302
    assert 'data-directory-version="1">Version 1, signed by central' in sync_page.get("/sync").get_data(as_text=True)


def test_each_change_is_a_new_version_and_only_a_newer_one_is_sent(enrolled):
    central, station = enrolled
    first, v1 = add_at_central(central.app, name="Shelter A")
    with station.ctx():
        sync_client.pull_updates(installation.get())
    assert _held(station)[0] == v1 == 1
    with station.ctx():  # nothing new: the station says it holds version 1, central sends none
        body = json.loads(sync_client.pull._held(installation.get()))
    assert body["directory_version"] == 1
    from app.services.sync import updates
    with central.ctx():
        assert updates.signed_updates(body["questionnaires"], body["central_key_id"], body["facts_key_id"],
                                      body["directory_version"]) is None

    _second, v2 = add_at_central(central.app, name="Clinic B", kind="health", services=("medical",))
    with central.ctx():
        from app.services.central import directory
        from tests.directory.conftest import custody
        assert directory.retire(custody(central.app), first, username="admin") == 3
    with station.ctx():
        sync_client.pull_updates(installation.get())
    version, found = _held(station)
    assert (v2, version) == (2, 3)
    by_name = {o.name.get("en"): o for o in found.organisations}
    assert by_name["Shelter A"].retired and not by_name["Clinic B"].retired  # retired, never deleted


def test_a_directory_tampered_with_in_central_s_database_is_refused_and_changes_nothing(enrolled):
    """Someone with write access to central's database changes a phone number without the
    identity key: the station refuses the whole pull with a clear message."""
    central, station = enrolled
    add_at_central(central.app, name="Shelter A")
    with central.ctx():
        row = db.session.get(DirectoryVersion, 1)
        row.statement = row.statement.replace("055 123 456", "099 999 999")
        db.session.commit()
    with station.ctx(), pytest.raises(SyncFailed) as refused:
        sync_client.pull_updates(installation.get())
    assert "not signed by this station's central" in str(refused.value)
    assert "Nothing was changed" in str(refused.value)
    assert _held(station) == (0, None)
    with station.ctx():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DirectoryVersion)) == 0


def test_a_pulled_directory_offers_its_organisations_in_the_referral_question(enrolled):
    central, station = enrolled
    org_id, _ = add_at_central(central.app)
    with station.ctx():
        sync_client.pull_updates(installation.get())
    rec_id = station.finalised(1)[0]
    from app.services import accounts, records
    with station.ctx():
        opened = records.open_record(rec_id, accounts.find_user("admin"), station.secret)
        question = opened.definition.question(referrals.REFERRAL_QUESTION)
        values = [o.value for o in question.options]
    # The questionnaire's own choices stay (old records name them), then the directory, then "none".
    assert values[0] == "mdt_nrm" and values[-2:] == [org_id, "none"]
