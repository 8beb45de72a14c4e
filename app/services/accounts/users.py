"""Accounts: create, authenticate (throttled per account and address), reset, change language
and display name."""

from __future__ import annotations

import base64
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from math import ceil

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, SlotError, WrongPassphrase, hash_passphrase, open_slot, verify_passphrase
from app.extensions import db
from app.models import User
from app.models.types import utcnow
from app.roles import Role
from app.services import installation, throttle
from app.services.accounts import events, keyring, passphrase_policy, sessions
from app.services.accounts.kdf import kdf_params, kdf_turn
from app.services.errors import Locked, LoginFailed, LoginThrottled, ValidationFailed

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFC", username).strip().lower()


def check_new_account(username: str, passphrase: str) -> list[object]:
    found: list[object] = []
    if not USERNAME_RE.match(username):
        found.append(_l("A username is 2 to 64 characters: a-z, 0-9, dot, dash or underscore."))
    found.extend(passphrase_policy.problems(passphrase, username=username))
    return found


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalize_username(username)))


def create_user(username: str, role: Role | str, passphrase: str, *, secret: bytes | None,
                commit: bool = True, actor: str | None = None,
                organisation: tuple[str, bytes, str] | None = None) -> User:
    """Create an account and, where the role needs one, its key slot.

    ``secret`` is the unlocked secret of the administrator's session (or fresh at setup):
    on a station their key set, which gives the new user's key set the signing key (and,
    to a new administrator, the administrators' key); on central, central's private key.
    ``actor`` is who creates it, for the audit log (:mod:`.events`). ``organisation``: for a
    partner case worker (central), (organisation id, the organisation's private key, its key
    id): that key, never the custody key, goes into their slot (services/central/partners.py).
    """
    username = normalize_username(username)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(_l("Unknown role: %(role)s", role=str(role))) from None
    found = check_new_account(username, passphrase)
    if found:
        raise ValidationFailed(found[0])
    if find_user(username) is not None:
        raise ValidationFailed(_l("The username %(name)s is already taken.", name=username))
    inst = installation.find()
    if role is Role.PARTNER and (inst is None or inst.role != "central"):
        raise ValidationFailed(_l("Partner case workers have accounts at central only."))
    if (role is Role.PARTNER) != (organisation is not None):
        raise ValidationFailed(_l("A partner case worker is made on their organisation's page, "
                                  "and only a partner case worker belongs to an organisation."))
    user = User(username=username, role=role,
                passphrase_hash=hash_passphrase(passphrase, kdf_params()))
    db.session.add(user)
    if organisation is not None:
        user.organisation_id = organisation[0]
        db.session.flush()
        keyring.put_slot(user, passphrase, organisation[1], organisation[2])
    elif inst is not None and keyring.needs_slot(role, inst.role):
        if secret is None:
            db.session.rollback()
            raise Locked(_l("Unlock the key first: log in again as an administrator."))
        db.session.flush()
        if inst.role == "station":
            try:
                keyring.make_station_slot(user, passphrase, secret)
            except Locked:
                db.session.rollback()
                raise
        else:
            keyring.put_slot(user, passphrase, secret, inst.local_key_id or "")
    db.session.flush()
    events.announce(events.CREATED, actor=actor, subject=username, detail=f"role {role.value}")
    if commit:
        db.session.commit()
    return user


# Guesses are counted per account *and* address, so a stranger guessing at an
# administrator's account locks out only himself; an address guessing at many
# accounts is slowed as a whole. Unknown usernames are counted and answered
# exactly like known ones. The machine's operator at the command line has a
# count of his own, which no failure on the web can lock.
ACCOUNT_GUESSES = "login"
ADDRESS_GUESSES = "login-from"
ADDRESS_FACTOR = 4  # an address may fail this many times the per-account limit
LOCAL_OPERATOR = "local-cli"  # the ``source`` of the command line


@lru_cache(maxsize=2)
def _dummy_hash(profile: str) -> str:
    """A PHC string with this installation's parameters that no passphrase matches: random
    salt and tag, so making it costs no derivation (checking against it costs one)."""
    params = kdf_params()
    salt, tag = (base64.b64encode(os.urandom(n)).decode().rstrip("=") for n in (16, 32))
    return (f"$argon2id$v=19$m={params.memory_kib},t={params.iterations},p={params.lanes}"
            f"${salt}${tag}")


def _minutes(until: datetime) -> int:
    return max(1, ceil((until - utcnow()).total_seconds() / 60))


def _rules() -> tuple[throttle.Rule, throttle.Rule]:
    cfg = current_app.config["TIP"]
    base = timedelta(minutes=cfg.login_lockout_minutes)
    return (throttle.Rule(ACCOUNT_GUESSES, cfg.login_max_failures, base),
            throttle.Rule(ADDRESS_GUESSES, cfg.login_max_failures * ADDRESS_FACTOR, base))


def _check_locks(account: throttle.Rule, account_key: str, address: throttle.Rule,
                 address_key: str | None) -> None:
    until = throttle.locked_until(account, account_key)
    if until is not None:
        raise LoginThrottled(_l("Too many wrong passphrases for this account. Wait %(n)d minute(s) and "
                                "try again, or ask an administrator.", n=_minutes(until)))
    until = throttle.locked_until(address, address_key) if address_key else None
    if until is not None:
        raise LoginThrottled(_l("Too many failed logins from this device. Wait %(n)d minute(s) and "
                                "try again.", n=_minutes(until)))


