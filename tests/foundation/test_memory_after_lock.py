"""No plaintext left in a locked station's memory: the serving process is replaced.

The real station (``run.py``) runs as a subprocess. Through its pages we log
in and autosave a respondent's name that is a random canary; then lock all
(or let the last session reach its idle timeout). The process that served
those requests must be gone, and the fresh one serving the same port must
hold neither the canary nor the passphrase anywhere in its memory
(``/proc/PID/mem``, every readable mapping). As a control, the canary is
found in the old process before the lock, so the scan can fail.

The serving process is found as the only child of the ``run.py`` process in
the process table (the supervisor in app/serve.py never serves a request).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from app.config import CONFIG_NAME, write_initial_config
from tests.records.http import Browser
from tests.records.scan import forms

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/PID/mem (Linux); elsewhere no replacement is claimed")

PROJECT = Path(__file__).resolve().parents[2]
WAIT = 90.0  # generous: two loaded cores, a Flask app started per process
SKIP_MAPPINGS = ("[vvar]", "[vvar_vclock]", "[vsyscall]")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(what: str, check, timeout: float = WAIT):  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``, from the process table."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            out.append(int(entry.name))
    return out


def memory_hits(pid: int, texts: dict[str, str]) -> set[str]:
    """Names of the texts found in any readable mapping of the process, in any encoding."""
    needles = {name: {*forms(text).values(), text.encode("utf-32-le")} for name, text in texts.items()}
    found: set[str] = set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] in SKIP_MAPPINGS):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            found |= {name for name, forms_ in needles.items() if any(n in data for n in forms_)}
    return found


@dataclass
class Station:
    instance: Path
    log: Path
    passphrase: str
    proc: subprocess.Popen[bytes] = field(init=False)
    port: int = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = _free_port()
        env = dict(os.environ, TIP_SCREEN_INSTANCE=str(self.instance))
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, str(PROJECT / "run.py"), "--port", str(self.port)],
                                         env=env, cwd=self.instance.parent, stdout=out, stderr=subprocess.STDOUT)
        self.serving()

    def healthy(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=5) as reply:  # noqa: S310
                return reply.status == 200
        except OSError:
            return False

    def serving(self, not_pid: int | None = None) -> int:
        """The serving process's pid, once it is the only child, answers, and is not ``not_pid``."""
        def one() -> int | None:
            kids = children(self.proc.pid)
            if len(kids) == 1 and kids[0] != not_pid and self.healthy():
                return kids[0] if children(self.proc.pid) == kids else None
            return None

        pid: int = _until("a serving process", one)
        return pid

    def replacements(self) -> int:
        return self.log.read_text(errors="replace").count("a fresh server process takes over")


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    instance = tmp_path / "instance"
    write_initial_config(instance)
    config = instance / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    config.write_text(text + 'kdf_profile = "test"\n', encoding="utf-8")
    passphrase = f"memory canary phrase {secrets.token_hex(6)}"
    env = dict(os.environ, TIP_SCREEN_INSTANCE=str(instance))
    subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "app", "init",
                    "--station-name", "Memory post", "--admin", "admin", "--password-stdin"],
                   input=passphrase + "\n", env=env, cwd=tmp_path, check=True,
                   capture_output=True, text=True, timeout=120)
    st = Station(instance, tmp_path / "station.log", passphrase)
    st.start()
    try:
        yield st
    finally:
        kids = children(st.proc.pid)
        if st.proc.poll() is None:
            st.proc.terminate()
            st.proc.wait(timeout=30)
        # Stopping run.py stops its serving process too.
        _until("the serving process to end", lambda: not any(Path(f"/proc/{k}").exists() for k in kids), 30)


def _screen_canary(station: Station) -> tuple[Browser, str]:
    """Log in, start a screening and autosave a respondent name that is a fresh canary."""
    canary = f"Canary{secrets.token_hex(8)}"
    browser = Browser(station.url, timeout=WAIT)
    assert browser.login("admin", station.passphrase).status == 200
    record = browser.start_screening("en")
    saved = browser.autosave(record, browser.page_csrf(), {"q_respondent_name": canary})
    assert saved.status == 200 and saved.json()["ok"], saved.text
    return browser, canary


def _lock_all(browser: Browser) -> None:
    reply = browser.form("/admin/users", "/admin/lock-all", {})
    # Lock all answers with the login page (the redirect is followed), served by whichever process.
    assert reply.status == 200 and reply.url.endswith("/login"), (reply.status, reply.url)


def test_lock_all_leaves_no_plaintext_in_the_serving_process(station):
    old = station.serving()
    browser, canary = _screen_canary(station)
    secrets_ = {"canary": canary, "passphrase": station.passphrase}
    # Control: while unlocked, the process that served the pages holds both.
    assert memory_hits(old, secrets_) == {"canary", "passphrase"}

    _lock_all(browser)
    new = station.serving(not_pid=old)
    assert not Path(f"/proc/{old}").exists()
    assert station.replacements() == 1
    # The fresh process serves the pages (and has served the login page after the lock) ...
    assert browser.get("/login").status == 200
    # ... and never saw the name or the passphrase; nor did run.py itself, which serves nothing.
    assert memory_hits(new, secrets_) == set()
    assert memory_hits(station.proc.pid, secrets_) == set()
    # The old session is locked; logging in again works on the new process.
    assert "/login" in browser.get("/").url
    assert browser.login("admin", station.passphrase).status == 200


