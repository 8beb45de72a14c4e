from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcday


class Installation(db.Model):  # type: ignore[name-defined]
    """One row: who this installation is. Its presence means first-run setup is done.

    Keys here are public or wrapped: private keys exist only inside users' key
    slots (see docs/keys.md).
    """

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcday)  # the day only
    # Random id chosen at setup; it names this station in every record header.
    station_id: Mapped[str | None] = mapped_column(sa.String(36))
    local_key_id: Mapped[str | None] = mapped_column(sa.String(32))
    signing_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    signing_key_wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary(128))
    central_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    # Station: the administrators' X25519 public key (every record is also wrapped to it).
    admins_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    # Only while slots from before migration 0009 remain: the administrators' private key
    # wrapped under the old station data key, for those slots' conversion (docs/keys.md).
    upgrade_stash: Mapped[bytes | None] = mapped_column(sa.LargeBinary(128))
    central_key_id: Mapped[str | None] = mapped_column(sa.String(32))
    next_seq: Mapped[int] = mapped_column(sa.BigInteger, default=1, server_default=sa.text("1"))
    # Station side of sync (filled at enrolment). The API key signs requests; unlike the
    # envelope signing key it must work while nobody is logged in (background sync).
    central_url: Mapped[str | None] = mapped_column(sa.String(300))
    central_signing_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    central_tls_pin: Mapped[str | None] = mapped_column(sa.String(64))
    api_private_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    request_counter: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sync_error: Mapped[str | None] = mapped_column(sa.String(300))
    # Station: central's clock minus this one's, as central measured it at the last sync (0
    # within central's flag limit, 10 minutes). Retention counts by central's time with it.
    clock_offset_seconds: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    # Station: since when central's record key is in use (its identity-signed statement's time);
    # a pulled statement that is not newer is not taken, so an old key cannot come back.
    central_key_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Station: that statement's time when a pull replaced the record key learned at enrolment
    # (the Sync page shows it; enrolled_at keeps the day only, so it cannot tell this itself).
    central_key_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Central, upgrading from a signing key wrapped with the config secret: the custody key
    # wrapped with a key derived from the old record private key, so custodians whose slots
    # still hold that key move to the custody key at their next login (then it is dropped).
    custody_bridge: Mapped[bytes | None] = mapped_column(sa.LargeBinary(128))
    # Station: central's facts key (X25519), learned with the record key under the identity
    # key's signature; each record's de-identified facts are sealed to it (docs/analytics.md).
    facts_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    facts_key_id: Mapped[str | None] = mapped_column(sa.String(32))
    # Central: bumped whenever facts rows are deleted or replaced, so every worker's
    # analytics index knows to reload rather than only read the rows added since.
    facts_generation: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    # Station: the RSA key pair ODK Collect encrypts submissions to (docs/odk.md). The public
    # half (SubjectPublicKeyInfo DER) is in every XForm the station serves; the private half
    # (PKCS#8 DER) is kept AES-256-GCM wrapped under a key derived from the station's signing
    # key, which only users' key slots hold (docs/keys.md).
    odk_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(600))
    odk_private_wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary(2048))


class KeySlot(db.Model):  # type: ignore[name-defined]
    """One user's passphrase-wrapped keys: on a station a key set (docs/keys.md), on central
    central's private key. Switching the account off deletes it."""

    __tablename__ = "key_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    key_id: Mapped[str] = mapped_column(sa.String(32))
    slot: Mapped[bytes] = mapped_column(sa.LargeBinary(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcday)  # the day only
