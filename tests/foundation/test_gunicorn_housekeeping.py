"""Central under gunicorn, as the README runs it: every worker starts the housekeeping timer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.postgres import fresh_database

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.postgres
def test_each_gunicorn_worker_sweeps_without_requests(tmp_path, make_app):
    from flask_migrate import upgrade

    from app.services import setup
    from tests.conftest import PASSPHRASE

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
            setup.initialise("Central", "admin", PASSPHRASE)
        env = {**os.environ, "TIP_SCREEN_INSTANCE": app.instance_path, "DATABASE_URL": url}
        port = _free_port()
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "python:app.gunicorn_conf", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            lines: list[str] = []
            deadline = time.monotonic() + 60
            assert server.stderr is not None
            while sum("housekeeping every" in line for line in lines) < 2:
                assert time.monotonic() < deadline, "".join(lines)
                line = server.stderr.readline()
                assert line or server.poll() is None, "".join(lines)
                lines.append(line)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if server.stderr is not None:
                server.stderr.close()
