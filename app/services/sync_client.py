"""Station side of sync: enrol with central, push the outbox, pull signed updates, USB bundles.

Only a well-formed receipt, signed by central and naming the exact envelope,
marks a record synced: a captive portal's 200 page, a 500, a timeout or a cut
connection mark nothing, and the next run simply sends again (central answers
an identical re-send with the same receipt).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import ssl
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.config import is_loopback
from app.crypto import fingerprint, generate_signing_key, key_id, sign
from app.extensions import db
from app.models import Installation, Record, RecordState
from app.models.types import utcnow
from app.protocol.messages import (
    MAX_RECORDS_PER_KNOWN,
    MAX_RECORDS_PER_PUSH,
    ProtocolError,
    b64,
    check_receipt,
    make_bundle,
    open_statement,
    request_message,
    unb64,
    vouched_receipts,
)
from app.questionnaire import DefinitionError, validate_data
from app.services import questionnaires, records
from app.services.errors import ServiceError

BATCH = MAX_RECORDS_PER_KNOWN  # records asked about per "known" request (ids and hashes only)
UPLOAD_BYTES = 3 * 1024 * 1024  # envelopes per upload request: under central's 4 MB limit
TIMEOUT = 20.0
MAX_RESPONSE = 64 * 1024 * 1024


class SyncFailed(ServiceError):
    """Sync could not complete; the message says why in plain words. Nothing was lost."""


@dataclass
class SyncSummary:
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    refused: int = 0
    marked_synced: int = 0
    pending_after: int = 0
    clock_skew_seconds: int = 0
    problems: list[str] = field(default_factory=list)


# -- HTTP -----------------------------------------------------------------------------


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SyncFailed(_l("The central address must look like https://central.example.org"))
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SyncFailed(_l("Central must be reached over https (plain http only on this computer)."))
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _connect(url: str, pin: str | None, timeout: float) -> http.client.HTTPConnection:
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


def _request(inst: Installation | None, url: str, method: str, path: str, body: bytes | None = None,
             *, sign_as: Installation | None = None, timeout: float | None = None) -> Any:
    """One signed (or, for enrolment, unsigned) exchange; the decoded JSON or SyncFailed."""
    full_path = (urlsplit(url).path.rstrip("/") + path) or "/"
    payload = body or b""
    headers = _signature_headers(sign_as, method, full_path, payload) if sign_as is not None else {}
    pin = inst.central_tls_pin if inst else None
    return _exchange(url, pin, method, full_path, payload, headers, timeout)


def _exchange(url: str, pin: str | None, method: str, full_path: str, payload: bytes,
              signature: dict[str, str], timeout: float | None = None) -> Any:
    """Move the bytes and decode the answer. No database and no keys: safe in a worker thread."""
    headers = {"Content-Type": "application/json", "Accept": "application/json", **signature}
    try:
        conn = _connect(url, pin, timeout or TIMEOUT)
        try:
            conn.request(method, full_path, body=payload if method != "GET" else None, headers=headers)
            response = conn.getresponse()
            raw = response.read(MAX_RESPONSE + 1)
        finally:
            conn.close()
    except TimeoutError:
        raise SyncFailed(_l("Central did not answer in time. Nothing was marked as synced.")) from None
    except ssl.SSLCertVerificationError:
        raise SyncFailed(_l("Central's certificate could not be verified. Nothing was sent.")) from None
    except (OSError, http.client.HTTPException):
        raise SyncFailed(_l("Central cannot be reached (no connection, or the connection was cut). "
                            "Nothing was lost; sync will try again.")) from None
    content_type = response.getheader("Content-Type", "")
    if "application/json" not in content_type or len(raw) > MAX_RESPONSE:
        raise SyncFailed(_l("The answer did not come from tip-screen central (perhaps a Wi-Fi login "
                            "page). Nothing was marked as synced."))
    try:
        data = json.loads(raw)
    except ValueError:
        raise SyncFailed(_l("Central's answer was damaged. Nothing was marked as synced.")) from None
    if response.status >= 500:
        raise SyncFailed(_l("Central had an internal error. Nothing was marked as synced; try later."))
    if response.status >= 400:
        message = data.get("message") if isinstance(data, dict) else None
        raise SyncFailed(_l("Central refused the request: %(why)s", why=str(message or response.status)))
    return data


def _signature_headers(inst: Installation, method: str, path: str, body: bytes) -> dict[str, str]:
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


# -- enrolment ---------------------------------------------------------------------------


def enrol(url: str, code: str, *, expected_fingerprint: str | None = None,
          tls_pin: str | None = None) -> str:
    """Register this station with central; returns central's key fingerprint to compare."""
    inst = records.installation()
    if inst.enrolled_at is not None:
        raise SyncFailed(_l("This station is already enrolled."))
    url = check_url(url)
    if tls_pin:
        inst.central_tls_pin = tls_pin.lower().replace(":", "")
    api_private, api_public = generate_signing_key()
    body = json.dumps({"code": code.strip(), "station_id": inst.station_id,
                       "signing_public_key": b64(inst.signing_public_key or b""),
                       "api_public_key": b64(api_public)}).encode()
    answer = _request(inst, url, "POST", "/api/v1/enrol", body)
    try:
        offered = answer.get("payload", {}).get("central_signing_public_key")
        signing_public = unb64(offered, "key", max_len=100)
        payload = open_statement(answer, signing_public)
        central_public = unb64(payload.get("central_public_key"), "central key", max_len=100)
    except (ProtocolError, AttributeError):
        db.session.rollback()
        raise SyncFailed(_l("Central's answer to the enrolment was not valid. Nothing was changed.")) \
            from None
    found = fingerprint(central_public)
    wrong_key = payload.get("central_key_id") != key_id(central_public)
    if payload.get("station_id") != inst.station_id or wrong_key:
        db.session.rollback()
        raise SyncFailed(_l("Central's answer names another station or key. Nothing was changed."))
    if expected_fingerprint and expected_fingerprint.replace(" ", "").upper() != found.replace("-", "") \
            and expected_fingerprint.upper() != found:
        db.session.rollback()
        raise SyncFailed(_l("Central's key fingerprint does not match the one you were given. "
                            "Nothing was changed."))
    inst.central_url = url
    inst.central_signing_public_key = signing_public
    inst.api_private_key = api_private
    inst.enrolled_at = utcnow()
    db.session.commit()
    records.set_central_key(central_public, key_id(central_public))
    return found


