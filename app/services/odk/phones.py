"""Who a phone's request is: HTTP Basic against the station's own accounts, over its TLS.

Collect sends the username and passphrase with every request (``/formList``, each form, the
HEAD pre-flight and each submission). Deriving the key for each would cost half a second of
every core per request (docs/keys.md), so the first request with the right passphrase opens
the user's key slot, exactly as a login does (throttled, counted, one derivation), and the
unlocked key set is kept in this process's memory (the key ring, as a web session's is),
under an id that is an HMAC of the account, its stored passphrase hash and the passphrase,
keyed with a random key this process made and never wrote anywhere. A later request with
the same passphrase computes the same id and finds the key set; a wrong passphrase finds
nothing and is checked (and counted) like a login. Nothing about the passphrase reaches
the disk or a log.

The entry lasts ``idle_timeout_minutes`` from that first check, however often it is used
(it is not refreshed), and goes with every key at Lock all, and with the user's sessions at
a new passphrase or when the account is switched off (its id starts with the user's id). A
new passphrase also changes the stored hash, so the old one's entry could never be found
again; an account given a role without phones is refused at its next request. Digest authentication is
not offered: it would need a passphrase-equivalent (MD5 of user, realm and passphrase)
stored on the station.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import KeySet
from app.models import User
from app.roles import Role
from app.services import accounts, unlock
from app.services.accounts import keyring
from app.services.errors import Locked

# Screeners who work with a phone. Administrators are not among them: Collect keeps the
# passphrase in its settings on the phone, and an administrator's opens every record here.
# Interpreters help an officer, who holds the phone.
PHONE_ROLES = frozenset({Role.OFFICER, Role.OUTREACH})
CACHE_KEY = "tip_odk_cache_key"  # app.extensions: this process's random HMAC key


@dataclass(frozen=True)
class Phone:
    user: User
    keys: KeySet


def _process_key() -> bytes:
    key: bytes | None = current_app.extensions.get(CACHE_KEY)
    if key is None:
        key = current_app.extensions.setdefault(CACHE_KEY, secrets.token_bytes(32))
    assert key is not None  # noqa: S101 - set just above
    return key


def _entry_id(user: User, passphrase: str) -> str:
    message = b"\x00".join([str(user.id).encode(), user.passphrase_hash.encode(),
                            passphrase.encode("utf-8", "surrogatepass")])
    digest = hmac.new(_process_key(), message, hashlib.sha256).hexdigest()
    return f"{keyring.PHONE_PREFIX}{user.id}:{digest}"


def may_use_phone(user: User | None) -> bool:
    return user is not None and user.active and user.role in PHONE_ROLES


def authenticate(username: str, passphrase: str, *, source: str) -> Phone | None:
    """The phone's account and unlocked keys; None for an account that may not use a phone.
    Raises what a login raises for a wrong passphrase or too many (LoginFailed,
    LoginThrottled, LoginBusy) and :class:`Locked` when the account has no usable key."""
    user = accounts.find_user(username)
    if user is not None and user.active:
        secret = keyring.unlocked().get(_entry_id(user, passphrase), touch=False)
        if secret is not None:
            return Phone(user, keyring.station_keys(secret)) if may_use_phone(user) else None
    login = accounts.authenticate(username, passphrase, source=source)
    if not may_use_phone(login.user):
        return None
    secret = unlock.open_keys(login.user, passphrase, opened=login.opened)
    if secret is None:
        raise Locked(_l("Your key could not be unlocked. Ask an administrator to set a new "
                        "passphrase for you."))
    keys = keyring.station_keys(secret)
    keyring.unlocked().put(_entry_id(login.user, passphrase), secret)
    return Phone(login.user, keys)
