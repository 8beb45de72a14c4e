"""run.py as a real process: first run, health, port clash, help."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.private_lan import LAN_ADDRESS, lan_namespace
from tests.support.processes import children

ROOT = Path(__file__).resolve().parents[2]
RUN = [sys.executable, str(ROOT / "run.py")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TIP_SCREEN_INSTANCE"] = str(tmp_path / "instance")
    return env


def _wait_health(port: int, proc: subprocess.Popen, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                return json.loads(resp.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not answer /healthz")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([*RUN, "--port", str(port)], cwd=tmp_path, env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield port, proc
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_first_run_creates_instance_and_serves_setup(server, tmp_path):
    port, proc = server
    health = _wait_health(port, proc)
    assert health["role"] == "station" and health["status"] == "ok"
    assert health["setup"] == "needed"
    assert (tmp_path / "instance" / "config.toml").exists()
    assert (tmp_path / "instance" / "tip-screen.sqlite3").exists()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        assert resp.url.endswith("/setup/")
        assert b"First-run setup" in resp.read()


def test_second_start_on_the_same_port_fails_clearly(server, tmp_path):
    port, proc = server
    _wait_health(port, proc)
    second = subprocess.run([*RUN, "--port", str(port)], cwd=tmp_path, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert "already in use" in second.stderr
    if sys.platform.startswith("linux"):
        assert "already in use by tip-screen (process " in second.stderr


def test_help_explains_both_roles(tmp_path):
    result = subprocess.run([*RUN, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "station" in result.stdout and "central" in result.stdout and "--host" in result.stdout
    assert not (tmp_path / "instance").exists()


def test_corrupt_config_is_reported_and_left_alone(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text("role = [broken")
    result = subprocess.run([*RUN, "--port", str(_free_port())], cwd=tmp_path, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "cannot be read" in result.stderr and "Traceback" not in result.stderr
    assert (instance / "config.toml").read_text() == "role = [broken"
    assert not (instance / "tip-screen.sqlite3").exists()


def test_local_network_binding_warns_and_announces_https(tmp_path):
    # In a private network namespace: nothing listens on this machine's real network.
    with lan_namespace() as ns:
        proc = ns.popen([*RUN, "--host", "0.0.0.0", "--port", "5000"], cwd=tmp_path,  # noqa: S104
                        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
        try:
            ns.run(lambda: _wait_health(5000, proc))  # plain HTTP still, on 127.0.0.1
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=10)
    assert "WARNING: listening on the local network" in err
    assert f"https://{LAN_ADDRESS}:5000/" in out and "certificate SHA-256 fingerprint: " in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the serving child")
@pytest.mark.parametrize("killed", ["supervisor", "both"])
def test_restart_on_the_same_port_right_after_a_sigkill(tmp_path, killed):
    port = _free_port()
    first = subprocess.Popen([*RUN, "--port", str(port)], cwd=tmp_path, env=_env(tmp_path),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_health(port, first)
    # Connections the server had open when it died: the port then has TCP state left behind.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as held:
        held.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held.recv(100).startswith(b"HTTP/1.1 200")
        child = children(first.pid)
        assert len(child) == 1
        targets = [first.pid] + (child if killed == "both" else [])
        for pid in targets:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        first.wait(timeout=10)
        second = subprocess.Popen([*RUN, "--port", str(port)], cwd=tmp_path, env=_env(tmp_path),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started_after = time.monotonic() - killed_at
    try:
        assert started_after < 1.0
        assert _wait_health(port, second)["status"] == "ok"
        assert second.poll() is None
    finally:
        second.terminate()
        _, err = second.communicate(timeout=10)
    assert "already in use" not in err


def test_a_port_someone_else_listens_on_is_named(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        result = subprocess.run([*RUN, "--port", str(port)], cwd=tmp_path, env=_env(tmp_path),
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    if sys.platform.startswith("linux"):
        assert f"already in use by process {os.getpid()} (" in result.stderr
    else:
        assert "already in use by another program" in result.stderr


def test_central_role_flag(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([*RUN, "--role", "central", "--port", str(port)], cwd=tmp_path,
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert _wait_health(port, proc)["role"] == "central"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
