"""Shared by the benchmarks: a throw-away station served by run.py, and a tiny HTTP client.

The station is a fresh temporary instance made with the real commands
(``flask --app app init``, ``flask --app app users create``) and served by
``run.py`` (waitress, as in production) on 127.0.0.1 and a free port. The
temporary directory lives under the system temp dir, which must be a real
disk (not tmpfs) for "durable commit" to mean an fsync.
"""

from __future__ import annotations

import http.client
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN = "bench"
ADMIN_PASSPHRASE = "station admin passphrase 2025 ฟ้าใส"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# -- statistics --------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 100 values is the 95th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(measured: float, budget: float, *, at_least: bool = False) -> tuple[str, str]:
    """Ratio to budget (measured / budget) and pass/fail."""
    ratio = measured / budget
    ok = measured >= budget if at_least else measured <= budget
    return f"{ratio:.2f}x", "pass" if ok else "FAIL"


def machine() -> str:
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}, "
            f"Python {platform.python_version()}, {load} at start")


# -- the station ---------------------------------------------------------------------


def run_flask(env: dict[str, str], *args: str, stdin: str = "") -> str:
    """One `flask --app app ...` command, as an administrator would type it."""
    result = subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                            input=stdin.encode(), capture_output=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr.decode()[-2000:]}")
    return result.stdout.decode()


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    """Ask a server to stop with ``sig``; kill it if it has not stopped after ``timeout`` s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(root: int) -> set[int]:
    """A process and its living descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError):
                continue  # gone meanwhile
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and its living descendants (Linux /proc)."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = _stat(pid)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Station:
    """A fresh instance in a temp dir; ``start()`` launches run.py as a subprocess."""

    def __init__(self, *, kdf: str = "production", threads: int = 8, keep: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tip-bench-"))
        self.instance = self.dir / "instance"
        self.log = self.dir / "server.log"  # run.py's stderr (a pipe nobody reads would block it)
        self.kdf = kdf
        self.threads = threads
        self.keep = keep
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "TIP_SCREEN_INSTANCE": str(self.instance),
                    "PYTHONDONTWRITEBYTECODE": "1"}
        self.env.pop("DATABASE_URL", None)

    # setup through the real commands

    def flask(self, *args: str, stdin: str = "") -> str:
        return run_flask(self.env, *args, stdin=stdin)

    def init(self) -> None:
        if self.kdf == "test":
            # Cheap key derivation for setup and logins only; nothing measured here depends on it.
            sys.path.insert(0, str(ROOT))
            from app.config import write_initial_config

            path = write_initial_config(self.instance)
            text = path.read_text(encoding="utf-8")  # top-level key: before the [hotlines] table
            path.write_text('kdf_profile = "test"\n' + text, encoding="utf-8")
        self.flask("init", "--station-name", "Bench", "--admin", ADMIN, "--password-stdin",
                   stdin=ADMIN_PASSPHRASE + "\n")

    def create_user(self, username: str, passphrase: str, role: str = "officer") -> None:
        self.flask("users", "create", username, "--role", role, "--admin", ADMIN, "--password-stdin",
                   stdin=f"{passphrase}\n{ADMIN_PASSPHRASE}\n")

    # the server

    def start(self, timeout: float = 60.0) -> float:
        """Launch run.py; seconds until /healthz answers 200 (the cold start)."""
        self.port = free_port()
        start = time.perf_counter()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([PYTHON, str(ROOT / "run.py"), "--port", str(self.port),
                                          "--threads", str(self.threads)],
                                         cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                         stderr=log)
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")
                raise RuntimeError(f"run.py exited with {self.proc.returncode}: {err[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.perf_counter() - start
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError("run.py did not answer /healthz in time")

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak) in KiB of run.py and the serving child it starts (app/serve.py),
        added up, from /proc/<pid>/status: the child holds the app, run.py only the socket."""
        assert self.proc is not None
        out = {"VmRSS": 0, "VmHWM": 0}
        for pid in process_tree(self.proc.pid):
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue  # gone meanwhile
            for line in lines:
                key, _, value = line.partition(":")
                if key in out:
                    out[key] += int(value.split()[0])
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of run.py and the serving child it starts (app/serve.py),
        which handles every request (robust to other load on the machine)."""
        assert self.proc is not None
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, 10)
        self.proc = None

    def close(self) -> None:
        self.stop()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- a browser-like client --------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes, seconds: float) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        loc = self.headers.get("Location", "")
        return urllib.parse.urlsplit(loc).path if loc.startswith("http") else loc


class Client:
    """One keep-alive connection and its own cookies: one officer's browser."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None,
                headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Accept-Encoding": "identity", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
                continue
            seconds = time.perf_counter() - start
            break
        for cookie in resp.headers.get_all("Set-Cookie") or []:
            pair = cookie.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value.strip()
            else:
                self.cookies.pop(name.strip(), None)
        return Response(resp.status, resp.headers, data, seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]],
             headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, fields, headers)

    def login(self, username: str, passphrase: str) -> None:
        page = self.get("/login")
        resp = self.post("/login", [("username", username), ("passphrase", passphrase), ("next", ""),
                                    ("csrf_token", csrf_from(page.text))])
        if resp.status != 302:
            raise RuntimeError(f"login as {username} failed: HTTP {resp.status}")

    def start_screening(self, respondent_lang: str) -> str:
        """Start a screening; the path of its first section page."""
        page = self.get("/screenings/new")
        resp = self.post("/screenings/new", [("respondent_lang", respondent_lang),
                                             ("csrf_token", csrf_from(page.text))])
        if resp.status != 302 or "/s/" not in resp.location:
            raise RuntimeError(f"starting a screening failed: HTTP {resp.status} {resp.location}")
        return resp.location

    def close(self) -> None:
        self.conn.close()


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("page has no CSRF token")
    return match.group(1)
