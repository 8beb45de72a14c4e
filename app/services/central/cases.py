"""Cases and referrals at central (docs/referrals.md, "Cases and referrals").

Every received record is a case: "new" until a coordinator assigns or refers it. Referring
opens the record (an audited ``open``, as on its page), takes the fields the coordinator
chose and the handover note, and seals them (HPKE) to the organisation's own key
(services/central/partners.py): only its case workers' slots open that, and the shared part
holds nothing else of the record. Every later step is a :class:`ReferralEvent`; its free text
(a decline's reason, a service, a note) is sealed to the organisation key and to central's
current record key, so case workers and coordinators both read it, and nothing is in clear.
Each step is one audit entry, committed with it (ids and statuses only).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, hpke_open, hpke_seal
from app.extensions import db
from app.models import Case, ReceivedRecord, Referral, ReferralEvent, User
from app.models.types import utcnow
from app.protocol.directory import Organisation, has_control_characters
from app.roles import Role
from app.services import installation
from app.services.central import audit, partners, received
from app.services.central import directory as central_directory
from app.services.central import keys as central_keys
from app.services.errors import Locked, NotFound, ValidationFailed
from app.services.referrals.proposals import why_not_offered

STATUSES = ("new", "referred", "accepted", "declined", "service_given", "closed")
MAX_NOTE = 2000
SHARE_FORMAT = 1
_SHARE_INFO = b"tip-screen/v1/referral:"  # || the referral's id
_TEXT_INFO = b"tip-screen/v1/referral-note:"  # || the referral's id

# What a step does to a referral: kind -> (statuses it may follow, the status after it, audit action).
STEPS: dict[str, tuple[tuple[str, ...], str | None, str]] = {
    "accepted": (("referred",), "accepted", audit.REFERRAL_ACCEPT),
    "declined": (("referred",), "declined", audit.REFERRAL_DECLINE),
    "service": (("accepted", "service_given"), "service_given", audit.REFERRAL_SERVICE),
    "note": (("referred", "accepted", "service_given"), None, audit.REFERRAL_NOTE),
    "closed": (("accepted", "service_given"), "closed", audit.REFERRAL_CLOSE),
}
NEEDS_TEXT = {"declined", "service", "note"}


def overdue_days() -> int:
    return int(current_app.config["TIP"].referral_overdue_days)


def _case(record_id: str) -> Case:
    row = db.session.get(Case, record_id)
    if row is None:
        if db.session.get(ReceivedRecord, record_id) is None:
            raise NotFound(_l("No such record."))
        row = Case(record_id=record_id, status="new", changed_at=utcnow())
        db.session.add(row)
    return row


def clean_text(text: str, *, required: bool) -> str:
    text = text.strip()
    if required and not text:
        raise ValidationFailed(_l("Write a few words: this step needs them."))
    if len(text) > MAX_NOTE:
        raise ValidationFailed(_l("At most %(n)d characters.", n=MAX_NOTE))
    if has_control_characters(text, lines=True):
        raise ValidationFailed(_l("The text cannot hold control characters."))
    return text


# -- what coordinators see -------------------------------------------------------------

@dataclass(frozen=True)
class CaseState:
    record_id: str
    status: str
    assignee: str | None
    overdue: bool


def states(record_ids: list[str]) -> dict[str, CaseState]:
    """Status, assignee and overdue for these records (every one: "new" without a row)."""
    if not record_ids:
        return {}
    rows = db.session.execute(sa.select(Case.record_id, Case.status, User.username)
                              .outerjoin(User, User.id == Case.assignee_id)
                              .where(Case.record_id.in_(record_ids))).all()
    late = set(db.session.scalars(sa.select(Referral.record_id).where(
        Referral.record_id.in_(record_ids), *_overdue_where())))
    found = {r[0]: CaseState(r[0], r[1], r[2], r[0] in late) for r in rows}
    return {rid: found.get(rid, CaseState(rid, "new", None, False)) for rid in record_ids}


def _overdue_where() -> list[Any]:
    return [Referral.status == "referred", Referral.made_at < utcnow() - timedelta(days=overdue_days())]


@dataclass(frozen=True)
class OverdueReferral:
    referral_id: str
    record_id: str
    organisation: str
    made_at: datetime
    made_by: str


def overdue() -> list[OverdueReferral]:
    """Referrals no organisation answered within ``referral_overdue_days``, oldest first."""
    names = {o.id: o.name.get("en") for o in central_directory.organisations()}
    rows = db.session.scalars(sa.select(Referral).where(*_overdue_where()).order_by(Referral.made_at)).all()
    return [OverdueReferral(r.id, r.record_id, names.get(r.organisation_id, r.organisation_id), r.made_at,
                            r.made_by) for r in rows]


def coordinators() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.role.in_((Role.COORDINATOR, Role.ADMIN)),
                                                         User.active.is_(True)).order_by(User.username)))


def assign(record_id: str, assignee_id: int | None, *, username: str) -> None:
    row = _case(record_id)
    if assignee_id is not None and assignee_id not in {u.id for u in coordinators()}:
        raise ValidationFailed(_l("A case is assigned to a coordinator or an administrator."))
    row.assignee_id = assignee_id
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    name = assignee.username if assignee is not None else "nobody"
    audit.record(username, audit.CASE_ASSIGN, record_id=record_id, detail=f"assigned to {name}")


def close_case(record_id: str, *, username: str) -> None:
    row = _case(record_id)
    if row.status == "closed":
        return
    row.status, row.changed_at = "closed", utcnow()
    audit.record(username, audit.CASE_STATUS, record_id=record_id, detail="closed")


# -- referring ------------------------------------------------------------------------------

def _refusal(org: Organisation, answers: dict[str, Any]) -> str | None:
    reason = why_not_offered(org, answers, current_app.config["TIP"].post_country)
    name = org.name.get("en")
    if reason == "retired":
        return str(_l("%(name)s is retired from the directory: it takes no new referrals.", name=name))
    if reason == "cross_border":
        return str(_l("%(name)s is across the border: the person has not agreed to a referral across the "
                      "border (consent question “cross-border referral”). Nothing was referred.", name=name))
    if reason == "mdt":
        return str(_l("%(name)s is the multidisciplinary team: the person has not agreed to their case "
                      "being shared with it. Nothing was referred.", name=name))
    return None


def _plain(answers: dict[str, Any]) -> dict[str, Any]:
    return {qid: a.get("value") if isinstance(a, dict) else a for qid, a in answers.items()}


def shareable(opened: received.OpenedRecord) -> list[str]:
    """The question ids a referral of this record may share: those answered."""
    return sorted(opened.answers)


def refer(record_id: str, org_id: str, fields: list[str], note: str, *, username: str,
          secret: bytes | None) -> Referral:
    org = central_directory.organisation(org_id)
    key = partners.key_of(org.id)
    if key is None:
        raise ValidationFailed(_l("%(name)s has no case worker accounts yet, so nothing can be sealed to it. "
                                  "An administrator makes the first one on the directory page.",
                                  name=org.name.get("en")))
    note = clean_text(note, required=False)
    opened = received.open_received(record_id, username=username, secret=secret)  # audited open
    answers = _plain(opened.answers)
    refusal = _refusal(org, answers)
    if refusal is not None:
        raise ValidationFailed(refusal)
    unknown = [f for f in fields if f not in opened.answers]
    if unknown:
        raise ValidationFailed(_l("These fields are not in the record: %(ids)s.", ids=", ".join(unknown[:5])))
    if not fields and not note:
        raise ValidationFailed(_l("Choose at least one field to share, or write a handover note."))
    referral_id = str(uuid.uuid4())
    share: dict[str, Any] = {"format": SHARE_FORMAT, "referral_id": referral_id, "record_id": record_id,
             "questionnaire": [opened.meta.questionnaire_id, opened.meta.questionnaire_version],
             "respondent_lang": opened.body.get("respondent_lang"),
             "fields": {f: opened.answers[f].get("value") if isinstance(opened.answers[f], dict)
                        else opened.answers[f] for f in sorted(set(fields))},
             "note": note}
    now = utcnow()
    row = Referral(id=referral_id, record_id=record_id, organisation_id=org.id, status="referred",
                   made_by=username, made_at=now, changed_at=now, change=0, organisation_key_id=key.key_id,
                   shared=hpke_seal(key.public_key, json.dumps(share, ensure_ascii=False).encode(),
                                    _SHARE_INFO + referral_id.encode()))
    db.session.add(row)
    _event(row, "referred", username, "")
    case = _case(record_id)
    case.status, case.changed_at = "referred", now
    audit.record(username, audit.REFERRAL, record_id=record_id,
                 detail=f"referral {referral_id} to {org.id}: {len(share['fields'])} fields shared")
    return row


# PostgreSQL advisory lock (two-key form, its own key space) that orders referral changes.
FEEDBACK_LOCK = (0x7469, 0x0F0B)


def _hold_feedback_order() -> None:
    """Take change numbers in commit order: the lock is held from before the event's id is drawn
    until the transaction ends, so a station's pull never sees change N+1 while N is still
    uncommitted (it would skip N for good). SQLite writers are serialised already."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"),
                           {"a": FEEDBACK_LOCK[0], "b": FEEDBACK_LOCK[1]})


