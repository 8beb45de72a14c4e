"""A screening filled on a phone (ODK Collect) becomes an ordinary finalised record at once.

The phone has already finished the interview, so there is no draft: the record is written
final, scored by the same engine as :func:`.sealing.finalise`, sealed to central and signed
by the station when central's key is known (else it waits, like any final record, for
:func:`.sealing.seal_waiting`), with the row that recognises the submission if it is sent
again, all in one transaction. Nothing is written before the commit, nothing after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.crypto import KeySet, new_data_key
from app.extensions import db
from app.models import OdkSubmission, Record, RecordState, User
from app.questionnaire import Definition, score
from app.services import installation
from app.services.accounts import keyring
from app.services.records.drafts import encrypt_locally, new_record
from app.services.records.sealing import outcome_dict, sealed_columns
from app.services.records.store import BODY_FORMAT, encode, now_iso

SOURCE = "odk"


@dataclass(frozen=True)
class PhoneSubmission:
    """What the phone sent, opened: the answers to store, and how to know it again."""

    answers: Mapping[str, object]
    zawgyi_originals: Mapping[str, str]
    lang: str  # the language the answers are recorded in (Collect does not say which it showed)
    instance_hash: str
    payload_sha256: str
    xml_sha256: str  # of the decrypted instance: kept inside the encrypted body only


def body_for(submission: PhoneSubmission, definition: Definition) -> dict[str, Any]:
    stamp = now_iso()
    answers: dict[str, Any] = {}
    for qid, value in submission.answers.items():
        entry: dict[str, Any] = {"value": value, "lang": submission.lang, "at": stamp}
        if qid in submission.zawgyi_originals:
            entry["zawgyi_original"] = submission.zawgyi_originals[qid]
        answers[qid] = entry
    outcome = score(definition, dict(submission.answers))
    return {
        "format": BODY_FORMAT,
        "started_at": stamp,
        "respondent_lang": submission.lang,
        "interview_lang": submission.lang,
        "answers": answers,
        "outcome": outcome_dict(outcome),
        "override": None,
        "finalised_at": stamp,
        "source": {"kind": SOURCE, "xml_sha256": submission.xml_sha256},
    }


def from_phone(user: User, keys: KeySet, definition: Definition, submission: PhoneSubmission,
               *, today: date | None = None) -> Record:
    """The submission as a final record (sealed if central's key is known) and its
    ``odk_submissions`` row, in one commit. An IntegrityError (the same instance, stored by
    a request that won the race) rolls back everything."""
    inst = installation.get()
    body = body_for(submission, definition)
    encoded = encode(body)
    rec = new_record(inst, user, definition, RecordState.FINAL, len(encoded), today)
    data_key = new_data_key()
    signing = keyring.current_signing_key(keys)
    if inst.central_public_key is not None and signing is not None:
        for column, value in sealed_columns(rec, inst, signing, data_key, body).items():
            setattr(rec, column, value)
    else:
        encrypt_locally(rec, inst, keys, encoded, data_key)
    db.session.add(rec)
    db.session.add(OdkSubmission(instance_hash=submission.instance_hash, record_id=rec.id,
                                 payload_sha256=submission.payload_sha256))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise
    return rec
