"""Housekeeping on a timer: what must happen while the server runs, logged in or not.

Every ``SWEEP_SECONDS`` (30) one round does, each part on its own (one failing
never stops the other):

- ``accounts.sessions.sweep``: sessions idle past the timeout, or locked, lose their
  row, their wrapped key (central) or their key in memory (station);
- on a station, ``records.follow_clock``: if the laptop's clock was set since the last
  round, the offset to central's clock moves with it (docs/sync.md, "Clocks");
- on a station, ``records.purge_expired``: synced records whose retention has passed
  are shredded (key wrap and ciphertext deleted, WAL checkpointed). It needs no key,
  so nobody has to log in for it.

Started by run.py's serving process and by each gunicorn worker (app/gunicorn_conf.py),
never by create_app (so tests, the CLI and other WSGI servers get no stray thread);
tests call :func:`sweep_round` with the ``now`` they need. The thread never dies of an
error and logs only the error's type.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from app.services import records
from app.services.accounts import sessions
from app.services.accounts.keyring import SWEEP_SECONDS

EXTENSION = "tip_housekeeping"

log = logging.getLogger("tip_screen.housekeeping")


@dataclass(frozen=True)
class Swept:
    """What one round did (counts only); None for a part that failed."""

    sessions_ended: int | None
    records_shredded: int | None


def _part(name: str, job: Callable[[], int]) -> int | None:
    try:
        return job()
    except Exception as exc:  # noqa: BLE001 - the other part and the thread must go on
        log.warning("housekeeping: %s failed (%s)", name, type(exc).__name__)
        return None


def sweep_round(app: Flask, now: datetime | None = None) -> Swept:
    """One round, in an app context of its own. Never raises."""
    station = app.config["TIP"].role == "station"
    with app.app_context():
        ended = _part("session sweep", lambda: sessions.sweep(now))
    if not station:
        return Swept(ended, 0)
    with app.app_context():
        if now is None:  # a round for a given time (tests) has no clock to follow
            _part("clock", records.follow_clock)
        shredded = _part("retention", lambda: records.purge_expired(now))
    return Swept(ended, shredded)


class Housekeeper(threading.Thread):
    def __init__(self, app: Flask, every: float = SWEEP_SECONDS) -> None:
        super().__init__(name="tip-housekeeping", daemon=True)
        self.app = app
        self.every = every
        self.rounds = 0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            self.round()

    def round(self, now: datetime | None = None) -> Swept:
        self.rounds += 1
        return sweep_round(self.app, now)


def start(app: Flask) -> Housekeeper:
    """Start the timer for this app (station or central), once."""
    existing: Housekeeper | None = app.extensions.get(EXTENSION)
    if existing is not None and existing.is_alive():
        return existing
    worker = Housekeeper(app)
    app.extensions[EXTENSION] = worker
    worker.start()
    log.info("housekeeping every %d s", SWEEP_SECONDS)
    return worker
