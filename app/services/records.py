"""Screening records: every answer, name and outcome lives only inside an envelope.

Plaintext columns hold the metadata DESIGN.md allows and nothing else. The
record body (JSON) is encrypted with a per-record data key; that key is
wrapped with the station data key (local copy) and, at finalisation, sealed
to central and signed by the station, in the same transaction that puts the
record in the outbox (a final record with an envelope and no receipt).

Saves are compare-and-swap on the ciphertext, so two taps or two tabs never
lose or duplicate an answer: each save re-reads, applies its answers and
writes only if nobody wrote in between (else it tries again).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.crypto import (
    CryptoError,
    RecordHeader,
    decrypt_body,
    encrypt_body,
    new_data_key,
    padded_length,
    parse_envelope,
    seal_envelope,
    unwrap_local,
    verify_envelope,
    wrap_local,
)
from app.extensions import db
from app.models import Installation, Record, RecordState, User
from app.models.types import utcnow
from app.protocol import body as record_body
from app.questionnaire import (
    FREE_TEXT_TYPES,
    AnswerError,
    Definition,
    FlagHit,
    Outcome,
    active_flags,
    check_answer,
    score,
)
from app.roles import Role
from app.services import keyring, questionnaires
from app.services.answer_messages import message as answer_message
from app.services.errors import NotAllowed, ServiceError, ValidationFailed
from app.text.zawgyi import to_unicode

BODY_FORMAT = 1
SAVE_ATTEMPTS = 8
TEXT_TYPES = FREE_TEXT_TYPES  # typed text (Zawgyi is converted): the types say which
TIERS = ("refer_mdt", "possible_victim", "labour_rights", "no_indicators")
MIN_OVERRIDE_REASON = 10


class RecordNotFound(ServiceError):
    pass


class RecordDamaged(ServiceError):
    pass


class AnswersRejected(ValidationFailed):
    """Some answers could not be stored; nothing from this request was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_l("Some answers could not be saved. Nothing was changed."))
        self.errors = errors


@dataclass
class OpenRecord:
    record: Record
    body: dict[str, Any]
    definition: Definition

    @property
    def answers(self) -> dict[str, object]:
        return {qid: a["value"] for qid, a in self.body["answers"].items()}

    @property
    def respondent_lang(self) -> str:
        return str(self.body.get("respondent_lang", "en"))


@dataclass
class SaveResult:
    saved: list[str]
    answers: dict[str, object] = field(default_factory=dict)  # every stored value after the save
    converted: dict[str, str] = field(default_factory=dict)  # question id -> Zawgyi original
    flags: list[FlagHit] = field(default_factory=list)  # shown in the officer's language


@dataclass(frozen=True)
class Summary:
    id: str
    seq: int
    state: str
    waiting: bool  # final, not yet sealed to central (station not enrolled)
    created_day: str
    name: str
    tier: str | None
    flags: tuple[str, ...]
    respondent_lang: str | None
    readable: bool
    damaged: bool = False  # unreadable because changed outside tip-screen (not handed over)


# -- keys and headers ------------------------------------------------------------


def installation() -> Installation:
    inst = db.session.scalar(sa.select(Installation).limit(1))
    if inst is None:
        raise ServiceError(_l("This installation is not set up."))
    return inst


def _header(rec: Record) -> RecordHeader:
    return RecordHeader(
        record_id=uuid.UUID(rec.id),
        station_id=rec.station_id,
        seq=rec.seq,
        questionnaire_id=rec.questionnaire_id,
        questionnaire_version=rec.questionnaire_version,
        created_day=rec.created_day,
        local_key_id=rec.local_key_id,
        central_key_id=rec.central_key_id,
    )


def _ciphertext(rec: Record) -> bytes:
    """The body ciphertext: the draft's, or the one inside the record's own, intact envelope."""
    if rec.body is not None:
        return rec.body
    if rec.envelope is None:
        raise _damaged(rec.id)
    # The envelope is what central will be sent: a changed byte anywhere in it (header,
    # sealed key, signature), or one that belongs to another record, makes this record
    # damaged here too, rather than quietly waiting in the outbox to be refused.
    envelope = parse_envelope(rec.envelope)
    signing_public = installation().signing_public_key
    if (envelope.header != _header(rec) or envelope.sha256 != rec.envelope_sha256
            or signing_public is None):
        raise _damaged(rec.id)
    verify_envelope(envelope, signing_public)
    return envelope.body_ciphertext


