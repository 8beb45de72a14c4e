"""Finalise a screening: score it, keep an override with its reason, seal it to central.

Sealing re-encrypts the body under the sealed header, seals the data key to
central (HPKE), signs the envelope with the station's signing key (every
user's key set holds it) and re-wraps the local copy for the sealed header,
in the same transaction that puts the record in the outbox. Sealing needs the
record's data key, so a record that waited for central's key is sealed at the
next login of its creator or of an administrator (:func:`seal_waiting`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import FACTS_VERSION, KeySet, encrypt_body, parse_envelope, seal_envelope
from app.crypto.envelope import ENVELOPE_VERSION
from app.extensions import db
from app.models import Installation, Record, RecordState, User
from app.protocol.messages import canonical
from app.questionnaire import Outcome, Tier, score
from app.questionnaire.facts import derive_facts
from app.services import installation, questionnaires
from app.services.accounts import keyring
from app.services.errors import RecordDamaged, ValidationFailed
from app.services.records.retention import purge_expired
from app.services.records.rewrap import rewrap_legacy
from app.services.records.store import (
    OpenRecord,
    can_open,
    decrypt,
    encode,
    header_of,
    load,
    modify,
    now_iso,
    wrap_for,
)

MIN_OVERRIDE_REASON = 10


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {
        "tier": outcome.tier.value,
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


def finalise(record_id: str, user: User, keys: KeySet, *, override_tier: str | None = None,
             override_reason: str = "") -> Record:
    """Score, keep any override with its reason, and seal to central if its key is known."""
    override_reason = override_reason.strip()
    if override_tier and Tier.of(override_tier) is None:
        raise ValidationFailed(_l("Choose one of the listed outcomes."))

    def change(opened: OpenRecord) -> None:
        outcome = score(opened.definition, opened.answers)
        opened.body["outcome"] = outcome_dict(outcome)
        if override_tier and override_tier != outcome.tier:
            if len(override_reason) < MIN_OVERRIDE_REASON:
                raise ValidationFailed(_l("Write the reason for changing the outcome "
                                          "(at least %(n)d characters).", n=MIN_OVERRIDE_REASON))
            opened.body["override"] = {"tier": override_tier, "reason": override_reason,
                                       "by": user.username, "at": now_iso()}
        else:
            opened.body["override"] = None
        opened.body["finalised_at"] = now_iso()

    opened = modify(record_id, user, keys, change)
    rec = opened.record
    db.session.execute(sa.update(Record).where(Record.id == rec.id, Record.state == RecordState.DRAFT)
                       .values(state=RecordState.FINAL).execution_options(synchronize_session=False))
    db.session.commit()
    rec = load(record_id, user)
    inst = installation.get()
    if inst.central_public_key is not None:
        seal(rec, inst, keys)
    return rec


def seal(rec: Record, inst: Installation, keys: KeySet) -> None:
    """Re-encrypt under the sealed header, seal to central, sign: one transaction with the outbox.

    Signed with the station's current signing key only (:func:`keyring.current_signing_key`):
    a key set from before a re-key that cannot reach the new key leaves the record waiting."""
    assert inst.central_public_key is not None and inst.central_key_id is not None  # noqa: S101
    signing = keyring.current_signing_key(keys)
    if signing is None:
        return
    old_ct = rec.body
    data_key, body = decrypt(rec, keys)
    result = db.session.execute(
        sa.update(Record).where(Record.id == rec.id, Record.body == old_ct,
                                Record.envelope.is_(None))
        .values(**sealed_columns(rec, inst, signing, data_key, body))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()  # someone else sealed it first: theirs stands
        return
    db.session.commit()


def sealed_columns(rec: Record, inst: Installation, signing: bytes, data_key: bytes,
                   body: dict[str, Any]) -> dict[str, Any]:
    """The columns of ``rec`` sealed: the envelope (body re-encrypted under the sealed header,
    data key sealed to central, signed), and the local wrap bound to that header."""
    assert inst.central_public_key is not None and inst.central_key_id is not None  # noqa: S101
    facts = _facts_of(rec, body) if inst.facts_public_key is not None else None
    header = replace(header_of(rec), central_key_id=inst.central_key_id,
                     version=FACTS_VERSION if facts is not None else ENVELOPE_VERSION)
    body_ct = encrypt_body(header, encode(body), data_key)
    envelope = seal_envelope(header, body_ct, data_key, inst.central_public_key, signing,
                             facts=facts, facts_public_key=inst.facts_public_key if facts else None)
    parsed = parse_envelope(envelope)
    return {"central_key_id": inst.central_key_id, "body": None, "envelope": envelope,
            "envelope_sha256": parsed.sha256, "padded_size": parsed.padded_size,
            "local_wrap": wrap_for(rec, header, data_key, inst)}


def _facts_of(rec: Record, body: dict[str, Any]) -> bytes | None:
    """The record's de-identified facts as sealed for central (canonical JSON), by its
    questionnaire's ``facts`` list; None if this station lacks that version."""
    definition = questionnaires.get(rec.questionnaire_id, rec.questionnaire_version)
    if definition is None:
        return None
    return canonical(derive_facts(definition, body))


def seal_waiting(keys: KeySet) -> int:
    """Seal every final record that waited for central's key and that ``keys`` open (a
    user's own; an administrator's: all). Returns how many were tried."""
    inst = installation.get()
    if inst.central_public_key is None or keyring.current_signing_key(keys) is None:
        return 0
    waiting = list(db.session.scalars(
        sa.select(Record).where(Record.state == RecordState.FINAL, Record.envelope.is_(None),
                                Record.local_key_id == inst.local_key_id)))
    waiting = [rec for rec in waiting if can_open(rec, keys)]
    for rec in waiting:
        try:
            seal(rec, inst, keys)
        except RecordDamaged:
            current_app.logger.error("record %s could not be sealed: damaged", rec.id)
    return len(waiting)


def set_central_key(public_key: bytes, central_key_id: str) -> None:
    """Learned at enrolment (or a key update): later finalisations seal to it."""
    inst = installation.get()
    inst.central_public_key = public_key
    inst.central_key_id = central_key_id
    db.session.commit()


def after_unlock(secret: bytes) -> None:
    """At login (``secret``: what the login's slot opened): re-wrapping rows from before
    role keys, sealing (both need the keys, so they wait for a login), then a shred of what
    expired (needs no key: it also runs after receipts and from the housekeeping timer)."""
    if current_app.config["TIP"].role != "station":
        return
    keys = keyring.station_keys(secret)
    if keys.legacy is not None:
        rewrap_legacy(keys)
    seal_waiting(keys)
    purge_expired()


