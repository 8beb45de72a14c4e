"""What the station knows about its sync: counts for ``status --json``, the last result."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Record, RecordState
from app.models.types import utcday
from app.services import installation
from app.services.records import pending_count, sync_problems


def remember(error: str | None) -> None:
    inst = installation.get()
    if error is None:
        inst.last_sync_at = utcday()  # the day only (docs/keys.md, "Every clear column")
    inst.last_sync_error = error[:300] if error else None
    db.session.commit()


def status() -> dict[str, Any]:
    inst = installation.get()
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
                   "not_accepted": sum(sync_problems().values())},
        "pending": pending_count(),
        "last_sync": inst.last_sync_at.isoformat() if inst.last_sync_at else None,
        "last_error": inst.last_sync_error,
    }
