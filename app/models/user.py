from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcday
from app.roles import Role


class User(db.Model):  # type: ignore[name-defined]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16,
                                               values_callable=lambda e: [m.value for m in e]))
    # Argon2id, PHC-encoded: parameters and salt travel with the hash.
    passphrase_hash: Mapped[str] = mapped_column(sa.String(255))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # The name the screener chose for referral slips ("Sgt. Somchai K."); the username if unset.
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcday)  # the day only
    # Station: the user's X25519 public key (records they create are wrapped to it) and its
    # private half sealed to the administrators' key, so a reset keeps the same key. Both stay
    # when the account is switched off; only the passphrase-protected slot goes.
    public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    key_escrow: Mapped[bytes | None] = mapped_column(sa.LargeBinary(128))
    # Station, after a re-key: the new signing key sealed to public_key, until the slot has it.
    signing_update: Mapped[bytes | None] = mapped_column(sa.LargeBinary(128))

    # A partner case worker (central): the directory organisation they work for.
    organisation_id: Mapped[str | None] = mapped_column(sa.String(40))

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username
