"""Someone with the database (sqlite3 or psycopg, no app, no config) rewrites the audit trail;
``flask audit verify`` shows it. Run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.services import setup
from app.services.central import audit
from tests.conftest import PASSPHRASE
from tests.support.postgres import fresh_database

N = 6  # entries after set-up's own one


class Dba:
    """The database reached directly, as its administrator can: no app, no config, no audit key."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite:///")
        if self.sqlite:
            self.conn: Any = sqlite3.connect(url[len("sqlite:///"):])
        else:
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(sql.replace("%s", "?") if self.sqlite else sql, params)
        rows = cursor.fetchall() if cursor.description else []
        return list(rows)

    def entries(self) -> list[dict[str, Any]]:
        cols = ("id", "at", "username", "action", "record_id", "detail", "prev_hash", "hash", "mac")
        return [dict(zip(cols, row, strict=True))
                for row in self.run("SELECT id, at, username, action, record_id, detail, prev_hash, hash, mac "
                                    "FROM audit_log ORDER BY id")]

    def rechain(self) -> None:
        """Recompute every entry's SHA-256 link and hash, as the module docstring describes them."""
        prev = "0" * 64
        for e in self.entries():
            at = e["at"] if isinstance(e["at"], datetime) else datetime.fromisoformat(e["at"])
            fields = {"id": e["id"], "at": at.replace(tzinfo=UTC).isoformat(timespec="microseconds"),
                      "username": e["username"], "action": e["action"], "record_id": e["record_id"],
                      "detail": e["detail"]}
            canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            new = hashlib.sha256((prev + canonical).encode()).hexdigest()
            self.run("UPDATE audit_log SET prev_hash = %s, hash = %s WHERE id = %s", prev, new, e["id"])
            prev = new

    def commit(self) -> None:
        self.conn.commit()
        self.conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """A set-up central (it has a signing key for checkpoints) with a few audited actions."""

    def prepare(app: Flask) -> Flask:
        with app.app_context():
            setup.initialise("Central", "admin", PASSPHRASE)
            for i in range(N):
                audit.record(f"coordinator{i}", audit.OPEN, record_id=f"00000000-0000-4000-8000-00000000000{i}",
                             detail=f"entry {i} ไทย")
        return app

    if request.param == "sqlite":
        yield prepare(make_app(role="central"))
        return
    from flask_migrate import upgrade

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
        yield prepare(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _dba(app: Flask) -> Dba:
    return Dba(app.config["SQLALCHEMY_DATABASE_URI"])


def _verify(app: Flask, checkpoint: Path | None = None) -> Any:
    args = ["audit", "verify"] + (["--checkpoint", str(checkpoint)] if checkpoint else [])
    return app.test_cli_runner().invoke(args=args)


def _checkpoint(app: Flask, path: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_an_untouched_log_verifies_with_and_without_a_checkpoint(central, tmp_path):
    result = _verify(central)
    assert result.exit_code == 0 and f"OK: {N + 1} entries" in result.output
    cp = _checkpoint(central, tmp_path / "cp.json")
    with central.app_context():
        audit.record("admin", audit.OPEN, detail="after the checkpoint")
    result = _verify(central, cp)
    assert result.exit_code == 0, result.output
    assert f"entry {N + 1}, signed by" in result.output and "1 entries were added since" in result.output


def test_edited_detail_with_the_whole_sha256_chain_recomputed_is_caught_by_the_mac(central):
    dba = _dba(central)
    dba.run("UPDATE audit_log SET detail = %s WHERE id = %s", "nothing to see", 3)
    dba.rechain()
    dba.commit()
    result = _verify(central)
    assert result.exit_code == 1
    assert "entry 3 has a MAC that does not verify" in result.output


def test_reordered_entries_with_the_chain_recomputed_are_caught(central):
    dba = _dba(central)
    two, three = (e for e in dba.entries() if e["id"] in (3, 4))
    for target, source in ((3, three), (4, two)):
        dba.run("UPDATE audit_log SET at = %s, username = %s, action = %s, record_id = %s, detail = %s "
                "WHERE id = %s", source["at"], source["username"], source["action"], source["record_id"],
                source["detail"], target)
    dba.rechain()
    dba.commit()
    result = _verify(central)
    assert result.exit_code == 1 and "entry 3 has a MAC that does not verify" in result.output


def test_an_entry_forged_at_the_end_is_caught(central):
    dba = _dba(central)
    last = dba.entries()[-1]
    dba.run("INSERT INTO audit_log (id, at, username, action, record_id, detail, prev_hash, hash, mac) "
            "VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s)", last["id"] + 1, last["at"], "admin", "open",
            "made up", last["hash"], "f" * 64, "e" * 64)
    dba.rechain()
    dba.commit()
    result = _verify(central)
    assert result.exit_code == 1 and f"entry {N + 2} has a MAC that does not verify" in result.output


def test_an_erased_mac_is_caught(central):
    dba = _dba(central)
    dba.run("UPDATE audit_log SET mac = NULL")
    dba.commit()
    result = _verify(central)
    assert result.exit_code == 1 and "entry 1 has no MAC" in result.output


def test_deleting_the_last_entries_after_a_checkpoint_is_caught_by_it(central, tmp_path):
    cp = _checkpoint(central, tmp_path / "cp.json")
    dba = _dba(central)
    dba.run("DELETE FROM audit_log WHERE id >= %s", N)
    dba.commit()
    # A cut tail leaves a chain that fits: only the checkpoint can tell.
    assert _verify(central).exit_code == 0
    result = _verify(central, cp)
    assert result.exit_code == 1
    assert f"entry {N + 1} is missing or differs from the checkpoint" in result.output


def test_with_the_config_too_a_rewrite_before_the_checkpoint_is_caught(central, tmp_path):
    """Database and config: the attacker can make MACs (and even sign), but not change a
    checkpoint already kept elsewhere."""
    cp = _checkpoint(central, tmp_path / "cp.json")
    key = audit.mac_key(central.config["TIP"].secret_key)
    dba = _dba(central)
    dba.run("UPDATE audit_log SET username = %s WHERE id = %s", "someone_else", 2)
    dba.rechain()
    for e in dba.entries():
        dba.run("UPDATE audit_log SET mac = %s WHERE id = %s", audit.entry_mac(key, e["hash"]), e["id"])
    dba.commit()
    assert _verify(central).exit_code == 0  # the whole key is theirs
    result = _verify(central, cp)
    assert result.exit_code == 1
    assert f"entry {N + 1} is missing or differs from the checkpoint" in result.output


def test_an_edited_checkpoint_file_is_refused(central, tmp_path):
    cp = _checkpoint(central, tmp_path / "cp.json")
    document = json.loads(cp.read_text(encoding="utf-8"))
    assert set(document) == {"format", "installation", "entry_id", "entry_hash", "entry_at", "made_at",
                             "signing_key", "host_certificate", "signature"}
    assert document["entry_id"] == N + 1
    document["entry_id"] = 2
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document), encoding="utf-8")
    result = _verify(central, forged)
    assert result.exit_code == 1 and "signature does not verify" in result.output
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff not json")
    assert "not a tip-screen audit checkpoint" in _verify(central, garbage).output