def _damaged(rec_id: str) -> RecordDamaged:
    return RecordDamaged(_l("Record %(id)s cannot be opened: it is damaged or was changed outside "
                            "tip-screen. The other records are not affected.", id=rec_id))


def _plaintext(rec: Record, station_key: bytes) -> tuple[bytes, bytes]:
    if (rec.body is None and rec.envelope is None) or rec.local_wrap is None:
        raise RecordDamaged(_l("Record %(id)s was handed over to central and is no longer "
                               "readable on this station.", id=rec.id))
    try:
        ciphertext = _ciphertext(rec)
        header = _header(rec)
        data_key = unwrap_local(rec.local_wrap, station_key, header)
        return data_key, decrypt_body(header, ciphertext, data_key)
    except (CryptoError, ValueError):
        raise _damaged(rec.id) from None


def _decrypt(rec: Record, station_key: bytes) -> tuple[bytes, dict[str, Any]]:
    data_key, plaintext = _plaintext(rec, station_key)
    try:
        body = record_body.decode(plaintext)
    except record_body.BodyError:
        raise _damaged(rec.id) from None
    if body.get("format") != BODY_FORMAT:
        raise _damaged(rec.id)
    return data_key, body


def _encode(body: Mapping[str, Any]) -> bytes:
    return record_body.encode(body)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- create, open, save ----------------------------------------------------------


def _next_seq() -> int:
    new = db.session.execute(
        sa.update(Installation).values(next_seq=Installation.next_seq + 1)
        .returning(Installation.next_seq)
    ).scalar_one()
    return int(new) - 1


def create(user: User, station_key: bytes, *, respondent_lang: str, interview_lang: str,
           definition: Definition | None = None, today: date | None = None) -> Record:
    inst = installation()
    definition = definition or questionnaires.latest()
    body: dict[str, Any] = {
        "format": BODY_FORMAT,
        "started_at": _now_iso(),
        "respondent_lang": respondent_lang,
        "interview_lang": interview_lang,
        "answers": {},
        "outcome": None,
        "override": None,
    }
    encoded = _encode(body)
    rec = Record(
        id=str(uuid.uuid4()),
        station_id=inst.station_id or "",
        seq=_next_seq(),
        created_by=user.id,
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        local_key_id=inst.local_key_id or "",
        central_key_id=None,
        state=RecordState.DRAFT,
        created_day=(today or date.today()).isoformat(),
        padded_size=padded_length(len(encoded)),
    )
    data_key = new_data_key()
    header = _header(rec)
    rec.body = encrypt_body(header, encoded, data_key)
    rec.local_wrap = wrap_local(data_key, station_key, header)
    db.session.add(rec)
    db.session.commit()
    return rec


def _load(record_id: str, user: User) -> Record:
    try:
        uuid.UUID(record_id)
    except ValueError:
        raise RecordNotFound(_l("No such screening.")) from None
    rec = db.session.get(Record, record_id, populate_existing=True)
    if rec is None:
        raise RecordNotFound(_l("No such screening."))
    if rec.created_by != user.id:
        raise NotAllowed(_l("This screening belongs to another officer. Nothing was changed."))
    return rec


def _definition(rec: Record) -> Definition:
    definition = questionnaires.get(rec.questionnaire_id, rec.questionnaire_version)
    if definition is None:
        raise ServiceError(_l("Questionnaire %(id)s version %(version)s is missing on this station.",
                              id=rec.questionnaire_id, version=rec.questionnaire_version))
    return definition


def open_record(record_id: str, user: User, station_key: bytes) -> OpenRecord:
    rec = _load(record_id, user)
    _, body = _decrypt(rec, station_key)
    return OpenRecord(rec, body, _definition(rec))


