"""Drafts: start a screening, save answers (all or none), switch languages, discard."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.crypto import KeySet, encrypt_body, hkdf_sha256, new_data_key, padded_length, wrap_data_key
from app.extensions import db
from app.models import Installation, Record, RecordState, User
from app.questionnaire import FREE_TEXT_TYPES, AnswerError, Definition, FlagHit, active_flags, check_answer
from app.services import installation, questionnaires, referrals
from app.services.errors import AnswersRejected, ValidationFailed
from app.services.records.answer_messages import message as answer_message
from app.services.records.retention import checkpoint
from app.services.records.store import (
    BODY_FORMAT,
    OpenRecord,
    decrypt,
    definition_of,
    encode,
    header_of,
    load,
    modify,
    now_iso,
)
from app.text.zawgyi import to_unicode

UNSAVED_INFO = b"tip-screen/v1/unsaved-answers:"
TEXT_TYPES = FREE_TEXT_TYPES  # typed text (Zawgyi is converted): the types say which


@dataclass
class SaveResult:
    saved: list[str]
    answers: dict[str, object] = field(default_factory=dict)  # every stored value after the save
    converted: dict[str, str] = field(default_factory=dict)  # question id -> Zawgyi original
    flags: list[FlagHit] = field(default_factory=list)  # shown in the officer's language


def _next_seq() -> int:
    new = db.session.execute(
        sa.update(Installation).values(next_seq=Installation.next_seq + 1)
        .returning(Installation.next_seq)
    ).scalar_one()
    return int(new) - 1


def create(user: User, keys: KeySet, *, respondent_lang: str, interview_lang: str,
           definition: Definition | None = None, today: date | None = None) -> Record:
    inst = installation.get()
    definition = definition or questionnaires.latest()
    body: dict[str, Any] = {
        "format": BODY_FORMAT,
        "started_at": now_iso(),
        "respondent_lang": respondent_lang,
        "interview_lang": interview_lang,
        "answers": {},
        "outcome": None,
        "override": None,
    }
    encoded = encode(body)
    rec = new_record(inst, user, definition, RecordState.DRAFT, len(encoded), today)
    encrypt_locally(rec, inst, keys, encoded, new_data_key())
    db.session.add(rec)
    db.session.commit()
    return rec


def new_record(inst: Installation, user: User, definition: Definition, state: RecordState,
               encoded_size: int, today: date | None) -> Record:
    """A record row with the next sequence number, before its body is encrypted."""
    return Record(
        id=str(uuid.uuid4()),
        station_id=inst.station_id or "",
        seq=_next_seq(),
        created_by=user.id,
        questionnaire_id=definition.id,
        questionnaire_version=definition.version,
        local_key_id=inst.local_key_id or "",
        central_key_id=None,
        state=state,
        created_day=(today or date.today()).isoformat(),
        padded_size=padded_length(encoded_size),
    )


def encrypt_locally(rec: Record, inst: Installation, keys: KeySet, encoded: bytes, data_key: bytes) -> None:
    """The body under the data key, wrapped to its creator and the administrators (not yet sealed)."""
    header = header_of(rec)
    rec.body = encrypt_body(header, encoded, data_key)
    # The creator is the one whose keys these are; the administrators' key is public.
    recipients = [keys.public]
    if inst.admins_public_key is not None and inst.admins_public_key != keys.public:
        recipients.append(inst.admins_public_key)
    rec.local_wrap = wrap_data_key(data_key, header, recipients)


def open_record(record_id: str, user: User, keys: KeySet) -> OpenRecord:
    rec = load(record_id, user)
    _, body = decrypt(rec, keys)
    return OpenRecord(rec, body, definition_of(rec))


def definition_for(record_id: str, user: User) -> Definition:
    """The questionnaire a record was started with (ownership checked; nothing decrypted)."""
    return definition_of(load(record_id, user))


def _for_officer(definition: Definition, question_id: str) -> bool:
    """Whether a question is the officer's own (an officer-only section, or a question noted,
    not asked aloud): the page shows it in the officer's language only."""
    for section in definition.sections:
        for question in section.questions:
            if question.id == question_id:
                return section.audience == "screener" or question.screener_only
    return False


def save_answers(record_id: str, user: User, keys: KeySet, raw: Mapping[str, object],
                 *, lang: str | None = None, officer_lang: str | None = None) -> SaveResult:
    """Validate every answer first; store all of them, or none. Each answer records the
    language that was on screen: ``officer_lang`` (the interface's) for the officer's own
    questions, ``lang`` (by default the record's respondent language) for the others."""
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
        referral = referrals.REFERRAL_QUESTION
        if referral in values and referral not in errors:
            refused = referrals.refused_choice(values[referral], current.get(referral), {**current, **values})
            if refused:
                errors[referral] = refused
        if errors:
            raise AnswersRejected(errors)
        stamp = now_iso()
        respondent = lang or opened.respondent_lang
        for qid, value in values.items():
            if value is None:
                opened.body["answers"].pop(qid, None)
                continue
            officer = officer_lang and _for_officer(definition, qid)
            on_screen = officer_lang if officer else respondent
            entry: dict[str, Any] = {"value": value, "lang": on_screen, "at": stamp}
            if qid in originals:
                entry["zawgyi_original"] = originals[qid]
            opened.body["answers"][qid] = entry
        result.saved = list(values)
        result.converted = originals

    opened = modify(record_id, user, keys, change)
    result.answers = opened.answers
    result.flags = active_flags(opened.definition, result.answers)
    return result


def unsaved_answers_key(record_id: str, keys: KeySet) -> bytes:
    """The key a section page holds in memory (never stored by the phone) to keep answers it
    could not save yet in the tab's storage, encrypted (screening.js). Made from the officer's
    own private key: neither the phone's storage nor the laptop's disk alone opens them."""
    return hkdf_sha256(keys.own, salt=b"", info=UNSAVED_INFO + record_id.encode())


def mark_demo(record_id: str, user: User, keys: KeySet) -> None:
    def change(opened: OpenRecord) -> None:
        opened.body["demo"] = True

    modify(record_id, user, keys, change)


def set_languages(record_id: str, user: User, keys: KeySet, *,
                  respondent_lang: str | None = None, interview_lang: str | None = None) -> None:
    def change(opened: OpenRecord) -> None:
        if respondent_lang:
            opened.body["respondent_lang"] = respondent_lang
        if interview_lang:
            opened.body["interview_lang"] = interview_lang

    modify(record_id, user, keys, change)



def discard(record_id: str, user: User) -> None:
    rec = load(record_id, user)
    if rec.state is not RecordState.DRAFT:
        raise ValidationFailed(_l("Only drafts can be discarded."))
    db.session.delete(rec)
    db.session.commit()
    checkpoint()