def test_a_checkpoint_is_never_overwritten_and_goes_to_stdout_by_default(central, tmp_path):
    cp = _checkpoint(central, tmp_path / "cp.json")
    before = cp.read_bytes()
    again = central.test_cli_runner().invoke(args=["audit", "checkpoint", str(cp)])
    assert again.exit_code == 1 and "never overwritten" in again.output
    assert cp.read_bytes() == before
    out = central.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert out.exit_code == 0 and json.loads(out.output)["entry_id"] == N + 1


def test_no_checkpoint_of_a_broken_log(central, tmp_path):
    dba = _dba(central)
    dba.run("UPDATE audit_log SET detail = %s WHERE id = %s", "edited", 2)
    dba.commit()
    result = central.test_cli_runner().invoke(args=["audit", "checkpoint", str(tmp_path / "cp.json")])
    assert result.exit_code == 1 and "does not verify (entry 2)" in result.output
    assert not (tmp_path / "cp.json").exists()


def test_a_checkpoint_from_another_central_is_refused(central, make_app, tmp_path):
    other = make_app(role="central")
    with other.app_context():
        setup.initialise("Other central", "admin", PASSPHRASE)
    cp = _checkpoint(other, tmp_path / "other.json")
    result = _verify(central, cp)
    assert result.exit_code == 1 and "signed by another key" in result.output


def test_a_checkpoint_by_a_host_this_central_did_not_certify_is_refused(central, make_app, tmp_path):
    """Another central's host key and certificate, under this central's identity fingerprint."""
    other = make_app(role="central")
    with other.app_context():
        setup.initialise("Other central", "admin", PASSPHRASE)
    document = json.loads(_checkpoint(other, tmp_path / "other.json").read_text(encoding="utf-8"))
    assert document["host_certificate"]["payload"]["kind"] == "tip-screen-host-certificate"
    document["signing_key"] = json.loads(_checkpoint(central, tmp_path / "cp.json").read_text())["signing_key"]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document), encoding="utf-8")
    result = _verify(central, forged)
    assert result.exit_code == 1 and "signature does not verify" in result.output