def _event(row: Referral, kind: str, username: str, text: str) -> ReferralEvent:
    if kind != "note":
        _hold_feedback_order()
    event = ReferralEvent(referral_id=row.id, at=utcnow(), username=username, kind=kind)
    if text:
        key = partners.key_of(row.organisation_id)
        inst = installation.get_central()
        assert key is not None and inst.central_public_key is not None  # noqa: S101 - a referral has both
        info = _TEXT_INFO + row.id.encode()
        event.for_organisation = hpke_seal(key.public_key, text.encode(), info)
        event.for_central = hpke_seal(inst.central_public_key, text.encode(), info)
        event.central_key_id = inst.central_key_id
    db.session.add(event)
    db.session.flush()
    if kind != "note":
        row.change = event.id  # what stations' pulls count from
    return event


# -- a referral's steps (case workers) -----------------------------------------------------

def referral_of(referral_id: str, org_id: str | None) -> Referral:
    """The referral, if it was made to ``org_id``: a case worker of another organisation gets
    the same answer as for a referral that does not exist."""
    row = db.session.get(Referral, referral_id) if len(referral_id) <= 36 else None
    if row is None or org_id is None or row.organisation_id != org_id:
        raise NotFound(_l("No such referral."))
    return row


def step(referral_id: str, kind: str, text: str, *, user: User, secret: bytes | None) -> Referral:
    row = referral_of(referral_id, user.organisation_id)
    partners.organisation_private(user, secret)
    if kind not in STEPS:
        raise ValidationFailed(_l("Unknown step."))
    after, status, action = STEPS[kind]
    if row.status not in after:
        raise ValidationFailed(_l("This referral is %(status)s: that step does not apply to it now.",
                                  status=row.status))
    text = clean_text(text, required=kind in NEEDS_TEXT)
    _event(row, kind, user.username, text)
    if status is not None:
        now = utcnow()
        row.status, row.changed_at = status, now
        if kind in ("accepted", "declined"):
            row.answered_at = now
        case = _case(row.record_id)
        case.status, case.changed_at = status, now
    audit.record(user.username, action, record_id=row.record_id, detail=f"referral {row.id}")
    return row