def test_idle_timeout_of_the_last_session_replaces_the_process(station):
    from sqlalchemy import update

    from app import create_app
    from app.config import load_config
    from app.extensions import db
    from app.models import AuthSession
    from app.models.types import utcnow

    old = station.serving()
    browser, canary = _screen_canary(station)
    # The session was last seen an hour ago: what the database shows after the idle timeout.
    app = create_app(load_config(station.instance))
    with app.app_context():
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        db.engine.dispose()
    # The next request finds the session idle: it ends, the last key goes, the process is replaced.
    reply = browser.get("/screenings/")
    assert "/login" in reply.url, reply.url
    new = station.serving(not_pid=old)
    assert station.replacements() == 1
    assert memory_hits(new, {"canary": canary, "passphrase": station.passphrase}) == set()


def test_nobody_logged_in_no_restart_loop(station):
    """With no key ever unlocked (or none since the last swap), the process is never replaced."""
    pid = station.serving()
    browser = Browser(station.url, timeout=WAIT)
    for _ in range(3):
        assert browser.get("/login").status == 200
    # A wrong passphrase unlocks nothing, so locks nothing either.
    assert "/login" in browser.login("admin", "not the passphrase at all").url
    assert station.serving() == pid and station.replacements() == 0


def test_the_port_keeps_answering_across_the_swap(station):
    """Requests sent while the process is replaced wait in the backlog: none is refused."""
    old = station.serving()
    browser, _canary = _screen_canary(station)
    stop = threading.Event()
    answers: list[int] = []
    errors: list[str] = []

    def knock() -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(station.url + "/login", timeout=WAIT) as reply:  # noqa: S310
                    answers.append(reply.status)
            except (OSError, urllib.error.URLError) as exc:
                errors.append(repr(exc))

    knockers = [threading.Thread(target=knock, daemon=True) for _ in range(3)]
    for t in knockers:
        t.start()
    try:
        _until("answers before the lock", lambda: len(answers) >= 3)
        _lock_all(browser)
        new = station.serving(not_pid=old)
        before = len(answers)
        _until("answers from the new process", lambda: len(answers) >= before + 6)
    finally:
        stop.set()
        for t in knockers:
            t.join(timeout=WAIT)
    assert new != old
    assert errors == [] and set(answers) == {200}, errors[:5]


def test_killing_run_py_ends_the_serving_process(station):
    """SIGKILL on run.py (as a crash or the durability test does) leaves no station behind."""
    pid = station.serving()
    os.kill(station.proc.pid, signal.SIGKILL)
    station.proc.wait(timeout=30)
    _until("the orphaned serving process to exit", lambda: not _alive(pid))


def test_ctrl_c_stops_both_processes(station):
    pid = station.serving()
    os.kill(station.proc.pid, signal.SIGINT)
    assert station.proc.wait(timeout=WAIT) == 0
    _until("the serving process to exit", lambda: not _alive(pid))
    assert "Traceback" not in station.log.read_text(errors="replace")


def test_one_process_mode_still_serves(tmp_path):
    """The Windows path (no replacement) on this machine: run.py serves by itself, no child."""
    port = _free_port()
    env = dict(os.environ, TIP_SCREEN_INSTANCE=str(tmp_path / "instance"))
    one_process = ("import runpy, sys; import app.serve; app.serve.can_replace = lambda: False; "
                   f"sys.argv = ['run.py', '--port', '{port}']; "
                   f"runpy.run_path({str(PROJECT / 'run.py')!r}, run_name='__main__')")
    log = tmp_path / "station.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-c", one_process], env=env, cwd=PROJECT,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        def answers() -> bool:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:  # noqa: S310
                    return reply.status == 200
            except OSError:
                return False

        _until("the one-process station", answers)
        assert children(proc.pid) == []
        assert "running at" in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return re.split(r"\)\s+", stat, maxsplit=1)[1][0] != "Z"


def test_the_key_ring_tells_once_when_its_last_key_goes():
    """The signal the serving process waits for: the last key dropped, by any path, once."""
    from app.services.accounts.keyring import UnlockedKeys

    told: list[int] = []
    keys = UnlockedKeys(idle_seconds=3600)
    keys.when_emptied(lambda: told.append(len(keys)))
    keys.drop("nobody")
    keys.drop_all()
    keys.sweep()
    assert told == []  # already empty: nothing to tell (an idle station is not replaced in a loop)
    keys.put("a", b"k" * 32)
    keys.put("b", b"k" * 32)
    keys.drop("a")
    assert told == []  # one is still unlocked
    keys.drop("b")
    assert told == [0]
    keys.put("c", b"k" * 32)
    keys.drop_all()  # lock all
    assert told == [0, 0]
    keys.put("d", b"k" * 32)
    keys.idle_seconds = -1.0  # every key is past its idle timeout
    keys.sweep()  # what the 30-second sweeper and each request do
    assert told == [0, 0, 0] and len(keys) == 0
