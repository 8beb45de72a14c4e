"""Station to central over HTTP(S): the connection, TLS pinning, signed request headers.

The transport moves bytes and decodes JSON answers; it knows nothing of records or the
push protocol. Every failure becomes :class:`SyncFailed` with a plain message; a 4xx
answer carries central's numbered problem, shown in this station's language.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import ssl
import time
from collections.abc import Iterator
from time import monotonic  # apart from time.time: tests move the station's clock
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.config import is_loopback
from app.crypto import sign
from app.extensions import db
from app.models import Installation
from app.protocol.messages import b64, request_message
from app.protocol.problems import BUSY, by_code
from app.services.errors import CentralBusy, LinkTimedOut, SyncFailed
from app.services.sync.client.sizing import Link
from app.services.sync.problems import TEXTS

TIMEOUT = 20.0  # connecting, and the longest wait for any one read or write
CHUNK = 16 * 1024  # bytes written or read between looks at the exchange's deadline
MAX_RESPONSE = 64 * 1024 * 1024
BUSY_DEFAULT_SECONDS = 5.0  # a busy answer that does not say how long to wait
BUSY_MAX_SECONDS = 3600.0  # longer is not believed


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SyncFailed(_l("The central address must look like https://central.example.org"))
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SyncFailed(_l("Central must be reached over https (plain http only on this computer)."))
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def connect(url: str, pin: str | None, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http":
        return http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    context = ssl.create_default_context()
    if pin:
        # A self-signed central: trust exactly this certificate (by SHA-256), nothing else.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(host, parts.port or 443, timeout=timeout, context=context)
    if pin:
        conn.connect()
        sock = conn.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        if not der or hashlib.sha256(der).hexdigest() != pin.lower().replace(":", ""):
            conn.close()
            raise SyncFailed(_l("Central's certificate does not match the pinned fingerprint."))
    return conn


def request(inst: Installation | None, url: str, method: str, path: str, body: bytes | None = None,
             *, sign_as: Installation | None = None, timeout: float | None = None) -> Any:
    """One signed (or, for enrolment, unsigned) exchange; the decoded JSON or SyncFailed."""
    full_path = (urlsplit(url).path.rstrip("/") + path) or "/"
    payload = body or b""
    headers = signature_headers(sign_as, method, full_path, payload) if sign_as is not None else {}
    pin = inst.central_tls_pin if inst else None
    return exchange(url, pin, method, full_path, payload, headers, timeout)


def exchange(url: str, pin: str | None, method: str, full_path: str, payload: bytes,
              signature: dict[str, str], timeout: float | None = None, *, link: Link | None = None,
              content_type: str = "application/json") -> Any:
    """Move the bytes and decode the answer (None for 204, nothing new). No database and
    no keys: safe in a worker thread.

    The whole exchange must finish within ``link``'s budget for its bytes (each answer byte
    earns more time), and no single read or write may wait longer than ``timeout``. What
    it measured goes back into ``link``, which a timeout shrinks."""
    link = link or Link()
    headers = {"Content-Type": content_type, "Accept": "application/json", **signature}
    started = monotonic()
    try:
        conn = connect(url, pin, timeout or TIMEOUT)
        try:
            response, raw = _talk(conn, method, full_path, payload, headers, link, started)
        finally:
            conn.close()
    except TimeoutError:
        link.timed_out(len(payload), monotonic() - started)
        raise LinkTimedOut(_l("Central did not answer in time. Nothing was marked as synced.")) from None
    except ssl.SSLCertVerificationError as exc:
        raise certificate_refused(exc) from None
    except (OSError, http.client.HTTPException):
        raise SyncFailed(_l("Central cannot be reached (no connection, or the connection was cut). "
                            "Nothing was lost; sync will try again.")) from None
    link.finished(len(payload) + len(raw), monotonic() - started)
    if response.status == 503:
        busy = busy_answer(response.getheader("Retry-After"), response.getheader("Content-Type", ""), raw)
        if busy is not None:
            raise busy
    if response.status == 204 and not raw:
        return None  # callers that expect an answer treat None as one not understood
    if "application/json" not in response.getheader("Content-Type", "") or len(raw) > MAX_RESPONSE:
        raise SyncFailed(_l("The answer did not come from tip-screen central (perhaps a Wi-Fi login "
                            "page). Nothing was marked as synced."))
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise SyncFailed(_l("Central's answer was damaged. Nothing was marked as synced.")) from None
    if response.status >= 500:
        raise SyncFailed(_l("Central had an internal error. Nothing was marked as synced; try later."))
    if response.status >= 400:
        raise refusal(response.status, data)
    return data


def _talk(conn: http.client.HTTPConnection, method: str, path: str, payload: bytes,
          headers: dict[str, str], link: Link, started: float) -> tuple[http.client.HTTPResponse, bytes]:
    """One request and its answer, CHUNK bytes at a time, each wait cut to what is left of
    the budget: a socket timeout alone would let a 3 MB upload crawl on for ever."""
    deadline = started + link.budget(len(payload))
    stall = conn.timeout if isinstance(conn.timeout, (int, float)) else TIMEOUT

    def wait_at_most() -> None:
        left = deadline - monotonic()
        if left <= 0:
            raise TimeoutError
        if conn.sock is not None:
            conn.sock.settimeout(min(stall, left))

    def body() -> Iterator[bytes]:
        for start in range(0, len(payload), CHUNK):
            wait_at_most()
            yield payload[start:start + CHUNK]

    # With Content-Length given, http.client sends the chunks as they are (not chunked).
    sent = body() if method != "GET" else None
    conn.request(method, path, body=sent, headers={**headers, "Content-Length": str(len(payload))}
                 if method != "GET" else headers)
    wait_at_most()
    response = conn.getresponse()
    parts: list[bytes] = []
    size = 0
    while size <= MAX_RESPONSE:
        wait_at_most()
        part = response.read(CHUNK)
        if not part:
            break
        parts.append(part)
        size += len(part)
        deadline += link.earned(len(part))
    return response, b"".join(parts)


# OpenSSL's verify results for a certificate outside its validity window by this clock.
_NOT_YET_VALID, _EXPIRED = 9, 10


def certificate_refused(exc: ssl.SSLCertVerificationError) -> SyncFailed:
    """A refused certificate; when only the dates are wrong, the clock is named: a laptop
    years off sees every certificate as not yet valid or expired."""
    if exc.verify_code not in (_NOT_YET_VALID, _EXPIRED):
        return SyncFailed(_l("Central's certificate could not be verified. Nothing was sent."))
    now = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time()))
    if exc.verify_code == _NOT_YET_VALID:
        return SyncFailed(_l("Central's certificate is not valid yet by this laptop's clock (%(now)s UTC): "
                             "the clock is probably behind. Set the right date and time on this laptop, "
                             "then sync again. Nothing was sent.", now=now))
    return SyncFailed(_l("Central's certificate has expired by this laptop's clock (%(now)s UTC). If that "
                         "date is wrong, set the right date and time on this laptop and sync again; if it "
                         "is right, tell central's administrator the certificate must be renewed. "
                         "Nothing was sent.", now=now))


def busy_answer(retry_after: str | None, content_type: str, raw: bytes) -> CentralBusy | None:
    """A 503 that means "come back later": central's busy problem (503.1), or any 503 with
    Retry-After (a load balancer in front of central); None for another 503."""
    problem = None
    if "application/json" in content_type:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            data = None
        problem = by_code(data.get("code")) if isinstance(data, dict) else None
    if problem is not BUSY and retry_after is None:
        return None
    try:
        seconds = float(retry_after or "")
    except ValueError:
        seconds = BUSY_DEFAULT_SECONDS  # absent, or an HTTP date: this station's own guess
    if not math.isfinite(seconds):
        seconds = BUSY_DEFAULT_SECONDS
    seconds = max(1.0, min(BUSY_MAX_SECONDS, seconds))
    return CentralBusy(_l("Central is busy. Nothing was lost; this station sends the rest later."),
                       BUSY, seconds, stated=retry_after is not None)


def refusal(status: int, data: object) -> SyncFailed:
    """Central's 4xx answer as an error: its problem in this station's words when the code
    is one this station knows, else the message central sent."""
    answer = data if isinstance(data, dict) else {}
    problem = by_code(answer.get("code"))
    text = TEXTS.get(problem) if problem is not None else None
    why = text if text is not None else answer.get("message") or status
    return SyncFailed(_l("Central refused the request: %(why)s", why=str(why)), problem)


def signature_headers(inst: Installation, method: str, path: str, body: bytes) -> dict[str, str]:
    if inst.api_private_key is None or inst.station_id is None:
        raise SyncFailed(_l("This station is not enrolled with a central server yet."))
    # The counter is stored before the request goes out, so it never repeats after a crash.
    counter = db.session.execute(
        sa.update(Installation).values(request_counter=Installation.request_counter + 1)
        .returning(Installation.request_counter)).scalar_one()
    db.session.commit()
    timestamp = int(time.time())
    message = request_message(method, path, inst.station_id, int(counter), timestamp, body)
    return {"X-TS-Station": inst.station_id, "X-TS-Counter": str(counter),
            "X-TS-Timestamp": str(timestamp), "X-TS-Signature": b64(sign(inst.api_private_key, message))}
