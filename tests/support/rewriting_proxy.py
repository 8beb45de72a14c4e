"""A real HTTP proxy in front of central that rewrites central's JSON answers on one path:
a man in the middle who swaps keys in what central says (or puts keys into a 204)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


@contextmanager
def rewriting_proxy(upstream: str, rewrite: Rewrite, path: str = "/api/v1/enrol") -> Iterator[str]:
    """A real HTTP proxy to central that rewrites central's JSON answers to ``path``."""
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            status, kind = response.status, response.getheader("Content-Type", "application/json")
            if self.path == path and status in (200, 204):  # a 204 (nothing new) is rewritten from {}
                data = json.dumps(rewrite(json.loads(data) if data else {})).encode()
                status, kind = 200, "application/json"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