# -- push and pull ----------------------------------------------------------------------


def pending_count() -> int:
    """Finalised records central has not confirmed (sealed or still waiting for its key),
    not counting those central would not take (see records.sync_problems)."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Record).where(
        Record.state == RecordState.FINAL, Record.receipt.is_(None), Record.sync_problem.is_(None))) or 0)


def sync(progress: Callable[[int, int], None] | None = None, *, pull: bool = True) -> SyncSummary:
    """Push every sealed, unsynced record; then pull updates. Resumable at any point.

    First central is asked which records it already holds (ids and hashes only, BATCH at a
    time), then only the others are uploaded. Up to DEPTH requests are on the wire at once,
    so central checks one batch while the station prepares the next.
    """
    inst = records.installation()
    if inst.enrolled_at is None or inst.central_url is None or inst.central_signing_public_key is None:
        raise SyncFailed(_l("This station is not enrolled with a central server yet."))
    summary = SyncSummary()
    try:
        total = pending_count()  # a count, not the rows: the envelopes stay on disk
        with _InFlight(inst, summary, total, progress) as wire:
            missing: list[str] = []
            for batch in _outbox():
                sent = {row.id: row.envelope_sha256 or "" for row in batch}
                summary.sent += len(sent)
                query = json.dumps({"pending": wire.pending_after(len(sent)),
                                    "records": [{"id": rid, "sha256": sha} for rid, sha in sent.items()]})
                wire.send("/api/v1/records/known", query.encode(), sent, unknown=missing)
            wire.wait_all()  # every "unknown" is in ``missing`` now
            for chunk in _chunks(missing):
                envelopes = {rid: env for rid, env in db.session.execute(
                    sa.select(Record.id, Record.envelope).where(Record.id.in_(chunk))).tuples() if env}
                sent = {rid: wire.hashes[rid] for rid in chunk if rid in envelopes}
                body = _upload_body(wire.pending_after(len(sent)), [(rid, envelopes[rid]) for rid in sent])
                wire.send("/api/v1/records", body, sent)
        if pull:
            pull_updates(inst)
    except SyncFailed as exc:
        _remember(error=str(exc))
        raise
    summary.pending_after = pending_count()
    _remember(error=None)
    return summary


DEPTH = 2  # requests in flight; central's anti-replay window lets them arrive in either order


def _outbox() -> Iterator[Sequence[Any]]:
    """Ids, sequence numbers and hashes of the sealed, unsynced records, BATCH at a time in
    sequence order (envelopes are read later, only for what central lacks)."""
    after_seq = -1
    while True:
        batch = db.session.execute(
            sa.select(Record.id, Record.seq, Record.envelope_sha256)
            .where(records.in_outbox(), Record.seq > after_seq)
            .order_by(Record.seq).limit(BATCH)).all()
        if not batch:
            return
        after_seq = max(row.seq for row in batch)
        yield batch


class _InFlight:
    """Signed requests on the wire, at most DEPTH at once; answers are settled in the order
    sent, in this thread (worker threads only move bytes: no database, no keys). After a
    failure nothing more is sent; the answers already on their way are still settled, then
    the first error is raised."""

    def __init__(self, inst: Installation, summary: SyncSummary, total: int,
                 progress: Callable[[int, int], None] | None) -> None:
        self.inst = inst
        self.summary = summary
        self.total = total
        self.progress = progress
        self.settled = 0  # records with a final answer (synced, conflict or refused)
        self.on_wire = 0  # records in requests not yet answered
        self.hashes: dict[str, str] = {}  # every record asked about, for the uploads
        self.queue: deque[tuple[Future[Any], dict[str, str], list[str] | None]] = deque()
        self.pool = ThreadPoolExecutor(max_workers=DEPTH, thread_name_prefix="tip-sync")

    def __enter__(self) -> _InFlight:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait_all()
            elif isinstance(exc[1], SyncFailed):
                self._settle_what_arrives()
        finally:
            self.pool.shutdown(wait=True)

    def pending_after(self, count: int) -> int:
        """What will still wait once these ``count`` records and those on the wire are in
        (what central shows for this station; 0 with the last request)."""
        return max(0, self.total - self.settled - self.on_wire - count)

    def send(self, path: str, body: bytes, sent: dict[str, str], *, unknown: list[str] | None = None) -> None:
        """``unknown``: a "known" query; the ids central lacks are appended to this list."""
        while len(self.queue) >= DEPTH:
            self._settle_oldest()
        url = self.inst.central_url or ""
        full_path = urlsplit(url).path.rstrip("/") + path
        headers = _signature_headers(self.inst, "POST", full_path, body)  # here: it stores the counter
        future = self.pool.submit(_exchange, url, self.inst.central_tls_pin, "POST", full_path, body, headers)
        self.hashes.update(sent)
        self.on_wire += len(sent)
        self.queue.append((future, sent, unknown))

    def wait_all(self) -> None:
        while self.queue:
            self._settle_oldest()

    def _settle_oldest(self) -> None:
        future, sent, unknown = self.queue.popleft()
        self.on_wire -= len(sent)
        answer = future.result()  # SyncFailed from the worker: raised here
        handled = _settle(self.inst, sent, _read_results(self.inst, answer, self.summary), self.summary)
        if unknown is not None:
            unknown.extend(rid for rid in sent if rid not in handled)
        self.settled += len(handled)
        if self.progress:
            self.progress(min(self.settled, self.total), self.total)

    def _settle_what_arrives(self) -> None:
        while self.queue:
            try:
                self._settle_oldest()
            except SyncFailed:
                continue  # the first error is already on its way up


def _upload_body(pending: int, items: list[tuple[str, bytes]]) -> bytes:
    """The upload as JSON, written by hand: UUIDs and base64 never need escaping, and the
    JSON encoder would scan every 11 KB envelope string for characters to escape."""
    records_json = b",".join(b'{"id":"%s","envelope":"%s"}' % (str(uuid.UUID(rid)).encode(),
                                                                base64.b64encode(env)) for rid, env in items)
    return b'{"pending":%d,"records":[%s]}' % (pending, records_json)


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    """Upload groups under UPLOAD_BYTES (base64 grows by 4/3) and central's record limit,
    sized from the stored envelope lengths without reading the envelopes."""
    chunk: list[str] = []
    size = 0
    for start in range(0, len(ids), MAX_RECORDS_PER_KNOWN):
        part = ids[start:start + MAX_RECORDS_PER_KNOWN]
        sizes = {rid: n for rid, n in db.session.execute(
            sa.select(Record.id, sa.func.length(Record.envelope)).where(Record.id.in_(part))).tuples()}
        for rid in part:
            cost = int(sizes.get(rid) or 0) * 4 // 3 + 64
            if chunk and (size + cost > UPLOAD_BYTES or len(chunk) >= MAX_RECORDS_PER_PUSH):
                yield chunk
                chunk, size = [], 0
            chunk.append(rid)
            size += cost
    if chunk:
        yield chunk


def _read_results(inst: Installation, answer: Any, summary: SyncSummary) -> tuple[list[Any], dict[str, str]]:
    """Central's per-record results, and the receipt digests its one signature vouches for."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise SyncFailed(_l("Central's answer was not understood. Nothing was marked as synced."))
    summary.clock_skew_seconds = int(answer.get("clock_skew_seconds") or 0)
    vouched = vouched_receipts(answer.get("receipts_statement"), inst.central_signing_public_key or b"")
    return results, vouched


