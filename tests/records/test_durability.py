"""Killing the station at random moments during concurrent saves loses no acknowledged answer.

The station runs as a real process (``run.py``). Several clients log in and
autosave answers over HTTP at the same time, some of them into the same
record (compare-and-swap saves). At a random moment the process is killed
with SIGKILL, then restarted; over 20 times. Every save the server
acknowledged (HTTP 200, ``ok``) must then be there with its value, and the
database must pass ``PRAGMA integrity_check``.

Each (record, question) has a single writer that waits for each reply, so
the expected value is exact: the last acknowledged value, or one sent after
it whose reply never came (the kill hit between commit and reply).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import CONFIG_NAME, load_config, write_initial_config
from app.extensions import db
from app.models import Record
from app.services import accounts, records
from app.services.accounts import keyring
from tests.records.http import CSRF_RE, Browser

PASSPHRASE = "long enough test phrase"
PROJECT = Path(__file__).resolve().parents[2]
KILLS = 21
CLIENTS = 4
# Thread t writes SHARED_QIDS[t] in the shared record and OWN_QID in its own records.
SHARED_QIDS = ("q_respondent_name", "q_handover_note", "q_observation_notes", "q_compound_location")
OWN_QID = "q_guardian_contact"
NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, HTTPException, TimeoutError, socket.timeout, OSError)


@dataclass
class Ledger:
    """What the clients know: acknowledged values and values whose reply never came."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: dict[tuple[str, str], str] = field(default_factory=dict)
    pending: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    records_acked: set[str] = field(default_factory=set)
    acks: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def sent(self, key: tuple[str, str], value: str) -> None:
        with self.lock:
            self.pending.setdefault(key, []).append(value)

    def ack(self, key: tuple[str, str], value: str) -> None:
        with self.lock:
            self.acked[key] = value
            self.pending[key] = []
            self.acks += 1

    def allowed(self, key: tuple[str, str]) -> set[str | None]:
        last = self.acked.get(key)
        return {last, *self.pending.get(key, [])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(instance: Path, env: dict[str, str]) -> None:
    write_initial_config(instance)
    config = instance / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    # Cheap key derivation, a valid setting, keeps 20+ logins per client affordable.
    config.write_text(text + 'kdf_profile = "test"\n', encoding="utf-8")
    subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "app", "init",
                    "--station-name", "Durability post", "--admin", "admin", "--password-stdin"],
                   input=PASSPHRASE + "\n", env=env, cwd=instance.parent, check=True,
                   capture_output=True, text=True, timeout=60)


class Server:
    def __init__(self, instance: Path, env: dict[str, str], log: Path) -> None:
        self.instance, self.env, self.log = instance, env, log

    def start(self) -> str:
        port = _free_port()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(PROJECT / "run.py"), "--port", str(port), "--threads", "8"],
                env=self.env, cwd=self.instance.parent, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as reply:  # noqa: S310
                    if reply.status == 200:
                        return url
            except NETWORK_ERRORS:
                time.sleep(0.02)
        raise AssertionError("station did not start: " + self.log.read_text(errors="replace")[-3000:])

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def _client(url: str, tid: int, rnd: int, shared: str, owned: dict[int, str], ledger: Ledger,
            ready: threading.Barrier, stop: threading.Event, rng: random.Random) -> None:
    browser = Browser(url, timeout=5)
    try:
        try:
            home = browser.login("admin", PASSPHRASE)
            assert home.status == 200
            token = CSRF_RE.search(home.text).group(1)  # type: ignore[union-attr]
            if tid not in owned or tid == rnd % CLIENTS:  # one new screening per round, in turn
                owned[tid] = browser.start_screening("th")
                with ledger.lock:
                    ledger.records_acked.add(owned[tid])
            own = owned[tid]
        finally:
            ready.wait(timeout=20)
        n = 0
        while not stop.is_set():
            n += 1
            rid, qid = (shared, SHARED_QIDS[tid]) if n % 2 else (own, OWN_QID)
            value = f"t{tid} r{rnd} n{n} " + "x" * rng.randint(1, 90)  # no edge spaces; within max_length
            ledger.sent((rid, qid), value)
            reply = browser.autosave(rid, token, {qid: value})
            if reply.status == 200 and reply.json().get("ok") and reply.json()["answers"][qid] == value:
                ledger.ack((rid, qid), value)
            else:
                with ledger.lock:
                    ledger.refused.append((reply.status, reply.text[:200]))
    except NETWORK_ERRORS:
        return  # the server was killed under us
    except threading.BrokenBarrierError:
        return


