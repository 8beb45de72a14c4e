"""Unlocked keys of login sessions: central's wrap needs the server's secret; dead sessions are swept.

On central the unlocked private key is stored with the session row, wrapped with a
key made from the cookie's random key *and* the instance's ``secret_key`` (not in
the database). A session idle past the timeout (or, on a station, whose key left
memory) loses its row and key at the next sweep round, with no request from it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.crypto import CryptoError, aead_decrypt, hkdf_sha256
from app.extensions import db
from app.models import AuthSession
from app.models.types import utcnow
from app.roles import Role
from app.services import accounts, housekeeping, setup
from app.services.accounts import keyring, sessions
from tests.central.conftest import FakeStation
from tests.conftest import PASSPHRASE
from tests.support.postgres import fresh_database
from tests.support.web import login

RECORD_URL = "/central/records/{}"


def _token(app: Flask, client: FlaskClient) -> str:
    """The session token exactly as the browser holds it: inside the signed session cookie."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.loads(cookie.value)["sid"])


def _rows(app: Flask) -> dict[str, dict]:
    """A copy of the auth_sessions table, as a database backup would hold it."""
    with app.app_context():
        result = db.session.execute(sa.select(AuthSession.__table__))
        return {r["id"]: dict(r) for r in result.mappings()}


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


def _wrap_key(secret_key: str, cookie_key: bytes, sid: str) -> bytes:
    server = hkdf_sha256(secret_key.encode(), salt=b"", info=sessions.WRAP_SERVER_INFO)
    return hkdf_sha256(cookie_key, salt=server, info=sessions.WRAP_INFO + sid.encode())


def test_a_stolen_cookie_and_a_database_copy_do_not_open_centrals_key(central_app, as_role):
    station = FakeStation(central_app, "Mae Sot post")
    rid, blob = station.envelope({"q_respondent_name": "Ma Aye"})
    station.deliver((rid, blob))
    client = as_role(Role.COORDINATOR)
    token = _token(central_app, client)
    sid = hashlib.sha256(token.encode()).hexdigest()
    backup = _rows(central_app)
    wrapped = backup[sid]["wrapped_secret"]
    assert wrapped is not None
    with central_app.app_context():
        # What a central slot holds, and so what the session wraps: the custody key.
        custody = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
    cookie_key = base64.urlsafe_b64decode(token.rsplit(".", 1)[1])

    # The token alone, as the old code unwrapped it (and with the new labels, minus the server key).
    with pytest.raises(CryptoError):
        aead_decrypt(cookie_key, wrapped, sid.encode())
    for aad in (sid.encode(), sessions.WRAP_AAD + sid.encode()):
        for key in (cookie_key, hkdf_sha256(cookie_key, salt=b"", info=sessions.WRAP_INFO + sid.encode())):
            with pytest.raises(CryptoError):
                aead_decrypt(key, wrapped, aad)
    # Another installation's secret_key does not help either; this one's (config.toml) does.
    with pytest.raises(CryptoError):
        aead_decrypt(_wrap_key("x" * 64, cookie_key, sid), wrapped, sessions.WRAP_AAD + sid.encode())
    secret_key = central_app.config["TIP"].secret_key
    assert aead_decrypt(_wrap_key(secret_key, cookie_key, sid), wrapped,
                        sessions.WRAP_AAD + sid.encode()) == custody
    assert secret_key.encode() not in b"".join(
        v if isinstance(v, bytes) else str(v).encode() for row in backup.values() for v in row.values())

    # The app with its config still serves the session, from any worker.
    reply = client.get(RECORD_URL.format(rid))
    assert reply.status_code == 200 and "Ma Aye" in reply.get_data(as_text=True)
    other_worker = create_app(central_app.config["TIP"])
    other = other_worker.test_client()
    cookie_name = central_app.config["SESSION_COOKIE_NAME"]
    other.set_cookie(cookie_name, client.get_cookie(cookie_name).value)
    reply = other.get(RECORD_URL.format(rid))
    assert reply.status_code == 200 and "Ma Aye" in reply.get_data(as_text=True)
    _dispose(other_worker)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central_db(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """A set-up central on SQLite, and on PostgreSQL."""
    if request.param == "sqlite":
        app = make_app(role="central")
        with app.app_context():
            setup.initialise("Central", "admin", PASSPHRASE)
        yield app
        return
    from flask_migrate import upgrade

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
            setup.initialise("Central", "admin", PASSPHRASE)
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_idle_central_session_and_its_wrapped_key_are_gone_after_one_sweep_round(central_db):
    client = central_db.test_client()
    assert login(client, "admin", PASSPHRASE).status_code == 302
    (row,) = _rows(central_db).values()
    assert row["wrapped_secret"] is not None
    idle = timedelta(minutes=central_db.config["TIP"].idle_timeout_minutes)

    before = housekeeping.sweep_round(central_db, now=row["last_seen_at"] + idle - timedelta(minutes=1))
    assert before.sessions_ended == 0 and len(_rows(central_db)) == 1
    after = housekeeping.sweep_round(central_db, now=row["last_seen_at"] + idle + timedelta(seconds=1))
    assert after == housekeeping.Swept(sessions_ended=1, records_shredded=0)
    assert _rows(central_db) == {}  # row and wrap, with no request from that session
    reply = client.get("/central/records")
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]


def test_any_request_sweeps_other_idle_sessions(central_app):
    idle_client, busy_client = central_app.test_client(), central_app.test_client()
    assert login(idle_client, "admin", PASSPHRASE).status_code == 302
    idle_sid = hashlib.sha256(_token(central_app, idle_client).encode()).hexdigest()
    assert login(busy_client, "admin", PASSPHRASE).status_code == 302
    with central_app.app_context():
        db.session.execute(sa.update(AuthSession).where(AuthSession.id == idle_sid).values(
            last_seen_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    central_app.extensions.pop(sessions.LAST_SWEEP, None)  # as if the last sweep was 30 s ago
    assert busy_client.get("/central/records").status_code == 200
    assert set(_rows(central_app)) == {hashlib.sha256(_token(central_app, busy_client).encode()).hexdigest()}


def test_station_sessions_whose_key_left_memory_are_swept(app, client, installed):
    assert login(client, "admin", PASSPHRASE).status_code == 302
    keys = app.extensions["tip_keys"]
    assert len(keys) == 1 and len(_rows(app)) == 1
    assert housekeeping.sweep_round(app).sessions_ended == 0  # in use: kept
    # A restart: the same database and config, an empty key ring. One round locks it for good.
    restarted = create_app(app.config["TIP"])
    assert housekeeping.sweep_round(restarted).sessions_ended == 1
    _dispose(restarted)
    assert _rows(app) == {}
    # Idle on the running station: key and row go in the same round.
    assert login(client, "admin", PASSPHRASE).status_code == 302
    (row,) = _rows(app).values()
    swept = housekeeping.sweep_round(app, now=row["last_seen_at"] + timedelta(minutes=16))
    assert swept.sessions_ended == 1 and _rows(app) == {} and len(keys) == 0


def test_the_timer_is_started_once_and_stops(app, installed):
    worker = housekeeping.start(app)
    try:
        assert worker.is_alive() and housekeeping.start(app) is worker
    finally:
        worker.stop()
        worker.join(5)
    assert not worker.is_alive()
