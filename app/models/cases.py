"""Cases and referrals at central, and what a station keeps of its records' referrals.

Central: every received record is a case (a row here once anything happens to it; no row
means "new"). A coordinator refers a case to an organisation of the referral directory: the
part of the record the referral shares is sealed (HPKE) to that organisation's own key
(``organisation_keys``), whose private half lives only in its case workers' key slots and,
wrapped with the custody key, at central. Every step of a referral (referred, accepted,
declined, a service, a note, closed) is a ``referral_events`` row; free text in it (the
reason, the service, the note) is sealed to the organisation key and to central's record
key, never stored in clear. docs/referrals.md, docs/keys.md.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class OrganisationKey(db.Model):  # type: ignore[name-defined]
    """An organisation's X25519 key pair: made when its first case worker is made."""

    __tablename__ = "organisation_keys"

    organisation_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    # AES-GCM under central's custody key: an administrator can give the key to a later case
    # worker without one of them at hand (docs/keys.md, "Organisation keys").
    wrapped_private: Mapped[bytes] = mapped_column(sa.LargeBinary(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Case(db.Model):  # type: ignore[name-defined]
    __tablename__ = "cases"

    record_id: Mapped[str] = mapped_column(sa.ForeignKey("received_records.id"), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="new")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Referral(db.Model):  # type: ignore[name-defined]
    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # random UUID
    record_id: Mapped[str] = mapped_column(sa.ForeignKey("received_records.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    made_by: Mapped[str] = mapped_column(sa.String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # accepted or declined
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Grows with every status change (the id of that change's event): what a station has
    # seen of its records' referrals is the highest number it took (docs/sync.md, "Pull").
    change: Mapped[int] = mapped_column(sa.BigInteger, default=0, index=True)
    # HPKE to the organisation key: the shared fields and the handover note (JSON).
    shared: Mapped[bytes] = mapped_column(sa.LargeBinary)
    organisation_key_id: Mapped[str] = mapped_column(sa.String(32))


class ReferralEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[str] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    username: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    # Free text (a reason, a service, a note), sealed twice: to the organisation key and to
    # central's record key (of generation central_key_id). None when the step has no text.
    for_organisation: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    for_central: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    central_key_id: Mapped[str | None] = mapped_column(sa.String(32))


class ReferralFeedback(db.Model):  # type: ignore[name-defined]
    """Station: the status of a referral of one of its own records, as central's pull told it
    (no personal data: ids, a status and a time)."""

    __tablename__ = "referral_feedback"

    referral_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    organisation_id: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    change: Mapped[int] = mapped_column(sa.BigInteger)
