"""Sync into central on PostgreSQL: first push and idempotent re-send rate, bytes on the wire.

Run from the repository root:  .venv/bin/python bench/bench_sync.py [--quick]

Central is a fresh PostgreSQL database (``createdb`` on 127.0.0.1:5432, user
postgres, dropped afterwards) set up with the real commands (``flask --app app
init --role central``, ``flask --app app stations create``) and served as in
production by gunicorn (``--workers``, default 2) on 127.0.0.1. The station is
a fresh temporary instance (``flask --app app init``) driven in-process: it
enrols with ``sync_client.enrol`` and then ``--records`` finalised, sealed
screenings are made with ``demo.generate`` (setup, not measured; SQLite
synchronous=OFF and test key derivation only while generating).

Measured, per batch size (``push.BATCH``), ``--repeat`` times each:

* first push: ``sync_client.sync(pull=False)`` of every record into an empty
  ``received_records`` (emptied with TRUNCATE between runs);
* re-send: the station forgets its receipts
  (``UPDATE records SET state='final', receipt=NULL, receipt_at=NULL``) and
  pushes the same records again; central answers each "duplicate".

Wall time is taken around the whole ``sync`` call, so it includes the
station's own work (outbox queries, receipt checks, one commit per receipt).
Bytes on the wire are counted in one extra run per kind, at the first batch
size, by a pass-through TCP proxy in this process (HTTP headers and bodies,
both directions); the timed runs go straight to gunicorn. Batch sizes whose
requests would exceed the app's 4 MiB MAX_CONTENT_LENGTH are skipped (central
answers 413 and the station sees a cut connection).

With ``--stored N`` it measures instead the first push into a central already holding N
records against an empty one (budget: within 20%), interleaved in the same run: central's
database is copied (``CREATE DATABASE ... TEMPLATE``: same keys, same enrolled station) and
the copy gets N more received records with their facts rows and envelopes of the station's
average size from another station (COPY); both are served by gunicorn from the same instance
directory. Before each timed push, the bench station's earlier records are deleted from the
target and it is vacuumed; after it, every record and its facts row must be there (the facts
travel sealed and are indexed at ingest, so that work is in the figure). The facts index each
worker reads at start is awaited (its CPU goes quiet) before anything is timed.

Prints a markdown table (for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _station import (  # noqa: E402
    ADMIN,
    ADMIN_PASSPHRASE,
    PYTHON,
    ROOT,
    free_port,
    machine,
    median,
    run_flask,
    stop_process,
    verdict,
)

sys.path.insert(0, str(ROOT))

FIRST_PUSH_RPS = 1000.0
RESEND_RPS = 5000.0
MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # app/__init__.py: larger requests get 413
PG = {"host": os.environ.get("TIP_SCREEN_PG_HOST", "127.0.0.1"),
      "port": int(os.environ.get("TIP_SCREEN_PG_PORT", "5432")),
      "user": os.environ.get("TIP_SCREEN_PG_USER", "postgres")}
CODE_RE = re.compile(r"^Code:\s+(\S+)", re.M)


# -- central: PostgreSQL + gunicorn ------------------------------------------------------


def pg_connect(dbname: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=5, **PG)


def pg_version() -> str:
    with pg_connect("postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


class Central:
    """A fresh central instance on its own PostgreSQL database, served by gunicorn."""

    def __init__(self, workers: int, profile: Path | None = None) -> None:
        self.profile = profile
        self.dir = Path(tempfile.mkdtemp(prefix="tip-bench-central-"))
        self.instance = self.dir / "instance"
        self.dbname = f"tip_bench_{secrets.token_hex(5)}"
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.code = ROOT  # the source tree gunicorn serves (--compare-with: another commit's)
        self.log = self.dir / "gunicorn.log"
        self.env = {**os.environ, "TIP_SCREEN_INSTANCE": str(self.instance), "PYTHONDONTWRITEBYTECODE": "1",
                    "DATABASE_URL": f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{self.dbname}"}

    def flask(self, *args: str, stdin: str = "") -> str:
        return run_flask(self.env, *args, stdin=stdin)

    def setup(self) -> str:
        """createdb, init --role central, one enrolment code; returns the code."""
        subprocess.run(["createdb", "-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"], self.dbname],
                       check=True)
        from app.config import write_initial_config

        path = write_initial_config(self.instance, role="central")
        with path.open("a", encoding="utf-8") as fh:
            fh.write('\nkdf_profile = "test"\n')  # the admin's login only; nothing measured uses it
        self.flask("init", "--role", "central", "--station-name", "Central", "--admin", "coordinator",
                   "--password-stdin", stdin=ADMIN_PASSPHRASE + "\n")
        out = self.flask("stations", "create", "Bench station", "--url", self.url)
        match = CODE_RE.search(out)
        if not match:
            raise RuntimeError(f"no enrolment code in: {out}")
        return match.group(1)

    def start(self, timeout: float = 60.0) -> None:
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        options = ["-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "--access-logfile", "-",
                   "--log-level", "warning", "-c", "python:app.gunicorn_conf"]  # as the README runs it
        env = self.env if self.code == ROOT else {**self.env, "PYTHONPATH": str(self.code)}
        if self.profile:
            self.profile.mkdir(parents=True, exist_ok=True)
            options[-1] = str(Path(__file__).with_name("_gunicorn_profile.py"))  # the same hooks, profiled
            env = {**env, "TIP_BENCH_PROFILE_DIR": str(self.profile.resolve())}
        self.proc = subprocess.Popen([gunicorn, *options, "app:create_app()"], cwd=self.code, env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.log.open("ab"))
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def empty(self) -> None:
        with pg_connect(self.dbname) as conn:
            conn.execute("TRUNCATE received_records CASCADE")  # and record_facts

    def received(self) -> int:
        with pg_connect(self.dbname) as conn:
            row = conn.execute("SELECT count(*) FROM received_records").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 15)
        try:
            with pg_connect("postgres") as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- a byte-counting pass-through proxy -----------------------------------------------------


class CountingProxy:
    """Forwards 127.0.0.1:port to the target and counts bytes each way."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = 0
        self.down = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, "down"), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        try:
            while data := src.recv(256 * 1024):
                dst.sendall(data)
                with self.lock:
                    if way == "up":
                        self.up += len(data)
                    else:
                        self.down += len(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def reset(self) -> None:
        with self.lock:
            self.up = self.down = 0

    def close(self) -> None:
        self.server.close()


# -- the station, in-process -------------------------------------------------------------------

# StationSide.push_with: the same push as StationSide.push, by another source tree's code.
PUSH_WITH = """
import json, os, sys, time
from pathlib import Path
from app import create_app
from app.config import load_config
from app.services.sync import client as sync_client
from app.services.sync.client import push
push.BATCH = int(sys.argv[1])
app = create_app(load_config(Path(os.environ["TIP_SCREEN_INSTANCE"]), create=False))
with app.app_context():
    start, cpu = time.perf_counter(), time.process_time()
    summary = sync_client.sync(pull=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "accepted": summary.accepted,
                  "duplicate": summary.duplicate, "marked_synced": summary.marked_synced}))
"""


class StationSide:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tip-bench-station-"))
        self.instance = self.dir / "instance"
        self.db_path = self.instance / "tip-screen.sqlite3"
        self.env = {**os.environ, "TIP_SCREEN_INSTANCE": str(self.instance), "PYTHONDONTWRITEBYTECODE": "1"}
        self.env.pop("DATABASE_URL", None)
        self.app = None
        self.envelope_bytes = 0.0

    def setup(self, central_url: str, code: str, count: int) -> float:
        """init (CLI), enrol and make ``count`` sealed records in-process; seconds spent generating."""
        from app.config import write_initial_config

        path = write_initial_config(self.instance)
        with path.open("a", encoding="utf-8") as fh:
            fh.write('\nkdf_profile = "test"\nsync_interval_seconds = 0\n')
        result = subprocess.run([PYTHON, "-m", "flask", "--app", "app", "init", "--station-name", "Bench",
                                 "--admin", ADMIN, "--password-stdin"], cwd=ROOT, env=self.env,
                                input=(ADMIN_PASSPHRASE + "\n").encode(), capture_output=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"station init failed: {result.stderr.decode()[-2000:]}")
        os.environ.pop("DATABASE_URL", None)
        from app import create_app
        from app.config import load_config

        self.app = create_app(load_config(self.instance, create=False))
        import sqlalchemy as sa

        from app.extensions import db
        from app.models import Record
        from app.services import accounts, demo
        from app.services.accounts import keyring
        from app.services.sync import client as sync_client

        with self.app.app_context():
            sync_client.enrol(central_url, code)
            admin = accounts.find_user(ADMIN)
            assert admin is not None
            secret = keyring.open_user_slot(admin, ADMIN_PASSPHRASE)
            assert secret is not None

            def fast(dbapi_connection, _record):  # type: ignore[no-untyped-def]
                dbapi_connection.execute("PRAGMA synchronous=OFF")

            db.engine.dispose()
            sa.event.listen(db.engine, "connect", fast)
            start = time.perf_counter()
            try:
                demo.generate(count, "BENCH", admin, keyring.station_keys(secret), seed=1)
            finally:
                sa.event.remove(db.engine, "connect", fast)
                db.session.remove()
                db.engine.dispose()  # measured runs get the production pragmas again
            seconds = time.perf_counter() - start
            waiting = sync_client.status()["counts"]
            if sync_client.pending_count() != count:
                raise RuntimeError(f"expected {count} sealed records, station has {waiting}")
            average = sa.select(sa.func.avg(sa.func.length(Record.envelope)))
            self.envelope_bytes = float(db.session.scalar(average) or 0)
        return seconds

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> None:
        with sqlite3.connect(self.db_path) as conn:
            conn.execute(statement, params)

    def forget_receipts(self) -> None:
        self.sql("UPDATE records SET state='final', receipt=NULL, receipt_at=NULL")

    def point_at(self, url: str) -> None:
        self.sql("UPDATE installation SET central_url=?", (url,))

    def push(self, batch: int, profile: Path | None = None) -> tuple[float, object]:
        from app.extensions import db
        from app.services.sync import client as sync_client
        from app.services.sync.client import push as push_protocol

        assert self.app is not None
        push_protocol.BATCH = batch
        with self.app.app_context():
            profiler = cProfile.Profile() if profile else None
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            summary = sync_client.sync(pull=False)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - start
            db.session.remove()
        if profiler and profile:
            profiler.dump_stats(profile)
        return seconds, summary

    def push_with(self, code: Path, batch: int) -> tuple[float, SimpleNamespace]:
        """One push by the station as the source tree ``code`` has it (--compare-with: the
        station's side changes too), in a process of its own; timed there around the sync
        (wall time, and ``summary.cpu``: the station process's CPU seconds, every thread)."""
        env = {**self.env, "PYTHONPATH": str(code)}
        result = subprocess.run([PYTHON, "-c", PUSH_WITH, str(batch)], cwd=code, env=env,
                                capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise RuntimeError(f"push with {code} failed: {result.stderr[-3000:]}")
        answer = json.loads(result.stdout.splitlines()[-1])
        return answer.pop("seconds"), SimpleNamespace(**answer)

    def close(self) -> None:
        if self.app is not None:
            from app.extensions import db

            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the benchmark ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 records, one run per case")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batches", default="100,250,500", help="batch sizes to try, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per batch size and kind")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--stored", type=int, default=0,
                        help="compare the first push into a central holding this many records "
                        "with an empty one")
    parser.add_argument("--compare-with", metavar="REV", default=None,
                        help="first push and re-send with this git commit's code at both ends (a central "
                        "on the same instance and a copy of the database; the station's push in a process "
                        "of its own) against this tree's, interleaved; records/s and CPU per record")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write cProfile stats of the station side of one push per case, and of "
                        "each central worker over the whole run, to this dir")
    args = parser.parse_args()
    count = 1000 if args.quick else args.records
    repeat = 1 if args.quick else args.repeat
    batches = [int(b) for b in args.batches.split(",")]
    started = machine()

    from app.protocol.messages import MAX_RECORDS_PER_KNOWN, MAX_RECORDS_PER_PUSH
    from app.services.sync.client import push

    default_batch = push.BATCH
    # push.BATCH is how many records are asked about at once ("known", up to
    # MAX_RECORDS_PER_KNOWN); uploads are split to fit MAX_RECORDS_PER_PUSH and the request limit.
    if max(batches) > MAX_RECORDS_PER_KNOWN:
        raise SystemExit(f"MAX_RECORDS_PER_KNOWN is {MAX_RECORDS_PER_KNOWN}; larger batches would be refused")

    if args.stored:
        compare_stored(args, count, repeat, started)
        return
    if args.compare_with:
        compare_code(args, count, repeat, started)
        return
    central = Central(args.workers, args.profile)
    station = StationSide()
    proxy = None
    try:
        code = central.setup()
        central.start()
        gen_seconds = station.setup(central.url, code, count)
        print(f"setup: {count} sealed records generated in {gen_seconds:.1f} s, "
              f"envelopes {station.envelope_bytes:,.0f} bytes on average", file=sys.stderr)
        proxy = CountingProxy(central.port)
        results: dict[int, dict[str, float]] = {}
        skipped: list[int] = []
        per_record = station.envelope_bytes + 20  # raw in the upload frame (app/protocol/wire.py)
        for batch in batches:
            # The client splits uploads under 3 MB itself (push.UPLOAD_BYTES, now sized to the
            # link by push.Link, at most sizing.MAX_BYTES); only a client without that split
            # would be refused here.
            splits = hasattr(push, "UPLOAD_BYTES") or hasattr(push, "Link")
            if batch * per_record > MAX_CONTENT_LENGTH and not splits:
                print(f"batch {batch}: skipped, ~{batch * per_record / 2**20:.1f} MiB per request is over "
                      f"MAX_CONTENT_LENGTH (4 MiB): central would answer 413 and cut the connection",
                      file=sys.stderr)
                skipped.append(batch)
                continue
            first: list[float] = []
            again: list[float] = []
            wire: dict[str, float] = {}
            counted_run = batch == batches[0]  # bytes per record barely depend on the batch size
            for run in range(repeat + counted_run):
                counted = run == repeat  # the extra run of each kind goes through the proxy
                station.point_at(f"http://127.0.0.1:{proxy.port}" if counted else central.url)
                for kind, times in (("first", first), ("again", again)):
                    if kind == "first":
                        central.empty()
                    station.forget_receipts()
                    proxy.reset()
                    prof = None
                    if args.profile and run == 0:
                        prof = args.profile / f"station-{kind}-{batch}.prof"
                        prof.parent.mkdir(parents=True, exist_ok=True)
                    seconds, summary = station.push(batch, prof)
                    want = ("accepted" if kind == "first" else "duplicate")
                    got = getattr(summary, want)
                    if got != count or summary.marked_synced != count:
                        raise RuntimeError(f"{kind} push, batch {batch}: {summary}")
                    if counted:
                        wire.update({f"{kind}_up": proxy.up / count, f"{kind}_down": proxy.down / count})
                    else:
                        times.append(seconds)
                    print(f"batch {batch} {kind}{' (via proxy)' if counted else ''}: "
                          f"{count / seconds:,.0f} records/s", file=sys.stderr)
            if central.received() != count:
                raise RuntimeError("central does not hold exactly the records sent")
            results[batch] = {"first": count / median(first), "again": count / median(again), **wire}
    except Exception:
        print(f"gunicorn log:\n{central.log_tail()}", file=sys.stderr)
        raise
    finally:
        if proxy:
            proxy.close()
        station.close()
        central.close()

    done = [b for b in batches if b in results]
    best = max(done, key=lambda b: (results[b]["first"], results[b]["again"]))
    print(f"{started}; PostgreSQL {pg_version()}; gunicorn {args.workers} sync workers; "
          f"{count:,} records, envelopes {station.envelope_bytes:,.0f} B on average; {repeat} timed run(s) "
          f"per case (median); default BATCH {default_batch}, MAX_RECORDS_PER_PUSH {MAX_RECORDS_PER_PUSH}\n")
    print("| batch | first push | re-send |")
    print("| ---: | ---: | ---: |")
    for batch in batches:
        if batch in skipped:
            print(f"| {batch} | refused (413: request over 4 MiB) | - |")
        else:
            r = results[batch]
            print(f"| {batch} | {r['first']:,.0f} records/s | {r['again']:,.0f} records/s |")
    r = results[best]
    w = results[batches[0]]
    up, down = w["first_up"], w["first_down"]
    up2, down2 = w["again_up"], w["again_down"]
    print(f"\nBest batch size: {best}.\n")
    print("| measure | median | budget | ratio | pass/fail |")
    print("| --- | ---: | ---: | ---: | --- |")
    ratio, ok = verdict(r["first"], FIRST_PUSH_RPS, at_least=True)
    print(f"| first push, batch {best} | {r['first']:,.0f} records/s | >= {FIRST_PUSH_RPS:,.0f} records/s "
          f"| {ratio} | {ok} |")
    ratio, ok = verdict(r["again"], RESEND_RPS, at_least=True)
    print(f"| idempotent re-send, batch {best} | {r['again']:,.0f} records/s "
          f"| >= {RESEND_RPS:,.0f} records/s | {ratio} | {ok} |")
    print(f"| wire bytes per record, first push, batch {batches[0]} | {up + down:,.0f} B ({up:,.0f} up + "
          f"{down:,.0f} down) | none set | - | - |")
    print(f"| wire bytes per record, re-send, batch {batches[0]} | {up2 + down2:,.0f} B ({up2:,.0f} up + "
          f"{down2:,.0f} down) | none set | - | - |")


