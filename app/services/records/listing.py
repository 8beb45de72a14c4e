"""The officer's list of screenings: metadata, plus the summary line of each readable body."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.crypto import KeySet
from app.extensions import db
from app.models import Record, RecordState, User
from app.protocol import body as record_body
from app.services.errors import RecordDamaged
from app.services.records.store import plaintext


class ListState(enum.StrEnum):
    """What the list shows and filters by: a record's state, with the final records that still
    wait for central's key (the station is not enrolled yet) told apart."""

    DRAFT = RecordState.DRAFT.value
    FINAL = RecordState.FINAL.value
    WAITING = "waiting"
    SYNCED = RecordState.SYNCED.value


@dataclass(frozen=True)
class Summary:
    id: str
    seq: int
    state: RecordState
    waiting: bool  # final, not yet sealed to central (station not enrolled)
    created_day: str
    name: str
    tier: str | None
    flags: tuple[str, ...]
    respondent_lang: str | None
    readable: bool
    damaged: bool = False  # unreadable because changed outside tip-screen (not handed over)

    @property
    def is_draft(self) -> bool:
        return self.state is RecordState.DRAFT

    @property
    def shown(self) -> ListState:
        return ListState.WAITING if self.waiting else ListState(self.state.value)


def list_for(user: User, keys: KeySet, *, state: ListState | None = None,
             since: date | None = None, until: date | None = None) -> list[Summary]:
    query = sa.select(Record).where(Record.created_by == user.id)
    if state is ListState.WAITING:
        query = query.where(Record.state == RecordState.FINAL, Record.envelope.is_(None))
    elif state is not None:
        query = query.where(Record.state == RecordState(state.value))
    if since:
        query = query.where(Record.created_day >= since.isoformat())
    if until:
        query = query.where(Record.created_day <= until.isoformat())
    out = []
    for rec in db.session.scalars(query.order_by(Record.seq.desc())):
        out.append(_summary(rec, keys))
    return out


def _summary(rec: Record, keys: KeySet) -> Summary:
    waiting = rec.state is RecordState.FINAL and rec.envelope is None
    base: dict[str, Any] = {"id": rec.id, "seq": rec.seq, "state": rec.state, "waiting": waiting,
            "created_day": rec.created_day}
    if rec.local_wrap is None:
        return Summary(**base, name="", tier=None, flags=(), respondent_lang=None, readable=False)
    try:
        # Only the body's summary line is decoded: listing stays fast with many records.
        summary = record_body.decode_summary(plaintext(rec, keys)[1])
    except (RecordDamaged, record_body.BodyError):
        return Summary(**base, name="", tier=None, flags=(), respondent_lang=None, readable=False,
                       damaged=True)
    return Summary(**base, name=str(summary.get("name") or ""), tier=summary.get("tier"),
                   flags=tuple(summary.get("flags") or ()),
                   respondent_lang=summary.get("respondent_lang"), readable=True)
