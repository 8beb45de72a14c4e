"""A central with records sealed by a stand-in station (real envelopes and facts), a logged-in
coordinator, and helpers that post the export form and read the file back."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEntry
from app.roles import Role
from app.services import accounts, setup
from app.services.accounts import keyring
from app.services.exports.cells import uncsv_text
from tests.central.conftest import FakeStation
from tests.conftest import PASSPHRASE
from tests.support.postgres import fresh_database
from tests.support.web import csrf_from, login

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _set_up(app: Flask) -> Flask:
    with app.app_context():
        setup.initialise("Central", "admin", PASSPHRASE)
    return app


@pytest.fixture
def sqlite_central(make_app: Callable[..., Flask]) -> Flask:
    return _set_up(make_app(role="central"))


@pytest.fixture
def pg_central(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    from flask_migrate import upgrade

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
        yield _set_up(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_central(request: pytest.FixtureRequest) -> Flask:
    """A set-up central, on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_central" if request.param == "sqlite" else "pg_central")


def add_user(app: Flask, role: Role, *, slot: bool = True) -> str:
    name = f"{role.value}{uuid.uuid4().hex[:4]}"
    with app.app_context():
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASSPHRASE)
        user = accounts.create_user(name, role, PASSPHRASE, secret=secret)
        if not slot:
            from app.models import KeySlot

            db.session.execute(sa.delete(KeySlot).where(KeySlot.user_id == user.id))
            db.session.commit()
    return name


def client_as(app: Flask, role: Role, *, slot: bool = True) -> tuple[FlaskClient, str]:
    name = "admin" if role is Role.ADMIN else add_user(app, role, slot=slot)
    client = app.test_client()
    response = login(client, name, PASSPHRASE)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, name


@dataclass
class Posted:
    response: Any
    password: str
    run: str

    @property
    def body(self) -> bytes:
        return self.response.get_data()


def post_export(client: FlaskClient, query: str = "", **choices: str) -> Posted:
    """Open the export page (with the workspace's filters in ``query``) and submit its form."""
    page = client.get(f"/central/export{query}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    fields: list[tuple[str, str]] = [(k, v.replace("&amp;", "&")) for k, v in HIDDEN.findall(html)]
    fields.append(("csrf_token", csrf_from(html)))
    data: dict[str, Any] = {}
    for key, value in fields:
        data.setdefault(key, []).append(value)
    data.update({"kind": "deidentified", "format": "csv", "language": "en", **choices})
    response = client.post("/central/export", data=data)
    return Posted(response, data["password"][0], data["run"][0])


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "a CSV export starts with a byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes, sheet: int = 0) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


def as_dicts(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Data rows keyed by the first header row (ids); CSV text cells with the apostrophe undone."""
    ids = rows[0]
    out = []
    for row in rows[2:]:
        cells = [uncsv_text(c) if isinstance(c, str) else c for c in row]
        cells += [None] * (len(ids) - len(cells))
        out.append({k: (None if c == "" else c) for k, c in zip(ids, cells, strict=True)})
    return out


def audit_entries(app: Flask, *actions: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.in_(actions))
                                       .order_by(AuditEntry.id)))


def station(app: Flask, name: str = "Mae Sot post") -> FakeStation:
    return FakeStation(app, name)
