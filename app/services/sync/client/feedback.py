"""Station side of the referral feedback: central's pull answer says what became of the
referrals of this station's own records (record id, organisation id, status, time; no
personal data), and the records list shows it ("referred to X: accepted on ...")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Record, ReferralFeedback
from app.services import referrals

STATUSES = ("referred", "accepted", "declined", "service_given", "closed")


def referrals_seen() -> int:
    """The highest change number taken: central sends only later ones."""
    return int(db.session.scalar(sa.select(sa.func.max(ReferralFeedback.change))) or 0)


def _item(item: object) -> ReferralFeedback | None:
    """One status as central sent it, if it is well formed and for one of this station's records."""
    if not isinstance(item, dict):
        return None
    ids = [item.get(k) for k in ("referral_id", "record_id", "organisation_id")]
    status, change, at = item.get("status"), item.get("change"), item.get("at")
    if not all(isinstance(i, str) and 0 < len(i) <= 40 for i in ids) or status not in STATUSES \
            or not isinstance(change, int) or isinstance(change, bool) or change < 1 \
            or not isinstance(at, str):
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    if db.session.get(Record, ids[1]) is None:
        return None
    return ReferralFeedback(referral_id=ids[0], record_id=ids[1], organisation_id=ids[2], status=status,
                            at=when if when.tzinfo else when.replace(tzinfo=UTC), change=change)


def take_statuses(items: object) -> int:
    """Keep the newest status of each referral (no commit: the pull's). Returns how many."""
    if not isinstance(items, list):
        return 0
    taken = 0
    for item in items[:500]:
        row = _item(item)
        if row is None:
            continue
        held = db.session.get(ReferralFeedback, row.referral_id)
        if held is not None and held.change >= row.change:
            continue
        if held is not None and held.record_id != row.record_id:
            continue  # a referral never moves to another record
        db.session.merge(row)
        taken += 1
    return taken


@dataclass(frozen=True)
class Feedback:
    organisation: str  # the organisation's name in the reader's language (its id if unknown)
    status: str
    at: datetime


def for_records(record_ids: list[str], lang: str) -> dict[str, list[Feedback]]:
    if not record_ids:
        return {}
    held = referrals.newest()
    names = {o.id: o.name.get(lang) for o in (held.organisations if held else ())}
    rows = db.session.scalars(sa.select(ReferralFeedback).where(ReferralFeedback.record_id.in_(record_ids))
                              .order_by(ReferralFeedback.change)).all()
    found: dict[str, list[Feedback]] = {}
    for row in rows:
        found.setdefault(row.record_id, []).append(
            Feedback(names.get(row.organisation_id, row.organisation_id), row.status, row.at))
    return found