# -- the first push into a full central against an empty one -------------------------------


def worker_cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """CPU time of gunicorn's master and workers so far (from /proc)."""
    total = 0.0
    pids = [proc.pid]
    for task in Path(f"/proc/{proc.pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_quiet(central: Central, timeout: float = 600.0) -> None:
    """Until the workers have read their facts index (app/gunicorn_conf.py starts it)."""
    assert central.proc is not None
    start = time.perf_counter()
    last = worker_cpu_seconds(central.proc)
    while time.perf_counter() - start < timeout:
        time.sleep(2)
        now = worker_cpu_seconds(central.proc)
        if now - last < 0.1:
            return
        last = now
    raise RuntimeError("central's workers did not go quiet")


def twin_of(central: Central, prefix: str) -> Central:
    """Another gunicorn host for ``central``'s instance directory: its own directory, log and
    database name, the same environment (so the same database until the caller says otherwise)."""
    twin = Central(central.workers)
    shutil.rmtree(twin.dir, ignore_errors=True)
    twin.dir = Path(tempfile.mkdtemp(prefix=prefix))
    twin.log = twin.dir / "gunicorn.log"
    twin.instance = central.instance
    twin.env = dict(central.env)
    return twin


def close_twin(twin: Central) -> None:
    """Stop a twin and drop its own files and database, but not the instance it borrows."""
    stop_process(twin.proc, signal.SIGTERM, 15)
    twin.instance = twin.dir / "not-shared"  # the instance is the other central's to remove
    twin.close()


def copy_of(central: Central) -> Central:
    """A second central on a copy of the first one's database, from the same instance."""
    twin = twin_of(central, "tip-bench-central-full-")
    twin.env["DATABASE_URL"] = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{twin.dbname}"
    with pg_connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{twin.dbname}" TEMPLATE "{central.dbname}"')
    return twin


def fill_stored(dbname: str, count: int, envelope_bytes: int, station_app: object) -> float:
    """``count`` received records of 20 other stations, with facts rows and envelopes."""
    from bench_dashboard import STATIONS, fill

    from app.questionnaire.facts import fact_specs
    from app.services import questionnaires

    ids = [str(uuid.uuid4()) for _ in range(STATIONS)]
    with pg_connect(dbname) as conn:
        for n, sid in enumerate(ids):
            conn.execute("INSERT INTO stations (id, name, signing_public_key, api_public_key, enrolled_at) "
                         "VALUES (%s, %s, %s, %s, now())",
                         (sid, f"Filler {n}", os.urandom(32), os.urandom(32)))
    with station_app.app_context():  # type: ignore[attr-defined]  # the questionnaires are the same at both ends
        specs = fact_specs(questionnaires.latest())
    dsn = f"host={PG['host']} port={PG['port']} user={PG['user']} dbname={dbname}"
    seconds = fill(dsn, specs, count, ids, envelope_bytes=envelope_bytes)
    with pg_connect(dbname) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")  # the fill's writes reach the disk now, not during a timed push
    return seconds


@contextmanager
def station_and_twin_centrals(workers: int, count: int) -> Iterator[tuple[Central, StationSide, Central]]:
    """A central set up and a station enrolled with ``count`` records made, then that central
    stopped and its twin made on a copy of its database: (central, station, twin). On a
    failure inside, the gunicorn logs of both are printed; all three are closed at the end."""
    first = Central(workers)
    station = StationSide()
    twin: Central | None = None
    try:
        code = first.setup()
        first.start()
        station.setup(first.url, code, count)
        stop_process(first.proc, signal.SIGTERM, 15)
        twin = copy_of(first)
        yield first, station, twin
    except Exception:
        print(f"gunicorn logs:\n{first.log_tail()}\n{twin.log_tail() if twin else ''}", file=sys.stderr)
        raise
    finally:
        station.close()
        if twin is not None:
            close_twin(twin)
        first.close()


def compare_stored(args: argparse.Namespace, count: int, repeat: int, started: str) -> None:
    from app.services.sync.client import push

    with station_and_twin_centrals(args.workers, count) as (empty, station, full):
        fill_s = fill_stored(full.dbname, args.stored, int(station.envelope_bytes), station.app)
        print(f"setup: {args.stored:,} records stored in {fill_s:.0f} s", file=sys.stderr)
        for central in (empty, full):
            central.start(timeout=600)
            wait_quiet(central)
        times: dict[str, list[float]] = {"empty": [], "full": []}
        for run in range(repeat):
            for kind, central in (("empty", empty), ("full", full)):
                with pg_connect(central.dbname) as conn:
                    conn.execute("DELETE FROM received_records WHERE station_id IN "
                                 "(SELECT id FROM stations WHERE name = 'Bench station')")
                    conn.execute("VACUUM ANALYZE received_records")
                    conn.execute("VACUUM ANALYZE record_facts")
                station.forget_receipts()
                station.point_at(central.url)
                seconds, summary = station.push(push.BATCH)
                if summary.accepted != count or summary.marked_synced != count:  # type: ignore[attr-defined]
                    raise RuntimeError(f"{kind} push: {summary}")
                with pg_connect(central.dbname) as conn:
                    row = conn.execute("SELECT count(*) FROM record_facts f JOIN stations s "
                                       "ON s.id = f.station_id WHERE s.name = 'Bench station'").fetchone()
                if not row or row[0] != count:
                    raise RuntimeError(f"{kind}: {row[0] if row else 0} facts rows for {count} records")
                times[kind].append(seconds)
                print(f"run {run + 1} {kind}: {count / seconds:,.0f} records/s", file=sys.stderr)
        with pg_connect(full.dbname) as conn:
            row = conn.execute("SELECT count(*) FROM received_records").fetchone()
        held = int(row[0]) if row else 0
    rate_empty = count / median(times["empty"])
    rate_full = count / median(times["full"])
    ratio = rate_full / rate_empty
    print(f"{started}; load average at the end {os.getloadavg()[0]:.2f}; PostgreSQL {pg_version()}; gunicorn "
          f"{args.workers} sync workers; first push of {count:,} records (facts sealed and indexed), batch "
          f"{push.BATCH}; {repeat} runs each, interleaved (median)\n")
    print("| central holds | first push | ratio to empty | budget | pass/fail |")
    print("| --- | ---: | ---: | --- | --- |")
    print(f"| nothing else | {rate_empty:,.0f} records/s | 1.00 | | |")
    print(f"| {held - count:,} other records | {rate_full:,.0f} records/s | {ratio:.2f} | >= 0.80 "
          f"| {'pass' if ratio >= 0.8 else 'FAIL'} |")


# -- this code against another commit's, interleaved -------------------------------------------


def backend_cpu_seconds(dbname: str) -> float:
    """CPU time so far of the PostgreSQL backends connected to ``dbname`` (same machine, /proc)."""
    with pg_connect("postgres") as conn:
        pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                               "AND pid <> pg_backend_pid()", (dbname,))]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def source_tree(rev: str) -> Path:
    """The files of commit ``rev`` (git archive), in a temporary directory."""
    tree = Path(tempfile.mkdtemp(prefix="tip-bench-code-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def compare_code(args: argparse.Namespace, count: int, repeat: int, started: str) -> None:
    """First push and re-send into a central serving ``--compare-with``'s code and one serving
    this tree, alternately, from one station whose push runs the same code as the central it
    pushes to (a process per push, timed around the sync): records/s, and CPU per record of
    the gunicorn processes and of their PostgreSQL backends."""
    from app.services.sync.client import push

    label = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.compare_with], check=True,
                           capture_output=True, text=True).stdout.strip()
    tree = source_tree(args.compare_with)
    try:
        with station_and_twin_centrals(args.workers, count) as (new, station, old):
            old.code = tree
            for central in (old, new):
                central.start(timeout=600)
                wait_quiet(central)
            cases: dict[tuple[str, str], dict[str, list[float]]] = {
                (name, kind): {"wall": [], "cpu": [], "pg": [], "station": []}
                for name in ("before", "after") for kind in ("first", "again")}
            loads: list[float] = []
            for run in range(repeat):
                loads.append(os.getloadavg()[0])
                order = [("before", old), ("after", new)]
                for name, central in order if run % 2 == 0 else order[::-1]:
                    station.point_at(central.url)
                    for kind in ("first", "again"):
                        if kind == "first":
                            central.empty()
                        station.forget_receipts()
                        assert central.proc is not None
                        cpu, pg = worker_cpu_seconds(central.proc), backend_cpu_seconds(central.dbname)
                        seconds, summary = station.push_with(central.code, push.BATCH)
                        cpu = worker_cpu_seconds(central.proc) - cpu
                        pg = backend_cpu_seconds(central.dbname) - pg
                        want = summary.accepted if kind == "first" else summary.duplicate  # type: ignore[attr-defined]
                        if want != count or summary.marked_synced != count:  # type: ignore[attr-defined]
                            raise RuntimeError(f"{name} {kind} push: {summary}")
                        case = cases[(name, kind)]
                        case["wall"].append(seconds)
                        case["cpu"].append(cpu * 1000 / count)
                        case["pg"].append(pg * 1000 / count)
                        case["station"].append(summary.cpu * 1000 / count)  # type: ignore[attr-defined]
                        print(f"run {run + 1} {name} {kind}: {count / seconds:,.0f} records/s, gunicorn "
                              f"{cpu * 1000 / count:.2f} ms CPU/record, PostgreSQL {pg * 1000 / count:.2f}, "
                              f"station {case['station'][-1]:.2f}", file=sys.stderr)
                    if central.received() != count:
                        raise RuntimeError(f"{name}: central does not hold exactly the records sent")
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    print(f"{started}; load average at each run's start {', '.join(f'{x:.2f}' for x in loads)}; PostgreSQL "
          f"{pg_version()}; gunicorn {args.workers} sync workers; {count:,} records, envelopes "
          f"{station.envelope_bytes:,.0f} B on average; {repeat} runs of each, alternating which goes first "
          f"(median)\n")
    print("| push | code | records/s | gunicorn CPU ms/record | PostgreSQL CPU ms/record "
          "| station CPU ms/record |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for kind, title in (("first", "first push"), ("again", "re-send")):
        for name, what in (("before", f"before ({label})"), ("after", "this tree")):
            case = cases[(name, kind)]
            print(f"| {title} | {what} | {count / median(case['wall']):,.0f} | {median(case['cpu']):.2f} "
                  f"| {median(case['pg']):.2f} | {median(case['station']):.2f} |")
        ratio = median(cases[("before", kind)]["wall"]) / median(cases[("after", kind)]["wall"])
        cpu_ratio = median(cases[("after", kind)]["cpu"]) / median(cases[("before", kind)]["cpu"])
        station_ratio = median(cases[("after", kind)]["station"]) / median(cases[("before", kind)]["station"])
        print(f"| {title} | after / before | {ratio:.2f}x the rate | {cpu_ratio:.2f}x the CPU | "
              f"| {station_ratio:.2f}x |")


if __name__ == "__main__":
    main()
