"""Helpers for driving the pages through Flask's test client."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, passphrase: str) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "passphrase": passphrase,
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, Any]) -> Any:
    """Open a page, take its CSRF token, and post a form as a browser would."""
    page = client.get(page_url)
    return client.post(action, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def account_guesses(app: Any) -> int:
    """How many wrong logins are counted against accounts (per account and address)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FailedAttempt

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(FailedAttempt)
                                     .where(FailedAttempt.key.startswith("login:"))) or 0)


def let_lockouts_end(app: Any) -> None:
    """Move every counted guess two hours into the past: every login lock has ended."""
    from datetime import timedelta

    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FailedAttempt
    from app.models.types import utcnow

    with app.app_context():
        db.session.execute(sa.update(FailedAttempt).values(at=utcnow() - timedelta(hours=2)))
        db.session.commit()
