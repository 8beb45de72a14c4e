"""Central: each received record's de-identified facts, in ``record_facts`` (docs/analytics.md).

At ingest the facts are opened with this host's copy of central's facts key, with no one
logged in, checked against the questionnaire's declared facts, and stored with the record
in one transaction. A record whose facts could not be read that way (sealed before central
had a facts key, or on a host that lacks it) gets them from the *rebuild*: a custodian's
key opens the record and the facts are derived from it, with one audit entry per run.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.crypto import CryptoError, Envelope, EnvelopeError, open_envelope, open_facts, parse_envelope
from app.extensions import db
from app.models import Installation, ReceivedRecord, RecordFacts
from app.models.types import utcnow
from app.protocol import body as record_body
from app.protocol.messages import canonical
from app.questionnaire.facts import check_facts, derive_facts
from app.services import questionnaires
from app.services.central import audit
from app.services.central import host as central_host
from app.services.central import keys as central_keys

log = logging.getLogger(__name__)

INGEST = "ingest"
REBUILD = "rebuild"
REBUILD_BATCH = 200


class HostFactsKeys:
    """This host's facts keys, read once per ingest batch (the file, not the database)."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}

    def get(self, ident: str) -> bytes | None:
        if ident not in self._keys:
            self._keys[ident] = central_host.facts_private(ident)
        return self._keys[ident]


def _row(record_id: str, station_id: str, envelope: Envelope, facts: Mapping[str, object], source: str,
         now: datetime) -> dict[str, object]:
    header = envelope.header
    return dict(record_id=record_id, station_id=station_id, created_day=header.created_day,
                questionnaire_id=header.questionnaire_id,
                questionnaire_version=header.questionnaire_version,
                facts=canonical(facts).decode(), source=source, indexed_at=now)


def at_ingest(record_id: str, station_id: str, envelope: Envelope, keys: HostFactsKeys,
              now: datetime) -> dict[str, object] | None:
    """The record_facts row for a verified envelope, or None (no facts, no key here, or facts
    that do not check: the record is still stored; the rebuild can add them later)."""
    if envelope.sealed_facts is None or envelope.facts_key_id is None:
        return None
    private = keys.get(envelope.facts_key_id)
    header = envelope.header
    definition = questionnaires.get(header.questionnaire_id, header.questionnaire_version)
    if private is None or definition is None:
        log.warning("record %s: facts left for the rebuild (%s)", record_id,
                    "this host lacks facts key " + envelope.facts_key_id if private is None
                    else "questionnaire version unknown here")
        return None
    try:
        facts = check_facts(definition, json.loads(open_facts(envelope, private)))
    except (EnvelopeError, ValueError) as exc:  # json errors are ValueErrors too
        log.warning("record %s: facts not indexed: %s", record_id, str(exc)[:120])
        return None
    return _row(record_id, station_id, envelope, facts, INGEST, now)


def forget(record_id: str) -> None:
    """A record deleted at central loses its facts; every worker's index reloads."""
    db.session.execute(sa.delete(RecordFacts).where(RecordFacts.record_id == record_id))
    db.session.execute(sa.update(Installation).values(facts_generation=Installation.facts_generation + 1))


def progress() -> tuple[int, int]:
    """(received records with facts, received records not deleted)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord)
                              .where(ReceivedRecord.deleted_at.is_(None)))
    done = db.session.scalar(sa.select(sa.func.count()).select_from(RecordFacts))
    return int(done or 0), int(total or 0)


def missing(limit: int) -> list[ReceivedRecord]:
    """Received, not deleted, still without facts: what the rebuild works on."""
    return list(db.session.scalars(
        sa.select(ReceivedRecord)
        .outerjoin(RecordFacts, RecordFacts.record_id == ReceivedRecord.id)
        .where(RecordFacts.id.is_(None), ReceivedRecord.deleted_at.is_(None),
               ReceivedRecord.envelope.is_not(None))
        .order_by(ReceivedRecord.received_at, ReceivedRecord.id).limit(limit)))


def rebuild(custody: bytes, *, username: str,
            report: Callable[[int, int], None] | None = None) -> int:
    """Facts for every record that lacks them, derived from the record opened with the
    custody key. One audit entry before anything is decrypted; returns how many were added.
    Safe beside another worker doing the same: a row already there is skipped."""
    done, total = progress()
    if done >= total:
        return 0
    audit.record(username, audit.FACTS_REBUILD, detail=f"{total - done} records without facts")
    added = 0
    skipped: set[str] = set()
    while True:
        batch = [rec for rec in missing(REBUILD_BATCH + len(skipped)) if rec.id not in skipped]
        if not batch:
            break
        rows = []
        for rec in batch:
            row = _derived(rec, custody)
            if row is None:
                skipped.add(rec.id)  # damaged or of an unknown version: left as it is
            else:
                rows.append(row)
        added += _insert(rows)
        if report is not None:
            report(*progress())
    return added


def start_rebuild(custody: bytes, *, username: str) -> threading.Thread | None:
    """After a custodian's login: the rebuild in a background thread, if any record lacks
    facts (the page shows :func:`progress`). None when there is nothing to do."""
    done, total = progress()
    if done >= total:
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                rebuild(custody, username=username)
            except Exception:  # noqa: BLE001 - a background job logs, the next login retries
                log.exception("facts rebuild stopped")
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="facts-rebuild", daemon=True)
    thread.start()
    return thread


def _derived(rec: ReceivedRecord, custody: bytes) -> dict[str, object] | None:
    try:
        envelope = parse_envelope(rec.envelope or b"")
        record_key = central_keys.record_private(custody, envelope.header.central_key_id or "")
        definition = questionnaires.get(rec.questionnaire_id, rec.questionnaire_version)
        if record_key is None or definition is None:
            return None
        body = record_body.decode(open_envelope(envelope, record_key))
        facts = check_facts(definition, derive_facts(definition, body))
    except (CryptoError, ValueError):
        log.warning("record %s: facts could not be derived", rec.id)
        return None
    return _row(rec.id, rec.station_id, envelope, facts, REBUILD, utcnow())


def _insert(rows: Iterable[dict[str, object]]) -> int:
    """Insert what is not there yet (another worker may be rebuilding the same records)."""
    rows = list(rows)
    if not rows:
        return 0
    have = set(db.session.scalars(sa.select(RecordFacts.record_id)
                                  .where(RecordFacts.record_id.in_([r["record_id"] for r in rows]))))
    fresh = [r for r in rows if r["record_id"] not in have]
    if fresh:
        try:
            db.session.execute(sa.insert(RecordFacts), fresh)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            return 0  # the other worker won this batch; the loop asks again
    return len(fresh)
