"""A passphrase opens only what its role may see: the attack, offline, on a copy of the file.

A station with two administrators, two officers, an interpreter and an officer who was
switched off, each with drafts and finalised records (some sealed to central, some
waiting for its key). The SQLite file is copied, and the copy is attacked with nothing
but ``sqlite3`` and ``app.crypto``: each user's passphrase opens their own slot, and
whatever that slot holds is tried on every record's local wrap, the way an attacker
would (as a bare station key, as a key set, and as any old key the set carries).

Each passphrase must open exactly what the pages show its role: an officer's or an
interpreter's, the records they created (their records list); an administrator's,
every record on the station (the housekeeping that needs data keys: sealing what
waited for central's key, removing demo data; docs/keys.md). A switched-off account
has no slot at all. Before role keys every slot held the one station key, and every
passphrase opened every record: this test failed.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.config import SQLITE_NAME
from app.crypto import (
    CryptoError,
    KeySet,
    RecordHeader,
    aead_decrypt,
    aead_encrypt,
    decrypt_body,
    hpke_open,
    make_slot,
    open_slot,
    parse_envelope,
    unwrap_data_key,
    unwrap_local,
    wrap_local,
)
from app.extensions import db
from app.models import Installation, KeySlot, Record, User
from app.protocol import body as record_body
from app.roles import Role
from app.services import accounts, records
from app.services.accounts import keyring
from app.services.accounts.kdf import kdf_params
from app.services.errors import Locked
from app.services.records import store
from tests.conftest import PASSPHRASE
from tests.records.conftest import Central
from tests.support.web import login

PEOPLE = {  # username: role
    "admin": Role.ADMIN, "admin2": Role.ADMIN, "officer1": Role.OFFICER, "officer2": Role.OFFICER,
    "interp": Role.INTERPRETER, "gone": Role.OFFICER,
}


def _keys(name: str) -> keyring.KeySet:
    return keyring.station_keys(keyring.open_user_slot(accounts.find_user(name), PASSPHRASE))


def _make(name: str, label: str, *, final: bool) -> str:
    user = accounts.find_user(name)
    keys = _keys(name)
    rid = records.create(user, keys, respondent_lang="th", interview_lang="en").id
    records.save_answers(rid, user, keys, {"q_respondent_name": f"{label} of {name}"}, lang="th")
    if final:
        records.finalise(rid, user, keys)
    return rid


def _station(app: Any, central: Central) -> dict[str, set[str]]:
    """Everyone's records, two before enrolment (a draft, a waiting final), two after; by creator."""
    made: dict[str, set[str]] = {}
    with app.app_context():
        admin_secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        for name, role in PEOPLE.items():
            if name != "admin":
                accounts.create_user(name, role, PASSPHRASE, secret=admin_secret)
        for name in PEOPLE:
            made[name] = {_make(name, "Draft", final=False), _make(name, "Waiting", final=True)}
        records.set_central_key(central.public, central.key_id)
        for name in PEOPLE:
            made[name] |= {_make(name, "Sealed", final=True), _make(name, "Draft2", final=False)}
        accounts.set_active(accounts.find_user("gone"), False)
    return made


def _copy(app: Any, tmp_path: Path) -> Path:
    """A copy of the station's SQLite file, as someone who took the laptop would make it."""
    copy = tmp_path / "seized.sqlite3"
    with sqlite3.connect(Path(app.instance_path) / SQLITE_NAME) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


def _header(row: sqlite3.Row) -> RecordHeader:
    return RecordHeader(record_id=uuid.UUID(row["id"]), station_id=row["station_id"], seq=row["seq"],
                        questionnaire_id=row["questionnaire_id"],
                        questionnaire_version=row["questionnaire_version"],
                        created_day=row["created_day"], local_key_id=row["local_key_id"],
                        central_key_id=row["central_key_id"])


def _candidate_keys(secret: bytes) -> tuple[list[bytes], list[bytes]]:
    """Everything a slot's secret could be: (AES keys to try as a station key, X25519 keys)."""
    aes, x25519 = [secret] if len(secret) == 32 else [], []
    try:
        keys = KeySet.unpack(secret)
    except CryptoError:
        return aes, x25519
    x25519 += [keys.own, *([keys.admins] if keys.admins else [])]
    aes += [k for k in (keys.own, keys.signing, keys.admins, keys.legacy) if k]
    return aes, x25519


def _attack(row: sqlite3.Row, aes: list[bytes], x25519: list[bytes]) -> str | None:
    """The respondent's name, if any of the keys opens this record; else None."""
    if row["local_wrap"] is None:
        return None
    header = _header(row)
    data_key = None
    for key in aes:
        try:
            data_key = unwrap_local(row["local_wrap"], key, header)
        except CryptoError:
            continue
    if data_key is None and x25519:
        try:
            data_key = unwrap_data_key(row["local_wrap"], header, x25519)
        except CryptoError:
            return None
    if data_key is None:
        return None
    if row["body"] is not None:
        ciphertext = row["body"]
    else:
        envelope = parse_envelope(row["envelope"])
        header = envelope.header
        ciphertext = envelope.body_ciphertext
    summary = record_body.decode_summary(decrypt_body(header, ciphertext, data_key))
    return str(summary["name"])