def _settle(inst: Installation, sent: dict[str, str], answer: tuple[list[Any], dict[str, str]],
            summary: SyncSummary) -> set[str]:
    """Count central's answers; mark synced what a valid receipt covers. Returns the ids
    central gave a final answer for ("unknown" ones still need their envelope)."""
    results, vouched = answer
    settled: list[tuple[str, str, bytes]] = []
    problems: list[tuple[str, str]] = []
    handled: set[str] = set()
    for item in results:
        if not isinstance(item, dict) or item.get("id") not in sent:
            continue
        status = item.get("status")
        record_id = str(item["id"])
        if status == "unknown":
            continue
        handled.add(record_id)
        if status in ("accepted", "duplicate"):
            summary.accepted += status == "accepted"
            summary.duplicate += status == "duplicate"
            raw = _valid_receipt(inst, record_id, sent[record_id], item.get("receipt"),
                                 vouched.get(record_id))
            if raw is not None:
                settled.append((record_id, sent[record_id], raw))
            else:
                summary.problems.append(f"{record_id}: receipt not valid")
        else:
            # Central's final "no": kept here with the reason, out of the outbox until retried.
            kind = "conflict" if status == "conflict" else "refused"
            summary.conflict += kind == "conflict"
            summary.refused += kind == "refused"
            problems.append((record_id, f"{kind}: {str(item.get('reason') or '')[:60]}"))
            summary.problems.append(f"{record_id}: {kind} ({item.get('reason')})")
    # One durable commit per answer; a crash before it only means a re-send, answered "duplicate".
    summary.marked_synced += records.record_receipts(settled, problems=problems)
    return handled


