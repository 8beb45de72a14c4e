"""Central: admission control for uploads, so that a burst of stations is answered at once.

At most ``ingest_slots`` uploads are checked and stored at the same time across all of
central (every worker of every web host), and at most ``ingest_slots_per_worker`` in one
worker process. An upload beyond either bound is answered straight away with 503.1 (busy)
and ``Retry-After``; the station waits that long plus jitter and sends again what is still
in its outbox (docs/sync.md, "When central is busy").

- Across workers: PostgreSQL advisory locks, one per slot, taken with
  ``pg_try_advisory_xact_lock`` in a transaction of a connection of its own, which is held
  for the upload and rolled back after it. A transaction's locks end with it, so a slot is
  given back on every path: an answer, an exception, a worker killed mid-request (its
  connection closes). On SQLite (a station, or a development central) there is one
  process, so the per-worker bound is the bound.
- In a worker: a semaphore, tried first, so a worker whose threads are all busy does not
  reach for the database at all.

``Retry-After`` comes from an appointment book kept by each worker: every refusal books
the next free turn of this worker's slots (the time an upload takes here, measured, over
the slots), so a burst of refusals is told to come back spread over the time the worker
needs to serve them, not all at the same second.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any

import sqlalchemy as sa
from flask import current_app, request

from app.extensions import db
from app.protocol import problems
from app.services.errors import Refused

LOCK_CLASS = 0x7473  # "ts": the first key of every ingest slot's advisory lock
MIN_RETRY_SECONDS = 1
MAX_RETRY_SECONDS = 120
START_SECONDS = 0.25  # what one upload is taken to cost before any was measured here
SMOOTHING = 0.2  # weight of the newest upload's time

_TRY_SLOT = sa.text("SELECT slot FROM generate_series(0, :slots - 1) AS slot "
                    "WHERE pg_try_advisory_xact_lock(:lock_class, slot) LIMIT 1")


class Overloaded(Refused):
    """All ingest slots are taken: 503.1 with ``Retry-After: retry_after`` (seconds)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(problems.BUSY)
        self.retry_after = retry_after


class _Worker:
    """This process's share: its semaphore, its measured upload time, its appointment book."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.free = threading.BoundedSemaphore(slots)
        self.lock = threading.Lock()
        self.upload_seconds = START_SECONDS
        self.next_turn = 0.0  # monotonic time of the next turn not yet promised

    def measured(self, seconds: float) -> None:
        with self.lock:
            self.upload_seconds = SMOOTHING * seconds + (1 - SMOOTHING) * self.upload_seconds

    def appointment(self) -> int:
        """Seconds until a turn nobody was promised yet, and book it."""
        with self.lock:
            now = monotonic()
            self.next_turn = max(self.next_turn, now) + self.upload_seconds / self.slots
            wait = self.next_turn - now
        return max(MIN_RETRY_SECONDS, min(MAX_RETRY_SECONDS, math.ceil(wait)))


_workers: dict[int, _Worker] = {}
_workers_lock = threading.Lock()


def _worker(slots: int) -> _Worker:
    with _workers_lock:  # one per bound (tests run several apps in one process)
        found = _workers.get(slots)
        if found is None:
            found = _workers[slots] = _Worker(slots)
        return found


@contextmanager
def slot() -> Iterator[None]:
    """Hold one ingest slot for the block, or raise Overloaded at once."""
    config = current_app.config["TIP"]
    worker = _worker(config.ingest_slots_per_worker)
    if not worker.free.acquire(blocking=False):
        raise Overloaded(worker.appointment())
    started = monotonic()
    try:
        with _shared_slot(config.ingest_slots) as held:
            if not held:
                raise Overloaded(worker.appointment())
            yield
        worker.measured(monotonic() - started)
    finally:
        worker.free.release()


@contextmanager
def _shared_slot(slots: int) -> Iterator[bool]:
    """One of central's ``slots`` advisory locks for the block (True), or False if all are
    held. SQLite has no other process to share with: always True there."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as conn:  # its own connection: the request's commits do not end it
        try:
            got = conn.execute(_TRY_SLOT, {"slots": slots, "lock_class": LOCK_CLASS}).scalar()
            yield got is not None
        finally:
            conn.rollback()  # ends the transaction, and with it the lock


def admitted(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route whose work counts against the ingest bound. Put it above ``@station_signed``:
    a refused upload costs no signature check and no database write. The body is read
    before the refusal: a client still sending it would otherwise see a reset connection,
    not the 503."""

    @functools.wraps(view)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        try:
            with slot():
                return view(*args, **kwargs)
        except Overloaded:
            request.get_data(cache=False)  # within MAX_CONTENT_LENGTH, as for any request
            raise

    return bounded
