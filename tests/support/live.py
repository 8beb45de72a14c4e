"""A real HTTP server (waitress) around a test app, on 127.0.0.1 and a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress.server import create_server


@contextmanager
def serve(app: Flask, threads: int = 8, *, pass_proxy_headers: bool = False) -> Iterator[str]:
    """``pass_proxy_headers``: hand X-Forwarded-* on to the app as gunicorn does (waitress
    removes them by default), for tests of the app's own proxy setting."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="tip-screen-test",
                           clear_untrusted_proxy_headers=not pass_proxy_headers)
    port = server.effective_port  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, name="tip-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Let the request threads finish first: closing under a running task races its
        # wake-up of the server loop (EBADF in a thread).
        server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]
        server.close()
        thread.join(timeout=5)