def _widen(conn: sqlite3.Connection, aes: list[bytes], x25519: list[bytes]) -> None:
    """Whatever else the keys open in the file: an upgrade's stash, other users' escrows."""
    stash = conn.execute("SELECT upgrade_stash FROM installation").fetchone()[0]
    for key in aes if stash else []:
        try:
            x25519.append(aead_decrypt(key, stash, b"tip-screen/v1/upgrade-admins-key"))
        except CryptoError:
            pass
    for user_id, escrow in conn.execute("SELECT id, key_escrow FROM users WHERE key_escrow IS NOT NULL"):
        for key in list(x25519):
            try:
                x25519.append(hpke_open(key, escrow, b"tip-screen/v1/user-key-escrow:%d" % user_id))
            except CryptoError:
                pass


def _offline(copy: Path) -> dict[str, set[str] | None]:
    """For each user: the records their passphrase opens in the copy (None: they have no slot)."""
    conn = sqlite3.connect(copy)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM records").fetchall()
    opened: dict[str, set[str] | None] = {}
    for name in PEOPLE:
        slot = conn.execute("SELECT key_slots.slot FROM key_slots JOIN users ON users.id = key_slots.user_id "
                            "WHERE users.username = ?", (name,)).fetchone()
        if slot is None:
            opened[name] = None
            continue
        aes, x25519 = _candidate_keys(open_slot(slot[0], PASSPHRASE))
        _widen(conn, aes, x25519)
        opened[name] = set()
        for row in rows:
            found = _attack(row, aes, x25519)
            if found is not None:
                assert found.endswith(f"of {_creator(conn, row)}")
                opened[name].add(row["id"])  # type: ignore[union-attr]
    conn.close()
    return opened


def _creator(conn: sqlite3.Connection, row: sqlite3.Row) -> str:
    return str(conn.execute("SELECT username FROM users WHERE id = ?", (row["created_by"],)).fetchone()[0])


def _shown(client: Any, app: Any, name: str, rids: set[str]) -> set[str]:
    """Which of ``rids`` the records page shows this user with their name (readable)."""
    assert login(client, name, PASSPHRASE).status_code == 302
    html = client.get("/screenings/").get_data(as_text=True)
    return {rid for rid in rids if f'data-record="{rid}"' in html}


def test_each_passphrase_opens_exactly_what_its_role_may_see(app, installed, central, tmp_path):
    made = _station(app, central)
    everything = set().union(*made.values())
    with app.app_context():
        rows = {r.id: r for r in db.session.scalars(sa.select(Record))}
        assert set(rows) == everything and len(everything) == 4 * len(PEOPLE)
        assert {r.state.value for r in rows.values()} == {"draft", "final"}
        assert any(r.envelope is None and r.state.value == "final" for r in rows.values())
        assert any(r.envelope is not None for r in rows.values())
    opened = _offline(_copy(app, tmp_path))

    assert opened["gone"] is None, "a switched-off account keeps no slot"
    for name, role in PEOPLE.items():
        if name == "gone":
            continue
        expected = everything if role is Role.ADMIN else made[name]
        assert opened[name] == expected, name
    # ... and that is what the pages show: each screener's list holds exactly their records.
    client = app.test_client()
    for name in ("officer1", "officer2", "interp"):
        assert _shown(client, app, name, everything) == made[name]
        with app.app_context():
            listed = records.list_for(accounts.find_user(name), _keys(name))
        assert {s.id for s in listed if s.readable} == made[name]


def test_waiting_records_are_sealed_by_their_creator_or_an_administrator(app, installed, central):
    with app.app_context():
        admin_secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        for name in ("officer1", "officer2"):
            accounts.create_user(name, Role.OFFICER, PASSPHRASE, secret=admin_secret)
        one, two = _make("officer1", "Waiting", final=True), _make("officer2", "Waiting", final=True)
        records.set_central_key(central.public, central.key_id)
        # officer1's login seals officer1's record only: officer2's data key is not theirs.
        assert records.seal_waiting(_keys("officer1")) == 1
        assert db.session.get(Record, one, populate_existing=True).envelope is not None
        assert db.session.get(Record, two, populate_existing=True).envelope is None
        # An administrator's seals the rest.
        assert records.seal_waiting(_keys("admin")) == 1
        sealed = db.session.get(Record, two, populate_existing=True)
        assert sealed.envelope is not None
        # Still officer2's: the re-wrapped local copy opens with their keys.
        assert records.open_record(two, accounts.find_user("officer2"), _keys("officer2")).answers[
            "q_respondent_name"] == "Waiting of officer2"


