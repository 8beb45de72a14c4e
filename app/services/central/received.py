"""Central: the records received (metadata only), opening one on a coordinator's demand, imports.

Opening a record is the one place central decrypts: the envelope is checked
against the enrolling station's signing key, an ``open`` entry is written to
the audit log (and committed), and only then is the data key unsealed with
the record key (of the generation the envelope names) from central's key ring, which the
custody key in the user's own key slot opened at login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crypto import (
    BadSignature,
    CryptoError,
    Envelope,
    EnvelopeError,
    EnvelopeOpener,
    Verifier,
    open_envelope,
    parse_envelope,
    verify_envelope,
)
from app.extensions import db
from app.models import ReceivedRecord, Station
from app.protocol import body as record_body
from app.questionnaire import Definition
from app.services import questionnaires
from app.services.central import audit, enrolment
from app.services.central import directory as central_directory
from app.services.central import keys as central_keys
from app.services.errors import Locked, RecordNotFound, RecordUnreadable
from app.services.referrals.proposals import with_organisations
from app.services.sync import ingest

PAGE_SIZE = 50
BODY_FORMAT = 1


@dataclass(frozen=True)
class ReceivedMeta:
    """What central may show without opening anything (DESIGN.md's plaintext metadata)."""

    id: str
    station_id: str
    station_name: str
    seq: int
    created_day: str
    questionnaire_id: str
    questionnaire_version: str
    received_at: datetime
    deleted: bool


@dataclass(frozen=True)
class ReceivedPage:
    items: list[ReceivedMeta]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class OpenedRecord:
    meta: ReceivedMeta
    body: dict[str, Any]
    definition: Definition | None  # None: this central does not have that questionnaire version

    @property
    def answers(self) -> dict[str, Any]:
        answers = self.body.get("answers")
        return answers if isinstance(answers, dict) else {}

    @property
    def outcome(self) -> dict[str, Any] | None:
        outcome = self.body.get("outcome")
        return outcome if isinstance(outcome, dict) else None

    @property
    def override(self) -> dict[str, Any] | None:
        override = self.body.get("override")
        return override if isinstance(override, dict) else None


def _meta(row: ReceivedRecord, station_name: str) -> ReceivedMeta:
    return ReceivedMeta(id=row.id, station_id=row.station_id, station_name=station_name, seq=row.seq,
                        created_day=row.created_day, questionnaire_id=row.questionnaire_id,
                        questionnaire_version=row.questionnaire_version, received_at=row.received_at,
                        deleted=row.deleted_at is not None)


def list_received(page: int = 1, station_id: str | None = None, per_page: int = PAGE_SIZE) -> ReceivedPage:
    """Newest received first; never touches the sealed bytes."""
    where = [] if not station_id else [ReceivedRecord.station_id == station_id]
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord).where(*where)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        sa.select(ReceivedRecord.id, ReceivedRecord.station_id, Station.name, ReceivedRecord.seq,
                  ReceivedRecord.created_day, ReceivedRecord.questionnaire_id,
                  ReceivedRecord.questionnaire_version, ReceivedRecord.received_at,
                  ReceivedRecord.deleted_at)
        .join(Station, Station.id == ReceivedRecord.station_id)
        .where(*where)
        .order_by(ReceivedRecord.received_at.desc(), ReceivedRecord.station_id, ReceivedRecord.seq.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    items = [ReceivedMeta(id=r[0], station_id=r[1], station_name=r[2], seq=int(r[3]), created_day=r[4],
                          questionnaire_id=r[5], questionnaire_version=r[6], received_at=r[7],
                          deleted=r[8] is not None) for r in rows]
    return ReceivedPage(items, total, page, pages)


def station_of(record_id: str) -> str | None:
    """The station a received record came from (None: no such record)."""
    row = db.session.get(ReceivedRecord, record_id) if len(record_id) <= 36 else None
    return None if row is None else row.station_id


def open_received(record_id: str, *, username: str, secret: bytes | None) -> OpenedRecord:
    """Verify, write the audit entry, then decrypt. Raises a ServiceError with a readable message."""
    row = db.session.get(ReceivedRecord, record_id) if len(record_id) <= 36 else None
    if row is None:
        raise RecordNotFound(_l("No such record."))
    station = db.session.get(Station, row.station_id)
    if station is None:  # pragma: no cover - a foreign key makes this impossible
        raise RecordNotFound(_l("No such record."))
    if row.envelope is None or row.deleted_at is not None:
        raise RecordUnreadable(_l("This record was deleted at central; only its metadata is kept."))
    if secret is None:
        raise Locked(_l("Your account holds no unlocked central key, so records cannot be opened. "
                        "Log out and log in again; if this message stays, ask an administrator to give "
                        "your account a key (a new passphrase set by an administrator who is logged in)."))
    meta = _meta(row, station.name)
    envelope = checked_envelope(row, station)
    # The login's secret is the custody key; the envelope names the record key it was sealed
    # to, old or current, and the key ring holds every generation (docs/keys.md "Rotation").
    record_key = central_keys.record_private(secret, envelope.header.central_key_id or "")
    if record_key is None:
        raise RecordUnreadable(_l("This record was sealed to a central key (id %(key)s) that this central "
                                  "does not hold. It was not opened.", key=row.central_key_id))
    # The audit entry is committed before anything is decrypted: no entry, no data.
    audit.record(username, audit.OPEN, record_id=row.id)
    body = decrypted_body(envelope, record_key)
    definition = questionnaires.get(row.questionnaire_id, row.questionnaire_version)
    if definition is not None:  # "Refer to" names organisations of the directory by id: show their names
        definition = with_organisations(definition, central_directory.organisations())
    return OpenedRecord(meta, body, definition)


def checked_envelope(row: ReceivedRecord, station: Station, verifier: Verifier | None = None) -> Envelope:
    """The stored envelope, parsed and its station's signature checked (nothing decrypted).
    ``verifier``: the station's key loaded once, for checking many (an export)."""
    try:
        envelope = parse_envelope(row.envelope or b"")
        if str(envelope.record_id) != row.id or envelope.header.station_id != station.id \
                or envelope.sha256 != row.envelope_sha256:
            raise EnvelopeError("the stored envelope does not match its record")
        try:
            verify_envelope(envelope, verifier or station.signing_public_key)
        except BadSignature:  # signed before the station was re-keyed: its key history
            ingest.verify_earlier(envelope, enrolment.signing_keys(station.id), created_by_replacement=False)
    except BadSignature:
        raise RecordUnreadable(_l("This record's signature does not verify against its station's key: "
                                  "it was changed after it was received. It was not opened.")) from None
    except (EnvelopeError, CryptoError):
        raise RecordUnreadable(_l("This record is damaged. It was not opened.")) from None
    return envelope


def decrypted_body(envelope: Envelope, record_key: bytes | EnvelopeOpener) -> dict[str, Any]:
    """The record inside a checked envelope (call only after the audit entry is written).
    ``record_key``: its bytes, or an opener holding it loaded (to open many: an export)."""
    try:
        plain = record_key.open(envelope) if isinstance(record_key, EnvelopeOpener) \
            else open_envelope(envelope, record_key)
        body = record_body.decode(plain)
    except (CryptoError, ValueError):
        raise RecordUnreadable(_l("This record is damaged. It could not be opened.")) from None
    if not isinstance(body, dict) or body.get("format") != BODY_FORMAT:
        raise RecordUnreadable(_l("This record has a format this central cannot read."))
    return body


@dataclass(frozen=True)
class ImportSummary:
    station_name: str
    counts: dict[str, int]
    station_id: str = ""


def import_bundle(data: bytes, *, username: str) -> ImportSummary:
    """A station's USB bundle, through the same ingest path as the API; logged in the audit."""
    station, results = ingest.import_bundle(data)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    detail = f"station {station.id}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    audit.record(username, audit.IMPORT, detail=detail)
    return ImportSummary(station.name, counts, station.id)
