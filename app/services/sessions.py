"""Server-side login sessions: the cookie holds a random token, the database its hash.

A new token is issued at every login (no session fixation); logout, idle
timeout and "lock all" delete the row, so an old cookie opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AuthSession, User
from app.models.types import utcnow

# last_seen is written at most this often, to spare the disk a write per click.
TOUCH_EVERY = timedelta(seconds=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Resumed:
    user: User | None
    expired: bool = False


def start(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(id=_hash(token), user_id=user.id))
    db.session.commit()
    return token


def resume(token: str, idle_minutes: int) -> Resumed:
    row = db.session.get(AuthSession, _hash(token))
    if row is None:
        return Resumed(None, expired=True)
    now = utcnow()
    if now - row.last_seen_at > timedelta(minutes=idle_minutes):
        db.session.delete(row)
        db.session.commit()
        return Resumed(None, expired=True)
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return Resumed(None, expired=True)
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return Resumed(user)


def end(token: str) -> None:
    db.session.execute(sa.delete(AuthSession).where(AuthSession.id == _hash(token)))
    db.session.commit()


def end_all() -> int:
    """Lock every session on this installation (administrator's "lock all")."""
    count = db.session.execute(sa.delete(AuthSession)).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return int(count or 0)
