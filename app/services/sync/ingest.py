"""Central: take in sealed, station-signed envelopes (from the API or a USB bundle).

The station chose each record's UUID; central stores it under a unique key.
Same id and same bytes: a no-op success with the same receipt. Same id,
other bytes: a conflict, the original kept. A record central deleted: refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.crypto import BadSignature, Envelope, EnvelopeError, parse_envelope, verify_envelope
from app.extensions import db
from app.models import ReceivedRecord, RecordFacts, Station
from app.models.types import utcnow
from app.protocol import problems
from app.protocol.messages import (
    ProtocolError,
    make_receipt,
    open_statement,
    read_bundle_header,
    unb64,
)
from app.protocol.messages import receipts_statement as messages_receipts_statement
from app.protocol.problems import Problem, Result
from app.services.central import enrolment
from app.services.central import facts as central_facts
from app.services.central import host as central_host
from app.services.central import keys as central_keys
from app.services.errors import ValidationFailed
from app.services.sync import station_errors


@dataclass(frozen=True)
class ItemResult:
    id: str
    status: Result
    problem: Problem | None = None  # why, for a conflict or a refusal
    receipt: bytes | None = None
    detail: str | None = None  # English, for logs: what was wrong with the envelope


def ingest(station: Station, items: list[tuple[str, bytes]]) -> list[ItemResult]:
    known_keys = central_keys.record_key_ids()
    results: dict[str, ItemResult] = {}
    fresh: dict[str, tuple[bytes, Envelope]] = {}
    existing = _held([rid for rid, _ in items])
    earlier: list[tuple[bytes, datetime]] | None = None  # the station's key history, read if needed
    for record_id, blob in items:
        if record_id in results or record_id in fresh:
            continue  # the same id twice in one batch: the first one counts
        old = existing.get(record_id)
        if (old is not None and old.station_id == station.id and old.deleted_at is None
                and old.envelope_sha256 == hashlib.sha256(blob).hexdigest()):
            # The very bytes this station sent before, verified then: same answer, same receipt.
            results[record_id] = ItemResult(record_id, Result.DUPLICATE, None, old.receipt)
            continue
        try:
            envelope = parse_envelope(blob)
            if str(envelope.record_id) != record_id:
                raise EnvelopeError("the envelope names another record id")
            if envelope.header.station_id != station.id:
                raise EnvelopeError("the envelope belongs to another station")
            try:
                verify_envelope(envelope, station.signing_public_key)
            except BadSignature:
                if earlier is None:
                    earlier = enrolment.signing_keys(station.id)
                verify_earlier(envelope, earlier, created_by_replacement=True)
            if envelope.header.central_key_id not in known_keys:
                raise EnvelopeError("sealed to a key this central does not hold")
        except BadSignature:
            results[record_id] = ItemResult(record_id, Result.REFUSED, problems.ENVELOPE_SIGNATURE)
            continue
        except EnvelopeError as exc:
            results[record_id] = ItemResult(record_id, Result.REFUSED, problems.BAD_ENVELOPE,
                                            detail=str(exc.reason)[:200])
            continue
        fresh[record_id] = (blob, envelope)
    if fresh:
        # A host that cannot sign the receipts statement stores nothing (503.2, HostNotCertified).
        central_host.signer_and_certificate()
        now = utcnow()
        new_rows = []
        facts_rows: dict[str, dict[str, object]] = {}
        facts_keys = central_facts.HostFactsKeys()
        for record_id, (blob, envelope) in fresh.items():
            old = existing.get(record_id)
            sha = envelope.sha256
            if old is not None:
                results[record_id] = _against(old, sha)
                continue
            # The receipt is kept in clear on the station: it names the day of receipt only.
            # The answer's one receipts statement vouches for it (receipts_statement).
            receipt = make_receipt(record_id, sha, now.astimezone(UTC).date().isoformat())
            header = envelope.header
            new_rows.append(dict(
                id=record_id, station_id=station.id, seq=header.seq,
                questionnaire_id=header.questionnaire_id,
                questionnaire_version=header.questionnaire_version,
                central_key_id=header.central_key_id, created_day=header.created_day,
                envelope=blob, envelope_sha256=sha, receipt=receipt, received_at=now))
            facts = central_facts.at_ingest(record_id, station.id, envelope, facts_keys, now)
            if facts is not None:
                facts_rows[record_id] = facts
            results[record_id] = ItemResult(record_id, Result.ACCEPTED, None, receipt)
        if new_rows:
            try:
                _bulk_insert(ReceivedRecord.__table__, new_rows)
                if facts_rows:  # in the same transaction: a record and its facts, or neither
                    _bulk_insert(RecordFacts.__table__, list(facts_rows.values()))
                db.session.commit()
            except IntegrityError:
                # Another worker stored some of these meanwhile: settle them one by one.
                db.session.rollback()
                for row in new_rows:
                    results[str(row["id"])] = _insert_one(row, facts_rows.get(str(row["id"])))
    answer = [results[rid] for rid, _ in items if rid in results]
    station_errors.note_results(station.id, [(r.status, r.problem) for r in answer])
    return answer


def verify_earlier(envelope: Envelope, earlier: list[tuple[bytes, datetime]], *,
                   created_by_replacement: bool) -> None:
    """Verify with one of the station's earlier signing keys (its key history), or raise
    BadSignature. ``created_by_replacement``: only a key still in use on the day the
    envelope says it was created (ingest: a key replaced before is not taken for new
    records); otherwise any earlier key (a record central already verified and stored)."""
    for key, until in earlier:
        if created_by_replacement and envelope.header.created_day > until.date().isoformat():
            continue
        try:
            verify_envelope(envelope, key)
            return
        except BadSignature:
            continue
    raise BadSignature("no key of this station verifies the envelope")



def receipts_statement(results: list[ItemResult]) -> dict[str, object] | None:
    """Central's one signature over every receipt in an answer (None if there are none): what
    makes them receipts (a new receipt carries no signature of its own; docs/sync.md)."""
    receipts = [(r.id, r.receipt) for r in results if r.receipt]
    if not receipts:
        return None
    sign, certificate = central_host.signer_and_certificate()
    return messages_receipts_statement(receipts, sign, certificate=certificate)


# Each column type of the two tables ingest fills, as binary COPY names it.
_COPY_TYPES: tuple[tuple[type[sa.types.TypeEngine[Any]], str], ...] = (
    (sa.BigInteger, "int8"), (sa.Integer, "int4"), (sa.LargeBinary, "bytea"), (sa.DateTime, "timestamp"),
    (sa.String, "text"))


def _bulk_insert(table: sa.Table, rows: list[dict[str, object]]) -> None:
    """Insert these rows in the session's transaction. On PostgreSQL by binary COPY, the
    driver's fastest path (no statement per row; each value written once, in C); elsewhere
    (SQLite, a trial central) by executemany. A duplicate key is an IntegrityError either way."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    columns = [table.c[name] for name in rows[0]]
    kinds, converters = [], []
    for column in columns:
        impl = getattr(column.type, "impl_instance", column.type)  # UTCDateTime stores a DateTime
        kinds.append(next(name for kind, name in _COPY_TYPES if isinstance(impl, kind)))
        decorated = isinstance(column.type, sa.types.TypeDecorator)  # UTCDateTime: to naive UTC
        converters.append(column.type.bind_processor(connection.dialect) if decorated else None)
    names = ", ".join(connection.dialect.identifier_preparer.quote(c.name) for c in columns)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(kinds)
            for row in rows:
                copy.write_row([value if convert is None else convert(value)
                                for value, convert in zip(row.values(), converters, strict=True)])
    except connection.dialect.loaded_dbapi.IntegrityError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
    finally:
        cursor.close()


