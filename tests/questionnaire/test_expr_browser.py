"""expr.js in a real headless Chromium, against the shared vectors."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium

from .test_expr import JS_PATH, VECTORS, VECTORS_PATH, check_vector

HARNESS = Path(__file__).with_name("expr_harness.html")
ROUTES = {
    "/harness.html": (HARNESS, "text/html; charset=utf-8"),
    "/expr.js": (JS_PATH, "text/javascript; charset=utf-8"),
    "/expr_vectors.json": (VECTORS_PATH, "application/json"),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves exactly the three files the harness needs, nothing else."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        route = ROUTES.get(self.path)
        if route is None:
            self.send_error(404)
            return
        body = route[0].read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", route[1])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass


@pytest.fixture
def harness_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/harness.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.browser
def test_expr_js_matches_the_vectors(harness_url: str) -> None:
    with chromium() as driver:
        driver.get(harness_url)  # type: ignore[attr-defined]
        results = None
        for _ in range(100):
            results = driver.execute_script("return window.vectorResults || null;")  # type: ignore[attr-defined]
            if results is not None:
                break
            driver.execute_async_script("setTimeout(arguments[0], 50);")  # type: ignore[attr-defined]
        assert isinstance(results, list), f"harness did not finish: {results!r}"
        assert len(results) == len(VECTORS)
        failures = [
            f"{vector['expr']!r}: {problem}"
            for vector, outcome in zip(VECTORS, results, strict=True)
            if (problem := check_vector(vector, outcome)) is not None
        ]
        assert failures == []
