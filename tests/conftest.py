"""Shared fixtures: an app on a real SQLite file, its client and CLI runner, and accounts."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import CONFIG_NAME, SQLITE_NAME, Config, load_config, write_initial_config
from app.extensions import db
from app.roles import Role
from app.services import accounts, setup
from app.services.accounts import keyring
from tests.support import testdata as shared_testdata
from tests.support.interview import Interview
from tests.support.web import csrf_from, login

PASSPHRASE = "long enough test phrase"


def make_config(instance: Path, **overrides: Any) -> Config:
    """A real instance/config.toml, as a first run writes it, plus test overrides."""
    if not (instance / CONFIG_NAME).exists():
        write_initial_config(instance)
    # Cheap key derivation keeps the suite fast; one test checks the production values.
    return load_config(instance).with_overrides(**{"kdf_profile": "test", **overrides})


@pytest.fixture(scope="session")
def testdata() -> Callable[[str], Path]:
    """``testdata("zawgyi")``: a directory of ../shared/testdata, or skip (fail in CI) saying so."""
    return shared_testdata.require


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file to head once; each test gets a copy."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("template-instance")
    app = create_app(make_config(instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return instance / SQLITE_NAME


@pytest.fixture
def make_app(tmp_path: Path, template_db: Path) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        instance = tmp_path / f"instance{len(made)}"
        instance.mkdir()
        if "database_url" not in overrides:
            shutil.copy(template_db, instance / SQLITE_NAME)
        app = create_app(make_config(instance, **overrides))
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def installed(app: Flask) -> dict[str, str]:
    """A set-up station with an administrator; returns the admin's credentials."""
    with app.app_context():
        setup.initialise("Test Post", "admin", PASSPHRASE)
    return {"username": "admin", "passphrase": PASSPHRASE}


def admin_secret(app: Flask) -> bytes | None:
    """The installation key, opened with the test administrator's slot."""
    with app.app_context():
        admin = accounts.find_user("admin")
        return keyring.open_user_slot(admin, PASSPHRASE) if admin else None


def admin_keys(app: Flask) -> keyring.KeySet:
    """The test administrator's key set (opens every record on the station)."""
    return keyring.station_keys(admin_secret(app))


@pytest.fixture
def make_user(app: Flask, installed: dict[str, str]) -> Callable[[Role | str], dict[str, str]]:
    def factory(role: Role | str, username: str | None = None) -> dict[str, str]:
        name = username or f"{Role(role).value}{secrets.token_hex(2)}"
        if Role(role) is Role.ADMIN and username is None:
            return installed
        with app.app_context():
            accounts.create_user(name, role, PASSPHRASE, secret=admin_secret(app))
        return {"username": name, "passphrase": PASSPHRASE}

    return factory


@pytest.fixture
def logged_in(client: FlaskClient, make_user: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    def do(role: Role | str) -> dict[str, str]:
        creds = make_user(role)
        response = login(client, creds["username"], creds["passphrase"])
        assert response.status_code == 302, response.get_data(as_text=True)
        return creds

    return do


@pytest.fixture
def live_app(app: Flask, installed: dict[str, str]) -> Iterator[tuple[Flask, str]]:
    """A set-up station served over real HTTP: (app, base URL)."""
    from tests.support.live import serve

    with serve(app) as url:
        yield app, url


@pytest.fixture
def start(client: FlaskClient, logged_in: Callable[..., Any]) -> Callable[..., Any]:
    state: dict[str, Any] = {}

    def begin(lang: str = "th", role: str = "officer") -> Interview:
        if "creds" not in state:
            state["creds"] = logged_in(role)
        page = client.get("/screenings/new")
        token = csrf_from(page.get_data(as_text=True))
        response = client.post("/screenings/new", data={"respondent_lang": lang, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        record_id = response.headers["Location"].split("/")[2]
        return Interview(client, record_id, token)

    return begin
