"""A central server (PostgreSQL where available) and a station, both real HTTP servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.services import accounts, enrolment, keyring, records, setup
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


@dataclass
class StationSide:
    app: Flask
    secret: bytes

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


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def central(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Central]:
    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
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
    app = make_app(sync_interval_seconds=0)
    with app.app_context():
        setup.initialise("Station", "admin", PASSPHRASE)
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASSPHRASE)
    assert secret is not None
    return StationSide(app, secret)
