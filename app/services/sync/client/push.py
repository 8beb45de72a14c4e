"""Station side of the push: ask central what it holds, upload the rest, settle the receipts.

Only a well-formed receipt, signed by central and naming the exact envelope,
marks a record synced: a captive portal's 200 page, a 500, a timeout or a cut
connection mark nothing, and the next run simply sends again (central answers
an identical re-send with the same receipt).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError
from app.extensions import db
from app.models import Installation, Record
from app.models.types import utcnow
from app.protocol.identity import answer_key
from app.protocol.messages import (
    MAX_RECORDS_PER_KNOWN,
    MAX_RECORDS_PER_PUSH,
    ProtocolError,
    Receipt,
    check_receipt,
    unb64,
    vouched_receipts,
)
from app.protocol.problems import Problem, Result, record_problem
from app.protocol.wire import CONTENT_TYPE as UPLOAD_TYPE
from app.protocol.wire import ITEM_OVERHEAD, encode_records
from app.services import installation
from app.services.errors import CentralBusy, LinkTimedOut, SyncFailed
from app.services.records import central_now, in_outbox, pending_count, purge_expired, record_receipts
from app.services.sync.client.pull import pull_updates
from app.services.sync.client.report import remember, remember_busy
from app.services.sync.client.sizing import Link
from app.services.sync.client.transport import exchange, signature_headers

log = logging.getLogger(__name__)

BATCH = MAX_RECORDS_PER_KNOWN  # at most this many records asked about per "known" request
KNOWN_ENTRY_BYTES = 90  # one {"id", "sha256"} of a "known" request, for sizing it to the link
OUTBOX_READ = 10_000  # outbox rows read per query (ids and hashes: about 3 MB in memory)
DEPTH = 2  # requests in flight; central's anti-replay window lets them arrive in either order
RETRIES = 3  # timeouts in a row, with nothing settled in between, before a sync gives up
# Central busy (503 with Retry-After): a sync waits what central asks plus a random second
# and up to this share of it again, so stations told the same second do not come back in the
# same instant (central's answers are already spread: each is a later turn, so a large
# share would leave turns unused); it waits at most BUSY_WAIT_SECONDS in all, then hands the
# rest to the next round.
BUSY_JITTER = 0.1
BUSY_WAIT_SECONDS = 600.0

_random = secrets.SystemRandom()


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
    problems: list[str] = field(default_factory=list)  # one line per record not settled, for logs
    not_accepted: list[tuple[str, Problem]] = field(default_factory=list)  # central's final "no"s
    bad_receipts: list[str] = field(default_factory=list)  # record ids: still pending
    busy: int = 0  # times central said it was busy and this sync waited
    busy_seconds: float = 0.0  # how long it waited in all


def busy_delay(retry_after: float) -> float:
    """Seconds to wait after central asked for ``retry_after``: that, plus jitter."""
    return retry_after + _random.uniform(0.0, 1.0 + BUSY_JITTER * retry_after)


def sync(progress: Callable[[int, int], None] | None = None, *, pull: bool = True,
         busy_wait: float = BUSY_WAIT_SECONDS) -> SyncSummary:
    """Push every sealed, unsynced record; then pull updates. Resumable at any point.

    When central is busy the push waits as it asks (busy_delay) and goes on with what is
    still in the outbox, for at most ``busy_wait`` seconds in all; after that CentralBusy
    says when this station means to try again (``at``). That is not an error: it is not
    remembered as the last problem.

    First central is asked which records it already holds (ids and hashes only), then only
    the others are uploaded; every request is sized to the link as measured (sizing.Link).
    Up to DEPTH requests are on the wire at once, so central checks one batch while the
    station prepares the next.
    """
    inst = installation.get()
    if inst.enrolled_at is None or inst.central_url is None or inst.central_signing_public_key is None:
        raise SyncFailed(_l("This station is not enrolled with a central server yet."))
    summary = SyncSummary()
    link = Link()  # measured afresh each sync: the laptop may be on another link than last time
    try:
        try:
            _push_until_done(inst, summary, link, progress, busy_wait)
        finally:  # counts only, for whoever looks into a slow link
            log.info("sync link: %.0f bytes/s measured, largest exchange %d bytes, %d timeouts",
                     link.rate, link.largest, link.timeouts)
        # Each answer shredded its own records if their retention had passed; any other
        # synced record whose retention passed meanwhile goes now (one look at every row).
        purge_expired()
        if pull:
            pull_updates(inst)
    except CentralBusy:
        remember_busy()
        raise
    except SyncFailed as exc:
        remember(error=str(exc))
        raise
    summary.pending_after = pending_count()
    remember(error=None)
    return summary


def _push_until_done(inst: Installation, summary: SyncSummary, link: Link,
                     progress: Callable[[int, int], None] | None, busy_wait: float) -> None:
    """Push; after a timeout (the link shrank its requests), or once a busy central's wait
    is over, push again what is still in the outbox. Whatever central answered stays
    settled: each answer was committed as it came."""
    stalled = 0
    lacking: set[str] = set()  # ids central said it lacks: sent again without asking again
    while True:
        settled_before = summary.marked_synced + summary.conflict + summary.refused
        try:
            _push(inst, summary, link, progress, lacking)
            return
        except LinkTimedOut:
            progressed = summary.marked_synced + summary.conflict + summary.refused > settled_before
            stalled = 0 if progressed else stalled + 1
            if stalled >= RETRIES:
                raise
        except CentralBusy as exc:
            delay = busy_delay(exc.retry_after)
            if summary.busy_seconds + delay > busy_wait:
                exc.at = utcnow() + timedelta(seconds=delay)
                raise
            summary.busy += 1
            summary.busy_seconds += delay
            db.session.commit()  # no read transaction held open while waiting
            time.sleep(delay)  # what central asked for (and jitter), then on with the outbox


def _push(inst: Installation, summary: SyncSummary, link: Link,
          progress: Callable[[int, int], None] | None, lacking: set[str]) -> None:
    """``lacking``: what central said it lacks earlier in this sync (before a wait or a
    timeout); those go straight to the uploads, and this push adds the ones it learns."""
    total = pending_count()  # a count, not the rows: the envelopes stay on disk
    missing: list[str] = []
    try:
        with _InFlight(inst, summary, total, progress, link) as wire:
            for batch in _outbox(link):
                sent = {row.id: row.envelope_sha256 or "" for row in batch}
                summary.sent += len(sent)
                lacked = {rid: sha for rid, sha in sent.items() if rid in lacking}
                missing.extend(lacked)
                wire.hashes.update(lacked)
                ask = {rid: sha for rid, sha in sent.items() if rid not in lacked}
                if ask:
                    query = json.dumps({"pending": wire.pending_after(len(ask)),
                                        "records": [{"id": rid, "sha256": sha} for rid, sha in ask.items()]})
                    wire.send("/api/v1/records/known", query.encode(), ask, unknown=missing)
            wire.wait_all()  # every "unknown" is in ``missing`` now
            _upload(wire, missing, link)
    finally:
        lacking.update(missing)


def _upload(wire: _InFlight, missing: list[str], link: Link) -> None:
    for chunk in _chunks(missing, link):
        envelopes = {rid: env for rid, env in db.session.execute(
            sa.select(Record.id, Record.envelope).where(Record.id.in_(chunk))).tuples() if env}
        sent = {rid: wire.hashes[rid] for rid in chunk if rid in envelopes}
        # The envelopes' raw bytes in one frame (app/protocol/wire.py), no base64.
        body = encode_records(wire.pending_after(len(sent)), [(rid, envelopes[rid]) for rid in sent])
        wire.send("/api/v1/records", body, sent, content_type=UPLOAD_TYPE)


def _outbox(link: Link) -> Iterator[Sequence[Any]]:
    """Ids, sequence numbers and hashes of the sealed, unsynced records in sequence order, as
    many per request as the link carries (at most BATCH); envelopes are read later, only for
    what central lacks.

    They are read OUTBOX_READ at a time, not one query per request: each query walks every
    unsynced row (there is no index on seq) and reads past its envelope, so a query per
    request made a re-send's reading grow with the square of the outbox. Records sealed
    during the sync come with the next read."""
    after_seq = -1
    while True:
        rows = db.session.execute(
            sa.select(Record.id, Record.seq, Record.envelope_sha256)
            .where(in_outbox(), Record.seq > after_seq)
            .order_by(Record.seq).limit(OUTBOX_READ)).all()
        if not rows:
            return
        after_seq = rows[-1].seq
        start = 0
        while start < len(rows):
            limit = max(1, min(BATCH, link.request_bytes() // KNOWN_ENTRY_BYTES))
            yield rows[start:start + limit]
            start += limit


class _InFlight:
    """Signed requests on the wire, at most DEPTH at once; answers are settled in the order
    sent, in this thread (worker threads only move bytes: no database, no keys). After a
    failure nothing more is sent; the answers already on their way are still settled, then
    the first error is raised."""

    def __init__(self, inst: Installation, summary: SyncSummary, total: int,
                 progress: Callable[[int, int], None] | None, link: Link) -> None:
        self.inst = inst
        self.link = link
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

    def send(self, path: str, body: bytes, sent: dict[str, str], *, unknown: list[str] | None = None,
             content_type: str = "application/json") -> None:
        """``unknown``: a "known" query; the ids central lacks are appended to this list."""
        while len(self.queue) >= DEPTH:
            self._settle_oldest()
        url = self.inst.central_url or ""
        full_path = urlsplit(url).path.rstrip("/") + path
        headers = signature_headers(self.inst, "POST", full_path, body)  # here: it stores the counter
        future = self.pool.submit(exchange, url, self.inst.central_tls_pin, "POST", full_path, body, headers,
                                  link=self.link, content_type=content_type)
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


def _chunks(ids: list[str], link: Link) -> Iterator[list[str]]:
    """Upload groups of about what the link carries in one request (frame bytes; at least
    one record) and within central's record limit, sized from the stored envelope lengths
    without reading the envelopes. The size is read again for every group."""
    chunk: list[str] = []
    size = 0
    for start in range(0, len(ids), MAX_RECORDS_PER_KNOWN):
        part = ids[start:start + MAX_RECORDS_PER_KNOWN]
        sizes = {rid: n for rid, n in db.session.execute(
            sa.select(Record.id, sa.func.length(Record.envelope)).where(Record.id.in_(part))).tuples()}
        for rid in part:
            cost = int(sizes.get(rid) or 0) + ITEM_OVERHEAD
            if chunk and (size + cost > link.request_bytes() or len(chunk) >= MAX_RECORDS_PER_PUSH):
                yield chunk
                chunk, size = [], 0
            chunk.append(rid)
            size += cost
    if chunk:
        yield chunk


def _read_results(inst: Installation, answer: Any, summary: SyncSummary
                  ) -> tuple[list[Any], dict[str, str], bytes]:
    """Central's per-record results, the receipt digests its one signature vouches for, and
    the key receipts are checked with (the answering host's, certified by central's identity)."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise SyncFailed(_l("Central's answer was not understood. Nothing was marked as synced."))
    summary.clock_skew_seconds = max(-2**31 + 1, min(2**31 - 1, int(answer.get("clock_skew_seconds") or 0)))
    # Central's clock minus this one's: kept (committed with the receipts), so retention and
    # the host certificate's expiry are judged by central's time (records.central_now).
    inst.clock_offset_seconds = summary.clock_skew_seconds
    statement = answer.get("receipts_statement")
    try:  # the receipts are signed by a central host whose certificate the identity key signed
        key = answer_key(statement, inst.central_signing_public_key or b"", central_now())
    except (ProtocolError, CryptoError):
        return results, {}, b""
    return results, vouched_receipts(statement, key), key