def _valid_receipt(inst: Installation, record_id: str, sha256: str, receipt_text: object,
                   vouched: str | None = None) -> bytes | None:
    """Only a receipt signed by central (itself, or vouched for by central's signed statement
    for this answer), for this record and these exact bytes, marks it synced."""
    try:
        raw = unb64(receipt_text, "receipt", max_len=4096)
        receipt = check_receipt(raw, inst.central_signing_public_key or b"", vouched=vouched)
    except ProtocolError:
        return None
    if receipt.record_id != record_id or receipt.sha256 != sha256:
        return None
    return raw


def pull_updates(inst: Installation) -> int:
    """New questionnaire versions and key updates, accepted only with central's signature."""
    answer = _request(inst, inst.central_url or "", "GET", "/api/v1/updates", sign_as=inst)
    try:
        payload = open_statement(answer, inst.central_signing_public_key or b"")
    except ProtocolError:
        raise SyncFailed(_l("Central's updates were not signed correctly. Nothing was changed.")) from None
    added = 0
    target = Path(current_app.instance_path) / "questionnaires"
    import yaml

    for item in payload.get("questionnaires", []):
        if not isinstance(item, dict) or not isinstance(item.get("yaml"), str):
            continue
        if questionnaires.get(str(item.get("id")), str(item.get("version"))) is not None:
            continue
        try:
            if validate_data(yaml.safe_load(item["yaml"])):
                continue
        except (yaml.YAMLError, DefinitionError):
            continue
        target.mkdir(parents=True, exist_ok=True)
        name = f"{item['id']}-{item['version']}.yaml".replace("/", "_")
        (target / name).write_text(item["yaml"], encoding="utf-8")
        added += 1
    if added:
        current_app.extensions.pop("tip_questionnaires", None)
    keys = payload.get("keys") or {}
    new_id = keys.get("central_key_id") if isinstance(keys, dict) else None
    if new_id and new_id != inst.central_key_id:
        public = unb64(keys.get("central_public_key"), "central key", max_len=100)
        if key_id(public) == keys.get("central_key_id"):
            records.set_central_key(public, key_id(public))
    return added


