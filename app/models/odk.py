from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class OdkSubmission(db.Model):  # type: ignore[name-defined]
    """A submission a phone sent (ODK Collect): which record it became, so a re-send is
    recognised. Nothing here is readable: the instance id is stored as a keyless hash of
    itself, and ``payload_sha256`` is the hash of what arrived encrypted to the station's RSA
    key (a fresh AES key per submission), so neither says anything about the answers."""

    __tablename__ = "odk_submissions"

    instance_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(36))
    payload_sha256: Mapped[str] = mapped_column(sa.String(64))
