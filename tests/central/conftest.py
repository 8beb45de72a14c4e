"""A central installation (SQLite for pages, PostgreSQL where the database matters) and a
stand-in station that seals real envelopes with its own keys."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.crypto import encrypt_body, generate_signing_key, new_data_key, seal_envelope
from app.crypto.envelope import RecordHeader
from app.extensions import db
from app.models import Installation, Station
from app.protocol.messages import canonical, make_bundle
from app.questionnaire.facts import derive_facts
from app.roles import Role
from app.services import accounts, questionnaires, setup
from app.services.accounts import keyring
from app.services.central import enrolment
from app.services.sync import ingest
from tests.conftest import PASSPHRASE
from tests.support.postgres import fresh_database
from tests.support.web import login
from tests.sync.conftest import central, station  # noqa: F401  (fixtures: live central + station)

__all__ = ["FakeStation", "central", "station"]


@dataclass
class FakeStation:
    """Enrolled through a real code; seals records as a station does (the same crypto calls)."""

    app: Flask
    name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    seq: int = 0
    with_facts: bool = True  # False: records as sealed before central had a facts key

    def __post_init__(self) -> None:
        self.signing_private, self.signing_public = generate_signing_key()
        self.api_private, self.api_public = generate_signing_key()
        with self.app.app_context():
            code = enrolment.create_code(self.name, "http://127.0.0.1").code
            enrolment.redeem(code, station_id=self.id, signing_public_key=self.signing_public,
                             api_public_key=self.api_public, source="test")

    def envelope(self, answers: dict[str, Any] | None = None, *, outcome: dict[str, Any] | None = None,
                 override: dict[str, Any] | None = None, record_id: uuid.UUID | None = None,
                 facts: dict[str, Any] | None = None, entries: dict[str, dict[str, Any]] | None = None,
                 respondent_lang: str = "th") -> tuple[str, bytes]:
        """``record_id``: seal under an id already used (other bytes: a conflict). ``facts``:
        sealed as given instead of derived (what a broken or hostile station sends).
        ``entries``: whole answer entries (value, lang, zawgyi_original ...) beside ``answers``."""
        with self.app.app_context():
            inst = db.session.scalar(sa.select(Installation))
            central_public, central_key_id = inst.central_public_key, inst.central_key_id
            facts_public = inst.facts_public_key if self.with_facts else None
            definition = questionnaires.latest("tip-default")
        self.seq += 1
        record_id = record_id or uuid.uuid4()
        header = RecordHeader(record_id=record_id, station_id=self.id, seq=self.seq,
                              questionnaire_id="tip-default", questionnaire_version=_default_version(self.app),
                              created_day="2026-03-01", local_key_id="0" * 16, central_key_id=central_key_id,
                              version=2 if facts_public else 1)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        body = {"format": 1, "started_at": now, "finalised_at": now, "respondent_lang": respondent_lang,
                "interview_lang": "en",
                "answers": {qid: {"value": value, "lang": "en", "at": now}
                            for qid, value in (answers or {}).items()}
                | {qid: {"at": now, **entry} for qid, entry in (entries or {}).items()},
                "outcome": outcome, "override": override}
        data_key = new_data_key()
        ciphertext = encrypt_body(header, json.dumps(body).encode(), data_key)
        # Like a real station: the facts sealed in, once central has a facts key (docs/analytics.md).
        sealed = canonical(facts if facts is not None else derive_facts(definition, body)) if facts_public else None
        return str(record_id), seal_envelope(header, ciphertext, data_key, central_public, self.signing_private,
                                             facts=sealed, facts_public_key=facts_public)

    def deliver(self, *items: tuple[str, bytes]) -> list[ingest.ItemResult]:
        with self.app.app_context():
            station = db.session.get(Station, self.id)
            return ingest.ingest(station, list(items))

    def bundle(self, *items: tuple[str, bytes]) -> bytes:
        return make_bundle(self.id, datetime.now(UTC).isoformat(timespec="seconds"), list(items),
                           self.api_private)


def _default_version(app: Flask) -> str:
    from app.services import questionnaires

    with app.app_context():
        return questionnaires.latest().version


@pytest.fixture
def central_app(make_app: Callable[..., Flask]) -> Flask:
    """A set-up central on SQLite (a trial installation): enough for the pages."""
    app = make_app(role="central")
    with app.app_context():
        setup.initialise("Central", "admin", PASSPHRASE)
    return app


@pytest.fixture
def central_users(central_app: Flask) -> Callable[..., dict[str, str]]:
    """Accounts on central; ``slot=False`` leaves a coordinator without a key slot."""

    def make(role: Role, username: str | None = None, *, slot: bool = True) -> dict[str, str]:
        name = username or f"{role.value}{uuid.uuid4().hex[:4]}"
        if role is Role.ADMIN and username is None:
            return {"username": "admin", "passphrase": PASSPHRASE}
        with central_app.app_context():
            admin = accounts.find_user("admin")
            secret = keyring.open_user_slot(admin, PASSPHRASE)
            if role is Role.PARTNER:  # made on an organisation's page, with its key in the slot
                return _case_worker(central_app, name, secret)
            user = accounts.create_user(name, role, PASSPHRASE, secret=secret)
            if not slot:
                from app.models import KeySlot

                db.session.execute(sa.delete(KeySlot).where(KeySlot.user_id == user.id))
                db.session.commit()
        return {"username": name, "passphrase": PASSPHRASE}

    return make


def _case_worker(app: Flask, name: str, secret: bytes | None) -> dict[str, str]:
    """A partner case worker of an organisation added to the directory for them."""
    from app.protocol.directory import Organisation
    from app.questionnaire import LocalText
    from app.services.central import directory, partners

    org_id, _ = directory.add(secret or b"", Organisation(id="o-00000000", kind="ngo", country="TH",
                                                          name=LocalText({"en": f"Partner of {name}"})),
                              username="admin")
    partners.create_case_worker(secret, org_id, name, PASSPHRASE, actor="admin")
    return {"username": name, "passphrase": PASSPHRASE, "organisation_id": org_id}


@pytest.fixture
def as_role(central_app: Flask, central_users: Callable[..., dict[str, str]]) -> Callable[..., FlaskClient]:
    """A test client logged in to central with a fresh account of the given role."""

    def log_in(role: Role, *, slot: bool = True) -> FlaskClient:
        creds = central_users(role, slot=slot)
        client = central_app.test_client()
        response = login(client, creds["username"], creds["passphrase"])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return log_in


@pytest.fixture
def fake_station(central_app: Flask) -> FakeStation:
    return FakeStation(central_app, "Mae Sot post")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def audit_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """A central app on SQLite, and on PostgreSQL, with the schema migrated."""
    if request.param == "sqlite":
        yield make_app(role="central")
        return
    from flask_migrate import upgrade

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
