"""A central server (PostgreSQL where available) and a station, both real HTTP servers."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import EnrolmentCode, ReceivedRecord, Record, Station
from app.protocol import wire
from app.services import accounts, installation, records, setup
from app.services.accounts import keyring
from app.services.central import enrolment
from app.services.sync import client as sync_client
from app.services.sync.client import transport
from tests.conftest import PASSPHRASE
from tests.support.live import serve
from tests.support.postgres import fresh_database


@dataclass
class Central:
    app: Flask
    url: str

    def code(self, name: str = "Mae Sot post") -> str:
        with self.app.app_context():
            return enrolment.create_code(name, self.url).code

    def ctx(self) -> Any:
        return self.app.app_context()

    def counts(self) -> dict[str, int]:
        """What a refused request must leave unchanged."""
        with self.app.app_context():
            db.session.remove()
            return {
                "received_records": db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord)),
                "stations": db.session.scalar(sa.select(sa.func.count()).select_from(Station)),
                "codes_used": db.session.scalar(sa.select(sa.func.count()).select_from(EnrolmentCode)
                                                .where(EnrolmentCode.used_at.is_not(None))),
            }

    def received(self) -> dict[str, ReceivedRecord]:
        with self.app.app_context():
            db.session.remove()
            rows = list(db.session.scalars(sa.select(ReceivedRecord)))
            db.session.expunge_all()
            return {r.id: r for r in rows}


@dataclass
class StationSide:
    app: Flask
    secret: keyring.KeySet  # the administrator's key set
    slot_secret: bytes  # what the administrator's slot opened (the key set, packed)

    def ctx(self) -> Any:
        return self.app.app_context()

    def finalised(self, count: int = 1, name: str = "Person") -> list[str]:
        """Screenings finalised (and sealed, once enrolled) by the station's admin."""
        ids = []
        with self.app.app_context():
            admin = accounts.find_user("admin")
            for n in range(count):
                rec = records.create(admin, self.secret, respondent_lang="th", interview_lang="th")
                records.save_answers(rec.id, admin, self.secret, {"q_respondent_name": f"{name} {n}"}, lang="th")
                records.finalise(rec.id, admin, self.secret)
                ids.append(rec.id)
        return ids

    def seal_waiting(self) -> int:
        with self.app.app_context():
            return records.seal_waiting(self.secret)

    def enrol(self, central: Central) -> None:
        with self.app.app_context():
            sync_client.enrol(central.url, central.code())

    def records(self) -> dict[str, Record]:
        with self.app.app_context():
            db.session.remove()
            rows = list(db.session.scalars(sa.select(Record)))
            db.session.expunge_all()
            return {r.id: r for r in rows}

    def signed(self, method: str, path: str, body: bytes = b"", *, timestamp: int | None = None
               ) -> dict[str, str]:
        """Headers for one request, signed as the station's client signs them (counter grows)."""
        with self.app.app_context():
            inst = installation.get()
            headers = transport.signature_headers(inst, method, path, body)
        if timestamp is not None:  # re-sign with another clock
            headers = resign(self, method, path, body, int(headers["X-TS-Counter"]), timestamp)
        return headers


def receipt_key(central: Central, station: StationSide) -> bytes:
    """The key central's receipts are signed with: the central host's service key, taken only
    through its certificate from the identity key the station enrolled with."""
    from datetime import UTC, datetime

    from app.protocol.identity import certified_key
    from app.services.central import host as central_host

    with central.ctx():
        certificate = central_host.certificate()
    with station.ctx():
        identity = installation.get().central_signing_public_key
    assert certificate is not None and identity is not None
    return certified_key(certificate, identity, datetime.now(UTC))


def resign(station: StationSide, method: str, path: str, body: bytes, counter: int, timestamp: int,
           station_id: str | None = None, key: bytes | None = None) -> dict[str, str]:
    from app.crypto import sign
    from app.protocol.messages import b64, request_message

    with station.app.app_context():
        inst = installation.get()
        sid = station_id or str(inst.station_id)
        private = key or inst.api_private_key
    assert private is not None
    message = request_message(method, path, sid, counter, timestamp, body)
    return {"X-TS-Station": sid, "X-TS-Counter": str(counter), "X-TS-Timestamp": str(timestamp),
            "X-TS-Signature": b64(sign(private, message))}


@dataclass
class Answer:
    status: int
    content_type: str
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def frame(items: list[tuple[str, bytes]], pending: int = 0) -> bytes:
    """An upload body: these (record id, envelope) pairs in the upload frame."""
    return wire.encode_records(pending, items)


def call(base: str, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 10) -> Answer:
    """One real HTTP exchange, nothing added but what is given (and Content-Length), and a
    Content-Type: the upload frame's for a body that is one, else JSON (``headers`` win)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    kind = wire.CONTENT_TYPE if body is not None and body.startswith(wire.MAGIC) else "application/json"
    try:
        conn.request(method, path, body=body, headers={"Content-Type": kind, **(headers or {})})
        response = conn.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        conn.close()


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def central(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Central]:
    with running_central(make_app) as found:
        yield found


@contextmanager
def running_central(make_app: Callable[..., Flask], **overrides: Any) -> Iterator[Central]:
    """A set-up central on a fresh PostgreSQL database, served over HTTP (``overrides``: config)."""
    with fresh_database() as url:
        app = make_app(role="central", database_url=url, **overrides)
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
            setup.initialise("Central", "admin", PASSPHRASE)
        with serve(app) as base:
            yield Central(app, base)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def station(make_app: Callable[..., Flask]) -> StationSide:
    return new_station(make_app)


def new_station(make_app: Callable[..., Flask]) -> StationSide:
    app = make_app(sync_interval_seconds=0)
    with app.app_context():
        setup.initialise("Station", "admin", PASSPHRASE)
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASSPHRASE)
    assert secret is not None
    return StationSide(app, keyring.station_keys(secret), secret)


@pytest.fixture
def enrolled(central: Central, station: StationSide) -> tuple[Central, StationSide]:
    station.enrol(central)
    return central, station
