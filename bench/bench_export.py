"""A full (decrypted) export of 100,000 records on PostgreSQL: time and resident memory.

Run from the repository root:  .venv/bin/python bench/bench_export.py [--count N] [--runs R]

A fresh PostgreSQL database (127.0.0.1:5432, trust auth) gets the real schema (alembic
``upgrade head``), a set-up central and one station enrolled through a real code. ``--count``
records are sealed as a station seals them (every answer a demo interview gives, the outcome
scored, AES-GCM body, HPKE to central's record key, Ed25519 signature, facts derived and
sealed to the facts key) and stored with their facts rows by COPY. Then, for each format,
``--runs`` times, a fresh process (so its peak resident memory is the export's own) runs the
export through the service the page and ``flask export`` use: the facts index loaded, the
audit entry written, every record checked, decrypted and written row by row; the bytes are
hashed and dropped. Each format is run in one process (``export_worker = false``) and with the
worker process (the default), so the table's ratio is measured in the same run (``--paths
worker`` runs only the second). Budget: <= 60 s
and <= 300 MB resident (DESIGN.md), counting the worker's memory with the export's (their
resident sets added up, sampled every 50 ms; their PSS, which counts a shared page once,
beside). The peak is counted from after the custodian's passphrase opened the key (that
key derivation is the login's, which the page does once per session, not the export's; its
own peak is shown beside).
The export's CPU time (user and system, its process and then its worker's) is printed too: on a machine other
work is loading, it is what the export would take with a core to itself.

Prints a markdown table (for docs/benchmarks.md). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _station import machine, median, verdict  # noqa: E402

PASSPHRASE = "correct horse battery staple 42"
TEMPLATES = 500  # distinct interviews; each record seals one of them afresh
BUDGET_S, BUDGET_MB = 60.0, 300.0


def _config(url: str, instance: Path, secret_key: str, worker: bool = True):  # type: ignore[no-untyped-def]
    from app.config import Config

    return Config(instance_path=instance, secret_key=secret_key, role="central", database_url=url,
                  kdf_profile="test", export_worker=worker)


def _interviews(definition, rng: random.Random) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Bodies as a station finalises them, each with the answers a demo interview gives."""
    from app.questionnaire import DemoContext, check_answer, field_type_of, score, visible_questions
    from app.questionnaire.fields import AnswerError
    from app.services.records.sealing import outcome_dict

    bodies = []
    for n in range(TEMPLATES):
        demo = DemoContext(rng=rng, marker="BENCH", lean=rng.choice([0.05, 0.3, 0.6, 0.9]),
                           names=("Aye", "Somchai", "Sokha", "Bounmy"),
                           name_questions=frozenset({"q_respondent_name"}))
        stored: dict[str, object] = {"q_consent_interview": "yes"}
        for _ in range(3):
            for question in visible_questions(definition, stored):
                kind = field_type_of(question)
                if question.id in stored or not kind.answerable:
                    continue
                try:
                    value = check_answer(definition, question.id, kind.demo_answer(question, demo), stored)
                except AnswerError:
                    continue
                if value is not None:
                    stored[question.id] = value
        lang = ("th", "my", "lo", "km", "en")[n % 5]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        bodies.append({"format": 1, "started_at": now, "finalised_at": now, "respondent_lang": lang,
                       "interview_lang": "en",
                       "answers": {q: {"value": v, "lang": lang, "at": now} for q, v in stored.items()},
                       "outcome": outcome_dict(score(definition, stored)), "override": None})
    return bodies


