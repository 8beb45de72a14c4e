"""A full disk, said plainly: the station's database on a small tmpfs filled to the last byte.

Saving, a new screening, finalising, login and ``flask sync`` answer "the disk is full:
nothing was changed" (HTTP 507, JSON for the autosave, exit status 1 for the CLI) and change
nothing; ``status --json`` and the Sync page say so. Once space is freed everything works
again and every answer that was acknowledged is there, decrypted and compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import SQLITE_NAME
from app.extensions import db
from app.roles import Role
from app.services import accounts, setup
from app.services.accounts import keyring
from app.services.errors import DISK_FULL_TEXT
from tests.conftest import PASSPHRASE, make_config
from tests.support.browser import skip_or_fail
from tests.support.interview import Interview, stored_answers
from tests.support.web import csrf_from, login
from tests.sync.conftest import Central, StationSide

FULL = "The disk is full: nothing was changed."


@dataclass
class SmallDisk:
    mount: Path
    filler: Path

    def fill(self, app: Flask) -> None:
        """Fold the WAL into the file (so the next write must grow it), then fill the
        filesystem with one file until the kernel says ENOSPC, down to the last byte."""
        with app.app_context():
            db.session.remove()
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = 1 << 20
            while size:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    size //= 2
        finally:
            os.close(fd)
        assert shutil.disk_usage(self.mount).free == 0

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        skip_or_fail(f"the disk-full tests mount a small tmpfs and need root: {done.stderr.strip()}")
    try:
        yield SmallDisk(mount, mount / "filler")
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


@pytest.fixture
def disk_station(small_disk: SmallDisk, template_db: Path) -> Iterator[tuple[SmallDisk, StationSide]]:
    """A set-up station whose instance folder (config and SQLite file) is on the small disk."""
    instance = small_disk.mount / "instance"
    instance.mkdir()
    shutil.copy(template_db, instance / SQLITE_NAME)
    app = create_app(make_config(instance, sync_interval_seconds=0))
    with app.app_context():
        setup.initialise("Full-disk post", "admin", PASSPHRASE)
        secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        assert secret is not None
        accounts.create_user("officer1", Role.OFFICER, PASSPHRASE, secret=secret)
    try:
        yield small_disk, StationSide(app, keyring.station_keys(secret), secret)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _start(client: FlaskClient) -> Any:
    page = client.get("/screenings/new")
    return client.post("/screenings/new", data={"respondent_lang": "th",
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})


def _rows(station: StationSide) -> dict[str, tuple[str, int, bytes | None]]:
    """Every record's state, sequence number and sealed bytes: what a refused write leaves alone."""
    return {rid: (rec.state.value, rec.seq, rec.body) for rid, rec in station.records().items()}


def _values(answers: dict[str, Any]) -> dict[str, Any]:
    return {qid: entry["value"] for qid, entry in answers.items()}


def _status(app: Flask) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _plain_full_page(response: Any) -> None:
    assert response.status_code == 507
    html = response.get_data(as_text=True)
    assert FULL in html and "Traceback" not in html


def test_a_full_disk_is_said_plainly_changes_nothing_and_everything_works_once_freed(disk_station):
    disk, station = disk_station
    app = station.app
    client = app.test_client()
    assert login(client, "officer1", PASSPHRASE).status_code == 302
    started = _start(client)
    assert started.status_code == 302
    interview = Interview(client, started.headers["Location"].split("/")[2],
                          csrf_from(client.get("/screenings/new").get_data(as_text=True)))
    acknowledged: dict[str, Any] = {}
    for qid, value in (("q_respondent_name", "Ma Aye"), ("q_hours_per_day", "14")):
        answer = interview.autosave(**{qid: value})
        assert answer.status_code == 200 and answer.get_json()["ok"] is True
        acknowledged[qid] = answer.get_json()["answers"][qid]
    assert _status(app)["disk"]["full"] is False
    before = _rows(station)

    disk.fill(app)

    # The autosave (a script asking for JSON): 507 with the agreed JSON, nothing stored.
    lost = interview.autosave(q_respondent_name="Typed on a full disk")
    assert lost.status_code == 507
    assert lost.get_json() == {"ok": False, "problem": "disk_full", "message": str(DISK_FULL_TEXT)}
    # ... in the interface language (the lang cookie), here Thai.
    client.set_cookie("lang", "th")
    thai = interview.autosave(q_respondent_name="Typed on a full disk")
    assert thai.status_code == 507 and thai.get_json()["problem"] == "disk_full"
    assert thai.get_json()["message"] != str(DISK_FULL_TEXT) and "ดิสก์" in thai.get_json()["message"]
    client.delete_cookie("lang")
    # A page post of the same section, a new screening, finalising: the page says it.
    _plain_full_page(_start(client))
    _plain_full_page(interview.finalise())
    # Reading still works on a full disk.
    assert client.get("/screenings/").status_code == 200
    # Login: the page with the message, 507 (docs/sync.md, "A full disk").
    other = app.test_client()
    _plain_full_page(login(other, "officer1", PASSPHRASE))
    # status --json says it (and the Sync page, for an administrator already logged in).
    disk_state = _status(app)["disk"]
    assert disk_state["full"] is True and disk_state["free_bytes"] < 1024 * 1024
    assert disk_state["message"] == str(DISK_FULL_TEXT)
    admin = app.test_client()
    disk.free()
    assert login(admin, "admin", PASSPHRASE).status_code == 302
    disk.fill(app)
    sync_page = admin.get("/sync")
    assert sync_page.status_code == 200 and FULL in sync_page.get_data(as_text=True)
    assert _rows(station) == before  # nothing changed

    disk.free()

    # Everything works again: the session goes on, a save, a new screening, finalise, login.
    assert _values(stored_answers(app, interview)) == acknowledged  # every acknowledged answer, decrypted
    again = interview.autosave(q_respondent_name="Ma Aye Aye")
    assert again.status_code == 200 and again.get_json()["ok"] is True
    acknowledged["q_respondent_name"] = again.get_json()["answers"]["q_respondent_name"]
    assert _values(stored_answers(app, interview)) == acknowledged
    assert interview.finalise().status_code == 302
    assert _start(client).status_code == 302
    assert login(other, "officer1", PASSPHRASE).status_code == 302
    assert _status(app)["disk"]["full"] is False
    assert FULL not in admin.get("/sync").get_data(as_text=True)
    after = _rows(station)
    assert after[interview.id][0] == "final" and len(after) == len(before) + 1


def test_flask_sync_on_a_full_disk_says_so_and_syncs_once_freed(disk_station, central: Central):
    disk, station = disk_station
    station.enrol(central)
    ids = station.finalised(2)
    disk.fill(station.app)

    result = station.app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 1
    assert FULL in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not set(ids) & set(central.received())

    disk.free()
    result = station.app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert "Marked synced: 2" in result.output
    assert set(ids) <= set(central.received())


def test_the_check_names_only_a_full_disk(make_app: Callable[..., Flask]) -> None:
    """Other database errors stay ordinary errors (500), not a "disk full" that is not true."""
    import errno
    import sqlite3

    import sqlalchemy as sa

    from app.services.errors import is_disk_full

    full = sqlite3.OperationalError("database or disk is full")
    assert is_disk_full(sa.exc.OperationalError("INSERT", {}, full))
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(sqlite3.OperationalError("database is locked"))
    assert not is_disk_full(sa.exc.IntegrityError("INSERT ... 'database or disk is full'", {},
                                                  sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
