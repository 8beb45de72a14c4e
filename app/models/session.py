from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class AuthSession(db.Model):  # type: ignore[name-defined]
    """A logged-in browser. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Central only: the unlocked central key, wrapped with a key made from one that lives
    # only in the session cookie and one from the instance's secret_key (config.toml), so
    # any worker can serve the coordinator and the database (even with a stolen cookie)
    # opens nothing. (Stations keep unlocked keys in process memory instead.)
    wrapped_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary(128))
