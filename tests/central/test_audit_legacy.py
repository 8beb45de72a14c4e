"""Entries written before revision 0007 have no MAC: verify says so until ``flask audit seal-legacy``
authenticates them, once, after checking their hash chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db
from app.services import setup
from app.services.central import audit
from tests.conftest import PASSPHRASE
from tests.support.postgres import fresh_database

LEGACY = 3


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def upgraded(request: pytest.FixtureRequest, make_app: Callable[..., Flask], tmp_path) -> Iterator[Flask]:
    """A central whose log was written at revision 0006 (hash chain only), then upgraded."""

    def prepare(app: Flask) -> Flask:
        with app.app_context():
            upgrade(revision="0006")
            prev = audit.GENESIS
            at = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
            for i in range(1, LEGACY + 1):
                at += timedelta(minutes=i)
                h = audit.entry_hash(prev, id=i, at=at, username="old", action="open", record_id=None,
                                     detail=f"before MACs {i}")
                db.session.execute(sa.text(
                    "INSERT INTO audit_log (id, at, username, action, record_id, detail, prev_hash, hash) "
                    "VALUES (:id, :at, 'old', 'open', NULL, :detail, :prev, :hash)"),
                    {"id": i, "at": at.replace(tzinfo=None), "detail": f"before MACs {i}", "prev": prev, "hash": h})
                prev = h
            db.session.commit()
            upgrade()
            setup.initialise("Central", "admin", PASSPHRASE)
        return app

    if request.param == "sqlite":
        yield prepare(make_app(role="central", database_url=f"sqlite:///{tmp_path / 'old.sqlite3'}"))
        return
    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        yield prepare(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_unsealed_entries_fail_until_sealed_once(upgraded, tmp_path):
    runner = upgraded.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "entry 1 has no MAC" in result.output
    assert runner.invoke(args=["audit", "checkpoint", str(tmp_path / "cp.json")]).exit_code == 1
    result = runner.invoke(args=["audit", "seal-legacy"])
    assert result.exit_code == 0 and f"Sealed {LEGACY} entries." in result.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    with upgraded.app_context():
        last = audit.entries(limit=1)[0]
        assert (last.action, last.detail) == ("audit_sealed", f"entries 1 to {LEGACY}, written before MACs")
        assert last.username.startswith("cli:")
    again = runner.invoke(args=["audit", "seal-legacy"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_sealing_refuses_a_broken_chain_and_a_gap_after_authenticated_entries(upgraded):
    runner = upgraded.test_cli_runner()
    with upgraded.app_context():
        db.session.execute(sa.text("UPDATE audit_log SET detail = 'edited' WHERE id = 2"))
        db.session.commit()
    result = runner.invoke(args=["audit", "seal-legacy"])
    assert result.exit_code == 1 and "broken at entry 2" in result.output
    with upgraded.app_context():
        db.session.execute(sa.text("UPDATE audit_log SET detail = 'before MACs 2' WHERE id = 2"))
        db.session.commit()
    assert runner.invoke(args=["audit", "seal-legacy"]).exit_code == 0
    with upgraded.app_context():
        # Someone erases the MAC of a later entry and hopes to have it sealed as "legacy".
        last = audit.entries(limit=1)[0].id
        db.session.execute(sa.text("UPDATE audit_log SET mac = NULL WHERE id = :id"), {"id": last})
        db.session.commit()
    result = runner.invoke(args=["audit", "seal-legacy"])
    assert result.exit_code == 1 and "comes after authenticated entries" in result.output
