"""Central's audit log: append-only and hash-chained, so an edit, a removal or a reordering shows.

Each entry's ``hash`` is SHA-256 over the previous entry's hash followed by the
canonical JSON of the entry's own fields (id, time, user, action, record id,
detail); the first entry's ``prev_hash`` is 64 zeros. :func:`verify_chain`
walks the log in id order and names the first entry that does not fit.

Appends are serialised so the chain never forks, even with several workers:
each entry takes the next id after the last one (the primary key refuses a
second entry with the same id, and the loser retries on the new last entry),
and on PostgreSQL a transaction-scoped advisory lock makes appenders queue
instead of retrying. What a hash chain cannot show on its own: the newest
entries cut off at the end (compare the count with an earlier export).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEntry
from app.models.types import utcnow
from app.services.errors import AuditFailed

GENESIS = "0" * 64
MAX_DETAIL = 200
MAX_ATTEMPTS = 20
# Any constant will do: it names "the audit log" among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x7469_7061_7564  # "tipaud"

OPEN = "open"
IMPORT = "import"
ENROL_CODE = "enrol_code"
REVOKE = "revoke"
KEY_ROTATED = "key_rotate"  # a new record key for central (same name and value as main)
KEY_RING = "key_ring"  # central's keys moved from the legacy layout into custodians' slots
HOST_CERTIFY = "host_certify"  # a host's service signing key certified by the identity key




def _at_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, *, id: int, at: datetime, username: str, action: str,
               record_id: str | None, detail: str) -> str:
    fields = {"id": id, "at": _at_text(at), "username": username, "action": action,
              "record_id": record_id, "detail": detail}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _hash_of(entry: Any) -> str:
    return entry_hash(entry.prev_hash, id=entry.id, at=entry.at, username=entry.username,
                      action=entry.action, record_id=entry.record_id, detail=entry.detail)


def _serialise_appends() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def record(username: str, action: str, record_id: str | None = None, detail: str = "") -> AuditEntry:
    """Append one entry and commit it (with anything else pending in this session).

    Raises :class:`AuditFailed` if the entry could not be written: the caller
    must then not do or show what was to be recorded.
    """
    detail = detail[:MAX_DETAIL]
    for _attempt in range(MAX_ATTEMPTS):
        try:
            _serialise_appends()
            last = db.session.execute(
                sa.select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
            next_id, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            at = utcnow()
            entry = AuditEntry(id=next_id, at=at, username=username[:64], action=action[:32],
                               record_id=record_id, detail=detail, prev_hash=prev)
            entry.hash = entry_hash(prev, id=next_id, at=at, username=entry.username,
                                    action=entry.action, record_id=record_id, detail=detail)
            db.session.add(entry)
            db.session.commit()
            return entry
        except IntegrityError:
            # Another worker appended meanwhile: chain onto its entry instead.
            db.session.rollback()
    raise AuditFailed("the audit log is too busy; nothing was recorded")


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    first_bad_id: int | None
    entries: int


_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.username, AuditEntry.action, AuditEntry.record_id,
            AuditEntry.detail, AuditEntry.prev_hash, AuditEntry.hash)


def _walk(page: int = 1000) -> Iterator[Any]:
    """Every entry in id order as plain rows, a page at a time (no ORM objects kept, no cursor left open)."""
    after = None
    while True:
        query = sa.select(*_COLUMNS).order_by(AuditEntry.id).limit(page)
        if after is not None:
            query = query.where(AuditEntry.id > after)
        rows = db.session.execute(query).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id


def check_chain() -> ChainCheck:
    prev = GENESIS
    count = 0
    for entry in _walk():
        count += 1
        if entry.prev_hash != prev or entry.hash != _hash_of(entry):
            return ChainCheck(False, entry.id, count)
        prev = entry.hash
    return ChainCheck(True, None, count)


def verify_chain() -> tuple[bool, int | None]:
    """(True, None) if every entry links to the one before; else (False, first entry that does not)."""
    result = check_chain()
    return result.ok, result.first_bad_id


def entries(limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    """The newest entries first (a page of at most ``limit``)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))
