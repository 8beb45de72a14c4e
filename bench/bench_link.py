"""Sync over an emulated 2G link: 100 records at 50 kbit/s, 300 ms each way, 5% loss.

Run from the repository root, as root (it makes network namespaces):

    .venv/bin/python bench/bench_link.py [--records 100] [--runs 3] [--baseline DIR]

Each run makes two network namespaces joined only through the user-space link emulator
(tests/support/link_emulator.py, tests/support/netns.py): central, on a fresh PostgreSQL
database, listens over TLS (werkzeug, threaded, a pinned self-signed certificate) inside
its namespace; the station is a fresh SQLite instance in this process with ``--records``
finalised, sealed screenings (setup, not timed), and ``sync_client.sync(pull=False)`` runs
in a thread inside the station's namespace (its worker threads too). Timed: that call.

"The time the bytes need" is the envelopes as the upload carries them (raw bytes in the
upload frame, 20 bytes more each: app/protocol/wire.py) divided by the line rate (6,250
bytes/s): the least any client could take to carry them. The target is at most twice that.
Also reported: all bytes the link carried each way (TLS, headers, "known" questions,
answers, any re-sent upload), the requests (TCP connections: one per exchange) and the
emulated losses.

``--baseline DIR``: also run ``flask --app app sync`` from another checkout (DIR, e.g. a
worktree of the code before request sizing) in the station's namespace, again and again
for ``--baseline-seconds``, and count what it got synced.

Prints a markdown table (for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _station import PYTHON, ROOT, machine, median  # noqa: E402

sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.config import load_config, write_initial_config  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import ReceivedRecord, Record, RecordState  # noqa: E402
from app.protocol.wire import ITEM_OVERHEAD  # noqa: E402
from app.services import accounts, installation, records, setup  # noqa: E402
from app.services.accounts import keyring  # noqa: E402
from app.services.central import enrolment  # noqa: E402
from app.services.sync import client as sync_client  # noqa: E402
from tests.support.link_emulator import TWO_G, LinkEmulator  # noqa: E402
from tests.support.live import serve  # noqa: E402
from tests.support.netns import in_namespace, two_namespaces  # noqa: E402
from tests.support.postgres import fresh_database  # noqa: E402

PASSPHRASE = "bench link passphrase 2026"


def _app(instance: Path, **overrides: object):  # type: ignore[no-untyped-def]
    instance.mkdir(parents=True, exist_ok=True)
    write_initial_config(instance)
    return create_app(load_config(instance).with_overrides(kdf_profile="test", **overrides))


def _central(work: Path, url: str):  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    app = _app(work / "central", role="central", database_url=url)
    with app.app_context():
        upgrade()
        setup.initialise("Central", "admin", PASSPHRASE)
    return app


def _station(work: Path, central_app, central_url: str, count: int):  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    app = _app(work / "station", sync_interval_seconds=0)
    with app.app_context():
        upgrade()
        setup.initialise("Station", "admin", PASSPHRASE)
        admin = accounts.find_user("admin")
        secret = keyring.station_keys(keyring.open_user_slot(admin, PASSPHRASE))
        with central_app.app_context():
            code = enrolment.create_code("Bench post", central_url).code
        sync_client.enrol(central_url, code)
        for n in range(count):
            rec = records.create(admin, secret, respondent_lang="th", interview_lang="th")
            records.save_answers(rec.id, admin, secret, {"q_respondent_name": f"Person {n}"}, lang="th")
            records.finalise(rec.id, admin, secret)
        envelopes = db.session.scalars(sa.select(Record.envelope)).all()
        payload = sum(len(e) + ITEM_OVERHEAD for e in envelopes if e)
    return app, payload


def _held(central_app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with central_app.app_context():
        db.session.remove()
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord))
        ids = db.session.scalar(sa.select(sa.func.count(sa.distinct(ReceivedRecord.id))))
    return int(rows or 0), int(ids or 0)


def one_run(count: int, seed: int, baseline: Path | None, baseline_seconds: float) -> dict[str, object]:
    import ssl

    from tests.support.certificates import self_signed

    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tip-bench-link-")))
        central_app = _central(work, stack.enter_context(fresh_database()))
        loopback = stack.enter_context(serve(central_app))
        station_app, payload = _station(work, central_app, loopback, count)
        ns = stack.enter_context(two_namespaces())
        cert, key, pin = self_signed(work, ns.central_address)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = in_namespace(ns.central, lambda: make_server(ns.central_address, 0, central_app,
                                                              threaded=True, ssl_context=context))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stack.callback(server.shutdown)
        link = LinkEmulator((ns.central_address, server.server_port), TWO_G, listen_host=ns.station_side,
                            seed=seed)
        link.start()
        stack.callback(link.stop)
        with station_app.app_context():
            inst = installation.get()
            inst.central_url = f"https://{link.address}"
            inst.central_tls_pin = pin
            db.session.commit()
        out: dict[str, object] = {"payload": payload}
        if baseline is not None:
            out["baseline"] = _baseline(baseline, ns.station, station_app, central_app, baseline_seconds)
            return out

        def push():  # type: ignore[no-untyped-def]
            with station_app.app_context():
                return sync_client.sync(pull=False)

        started = time.monotonic()
        summary = in_namespace(ns.station, push, timeout=1800)
        out["seconds"] = time.monotonic() - started
        with station_app.app_context():
            db.session.remove()
            synced = db.session.scalar(sa.select(sa.func.count()).select_from(Record)
                                       .where(Record.state == RecordState.SYNCED))
            db.engine.dispose()
        rows, ids = _held(central_app)
        out.update(synced=synced, pending=summary.pending_after, rows=rows, ids=ids, up=link.bytes("up"),
                   down=link.bytes("down"), requests=link.connections, stalls=link.stalls())
        return out


def _baseline(checkout: Path, namespace: str, station_app, central_app, seconds: float) -> str:  # type: ignore[no-untyped-def]
    with station_app.app_context():
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "TIP_SCREEN_INSTANCE": station_app.instance_path, "PYTHONPATH": str(checkout)}
    env.pop("DATABASE_URL", None)
    attempts = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        command = ["ip", "netns", "exec", namespace, PYTHON, "-m", "flask", "--app", "app", "sync"]
        done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True,
                              timeout=seconds + 120,
                              check=False)
        said = ((done.stderr if done.returncode else done.stdout).strip().splitlines() or ["?"])[-1]
        attempts.append(f"{time.monotonic() - started:.0f} s: {said[:120]}")
        if done.returncode == 0 and "Still pending: 0" in done.stdout:
            break
    rows, _ids = _held(central_app)
    with station_app.app_context():
        synced = db.session.scalar(sa.select(sa.func.count()).select_from(Record)
                                   .where(Record.state == RecordState.SYNCED))
    return (f"{len(attempts)} attempts in {time.monotonic() - started:.0f} s, {synced} marked synced at the "
            f"station, {rows} records at central; " + "; ".join(attempts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None)
    parser.add_argument("--baseline-seconds", type=float, default=300.0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    print(f"Machine: {machine()}", flush=True)
    rate = TWO_G.bytes_per_second
    if args.baseline is not None:
        result = one_run(args.records, 1, args.baseline, args.baseline_seconds)
        print(f"Baseline ({args.baseline}): {result['baseline']}")
        return
    runs = []
    for n in range(args.runs):
        result = one_run(args.records, 100 + n, None, 0)
        runs.append(result)
        need = int(result["payload"]) / rate  # type: ignore[call-overload]
        print(f"run {n + 1}: {result['seconds']:.1f} s, bytes need {need:.1f} s, "
              f"ratio {float(result['seconds']) / need:.2f}, synced {result['synced']}, "  # type: ignore[arg-type]
              f"pending {result['pending']}, central rows {result['rows']} ({result['ids']} ids), "
              f"up {result['up']} B, down {result['down']} B, requests {result['requests']}, "
              f"loss stalls {result['stalls']}", flush=True)
    seconds = median([float(r["seconds"]) for r in runs])  # type: ignore[arg-type]
    need = median([int(r["payload"]) / rate for r in runs])  # type: ignore[call-overload]
    wire = median([int(r["up"]) / rate for r in runs])  # type: ignore[call-overload]
    ok = all(r["synced"] == r["rows"] == r["ids"] == args.records and r["pending"] == 0 for r in runs)
    ratio = seconds / need
    print()
    print("| measure | median | budget | ratio | result |")
    print("| --- | ---: | --- | ---: | --- |")
    print(f"| {args.records} records over 2G (50 kbit/s, 300 ms, 5% loss), runs {args.runs} | "
          f"{seconds:.1f} s | <= 2x the bytes' time ({need:.1f} s) | {ratio:.2f}x | "
          f"{'pass' if ratio <= 2 and ok else 'FAIL'} |")
    print(f"| same, against all bytes carried up (TLS, headers, questions, re-sends: {wire:.1f} s) | "
          f"{seconds:.1f} s | - | {seconds / wire:.2f}x | - |")
    print(f"| records at central / lost / twice | {args.records if ok else 'see runs'} / 0 / 0 | exact | - | "
          f"{'pass' if ok else 'FAIL'} |")
    print("\nLoad average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
