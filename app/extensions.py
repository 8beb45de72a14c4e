"""Flask extensions, created unbound here and bound in create_app()."""

from __future__ import annotations

import select
import sqlite3
from typing import Any

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Durable, crash-safe SQLite: WAL, fsync on every commit, no deleted bytes left behind."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@event.listens_for(Pool, "checkout")
def _drop_dead_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection whose server end went away while it sat idle (a restart,
    pg_terminate_backend, an idle timeout) is replaced before use, without a ping's round
    trip: the server's last message and its end of file make the idle socket readable, and
    a healthy idle connection has nothing to read. One poll, no wait. (Raising
    DisconnectionError is SQLAlchemy's way to have the pool open a new connection.)"""
    if isinstance(dbapi_connection, sqlite3.Connection) or not hasattr(dbapi_connection, "pgconn"):
        return
    if dbapi_connection.closed:
        raise DisconnectionError("the connection was closed")
    poll = select.poll()
    poll.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    if poll.poll(0):
        raise DisconnectionError("the server ended this connection while it was idle")
