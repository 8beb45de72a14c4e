"""Retention: after a receipt and the retention window, a record becomes unreadable here."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Record, RecordState
from app.models.types import utcnow


def purge_expired(now: datetime | None = None) -> int:
    """After receipt + retention, delete the local key wrap and ciphertext: unreadable here."""
    days = current_app.config["TIP"].retention_days
    # receipt_at keeps only the day (midnight UTC), so the window is counted from the end of
    # that day: a record stays readable here at least ``days`` full days, at most one more.
    # 0 means at once.
    cutoff = (now or utcnow()) - timedelta(days=days + 1 if days else 0)
    result = db.session.execute(
        sa.update(Record).where(Record.state == RecordState.SYNCED, Record.receipt_at <= cutoff,
                                Record.local_wrap.is_not(None))
        .values(local_wrap=None, body=None, envelope=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        checkpoint()
    return count


def checkpoint() -> None:
    """Fold the WAL into the main file so deleted bytes leave the log too (secure_delete is on)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