def fill(app, dsn: str, count: int) -> float:  # type: ignore[no-untyped-def]
    import psycopg

    from app.crypto import encrypt_body, generate_signing_key, new_data_key, parse_envelope, seal_envelope
    from app.crypto.envelope import RecordHeader
    from app.extensions import db
    from app.models import Installation
    from app.protocol import body as record_body
    from app.protocol.messages import canonical
    from app.questionnaire.facts import derive_facts
    from app.services import questionnaires
    from app.services.central import enrolment

    rng = random.Random(11)
    signing_private, signing_public = generate_signing_key()
    station_id = str(uuid.uuid4())
    with app.app_context():
        code = enrolment.create_code("Bench post", "http://127.0.0.1").code
        enrolment.redeem(code, station_id=station_id, signing_public_key=signing_public,
                         api_public_key=generate_signing_key()[1], source="bench")
        inst = db.session.query(Installation).one()
        central_public, key_id = inst.central_public_key, inst.central_key_id
        facts_public = inst.facts_public_key
        definition = questionnaires.latest()
    bodies = _interviews(definition, rng)
    encoded = [record_body.encode(b) for b in bodies]
    facts = [canonical(derive_facts(definition, b)) for b in bodies]
    start = time.perf_counter()
    first = date(2025, 1, 1).toordinal()
    version = definition.version
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        done = 0
        while done < count:
            n = min(5_000, count - done)
            records, fact_rows = io.StringIO(), io.StringIO()
            for i in range(done, done + n):
                t = i % TEMPLATES
                record_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                day = date.fromordinal(first + rng.randrange(700)).isoformat()
                header = RecordHeader(record_id=record_id, station_id=station_id, seq=i + 1,
                                      questionnaire_id="tip-default", questionnaire_version=version,
                                      created_day=day, local_key_id="0" * 16, central_key_id=key_id,
                                      version=2)
                data_key = new_data_key()
                sealed = seal_envelope(header, encrypt_body(header, encoded[t], data_key), data_key,
                                       central_public, signing_private, facts=facts[t],
                                       facts_public_key=facts_public)
                sha = parse_envelope(sealed).sha256
                records.write(f"{record_id}\t{station_id}\t{i + 1}\ttip-default\t{version}\t{key_id}\t"
                              f"{day}\t\\\\x{sealed.hex()}\t{sha}\t\\\\x\t2026-01-01 00:00:00\n")
                text = facts[t].decode().replace("\\", "\\\\")
                fact_rows.write(f"{record_id}\t{station_id}\t{day}\ttip-default\t{version}\t{text}\t"
                                "ingest\t2026-01-01 00:00:00\n")
            with cur.copy("COPY received_records (id, station_id, seq, questionnaire_id, "
                          "questionnaire_version, central_key_id, created_day, envelope, envelope_sha256, "
                          "receipt, received_at) FROM STDIN") as copy:
                copy.write(records.getvalue())
            with cur.copy("COPY record_facts (record_id, station_id, created_day, questionnaire_id, "
                          "questionnaire_version, facts, source, indexed_at) FROM STDIN") as copy:
                copy.write(fact_rows.getvalue())
            conn.commit()
            done += n
            print(f"\rsealed and stored {done} records", end="", file=sys.stderr)
        cur.execute("ANALYZE")
    print("", file=sys.stderr)
    return time.perf_counter() - start