@dataclass(frozen=True)
class Step:
    at: datetime
    username: str
    kind: str
    text: str | None  # None: the text could not be opened with this key


@dataclass(frozen=True)
class SharedPart:
    referral: Referral
    organisation: Organisation | None
    share: dict[str, Any]
    steps: list[Step]


def _texts(row: Referral, open_text: Any) -> list[Step]:
    events = db.session.scalars(sa.select(ReferralEvent).where(ReferralEvent.referral_id == row.id)
                                .order_by(ReferralEvent.id)).all()
    return [Step(e.at, e.username, e.kind, open_text(e)) for e in events]


def _organisation(org_id: str) -> Organisation | None:
    try:
        return central_directory.organisation(org_id)
    except NotFound:
        return None


def read_shared(referral_id: str, *, user: User, secret: bytes | None) -> SharedPart:
    """A case worker reads a referral of their organisation: opened with the key of their slot."""
    row = referral_of(referral_id, user.organisation_id)
    private = partners.organisation_private(user, secret)
    audit.record(user.username, audit.REFERRAL_READ, record_id=row.record_id, detail=f"referral {row.id}")
    try:
        share = json.loads(hpke_open(private, row.shared, _SHARE_INFO + row.id.encode()))
    except (CryptoError, ValueError):
        raise Locked(_l("This referral could not be opened with your organisation's key.")) from None

    def open_text(event: ReferralEvent) -> str | None:
        if event.for_organisation is None:
            return ""
        try:
            return hpke_open(private, event.for_organisation, _TEXT_INFO + row.id.encode()).decode()
        except CryptoError:
            return None

    return SharedPart(row, _organisation(row.organisation_id), share, _texts(row, open_text))


