"""The installation row: the one row naming this station (or central), its keys and settings.

Every service that needs it asks here; nothing else queries the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Installation
from app.services.errors import NotSetUp


def find() -> Installation | None:
    """The row, or None before first-run setup."""
    return db.session.scalar(sa.select(Installation).limit(1))


def get() -> Installation:
    """The row; :class:`NotSetUp` before first-run setup."""
    inst = find()
    if inst is None:
        raise NotSetUp(_l("This installation is not set up."))
    return inst


def get_central() -> Installation:
    """The row of a central installation; LookupError anywhere else (a programming error)."""
    inst = find()
    if inst is None or inst.role != "central":
        raise LookupError("not a central installation")
    return inst


def is_set_up() -> bool:
    return find() is not None