def _write(rec: Record, old_ciphertext: bytes, body: dict[str, Any], data_key: bytes,
           **columns: Any) -> bool:
    """Compare-and-swap: write only if the ciphertext is still the one we read."""
    encoded = _encode(body)
    header = _header(rec)
    new_ct = encrypt_body(header, encoded, data_key)
    result = db.session.execute(
        sa.update(Record).where(Record.id == rec.id, Record.body == old_ciphertext)
        .values(body=new_ct, padded_size=padded_length(len(encoded)), **columns)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    db.session.commit()
    return True


def _modify(record_id: str, user: User, station_key: bytes, change: Any) -> OpenRecord:
    """Apply ``change(open_record)`` to a draft and save it, retrying on a concurrent write."""
    for _ in range(SAVE_ATTEMPTS):
        rec = _load(record_id, user)
        if rec.state is not RecordState.DRAFT or rec.body is None:
            raise ValidationFailed(_l("This screening is final and cannot be changed."))
        old = rec.body
        data_key, body = _decrypt(rec, station_key)
        opened = OpenRecord(rec, body, _definition(rec))
        change(opened)
        if _write(rec, old, opened.body, data_key):
            return opened
    raise ServiceError(_l("The screening is being changed elsewhere. Try again."))


def definition_for(record_id: str, user: User) -> Definition:
    """The questionnaire a record was started with (ownership checked; nothing decrypted)."""
    return _definition(_load(record_id, user))


def save_answers(record_id: str, user: User, station_key: bytes, raw: Mapping[str, object],
                 *, lang: str | None = None) -> SaveResult:
    """Validate every answer first; store all of them, or none. Each answer records the
    language on screen (``lang``; by default the record's respondent language)."""
    result = SaveResult(saved=[])

    def change(opened: OpenRecord) -> None:
        definition = opened.definition
        current = opened.answers
        errors: dict[str, str] = {}
        values: dict[str, object] = {}
        originals: dict[str, str] = {}
        for qid, value in raw.items():
            question = definition.question(qid)
            if question is not None and question.type in TEXT_TYPES and isinstance(value, str):
                converted = to_unicode(value)
                if converted.converted:
                    originals[qid] = converted.original
                    value = converted.text
            try:
                values[qid] = check_answer(definition, qid, value, {**current, **values})
            except AnswerError as exc:
                errors[qid] = answer_message(exc, str(get_locale() or "en"))  # the officer's language
        if errors:
            raise AnswersRejected(errors)
        stamp = _now_iso()
        on_screen = lang or opened.respondent_lang
        for qid, value in values.items():
            if value is None:
                opened.body["answers"].pop(qid, None)
                continue
            entry: dict[str, Any] = {"value": value, "lang": on_screen, "at": stamp}
            if qid in originals:
                entry["zawgyi_original"] = originals[qid]
            opened.body["answers"][qid] = entry
        result.saved = list(values)
        result.converted = originals

    opened = _modify(record_id, user, station_key, change)
    result.answers = opened.answers
    result.flags = active_flags(opened.definition, result.answers)
    return result


def mark_demo(record_id: str, user: User, station_key: bytes) -> None:
    def change(opened: OpenRecord) -> None:
        opened.body["demo"] = True

    _modify(record_id, user, station_key, change)


def decrypt_record(rec: Record, station_key: bytes) -> tuple[bytes, dict[str, Any]]:
    """Data key and body of any record this station key opens (for housekeeping)."""
    return _decrypt(rec, station_key)


def set_languages(record_id: str, user: User, station_key: bytes, *,
                  respondent_lang: str | None = None, interview_lang: str | None = None) -> None:
    def change(opened: OpenRecord) -> None:
        if respondent_lang:
            opened.body["respondent_lang"] = respondent_lang
        if interview_lang:
            opened.body["interview_lang"] = interview_lang

    _modify(record_id, user, station_key, change)


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {
        "tier": outcome.tier,
        "reason": outcome.reason,
        "reasons": list(outcome.reasons),
        "child": outcome.child,
        "flags": [{"id": f.id, "code": f.code, "level": f.level} for f in outcome.flags],
        "elements": [
            {"element": e.element, "positive": e.positive,
             "indicators": [{"question_id": i.question_id, "option": i.option,
                             "strength": i.strength} for i in e.indicators]}
            for e in outcome.elements
        ],
        "groups": dict(outcome.groups),
        "unknown_share": outcome.unknown_share,
    }


def finalise(record_id: str, user: User, station_key: bytes, *, override_tier: str | None = None,
             override_reason: str = "") -> Record:
    """Score, keep any override with its reason, and seal to central if its key is known."""
    override_reason = override_reason.strip()
    if override_tier and override_tier not in TIERS:
        raise ValidationFailed(_l("Choose one of the listed outcomes."))

    def change(opened: OpenRecord) -> None:
        outcome = score(opened.definition, opened.answers)
        opened.body["outcome"] = outcome_dict(outcome)
        if override_tier and override_tier != outcome.tier:
            if len(override_reason) < MIN_OVERRIDE_REASON:
                raise ValidationFailed(_l("Write the reason for changing the outcome "
                                          "(at least %(n)d characters).", n=MIN_OVERRIDE_REASON))
            opened.body["override"] = {"tier": override_tier, "reason": override_reason,
                                       "by": user.username, "at": _now_iso()}
        else:
            opened.body["override"] = None
        opened.body["finalised_at"] = _now_iso()

    opened = _modify(record_id, user, station_key, change)
    rec = opened.record
    db.session.execute(sa.update(Record).where(Record.id == rec.id, Record.state == RecordState.DRAFT)
                       .values(state=RecordState.FINAL).execution_options(synchronize_session=False))
    db.session.commit()
    rec = _load(record_id, user)
    inst = installation()
    if inst.central_public_key is not None:
        _seal(rec, inst, station_key)
    return rec


def _seal(rec: Record, inst: Installation, station_key: bytes) -> None:
    """Re-encrypt under the sealed header, seal to central, sign: one transaction with the outbox."""
    assert inst.central_public_key is not None and inst.central_key_id is not None  # noqa: S101
    old_ct = rec.body
    data_key, body = _decrypt(rec, station_key)
    header = replace(_header(rec), central_key_id=inst.central_key_id)
    body_ct = encrypt_body(header, _encode(body), data_key)
    envelope = seal_envelope(header, body_ct, data_key, inst.central_public_key,
                             keyring.signing_key(inst, station_key))
    parsed = parse_envelope(envelope)
    result = db.session.execute(
        sa.update(Record).where(Record.id == rec.id, Record.body == old_ct,
                                Record.envelope.is_(None))
        .values(central_key_id=inst.central_key_id, body=None, envelope=envelope,
                envelope_sha256=parsed.sha256, padded_size=parsed.padded_size,
                local_wrap=wrap_local(data_key, station_key, header))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()  # someone else sealed it first: theirs stands
        return
    db.session.commit()


def seal_waiting(station_key: bytes) -> int:
    """Seal every final record that waited for central's key. Returns how many."""
    inst = installation()
    if inst.central_public_key is None:
        return 0
    waiting = list(db.session.scalars(
        sa.select(Record).where(Record.state == RecordState.FINAL, Record.envelope.is_(None),
                                Record.local_key_id == inst.local_key_id)))
    for rec in waiting:
        try:
            _seal(rec, inst, station_key)
        except RecordDamaged:
            current_app.logger.error("record %s could not be sealed: damaged", rec.id)
    return len(waiting)


def set_central_key(public_key: bytes, central_key_id: str) -> None:
    """Learned at enrolment (or a key update): later finalisations seal to it."""
    inst = installation()
    inst.central_public_key = public_key
    inst.central_key_id = central_key_id
    db.session.commit()


def after_unlock(station_key: bytes) -> None:
    """Work that needs the key and waits for the next login: sealing, then housekeeping."""
    if current_app.config["TIP"].role != "station":
        return
    seal_waiting(station_key)
    purge_expired()


def discard(record_id: str, user: User) -> None:
    rec = _load(record_id, user)
    if rec.state is not RecordState.DRAFT:
        raise ValidationFailed(_l("Only drafts can be discarded."))
    db.session.delete(rec)
    db.session.commit()
    checkpoint()


# -- receipts and retention ------------------------------------------------------


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
    return record_receipts([(record_id, envelope_sha256, receipt)], at) == 1


def record_receipts(receipts: list[tuple[str, str, bytes]], at: datetime | None = None,
                    problems: Sequence[tuple[str, str]] = ()) -> int:
    """Mark a batch synced in one durable commit: (record id, envelope sha256, receipt) each,
    only for the exact envelope each receipt names. ``problems``: (record id, central's
    reason) for records central will not take, kept here but out of the outbox.
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
                             receipt_at=at or utcnow(), sync_problem=None))
        result = db.session.connection().execute(
            statement, [{"rid": rid, "sha": sha, "raw": raw} for rid, sha, raw in receipts])
        marked = int(result.rowcount)  # executemany: the total over every receipt
    if problems:
        statement = (table.update()
                     .where(table.c.id == sa.bindparam("rid"), table.c.state == RecordState.FINAL.value,
                            table.c.receipt.is_(None))
                     .values(sync_problem=sa.bindparam("why")))
        db.session.connection().execute(statement, [{"rid": rid, "why": why[:80]} for rid, why in problems])
    db.session.commit()
    return marked


def sync_problems() -> dict[str, int]:
    """How many records central would not take, by reason (the Sync page)."""
    rows = db.session.execute(sa.select(Record.sync_problem, sa.func.count()).where(
        Record.state == RecordState.FINAL, Record.sync_problem.is_not(None)).group_by(Record.sync_problem))
    return {str(why): int(n) for why, n in rows.tuples()}


def retry_sync_problems() -> int:
    """Put the records central would not take back in the outbox (the next sync asks again)."""
    result = db.session.execute(sa.update(Record).where(Record.sync_problem.is_not(None))
                                .values(sync_problem=None).execution_options(synchronize_session=False))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(now: datetime | None = None) -> int:
    """After receipt + retention, delete the local key wrap and ciphertext: unreadable here."""
    days = current_app.config["TIP"].retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(
        sa.update(Record).where(Record.state == RecordState.SYNCED, Record.receipt_at <= cutoff,
                                Record.local_wrap.is_not(None))
        .values(local_wrap=None, body=None, envelope=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        checkpoint()
    return count


def checkpoint() -> None:
    """Fold the WAL into the main file so deleted bytes leave the log too (secure_delete is on)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# -- listing ---------------------------------------------------------------------


def list_for(user: User, station_key: bytes, *, state: str | None = None,
             since: date | None = None, until: date | None = None) -> list[Summary]:
    query = sa.select(Record).where(Record.created_by == user.id)
    if state == "waiting":
        query = query.where(Record.state == RecordState.FINAL, Record.envelope.is_(None))
    elif state in {s.value for s in RecordState}:
        query = query.where(Record.state == RecordState(state))
    if since:
        query = query.where(Record.created_day >= since.isoformat())
    if until:
        query = query.where(Record.created_day <= until.isoformat())
    out = []
    for rec in db.session.scalars(query.order_by(Record.seq.desc())):
        out.append(_summary(rec, station_key))
    return out


def _summary(rec: Record, station_key: bytes) -> Summary:
    waiting = rec.state is RecordState.FINAL and rec.envelope is None
    base: dict[str, Any] = {"id": rec.id, "seq": rec.seq, "state": rec.state.value, "waiting": waiting,
            "created_day": rec.created_day}
    if rec.local_wrap is None:
        return Summary(**base, name="", tier=None, flags=(), respondent_lang=None, readable=False)
    try:
        # Only the body's summary line is decoded: listing stays fast with many records.
        summary = record_body.decode_summary(_plaintext(rec, station_key)[1])
    except (RecordDamaged, record_body.BodyError):
        return Summary(**base, name="", tier=None, flags=(), respondent_lang=None, readable=False,
                       damaged=True)
    return Summary(**base, name=str(summary.get("name") or ""), tier=summary.get("tier"),
                   flags=tuple(summary.get("flags") or ()),
                   respondent_lang=summary.get("respondent_lang"), readable=True)


def may_screen(user: User) -> bool:
    return user.role in {Role.OFFICER, Role.INTERPRETER, Role.OUTREACH, Role.ADMIN}
