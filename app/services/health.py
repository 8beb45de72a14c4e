"""Database state for /healthz: reachable, and migrated to the code's head revision."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app

from app.extensions import db


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
