"""Dashboard and case list over 1,000,000 records' facts on PostgreSQL.

Run from the repository root:  .venv/bin/python bench/bench_dashboard.py [--count N] [--runs R]

A fresh PostgreSQL database (127.0.0.1:5432, trust auth) gets the real schema (alembic
``upgrade head``), a set-up central, 20 stations, and ``--count`` received records with
their ``record_facts`` rows, written with COPY (random codes of the default questionnaire's
declared facts). Then, in this process, through the real app (Flask's test client: every
request goes through access control, the views and the templates):

* the facts index's first load (time, and the process's resident memory before and after);
* GET /central/ (every chart) and GET /central/cases (first page), each with and without a
  filter, ``--runs`` times after one warm-up: median and p95 (budget p95 <= 1 s), and the
  median CPU time of this process per request (PostgreSQL's own work not included), which
  other load on the machine does not inflate.

Prints a markdown table (for docs/benchmarks.md). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import secrets
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _station import machine, median, percentile, verdict  # noqa: E402

BUDGET_MS = 1000.0
PASSPHRASE = "correct horse battery staple 42"
STATIONS = 20


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill(url_psycopg: str, specs: tuple, count: int, station_ids: list[str],  # type: ignore[type-arg]
         envelope_bytes: int = 0) -> float:
    """COPY ``count`` received records and their facts rows; with ``envelope_bytes``, each
    record gets an envelope of that size (bench_sync.py --stored: a central's real weight)."""
    import psycopg

    rng = random.Random(7)
    start = time.perf_counter()
    first_day = date(2024, 1, 1)
    weights = {"nationality": [40, 30, 10, 10, 5, 3, 1, 1], "tier": [5, 15, 30, 50]}
    # One random blob for all (each row's own copy: PostgreSQL compresses within a value only).
    envelope = ("\\\\x" + os.urandom(envelope_bytes).hex()) if envelope_bytes else "\\N"
    with psycopg.connect(url_psycopg) as conn, conn.cursor() as cur:
        done = 0
        while done < count:
            n = min(100_000, count - done)
            records, facts = io.StringIO(), io.StringIO()
            for i in range(done, done + n):
                record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                station = station_ids[i % STATIONS]
                day = (first_day + timedelta(days=rng.randrange(800))).isoformat()
                row: dict[str, object] = {}
                for spec in specs:
                    if not spec.values:
                        row[spec.id] = day[:7]
                    elif spec.multi:
                        row[spec.id] = [c for c in spec.values if rng.random() < 0.08]
                    else:
                        w = weights.get(spec.id)
                        chosen = (w + [1] * len(spec.values))[:len(spec.values)] if w else None
                        row[spec.id] = rng.choices(spec.values, weights=chosen)[0]
                records.write(f"{record_id}\t{station}\t{i // STATIONS + 1}\ttip-default\t1\t{'0' * 16}\t"
                              f"{day}\t"
                              f"{'0' * 64}\t\\\\x00\t2026-01-01 00:00:00\t{envelope}\n")
                text = json.dumps(row, sort_keys=True, separators=(",", ":")).replace("\\", "\\\\")
                facts.write(f"{record_id}\t{station}\t{day}\ttip-default\t1\t{text}\tingest\t"
                            "2026-01-01 00:00:00\n")
            with cur.copy("COPY received_records (id, station_id, seq, questionnaire_id, "
                          "questionnaire_version, central_key_id, created_day, envelope_sha256, receipt, "
                          "received_at, envelope) FROM STDIN") as copy:
                copy.write(records.getvalue())
            with cur.copy("COPY record_facts (record_id, station_id, created_day, questionnaire_id, "
                          "questionnaire_version, facts, source, indexed_at) FROM STDIN") as copy:
                copy.write(facts.getvalue())
            conn.commit()
            done += n
            print(f"\r{done} records", end="", file=sys.stderr)
        cur.execute("ANALYZE")
    print("", file=sys.stderr)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    opts = parser.parse_args()

    import psycopg

    name = f"tip_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(url, name, Path(tmp), opts)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(url: str, name: str, instance: Path, opts: argparse.Namespace) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.models import Station
    from app.questionnaire.facts import fact_specs
    from app.services import questionnaires, setup
    from app.services.analytics.index import index_for

    load_at_start = machine()
    config = Config(instance_path=instance, secret_key=secrets.token_urlsafe(48), role="central",
                    database_url=url, kdf_profile="test")
    app = create_app(config)
    with app.app_context():
        upgrade()
        setup.initialise("Central", "admin", PASSPHRASE)
        station_ids = [str(uuid.uuid4()) for _ in range(STATIONS)]
        for n, sid in enumerate(station_ids):
            db.session.add(Station(id=sid, name=f"Post {n + 1}", signing_public_key=os.urandom(32),
                                   api_public_key=os.urandom(32)))
        db.session.commit()
        specs = fact_specs(questionnaires.latest())
    fill_s = fill(f"host=127.0.0.1 user=postgres dbname={name}", specs, opts.count, station_ids)

    with app.app_context():
        before = rss_mb()
        start = time.perf_counter()
        snap = index_for(app).current()
        load_s = time.perf_counter() - start
        after = rss_mb()
        assert snap.size == opts.count, snap.size

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"username": "admin", "passphrase": PASSPHRASE,
                                       "csrf_token": token}).status_code == 302
    rows = []
    for label, url_path in (("dashboard, no filter", "/central/"),
                            ("dashboard, flag_child + 365 days", "/central/?f.flags=flag_child&period=365d"),
                            ("case list page 1, no filter", "/central/cases"),
                            ("case list page 1, nationality + sort by tier",
                             "/central/cases?f.nationality=myanmar&sort=tier")):
        assert client.get(url_path).status_code == 200, url_path  # warm-up
        times, cpu = [], []
        for _ in range(opts.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url_path)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200
        p95 = percentile(times, 95)
        ratio, ok = verdict(p95, BUDGET_MS)
        rows.append(f"| {label} | {median(times):.0f} | {p95:.0f} | {median(cpu):.0f} | {ratio} | {ok} |")
    print(f"\n{opts.count:,} records' facts, PostgreSQL, {load_at_start}; "
          "load average at the end {:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg()))
    print(f"COPY of records and facts: {fill_s:.0f} s. Index first load: {load_s:.1f} s; "
          f"resident memory {before:.0f} MB before, {after:.0f} MB after (+{after - before:.0f} MB).\n")
    print(f"| request (through the app, n = {opts.runs}) | median ms | p95 ms | median CPU ms (this process) "
          "| p95 / 1 s | |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
