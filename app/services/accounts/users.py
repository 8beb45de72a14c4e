"""Accounts: create, authenticate (with per-account throttling), reset, change language."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from functools import lru_cache
from math import ceil

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, hash_passphrase, verify_passphrase
from app.extensions import db
from app.models import User
from app.models.types import utcnow
from app.roles import Role
from app.services import installation
from app.services.accounts import events, keyring, passphrase_policy, sessions
from app.services.accounts.kdf import kdf_params
from app.services.errors import Locked, LoginFailed, LoginThrottled, ValidationFailed

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_LOCKOUT = timedelta(hours=1)


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
                commit: bool = True, actor: str | None = None) -> User:
    """Create an account and, where the role needs one, its key slot.

    ``secret`` is the installation's unlocked key (from the administrator's
    session, or fresh at setup): a slot can only be made by someone who holds it.
    ``actor`` is who creates it, for the audit log (:mod:`.events`).
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
    user = User(username=username, role=role,
                passphrase_hash=hash_passphrase(passphrase, kdf_params()))
    db.session.add(user)
    inst = installation.find()
    if inst is not None and keyring.needs_slot(role, inst.role):
        if secret is None:
            db.session.rollback()
            raise Locked(_l("Unlock the key first: log in again as an administrator."))
        db.session.flush()
        keyring.put_slot(user, passphrase, secret, inst.local_key_id or "")
    db.session.flush()
    events.announce(events.CREATED, actor=actor, subject=username, detail=f"role {role.value}")
    if commit:
        db.session.commit()
    return user


@lru_cache(maxsize=2)
def _dummy_hash(profile: str) -> str:
    return hash_passphrase("not-a-real-passphrase-0000", kdf_params())


def _lockout_message(user: User) -> object:
    remaining = (user.locked_until or utcnow()) - utcnow()
    minutes = max(1, ceil(remaining.total_seconds() / 60))
    return _l("Too many wrong passphrases for this account. Wait %(n)d minute(s) and try again, "
              "or ask an administrator.", n=minutes)


def authenticate(username: str, passphrase: str) -> User:
    """The user, if the passphrase is right. Every wrong passphrase counts toward a lockout."""
    cfg = current_app.config["TIP"]
    user = find_user(username)
    if user is None or not user.active:
        # Spend the same time as a real check, so timing does not reveal accounts.
        verify_passphrase(_dummy_hash(cfg.kdf_profile), passphrase)
        raise LoginFailed(_l("Wrong username or passphrase."))
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise LoginThrottled(_lockout_message(user))
    try:
        right = verify_passphrase(user.passphrase_hash, passphrase)
    except CryptoError:
        right = False  # a damaged stored hash: refuse, never crash
    if not right:
        db.session.execute(sa.update(User).where(User.id == user.id)
                           .values(failed_logins=User.failed_logins + 1))
        db.session.refresh(user)
        over = user.failed_logins - cfg.login_max_failures
        if over >= 0:
            lock = timedelta(minutes=cfg.login_lockout_minutes) * (2 ** min(over, 6))
            user.locked_until = now + min(lock, MAX_LOCKOUT)
        db.session.commit()
        if over >= 0:
            raise LoginThrottled(_lockout_message(user))
        raise LoginFailed(_l("Wrong username or passphrase."))
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        db.session.commit()
    return user


def reset_passphrase(user: User, new_passphrase: str, *, secret: bytes | None,
                     actor: str | None = None) -> None:
    """A forgotten passphrase: an administrator holding the key re-wraps a new slot."""
    found = passphrase_policy.problems(new_passphrase, username=user.username)
    if found:
        raise ValidationFailed(found[0])
    inst = installation.find()
    if inst is not None and keyring.needs_slot(user.role, inst.role):
        if secret is None:
            raise Locked(_l("Unlock the key first: log in again as an administrator."))
        keyring.put_slot(user, new_passphrase, secret, inst.local_key_id or "")
    user.passphrase_hash = hash_passphrase(new_passphrase, kdf_params())
    user.failed_logins = 0
    user.locked_until = None
    # A new passphrase ends every open session of that account.
    sessions.end_for_user(user.id)
    events.announce(events.PASSPHRASE_RESET, actor=actor, subject=user.username)
    db.session.commit()


def set_active(user: User, active: bool, *, actor: str | None = None) -> None:
    user.active = active
    if not active:
        sessions.end_for_user(user.id)
    events.announce(events.SWITCHED_ON if active else events.SWITCHED_OFF, actor=actor,
                    subject=user.username)
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