@dataclass(frozen=True)
class Login:
    """A checked passphrase: the account, and what its key slot held if the slot was the check."""

    user: User
    opened: bytes | None


def _check_passphrase(user: User | None, passphrase: str) -> tuple[bool, bytes | None]:
    """(right, what the slot held). One Argon2id derivation whatever the case, so the cost of
    a login is one derivation and its time tells nothing about the account (docs/keys.md)."""
    if user is None or not user.active:
        # Spend the same time as a real check, so timing does not reveal accounts.
        verify_passphrase(_dummy_hash(current_app.config["TIP"].kdf_profile), passphrase)
        return False, None
    row = keyring.slot_of(user)
    if row is not None:
        # The slot is the check: the AES-GCM tag under the derived key holds only for the
        # right passphrase, and the key it opens is what the login needs next.
        try:
            return True, open_slot(row.slot, passphrase)
        except WrongPassphrase:
            return False, None
        except SlotError:
            pass  # refused before any derivation: the hash decides, the unlock then says why
    try:
        return verify_passphrase(user.passphrase_hash, passphrase), None
    except CryptoError:
        return False, None  # a damaged stored hash: refuse, never crash


def authenticate(username: str, passphrase: str, *, source: str) -> Login:
    """The user (and their opened slot), if the passphrase is right. ``source``: the client's
    address, or :data:`LOCAL_OPERATOR` for the command line. Every wrong guess is counted."""
    name = normalize_username(username)
    account, address = _rules()
    account_key = throttle.key(ACCOUNT_GUESSES, name, source)
    address_key = None if source == LOCAL_OPERATOR else throttle.key(ADDRESS_GUESSES, source)
    _check_locks(account, account_key, address, address_key)
    user = find_user(name)
    with kdf_turn():
        right, opened = _check_passphrase(user, passphrase)
    if not right or user is None:
        throttle.count_failure(*(k for k in (account_key, address_key) if k))
        _check_locks(account, account_key, address, address_key)
        raise LoginFailed(_l("Wrong username or passphrase."))
    throttle.clear(account_key)
    db.session.commit()
    return Login(user, opened)


def reset_passphrase(user: User, new_passphrase: str, *, secret: bytes | None,
                     actor: str | None = None, organisation_key: tuple[bytes, str] | None = None) -> None:
    """A forgotten passphrase: an administrator holding the key re-wraps a new slot.

    On a station the user keeps their key pair (opened from its escrow with the
    administrators' key), so their records stay theirs; this is also how an account that
    was switched off gets a slot again."""
    found = passphrase_policy.problems(new_passphrase, username=user.username)
    if found:
        raise ValidationFailed(found[0])
    inst = installation.find()
    if user.role is Role.PARTNER:
        # Their slot holds their organisation's key, not what this administrator holds.
        if organisation_key is None:
            raise ValidationFailed(_l("A partner case worker's passphrase is set on their organisation's "
                                      "page (Referral directory, Case workers)."))
        keyring.put_slot(user, new_passphrase, organisation_key[0], organisation_key[1])
    elif inst is not None and keyring.needs_slot(user.role, inst.role):
        if secret is None:
            raise Locked(_l("Unlock the key first: log in again as an administrator."))
        if inst.role == "station":
            keyring.make_station_slot(user, new_passphrase, secret)
        else:
            keyring.put_slot(user, new_passphrase, secret, inst.local_key_id or "")
    user.passphrase_hash = hash_passphrase(new_passphrase, kdf_params())
    throttle.clear_subject(ACCOUNT_GUESSES, user.username)  # a new passphrase lifts every lock
    # A new passphrase ends every open session of that account.
    sessions.end_for_user(user.id)
    events.announce(events.PASSPHRASE_RESET, actor=actor, subject=user.username)
    db.session.commit()


def set_active(user: User, active: bool, *, actor: str | None = None) -> None:
    """Switching an account off ends its sessions and deletes its key slot, so its passphrase
    opens nothing; switching it on again needs a new passphrase (:func:`reset_passphrase`)."""
    user.active = active
    if not active:
        sessions.end_for_user(user.id)
        keyring.delete_slot(user)
    events.announce(events.SWITCHED_ON if active else events.SWITCHED_OFF, actor=actor,
                    subject=user.username)
    db.session.commit()


DISPLAY_NAME_MAX = 80


def clean_display_name(name: str) -> str:
    """The name as it will be stored: NFC, single spaces; raises ValidationFailed if unusable."""
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if len(cleaned) > DISPLAY_NAME_MAX:
        raise ValidationFailed(_l("A display name has at most %(n)d characters.", n=DISPLAY_NAME_MAX))
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise ValidationFailed(_l("A display name cannot hold control characters."))
    return cleaned


def set_display_name(user: User, name: str) -> None:
    """The name shown for this screener on referral slips; empty: the username again."""
    user.display_name = clean_display_name(name) or None
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


def first_admin_name() -> str:
    name = db.session.scalar(sa.select(User.username).where(User.role == Role.ADMIN)
                             .order_by(User.id).limit(1))
    return name or ""


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