def test_switched_off_account_loses_its_slot_and_a_reset_gives_back_its_records(app, installed, client):
    with app.app_context():
        admin_secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        accounts.create_user("officer1", Role.OFFICER, PASSPHRASE, secret=admin_secret)
        rid = _make("officer1", "Kept", final=False)
        user = accounts.find_user("officer1")
        public = user.public_key
        accounts.set_active(user, False)
        assert not keyring.has_slot(user)
        accounts.set_active(user, True)
    # Switched on again, the old passphrase opens nothing: the login says what to do.
    response = login(client, "officer1", PASSPHRASE)
    assert response.status_code == 403
    assert "set a new passphrase" in response.get_data(as_text=True)
    with app.app_context():
        new = PASSPHRASE + " again"
        accounts.reset_passphrase(accounts.find_user("officer1"), new, secret=admin_secret)
        user = accounts.find_user("officer1")
        assert user.public_key == public, "the reset keeps the key pair (opened from its escrow)"
        keys = keyring.station_keys(keyring.open_user_slot(user, new))
        assert records.open_record(rid, user, keys).answers["q_respondent_name"] == "Kept of officer1"
        assert keys.admins is None


def test_a_new_administrator_gets_the_administrators_key_from_the_one_who_creates_them(app, installed):
    with app.app_context():
        admin_secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        accounts.create_user("officer1", Role.OFFICER, PASSPHRASE, secret=admin_secret)
        officer_secret = keyring.open_user_slot(accounts.find_user("officer1"), PASSPHRASE)
        rid = _make("officer1", "Seen", final=False)
        accounts.create_user("admin2", Role.ADMIN, PASSPHRASE, secret=admin_secret)
        second = _keys("admin2")
        assert second.admins == keyring.station_keys(admin_secret).admins
        assert records.decrypt_record(db.session.get(Record, rid), second)[1]["answers"]
        # An officer's keys cannot make accounts: they do not hold the administrators' key.
        with pytest.raises(Locked):
            accounts.create_user("sneaky", Role.ADMIN, PASSPHRASE, secret=officer_secret)
        assert accounts.find_user("sneaky") is None


def test_an_upgraded_station_converts_old_slots_and_rows_at_the_next_logins(app, installed, client):
    """A station from before role keys: every slot the bare station key, every wrap under it."""
    with app.app_context():
        admin_secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        for name in ("officer1", "admin2"):
            role = Role.ADMIN if name == "admin2" else Role.OFFICER
            accounts.create_user(name, role, PASSPHRASE, secret=admin_secret)
        mine, theirs = _make("officer1", "Old", final=False), _make("admin", "Old", final=False)
        _make_legacy(admin_secret)
        assert keyring.legacy_slots() == 3
    # The officer logs in first: their slot is converted, every old row re-wrapped.
    assert login(client, "officer1", PASSPHRASE).status_code == 302
    with app.app_context():
        assert keyring.legacy_slots() == 2
        wraps = db.session.scalars(sa.select(Record.local_wrap)).all()
        assert all(len(w) != store.LEGACY_WRAP_SIZE for w in wraps)
        officer = _keys("officer1")
        assert officer.admins is None and officer.legacy is None
        user = accounts.find_user("officer1")
        assert records.open_record(mine, user, officer).answers["q_respondent_name"] == "Old of officer1"
        assert not records.can_open(db.session.get(Record, theirs), officer)
    # The administrators convert later, with the administrators' key from the stash.
    for name in ("admin", "admin2"):
        assert login(app.test_client(), name, PASSPHRASE).status_code == 302
    with app.app_context():
        inst = db.session.scalar(sa.select(Installation))
        assert keyring.legacy_slots() == 0
        assert inst.upgrade_stash is None and inst.signing_key_wrapped is None
        admin = _keys("admin")
        assert admin.admins is not None and admin.admins == _keys("admin2").admins
        for rid in (mine, theirs):
            assert records.decrypt_record(db.session.get(Record, rid), admin)[1]["answers"]
        assert records.open_record(theirs, accounts.find_user("admin"), admin).answers[
            "q_respondent_name"] == "Old of admin"


def _make_legacy(admin_secret: bytes | None) -> None:
    """Turn this station's keys into what a station made before migration 0009 held."""
    keys = keyring.station_keys(admin_secret)
    station_key = b"\x07" * 32
    inst = db.session.scalar(sa.select(Installation))
    for rec in db.session.scalars(sa.select(Record)):
        header = store.header_of(rec)
        data_key, _ = store.plaintext(rec, keys)
        rec.local_wrap = wrap_local(data_key, station_key, header)
    for user in db.session.scalars(sa.select(User)):
        user.public_key = user.key_escrow = None
        slot = db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == user.id))
        slot.slot = make_slot(PASSPHRASE, station_key, kdf_params())
    inst.signing_key_wrapped = aead_encrypt(station_key, keys.signing, keyring.SIGNING_KEY_AAD)
    inst.admins_public_key = None
    db.session.commit()
