"""Screening under load: page render and autosave latency, bytes shipped, cold start, memory.

Run from the repository root:  .venv/bin/python bench/bench_screening.py [--quick]

A fresh temporary station (``flask --app app init``), one officer account per
client (``flask --app app users create``), served by run.py (waitress, 8
threads, as in production) on 127.0.0.1. Each client is a thread with its own
keep-alive connection and session: it logs in once, starts a screening, then
loops: GET a section page, then POST ``--saves`` autosaves (one question each,
as screening.js does), waiting ``--think`` seconds before each request (default
0: a closed loop at saturation, where latency is about clients / throughput).
Latency is measured at the client, from sending the request to the last byte
of the answer. Samples from the first ``--warmup`` seconds are dropped. Key
derivation uses production parameters unless ``--test-kdf`` is given (logins
are not measured either way).

CPU per request (issue 17): before the load, one officer's client sends requests one at a
time, in rounds, to the station (a section page: the interface in Thai, the respondent's
language Myanmar, so every label is bilingual; an autosave) and to the floor, a minimal
Flask page served by waitress with the same thread count (bench/_floor_app.py), started
in the same run. Each figure is the server's CPU time (user + system of run.py and its
serving child, from /proc) over the round divided by its requests; the median of the
rounds is printed, with the ratio to the floor. ``--think 0.5,0`` runs the load once per
think time.

Prints a markdown table (for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _station import (  # noqa: E402
    ADMIN,
    ADMIN_PASSPHRASE,
    PYTHON,
    ROOT,
    Client,
    Station,
    csrf_from,
    free_port,
    machine,
    median,
    percentile,
    stop_process,
    tree_cpu_seconds,
    verdict,
)

sys.path.insert(0, str(ROOT))
from app.languages import DEFAULT, TRANSLATED  # noqa: E402

RENDER_P95_MS = 50.0
AUTOSAVE_P95_MS = 100.0
JS_GZIP_KB = 30.0
FIRST_PAGE_KB = 250.0
LATER_PAGE_KB = 30.0
COLD_START_S = 3.0
RSS_MB = 200.0
CPU_RATIO = 3.0  # issue 17: a section page and an autosave at most 3x the floor's CPU

LANGS = (*TRANSLATED, DEFAULT)
# (question id, possible raw values): one autosave posts one of these.
ANSWERS: list[tuple[str, tuple[str, ...]]] = [
    ("q_respondent_name", ()),  # free text, generated
    ("q_location_type", ("checkpoint", "detention", "shelter", "workplace")),
    ("q_others_present", ("yes", "no")),
    ("q_private_space", ("yes", "no")),
    ("q_needs_doctor", ("no", "yes")),
    ("q_controller_nearby", ("no", "yes")),
    ("q_fee_or_loan", ("yes", "no")),
    ("q_job_different", ("yes", "no")),
    ("q_false_papers", ("no", "yes")),
    ("q_forced_or_sold", ("no", "yes")),
]
SCRIPT_RE = re.compile(r'<script[^>]+src="([^"]+)"')
STYLE_RE = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"')
LOGIN_LOCK = threading.Lock()
FONT_RE = re.compile(r'url\("\.\./fonts/([^"]+)"\)')


def section_ids() -> list[str]:
    """Section ids of the default questionnaire, in order (flags are not pages)."""
    text = (ROOT / "app" / "questionnaires" / "default.yaml").read_text(encoding="utf-8")
    sections = text.split("\nflags:", 1)[0]  # the facts at the end have ids at that indent too
    return re.findall(r"^  - id: (\w+)", sections, re.M)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def kb(n: int) -> float:
    return n / 1024


# -- bytes ---------------------------------------------------------------------------


def measure_bytes(port: int, username: str, passphrase: str) -> dict[str, object]:
    client = Client(port)
    client.login(username, passphrase)
    first_path = client.start_screening("my")
    page = client.get(first_path)
    assert page.status == 200, page.status
    html = page.text
    scripts = SCRIPT_RE.findall(html)
    styles = STYLE_RE.findall(html)
    static: dict[str, bytes] = {}
    for url in scripts + styles:
        resp = client.get(url)
        assert resp.status == 200, (url, resp.status)
        static[url] = resp.body
    fonts_css = next(body for url, body in static.items() if url.endswith("fonts.css")).decode()
    fonts = sorted(set(FONT_RE.findall(fonts_css)))
    font_sizes = {}
    for name in fonts:
        resp = client.get(f"/static/fonts/{name}")
        assert resp.status == 200, (name, resp.status)
        font_sizes[name] = len(resp.body)
    regular = {k: v for k, v in font_sizes.items() if k.endswith("-regular.woff2")}
    one_font, one_font_size = max(regular.items(), key=lambda kv: kv[1])  # worst case: the largest
    js_raw = sum(len(static[u]) for u in scripts)
    js_gz = sum(gz(static[u]) for u in scripts)
    css_raw = sum(len(static[u]) for u in styles)
    css_gz = sum(gz(static[u]) for u in styles)
    first_raw = len(page.body) + js_raw + css_raw + one_font_size
    first_gz = gz(page.body) + js_gz + css_gz + one_font_size  # woff2 is already compressed

    # A later page: answer the first sections, then open the third section (HTML only).
    csrf = csrf_from(html)
    record = first_path.split("/")[2]
    for qid, value in (("q_respondent_name", "Bench Aye"), ("q_location_type", "checkpoint"),
                       ("q_consent_interview", "yes"), ("q_others_present", "no")):
        resp = client.post(f"/screenings/{record}/answer", [("qid", qid), (f"q-{qid}", value)],
                           headers={"X-CSRFToken": csrf, "Accept": "application/json"})
        assert resp.status == 200, (qid, resp.status, resp.text[:300])
    later_ids = section_ids()
    later = client.get(f"/screenings/{record}/s/{later_ids[2]}")
    assert later.status == 200, later.status
    client.close()
    # Every page's language menus name each language in its own script; a browser that lays
    # out those option labels may fetch each script's regular font on the first page.
    all_regular = sum(regular.values())
    return {
        "scripts": scripts, "js_raw": js_raw, "js_gz": js_gz,
        "first_html_raw": len(page.body), "first_html_gz": gz(page.body),
        "css_raw": css_raw, "css_gz": css_gz, "font": one_font, "font_size": one_font_size,
        "first_raw": first_raw, "first_gz": first_gz,
        "first_all_fonts_raw": first_raw - one_font_size + all_regular, "all_regular": all_regular,
        "later_section": later_ids[2], "later_raw": len(later.body), "later_gz": gz(later.body),
        "content_encoding": page.headers.get("Content-Encoding") or "none",
        "static_cache": client_cache_header(port, scripts[0]),
    }


def client_cache_header(port: int, url: str) -> str:
    c = Client(port)
    resp = c.get(url)
    c.close()
    return resp.headers.get("Cache-Control") or "(none)"


# -- CPU per request ------------------------------------------------------------------


class Floor:
    """The minimal Flask + waitress page (bench/_floor_app.py) in its own process."""

    def __init__(self, threads: int) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([PYTHON, str(ROOT / "bench" / "_floor_app.py"), str(self.port),
                                      str(threads)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2000):
            try:
                probe = Client(self.port)
                ok = probe.get("/").status == 200
                probe.close()
                if ok:
                    return
            except OSError:
                time.sleep(0.005)
        raise RuntimeError("the floor page did not start")

    def close(self) -> None:
        stop_process(self.proc, 2, 10)  # SIGINT


def measure_cpu(station: Station, floor: Floor, passphrase: str, rounds: int,
                per_round: int) -> dict[str, list[float]]:
    """ms of server CPU per request, one round each of floor, section page and autosave, in turn."""
    client = Client(station.port)
    client.login("officer00", passphrase)
    page = client.get("/screenings/new")
    client.post("/language", [("lang", "th"), ("next", "/"), ("csrf_token", csrf_from(page.text))])
    first = client.start_screening("my")
    record = first.split("/")[2]
    headers = {"X-CSRFToken": csrf_from(client.get(first).text), "Accept": "application/json"}
    client.post(f"/screenings/{record}/answer", [("qid", "q_consent_interview"),
                                                 ("q-q_consent_interview", "yes")], headers)
    sections = section_ids()
    floor_client = Client(floor.port)

    def section(i: int) -> None:
        resp = client.get(f"/screenings/{record}/s/{sections[i % len(sections)]}")
        assert resp.status == 200, resp.status

    def autosave(i: int) -> None:
        qid, values = ANSWERS[i % len(ANSWERS)]
        value = f"Bench answer {i}" if not values else values[i % len(values)]
        resp = client.post(f"/screenings/{record}/answer", [("qid", qid), (f"q-{qid}", value)], headers)
        assert resp.status == 200 and b'"ok":true' in resp.body, resp.text[:200]

    def floor_page(i: int) -> None:
        assert floor_client.get("/").status == 200

    kinds = {"floor": (floor_page, lambda: tree_cpu_seconds(floor.proc.pid), per_round * 3),
             "section": (section, station.cpu_seconds, per_round),
             "autosave": (autosave, station.cpu_seconds, per_round)}
    out: dict[str, list[float]] = {k: [] for k in kinds}
    for warm in range(len(sections) * 2):  # every page compiled, every label prepared
        section(warm)
        autosave(warm)
        floor_page(warm)
    for _ in range(rounds):
        for kind, (send, cpu, count) in kinds.items():
            before = cpu()
            for i in range(count):
                send(i)
            out[kind].append((cpu() - before) * 1000 / count)
    client.close()
    floor_client.close()
    return out


# -- load ----------------------------------------------------------------------------


class Samples:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.render: list[tuple[float, float]] = []  # (start, seconds)
        self.save: list[tuple[float, float]] = []
        self.errors: list[str] = []

    def add(self, kind: str, start: float, seconds: float) -> None:
        with self.lock:
            (self.render if kind == "render" else self.save).append((start, seconds))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def officer(n: int, port: int, passphrase: str, ready: threading.Barrier, stop_at: list[float],
            saves: int, think: float, samples: Samples) -> None:
    client = Client(port)
    with LOGIN_LOCK:  # one login at a time: concurrent Argon2id (p=2) can hang (docs/benchmarks.md)
        client.login(f"officer{n:02d}", passphrase)
    first = client.start_screening(LANGS[n % len(LANGS)])
    record = first.split("/")[2]
    page = client.get(first)
    csrf = csrf_from(page.text)
    headers = {"X-CSRFToken": csrf, "Accept": "application/json"}
    # Consent first, so every later section is shown as in a real interview.
    client.post(f"/screenings/{record}/answer", [("qid", "q_consent_interview"),
                                                 ("q-q_consent_interview", "yes")], headers)
    sections = section_ids()
    ready.wait()
    i = 0
    while time.perf_counter() < stop_at[0]:
        section = sections[i % len(sections)]
        time.sleep(think)
        start = time.perf_counter()
        resp = client.get(f"/screenings/{record}/s/{section}")
        if resp.status == 200:
            samples.add("render", start, resp.seconds)
        else:
            samples.error(f"GET {section}: HTTP {resp.status}")
        for k in range(saves):
            qid, values = ANSWERS[(i * saves + k + n) % len(ANSWERS)]
            value = f"Bench officer {n} answer {i}" if not values else values[(i + k) % len(values)]
            time.sleep(think)
            start = time.perf_counter()
            resp = client.post(f"/screenings/{record}/answer", [("qid", qid), (f"q-{qid}", value)],
                               headers)
            if resp.status == 200 and b'"ok":true' in resp.body:
                samples.add("save", start, resp.seconds)
            else:
                samples.error(f"POST {qid}={value}: HTTP {resp.status} {resp.text[:200]}")
        i += 1
    client.close()


def run_load(port: int, clients: int, passphrase: str, duration: float, warmup: float,
             saves: int, think: float) -> tuple[Samples, float, float]:
    samples = Samples()
    ready = threading.Barrier(clients + 1)
    stop_at = [float("inf")]
    threads = [threading.Thread(target=officer, name=f"officer{n}", daemon=True,
                                args=(n, port, passphrase, ready, stop_at, saves, think, samples))
               for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait(timeout=600)  # everyone logged in and started a screening
    begin = time.perf_counter()
    measure_from = begin + warmup
    stop_at[0] = measure_from + duration
    for t in threads:
        t.join()
    end = time.perf_counter()
    samples.render = [(s, d) for s, d in samples.render if s >= measure_from]
    samples.save = [(s, d) for s, d in samples.save if s >= measure_from]
    return samples, measure_from, end


# -- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds dropped at the start")
    parser.add_argument("--saves", type=int, default=3, help="autosaves per page view (default 3)")
    parser.add_argument("--think", default="0",
                        help="seconds each client waits before every request (default 0: saturation); "
                        "several, comma-separated (0.5,0), run the load once for each")
    parser.add_argument("--cpu-rounds", type=int, default=7, help="rounds of the CPU measurement (default 7)")
    parser.add_argument("--cpu-requests", type=int, default=100,
                        help="station requests of each kind per round (the floor gets 3x as many)")
    parser.add_argument("--starts", type=int, default=5, help="cold starts to time (default 5)")
    parser.add_argument("--quick", action="store_true", help="5 clients, 10 s, 2 cold starts")
    parser.add_argument("--test-kdf", action="store_true",
                        help="cheap key derivation for account setup and logins (faster setup)")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the CPU per request (one account, no load, bytes or cold starts)")
    parser.add_argument("--keep", action="store_true", help="keep the temp instance")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (default 8, as run.py)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.duration, args.warmup, args.starts = 5, 10.0, 2.0, 2

    if args.cpu_only:
        args.clients, args.starts = 1, 0
    print(f"Machine: {machine()}", flush=True)
    officer_pass = "border post passphrase 2025 မြန်မာ"
    with Station(kdf="test" if args.test_kdf else "production", keep=args.keep,
                 threads=args.threads) as station:
        t0 = time.perf_counter()
        station.init()
        with ThreadPoolExecutor(max_workers=2) as pool:  # 2 cores
            list(pool.map(lambda n: station.create_user(f"officer{n:02d}", officer_pass),
                          range(args.clients)))
        print(f"Setup: init + {args.clients} accounts in {time.perf_counter() - t0:.1f} s "
              f"({station.kdf} KDF) in {station.dir}", flush=True)

        starts = []
        for _ in range(args.starts):
            starts.append(station.start())
            station.stop()
        cold = station.start()
        starts.append(cold)
        rss_idle = station.status()
        print(f"Cold starts (s): {', '.join(f'{s:.2f}' for s in starts)}", flush=True)

        b = measure_bytes(station.port, ADMIN, ADMIN_PASSPHRASE)
        floor = Floor(station.threads)
        try:
            cpu_ms = measure_cpu(station, floor, officer_pass, args.cpu_rounds, args.cpu_requests)
        finally:
            floor.close()
        print_cpu(cpu_ms, args.cpu_rounds, args.cpu_requests)
        if args.cpu_only:
            print(f"Load average at the end: {machine().split('load average ')[1].replace(' at start', '')}")
            return
        loads = []
        for think in [float(t) for t in args.think.split(",")]:
            cpu_before = station.cpu_seconds()
            samples, begin, end = run_load(station.port, args.clients, officer_pass, args.duration,
                                           args.warmup, args.saves, think)
            cpu = station.cpu_seconds() - cpu_before  # includes warm-up
            loads.append((think, samples, begin, end, cpu))
        mem = station.status()
        time.sleep(2)
        mem_later = station.status()
    for n, (think, samples, begin, end, cpu) in enumerate(loads):
        report(args, think, samples, begin, end, cpu, b, starts, rss_idle, mem, mem_later, full=n == 0)
    print(f"Load average at the end: {machine().split('load average ')[1].replace(' at start', '')}")


def print_cpu(cpu_ms: dict[str, list[float]], rounds: int, per_round: int) -> None:
    floor = median(cpu_ms["floor"])
    print()
    print(f"CPU per request, one request at a time ({rounds} rounds of {per_round} station requests "
          f"of each kind and {per_round * 3} floor requests; median of the rounds):")
    print()
    print("| request | CPU ms per request (median) | rounds min-max | ratio to the floor | budget | result |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    print(f"| floor: minimal Flask + waitress page | {floor:.2f} | {min(cpu_ms['floor']):.2f}-"
          f"{max(cpu_ms['floor']):.2f} | 1.00x | - | - |")
    for kind, what in (("section", "section page (GET, th screen, my respondent)"),
                       ("autosave", "autosave (POST one answer)")):
        value = median(cpu_ms[kind])
        ratio = value / floor
        print(f"| {what} | {value:.2f} | {min(cpu_ms[kind]):.2f}-{max(cpu_ms[kind]):.2f} | {ratio:.2f}x "
              f"| <= {CPU_RATIO:.0f}x | {'pass' if ratio <= CPU_RATIO else 'FAIL'} |")
    print(flush=True)


def report(args: argparse.Namespace, think: float, samples: Samples, begin: float, end: float,
           cpu: float, b: dict[str, object], starts: list[float], rss_idle: dict[str, int],
           mem: dict[str, int], mem_later: dict[str, int], *, full: bool) -> None:

    render = [d * 1000 for _, d in samples.render]
    save = [d * 1000 for _, d in samples.save]
    window = end - begin
    rps = (len(render) + len(save)) / window
    rows: list[tuple[str, str, str, str, float, float]] = []

    def row(measure: str, med: str, p95: str, budget: str, value: float, limit: float) -> None:
        rows.append((measure, med, p95, budget, value, limit))

    row(f"page render (GET section), {args.clients} clients, think {think:g} s", f"{median(render):.1f} ms",
        f"{percentile(render, 95):.1f} ms", f"p95 <= {RENDER_P95_MS:.0f} ms",
        percentile(render, 95), RENDER_P95_MS)
    row(f"autosave (POST answer), {args.clients} clients, think {think:g} s", f"{median(save):.1f} ms",
        f"{percentile(save, 95):.1f} ms", f"p95 <= {AUTOSAVE_P95_MS:.0f} ms",
        percentile(save, 95), AUTOSAVE_P95_MS)
    if full:
        row("JavaScript shipped, gzipped (" + ", ".join(Path(s).name for s in b["scripts"]) + ")",  # type: ignore[attr-defined]
            f"{kb(b['js_gz']):.1f} KB", "-", f"<= {JS_GZIP_KB:.0f} KB", kb(b["js_gz"]), JS_GZIP_KB)  # type: ignore[arg-type]
        row(f"first form page: HTML + CSS + JS + {b['font']} (as sent, uncompressed)",
            f"{kb(b['first_raw']):.1f} KB", "-", f"<= {FIRST_PAGE_KB:.0f} KB",  # type: ignore[arg-type]
            kb(b["first_raw"]), FIRST_PAGE_KB)  # type: ignore[arg-type]
        row(f"later form page ({b['later_section']}), HTML only (as sent, uncompressed)",
            f"{kb(b['later_raw']):.1f} KB", "-", f"<= {LATER_PAGE_KB:.0f} KB",  # type: ignore[arg-type]
            kb(b["later_raw"]), LATER_PAGE_KB)  # type: ignore[arg-type]
        row(f"station cold start (run.py to /healthz 200), {len(starts)} starts",
            f"{median(starts):.2f} s", f"max {max(starts):.2f} s", f"<= {COLD_START_S:.0f} s",
            median(starts), COLD_START_S)
        row("resident memory after the load (VmRSS, run.py and its serving child)",
            f"{mem['VmRSS'] / 1024:.0f} MB", "-", f"<= {RSS_MB:.0f} MB", mem["VmRSS"] / 1024, RSS_MB)

    print()
    print(f"Load: {args.clients} clients, {args.saves} autosaves per page view, think time "
          f"{think:g} s before each request, "
          f"{window:.1f} s measured after {args.warmup:.0f} s warm-up; waitress threads "
          f"{args.threads}; {len(render)} renders, {len(save)} autosaves, "
          f"{len(samples.errors)} errors; {rps:.1f} requests/s "
          f"({len(render) / window:.1f} renders/s, {len(save) / window:.1f} autosaves/s)")
    if samples.errors:
        print("First errors:", *samples.errors[:5], sep="\n  ")
    print()
    print("| measure | median | p95 | budget | ratio to budget | result |")
    print("| --- | ---: | ---: | --- | ---: | --- |")
    for measure, med, p95, budget, value, limit in rows:
        ratio, result = verdict(value, limit)
        print(f"| {measure} | {med} | {p95} | {budget} | {ratio} | {result} |")
    print()
    print(f"Other figures: render p99 {percentile(render, 99):.1f} ms, max {max(render):.1f} ms; "
          f"autosave p99 {percentile(save, 99):.1f} ms, max {max(save):.1f} ms.")
    if full:
        print_bytes(b)
    requests = len(samples.render) + len(samples.save)
    print(f"Server CPU during the load phase (warm-up and measured window): {cpu:.1f} s; "
          f"about {cpu * 1000 / max(1, requests):.1f} ms CPU per measured request (upper bound).")
    if full:
        print(f"Memory (KiB): idle after start {rss_idle}; after load {mem}; 2 s later {mem_later} "
              "(VmHWM = peak, includes concurrent Argon2id logins at 64 MiB each).")


def print_bytes(b: dict[str, object]) -> None:
    print(f"Bytes: JS raw {kb(b['js_raw']):.1f} KB; CSS raw {kb(b['css_raw']):.1f} KB "  # type: ignore[arg-type]
          f"(gzip {kb(b['css_gz']):.1f} KB); first HTML raw {kb(b['first_html_raw']):.1f} KB "  # type: ignore[arg-type]
          f"(gzip {kb(b['first_html_gz']):.1f} KB); first page all gzipped {kb(b['first_gz']):.1f} KB; "  # type: ignore[arg-type]
          f"later page gzip {kb(b['later_gz']):.1f} KB; first page with every script's regular font "  # type: ignore[arg-type]
          f"{kb(b['first_all_fonts_raw']):.1f} KB (fonts {kb(b['all_regular']):.1f} KB). "  # type: ignore[arg-type]
          f"Content-Encoding of pages: {b['content_encoding']}; static Cache-Control: {b['static_cache']}.")


if __name__ == "__main__":
    main()
