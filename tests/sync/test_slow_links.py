"""Sync over the links border posts have: 2G, and a lossy line that reorders.

The station and central sit in two network namespaces made here, joined only through the
user-space link emulator (tests/support/link_emulator.py); central speaks TLS (a pinned,
self-signed certificate), the station is the real app on its SQLite file, and its sync
runs inside the station's namespace. Each profile must end with exactly the station's set
at central: nothing lost, nothing twice.
"""

from __future__ import annotations

import json
import logging
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.models import ReceivedRecord, RecordState
from app.services import installation
from app.services.errors import LinkTimedOut, SyncFailed
from app.services.sync import client as sync_client
from app.services.sync.client import push, sizing, transport
from app.services.sync.client.push import SyncSummary
from tests.support.certificates import self_signed
from tests.support.link_emulator import LOSSY_2M, TWO_G, Profile, link_emulator
from tests.support.netns import Namespaces, in_namespace, two_namespaces

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def central_in_namespace(central, ns: Namespaces, tmp_path: Path) -> Iterator[tuple[int, str]]:
    """Central over HTTPS, listening inside its namespace; its port and certificate's SHA-256."""
    cert, key, pin = self_signed(tmp_path, ns.central_address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = in_namespace(ns.central, lambda: make_server(ns.central_address, 0, central.app, threaded=True,
                                                          ssl_context=context))
    thread = threading.Thread(target=server.serve_forever, name="tip-central-ns", daemon=True)
    thread.start()
    try:
        yield server.server_port, pin
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def over_link(enrolled, tmp_path: Path, profile: Profile, **options: object):
    """The enrolled station pointed at central through the emulated link."""
    central, station = enrolled
    with two_namespaces() as ns, central_in_namespace(central, ns, tmp_path) as (port, pin), \
            link_emulator((ns.central_address, port), profile, listen_host=ns.station_side, **options) as link:
        with station.ctx():
            inst = installation.get()
            inst.central_url = f"https://{link.address}"
            inst.central_tls_pin = pin
            db.session.commit()
        yield ns, link


def sync_in(ns: Namespaces, station, timeout: float) -> SyncSummary:
    """The station's push, run in its namespace (the worker threads it starts are there too)."""

    def run() -> SyncSummary:
        with station.ctx():
            return sync_client.sync(pull=False)

    return in_namespace(ns.station, run, timeout=timeout)


def assert_exactly_the_station_s_set(central, station, ids: set[str]) -> None:
    rows = station.records()
    assert {rid for rid, rec in rows.items() if rec.state is RecordState.SYNCED} == ids  # 0 lost
    held = central.received()
    assert set(held) == ids
    with central.ctx():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord))
    assert count == len(ids)  # 0 twice
    for rid in ids:
        assert held[rid].envelope_sha256 == rows[rid].envelope_sha256
        assert held[rid].receipt == rows[rid].receipt


def test_2g_completes_with_exactly_the_station_s_set(enrolled, tmp_path, caplog):
    central, station = enrolled
    ids = set(station.finalised(12))
    caplog.set_level(logging.INFO, logger="app.services.sync.client.push")
    with over_link(enrolled, tmp_path, TWO_G, seed=2) as (ns, link):
        summary = sync_in(ns, station, timeout=240)
    assert summary.pending_after == 0 and summary.marked_synced == 12
    assert_exactly_the_station_s_set(central, station, ids)
    assert link.stalls() > 0  # losses really happened on the way
    # Several requests of a few records each, not one that never finishes.
    assert link.connections >= 4
    # Requests of about what takes 8 s here, far below 3 MB.
    found = re.search(r"sync link: (\d+) bytes/s measured, largest exchange (\d+) bytes, (\d+) timeouts",
                      caplog.text)
    assert found, caplog.text
    rate, size = int(found[1]), int(found[2])
    assert 500 < rate < TWO_G.bytes_per_second and size < 100_000
    # How long it took is the benchmark's business (bench/bench_link.py), not a timed test's.