class _Memory:
    """The export's resident memory with its worker's: this process's and its children's
    VmRSS added up, sampled every 50 ms on a thread, the highest sum kept; and the same for
    their proportional set sizes (PSS: a page the two share counted half in each)."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            pids = [str(os.getpid())]
            for task in Path("/proc/self/task").iterdir():
                pids += (task / "children").read_text().split()
            total = pss = 0.0
            for pid in pids:
                try:
                    total += _status("VmRSS", Path(f"/proc/{pid}/status"))
                    pss += _status("Pss", Path(f"/proc/{pid}/smaps_rollup"))
                except OSError:
                    pass  # a child that just ended
            self.peak = max(self.peak, total)
            self.peak_pss = max(self.peak_pss, pss)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def child(url: str, instance: Path, secret_key: str, fmt: str, worker: bool) -> None:
    """One export in this (fresh) process; prints JSON: seconds, peak RSS, bytes, records."""
    import hashlib
    import resource

    from app import create_app
    from app.services import accounts, unlock
    from app.services.analytics.filters import Filters
    from app.services.exports import produce

    app = create_app(_config(url, instance, secret_key, worker))
    with app.app_context():
        user = accounts.find_user("admin")
        secret = unlock.open_keys(user, PASSPHRASE)
        # The passphrase's key derivation (a login's, not the export's) takes a few hundred MB
        # for a moment: start the peak count again after it (Linux: clear_refs 5 resets VmHWM).
        login_peak = _status("VmHWM")
        Path("/proc/self/clear_refs").write_text("5")
        memory = _Memory()
        start, cpu_start = time.perf_counter(), time.process_time()
        export = produce.start(produce.ExportRequest(kind=produce.FULL, format=fmt, filters=Filters()),
                               username="admin", user_id=user.id, secret=secret,
                               today=datetime.now(UTC).date(), password="bench-password-0123456789")
        digest, size = hashlib.sha256(), 0
        for chunk in export.chunks:
            digest.update(chunk)
            size += len(chunk)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        peak = _status("VmHWM")
        together = memory.stop()
        together_pss = memory.peak_pss
        worker_cpu = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])  # the worker, waited for
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "worker_cpu_seconds": worker_cpu,
                      "peak_mb": peak, "together_mb": together,
                      "together_pss_mb": together_pss, "login_peak_mb": login_peak, "bytes": size,
                      "records": export.records}))


def _status(field: str, path: Path = Path("/proc/self/status")) -> float:
    """A memory figure of a process from its /proc status, in MB."""
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="csv,xlsx,zip")
    parser.add_argument("--paths", default="one,worker",
                        help="one process (export_worker = false), with the worker, or both")
    parser.add_argument("--child", nargs=5, metavar=("URL", "INSTANCE", "SECRET", "FORMAT", "WORKER"))
    opts = parser.parse_args()
    if opts.child:
        url, instance, secret_key, fmt, worker = opts.child
        child(url, Path(instance), secret_key, fmt, worker == "1")
        return

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
    from app.services import setup

    load_at_start = machine()
    secret_key = secrets.token_hex(32)  # (never a leading "-": it goes to --child as an argument)
    app = create_app(_config(url, instance, secret_key))
    with app.app_context():
        upgrade()
        setup.initialise("Central", "admin", PASSPHRASE)
    fill_s = fill(app, f"host=127.0.0.1 user=postgres dbname={name}", opts.count)
    load_at_exports = machine()
    rows = []
    for fmt in opts.formats.split(","):
        medians = {}
        for worker in [path == "worker" for path in opts.paths.split(",")]:
            results = []
            for _ in range(opts.runs):
                argv = [sys.executable, __file__, "--child", url, str(instance), secret_key, fmt,
                        "1" if worker else "0"]
                out = subprocess.run(argv, capture_output=True, text=True, check=True)
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
                assert results[-1]["records"] == opts.count, results[-1]
            seconds = medians[worker] = median([r["seconds"] for r in results])
            cpu = median([r["cpu_seconds"] for r in results])
            worker_cpu = median([r["worker_cpu_seconds"] for r in results])
            together = max(r["together_mb"] for r in results)
            together_pss = max(r["together_pss_mb"] for r in results)
            size = median([r["bytes"] for r in results]) / 1e6
            t_ratio, t_ok = verdict(seconds, BUDGET_S)
            m_ratio, m_ok = verdict(together, BUDGET_MB)
            runs = ", ".join(f"{r['seconds']:.1f}" for r in results)
            peak = max(r["peak_mb"] for r in results)
            login_peak = max(r["login_peak_mb"] for r in results)
            how = "with worker" if worker else "one process"
            speedup = f"{medians[False] / seconds:.2f}x" if worker and False in medians else \
                "1.00x" if not worker else "-"
            rows.append(f"| full, {fmt}, {how} | {seconds:.1f} ({runs}) | {t_ratio} {t_ok} | {speedup} "
                        f"| {cpu:.1f} + {worker_cpu:.1f} | {together:.0f} ({peak:.0f}) | {together_pss:.0f} "
                        f"| {m_ratio} {m_ok} "
                        f"| {login_peak:.0f} | {size:.0f} |")
    print(f"\n{opts.count:,} records, PostgreSQL, {load_at_exports} of the exports ("
          f"{load_at_start.split(', ')[-1]} before sealing); load average at the end "
          "{:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg()))
    print(f"Sealing and COPY of the records: {fill_s:.0f} s.\n")
    print(f"| export (fresh process, n = {opts.runs}) | median s (each run) | / 60 s | one process / this "
          "| median CPU s, export's + worker's | peak RSS MB, with worker's (export's alone) "
          "| peak PSS MB, both | RSS / 300 MB "
          "| peak at the login before it, MB | file MB |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
