"""The referral directory, every version of it, as central signed it (both roles).

At central each change an administrator makes adds a row: the next version number and the
whole directory, signed by central's identity key. A station keeps the versions it took
(pulled, or carried on a file) and reads the newest. Rows are only ever inserted: an older
version is never taken again, and stations may still show referrals to organisations that
were retired since (docs/referrals.md).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class DirectoryVersion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "directory_versions"

    # The directory's own number: the primary key refuses two changes racing to one number.
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    # Canonical JSON of the identity key's signed statement (app/protocol/identity.py).
    statement: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Central: the administrator who made this version. Station: how it came ("pull", "file").
    made_by: Mapped[str] = mapped_column(sa.String(64))
