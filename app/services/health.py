"""Database state for /healthz: reachable, and migrated to the code's head revision."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app

from app.extensions import db
from app.services.errors import DISK_FULL_TEXT


def head_revision() -> str | None:
    directory = Path(current_app.extensions["migrate"].directory)
    script = ScriptDirectory.from_config(_alembic_config(directory))
    return script.get_current_head()


def _alembic_config(directory: Path) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(directory))
    return cfg


def database_state() -> dict[str, str | None]:
    try:
        with db.engine.connect() as conn:
            current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError:
        return {"state": "unavailable", "revision": None}
    head = head_revision()
    state = "ok" if current == head else "needs_upgrade"
    return {"state": state, "revision": current, "dialect": db.engine.dialect.name}


# Under this much free space a save can fail: the disk is reported full (status, Sync page).
DISK_FULL_BELOW = 1024 * 1024


def disk() -> dict[str, Any]:
    """Free space where the database is written (the SQLite file's folder, else the instance
    folder): ``{"full": bool, "free_bytes": int}``, plus the plain message when full."""
    database = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
    folder = Path(database).parent if database and database != ":memory:" else Path(current_app.instance_path)
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return {"full": False, "free_bytes": None}
    state: dict[str, Any] = {"full": free < DISK_FULL_BELOW, "free_bytes": int(free)}
    if state["full"]:
        state["message"] = str(DISK_FULL_TEXT)
    return state
