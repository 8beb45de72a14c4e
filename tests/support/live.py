"""A real HTTP server (waitress) around a test app, on 127.0.0.1 and a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server


@contextmanager
def serve(app: Flask, threads: int = 8, *, pass_proxy_headers: bool = False) -> Iterator[str]:
    """``pass_proxy_headers``: hand X-Forwarded-* on to the app as gunicorn does (waitress
    removes them by default), for tests of the app's own proxy setting."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="tip-screen-test",
                           clear_untrusted_proxy_headers=not pass_proxy_headers)
    port = server.effective_port  # type: ignore[union-attr]
    stopping = threading.Event()
    sockets = server._map  # type: ignore[union-attr]

    def loop() -> None:
        # waitress' own run(), one round at a time, so the test can stop it from outside.
        while not stopping.is_set() and sockets:
            wasyncore.loop(timeout=1.0, map=sockets, count=1)

    thread = threading.Thread(target=loop, name="tip-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Request threads finish first (their answers still need the loop), then the loop
        # stops, and only then are the sockets closed: closing under a running loop or
        # task races it (EBADF in a thread).
        server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]
        stopping.set()
        server.trigger.pull_trigger()  # type: ignore[union-attr]  # wake the loop now
        thread.join(timeout=5)
        wasyncore.close_all(sockets)
