"""How a station record is kept: encrypted body, local key wrap, envelope; loading and saving.

Plaintext columns hold the metadata DESIGN.md allows and nothing else. The
record body (JSON) is encrypted with a per-record data key; that key is
wrapped to the record's creator and to the station's administrators (the
local copy, ``local_wrap``: a passphrase opens its owner's records, an
administrator's every record) and, at finalisation, sealed to central and
signed by the station (see :mod:`.sealing`). Rows from before migration 0009
are wrapped under the old station data key until the first login re-wraps
them (:mod:`.rewrap`).

Saves are compare-and-swap on the ciphertext, so two taps or two tabs never
lose or duplicate an answer: each save re-reads, applies its change and
writes only if nobody wrote in between (else it tries again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crypto import (
    CryptoError,
    EnvelopeError,
    KeySet,
    RecordHeader,
    decrypt_body,
    encrypt_body,
    padded_length,
    parse_envelope,
    recipient_id,
    unwrap_data_key,
    unwrap_local,
    verify_envelope,
    wrap_data_key,
    wrap_recipients,
    x25519_public_key,
)
from app.crypto.envelope import ENVELOPE_VERSION, FACTS_VERSION
from app.extensions import db
from app.models import Installation, Record, RecordState, User
from app.protocol import body as record_body
from app.questionnaire import Definition
from app.services import installation, questionnaires, referrals
from app.services.errors import NotAllowed, RecordDamaged, RecordNotFound, ServiceError, ValidationFailed

BODY_FORMAT = 1
SAVE_ATTEMPTS = 8
LEGACY_WRAP_SIZE = 60  # nonce, data key, tag under the pre-0009 station data key


@dataclass
class OpenRecord:
    record: Record
    body: dict[str, Any]
    definition: Definition

    @property
    def answers(self) -> dict[str, object]:
        return {qid: a["value"] for qid, a in self.body["answers"].items()}

    @property
    def is_draft(self) -> bool:
        """Still being answered: only a draft's answers can change."""
        return self.record.state is RecordState.DRAFT

    @property
    def respondent_lang(self) -> str:
        return str(self.body.get("respondent_lang", "en"))


def _version_of(rec: Record) -> int:
    version = rec.envelope[4] if rec.envelope is not None and len(rec.envelope) > 4 else ENVELOPE_VERSION
    return version if version == FACTS_VERSION else ENVELOPE_VERSION  # damaged: parse says so


def header_of(rec: Record) -> RecordHeader:
    """The record's header; a sealed record's names its envelope's version (byte 4: facts
    or not), since the body and local wrap were made under that header's bytes."""
    return RecordHeader(
        version=_version_of(rec),
        record_id=uuid.UUID(rec.id),
        station_id=rec.station_id,
        seq=rec.seq,
        questionnaire_id=rec.questionnaire_id,
        questionnaire_version=rec.questionnaire_version,
        created_day=rec.created_day,
        local_key_id=rec.local_key_id,
        central_key_id=rec.central_key_id,
    )


def ciphertext_of(rec: Record) -> bytes:
    """The body ciphertext: the draft's, or the one inside the record's own, intact envelope."""
    if rec.body is not None:
        return rec.body
    if rec.envelope is None:
        raise damaged(rec.id)
    # The envelope is what central will be sent: a changed byte anywhere in it (header,
    # sealed key, signature), or one that belongs to another record, makes this record
    # damaged here too, rather than quietly waiting in the outbox to be refused.
    envelope = parse_envelope(rec.envelope)
    signing_public = installation.get().signing_public_key
    if (envelope.header != header_of(rec) or envelope.sha256 != rec.envelope_sha256
            or signing_public is None):
        raise damaged(rec.id)
    verify_envelope(envelope, signing_public)
    return envelope.body_ciphertext


def damaged(rec_id: str) -> RecordDamaged:
    return RecordDamaged(_l("Record %(id)s cannot be opened: it is damaged or was changed outside "
                            "tip-screen. The other records are not affected.", id=rec_id))


def is_legacy_wrap(wrap: bytes) -> bool:
    return len(wrap) == LEGACY_WRAP_SIZE


def recipients_of(rec: Record, inst: Installation) -> list[bytes]:
    """Who a record's data key is wrapped to: its creator, and the administrators."""
    out: list[bytes] = []
    creator = db.session.get(User, rec.created_by) if rec.created_by is not None else None
    if creator is not None and creator.public_key is not None:
        out.append(creator.public_key)
    if inst.admins_public_key is not None and inst.admins_public_key not in out:
        out.append(inst.admins_public_key)
    return out


def wrap_for(rec: Record, header: RecordHeader, data_key: bytes, inst: Installation) -> bytes:
    return wrap_data_key(data_key, header, recipients_of(rec, inst))


def can_open(rec: Record, keys: KeySet) -> bool:
    """Whether ``keys`` are among those the record's data key is wrapped to (nothing decrypted)."""
    if rec.local_wrap is None:
        return False
    if is_legacy_wrap(rec.local_wrap):
        return keys.legacy is not None
    try:
        ids = wrap_recipients(rec.local_wrap)
    except EnvelopeError:
        return keys.admins is not None  # damaged: an administrator's housekeeping reports it
    return any(recipient_id(x25519_public_key(k)) in ids for k in keys.private_keys())


