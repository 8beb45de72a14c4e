"""After a receipt and the retention window, nothing on the laptop opens the record; central still can.

Also: a station that is not yet enrolled keeps finalised records waiting
(no envelope) and seals them at the next login once central's key is known.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import SQLITE_NAME
from app.crypto import open_envelope, parse_envelope, verify_envelope
from app.extensions import db
from app.models import Installation, KeySlot, Record, User
from app.models.types import utcnow
from app.protocol import body as record_body
from app.roles import Role
from app.services import accounts, records
from app.services.accounts import keyring
from app.services.errors import RecordDamaged
from tests.records.conftest import Central, Station
from tests.records.scan import files_under
from tests.support.web import login, post_form

PASSPHRASE = "long enough test phrase"


def _all_slot_secrets(passphrases: dict[str, str]) -> list[keyring.KeySet]:
    secrets = []
    for user in db.session.scalars(sa.select(User).join(KeySlot, KeySlot.user_id == User.id)):
        secret = keyring.open_user_slot(user, passphrases[user.username])
        assert secret is not None
        secrets.append(keyring.station_keys(secret))
    return secrets


def _on_disk(app) -> bytes:
    instance = Path(app.instance_path)
    return b"".join(p.read_bytes() for p in files_under(instance) if p.name.startswith(SQLITE_NAME))


@pytest.mark.parametrize("retention_days", [7, 0])
def test_synced_record_is_unreadable_here_after_retention_but_opens_at_central(
        make_app, central: Central, retention_days):
    app = make_app(retention_days=retention_days)
    with app.app_context():
        from app.services import setup

        setup.initialise("Retention post", "admin", PASSPHRASE)
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASSPHRASE)
        assert secret is not None
        accounts.create_user("officer1", Role.OFFICER, PASSPHRASE, secret=secret)
        keys = keyring.station_keys(secret)
        station = Station(app, keys)
        station.enrol(central)
        rid = station.make({"q_respondent_name": "Retained Name", "q_handover_note": "retained note"})
        draft_wrap = station.row(rid)["local_wrap"]
        draft_body = station.row(rid)["body"]
        records.finalise(rid, admin, keys)
        kept = station.make({"q_respondent_name": "Not yet synced"}, final=True)
        row = station.row(rid)
        assert row["state"] == "final" and row["body"] is None
        envelope_copy = row["envelope"]  # what central received
        sealed_wrap = row["local_wrap"]
        # Only the receipt for this exact envelope marks it synced.
        assert not records.record_receipt(rid, "0" * 64, b"forged receipt")
        assert station.row(rid)["state"] == "final"
        assert sealed_wrap in _on_disk(app)  # the scan below can see a wrap when there is one
        received = utcnow()
        assert records.record_receipt(rid, row["envelope_sha256"], b"signed receipt", at=received)
        assert station.row(rid)["state"] == "synced"
        if retention_days:
            # Inside the window it still opens here.
            assert records.purge_expired(now=received + timedelta(days=retention_days) - timedelta(minutes=1)) == 0
            assert station.answers(rid)["q_respondent_name"] == "Retained Name"
            # receipt_at keeps the day only: the window ends with the last day of it (at most a day more).
            assert records.purge_expired(now=received + timedelta(days=retention_days + 1, seconds=1)) == 1
        else:
            # Retention 0: recording the receipt shredded it at once (no purge, no login).
            assert station.row(rid)["local_wrap"] is None
            assert records.purge_expired(now=received + timedelta(seconds=1)) == 0

        row = station.row(rid)
        assert (row["body"], row["local_wrap"], row["envelope"]) == (None, None, None)
        assert row["state"] == "synced" and row["receipt"] == b"signed receipt"
        secrets = _all_slot_secrets({"admin": PASSPHRASE, "officer1": PASSPHRASE})
        assert len(secrets) == 2
        rec = db.session.get(Record, rid, populate_existing=True)
        for each in secrets:
            with pytest.raises(RecordDamaged, match=rid):
                records.decrypt_record(rec, each)
        summary = {s.id: s for s in records.list_for(admin, keys)}
        assert not summary[rid].readable and summary[kept].readable
        assert station.answers(kept)["q_respondent_name"] == "Not yet synced"
        signing_public = db.session.scalar(sa.select(Installation.signing_public_key))

    # The deleted key wraps and ciphertexts are gone from the file, its WAL and free pages too:
    # not only this version, but the draft's earlier ones (same data key) as well.
    disk = _on_disk(app)
    for gone in (draft_wrap, sealed_wrap, draft_body[12:60], envelope_copy[-64:]):
        assert gone not in disk

    # Central opens its copy with its own private key, after checking the station's signature.
    parsed = parse_envelope(envelope_copy)
    assert str(parsed.record_id) == rid
    verify_envelope(parsed, signing_public)
    body = record_body.decode(open_envelope(parsed, central.private))
    assert body["answers"]["q_respondent_name"]["value"] == "Retained Name"
    assert body["answers"]["q_handover_note"]["value"] == "retained note"
    assert body["outcome"] is not None


def test_unenrolled_station_keeps_records_waiting_and_seals_them_at_next_login(
        app, client, installed, station: Station, central: Central):
    assert login(client, "admin", PASSPHRASE).status_code == 302
    with app.app_context():
        rid = station.make({"q_respondent_name": "Waiting Name"}, final=True)
        row = station.row(rid)
        assert row["state"] == "final" and row["envelope"] is None and row["body"] is not None
        assert records.outbox() == []
        waiting = records.list_for(station.admin(), station.secret, state=records.ListState.WAITING)
        assert [s.id for s in waiting] == [rid] and waiting[0].waiting
    assert "Waiting Name" in client.get("/screenings/?state=waiting").get_data(as_text=True)
    # Central's key arrives (enrolment); sealing waits for a key, i.e. the next unlock.
    with app.app_context():
        station.enrol(central)
        assert station.row(rid)["envelope"] is None
    post_form(client, "/", "/logout", {})
    assert login(client, "admin", PASSPHRASE).status_code == 302  # after_unlock seals
    with app.app_context():
        row = station.row(rid)
        assert row["envelope"] is not None and row["body"] is None
        assert row["central_key_id"] == central.key_id
        assert [r.id for r in records.outbox()] == [rid]
        assert station.answers(rid)["q_respondent_name"] == "Waiting Name"  # still readable here
        signing_public = db.session.scalar(sa.select(Installation.signing_public_key))
    parsed = parse_envelope(row["envelope"])
    verify_envelope(parsed, signing_public)
    assert parsed.sha256 == row["envelope_sha256"]
    body = record_body.decode(open_envelope(parsed, central.private))
    assert body["answers"]["q_respondent_name"]["value"] == "Waiting Name"


def test_discarded_draft_leaves_nothing_readable_on_disk(app, installed, station: Station):
    with app.app_context():
        rid = station.make({"q_respondent_name": "Discarded Name"})
        row = station.row(rid)
        assert row["local_wrap"] in _on_disk(app)
        records.discard(rid, station.admin())
        assert station.rows() == {}
    disk = _on_disk(app)
    assert row["local_wrap"] not in disk and row["body"][12:60] not in disk
