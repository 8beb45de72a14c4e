"""Shred on time: a synced record past its retention is unreadable on the laptop, with no login.

A real station (its own SQLite file, served over HTTP) syncs with a real central
(PostgreSQL, over HTTP) from the background thread's round while nobody is logged
in. Then the station stops, and the file is opened offline with the ``sqlite3``
module, as someone holding the laptop and every officer's passphrase would: every
key slot is tried with every passphrase, and every record with every key found.
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.config import SQLITE_NAME
from app.crypto import (
    CryptoError,
    KeySet,
    RecordHeader,
    decrypt_body,
    open_slot,
    parse_envelope,
    unwrap_data_key,
)
from app.extensions import db
from app.models import AuthSession, Record, RecordState
from app.models.types import utcnow
from app.roles import Role
from app.services import accounts, housekeeping, records, setup
from app.services.accounts import keyring
from app.services.sync import client as sync_client
from app.services.sync.client import push
from app.services.sync.client.background import BackgroundSync
from tests.conftest import PASSPHRASE
from tests.records.http import Browser
from tests.records.scan import files_under, hits
from tests.support.live import serve
from tests.sync.conftest import Central, StationSide

PASSPHRASES = {"admin": PASSPHRASE, "officer1": "officer's own long test phrase"}
NAME = "Shredded Person"
DRAFT_NAME = "Draft Person"


def _station(make_app, retention_days: int) -> StationSide:
    app = make_app(sync_interval_seconds=0, retention_days=retention_days)
    with app.app_context():
        setup.initialise("Shred post", "admin", PASSPHRASE)
        secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        assert secret is not None
        accounts.create_user("officer1", Role.OFFICER, PASSPHRASES["officer1"], secret=secret)
    return StationSide(app, keyring.station_keys(secret), secret)


def _stop(app: Flask) -> None:
    """The station process ends: no connection stays open on the file."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _database_files(app: Flask) -> dict[str, bytes]:
    """The database file and whatever sits beside it (-wal, -shm, -journal)."""
    return {p.name: p.read_bytes() for p in files_under(Path(app.instance_path))
            if p.name.startswith(SQLITE_NAME)}