def known(station: Station, pairs: list[tuple[str, str]]) -> list[ItemResult]:
    """What central already holds of these (record id, envelope sha256) pairs, without the
    envelopes: a station asks first, so a re-send costs ids and hashes, not 11 KB a record.
    UNKNOWN means: send the envelope. Another station's record ids are UNKNOWN too: the
    answer says nothing about records this station did not send (not even that they exist)."""
    rows = _held([rid for rid, _ in pairs])
    out = []
    for record_id, sha in pairs:
        old = rows.get(record_id)
        if old is None or old.station_id != station.id:
            out.append(ItemResult(record_id, Result.UNKNOWN))
        else:
            out.append(_against(old, sha))
    station_errors.note_results(station.id, [(r.status, r.problem) for r in out])
    return out


def _held(ids: list[str]) -> dict[str, Any]:
    """What central holds of these ids: only what a comparison needs (never the stored
    envelopes), as plain rows rather than ORM objects: a re-send asks about thousands."""
    columns = (ReceivedRecord.id, ReceivedRecord.station_id, ReceivedRecord.envelope_sha256,
               ReceivedRecord.receipt, ReceivedRecord.deleted_at)
    return {row.id: row for row in db.session.execute(sa.select(*columns).where(ReceivedRecord.id.in_(ids)))}


