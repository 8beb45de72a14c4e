"""Fixtures for cases and referrals at central: a central (SQLite for pages), a stand-in
station sealing real envelopes, organisations in the directory, partner case workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.central.conftest import as_role, central_app, central_users, fake_station  # noqa: F401  (fixtures)
from tests.conftest import PASSPHRASE
from tests.directory.conftest import add_at_central, custody
from tests.support.web import login
from tests.sync.conftest import central, enrolled, station  # noqa: F401  (fixtures)

# A child with medical needs who agreed to a referral across the border but not to the MDT.
ANSWERS: dict[str, Any] = {"q_age": 15, "q_needs_doctor": "yes", "q_citizenship": "myanmar",
                           "q_consent_cross_border": "yes", "q_consent_mdt": "no",
                           "q_free_to_leave": "no"}


@pytest.fixture
def orgs(central_app: Flask) -> dict[str, str]:  # noqa: F811 - the fixture imported above
    """Three organisations: a Tak clinic, a Tak shelter, an MDT; ids by short name."""
    clinic, _ = add_at_central(central_app, name="Mae Tao clinic", kind="health", services=("medical", "children"))
    shelter, _ = add_at_central(central_app, name="Tak shelter", kind="shelter", services=("shelter",))
    mdt, _ = add_at_central(central_app, name="Tak MDT", kind="government", mdt=True, services=("children",))
    return {"clinic": clinic, "shelter": shelter, "mdt": mdt}


@pytest.fixture
def case_worker(central_app: Flask) -> Callable[..., dict[str, Any]]:  # noqa: F811
    """A partner case worker of an organisation, made by central's administrator."""

    def make(org_id: str, username: str) -> dict[str, Any]:
        from app.services.central import partners

        key = custody(central_app)
        with central_app.app_context():
            user = partners.create_case_worker(key, org_id, username, PASSPHRASE, actor="admin")
            return {"id": user.id, "username": username, "passphrase": PASSPHRASE}

    return make


def logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    answer = login(client, username, PASSPHRASE)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


@pytest.fixture
def case_worker_at() -> Callable[..., None]:
    """A case worker of an organisation at any central app (the live one of the sync tests)."""

    def make(app: Flask, org_id: str, username: str) -> None:
        from app.services.central import partners

        key = custody(app)
        with app.app_context():
            partners.create_case_worker(key, org_id, username, PASSPHRASE, actor="admin")

    return make
