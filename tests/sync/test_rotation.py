"""Key rotation and the key ring: records sealed before and after a rotation of central's record
key all open; the station learns the new key only under the identity key's signature; an
installation from before the key ring moves into custodians' slots at a custodian's login."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.crypto import aead_encrypt, generate_signing_key, generate_x25519, key_id
from app.extensions import db
from app.models import AuditEntry, CentralKey, KeySlot, ReceivedRecord
from app.protocol.identity import make_host_certificate, make_record_key_statement, sign_as_host
from app.protocol.messages import b64
from app.roles import Role
from app.services import accounts, installation, unlock
from app.services.accounts import keyring
from app.services.central import audit, received
from app.services.central import host as central_host
from app.services.central import keys as central_keys
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from app.services.sync.client import page as sync_page
from tests.conftest import PASSPHRASE
from tests.support.rewriting_proxy import rewriting_proxy
from tests.support.web import login


def _custody(central) -> bytes:  # type: ignore[no-untyped-def]
    with central.ctx():
        custody = unlock.open_keys(accounts.find_user("admin"), PASSPHRASE)
    assert custody is not None
    return custody


def _open_all(central, custody: bytes) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """record id -> the key id it was sealed to, after opening each one."""
    out = {}
    with central.ctx():
        db.session.remove()
        rows = db.session.execute(sa.select(ReceivedRecord.id, ReceivedRecord.central_key_id)).all()
        for record_id, sealed_to in rows:
            opened = received.open_received(record_id, username="admin", secret=custody)
            assert "Person" in str(opened.answers["q_respondent_name"])
            out[record_id] = sealed_to
    return out


def test_a_full_rotation_with_records_on_both_sides(enrolled):
    central, station = enrolled
    before = station.finalised(2)
    with station.ctx():
        assert sync_client.sync().marked_synced == 2
        old_id = installation.get().central_key_id
    with central.ctx():
        old_fingerprint = central_keys.public_fingerprint()
    page = station.app.test_client()
    assert login(page, "admin", PASSPHRASE).status_code == 302
    html = page.get("/sync").get_data(as_text=True)
    assert old_fingerprint in html and "record key changed" not in html

    rotated = central.app.test_cli_runner().invoke(args=["keys", "rotate-record-key", "--password-stdin"],
                                                   input=PASSPHRASE + "\n")
    assert rotated.exit_code == 0, rotated.output
    with central.ctx():
        db.session.remove()
        new_id = installation.get_central().central_key_id
        new_fingerprint = central_keys.public_fingerprint()
        assert new_fingerprint in rotated.output and new_fingerprint != old_fingerprint
        actions = list(db.session.scalars(sa.select(AuditEntry.action)))
        assert actions[-1] == audit.KEY_ROTATED
        assert {r.key_id: r.retired_at is None for r in central_keys.record_keys()} == {old_id: False,
                                                                                        new_id: True}
    assert new_id != old_id

    # Finalised before the station's next pull: still sealed to the old key, and central takes it.
    between = station.finalised(1)
    with station.ctx():
        summary = sync_client.sync()  # push, then pull: the new key arrives
        assert summary.marked_synced == 1
        inst = installation.get()
        assert inst.central_key_id == new_id
        shown = sync_page.overview()
        assert shown.central_key_changed_at is not None and shown.central_key_id == new_id
        assert shown.central_fingerprint == new_fingerprint
    html = page.get("/sync").get_data(as_text=True)
    assert "record key changed on" in html and new_id in html and new_fingerprint in html
    after = station.finalised(2)
    with station.ctx():
        assert sync_client.sync().marked_synced == 2

    sealed_to = _open_all(central, _custody(central))
    assert {sealed_to[r] for r in before + between} == {old_id}
    assert {sealed_to[r] for r in after} == {new_id}


def _via(station, url: str) -> None:  # type: ignore[no-untyped-def]
    with station.ctx():
        installation.get().central_url = url
        db.session.commit()


def test_a_pulled_record_key_needs_the_identity_keys_signature(enrolled):
    """Through a proxy on the pull: a man in the middle who re-signs the updates with his own
    keys is refused outright; one holding a stolen host key (whose certificate is valid) gets
    the updates signed, but cannot name a record key. Either way the station's key stays."""
    central, station = enrolled
    with station.ctx():
        old = (installation.get().central_key_id, installation.get().central_public_key)
    with central.ctx():
        host = central_host.current()
    assert host.private_key is not None and host.certificate is not None
    _, attacker_public = generate_x25519()
    forger, forger_public = generate_signing_key()
    now = datetime.now(UTC)

    def attacker_keys(payload: dict[str, object], signer: bytes) -> dict[str, object]:
        payload = dict(payload)
        payload["keys"] = {"central_public_key": b64(attacker_public), "central_key_id": key_id(attacker_public),
                           "record_key_statement": make_record_key_statement(signer, attacker_public, now)}
        return payload

    def own_keys(answer: dict[str, Any]) -> dict[str, Any]:
        payload = attacker_keys(answer.get("payload") or {"questionnaires": []}, forger)
        payload.pop("host_certificate", None)
        certificate = make_host_certificate(forger, "mitm", forger_public, now, now + timedelta(days=1))
        return sign_as_host(payload, forger, certificate)

    def stolen_host_key(answer: dict[str, Any]) -> dict[str, Any]:
        payload = attacker_keys(answer.get("payload") or {"questionnaires": []}, host.private_key or b"")
        payload.pop("host_certificate", None)
        return sign_as_host(payload, host.private_key or b"", host.certificate)

    for rewrite, refused in ((own_keys, True), (stolen_host_key, False)):
        with rewriting_proxy(central.url, rewrite, path="/api/v1/updates") as proxy:
            _via(station, proxy)
            with station.ctx():
                if refused:
                    with pytest.raises(SyncFailed, match="not signed correctly"):
                        sync_client.pull_updates(installation.get())
                else:
                    sync_client.pull_updates(installation.get())
        with station.ctx():
            db.session.remove()
            inst = installation.get()
            assert (inst.central_key_id, inst.central_public_key) == old, rewrite.__name__
            assert sync_page.overview().central_key_changed_at is None
    _via(station, central.url)


