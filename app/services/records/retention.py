"""Retention: after a receipt and the retention window, a record becomes unreadable here.

Shredding needs no key (it only empties columns), so it never waits for a login:
it runs right after receipts are recorded (:func:`records.outbox.record_receipts`),
from the housekeeping timer while the server runs (:mod:`app.services.housekeeping`),
and after each login. ``secure_delete`` is on for every SQLite connection
(``app/extensions.py``), so the freed bytes are zeroed; a ``TRUNCATE`` checkpoint
then folds the WAL into the main file and empties it, so the old pages leave the
log too. A checkpoint that readers kept from finishing is owed and tried again at
the next call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Installation, Record, RecordState
from app.models.types import utcnow

# app.extensions key: True while a checkpoint after a shred could not finish.
CHECKPOINT_OWED = "tip_checkpoint_owed"


def central_now(now: datetime | None = None) -> datetime:
    """This laptop's clock (or ``now``, a reading of it) moved by the offset central measured
    at the last sync: central's time, as near as the station knows it. A clock that was far
    off neither shreds early nor keeps records readable longer (docs/sync.md, "Clocks")."""
    offset = db.session.scalar(sa.select(Installation.clock_offset_seconds).limit(1))
    return (now or utcnow()) + timedelta(seconds=int(offset or 0))


def purge_expired(now: datetime | None = None) -> int:
    """After receipt + retention, delete the local key wrap and ciphertext: unreadable here.

    The receipt day is central's (signed into the receipt), and the time it is compared with
    is this clock corrected by central's offset (:func:`central_now`). Returns how many
    records were shredded. Needs no key and no login."""
    days = current_app.config["TIP"].retention_days
    # receipt_at keeps only the day (midnight UTC), so the window is counted from the end of
    # that day: a record stays readable here at least ``days`` full days, at most one more.
    # 0 means at once.
    cutoff = central_now(now) - timedelta(days=days + 1 if days else 0)
    result = db.session.execute(
        sa.update(Record).where(Record.state == RecordState.SYNCED, Record.receipt_at <= cutoff,
                                Record.local_wrap.is_not(None))
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