def _open_offline(path: Path) -> set[str]:
    """Ids of the records that open with anything in the file plus every passphrase we know."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        slots = [row[0] for row in conn.execute("SELECT slot FROM key_slots")]
        rows = conn.execute("SELECT id, station_id, seq, questionnaire_id, questionnaire_version, "
                            "created_day, local_key_id, central_key_id, local_wrap, body, envelope "
                            "FROM records").fetchall()
    finally:
        conn.close()
    assert len(slots) == len(PASSPHRASES)
    keys: list[KeySet] = []
    for slot in slots:
        for passphrase in PASSPHRASES.values():
            try:
                keys.append(KeySet.unpack(open_slot(slot, passphrase)))
            except CryptoError:
                continue
    assert len(keys) == len(slots)  # every slot opened: the officer's and the administrators' keys
    opened = set()
    for rid, station_id, seq, qid, qver, day, local_kid, central_kid, wrap, body, envelope in rows:
        header = RecordHeader(record_id=uuid.UUID(rid), station_id=station_id, seq=seq,
                              questionnaire_id=qid, questionnaire_version=qver, created_day=day,
                              local_key_id=local_kid, central_key_id=central_kid)
        ciphertexts = [c for c in (body, envelope and parse_envelope(envelope).body_ciphertext) if c]
        for key in keys:
            for ciphertext in ciphertexts:
                try:
                    decrypt_body(header, ciphertext, unwrap_data_key(wrap, header, key.private_keys()))
                except (CryptoError, ValueError, TypeError):
                    continue
                opened.add(rid)
    return opened


def _sessions(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) or 0)


def test_retention_0_synced_records_open_with_nothing_on_the_laptop_after_a_stop(
        central: Central, make_app):
    station = _station(make_app, retention_days=0)
    station.enrol(central)
    with serve(station.app) as url:
        # An officer at work: a draft that stays here, then logs out.
        browser = Browser(url)
        assert browser.login("officer1", PASSPHRASES["officer1"]).status == 200
        draft = browser.start_screening("th")
        assert browser.autosave(draft, browser.page_csrf(), {"q_respondent_name": DRAFT_NAME}).json()["ok"]
        synced = station.finalised(2, name=NAME)
        assert browser.form("/", "/logout", {}).status == 200
        assert _sessions(station.app) == 0
        before = station.records()
        assert {rid for rid in synced if before[rid].local_wrap and before[rid].envelope} == set(synced)
        # The background thread's round, with nobody logged in: push, receipts, shred.
        assert BackgroundSync(station.app, 60).round() is True
        assert _sessions(station.app) == 0
    _stop(station.app)

    # Offline, the file alone (and every passphrase): only the draft opens.
    files = _database_files(station.app)
    assert _open_offline(Path(station.app.instance_path) / SQLITE_NAME) == {draft}
    disk = b"".join(files.values())
    for rid in synced:
        for gone in (before[rid].local_wrap, before[rid].envelope[-64:], before[rid].envelope[200:264]):
            assert gone not in disk, rid
    assert hits(disk, [NAME, DRAFT_NAME]) == []
    assert files.get(SQLITE_NAME + "-wal", b"") == b""  # checkpointed (or gone with the last connection)
    after = station.records()
    assert {after[rid].state.value for rid in synced} == {"synced"}
    assert all(after[rid].receipt for rid in synced)  # the receipt line stays
    assert set(central.received()) >= set(synced)


def test_the_timer_shreds_a_record_whose_retention_passes_with_nobody_logged_in(
        central: Central, make_app):
    station = _station(make_app, retention_days=7)
    station.enrol(central)
    (rid,) = station.finalised(1, name=NAME)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    kept = station.records()[rid]
    assert kept.state.value == "synced" and kept.local_wrap is not None  # inside the window
    received = kept.receipt_at
    assert received is not None and _sessions(station.app) == 0

    early = housekeeping.sweep_round(station.app, now=received + timedelta(days=7) - timedelta(minutes=1))
    assert early.records_shredded == 0
    with station.ctx():
        assert records.open_record(rid, accounts.find_user("admin"), station.secret).answers[
            "q_respondent_name"] == f"{NAME} 0"
    # receipt_at keeps the day only: the window ends with the last day of it (one day more at most).
    late = housekeeping.sweep_round(station.app, now=received + timedelta(days=8, seconds=1))
    assert late.records_shredded == 1
    assert housekeeping.sweep_round(station.app, now=received + timedelta(days=9)).records_shredded == 0
    assert _sessions(station.app) == 0
    _stop(station.app)

    assert _open_offline(Path(station.app.instance_path) / SQLITE_NAME) == set()
    disk = b"".join(_database_files(station.app).values())
    assert kept.local_wrap not in disk and kept.envelope[-64:] not in disk


def test_create_app_starts_no_housekeeping_thread_and_the_round_never_raises(make_app, monkeypatch):
    app = make_app()
    assert housekeeping.EXTENSION not in app.extensions

    def boom(now=None):
        raise RuntimeError("respondent Ma Aye at Mae Sot")

    monkeypatch.setattr(records, "purge_expired", boom)
    swept = housekeeping.sweep_round(app)
    assert swept.records_shredded is None and swept.sessions_ended == 0  # the other part still ran


def test_the_serving_process_starts_the_timer(tmp_path, monkeypatch):
    """What run.py's serving process does before it serves (app/serve.py)."""
    from app import serve as serving
    from app.services.sync.client import background as background_sync

    monkeypatch.setenv("TIP_SCREEN_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = serving._start_app()
    worker = app.extensions[housekeeping.EXTENSION]
    sync_worker = app.extensions.get(background_sync.EXTENSION)
    try:
        assert worker.is_alive() and worker.every == keyring.SWEEP_SECONDS
    finally:
        for thread in (worker, sync_worker):
            if thread is not None:
                thread.stop()
                thread.join(5)
        with app.app_context():
            db.engine.dispose()


def test_each_answer_shreds_its_own_records_and_the_sync_then_every_other_one_past_retention(
        central: Central, make_app, monkeypatch):
    """Recording an answer's receipts looks at that answer's records only (a look at every
    synced row after each answer made a re-send's cost grow with the square of the outbox);
    a synced record whose retention passed otherwise goes at the end of the sync."""
    station = _station(make_app, retention_days=7)
    station.enrol(central)
    (old,) = station.finalised(1, name=NAME)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
        # Its day of receipt, as if it came 30 days ago: its retention has passed.
        db.session.execute(sa.update(Record).where(Record.id == old)
                           .values(receipt_at=utcnow() - timedelta(days=30)))
        db.session.commit()
    (new,) = station.finalised(1, name=NAME)
    looked_at: list[object] = []
    purge = records.purge_expired

    def watched(now=None, ids=None):
        looked_at.append(None if ids is None else sorted(ids))
        return purge(now, ids)

    monkeypatch.setattr(sys.modules["app.services.records.outbox"], "purge_expired", watched)
    monkeypatch.setattr(push, "purge_expired", watched)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    assert looked_at == [[new], None]  # the answer's own record, then one look at every row
    rows = station.records()
    assert rows[old].local_wrap is None and rows[old].envelope is None  # shredded by the sync
    assert rows[new].state.value == "synced" and rows[new].local_wrap is not None  # inside its window


def test_purge_expired_with_ids_looks_at_those_records_only(central: Central, make_app):
    station = _station(make_app, retention_days=0)
    station.enrol(central)
    first, second = station.finalised(2, name=NAME)
    with station.ctx():
        # Both synced yesterday (marked here by hand: recording a receipt would shred them).
        db.session.execute(sa.update(Record).where(Record.id.in_([first, second])).values(
            state=RecordState.SYNCED, receipt=b"receipt", receipt_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        assert records.purge_expired(ids=[first]) == 1
        assert records.purge_expired(ids=[first]) == 0
    rows = station.records()
    assert rows[first].local_wrap is None and rows[second].local_wrap is not None
    with station.ctx():
        assert records.purge_expired() == 1  # no ids: every synced record past its retention
