"""Server-side login sessions: the cookie holds a random token, the database its hash.

A new token is issued at every login (no session fixation); logout, idle
timeout and "lock all" delete the row, so an old cookie opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.crypto import CryptoError, aead_decrypt, aead_encrypt
from app.extensions import db
from app.models import AuthSession, User
from app.models.types import utcnow
from app.services.accounts import events, keyring
from app.services.errors import AuditFailed

# last_seen is written at most this often, to spare the disk a write per click.
TOUCH_EVERY = timedelta(seconds=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Resumed:
    user: User | None
    expired: bool = False
    secret: bytes | None = None  # the unlocked installation key, if this user has a slot


def _in_memory() -> bool:
    # A station is one process: keys stay in its memory. Central runs many workers, so the
    # key is stored wrapped with a key that only the session cookie carries.
    return bool(current_app.config["TIP"].role == "station")


def start(user: User, secret: bytes | None) -> str:
    """A new session (new token at every login) holding the user's unlocked key, if any."""
    token = secrets.token_urlsafe(32)
    sid = _hash(token)
    row = AuthSession(id=sid, user_id=user.id)
    if secret is not None and not _in_memory():
        cookie_key = secrets.token_bytes(32)
        token = f"{token}.{base64.urlsafe_b64encode(cookie_key).decode()}"
        sid = _hash(token)
        row = AuthSession(id=sid, user_id=user.id,
                          wrapped_secret=aead_encrypt(cookie_key, secret, sid.encode()))
    db.session.add(row)
    db.session.commit()
    if secret is not None and _in_memory():
        keyring.unlocked().put(sid, secret)
    return token


def _secret(token: str, sid: str, row: AuthSession) -> bytes | None:
    if _in_memory():
        return keyring.unlocked().get(sid)
    if row.wrapped_secret is None or "." not in token:
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(token.rsplit(".", 1)[1])
        return aead_decrypt(cookie_key, row.wrapped_secret, sid.encode())
    except (ValueError, CryptoError):
        return None


def resume(token: str, idle_minutes: int) -> Resumed:
    sid = _hash(token)
    row = db.session.get(AuthSession, sid)
    if row is None:
        keyring.unlocked().drop(sid)
        return Resumed(None, expired=True)
    now = utcnow()
    user = db.session.get(User, row.user_id)
    secret = _secret(token, sid, row)
    # The key is gone (idle sweep, restart): the session is locked, as if idle.
    key_missing = (user is not None and secret is None
                   and keyring.has_slot(user))
    if now - row.last_seen_at > timedelta(minutes=idle_minutes) or key_missing:
        _end(sid)
        return Resumed(None, expired=True)
    if user is None or not user.active:
        _end(sid)
        return Resumed(None, expired=True)
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return Resumed(user, secret=secret)


def _end(sid: str) -> None:
    keyring.unlocked().drop(sid)
    db.session.execute(sa.delete(AuthSession).where(AuthSession.id == sid))
    db.session.commit()


def end(token: str) -> None:
    """Logout or Lock: the session row and its unlocked key are both gone."""
    _end(_hash(token))


def end_for_user(user_id: int) -> None:
    for sid in db.session.scalars(sa.select(AuthSession.id).where(AuthSession.user_id == user_id)):
        keyring.unlocked().drop(sid)
    db.session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user_id))


def end_all(*, actor: str | None = None) -> int:
    """Lock every session on this installation (administrator's "lock all")."""
    keyring.unlocked().drop_all()
    count = db.session.execute(sa.delete(AuthSession)).rowcount  # type: ignore[attr-defined]
    try:
        events.announce(events.LOCK_ALL, actor=actor, subject="", detail=f"{int(count or 0)} session(s)")
    except AuditFailed:
        # Locking protects people: it happens even when the audit log cannot record it.
        db.session.commit()
        raise
    db.session.commit()
    return int(count or 0)
