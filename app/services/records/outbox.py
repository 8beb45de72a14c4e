"""The outbox: sealed records waiting for central, receipts, and what central would not take."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from app.extensions import db
from app.models import Record, RecordState
from app.models.types import day_of
from app.protocol.messages import receipt_day
from app.protocol.problems import Problem, stored_problem
from app.services.records.retention import central_now, purge_expired


def in_outbox() -> sa.ColumnElement[bool]:
    """Sealed, not yet confirmed by central, and not refused by it: what a sync sends."""
    return sa.and_(Record.state == RecordState.FINAL, Record.envelope.is_not(None), Record.receipt.is_(None),
                   Record.sync_problem.is_(None))


def outbox(limit: int | None = None) -> list[Record]:
    query = sa.select(Record).where(in_outbox()).order_by(Record.seq)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def record_receipt(record_id: str, envelope_sha256: str, receipt: bytes,
                   at: datetime | None = None) -> bool:
    """Mark synced, only for the exact envelope the receipt names."""
    return record_receipts([(record_id, envelope_sha256, receipt, receipt_day(receipt))], at) == 1


def record_receipts(receipts: Sequence[tuple[str, str, bytes, date | None]], at: datetime | None = None,
                    problems: Sequence[tuple[str, str]] = ()) -> int:
    """Mark a batch synced in one durable commit: (record id, envelope sha256, receipt, the
    day central signed into it) each, only for the exact envelope each receipt names. The
    day comes from the caller, who read the receipt when checking it (reading it again here
    cost a second JSON parse per record). ``problems``: (record id, central's problem as
    ``Problem.stored``) for records central will not take, kept here but out of the outbox.
    ``receipt_at`` is that day (central's clock, not this laptop's); ``at`` (else this clock
    corrected by central's offset) only for bytes that carry none. Right after the commit,
    those of these records whose retention has passed (every one, with
    ``retention_days = 0``) are shredded: nothing waits for a login.
    Returns how many were marked synced."""
    if not receipts and not problems:
        return 0
    table = Record.__table__
    marked = 0
    if receipts:
        statement = (table.update()
                     .where(table.c.id == sa.bindparam("rid"), table.c.envelope_sha256 == sa.bindparam("sha"),
                            table.c.state == RecordState.FINAL.value)
                     .values(state=RecordState.SYNCED.value, receipt=sa.bindparam("raw"),
                             receipt_at=sa.bindparam("at"), sync_problem=None))
        fallback = day_of(at or central_now())
        result = db.session.connection().execute(statement, [
            {"rid": rid, "sha": sha, "raw": raw,
             "at": datetime.combine(day, time(), UTC) if day else fallback}
            for rid, sha, raw, day in receipts])
        marked = int(result.rowcount)  # executemany: the total over every receipt
    if problems:
        statement = (table.update()
                     .where(table.c.id == sa.bindparam("rid"), table.c.state == RecordState.FINAL.value,
                            table.c.receipt.is_(None))
                     .values(sync_problem=sa.bindparam("why")))
        db.session.connection().execute(statement, [{"rid": rid, "why": why[:80]} for rid, why in problems])
    db.session.commit()
    if marked:
        # Only these records: a look at every synced one reads past each row's ciphertext and
        # envelope (to receipt_at), after every answer. What else expires is shredded at the
        # end of each sync, by the timer and after a login.
        purge_expired(ids=[rid for rid, _sha, _raw, _day in receipts])
    return marked


def sync_problems() -> dict[Problem, int]:
    """How many records central would not take, by problem (the Sync page). Rows stored by
    older versions read as the same problems (``stored_problem``)."""
    rows = db.session.execute(sa.select(Record.sync_problem, sa.func.count()).where(
        Record.state == RecordState.FINAL, Record.sync_problem.is_not(None)).group_by(Record.sync_problem))
    counts: dict[Problem, int] = {}
    for stored, n in rows.tuples():
        problem = stored_problem(str(stored))
        counts[problem] = counts.get(problem, 0) + int(n)
    return counts


def retry_sync_problems() -> int:
    """Put the records central would not take back in the outbox (the next sync asks again)."""
    result = db.session.execute(sa.update(Record).where(Record.sync_problem.is_not(None))
                                .values(sync_problem=None).execution_options(synchronize_session=False))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_count() -> int:
    """Finalised records central has not confirmed (sealed or still waiting for its key),
    not counting those central would not take (see :func:`sync_problems`)."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Record).where(
        Record.state == RecordState.FINAL, Record.receipt.is_(None), Record.sync_problem.is_(None))) or 0)
