"""Central: the de-identified facts of each received record, and coordinators' saved filters.

A ``record_facts`` row is written at ingest (facts opened with central's facts key) or by
the rebuild job (facts derived from records a custodian opened); docs/analytics.md. Rows
are only ever inserted or deleted, never updated, so readers can follow them by ``id``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class RecordFacts(db.Model):  # type: ignore[name-defined]
    __tablename__ = "record_facts"

    # Insertion order: the analytics index reads the rows added since it last looked.
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(
        sa.ForeignKey("received_records.id", ondelete="CASCADE"), unique=True)
    station_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    # From the record's plaintext header (DESIGN.md allows the day of creation).
    created_day: Mapped[str] = mapped_column(sa.String(10), index=True)
    questionnaire_id: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    # Canonical JSON object {fact id: code, [codes] or null} (docs/analytics.md "Facts").
    facts: Mapped[str] = mapped_column(sa.Text)
    # "ingest": opened with the facts key as it arrived; "rebuild": derived from the record.
    source: Mapped[str] = mapped_column(sa.String(16))
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SavedFilter(db.Model):  # type: ignore[name-defined]
    """A coordinator's named filter for the case list and dashboard (a query string)."""

    __tablename__ = "saved_filters"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    query: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
