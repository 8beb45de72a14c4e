"""Records list with 1,000 records: decrypting them all, the list page, and unlock.

Run from the repository root:  .venv/bin/python bench/bench_records.py [--quick]

A fresh temporary station (``flask --app app init``, production key
derivation) gets ``--count`` finalised demo screenings from
``flask --app app demo-data`` (encrypted and sealed like real ones). Then, in
this process (app context on the same instance):

* ``keyring.open_user_slot`` (unlock, production Argon2id parameters);
* ``records.list_for`` for the owner: reads and decrypts every record (the
  list shows names, so each body is opened).

Finally run.py serves the instance (waitress) and the owner's GET /screenings/
page is timed over HTTP, one request at a time, after logging in once.

Prints a markdown table (for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _station import ADMIN, ADMIN_PASSPHRASE, Client, Station, machine, median, percentile, verdict  # noqa: E402

LIST_BUDGET_MS = 200.0


CPU: list[tuple[str, float]] = []  # (what, median CPU ms): robust to other load on the machine


def timed(fn: object, runs: int, what: str = "") -> list[float]:
    """Wall times in ms of ``runs`` calls, after one warm-up call (CPU time noted in CPU)."""
    call = fn  # type: ignore[assignment]
    call()  # type: ignore[operator]
    out, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        call()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    if what:
        CPU.append((what, median(cpu)))
    return out


def in_process(station: Station, runs: int, unlock_runs: int) -> dict[str, object]:
    os.environ["TIP_SCREEN_INSTANCE"] = str(station.instance)
    from app import create_app
    from app.config import load_config
    from app.services import accounts, records
    from app.services.accounts import keyring

    app = create_app(load_config(station.instance, create=False))
    with app.app_context():
        user = accounts.find_user(ADMIN)
        assert user is not None
        unlock = timed(lambda: keyring.open_user_slot(user, ADMIN_PASSPHRASE), unlock_runs, "unlock")
        key = keyring.station_keys(keyring.open_user_slot(user, ADMIN_PASSPHRASE))
        items = records.list_for(user, key)
        readable = sum(1 for s in items if s.readable and s.name)
        listing = timed(lambda: records.list_for(user, key), runs, "list_for")
        # Where the time goes: one profiled call, top functions by own time.
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        records.list_for(user, key)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
    return {"unlock": unlock, "list": listing, "count": len(items), "readable": readable,
            "profile": buf.getvalue()}


def over_http(station: Station, runs: int) -> tuple[list[float], int]:
    station.start()
    client = Client(station.port)
    client.login(ADMIN, ADMIN_PASSPHRASE)
    first = client.get("/screenings/")
    assert first.status == 200, first.status
    times = []
    for _ in range(runs):
        resp = client.get("/screenings/")
        assert resp.status == 200, resp.status
        times.append(resp.seconds * 1000)
    client.close()
    station.stop()
    return times, len(first.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="records (default 1000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each listing (default 15)")
    parser.add_argument("--unlock-runs", type=int, default=7, help="timed unlocks (default 7)")
    parser.add_argument("--quick", action="store_true", help="200 records, 5 runs, 3 unlocks")
    parser.add_argument("--keep", action="store_true", help="keep the temp instance")
    args = parser.parse_args()
    if args.quick:
        args.count, args.runs, args.unlock_runs = 200, 5, 3

    print(f"Machine: {machine()}", flush=True)
    with Station(keep=args.keep) as station:
        start = time.perf_counter()
        station.init()
        station.flask("demo-data", "--count", str(args.count), "--marker", "BENCH", "--seed", "1",
                      "--password-stdin", stdin=ADMIN_PASSPHRASE + "\n")
        print(f"Setup: init + {args.count} demo records in {time.perf_counter() - start:.1f} s "
              f"in {station.dir}", flush=True)
        res = in_process(station, args.runs, args.unlock_runs)
        page, page_bytes = over_http(station, args.runs)

    listing: list[float] = res["list"]  # type: ignore[assignment]
    unlock: list[float] = res["unlock"]  # type: ignore[assignment]
    n = res["count"]
    print(f"\n{n} records listed ({res['readable']} with a name); {args.runs} timed runs of each "
          f"listing, {args.unlock_runs} unlocks; list page {page_bytes / 1024:.0f} KB of HTML.\n")
    print("| measure | median | p95 | budget | ratio to budget | result |")
    print("| --- | ---: | ---: | --- | ---: | --- |")
    ratio, result = verdict(median(listing), LIST_BUDGET_MS)
    print(f"| `records.list_for`, {n} records decrypted (in memory, after unlock) | "
          f"{median(listing):.0f} ms | {percentile(listing, 95):.0f} ms | < {LIST_BUDGET_MS:.0f} ms | "
          f"{ratio} | {result} |")
    ratio, result = verdict(median(page), LIST_BUDGET_MS)
    print(f"| GET /screenings/ with {n} records (HTTP, waitress) | {median(page):.0f} ms | "
          f"{percentile(page, 95):.0f} ms | (none; list_for's {LIST_BUDGET_MS:.0f} ms for scale) | "
          f"{ratio} | - |")
    print(f"| unlock: `keyring.open_user_slot` (production Argon2id) | {median(unlock):.0f} ms | "
          f"{percentile(unlock, 95):.0f} ms | (none) | - | - |")
    print("\nCPU time of this process, median: " + "; ".join(f"{w} {ms:.0f} ms" for w, ms in CPU)
          + " (Argon2id runs on 2 threads, so its CPU time can exceed its wall time).")
    print("\ncProfile of one list_for call (by own time):")
    print(res["profile"])


if __name__ == "__main__":
    main()
