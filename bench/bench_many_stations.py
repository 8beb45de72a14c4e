"""National scale: K stations push at once into central on PostgreSQL behind gunicorn.

Run from the repository root:  .venv/bin/python bench/bench_many_stations.py [--quick]

Central is set up as in bench_sync.py (``Central``: a fresh PostgreSQL database, the real
``flask init`` and ``stations create`` commands, gunicorn with ``-c python:app.gunicorn_conf``
as in production: gthread workers, admission control in app/services/sync/admission.py).
One real station (bench_sync's ``StationSide``: its own SQLite instance, enrolled with the
real client) makes ``--records`` screenings with ``demo.generate``; their bodies and facts,
read back with the station's keys, are the templates every simulated station seals again.

Each of the K simulated stations has its own station id and its own keys, is enrolled with
its own code (made in central's database beforehand) over HTTP (``POST /api/v1/enrol``), and
seals its ``--records`` templates under fresh record ids with its own signing key (real
envelopes, real facts, sealed to central's keys). K stations run as threads in ``--procs``
processes (not K Flask apps): each does what the station client does on the wire, with the
client's own parts: ``transport.exchange`` (its timeouts), ``sizing.Link`` (requests sized to
take ``TARGET_SECONDS`` at the measured rate, starting small), signed requests with a
growing counter, "known" first, then the upload frames; a 503 busy waits
``push.busy_delay(Retry-After)`` (Retry-After plus jitter) and starts over with what is
still unsettled. All stations start at the same instant.

Per K: wall time from the start until every record has a receipt, records/s over that
time, p50/p95 of the upload requests central took (200) and of its 503 answers, the count
of 503s (each must carry Retry-After), client timeouts and any other error, and a check
against central's database: exactly the (id, envelope sha256) pairs each station sent,
each once. ``--haproxy`` repeats the largest K against two gunicorn instances (two ports,
one PostgreSQL, one instance directory) behind HAProxy from Debian, run in the foreground
with a generated config on 127.0.0.1.

Prints a markdown table (for docs/benchmarks.md) with the load average (``uptime``).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _station import ADMIN, ADMIN_PASSPHRASE, ROOT, free_port, machine, median, percentile, stop_process  # noqa: E402
from bench_sync import Central, StationSide, pg_connect, pg_version, twin_of  # noqa: E402

sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 60.0


@dataclass
class Template:
    """What a simulated station seals: one real record's body and facts, and central's keys."""

    questionnaire_id: str
    questionnaire_version: str
    body: bytes
    facts: bytes | None


@dataclass
class Sim:
    station_id: str
    signing_private: bytes
    api_private: bytes


@dataclass
class Tally:
    uploads: list[float] = field(default_factory=list)  # seconds, answered 200
    busy: list[float] = field(default_factory=list)  # seconds, answered 503 busy
    known: list[float] = field(default_factory=list)
    busy_without_retry_after: int = 0
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)
    settled: int = 0
    finished: list[float] = field(default_factory=list)  # per station: seconds after the start
    sent: dict[str, str] = field(default_factory=dict)  # record id -> sha256


# -- one simulated station, on the wire as the client is ----------------------------------


def _signed(sim: Sim, counter: int, path: str, body: bytes) -> dict[str, str]:
    from app.crypto import sign
    from app.protocol.messages import b64, request_message

    now = int(time.time())
    message = request_message("POST", path, sim.station_id, counter, now, body)
    return {"X-TS-Station": sim.station_id, "X-TS-Counter": str(counter), "X-TS-Timestamp": str(now),
            "X-TS-Signature": b64(sign(sim.api_private, message))}


def _run_station(url: str, sim: Sim, envelopes: list[tuple[str, bytes, str]], start_at: float,
                 counter: int, tally: Tally, lock: threading.Lock) -> None:
    from app.protocol.wire import CONTENT_TYPE, ITEM_OVERHEAD, encode_records
    from app.services.errors import CentralBusy, LinkTimedOut, SyncFailed
    from app.services.sync.client import push
    from app.services.sync.client.sizing import Link
    from app.services.sync.client.transport import exchange

    link = Link()
    waiting = {rid: (env, sha) for rid, env, sha in envelopes}
    uploads: list[float] = []
    busy: list[float] = []
    known: list[float] = []
    no_header = timeouts = 0
    errors: list[str] = []

    def call(path: str, body: bytes, kind: str) -> Any:
        nonlocal counter
        counter += 1
        headers = _signed(sim, counter, path, body)
        started = time.perf_counter()
        try:
            return exchange(url, None, "POST", path, body, headers, link=link, content_type=kind)
        finally:
            took = time.perf_counter() - started
            (uploads if path.endswith("/records") else known).append(took)

    def settle(answer: Any) -> None:
        for item in answer.get("results") or []:
            if item.get("status") in ("accepted", "duplicate") and item.get("receipt"):
                waiting.pop(str(item["id"]), None)

    attempts = 0
    lacking: set[str] = set()  # as push.py: what central said it lacks is not asked again
    while waiting and attempts < 200:
        attempts += 1
        try:
            ask = [(rid, sha) for rid, (_env, sha) in waiting.items() if rid not in lacking]
            if ask:
                query = json.dumps({"pending": len(waiting), "records": [
                    {"id": rid, "sha256": sha} for rid, sha in ask]}).encode()
                answer = call("/api/v1/records/known", query, "application/json")
                lacking.update(str(i["id"]) for i in answer["results"] if i.get("status") == "unknown")
                settle(answer)
            unknown = [rid for rid in waiting if rid in lacking]
            chunk: list[str] = []
            size = 0
            for rid in [*unknown, None]:
                cost = len(waiting[rid][0]) + ITEM_OVERHEAD if rid is not None else 0
                if chunk and (rid is None or size + cost > link.request_bytes()):
                    body = encode_records(max(0, len(waiting) - len(chunk)),
                                          [(r, waiting[r][0]) for r in chunk])
                    try:
                        settle(call("/api/v1/records", body, CONTENT_TYPE))
                    except CentralBusy:
                        busy.append(uploads.pop())  # it was a 503, not an upload central took
                        raise
                    chunk, size = [], 0
                if rid is not None:
                    chunk.append(rid)
                    size += cost
        except CentralBusy as exc:
            if not exc.stated:
                no_header += 1
            time.sleep(push.busy_delay(exc.retry_after))
        except LinkTimedOut:
            timeouts += 1
        except SyncFailed as exc:
            errors.append(f"{type(exc).__name__}: {exc.problem.name if exc.problem else exc.message!s}")
            time.sleep(1.0)
    with lock:
        tally.uploads += uploads
        tally.busy += busy
        tally.known += known
        tally.busy_without_retry_after += no_header
        tally.timeouts += timeouts
        tally.errors += errors
        tally.settled += len(envelopes) - len(waiting)
        if not waiting:
            tally.finished.append(time.time() - start_at)


def _seal_for(sim: Sim, templates: list[Template], keys: dict[str, Any], day: str
              ) -> list[tuple[str, bytes, str]]:
    import hashlib

    from app.crypto import FACTS_VERSION, encrypt_body, seal_envelope
    from app.crypto.envelope import ENVELOPE_VERSION, RecordHeader
    from app.crypto.keys import new_data_key

    out = []
    for seq, template in enumerate(templates, start=1):
        rid = uuid.uuid4()
        header = RecordHeader(rid, sim.station_id, seq, template.questionnaire_id,
                              template.questionnaire_version, day, "bench-local", keys["central_key_id"],
                              version=FACTS_VERSION if template.facts is not None else ENVELOPE_VERSION)
        data_key = new_data_key()
        envelope = seal_envelope(header, encrypt_body(header, template.body, data_key), data_key,
                                 keys["central_public_key"], sim.signing_private, facts=template.facts,
                                 facts_public_key=keys["facts_public_key"] if template.facts else None)
        out.append((str(rid), envelope, hashlib.sha256(envelope).hexdigest()))
    return out


def _process(url: str, sims: list[Sim], templates: list[Template], keys: dict[str, Any], day: str,
             counter: int, ready: Any, go: Any, start_at: Any, results: Any) -> None:
    """One load process: seal each station's records, say so, then at the signal all its
    stations push at once. ``counter``: where this run's request counters start (above the
    last run's, or central would see replays)."""
    from app.services.sync.client import push, transport  # noqa: F401 - imported before the start

    sealed = [_seal_for(sim, templates, keys, day) for sim in sims]
    tally = Tally()
    for envelopes in sealed:
        tally.sent.update({rid: sha for rid, _env, sha in envelopes})
    lock = threading.Lock()
    ready.put(len(sims))
    go.wait()
    begin = start_at.value
    threads = [threading.Thread(target=_run_station, args=(url, sim, env, begin, counter, tally, lock),
                                daemon=True) for sim, env in zip(sims, sealed, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(tally)


# -- set-up ------------------------------------------------------------------------------------


def templates_from(station: StationSide) -> tuple[list[Template], dict[str, Any]]:
    """The station's records as plain bodies and facts, and central's keys it was told."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Record
    from app.protocol.messages import canonical
    from app.questionnaire.facts import derive_facts
    from app.services import accounts, installation, questionnaires
    from app.services.accounts import keyring
    from app.services.records.store import decrypt, encode

    assert station.app is not None
    with station.app.app_context():
        admin = accounts.find_user(ADMIN)
        assert admin is not None
        secret = keyring.open_user_slot(admin, ADMIN_PASSPHRASE)
        assert secret is not None
        keys = keyring.station_keys(secret)
        inst = installation.get()
        central_keys = {"central_key_id": inst.central_key_id, "central_public_key": inst.central_public_key,
                        "facts_public_key": inst.facts_public_key}
        out = []
        for rec in db.session.scalars(sa.select(Record).order_by(Record.seq)):
            # The sealed record's body, as the station's own key opens it (its local wrap).
            _data_key, body = decrypt(rec, keys)
            definition = questionnaires.get(rec.questionnaire_id, rec.questionnaire_version)
            with_facts = definition is not None and inst.facts_public_key is not None
            facts = canonical(derive_facts(definition, body)) if with_facts else None
            out.append(Template(rec.questionnaire_id, rec.questionnaire_version, encode(body), facts))
    return out, central_keys


def make_codes(central: Central, count: int) -> list[str]:
    from app import create_app
    from app.config import load_config
    from app.extensions import db
    from app.services.central import enrolment

    config = load_config(central.instance, create=False)
    app = create_app(config.with_overrides(database_url=central.env["DATABASE_URL"]))
    with app.app_context():
        codes = [enrolment.create_code(f"Post {n}", central.url).code for n in range(count)]
        db.engine.dispose()
    return codes


def enrol_all(url: str, codes: list[str]) -> list[Sim]:
    from app.crypto import generate_signing_key
    from app.services.sync.client.transport import exchange

    def one(code: str) -> Sim:
        signing_private, signing_public = generate_signing_key()
        api_private, api_public = generate_signing_key()
        sim = Sim(str(uuid.uuid4()), signing_private, api_private)
        body = json.dumps({"code": code, "station_id": sim.station_id,
                           "signing_public_key": base64.b64encode(signing_public).decode(),
                           "api_public_key": base64.b64encode(api_public).decode()}).encode()
        answer = exchange(url, None, "POST", "/api/v1/enrol", body, {})
        if answer.get("payload", {}).get("station_id") != sim.station_id:
            raise RuntimeError(f"enrolment answer names another station: {answer}")
        return sim

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, codes))


class HAProxy:
    """HAProxy in the foreground, on 127.0.0.1, over the given gunicorn ports."""

    def __init__(self, ports: list[int]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tip-bench-haproxy-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"    server web{n} 127.0.0.1:{port} check inter 2s"
                            for n, port in enumerate(ports))
        (self.dir / "haproxy.cfg").write_text(f"""global
    maxconn 4096
defaults
    mode http
    option http-server-close
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend stations
    bind 127.0.0.1:{self.port}
    default_backend central
backend central
    balance leastconn
    option httpchk GET /healthz
{servers}
""")
        self.log = self.dir / "haproxy.log"
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(self.dir / "haproxy.cfg")],
                                     stdout=subprocess.DEVNULL, stderr=self.log.open("ab"))

    def close(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 10)
        shutil.rmtree(self.dir, ignore_errors=True)


def second_host(central: Central) -> Central:
    """Another gunicorn on another port, same instance directory, same PostgreSQL database."""
    twin = twin_of(central, "tip-bench-central-b-")
    twin.dbname = central.dbname
    return twin


# -- one run -------------------------------------------------------------------------------------


def run(url: str, central: Central, sims: list[Sim], templates: list[Template], keys: dict[str, Any],
        procs: int, counter: int) -> dict[str, Any]:
    central.empty()
    ctx = multiprocessing.get_context("spawn")
    results, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    day = time.strftime("%Y-%m-%d", time.gmtime())
    groups = [sims[n::procs] for n in range(procs) if sims[n::procs]]
    workers = [ctx.Process(target=_process, args=(url, group, templates, keys, day, counter, ready, go,
                                                  start_at, results))
               for group in groups]
    for worker in workers:
        worker.start()
    for _ in workers:  # every process has sealed its stations' records
        ready.get(timeout=900)
    start_at.value = time.time()
    go.set()
    tallies = [results.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join()
    total = Tally()
    for t in tallies:
        total.uploads += t.uploads
        total.busy += t.busy
        total.known += t.known
        total.busy_without_retry_after += t.busy_without_retry_after
        total.timeouts += t.timeouts
        total.errors += t.errors
        total.settled += t.settled
        total.finished += t.finished
        total.sent.update(t.sent)
    with pg_connect(central.dbname) as conn:
        rows = conn.execute("SELECT id::text, envelope_sha256 FROM received_records").fetchall()
    stored = {str(rid): sha for rid, sha in rows}
    done = len(total.finished) == len(sims)
    wall = max(total.finished) if done else float("inf")
    return {"k": len(sims), "sent": len(total.sent), "stored": len(rows),
            "exact": stored == total.sent and len(rows) == len(total.sent),
            "wall": wall, "rate": len(total.sent) / wall if done else 0.0,
            "p50": median(total.uploads), "p95": percentile(total.uploads, 95),
            "busy_p95": percentile(total.busy, 95), "known_p95": percentile(total.known, 95),
            "busy": len(total.busy), "no_header": total.busy_without_retry_after,
            "timeouts": total.timeouts, "errors": total.errors, "uploads": len(total.uploads),
            "finished": len(total.finished)}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def row(label: str, r: dict[str, Any]) -> str:
    ok = (r["exact"] and r["wall"] <= GOAL_SECONDS and r["timeouts"] == 0 and not r["errors"]
          and r["no_header"] == 0)
    errors = len(r["errors"])
    return (f"| {label} | {r['k']} | {r['sent']:,} | {r['wall']:.1f} s | {r['rate']:,.0f} | "
            f"{r['p50'] * 1000:,.0f} / {r['p95'] * 1000:,.0f} ms | {r['uploads']:,} | {r['busy']:,} "
            f"(p95 {r['busy_p95'] * 1000:,.0f} ms) | {r['timeouts']} | {errors} | "
            f"{'yes' if r['exact'] else 'NO'} | {'pass' if ok else 'FAIL'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 1, 50; 5 records each")
    parser.add_argument("--k", default="1,50,200,500", help="station counts, comma-separated")
    parser.add_argument("--records", type=int, default=20, help="records each station pushes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per web host")
    parser.add_argument("--procs", type=int, default=4, help="processes the stations run in")
    parser.add_argument("--slots", type=int, default=4, help="ingest_slots (across central)")
    parser.add_argument("--slots-per-worker", type=int, default=2, help="ingest_slots_per_worker")
    parser.add_argument("--haproxy", action="store_true", help="also the largest K behind HAProxy")
    args = parser.parse_args()
    ks = [1, 50] if args.quick else [int(k) for k in args.k.split(",")]
    count = 5 if args.quick else args.records
    started = machine()
    central = Central(args.workers)
    station = StationSide()
    twin: Central | None = None
    proxy: HAProxy | None = None
    results: list[tuple[str, dict[str, Any]]] = []
    try:
        code = central.setup()
        with (central.instance / "config.toml").open("a", encoding="utf-8") as fh:
            fh.write(f"ingest_slots = {args.slots}\ningest_slots_per_worker = {args.slots_per_worker}\n")
        central.start()
        station.setup(central.url, code, count)
        templates, keys = templates_from(station)
        print(f"setup: {len(templates)} template records, facts {'yes' if templates[0].facts else 'no'}",
              file=sys.stderr)
        codes = make_codes(central, max(ks))
        began = time.perf_counter()
        sims = enrol_all(central.url, codes)
        print(f"setup: {len(sims)} stations enrolled over HTTP in {time.perf_counter() - began:.1f} s",
              file=sys.stderr)
        for n, k in enumerate(ks):
            r = run(central.url, central, sims[:k], templates, keys, args.procs, 10_000 * n)
            results.append(("1 host", r))
            print(f"K={k}: {r} | {uptime()}", file=sys.stderr)
        if args.haproxy:
            twin = second_host(central)
            twin.start()
            proxy = HAProxy([central.port, twin.port])
            time.sleep(3)  # HAProxy's first health checks
            r = run(proxy.url, central, sims[:max(ks)], templates, keys, args.procs, 10_000 * len(ks))
            results.append(("2 hosts + HAProxy", r))
            print(f"HAProxy K={max(ks)}: {r} | {uptime()}", file=sys.stderr)
    except Exception:
        print(f"gunicorn log:\n{central.log_tail()}", file=sys.stderr)
        raise
    finally:
        if proxy is not None:
            proxy.close()
        if twin is not None:
            stop_process(twin.proc, signal.SIGTERM, 15)
            shutil.rmtree(twin.dir, ignore_errors=True)
        station.close()
        central.close()
    print(f"{started}; at the end: {uptime()}; PostgreSQL {pg_version()}; gunicorn {args.workers} gthread "
          f"workers x 8 threads per host; ingest_slots {args.slots}, per worker {args.slots_per_worker}; "
          f"{count} records per station (envelopes as bench_sync's); stations in {args.procs} processes\n")
    print("| central | K | records | all stored after | records/s | upload p50 / p95 | uploads | "
          "503 busy | client timeouts | other errors | stored exactly once | goal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for label, r in results:
        print(row(label, r))
    for label, r in results:
        if r["errors"]:
            print(f"\n{label} K={r['k']} errors: {sorted(set(r['errors']))[:5]}")


if __name__ == "__main__":
    main()
