"""First-run setup: name the installation and create the first administrator."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Installation
from app.roles import Role
from app.services import accounts, keyring
from app.services.errors import AlreadySetUp, ValidationFailed


def installation() -> Installation | None:
    return db.session.scalar(sa.select(Installation).limit(1))


def is_set_up() -> bool:
    return installation() is not None


def initialise(name: str, admin_username: str, admin_passphrase: str) -> Installation:
    """Create the installation row and the first administrator in one transaction."""
    name = name.strip()
    if not 2 <= len(name) <= 120:
        raise ValidationFailed(_l("Give the station a name of 2 to 120 characters."))
    if is_set_up():
        raise AlreadySetUp(_l("This installation is already set up."))
    inst = Installation(name=name, role=current_app.config["TIP"].role)
    db.session.add(inst)
    try:
        secret = keyring.create_keyring(inst)
        db.session.flush()
        accounts.create_user(admin_username, Role.ADMIN, admin_passphrase, secret=secret,
                             commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return inst
