"""Answers that do not come from central (captive portal, 500, silence, forged receipts) mark nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.crypto import generate_signing_key, sign
from app.extensions import db
from app.models import RecordState
from app.protocol.messages import b64, make_receipt
from app.services import installation
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from app.services.sync.client import transport

PORTAL = b"<!doctype html><html><body><h1>Welcome to Border Wi-Fi</h1><form>Log in</form></body></html>"


# The station's timeout while a server keeps its request; short, since nothing can answer it.
SILENT_TIMEOUT = 0.5


@dataclass
class Hold:
    """What a server that never answers did: it got the request, and it let go only when the
    test ended (``let_go``), or after a minute if the station never gave up on its own."""

    arrived: threading.Event = field(default_factory=threading.Event)
    let_go: threading.Event = field(default_factory=threading.Event)
    gave_up: threading.Event = field(default_factory=threading.Event)  # the minute passed


@contextmanager
def fake_server(answer, hold: Hold | None = None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """answer(handler, body) -> (status, content type, bytes), or None to never answer."""
    hold = hold or Hold()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            result = answer(self, body)
            if result is None:
                hold.arrived.set()
                if not hold.let_go.wait(60):
                    hold.gave_up.set()
                return
            status, content_type, data = result
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        hold.let_go.set()
        server.shutdown()
        server.server_close()


def _forged(valid_looking_key: bytes):  # type: ignore[no-untyped-def]
    """A JSON answer claiming every record was accepted, with receipts in either version and
    no receipts statement: version 2 ones vouched for by nothing, version 1 ones signed by
    another key."""

    def receipt(n: int, record_id: str, sha256: str) -> bytes:
        made = make_receipt(record_id, sha256, "2024-01-01T00:00:00+00:00")  # the right bytes named
        if n % 2:
            made = made.replace(b'"v":2', b'"v":1')
            made += sign(valid_looking_key, made)
        return made

    def answer(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, bytes]:
        sent = json.loads(body)["records"]
        results = [{"id": item["id"], "status": "accepted", "receipt": b64(receipt(n, item["id"], item["sha256"]))}
                   for n, item in enumerate(sent)]
        return 200, "application/json", json.dumps({"results": results}).encode()

    return answer


CASES = {
    "captive portal": (lambda h, b: (200, "text/html; charset=utf-8", PORTAL), "Wi-Fi login page"),
    "portal that says JSON": (lambda h, b: (200, "application/json", b'{"status": "ok"}'),
                              "not understood"),
    "500 page": (lambda h, b: (500, "text/html", b"<h1>Internal Server Error</h1>"), "Wi-Fi login page"),
    "500 JSON": (lambda h, b: (500, "application/json", b'{"error": "boom"}'), "internal error"),
    "damaged JSON": (lambda h, b: (200, "application/json", b'{"results": [{"id'), "damaged"),
    # A portal's "no content" (central's answer to a pull with nothing new) is no push answer.
    "204 no content": (lambda h, b: (204, "text/plain", b""), "not understood"),
    "timeout": (lambda h, b: None, "did not answer in time"),
}


def _nothing_synced(station, ids: list[str]) -> None:
    recs = station.records()
    for rid in ids:
        assert recs[rid].state is RecordState.FINAL and recs[rid].receipt is None
    with station.ctx():
        assert sync_client.pending_count() == len(ids)


def test_only_central_signed_receipts_mark_records_synced(enrolled, monkeypatch):
    central, station = enrolled
    ids = station.finalised(3, name="Somchai Jaidee")
    answering_timeout = transport.TIMEOUT  # long: answers that come never depend on machine speed

    for name, (answer, words) in CASES.items():
        hold = Hold()
        silent = name == "timeout"
        monkeypatch.setattr(transport, "TIMEOUT", SILENT_TIMEOUT if silent else answering_timeout)
        with fake_server(answer, hold) as url, station.ctx():
            installation.get().central_url = url
            db.session.commit()
            with pytest.raises(SyncFailed) as caught:
                sync_client.sync()
            message = str(caught.value)
            assert words in message, name
            assert "Nothing was marked as synced" in message, name
            for noise in ("Traceback", "Errno", "<html", "boom", "Exception"):
                assert noise not in message, (name, message)
            assert installation.get().last_sync_error == message
            assert sync_client.status()["last_error"] == message
            if silent:
                # The station gave up by itself while the server held the request (the server
                # lets go only when the test ends): not a closed connection, and no race with how
                # fast this machine is (a busy server thread may read the request late).
                assert hold.arrived.wait(30) and not hold.gave_up.is_set()
        _nothing_synced(station, ids)
    monkeypatch.setattr(transport, "TIMEOUT", answering_timeout)

    # Well-formed JSON with "accepted" and receipts that central did not sign: nothing marked.
    other_key, _ = generate_signing_key()
    with fake_server(_forged(other_key)) as url, station.ctx():
        installation.get().central_url = url
        db.session.commit()
        summary = sync_client.sync(pull=False)
        assert summary.marked_synced == 0 and summary.pending_after == 3
        assert sum("receipt not valid" in p for p in summary.problems) == 3
    _nothing_synced(station, ids)
    assert central.counts()["received_records"] == 0

    # Back to the real central: everything goes, and the error is cleared.
    with station.ctx():
        installation.get().central_url = central.url
        db.session.commit()
        summary = sync_client.sync()
        assert summary.marked_synced == 3
        assert installation.get().last_sync_error is None
    assert set(central.received()) == set(ids)
