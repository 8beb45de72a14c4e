"""A full export opened in two processes (opening.py): the same file as in one, a tampered or
deleted record read as before, and a worker that dies stops the export with nothing whole."""

from __future__ import annotations

import io
import os
import select
import signal
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.crypto import parse_envelope
from app.extensions import db
from app.models import ReceivedRecord
from app.services import accounts, unlock
from app.services.analytics.filters import Filters
from app.services.central import audit
from app.services.errors import ExportFailed
from app.services.exports import opening, produce, sink
from tests.conftest import PASSPHRASE
from tests.exports.conftest import as_dicts, audit_entries, read_csv, station

RECORDS = 9


def _deliver(app: Flask) -> list[str]:
    post = station(app)
    items = [post.envelope({"q_consent_interview": "yes", "q_respondent_name": f"Person {n} ราตรี",
                            "q_citizenship": "lao" if n % 2 else "thai"},
                           outcome={"tier": "refer_mdt", "flags": [], "elements": []})
             for n in range(RECORDS)]
    post.deliver(*items)
    return [record_id for record_id, _ in items]


def _tamper_and_delete(app: Flask, tampered: str, deleted: str) -> None:
    """One envelope changed after it was received (its checksum made to match, so only the
    signature tells), and one record's envelope shredded."""
    with app.app_context():
        rec = db.session.get(ReceivedRecord, tampered)
        blob = bytearray(rec.envelope)
        blob[len(blob) // 2] ^= 0x01
        rec.envelope = bytes(blob)
        rec.envelope_sha256 = parse_envelope(bytes(blob)).sha256
        db.session.execute(sa.update(ReceivedRecord).where(ReceivedRecord.id == deleted)
                           .values(envelope=None, deleted_at=datetime.now(UTC)))
        db.session.commit()


def _export(app: Flask, fmt: str, *, worker: bool) -> bytes:
    app.config["TIP"] = app.config["TIP"].with_overrides(export_worker=worker)
    with app.app_context():
        user = accounts.find_user("admin")
        secret = unlock.open_keys(user, PASSPHRASE)
        request = produce.ExportRequest(kind=produce.FULL, format=fmt, filters=Filters(), language="th")
        export = produce.start(request, username="admin", user_id=user.id, secret=secret,
                               today=datetime.now(UTC).date(), password="a-long-zip-password-123")
        return b"".join(export.chunks)


def _members(data: bytes) -> dict[str, bytes]:
    """An XLSX's parts (its zip headers carry the time of writing, the parts do not)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {name: book.read(name) for name in book.namelist()}


@pytest.mark.parametrize("fmt", [produce.CSV, produce.XLSX])
def test_the_worker_gives_the_same_file_as_one_process(any_central: Flask, fmt: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _deliver(any_central)
    _tamper_and_delete(any_central, tampered=ids[2], deleted=ids[5])
    monkeypatch.setattr(produce, "BATCH", 1)  # many batches: some to the worker, some opened here
    here, there = [], []
    open_batch, send = opening.RecordOpener.open_batch, opening.Worker.send
    monkeypatch.setattr(opening.RecordOpener, "open_batch",
                        lambda self, items: here.append(len(items)) or open_batch(self, items))
    monkeypatch.setattr(opening.Worker, "send",
                        lambda self, items, *args: there.append(len(items)) or send(self, items, *args))
    # The worker's rows read only when AHEAD batches wait: a quick worker would otherwise take
    # every batch, and the share between the processes would depend on timing.
    monkeypatch.setattr(opening.Worker, "ready", lambda self: False)

    one = _export(any_central, fmt, worker=False)
    assert here and not there
    here.clear()
    two = _export(any_central, fmt, worker=True)
    assert here and there, "both processes opened records"

    if fmt == produce.CSV:
        assert two == one
        rows = as_dicts(read_csv(two))
    else:
        assert _members(two) == _members(one)
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(two)).worksheets[0]
        rows = as_dicts([list(r) for r in sheet.iter_rows(values_only=True)])
    assert len(rows) == RECORDS
    problems = {r["record_id"]: r["problem"] for r in rows}
    assert problems[ids[2]] == produce.DAMAGED and problems[ids[5]] == produce.DELETED
    assert sum(p is None for p in problems.values()) == RECORDS - 2
    names = {r["record_id"]: r["q_respondent_name"] for r in rows}
    assert names[ids[0]] == "Person 0 ราตรี" and names[ids[2]] is None


def _kill_the_worker_once_it_has_a_batch(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    killed: list[int] = []
    send = opening.Worker.send

    def send_then_kill(self: opening.Worker, items: Any, *args: Any) -> None:
        send(self, items, *args)
        if not killed:
            os.kill(self.pid, signal.SIGKILL)
            killed.append(self.pid)

    monkeypatch.setattr(opening.Worker, "send", send_then_kill)
    return killed


def test_a_worker_that_dies_stops_the_export(sqlite_central: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    _deliver(sqlite_central)
    monkeypatch.setattr(produce, "BATCH", 1)
    monkeypatch.setattr(sink, "CHUNK", 1)
    killed = _kill_the_worker_once_it_has_a_batch(monkeypatch)
    with sqlite_central.app_context():
        user = accounts.find_user("admin")
        secret = unlock.open_keys(user, PASSPHRASE)
        request = produce.ExportRequest(kind=produce.FULL, format=produce.XLSX, filters=Filters())
        export = produce.start(request, username="admin", user_id=user.id, secret=secret,
                               today=datetime.now(UTC).date())
        received = bytearray()
        with pytest.raises(ExportFailed, match="process opening the records failed"):
            for chunk in export.chunks:
                received += chunk
    assert killed
    with pytest.raises(zipfile.BadZipFile):  # no central directory: nothing opens it
        zipfile.ZipFile(io.BytesIO(bytes(received)))
    started, stopped = audit_entries(sqlite_central, audit.EXPORT, audit.EXPORT_DONE)
    assert "full xlsx" in started.detail and "not delivered whole" in stopped.detail


def test_flask_export_leaves_no_file_when_the_worker_dies(sqlite_central: Flask, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _deliver(sqlite_central)
    monkeypatch.setattr(produce, "BATCH", 1)
    monkeypatch.setattr(sink, "CHUNK", 1)  # rows reach the file before the worker is missed
    _kill_the_worker_once_it_has_a_batch(monkeypatch)
    out = tmp_path / "full.csv"
    result = sqlite_central.test_cli_runner().invoke(
        args=["export", "--kind", "full", "--format", "csv", "--password-stdin", "--output", str(out)],
        input=PASSPHRASE + "\n")
    assert result.exit_code != 0
    assert "process opening the records failed" in result.output and "No file was written" in result.output
    assert not out.exists()


def test_a_failure_in_the_worker_is_told_by_its_kind_only() -> None:
    frames = io.BytesIO()
    opening._send(frames, ("batch", 0, {}, {}, []))  # a batch before "start": the worker cannot open it
    frames.seek(0)
    out = io.BytesIO()
    opening.serve(frames, out)
    out.seek(0)
    assert opening._receive(out) == ("failed", "AssertionError")


def test_the_worker_ends_with_the_process_that_started_it() -> None:
    script = ("from app.services.exports import opening\n"
              "w = opening.Worker(opening.Columns((), 'en', False, False), opening.Layout(False, 3),\n"
              "                   deleted='deleted')\n"
              "print(w.pid, flush=True)\n"
              "input()\n")
    with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, cwd=Path(__file__).resolve().parents[2]) as parent:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        watch = os.pidfd_open(pid)
        parent.kill()  # SIGKILL: nothing of the parent's runs, only its pipes close
        parent.wait()
        # The worker sees its input end and exits (it is the parent's child: reaped by init).
        assert select.select([watch], [], [], 60)[0], "the worker outlived its parent"
        os.close(watch)