def data_key_of(rec: Record, header: RecordHeader, keys: KeySet) -> bytes:
    assert rec.local_wrap is not None  # noqa: S101 - checked by the caller
    if is_legacy_wrap(rec.local_wrap) and keys.legacy is not None:
        return unwrap_local(rec.local_wrap, keys.legacy, header)
    return unwrap_data_key(rec.local_wrap, header, keys.private_keys())


def plaintext(rec: Record, keys: KeySet) -> tuple[bytes, bytes]:
    if (rec.body is None and rec.envelope is None) or rec.local_wrap is None:
        raise RecordDamaged(_l("Record %(id)s was handed over to central and is no longer "
                               "readable on this station.", id=rec.id))
    try:
        ciphertext = ciphertext_of(rec)
        header = header_of(rec)
        data_key = data_key_of(rec, header, keys)
        return data_key, decrypt_body(header, ciphertext, data_key)
    except (CryptoError, ValueError):
        raise damaged(rec.id) from None


def decrypt(rec: Record, keys: KeySet) -> tuple[bytes, dict[str, Any]]:
    data_key, clear = plaintext(rec, keys)
    try:
        body = record_body.decode(clear)
    except record_body.BodyError:
        raise damaged(rec.id) from None
    if body.get("format") != BODY_FORMAT:
        raise damaged(rec.id)
    return data_key, body


def encode(body: Mapping[str, Any]) -> bytes:
    return record_body.encode(body)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Built once (SQLAlchemy keeps a kept statement's cache key; a new one's is worked out again).
# As Session.get(populate_existing=True): read again, nothing flushed first.
_LOAD = (sa.select(Record).where(Record.id == sa.bindparam("record_id"))
         .execution_options(populate_existing=True, autoflush=False))
_LAST_READ = "tip_record_read_last"  # db.session.info key
# The compare-and-swap of write(), in the session's transaction.
_SWAP = (sa.update(Record.__table__)
         .where(Record.__table__.c.id == sa.bindparam("record_id"),
                Record.__table__.c.body == sa.bindparam("old_body"))
         .values(body=sa.bindparam("new_body"), padded_size=sa.bindparam("new_size")))


def load(record_id: str, user: User, *, fresh: bool = True) -> Record:
    """The record row, read again (``fresh``) or, if this request read it already, as read."""
    try:
        uuid.UUID(record_id)
    except ValueError:
        raise RecordNotFound(_l("No such screening.")) from None
    # The row read last is held by the session (whose own map holds rows weakly: without this
    # an autosave's second load, after definition_for, would read it again). One row, the
    # ciphertext as stored; the session and it go at the end of the request.
    held = None if fresh else db.session.info.get(_LAST_READ)
    state = sa.inspect(held) if held is not None else None
    # Not after a commit or a rollback (then the row is read again, as Session.get would).
    rec = held if state is not None and state.persistent and not state.expired \
        and state.identity == (record_id,) else None
    if rec is None:
        rec = db.session.execute(_LOAD, {"record_id": record_id}).scalar_one_or_none()
        db.session.info[_LAST_READ] = rec
    if rec is None:
        raise RecordNotFound(_l("No such screening."))
    if rec.created_by != user.id:
        raise NotAllowed(_l("This screening belongs to another officer. Nothing was changed."))
    return rec


def definition_of(rec: Record) -> Definition:
    definition = questionnaires.get(rec.questionnaire_id, rec.questionnaire_version)
    if definition is None:
        raise ServiceError(_l("Questionnaire %(id)s version %(version)s is missing on this station.",
                              id=rec.questionnaire_id, version=rec.questionnaire_version))
    # "Refer to" also offers the signed referral directory's organisations (docs/referrals.md).
    return referrals.with_directory(definition)


def write(rec: Record, old_ciphertext: bytes, body: dict[str, Any], data_key: bytes) -> bool:
    """Compare-and-swap: write only if the ciphertext is still the one we read."""
    encoded = encode(body)
    new_ct = encrypt_body(header_of(rec), encoded, data_key)
    result = db.session.connection().execute(_SWAP, {
        "record_id": rec.id, "old_body": old_ciphertext, "new_body": new_ct,
        "new_size": padded_length(len(encoded))})
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def modify(record_id: str, user: User, keys: KeySet,
           change: Callable[[OpenRecord], None]) -> OpenRecord:
    """Apply ``change(open_record)`` to a draft and save it, retrying on a concurrent write."""
    for attempt in range(SAVE_ATTEMPTS):
        # The first try may use the row as this request read it (an autosave's definition_for):
        # the compare-and-swap in write() refuses a stale one, and the retry reads it again.
        rec = load(record_id, user, fresh=attempt > 0)
        if rec.state is not RecordState.DRAFT or rec.body is None:
            raise ValidationFailed(_l("This screening is final and cannot be changed."))
        old = rec.body
        data_key, body = decrypt(rec, keys)
        opened = OpenRecord(rec, body, definition_of(rec))
        change(opened)
        if write(rec, old, opened.body, data_key):
            return opened
    raise ServiceError(_l("The screening is being changed elsewhere. Try again."))


def decrypt_record(rec: Record, keys: KeySet) -> tuple[bytes, dict[str, Any]]:
    """Data key and body of any record these keys open (for housekeeping; see :func:`can_open`)."""
    return decrypt(rec, keys)
