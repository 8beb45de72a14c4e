"""A login opens the user's key slot: the installation's secret for that session.

On a station the slot holds the station data key. On central it holds the custody
key, which opens central's key ring; a central slot made before the key ring is
re-made at this point (``central.keys.unlock``), with the passphrase just checked.
"""

from __future__ import annotations

from flask import current_app

from app.models import User
from app.roles import Role
from app.services.accounts import keyring
from app.services.central import facts as central_facts
from app.services.central import host as central_host
from app.services.central import keys as central_keys


def open_keys(user: User, passphrase: str, *, opened: bytes | None = None) -> bytes | None:
    """The secret the user's slot opens, or None if the user has no slot. ``opened``: the
    slot's content from the login check (:class:`app.services.accounts.Login`), so the
    passphrase is not derived a second time."""
    if current_app.config["TIP"].role != "central" or user.role is Role.PARTNER:
        # A partner case worker's slot holds their organisation's key: nothing of central's.
        return keyring.open_user_slot(user, passphrase, opened=opened)
    custody = central_keys.unlock(user, passphrase, opened=opened)
    if custody is not None and central_host.needs_certificate():
        # A host with no certified service key (or one just moved from the legacy layout)
        # gets one from the first custodian who logs in on it.
        central_host.certify_host(custody, username=user.username)
    if custody is not None:
        # A central from before facts gets its facts key; this host, the facts keys it lacks,
        # so that ingest indexes facts from now on with no one logged in.
        central_keys.ensure_facts_key(custody, username=user.username)
        central_host.hold_facts_keys(central_keys.facts_private_keys(custody))
    return custody


def after_login(user: User, secret: bytes) -> None:
    """What a web login starts once its session holds the secret: at central, indexing the
    facts of records that lack them (a background job; docs/analytics.md)."""
    if current_app.config["TIP"].role == "central" and user.role is not Role.PARTNER:
        central_facts.start_rebuild(secret, username=user.username)
