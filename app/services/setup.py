"""First-run setup: name the installation, make its keys and create the first administrator."""

from __future__ import annotations

import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Installation
from app.roles import Role
from app.services import accounts, installation
from app.services.accounts import keyring
from app.services.central import host as central_host
from app.services.central import keys as central_keys
from app.services.errors import AlreadySetUp, ValidationFailed


def _create_keys(inst: Installation) -> bytes:
    """The installation's secret (returned, for the first slot) and its public parts.

    On a station: the administrators' key pair and the signing key, as the key set that
    makes the first administrator's slot (see :func:`keyring.bootstrap_secret`)."""
    if inst.role == "central":
        # The custody key: it opens central's key ring (identity key, record keys).
        return central_keys.create(inst)
    inst.station_id = str(uuid.uuid4())
    return keyring.bootstrap_secret(inst)


def initialise(name: str, admin_username: str, admin_passphrase: str) -> Installation:
    """Create the installation row and the first administrator in one transaction."""
    name = name.strip()
    if not 2 <= len(name) <= 120:
        raise ValidationFailed(_l("Give the station a name of 2 to 120 characters."))
    if installation.is_set_up():
        raise AlreadySetUp(_l("This installation is already set up."))
    inst = Installation(name=name, role=current_app.config["TIP"].role)
    db.session.add(inst)
    try:
        secret = _create_keys(inst)
        db.session.flush()
        accounts.create_user(admin_username, Role.ADMIN, admin_passphrase, secret=secret,
                             commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if inst.role == "central":  # the first host's service key, certified by the identity key
        central_host.certify_host(secret, username=None)
    return inst