@pytest.mark.slow
def test_sigkill_during_concurrent_saves_loses_no_acknowledged_answer(tmp_path):
    began = time.monotonic()
    instance = tmp_path / "instance"
    # This checkout's app, whatever is installed in the environment.
    env = {**os.environ, "TIP_SCREEN_INSTANCE": str(instance), "PYTHONPATH": str(PROJECT)}
    env.pop("DATABASE_URL", None)
    _prepare(instance, env)
    server = Server(instance, env, tmp_path / "station.log")
    ledger = Ledger()
    rng = random.Random()  # noqa: S311 - timing jitter, not security

    url = server.start()
    setup_browser = Browser(url)
    assert setup_browser.login("admin", PASSPHRASE).status == 200
    shared = setup_browser.start_screening("my")
    ledger.records_acked.add(shared)
    owned: dict[int, str] = {}

    startup = 0.0
    for rnd in range(KILLS):
        if rnd:
            t0 = time.monotonic()
            url = server.start()
            startup += time.monotonic() - t0
        stop = threading.Event()
        ready = threading.Barrier(CLIENTS + 1)
        threads = [threading.Thread(target=_client, args=(url, t, rnd, shared, owned, ledger, ready, stop,
                                                           random.Random(rng.random())), daemon=True)
                   for t in range(CLIENTS)]
        for thread in threads:
            thread.start()
        acks_before = ledger.acks
        ready.wait(timeout=30)
        deadline = time.monotonic() + 30
        while ledger.acks == acks_before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.5))  # saves in full flow, then the plug is pulled
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
            assert not thread.is_alive()
        assert ledger.acks > acks_before, f"round {rnd}: no save was acknowledged before the kill"

    # Open the database as the next start would, and check every acknowledged save.
    app = create_app(load_config(instance))
    try:
        with app.app_context():
            conn = db.session.connection()
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            admin = accounts.find_user("admin")
            secret = keyring.station_keys(keyring.open_user_slot(admin, PASSPHRASE))
            stored = {r.id: r for r in db.session.scalars(sa.select(Record))}
            assert ledger.records_acked <= set(stored), "an acknowledged new screening is gone"
            answers = {rid: records.open_record(rid, admin, secret).answers for rid in stored}
            missing = []
            for (rid, qid), value in ledger.acked.items():
                if answers[rid].get(qid) not in ledger.allowed((rid, qid)):
                    missing.append((rid, qid, value[:20], str(answers[rid].get(qid))[:20]))
            assert missing == []
            seqs = sorted(r.seq for r in stored.values())
            assert len(set(seqs)) == len(seqs)
    finally:
        with app.app_context():
            db.engine.dispose()
    assert len(ledger.records_acked) >= KILLS + CLIENTS  # a new screening every round
    # A refused save must say so cleanly (it changed nothing); never a crash.
    assert [r for r in ledger.refused if r[0] >= 500] == []
    refusals = sorted({f"{status} {text[:60]}" for status, text in ledger.refused})
    print(f"{KILLS} kills, {ledger.acks} acknowledged saves, {len(ledger.refused)} refused {refusals}, "
          f"{time.monotonic() - began:.1f} s ({startup:.1f} s restarting)")
