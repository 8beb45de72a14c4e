"""Throwaway PostgreSQL databases on 127.0.0.1:5432 for tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.browser import skip_or_fail

PG_HOST = os.environ.get("TIP_SCREEN_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TIP_SCREEN_PG_PORT", "5432"))
PG_USER = os.environ.get("TIP_SCREEN_PG_USER", "postgres")


def _admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres",
                           autocommit=True, connect_timeout=3)


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    try:
        conn = _admin_connect()
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        skip_or_fail(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT} ({type(exc).__name__})")
        raise
    name = f"tip_test_{secrets.token_hex(6)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
