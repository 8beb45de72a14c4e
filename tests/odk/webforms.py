"""Serve ODK Web Forms (from .ci/node, installed from npm) and one XForm to Chromium.

A small HTTP server on 127.0.0.1 hands out the harness page (tests/odk/webforms_page.html),
the form under test at /form.xml, and the npm packages under /npm/. It serves nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.odk.support import NODE_MODULES, node_modules

PAGE = Path(__file__).resolve().parent / "webforms_page.html"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".xml": "text/xml"}


class _Handler(SimpleHTTPRequestHandler):
    form_xml = b""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        return

    def guess_type(self, path: str | Path) -> str:
        return TYPES.get(Path(path).suffix, "application/octet-stream")

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/":
            self._send(PAGE.read_bytes(), "text/html; charset=utf-8")
        elif path == "/form.xml":
            self._send(self.form_xml, "text/xml; charset=utf-8")
        elif path.startswith("/npm/") and ".." not in path:
            self.path = path[len("/npm"):]
            super().do_GET()
        else:
            self.send_error(404)

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def web_forms(form_xml: bytes) -> Iterator[str]:
    """The harness's URL, with ``form_xml`` to fill."""
    node_modules("@getodk/web-forms")
    node_modules("vue")
    handler = type("Handler", (_Handler,), {"form_xml": form_xml})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(NODE_MODULES)))
    thread = threading.Thread(target=server.serve_forever, name="web-forms", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