def _remember(error: str | None) -> None:
    inst = records.installation()
    if error is None:
        inst.last_sync_at = utcnow()
    inst.last_sync_error = error[:300] if error else None
    db.session.commit()


# -- USB bundles ------------------------------------------------------------------------


def export_bundle(path: Path | None = None) -> tuple[bytes, int]:
    """Every sealed, unsynced envelope in one file signed by this station."""
    inst = records.installation()
    if inst.api_private_key is None or inst.station_id is None:
        raise SyncFailed(_l("This station is not enrolled with a central server yet."))
    items = [(r.id, r.envelope) for r in records.outbox() if r.envelope is not None]
    data = make_bundle(inst.station_id, datetime.now(UTC).isoformat(timespec="seconds"),
                       [(rid, env) for rid, env in items if env is not None], inst.api_private_key)
    if path is not None:
        path.write_bytes(data)
    return data, len(items)


def status() -> dict[str, Any]:
    inst = records.installation()
    rows = db.session.execute(sa.select(Record.state, sa.func.count()).group_by(Record.state)).all()
    counts: dict[RecordState, int] = {state: int(n) for state, n in rows}
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Record).where(
        Record.state == RecordState.FINAL, Record.envelope.is_(None))) or 0
    return {
        "role": "station",
        "enrolled": inst.enrolled_at is not None,
        "counts": {"draft": int(counts.get(RecordState.DRAFT, 0)),
                   "final": int(counts.get(RecordState.FINAL, 0)),
                   "waiting_for_key": int(waiting),
                   "synced": int(counts.get(RecordState.SYNCED, 0)),
                   "not_accepted": sum(records.sync_problems().values())},
        "pending": pending_count(),
        "last_sync": inst.last_sync_at.isoformat() if inst.last_sync_at else None,
        "last_error": inst.last_sync_error,
    }
