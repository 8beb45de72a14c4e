"""Station: sync with central in the background, every ``sync_interval_seconds``.

Started by run.py (never by create_app, so tests, the CLI and other WSGI
servers get no stray thread). Each round, if the station is enrolled and has
records waiting (or has not pulled updates for an interval), it calls
:func:`push.sync` inside an app context. After a failure it waits
longer (interval x 2^failures, at most an hour, but never less than the
interval); a success resets that. The thread never dies of an error and logs
only the error's type: messages can quote addresses and data.

Rounds are spread in time so that stations do not all call central at once: the first
round after a start comes at a random moment within the first interval (a power cut ends
for a whole province at once), and the waits after failures (the link is back: a
reconnect) are jittered too. When central is busy (503 with Retry-After, after the push
waited what it could) the next round comes when central asked, plus jitter, and the
failure count does not grow: a busy central is not a failure.

Syncs from this thread and from the Sync page share one lock, so the signed
request counter always reaches central in order.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app

from app.models.types import utcnow
from app.services import installation
from app.services.errors import CentralBusy
from app.services.records import pending_count
from app.services.sync.client import push

MAX_BACKOFF_SECONDS = 3600.0
FIRST_ROUND_MIN_SECONDS = 5.0  # the app is up and serving before the first round
_random = secrets.SystemRandom()
EXTENSION = "tip_background_sync"

log = logging.getLogger("tip_screen.background_sync")

# One sync at a time in this process (the background thread or the Sync page).
SYNC_LOCK = threading.Lock()


def next_delay(interval: float, failures: int) -> float:
    """Seconds until the next round: the interval, doubled per failure in a row, capped at an hour."""
    if interval <= 0:
        raise ValueError("interval must be positive")
    if failures <= 0:
        return float(interval)
    cap = max(float(interval), MAX_BACKOFF_SECONDS)
    # 2**failures grows without bound; stop doubling once past the cap.
    return min(float(interval) * 2.0 ** min(failures, 32), cap)


def first_delay(interval: float) -> float:
    """Seconds until the first round after a start: anywhere in the first interval."""
    low = min(FIRST_ROUND_MIN_SECONDS, float(interval))
    return _random.uniform(low, max(low, float(interval)))


def spread(delay: float) -> float:
    """A wait after failures, jittered to between half and all of it."""
    return _random.uniform(delay / 2, delay)


def is_due(*, enrolled: bool, pending: int, last_sync_at: datetime | None, now: datetime,
           interval: float) -> bool:
    """Worth a round: enrolled, and records are waiting or updates were last pulled an interval ago."""
    if not enrolled:
        return False
    if pending > 0 or last_sync_at is None:
        return True
    return now - last_sync_at >= timedelta(seconds=interval)


@dataclass
class SyncState:
    """What the Sync page shows about the background thread (no data, only times and counts)."""

    interval: float
    failures: int = 0
    last_attempt_at: datetime | None = None
    last_error_type: str | None = None
    # When this thread last synced: kept here, in memory, because the database keeps only the
    # day (installation.last_sync_at); None after a start, so the first round is due.
    last_success_at: datetime | None = None
    next_at: datetime | None = None
    # Central was busy: the next round comes then (push.busy_delay after its Retry-After).
    busy_until: datetime | None = None
    rounds: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)


class BackgroundSync(threading.Thread):
    def __init__(self, app: Flask, interval: float) -> None:
        super().__init__(name="tip-background-sync", daemon=True)
        self.app = app
        self.state = SyncState(interval=float(interval))

    def stop(self) -> None:
        self.state._stop.set()

    def run(self) -> None:
        state = self.state
        delay = first_delay(state.interval)
        while True:
            state.next_at = utcnow() + timedelta(seconds=delay)
            if state._stop.wait(delay):
                return
            self.round()
            delay = self.next_wait()

    def next_wait(self) -> float:
        """Seconds until the next round, after this one."""
        state = self.state
        if state.busy_until is not None:
            return max(1.0, (state.busy_until - utcnow()).total_seconds())
        if state.failures:
            return spread(next_delay(state.interval, state.failures))
        return state.interval

    def round(self) -> bool | None:
        """One round; True synced, False failed, None nothing to do. Never raises."""
        state = self.state
        state.rounds += 1
        state.busy_until = None
        try:
            with self.app.app_context():
                return self._round()
        except CentralBusy as exc:
            state.busy_until = exc.at
            log.info("background sync: central is busy; next try at %s", exc.at)
            return False
        except Exception as exc:  # noqa: BLE001 - the thread must outlive any error
            state.failures += 1
            state.last_error_type = type(exc).__name__
            log.warning("background sync failed (%s); next try in %.0f s", type(exc).__name__,
                        next_delay(state.interval, state.failures))
            return False

    def _round(self) -> bool | None:
        inst = installation.get()
        if not is_due(enrolled=inst.enrolled_at is not None, pending=pending_count(),
                      last_sync_at=self.state.last_success_at, now=utcnow(), interval=self.state.interval):
            return None
        self.state.last_attempt_at = utcnow()
        summary = run_sync(wait=False)
        if summary is None:
            return None  # someone is syncing from the Sync page right now
        self.state.failures = 0
        self.state.last_error_type = None
        self.state.last_success_at = utcnow()
        if summary.problems:
            log.info("background sync: %d sent, %d marked synced, %d not settled",
                     summary.sent, summary.marked_synced, len(summary.problems))
        return True


def run_sync(*, wait: bool = True, timeout: float = 120.0,
             busy_wait: float = push.BUSY_WAIT_SECONDS) -> push.SyncSummary | None:
    """``push.sync()`` under the process-wide lock; None if another sync holds it."""
    acquired = SYNC_LOCK.acquire(timeout=timeout) if wait else SYNC_LOCK.acquire(blocking=False)
    if not acquired:
        return None
    try:
        return push.sync(busy_wait=busy_wait)
    finally:
        SYNC_LOCK.release()



def start(app: Flask) -> BackgroundSync | None:
    """Start the thread if this is a station with ``sync_interval_seconds > 0``."""
    config = app.config["TIP"]
    if config.role != "station" or config.sync_interval_seconds <= 0:
        return None
    existing: BackgroundSync | None = app.extensions.get(EXTENSION)
    if existing is not None and existing.is_alive():
        return existing
    worker = BackgroundSync(app, config.sync_interval_seconds)
    app.extensions[EXTENSION] = worker
    worker.start()
    log.info("background sync every %d s", config.sync_interval_seconds)
    return worker


def state() -> SyncState | None:
    """The running thread's state for the current app, if it runs."""
    worker: BackgroundSync | None = current_app.extensions.get(EXTENSION)
    return worker.state if worker is not None and worker.is_alive() else None
