"""Migrations give exactly the models' schema, and every revision goes up and down (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.support.postgres import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_app(request, make_app, tmp_path) -> Iterator[Flask]:
    if request.param == "sqlite":
        yield make_app(database_url=f"sqlite:///{tmp_path / 'blank.sqlite3'}")
    else:
        with fresh_database() as url:
            app = make_app(database_url=url)
            yield app
            with app.app_context():
                db.engine.dispose()


def _revisions(app: Flask) -> list[str]:
    script = ScriptDirectory(app.extensions["migrate"].directory)
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _tables(app: Flask) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_head_is_exactly_the_models(blank_app):
    with blank_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        assert _tables(blank_app) == set(db.metadata.tables)


def test_every_revision_upgrades_and_downgrades(blank_app):
    with blank_app.app_context():
        revisions = _revisions(blank_app)
        assert revisions, "no migrations found"
        for rev in revisions:
            upgrade(revision=rev)
        for _ in revisions:
            downgrade(revision="-1")
        assert _tables(blank_app) == set()
        upgrade()
        assert _tables(blank_app) == set(db.metadata.tables)
