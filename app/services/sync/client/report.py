"""What the station knows about its sync: counts for ``status --json``, the last result."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.extensions import db
from app.models import Record, RecordState
from app.models.types import utcday
from app.services import health, installation, referrals
from app.services.records import pending_count, sync_problems
from app.services.records.retention import CLOCK_SET_ABOVE


def remember(error: str | None) -> None:
    inst = installation.get()
    if error is None:
        inst.last_sync_at = utcday()  # the day only (docs/keys.md, "Every clear column")
    inst.last_sync_error = error[:300] if error else None
    db.session.commit()


def remember_busy() -> None:
    """Central answered, busy: not a problem to show, so an earlier one is cleared too (the
    day of the last successful sync stays what it was)."""
    inst = installation.get()
    inst.last_sync_error = None
    db.session.commit()


def clock_advice(offset_seconds: int) -> str | None:
    """The clock warning in plain words (how far, which way, what to do), or None when
    central found this clock right (within its 10-minute limit)."""
    if abs(offset_seconds) <= CLOCK_SET_ABOVE:
        return None
    amount = _amount(abs(offset_seconds))
    if offset_seconds > 0:  # central is ahead: this clock is behind
        text = _l("This laptop's clock is %(amount)s behind central's.", amount=amount)
    else:
        text = _l("This laptop's clock is %(amount)s ahead of central's.", amount=amount)
    return f"{text} " + str(_l("Set the right date and time on this laptop. Until then, records are "
                               "kept and shredded by central's time."))


def _amount(seconds: int) -> str:
    if seconds >= 2 * 86400:
        return str(ngettext("%(num)d day", "%(num)d days", seconds // 86400))
    if seconds >= 2 * 3600:
        return str(ngettext("%(num)d hour", "%(num)d hours", seconds // 3600))
    return str(ngettext("%(num)d minute", "%(num)d minutes", max(1, seconds // 60)))


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
        "disk": health.disk(),
        "clock_offset_seconds": inst.clock_offset_seconds,
        "clock_message": clock_advice(inst.clock_offset_seconds),
        "directory_version": referrals.held_version(),
    }
