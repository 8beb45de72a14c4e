"""Fixtures for the record-encryption tests: a set-up station, central's key pair, records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.crypto import generate_x25519, key_id
from app.extensions import db
from app.models import Record, User
from app.services import accounts, records
from app.services.accounts import keyring
from tests.conftest import PASSPHRASE, admin_secret


@dataclass(frozen=True)
class Central:
    private: bytes
    public: bytes
    key_id: str


@pytest.fixture
def central() -> Central:
    private, public = generate_x25519()
    return Central(private, public, key_id(public))


@dataclass
class Station:
    app: Flask
    secret: keyring.KeySet  # the administrator's key set

    def admin(self) -> User:
        user = accounts.find_user("admin")
        assert user is not None
        return user

    def enrol(self, central: Central) -> None:
        records.set_central_key(central.public, central.key_id)

    def make(self, answers: dict[str, object], *, final: bool = False, lang: str = "en",
             today: date | None = None) -> str:
        """A record of the admin's, with answers, optionally finalised (sealed if enrolled)."""
        user = self.admin()
        rec = records.create(user, self.secret, respondent_lang=lang, interview_lang="en", today=today)
        rid = rec.id
        if answers:
            records.save_answers(rid, user, self.secret, answers, lang=lang)
        if final:
            records.finalise(rid, user, self.secret)
        return rid

    def answers(self, rid: str) -> dict[str, object]:
        return records.open_record(rid, self.admin(), self.secret).answers

    def row(self, rid: str) -> dict[str, Any]:
        """Every column of a record, straight from the table (no ORM cache)."""
        result = db.session.execute(sa.select(Record.__table__).where(Record.__table__.c.id == rid))
        return dict(result.mappings().one())

    def rows(self) -> dict[str, dict[str, Any]]:
        result = db.session.execute(sa.select(Record.__table__))
        return {r["id"]: dict(r) for r in result.mappings()}

    def set(self, rid: str, **values: Any) -> None:
        """Change columns behind the app's back, as someone editing the file would."""
        db.session.execute(sa.update(Record.__table__).where(Record.__table__.c.id == rid).values(**values))
        db.session.commit()
        db.session.expire_all()


@pytest.fixture
def station(app: Flask, installed: dict[str, str]) -> Station:
    secret = admin_secret(app)
    assert secret is not None
    return Station(app, keyring.station_keys(secret))


@pytest.fixture
def in_app(app: Flask) -> Any:
    with app.app_context():
        yield app


def flip(blob: bytes, pos: int) -> bytes:
    return blob[:pos] + bytes([blob[pos] ^ 0x01]) + blob[pos + 1 :]


PASS = PASSPHRASE
Factory = Callable[..., Any]
