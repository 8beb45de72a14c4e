"""On PostgreSQL the web tier's role, set up with ``flask audit grants``, appends to the audit log
but cannot update, delete or truncate it; the rest of its work still goes through."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db
from app.models import AuditEntry
from app.roles import Role
from app.services import accounts, setup
from app.services.accounts import keyring
from app.services.central import audit, audit_grants
from tests.conftest import PASSPHRASE
from tests.support.postgres import PG_HOST, PG_PORT, _admin_connect, fresh_database


@contextmanager
def login_role() -> Iterator[str]:
    """A fresh PostgreSQL login role (no superuser, owns nothing), dropped afterwards."""
    try:
        conn = _admin_connect()
    except Exception:  # noqa: BLE001 - fresh_database reports "no PostgreSQL here"
        with fresh_database():
            pass
        raise
    name = f"tip_web_{secrets.token_hex(4)}"
    with conn:
        conn.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    try:
        yield name
    finally:
        with _admin_connect() as conn:
            conn.execute(f"DROP ROLE IF EXISTS {name}")


def _as(role: str, url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=role, dbname=url.rsplit("/", 1)[1])


@pytest.mark.postgres
def test_the_web_role_appends_but_cannot_rewrite_the_audit_log(make_app: Callable[..., Flask]) -> None:
    import psycopg

    with login_role() as role, fresh_database() as url:
        owner = make_app(role="central", database_url=url)
        with owner.app_context():
            upgrade()
            setup.initialise("Central", "admin", PASSPHRASE)
            audit.record("admin", audit.OPEN, detail="as the owner")
        grants = owner.test_cli_runner().invoke(args=["audit", "grants", role])
        assert grants.exit_code == 0, grants.output
        assert f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM {role};" in grants.output
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute(grants.output)

        # The web tier, connected as that role with the same instance config, works as usual.
        web_url = url.replace("//postgres@", f"//{role}@")
        assert web_url != url
        web = make_app(role="central", database_url=web_url, secret_key=owner.config["TIP"].secret_key)
        with web.app_context():
            audit.record("coordinator", audit.OPEN, detail="as the web tier")
            admin = accounts.find_user("admin")
            secret = keyring.open_user_slot(admin, PASSPHRASE)
            accounts.create_user("somchai", Role.COORDINATOR, PASSPHRASE, secret=secret, actor="admin")
            assert audit.check_chain().ok
            count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
            db.session.remove()
            db.engine.dispose()
        assert count == 4  # set-up's account, two opens, the new account

        # And it cannot change what is written.
        for statement in ("UPDATE audit_log SET detail = 'nothing' WHERE id = 2",
                          "DELETE FROM audit_log WHERE id = 2",
                          "TRUNCATE audit_log",
                          "DROP TABLE audit_log",
                          "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                          "UPDATE alembic_version SET version_num = '0001'"):
            with _as(role, url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with _as(role, url) as conn:
            assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (4,)
            # The rest of its work: other tables are still read and written.
            conn.execute("UPDATE users SET locale = 'th' WHERE username = 'somchai'")
            conn.execute("DELETE FROM auth_sessions")
        with web.app_context():
            assert audit.check_chain().ok
            db.session.remove()
            db.engine.dispose()


def test_grants_are_for_postgresql_and_plain_role_names(make_app: Callable[..., Flask]) -> None:
    app = make_app(role="central")
    with app.app_context():
        setup.initialise("Central", "admin", PASSPHRASE)
    result = app.test_cli_runner().invoke(args=["audit", "grants", "web"])
    assert result.exit_code == 1 and "for PostgreSQL" in result.output
    with app.app_context(), pytest.raises(ValueError, match="role name"):
        audit_grants.grants_sql('web"; DROP TABLE audit_log; --')