def test_lossy_reordering_2_mbit_completes_through_flask_sync(enrolled, tmp_path):
    """The real `flask sync` (pull included), in a process started in the station's namespace."""
    central, station = enrolled
    ids = set(station.finalised(20))
    with over_link(enrolled, tmp_path, LOSSY_2M, seed=3) as (ns, link):
        with station.ctx():
            db.session.remove()
            db.engine.dispose()
        environment = {**os.environ, "TIP_SCREEN_INSTANCE": station.app.instance_path}
        environment.pop("DATABASE_URL", None)
        done = subprocess.run(["ip", "netns", "exec", ns.station, sys.executable, "-m", "flask", "--app", "app",
                               "sync"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=240,
                              check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Marked synced: 20" in done.stdout and "Still pending: 0" in done.stdout
    assert_exactly_the_station_s_set(central, station, ids)
    assert link.stalls() > 0 and link.late() > 0  # it did lose and reorder


def test_without_the_link_the_namespaces_do_not_reach_each_other(enrolled, tmp_path):
    """The emulator is the only way across: straight to central's address fails."""
    central, station = enrolled
    with two_namespaces() as ns, central_in_namespace(central, ns, tmp_path) as (port, _pin):
        def probe() -> str:
            import socket

            try:
                socket.create_connection((ns.central_address, port), timeout=2).close()
            except OSError:
                return "unreachable"
            return "reached"

        assert in_namespace(ns.station, probe) == "unreachable"
        assert in_namespace(ns.central, probe) == "reached"


def test_what_central_acknowledged_stays_acknowledged_when_a_later_request_is_cut(enrolled, tmp_path,
                                                                                 monkeypatch):
    central, station = enrolled
    ids = set(station.finalised(12))
    # One request at a time, so connections are numbered in the order the push makes them
    # (with two in flight a loaded machine may connect the second upload first).
    monkeypatch.setattr("app.services.sync.client.push.DEPTH", 1)
    # Connection 1 asks what central holds, 2 uploads the first record; 3, the next upload,
    # is reset in the middle of its envelopes.
    with over_link(enrolled, tmp_path, LOSSY_2M, seed=4, cut_connections=frozenset({3}),
                   cut_after_bytes=8000) as (ns, link):
        with pytest.raises(SyncFailed, match="cannot be reached"):
            sync_in(ns, station, timeout=120)
        assert link.cuts == [3]
        synced = {rid for rid, rec in station.records().items() if rec.state is RecordState.SYNCED}
        assert 1 <= len(synced) < 12  # the answers that came before the cut were kept
        assert synced <= set(central.received())
        summary = sync_in(ns, station, timeout=120)
    assert summary.pending_after == 0
    assert_exactly_the_station_s_set(central, station, ids)


def test_a_budget_follows_the_bytes_not_one_fixed_number(enrolled, tmp_path, monkeypatch):
    """The same request over the same line: out of time for a link believed fast, in time for
    the link as measured. (The 20 s stall timeout alone would never have fired.)"""
    central, station = enrolled
    monkeypatch.setattr(sizing, "FLOOR_SECONDS", 1.0)
    line = Profile("200 kbit/s", 200_000, 0.02)
    # The largest "known" question (1,000 ids and hashes, about 90 kB: 3.6 s on this line).
    query = json.dumps({"pending": 0, "records": [{"id": str(uuid.uuid4()), "sha256": "0" * 64}
                                                  for _ in range(1000)]}).encode()
    with over_link(enrolled, tmp_path, line) as (ns, link):
        with station.ctx():
            url, pin = installation.get().central_url or "", installation.get().central_tls_pin

        def send(believed: sizing.Link) -> str:
            with station.ctx():
                headers = transport.signature_headers(installation.get(), "POST", "/api/v1/records/known", query)
            started = time.monotonic()
            try:
                answer = transport.exchange(url, pin, "POST", "/api/v1/records/known", query, headers,
                                            link=believed)
            except LinkTimedOut:
                return f"timed out after {time.monotonic() - started:.1f} s"
            return f"{len(answer['results'])} answered"

        fast = sizing.Link(rate=1e6)
        outcome = in_namespace(ns.station, lambda: send(fast), timeout=60)
        assert outcome.startswith("timed out after 1."), outcome  # 1 s + 3 x 0.09 s
        # What did not get through in 1.3 s bounds the rate: from 1 MB/s to under 90 kB/s.
        assert fast.timeouts == 1 and fast.rate < len(query) and fast.request_bytes() < sizing.START_BYTES
        measured = sizing.Link(rate=line.bytes_per_second)
        outcome = in_namespace(ns.station, lambda: send(measured), timeout=60)
        assert outcome == "1000 answered"
        assert measured.timeouts == 0 and measured.rate < line.bytes_per_second


def test_a_push_that_times_out_shrinks_and_finishes_in_the_same_sync(enrolled, tmp_path, monkeypatch, caplog):
    """A link believed far faster than it is: the first uploads run out of time, the
    requests shrink, and the same sync completes, with nothing lost and nothing twice."""
    central, station = enrolled
    ids = set(station.finalised(12))
    # 3 s and a little: enough for one record (6 kB, 1 s here) even on a busy machine, not
    # for the five of the first uploads (32 kB, 5 s here).
    monkeypatch.setattr(sizing, "FLOOR_SECONDS", 3.0)
    monkeypatch.setattr(push, "Link", lambda: sizing.Link(rate=1e7))
    caplog.set_level(logging.INFO, logger="app.services.sync.client.push")
    line = Profile("50 kbit/s", 50_000, 0.02)
    with over_link(enrolled, tmp_path, line) as (ns, link):
        summary = sync_in(ns, station, timeout=120)
    found = re.search(r"sync link: \d+ bytes/s measured, largest exchange \d+ bytes, (\d+) timeouts", caplog.text)
    assert found and int(found[1]) >= 1, caplog.text
    assert summary.pending_after == 0 and summary.marked_synced == 12
    assert_exactly_the_station_s_set(central, station, ids)
