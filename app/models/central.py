"""Tables of the central role: enrolled stations, received envelopes, the audit chain."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class EnrolmentCode(db.Model):  # type: ignore[name-defined]
    """A single-use code for one named station; only its hash is stored."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_name: Mapped[str] = mapped_column(sa.String(120))
    # Set for a re-key code: only this (existing) station may redeem it. Unset: a code for a
    # new station, which can never replace the keys of a station id central already has.
    station_id: Mapped[str | None] = mapped_column(sa.ForeignKey("stations.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FailedAttempt(db.Model):  # type: ignore[name-defined]
    """Failed guesses (enrolment codes), kept in the database so every worker sees them."""

    __tablename__ = "failed_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Station(db.Model):  # type: ignore[name-defined]
    __tablename__ = "stations"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # the station's own UUID
    name: Mapped[str] = mapped_column(sa.String(120))
    signing_public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))  # signs envelopes
    api_public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))  # signs requests
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_counter: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    # Which of the 63 counters below last_counter were accepted (services/station_auth.advance).
    counter_window: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    pending: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    clock_skew_seconds: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    # Requests central refused and records it refused or found in conflict, with the last
    # problem's code (app/protocol/problems.py) and time (services/sync/station_errors.py).
    error_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    last_error_code: Mapped[str | None] = mapped_column(sa.String(16))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StationKey(db.Model):  # type: ignore[name-defined]
    """A station's earlier public keys, kept at each re-key so that envelopes it signed
    before still verify (at ingest and when a coordinator opens them)."""

    __tablename__ = "station_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[str] = mapped_column(sa.ForeignKey("stations.id"), index=True)
    signing_public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    api_public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())


class ReceivedRecord(db.Model):  # type: ignore[name-defined]
    """One record as central received it: still sealed; opened only on a coordinator's demand."""

    __tablename__ = "received_records"
    __table_args__ = (sa.Index("ix_received_station_seq", "station_id", "seq"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # the station's record UUID
    station_id: Mapped[str] = mapped_column(sa.ForeignKey("stations.id"))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    questionnaire_id: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    central_key_id: Mapped[str] = mapped_column(sa.String(32))
    created_day: Mapped[str] = mapped_column(sa.String(10))
    envelope: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    envelope_sha256: Mapped[str] = mapped_column(sa.String(64))
    receipt: Mapped[bytes] = mapped_column(sa.LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """Append-only and hash-chained: each entry's hash covers the previous one; its MAC (a key
    from the instance config, never in the database) covers the hash (services/central/audit.py)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    username: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    record_id: Mapped[str | None] = mapped_column(sa.String(36))
    detail: Mapped[str] = mapped_column(sa.String(200), default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # HMAC-SHA256 of the hash; NULL only for entries written before revision 0007 (until sealed).
    mac: Mapped[str | None] = mapped_column(sa.String(64))


class CentralKey(db.Model):  # type: ignore[name-defined]
    """Central's private keys, every generation, each wrapped with the custody key.

    The custody key itself exists only inside coordinators' and administrators' key
    slots, so these rows open only through a custodian's passphrase (docs/keys.md).
    ``kind`` is "identity" (Ed25519: certifies hosts, signs record keys) or "record"
    (X25519: envelopes are sealed to it). Old record keys stay, ``retired_at`` set, so
    records sealed to them still open.
    """

    __tablename__ = "central_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    wrapped_private: Mapped[bytes] = mapped_column(sa.LargeBinary(128))
    # For a record key: the identity key's signed statement (canonical JSON) naming it.
    statement: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
