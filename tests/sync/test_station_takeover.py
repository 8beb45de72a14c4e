"""Enrolment cannot take over a station: a spare code used with an enrolled station's id is
refused, whatever that station did so far (network syncs, USB bundles only). Re-keying is an
administrator's action at central, audited, and what the station signed before still opens."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from app.crypto import generate_signing_key, parse_envelope, signing_public_key, verify_envelope
from app.extensions import db
from app.models import AuditEntry, EnrolmentCode, RecordState, Station, StationKey
from app.protocol.messages import b64
from app.services import accounts, installation, records
from app.services.accounts import keyring
from app.services.central import audit, enrolment, received
from app.services.sync import client as sync_client
from tests.conftest import PASSPHRASE
from tests.sync.conftest import Central, StationSide, call


def keys_at_central(central: Central, station_id: str) -> tuple[bytes, bytes, int]:
    with central.ctx():
        db.session.remove()
        row = db.session.get(Station, station_id)
        assert row is not None
        return bytes(row.signing_public_key), bytes(row.api_public_key), row.last_counter


def open_all(central: Central, ids: list[str]) -> list[dict[str, Any]]:
    """Open each record as a coordinator does (signature checked against the station's keys)."""
    with central.ctx():
        db.session.remove()
        secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        return [received.open_received(rid, username="admin", secret=secret).answers for rid in ids]


def station_id(station: StationSide) -> str:
    with station.ctx():
        return str(installation.get().station_id)


def takeover(central: Central, victim_id: str) -> Any:
    """An attacker with a spare (valid, unused) code claims the victim's station id with their keys."""
    spare = central.code("Attacker's spare")
    _, signing_public = generate_signing_key()
    _, api_public = generate_signing_key()
    body = json.dumps({"code": spare, "station_id": victim_id, "signing_public_key": b64(signing_public),
                       "api_public_key": b64(api_public)}).encode()
    answer = call(central.url, "POST", "/api/v1/enrol", body)
    with central.ctx():
        db.session.remove()
        row = db.session.scalar(sa.select(EnrolmentCode).where(EnrolmentCode.code_hash == enrolment._hash(spare)))
        assert row is not None and row.used_at is None  # the spare code was not spent either
    return answer


def bundle_to_central(central: Central, station: StationSide, tmp_path: Any) -> str:
    path = tmp_path / "usb.tipbundle"
    exported = station.app.test_cli_runner().invoke(args=["bundle", "export", str(path)])
    assert exported.exit_code == 0, exported.output
    imported = central.app.test_cli_runner().invoke(args=["bundle", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    return imported.output


@pytest.mark.parametrize("delivery", ["network", "usb_only"])
def test_a_spare_code_cannot_take_over_an_enrolled_station(enrolled, tmp_path, delivery):
    central, station = enrolled
    victim = station_id(station)
    ids = station.finalised(3, name="Aye Aye")
    station.seal_waiting()
    if delivery == "network":
        with station.ctx():
            assert sync_client.sync().accepted == 3
    else:
        assert "3 accepted" in bundle_to_central(central, station, tmp_path) or \
            set(central.received()) == set(ids)
    assert set(central.received()) == set(ids)
    before_keys = keys_at_central(central, victim)
    if delivery == "usb_only":
        assert before_keys[2] == 0  # never made a signed request: the case enrolment used to let through
    before = central.counts()

    answer = takeover(central, victim)
    assert answer.status == 403
    assert answer.content_type.startswith("application/json")
    assert "already enrolled" in answer.json["message"] and "rekey" in answer.json["message"]
    assert "Traceback" not in answer.json["message"]

    # Nothing changed: the victim's keys, its records (they still open), the counts.
    assert keys_at_central(central, victim) == before_keys
    assert central.counts() == before
    assert [a["q_respondent_name"]["value"] for a in open_all(central, ids)] == [f"Aye Aye {n}" for n in range(3)]
    # ... and the victim's next sync, by the same way, still works.
    more = station.finalised(1, name="Ko Ko")
    station.seal_waiting()
    if delivery == "network":
        with station.ctx():
            assert sync_client.sync().accepted == 1
    else:
        bundle_to_central(central, station, tmp_path)
    assert set(central.received()) == set(ids) | set(more)
    assert open_all(central, more)[0]["q_respondent_name"]["value"] == "Ko Ko 0"


def test_a_station_refusing_central_fingerprint_registers_nothing(central, station):
    code = central.code("Mae Sot post")
    before = central.counts()
    with station.ctx(), pytest.raises(Exception, match="fingerprint does not match"):
        sync_client.enrol(central.url, code, expected_fingerprint="AAAA-BBBB-CCCC-DDDD")
    # Central compared it too: nothing registered, the code still unused, so it still works.
    assert central.counts() == before
    with central.ctx():
        from app.services.central import keys as central_keys

        right = central_keys.public_fingerprint()
    with station.ctx():
        assert sync_client.enrol(central.url, code, expected_fingerprint=right) == right
    assert central.counts()["stations"] == before["stations"] + 1


def test_rekey_is_an_audited_admin_action_and_old_records_still_open(enrolled, make_app):
    central, station = enrolled
    victim = station_id(station)
    old_ids = station.finalised(2, name="Old key")
    station.seal_waiting()
    with station.ctx():
        assert sync_client.sync().accepted == 2
    signed_before = station.finalised(1, name="Signed before")  # sealed with the old key, not yet sent
    station.seal_waiting()
    old_keys = keys_at_central(central, victim)

    result = central.app.test_cli_runner().invoke(args=["stations", "rekey", victim, "--url", central.url])
    assert result.exit_code == 0, result.output
    found = re.search(r"Code:\s+(\S+)", result.output)
    assert found and "enrol --rekey" in result.output
    code = found.group(1)

    # The re-key code is bound to that station: another station id cannot redeem it.
    other = call(central.url, "POST", "/api/v1/enrol", json.dumps({
        "code": code, "station_id": "6f1c2a52-44a3-4a8e-9a61-3b0f5a1e2c11",
        "signing_public_key": b64(generate_signing_key()[1]),
        "api_public_key": b64(generate_signing_key()[1])}).encode())
    assert other.status == 403 and keys_at_central(central, victim) == old_keys

    # The station redeems it with new keys (its administrator unlocks the station key).
    done = station.app.test_cli_runner().invoke(
        args=["enrol", "--rekey", "--user", "admin", "--password-stdin", central.url, code],
        input=PASSPHRASE + "\n")
    assert done.exit_code == 0, done.output
    new_keys = keys_at_central(central, victim)
    assert new_keys[0] != old_keys[0] and new_keys[1] != old_keys[1]
    with station.ctx():
        assert installation.get().signing_public_key == new_keys[0]
    with central.ctx():
        db.session.remove()
        history = list(db.session.scalars(sa.select(StationKey).where(StationKey.station_id == victim)))
        assert [(h.signing_public_key, h.api_public_key) for h in history] == [old_keys[:2]]
        actions = [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]
        assert actions.count(audit.STATION_REKEY) == 2  # issued, then redeemed
        assert audit.check_chain().ok

    # Old records still open; one signed with the old key before the re-key is still taken in;
    # new ones are signed with the new key; the next sync works with the new API key.
    new_ids = station.finalised(1, name="New key")
    station.seal_waiting()
    with station.ctx():
        summary = sync_client.sync()
    assert summary.accepted == 2 and summary.refused == 0
    assert {r.state for r in station.records().values()} == {RecordState.SYNCED}
    names = [a["q_respondent_name"]["value"] for a in open_all(central, old_ids + signed_before + new_ids)]
    assert names == ["Old key 0", "Old key 1", "Signed before 0", "New key 0"]

    # The spent re-key code cannot be used again, and the old API key signs nothing any more.
    again = call(central.url, "POST", "/api/v1/enrol", json.dumps({
        "code": code, "station_id": victim, "signing_public_key": b64(generate_signing_key()[1]),
        "api_public_key": b64(generate_signing_key()[1])}).encode())
    assert again.status == 403 and keys_at_central(central, victim)[:2] == new_keys[:2]


def test_after_a_rekey_every_user_signs_with_the_new_key(enrolled):
    """Role keys: the signing key lives in each user's key set. A re-key reaches an officer
    whose slot predates it: an open session signs with the new key at once, and the next
    login puts the new key into the slot."""
    central, station = enrolled
    officer_phrase = "an officer's own long test phrase"
    with station.ctx():
        accounts.create_user("officer1", "officer", officer_phrase, secret=station.slot_secret)
        officer = accounts.find_user("officer1")
        assert officer is not None
        stale = keyring.station_keys(keyring.open_user_slot(officer, officer_phrase))
    result = central.app.test_cli_runner().invoke(
        args=["stations", "rekey", station_id(station), "--url", central.url])
    found = re.search(r"Code:\s+(\S+)", result.output)
    assert result.exit_code == 0 and found, result.output
    done = station.app.test_cli_runner().invoke(
        args=["enrol", "--rekey", "--user", "admin", "--password-stdin", central.url, found.group(1)],
        input=PASSPHRASE + "\n")
    assert done.exit_code == 0, done.output
    with station.ctx():
        new_public = installation.get().signing_public_key
        assert new_public is not None and signing_public_key(stale.signing) != new_public
        officer = accounts.find_user("officer1")
        assert officer is not None and officer.signing_update is not None
        # A session opened before the re-key: its record is signed with the new key.
        rid = records.create(officer, stale, respondent_lang="th", interview_lang="th").id
        records.save_answers(rid, officer, stale, {"q_respondent_name": "After rekey"}, lang="th")
        records.finalise(rid, officer, stale)
        envelope = station.records()[rid].envelope
        assert envelope is not None
        verify_envelope(parse_envelope(envelope), new_public)
        # The next login: the slot now holds the new key.
        fresh = keyring.station_keys(keyring.open_user_slot(officer, officer_phrase))
        assert signing_public_key(fresh.signing) == new_public and fresh.own == stale.own
        assert sync_client.sync().accepted == 1
    assert [a["q_respondent_name"]["value"] for a in open_all(central, [rid])] == ["After rekey"]


def test_the_rsa_key_for_phones_follows_a_rekey(enrolled):
    """Phones keep encrypting to the RSA key in the forms they hold: a re-key of the signing
    key re-wraps its private half, so it still opens, with the new key and with a session
    from before the re-key (docs/odk.md)."""
    from app.services.odk import keys as odk_keys

    central, station = enrolled
    officer_phrase = "an officer's own long test phrase"
    with station.ctx():
        accounts.create_user("officer2", "officer", officer_phrase, secret=station.slot_secret)
        officer = accounts.find_user("officer2")
        assert officer is not None
        stale = keyring.station_keys(keyring.open_user_slot(officer, officer_phrase))
        public = odk_keys.ensure_key_pair(stale)
        private = odk_keys.private_key(stale)
        wrapped_before = installation.get().odk_private_wrapped
    result = central.app.test_cli_runner().invoke(
        args=["stations", "rekey", station_id(station), "--url", central.url])
    found = re.search(r"Code:\s+(\S+)", result.output)
    assert result.exit_code == 0 and found, result.output
    done = station.app.test_cli_runner().invoke(
        args=["enrol", "--rekey", "--user", "admin", "--password-stdin", central.url, found.group(1)],
        input=PASSPHRASE + "\n")
    assert done.exit_code == 0, done.output
    with station.ctx():
        assert installation.get().odk_public_key == public
        assert installation.get().odk_private_wrapped != wrapped_before
        assert odk_keys.private_key(stale) == private  # through the new key sealed to the officer
        fresh = keyring.station_keys(keyring.open_user_slot(accounts.find_user("officer2"), officer_phrase))
        assert odk_keys.private_key(fresh) == private
