"""Server-side login sessions: the cookie holds a random token, the database its hash.

A new token is issued at every login (no session fixation); logout, Lock and
"lock all" delete the row, so an old cookie opens nothing. A session idle past
``idle_timeout_minutes``, or locked (on a station: its key is no longer in this
process's memory; anywhere: its user was switched off), is deleted by
:func:`sweep`, run at a request at most every ``keyring.SWEEP_SECONDS`` and by
the housekeeping timer (:mod:`app.services.housekeeping`), without waiting for
that session's next request.

On central the unlocked key is stored with the session row, wrapped with a key
derived (HKDF-SHA256) from a random key that only the cookie carries *and* a
key derived from the instance's ``secret_key`` (``instance/config.toml``, never
in the database), so a stolen cookie plus a database backup opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.crypto import CryptoError, aead_decrypt, aead_encrypt, hkdf_sha256
from app.extensions import db
from app.models import AuthSession, KeySlot, User
from app.models.types import utcnow
from app.services.accounts import events, keyring
from app.services.errors import AuditFailed, is_disk_full

# last_seen is written at most this often, to spare the disk a write per click.
TOUCH_EVERY = timedelta(seconds=30)
# The central wrap, version 2: cookie key and server key both needed. (Version 1, the
# cookie key alone, is no longer opened: such sessions end and their users log in again.)
WRAP_SERVER_INFO = b"tip-screen/v2/session-wrap/server-key"
WRAP_INFO = b"tip-screen/v2/session-wrap/key:"
WRAP_AAD = b"tip-screen/v2/session-wrap:"
# app.extensions key: monotonic time of this process's last request-time sweep.
LAST_SWEEP = "tip_session_sweep_at"


# Built once: a statement made anew at every request costs more than running it (SQLAlchemy
# works out its cache key again each time; a kept statement keeps its key).
_RESUME = (sa.select(AuthSession, User).join(User, User.id == AuthSession.user_id, isouter=True)
           .where(AuthSession.id == sa.bindparam("sid")))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Resumed:
    user: User | None
    expired: bool = False
    secret: bytes | None = None  # the unlocked installation key, if this user has a slot


def _in_memory() -> bool:
    # A station is one process: keys stay in its memory. Central runs many workers, so the
    # key is stored wrapped with a key that only the session cookie and the server together make.
    return bool(current_app.config["TIP"].role == "station")


def _server_key() -> bytes:
    """This installation's half of the wrap key: from config.toml's secret_key, not in the database."""
    secret_key = current_app.config["TIP"].secret_key.encode()
    return hkdf_sha256(secret_key, salt=b"", info=WRAP_SERVER_INFO)


def _wrap_key(cookie_key: bytes, sid: str) -> bytes:
    return hkdf_sha256(cookie_key, salt=_server_key(), info=WRAP_INFO + sid.encode())


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
                          wrapped_secret=aead_encrypt(_wrap_key(cookie_key, sid), secret,
                                                      WRAP_AAD + sid.encode()))
    in_memory = secret is not None and _in_memory()
    if in_memory and secret is not None:
        # Before the row exists: a sweep never sees this session without its key.
        keyring.unlocked().put(sid, secret)
    try:
        db.session.add(row)
        db.session.commit()
    except Exception:
        if in_memory:
            keyring.unlocked().drop(sid)
        raise
    return token


def _secret(token: str, sid: str, row: AuthSession, *, touch: bool = True) -> bytes | None:
    if _in_memory():
        return keyring.unlocked().get(sid, touch=touch)
    if row.wrapped_secret is None or "." not in token:
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(token.rsplit(".", 1)[1])
        return aead_decrypt(_wrap_key(cookie_key, sid), row.wrapped_secret, WRAP_AAD + sid.encode())
    except (ValueError, CryptoError):
        return None


def resume(token: str, idle_minutes: int, *, touch: bool = True) -> Resumed:
    """The session's user and secret. ``touch=False``: a page's own background request (a
    live page asking for news), which must not keep an unattended session from timing out."""
    _sweep_now_and_then()
    sid = _hash(token)
    # One query for the session and its user: every request of a logged-in page asks.
    found = db.session.execute(_RESUME, {"sid": sid}).first()
    if found is None:
        keyring.unlocked().drop(sid)
        return Resumed(None, expired=True)
    row, user = found
    now = utcnow()
    secret = _secret(token, sid, row, touch=touch)
    # The key is gone (idle sweep, restart): the session is locked, as if idle.
    key_missing = (user is not None and secret is None
                   and keyring.has_slot(user))
    if now - row.last_seen_at > timedelta(minutes=idle_minutes) or key_missing:
        _end(sid)
        return Resumed(None, expired=True)
    if user is None or not user.active:
        _end(sid)
        return Resumed(None, expired=True)
    if touch and now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        try:
            db.session.commit()
        except sa.exc.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            db.session.rollback()  # a full disk: the session stays as it was, reading goes on
    return Resumed(user, secret=secret)


def _end(sid: str) -> None:
    keyring.unlocked().drop(sid)
    db.session.execute(sa.delete(AuthSession).where(AuthSession.id == sid))
    db.session.commit()


def end(token: str) -> None:
    """Logout or Lock: the session row and its unlocked key are both gone."""
    _end(_hash(token))


def end_for_user(user_id: int) -> None:
    keyring.unlocked().drop_prefix(f"{keyring.PHONE_PREFIX}{user_id}:")  # the user's phones
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


def sweep(now: datetime | None = None) -> int:
    """Delete every session that can no longer be used, with its key (row and wrap, or memory):

    - idle: no request for ``idle_timeout_minutes`` (``last_seen_at`` is written at most
      every ``TOUCH_EVERY``, the same measure :func:`resume` uses);
    - its user switched off (or gone);
    - on a station, locked: its user has a key slot but the key is no longer in this
      process's memory (idle sweep of the key ring, or a restart).

    Needs no request from those sessions and no key. Returns how many were deleted."""
    now = now or utcnow()
    keys = keyring.unlocked()
    keys.sweep()
    cutoff = now - timedelta(minutes=current_app.config["TIP"].idle_timeout_minutes)
    dead = set(db.session.scalars(
        sa.select(AuthSession.id).join(User, User.id == AuthSession.user_id, isouter=True)
        .where(sa.or_(AuthSession.last_seen_at < cutoff, User.id.is_(None), User.active.is_(False)))))
    if _in_memory():
        with_slot = db.session.scalars(
            sa.select(AuthSession.id).join(KeySlot, KeySlot.user_id == AuthSession.user_id))
        dead.update(sid for sid in with_slot if not keys.holds(sid))
    for sid in dead:
        keys.drop(sid)
    if dead:
        db.session.execute(sa.delete(AuthSession).where(AuthSession.id.in_(sorted(dead))))
    db.session.commit()
    return len(dead)


def _sweep_now_and_then() -> None:
    """At a request, at most every SWEEP_SECONDS in this process (the timer may not run:
    gunicorn workers on central start none)."""
    at = time.monotonic()
    last = current_app.extensions.get(LAST_SWEEP)
    if last is not None and at - last < keyring.SWEEP_SECONDS:
        return
    current_app.extensions[LAST_SWEEP] = at
    sweep()