def test_the_host_key_file_is_private_and_receipts_need_no_custodian(enrolled):
    central, station = enrolled
    path = Path(central.app.instance_path) / central_host.HOST_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    station.finalised(1)
    with station.ctx():  # nobody is logged in at central
        assert sync_client.sync().marked_synced == 1


def _make_legacy(central) -> None:  # type: ignore[no-untyped-def]
    """Turn a fresh central into one made before the key ring: the signing key wrapped with a key
    from the config's secret_key, slots holding the record private key, no host key file."""
    custody = _custody(central)
    with central.ctx():
        inst = installation.get_central()
        identity = central_keys.identity_private(custody)
        record = central_keys.record_private(custody, inst.central_key_id or "")
        assert record is not None
        wrap = hashlib.sha256(b"tip-screen/central-signing-wrap:"
                              + central.app.config["TIP"].secret_key.encode()).digest()
        inst.signing_key_wrapped = aead_encrypt(wrap, identity, central_keys.LEGACY_SIGNING_AAD)
        inst.local_key_id = inst.central_key_id
        db.session.execute(sa.delete(CentralKey))
        admin = accounts.find_user("admin")
        keyring.put_slot(admin, PASSPHRASE, record, inst.central_key_id or "")
        db.session.commit()
        accounts.create_user("coord", Role.COORDINATOR, PASSPHRASE + " second", secret=record)
    (Path(central.app.instance_path) / central_host.HOST_FILE).unlink()


def test_a_central_from_before_the_key_ring_moves_into_custodians_slots(central, station):
    _make_legacy(central)
    with central.ctx():
        legacy_fingerprint = central_keys.public_fingerprint()
        identity = installation.get_central().signing_public_key
    # Still working as before: enrolment and receipts signed by the old key itself.
    station.enrol(central)
    station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
        assert installation.get().central_signing_public_key == identity

    with central.ctx():  # the first custodian's login moves the keys into the ring
        custody = unlock.open_keys(accounts.find_user("admin"), PASSPHRASE)
        db.session.remove()
        inst = installation.get_central()
        assert custody is not None and inst.signing_key_wrapped is None
        assert inst.custody_bridge is not None  # the coordinator's slot still holds the old key
        assert central_keys.public_fingerprint() == legacy_fingerprint
        assert inst.signing_public_key == identity  # the old signing key is the identity key
        assert not central_host.needs_certificate()
        coordinator = unlock.open_keys(accounts.find_user("coord"), PASSPHRASE + " second")
        assert coordinator == custody
        db.session.remove()
        inst = installation.get_central()
        assert inst.custody_bridge is None
        slot_ids = set(db.session.scalars(sa.select(KeySlot.key_id)))
        assert slot_ids == {inst.local_key_id}
        assert audit.KEY_RING in set(db.session.scalars(sa.select(AuditEntry.action)))

    # The station, enrolled before, goes on: receipts now come from the certified host key.
    station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    assert len(_open_all(central, custody)) == 2
