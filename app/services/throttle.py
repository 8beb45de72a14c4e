"""Failed guesses counted in the database, so every worker and every host sees the same count.

A guess is counted under a *key* (what was guessed, and from where). The key is
an HMAC of those parts with the instance's secret, never the parts themselves:
a username field often receives a passphrase typed in the wrong box, and it
must not land on disk. After ``limit`` failures within the window the key is
locked for ``base`` x 2^(failures - limit), at most ``MAX_LOCK``; a success
clears it. Rows older than the longest lock are pruned when a failure is
counted, so the table stays small.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import FailedAttempt
from app.models.types import utcnow

MAX_LOCK = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    """``limit`` failures within ``MAX_LOCK`` lock the key for ``base``, doubling per failure after."""

    kind: str
    limit: int
    base: timedelta


def _mac(*parts: str) -> str:
    secret = current_app.config["TIP"].secret_key.encode()
    return hmac.new(secret, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def key(kind: str, subject: str, source: str = "") -> str:
    """The key for guesses about ``subject`` (an account, an address) from ``source``."""
    return f"{kind}:{_mac(kind, subject)}:{_mac(kind, subject, source)}"


def locked_until(rule: Rule, counted_key: str, now: datetime | None = None) -> datetime | None:
    """When the key's lock ends, or None if it is not locked now."""
    now = now or utcnow()
    count, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(FailedAttempt.at))
        .where(FailedAttempt.key == counted_key, FailedAttempt.at >= now - MAX_LOCK)).one()
    over = int(count or 0) - rule.limit
    if over < 0 or last is None:
        return None
    until: datetime = last + min(rule.base * (2 ** min(over, 10)), MAX_LOCK)
    return until if until > now else None


def count_failure(*counted_keys: str) -> None:
    """Count one failure under each key, in its own commit (whatever the caller rolls back)."""
    db.session.rollback()
    now = utcnow()
    db.session.execute(sa.delete(FailedAttempt).where(FailedAttempt.at < now - MAX_LOCK)
                       .execution_options(synchronize_session=False))
    db.session.add_all(FailedAttempt(key=k, at=now) for k in counted_keys)
    db.session.commit()


def clear(counted_key: str) -> None:
    """A success: forget the key's failures (no commit: the caller's transaction)."""
    db.session.execute(sa.delete(FailedAttempt).where(FailedAttempt.key == counted_key)
                       .execution_options(synchronize_session=False))


def clear_subject(kind: str, subject: str) -> None:
    """Forget every failure about ``subject``, from any source (no commit)."""
    prefix = f"{kind}:{_mac(kind, subject)}:"
    db.session.execute(sa.delete(FailedAttempt).where(FailedAttempt.key.startswith(prefix, autoescape=True))
                       .execution_options(synchronize_session=False))
