"""Central: each export being produced, for the page's progress bar (docs/exports.md).

A row holds counts and the run's shape only (kind, format, how many records, how many written):
never a filter's codes, an answer or the zip password. Any web worker answers the progress
poll from it, whichever worker streams the file.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ExportRun(db.Model):  # type: ignore[name-defined]
    __tablename__ = "export_runs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # random, made by the export page
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    format: Mapped[str] = mapped_column(sa.String(8))
    total: Mapped[int] = mapped_column(sa.Integer)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    state: Mapped[str] = mapped_column(sa.String(16))  # running | done | failed
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
