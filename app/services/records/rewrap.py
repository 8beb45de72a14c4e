"""Upgrading from one station key (before migration 0009): re-wrap old rows to their people.

Old rows hold their data key wrapped under the station data key (60 bytes). The
first login after the upgrade, whatever the role, still holds that key (its old slot
opened it, :func:`keyring.open_user_slot` converted the slot) and re-wraps every such
row to its creator and the administrators. A creator who has no key pair yet (not
logged in since the upgrade) is given one here, its private half escrowed to the
administrators; their own conversion later opens the escrow (docs/keys.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.crypto import CryptoError, KeySet, unwrap_local
from app.extensions import db
from app.models import Record, User
from app.services import installation
from app.services.accounts import keyring
from app.services.records.store import LEGACY_WRAP_SIZE, header_of, wrap_for


def rewrap_legacy(keys: KeySet) -> int:
    """Re-wrap every row still under the old station key; returns how many (one commit)."""
    assert keys.legacy is not None  # noqa: S101 - only called with the old key at hand
    inst = installation.get()
    rows = list(db.session.scalars(
        sa.select(Record).where(sa.func.length(Record.local_wrap) == LEGACY_WRAP_SIZE)))
    done = 0
    for rec in rows:
        creator = db.session.get(User, rec.created_by) if rec.created_by is not None else None
        if creator is not None and creator.public_key is None:
            keyring.give_key_pair(inst, creator)
        header = header_of(rec)
        try:
            data_key = unwrap_local(rec.local_wrap or b"", keys.legacy, header)
        except CryptoError:
            current_app.logger.error("record %s could not be re-wrapped: damaged", rec.id)
            continue
        rec.local_wrap = wrap_for(rec, header, data_key, inst)
        done += 1
    keyring.finish_upgrade()
    db.session.commit()
    return done