def for_organisation(org_id: str | None) -> list[Referral]:
    if org_id is None:
        return []
    return list(db.session.scalars(sa.select(Referral).where(Referral.organisation_id == org_id)
                                   .order_by(Referral.made_at.desc())))


@dataclass(frozen=True)
class ReferralTrail:
    referral: Referral
    organisation: str
    steps: list[Step]
    overdue: bool


def trail(record_id: str, custody: bytes | None) -> list[ReferralTrail]:
    """A case's referrals with their steps, texts opened with central's record keys (the
    handover trail coordinators read); texts stay None without the custody key."""
    rows = db.session.scalars(sa.select(Referral).where(Referral.record_id == record_id)
                              .order_by(Referral.made_at)).all()
    keys: dict[str, bytes | None] = {}

    def open_text(event: ReferralEvent) -> str | None:
        if event.for_central is None:
            return ""
        ident = event.central_key_id or ""
        if custody is None:
            return None
        if ident not in keys:
            try:
                keys[ident] = central_keys.record_private(custody, ident)
            except Locked:
                keys[ident] = None
        private = keys[ident]
        if private is None:
            return None
        try:
            return hpke_open(private, event.for_central, _TEXT_INFO + event.referral_id.encode()).decode()
        except CryptoError:
            return None

    late = timedelta(days=overdue_days())
    return [ReferralTrail(r, (_organisation(r.organisation_id) or Organisation(
        r.organisation_id, "", "", name=_fallback_name(r.organisation_id))).name.get("en"),
        _texts(r, open_text), r.status == "referred" and r.made_at < utcnow() - late) for r in rows]


def _fallback_name(org_id: str) -> Any:
    from app.questionnaire import LocalText

    return LocalText({"en": org_id})


def case_state(record_id: str) -> CaseState:
    return states([record_id])[record_id]


# -- feedback for stations -----------------------------------------------------------------

def feedback_for(station_id: str, since: int) -> list[dict[str, Any]]:
    """The referrals of this station's records that changed after ``since``: ids, status, time."""
    rows = db.session.execute(
        sa.select(Referral.id, Referral.record_id, Referral.organisation_id, Referral.status,
                  Referral.changed_at, Referral.change)
        .join(ReceivedRecord, ReceivedRecord.id == Referral.record_id)
        .where(ReceivedRecord.station_id == station_id, Referral.change > since)
        .order_by(Referral.change).limit(500)).all()
    return [{"referral_id": r[0], "record_id": r[1], "organisation_id": r[2], "status": r[3],
             "at": r[4].isoformat(timespec="seconds"), "change": int(r[5])} for r in rows]


def field_labels(share: dict[str, Any]) -> dict[str, Any]:
    """question id -> the question (None: this central lacks that questionnaire version)."""
    from app.services import questionnaires
    from app.services.referrals.proposals import with_organisations

    qid, version = (list(share.get("questionnaire") or []) + ["", ""])[:2]
    definition = questionnaires.get(str(qid), str(version))
    if definition is not None:
        definition = with_organisations(definition, central_directory.organisations())
    return {f: definition.question(f) if definition else None for f in share.get("fields", {})}
