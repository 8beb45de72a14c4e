"""Unlocking: a wrong passphrase fails cleanly and is throttled; edited key slots are refused.

Also: the production key-derivation parameters are the real ones, and the
SQLite settings the durability and deletion promises rest on are in force.
"""

from __future__ import annotations

import logging
import struct
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import SQLITE_NAME, Config, load_config, write_initial_config
from app.crypto import PRODUCTION_KDF, TEST_KDF, KeySet, SlotError, WrongPassphrase, open_slot, slot_params
from app.extensions import db
from app.models import AuthSession, KeySlot, Record, User
from app.roles import Role
from app.services import accounts, records, setup
from app.services.accounts import keyring
from app.services.accounts.kdf import kdf_params
from tests.records.scan import files_under, hits
from tests.support.web import account_guesses, csrf_from, let_lockouts_end, login

WRONG = "wrong passphrase canary ผิด"


def _user(app, name: str) -> User:
    """A detached copy of the account row, as it is in the database now."""
    with app.app_context():
        user = accounts.find_user(name)
        assert user is not None
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def _sessions(app) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) or 0)


def test_wrong_passphrase_fails_cleanly_and_counts_toward_throttling(app, client, installed, caplog):
    caplog.set_level(logging.DEBUG)
    limit = app.config["TIP"].login_max_failures
    keys = app.extensions["tip_keys"]
    assert len(keys) == 0
    for attempt in range(1, limit + 2):
        response = login(client, "admin", WRONG)
        expected = 401 if attempt < limit else 429
        assert response.status_code == expected, attempt
        body = response.get_data(as_text=True)
        assert WRONG not in body  # the passphrase is not echoed back
        assert account_guesses(app) == min(attempt, limit)  # throttled: not even checked
        assert len(keys) == 0 and _sessions(app) == 0
        with client.session_transaction() as cookie:
            assert "sid" not in cookie
        assert client.get("/screenings/").status_code == 302  # still logged out
    # Throttled: even the right passphrase is refused now, and unlocks nothing.
    throttled = login(client, "admin", installed["passphrase"])
    assert throttled.status_code == 429
    assert len(keys) == 0 and _sessions(app) == 0
    assert account_guesses(app) == limit
    # The wrong passphrase is nowhere: not in the logs, not on disk.
    assert hits(caplog.text.encode(), [WRONG]) == []
    assert [p for p in files_under(Path(app.instance_path)) if hits(p.read_bytes(), [WRONG])] == []
    # When the lockout ends, the right passphrase unlocks the key and resets the count.
    let_lockouts_end(app)
    assert login(client, "admin", installed["passphrase"]).status_code == 302
    assert len(keys) == 1 and account_guesses(app) == 0


def test_wrong_passphrase_does_not_open_the_slot(app, installed):
    with app.app_context():
        admin = accounts.find_user("admin")
        slot = db.session.scalar(sa.select(KeySlot.slot).where(KeySlot.user_id == admin.id))
    with pytest.raises(WrongPassphrase):
        open_slot(slot, WRONG)
    with pytest.raises(WrongPassphrase):
        open_slot(slot, installed["passphrase"] + " ")
    assert KeySet.unpack(open_slot(slot, installed["passphrase"])).admins is not None


def _set_params(slot: bytes, memory: int, iterations: int, lanes: int) -> bytes:
    # "TIPK" 01 01 | u32 memory_kib | u32 iterations | u8 lanes | salt ...
    return slot[:6] + struct.pack(">IIB", memory, iterations, lanes) + slot[15:]


