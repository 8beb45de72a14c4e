"""run.py as a real process: first run, health, port clash, help."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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


def test_local_network_binding_warns(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([*RUN, "--host", "0.0.0.0", "--port", str(port)], cwd=tmp_path,  # noqa: S104
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        _wait_health(port, proc)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "WARNING: listening on the local network" in err


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
