"""Retention: after a receipt and the retention window, a record becomes unreadable here.

Shredding needs no key (it only empties columns), so it never waits for a login:
it runs right after receipts are recorded (:func:`records.outbox.record_receipts`, for
those records), at the end of each sync, from the housekeeping timer while the server
runs (:mod:`app.services.housekeeping`), and after each login. ``secure_delete`` is on
for every SQLite connection (``app/extensions.py``), so the freed bytes are zeroed; a
``TRUNCATE`` checkpoint then folds the WAL into the main file and empties it, so the old
pages leave the log too. A checkpoint that readers kept from finishing is owed and tried again at
the next call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Installation, Record, RecordState
from app.models.types import utcnow

# app.extensions key: True while a checkpoint after a shred could not finish.
CHECKPOINT_OWED = "tip_checkpoint_owed"
# app.extensions key: (this clock, the clock since boot, the offset) at the timer's last look.
CLOCK_SEEN = "tip_clock_seen"
# A change of the clock larger than central's flag limit is someone (or NTP) setting it.
CLOCK_SET_ABOVE = 600
MAX_OFFSET = 2**31 - 1


def central_now(now: datetime | None = None) -> datetime:
    """This laptop's clock (or ``now``, a reading of it) moved by the offset central measured
    at the last sync: central's time, as near as the station knows it. A clock that was far
    off neither shreds early nor keeps records readable longer (docs/sync.md, "Clocks")."""
    return (now or utcnow()) + timedelta(seconds=_stored_offset())


def _stored_offset() -> int:
    return int(db.session.scalar(sa.select(Installation.clock_offset_seconds).limit(1)) or 0)


def _since_boot() -> float:
    """Seconds since boot, sleep included, whatever the wall clock does (Linux: CLOCK_BOOTTIME;
    elsewhere time.monotonic, which on Windows counts sleep too)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


def follow_clock() -> int:
    """The housekeeping timer's look at the clock: when this laptop's clock is set between two
    syncs (by hand, or by NTP once online), move the stored offset by the same amount, so
    :func:`central_now` stays central's time (a clock two years behind, set right, then shreds
    nothing early). Returns the change in seconds (0: none). A sync that measured the offset
    since the last look wins: its figure already counts the change."""
    wall, since_boot = utcnow().timestamp(), _since_boot()
    offset = _stored_offset()
    seen = current_app.extensions.get(CLOCK_SEEN)
    current_app.extensions[CLOCK_SEEN] = (wall, since_boot, offset)
    if seen is None or seen[2] != offset:
        return 0
    change = round((wall - seen[0]) - (since_boot - seen[1]))
    if abs(change) <= CLOCK_SET_ABOVE:
        return 0
    moved = max(-MAX_OFFSET, min(MAX_OFFSET, offset - change))
    moved = 0 if abs(moved) <= CLOCK_SET_ABOVE else moved  # right, as central would say it
    db.session.execute(sa.update(Installation).where(Installation.clock_offset_seconds == offset)
                       .values(clock_offset_seconds=moved))
    db.session.commit()
    current_app.extensions[CLOCK_SEEN] = (wall, since_boot, moved)
    return change


def purge_expired(now: datetime | None = None, ids: Sequence[str] | None = None) -> int:
    """After receipt + retention, delete the local key wrap and ciphertext: unreadable here.

    The receipt day is central's (signed into the receipt), and the time it is compared with
    is this clock corrected by central's offset (:func:`central_now`). ``ids``: look at
    these records only (those whose receipts were just recorded), not every synced one.
    Returns how many records were shredded. Needs no key and no login."""
    days = current_app.config["TIP"].retention_days
    # receipt_at keeps only the day (midnight UTC), so the window is counted from the end of
    # that day: a record stays readable here at least ``days`` full days, at most one more.
    # 0 means at once.
    cutoff = central_now(now) - timedelta(days=days + 1 if days else 0)
    expired = sa.and_(Record.state == RecordState.SYNCED, Record.receipt_at <= cutoff,
                      Record.local_wrap.is_not(None))
    if ids is not None:
        expired = sa.and_(Record.id.in_(ids), expired)
    result = db.session.execute(
        sa.update(Record).where(expired)
        .values(local_wrap=None, body=None, envelope=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count or current_app.extensions.get(CHECKPOINT_OWED):
        current_app.extensions[CHECKPOINT_OWED] = not checkpoint()
    return count


def checkpoint() -> bool:
    """Fold the WAL into the main file and truncate it, so deleted bytes leave the log too
    (secure_delete is on). False if a reader kept it from finishing (try again later)."""
    if db.engine.dialect.name != "sqlite":
        return True
    with db.engine.connect() as conn:
        busy, log_frames, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    # (0, 0, 0) after TRUNCATE: nothing blocked, and the log is empty.
    return bool(busy == 0 and log_frames in (0, done))