@pytest.mark.parametrize(("edit", "error"), [
    (lambda s: _set_params(s, 65536, 1, 1), WrongPassphrase),       # in bounds: tag fails
    (lambda s: _set_params(s, 9, 1, 1), SlotError),                 # too weak, not the test triple
    (lambda s: _set_params(s, 4 * 1024 * 1024 + 1, 64, 16), SlotError),  # would stall the laptop
    (lambda s: _set_params(s, 8, 65, 1), SlotError),
    (lambda s: s[:15] + bytes([s[15] ^ 1]) + s[16:], WrongPassphrase),  # salt
    (lambda s: s[:5] + b"\x02" + s[6:], SlotError),                 # unknown KDF id
    (lambda s: s[:40], SlotError),                                  # truncated
], ids=["in-bounds", "too-weak", "too-costly", "too-many-passes", "salt", "kdf-id", "truncated"])
def test_slot_with_tampered_parameters_is_refused(app, client, make_user, station, edit, error):
    officer = make_user(Role.OFFICER)
    with app.app_context():
        user = accounts.find_user(officer["username"])
        officer_keys = keyring.station_keys(keyring.open_user_slot(user, officer["passphrase"]))
        rid = records.create(user, officer_keys, respondent_lang="en", interview_lang="en").id
        records.save_answers(rid, user, officer_keys, {"q_respondent_name": "Kept safe"}, lang="en")
        admin_id = accounts.find_user("admin").id
        row = db.session.scalar(sa.select(KeySlot).where(KeySlot.user_id == admin_id))
        assert slot_params(row.slot) == TEST_KDF
        row.slot = edit(row.slot)
        tampered = row.slot
        db.session.commit()
    started = time.monotonic()
    with pytest.raises(error):
        open_slot(tampered, "long enough test phrase")
    assert time.monotonic() - started < 5  # out-of-bounds costs are refused before deriving
    # At the login page: a clear refusal, no session, no key in memory. The slot is what checks
    # the passphrase (one derivation per login): a slot refused before deriving says the key
    # could not be unlocked; one whose tag fails is, like any wrong guess, a wrong passphrase.
    response = login(client, "admin", "long enough test phrase")
    if error is SlotError:
        assert response.status_code == 403
        assert "could not be unlocked" in response.get_data(as_text=True)
    else:
        assert response.status_code == 401
        assert "Wrong username or passphrase" in response.get_data(as_text=True)
    assert len(app.extensions["tip_keys"]) == 0 and _sessions(app) == 0
    # The rest is unaffected: another user's slot opens the same keys as before, and their records.
    assert login(app.test_client(), officer["username"], officer["passphrase"]).status_code == 302
    with app.app_context():
        secret = keyring.open_user_slot(accounts.find_user(officer["username"]), officer["passphrase"])
        assert keyring.station_keys(secret) == officer_keys
        rec = db.session.get(Record, rid)
        assert records.decrypt_record(rec, officer_keys)[1]["answers"]["q_respondent_name"]["value"] == "Kept safe"
        assert db.session.scalar(sa.select(KeySlot.slot).where(KeySlot.user_id == admin_id)) == tampered


def test_production_kdf_parameters_are_the_real_ones(make_app, tmp_path):
    assert Config.__dataclass_fields__["kdf_profile"].default == "production"
    fresh = tmp_path / "fresh-instance"
    write_initial_config(fresh)
    assert load_config(fresh).kdf_profile == "production"
    assert PRODUCTION_KDF.memory_kib >= 65536 and PRODUCTION_KDF.iterations >= 3
    assert (PRODUCTION_KDF.memory_kib, PRODUCTION_KDF.iterations, PRODUCTION_KDF.lanes) == (65536, 14, 2)
    production = make_app(kdf_profile="production")
    with production.app_context():
        assert kdf_params() == PRODUCTION_KDF
        # The slots and login hashes a production station makes use them.
        setup.initialise("Production post", "admin", "long enough test phrase")
        admin = accounts.find_user("admin")
        slot = db.session.scalar(sa.select(KeySlot.slot).where(KeySlot.user_id == admin.id))
        assert slot_params(slot) == PRODUCTION_KDF
        assert admin.passphrase_hash.startswith("$argon2id$v=19$m=65536,t=14,p=2$")
    cheap = make_app()
    with cheap.app_context():
        assert kdf_params() == TEST_KDF


def test_sqlite_is_durable_and_deletes_securely(app, installed):
    with app.app_context():
        conn = db.session.connection()
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "synchronous", "secure_delete", "foreign_keys")}
        assert pragma == {"journal_mode": "wal", "synchronous": 2, "secure_delete": 1, "foreign_keys": 1}
        # Every pooled connection, not just the first.
        with db.engine.connect() as other:
            assert other.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert other.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    header = (Path(app.instance_path) / SQLITE_NAME).read_bytes()[:20]
    assert header[18:20] == b"\x02\x02"  # WAL mode recorded in the file itself


def test_lock_all_forgets_every_unlocked_key(app, client, make_user):
    officer = make_user(Role.OFFICER)
    other = app.test_client()
    assert login(other, officer["username"], officer["passphrase"]).status_code == 302
    assert login(client, "admin", "long enough test phrase").status_code == 302
    keys = app.extensions["tip_keys"]
    assert len(keys) == 2 and _sessions(app) == 2
    page = client.get("/admin/users")
    response = client.post("/admin/lock-all", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert len(keys) == 0 and _sessions(app) == 0
    for each in (client, other):
        assert each.get("/screenings/").headers["Location"].startswith("/login")
