"""Fixtures for the referral directory: central's pages (SQLite) and the real station and
central servers of the sync tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.central.conftest import as_role, central_app, central_users, fake_station  # noqa: F401  (fixtures)
from tests.support.web import csrf_from
from tests.sync.conftest import central, enrolled, station  # noqa: F401  (fixtures)

ORGANISATION: dict[str, Any] = {
    "kind": "shelter", "country": "TH", "province": "Tak", "services": ["children", "shelter"],
    "languages": ["th", "my"], "phone": "055 123 456", "messaging": "LINE @tak-shelter",
    "address": "12 Intharakiri Rd, Mae Sot", "hours": "24 hours",
    "name_en": "Tak children's shelter", "name_th": "บ้านพักเด็กจังหวัดตาก",
    "description_en": "Shelter for children and mothers.",
}


def add_organisation(client: FlaskClient, **changes: Any) -> Any:
    """Post the add form as a browser would (fields of ORGANISATION, changed by ``changes``)."""
    page = client.get("/central/directory/new")
    data = {**ORGANISATION, **changes, "csrf_token": csrf_from(page.get_data(as_text=True))}
    return client.post("/central/directory/new", data={k: v for k, v in data.items() if v is not None})


def organisation(**changes: Any) -> Any:
    """An organisation as central's form would make it (the service gives it its id)."""
    from app.protocol.directory import Organisation
    from app.questionnaire import LocalText

    fields: dict[str, Any] = {
        "id": "o-00000000", "kind": "shelter", "country": "TH", "province": "Tak",
        "name": LocalText({"en": "Tak children's shelter", "th": "บ้านพักเด็กจังหวัดตาก"}),
        "services": ("children", "shelter"), "languages": ("th", "my"),
        "contacts": {"phone": "055 123 456", "messaging": "LINE @tak-shelter"}}
    fields.update(changes)
    if isinstance(fields["name"], str):
        fields["name"] = LocalText({"en": fields["name"]})
    return Organisation(**fields)


def custody(app: Any) -> bytes:
    """What central's administrator's slot opens (the custody key): it signs the directory."""
    from app.services import accounts
    from app.services.central import keys as central_keys
    from tests.conftest import PASSPHRASE

    with app.app_context():
        opened = central_keys.unlock(accounts.find_user("admin"), PASSPHRASE)
    assert opened is not None
    return opened


def add_at_central(app: Any, **changes: Any) -> tuple[str, int]:
    """Add an organisation at central as its administrator: (its id, the new version)."""
    from app.services.central import directory

    key = custody(app)
    with app.app_context():
        return directory.add(key, organisation(**changes), username="admin")


@pytest.fixture
def publish(app: Any, installed: dict[str, str]) -> Callable[..., int]:
    """The station ``app`` holds a directory signed by "its central": a key pair made here,
    whose public half is pinned as if at enrolment (no central server needed)."""
    from datetime import UTC, datetime

    from app.crypto import generate_signing_key
    from app.extensions import db
    from app.models import Installation
    from app.protocol.directory import to_json
    from app.protocol.identity import make_directory_statement
    from app.services import referrals

    private, public = generate_signing_key()
    with app.app_context():
        inst = db.session.scalar(sa.select(Installation))
        inst.central_signing_public_key = public
        db.session.commit()

    def make(*orgs: Any, version: int | None = None) -> int:
        with app.app_context():
            number = version or referrals.held_version() + 1
            statement = make_directory_statement(private, number, datetime.now(UTC), [to_json(o) for o in orgs])
            return referrals.take(statement, source="file")

    return make


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """A station at a post in Tak province (the referral step proposes by province)."""
    return make_app(post_province="Tak")