def _settle(inst: Installation, sent: dict[str, str], answer: tuple[list[Any], dict[str, str], bytes],
            summary: SyncSummary) -> set[str]:
    """Count central's answers; mark synced what a valid receipt covers. Returns the ids
    central gave a final answer for (UNKNOWN ones still need their envelope)."""
    results, vouched, key = answer
    settled: list[tuple[str, str, bytes, date | None]] = []
    problems: list[tuple[str, str]] = []
    handled: set[str] = set()
    for item in results:
        if not isinstance(item, dict) or item.get("id") not in sent:
            continue
        status = Result.read(item.get("status"))
        record_id = str(item["id"])
        if status is Result.UNKNOWN:
            continue
        handled.add(record_id)
        if status.has_receipt:
            summary.accepted += status is Result.ACCEPTED
            summary.duplicate += status is Result.DUPLICATE
            receipt = _valid_receipt(key, record_id, sent[record_id], item.get("receipt"),
                                     vouched.get(record_id))
            if receipt is not None:  # its day as read here: the receipt is parsed once
                settled.append((record_id, sent[record_id], receipt.raw, receipt.day))
            else:
                summary.problems.append(f"{record_id}: receipt not valid")
                summary.bad_receipts.append(record_id)
        else:
            # Central's final "no": kept here with the problem, out of the outbox until retried.
            problem = record_problem(status, item.get("problem"), item.get("reason"))
            summary.conflict += status is Result.CONFLICT
            summary.refused += status is Result.REFUSED
            problems.append((record_id, problem.stored))
            summary.not_accepted.append((record_id, problem))
            summary.problems.append(f"{record_id}: {status} ({problem.name}, {problem.code})")
    # One durable commit per answer; a crash before it only means a re-send, answered "duplicate".
    summary.marked_synced += record_receipts(settled, problems=problems)
    return handled


def _valid_receipt(central_key: bytes, record_id: str, sha256: str, receipt_text: object,
                   vouched: str | None = None) -> Receipt | None:
    """Only a receipt signed by central (itself, or vouched for by central's signed statement
    for this answer), for this record and these exact bytes, marks it synced."""
    try:
        raw = unb64(receipt_text, "receipt", max_len=4096)
        receipt = check_receipt(raw, central_key, vouched=vouched)
    except ProtocolError:
        return None
    if receipt.record_id != record_id or receipt.sha256 != sha256:
        return None
    return receipt