def _against(old: Any, sha: str) -> ItemResult:
    """``old``: a row from _held, or a ReceivedRecord."""
    if old.deleted_at is not None:
        return ItemResult(old.id, Result.REFUSED, problems.DELETED_AT_CENTRAL)
    if old.envelope_sha256 == sha:
        return ItemResult(old.id, Result.DUPLICATE, None, old.receipt)
    return ItemResult(old.id, Result.CONFLICT, problems.SAME_ID_OTHER_CONTENT)


def _insert_one(row: dict[str, object], facts: dict[str, object] | None) -> ItemResult:
    try:
        db.session.execute(sa.insert(ReceivedRecord), [row])
        if facts is not None:
            db.session.execute(sa.insert(RecordFacts), [facts])
        db.session.commit()
        receipt = row["receipt"]
        return ItemResult(str(row["id"]), Result.ACCEPTED, None,
                          receipt if isinstance(receipt, bytes) else None)
    except IntegrityError:
        db.session.rollback()
        old = db.session.get(ReceivedRecord, row["id"])
        assert old is not None  # noqa: S101
        return _against(old, str(row["envelope_sha256"]))


def delete_record(record_id: str) -> bool:
    """Central deletes a record: the bytes go, a tombstone stays so a re-send is refused."""
    row = db.session.get(ReceivedRecord, record_id)
    if row is None or row.deleted_at is not None:
        return False
    row.envelope = None
    row.deleted_at = datetime.now(UTC)
    central_facts.forget(record_id)
    db.session.commit()
    return True


def import_bundle(data: bytes) -> tuple[Station, list[ItemResult]]:
    """A USB bundle goes through the same path as the API: verify, then ingest."""
    try:
        message, payload = read_bundle_header(data)
        station = db.session.get(Station, str(payload["station_id"])[:36])
        if station is None:
            raise ValidationFailed(_l("The bundle comes from a station that is not enrolled here."))
        if station.revoked_at is not None:
            raise ValidationFailed(_l("The bundle comes from a station whose enrolment was revoked."))
        open_statement(message, station.api_public_key)
        items = []
        for n, item in enumerate(payload["records"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise ProtocolError(f"records[{n}] is not valid")
            items.append((item["id"], unb64(item.get("envelope"), f"records[{n}].envelope")))
    except ProtocolError as exc:
        raise ValidationFailed(_l("This file is not a valid tip-screen bundle (%(why)s). Nothing was "
                                  "imported.", why=str(exc))) from None
    return station, ingest(station, items)


def central_status() -> dict[str, object]:
    rows = db.session.execute(
        sa.select(ReceivedRecord.station_id, sa.func.count()).group_by(ReceivedRecord.station_id)).all()
    by_station: dict[str, int] = {str(station_id): int(n) for station_id, n in rows}
    stations = list(db.session.scalars(sa.select(Station).order_by(Station.name)))
    last = db.session.scalar(sa.select(sa.func.max(ReceivedRecord.received_at)))
    return {
        "role": "central",
        "records_received": int(sum(by_station.values())),
        "by_station": [{"station_id": s.id, "name": s.name, "records": int(by_station.get(s.id, 0)),
                        "pending": s.pending, "revoked": s.revoked_at is not None,
                        "last_contact": s.last_contact_at.isoformat() if s.last_contact_at else None}
                       for s in stations],
        "last_sync": last.isoformat() if last else None,
    }
