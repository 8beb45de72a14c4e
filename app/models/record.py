from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class RecordState(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"
    SYNCED = "synced"


class Record(db.Model):  # type: ignore[name-defined]
    """A screening. Only the metadata DESIGN.md allows is plaintext; the rest is ciphertext.

    ``body`` is the AES-256-GCM ciphertext of the record (answers, names,
    outcome, flags, languages), ``local_wrap`` its data key wrapped to its
    creator's and the administrators' X25519 keys (a wrap set, docs/envelope.md;
    60 bytes under the old station data key in rows from before 0009). After a
    receipt and the retention window both are deleted; only the receipt line stays.
    """

    __tablename__ = "records"
    __table_args__ = (sa.UniqueConstraint("station_id", "seq"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # random UUID
    station_id: Mapped[str] = mapped_column(sa.String(36))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    local_key_id: Mapped[str] = mapped_column(sa.String(32))
    central_key_id: Mapped[str | None] = mapped_column(sa.String(32))
    state: Mapped[RecordState] = mapped_column(
        sa.Enum(RecordState, native_enum=False, length=8,
                values_callable=lambda e: [m.value for m in e]), index=True)
    created_day: Mapped[str] = mapped_column(sa.String(10))
    padded_size: Mapped[int] = mapped_column(sa.Integer)
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    local_wrap: Mapped[bytes | None] = mapped_column(sa.LargeBinary(1024))
    # The sealed, signed envelope (final records, once central's key is known).
    envelope: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    envelope_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    receipt: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Central's final "no" (a conflict or a refusal, with its reason code; never personal data):
    # the record stays here, out of the outbox, until someone asks to send it again.
    sync_problem: Mapped[str | None] = mapped_column(sa.String(80))
