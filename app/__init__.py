"""tip-screen: offline-first trafficking victim screening."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.version import __version__

if TYPE_CHECKING:
    from flask import Flask

    from app.config import Config

__all__ = ["__version__", "create_app"]


def create_app(config: Config | None = None) -> Flask:
    """Build the app from typed config (read from ./instance when none is given)."""
    # Flask, SQLAlchemy and the rest load with the first app, not with ``import app``: a
    # process that needs only app.crypto and the questionnaire (the export's worker,
    # app/services/exports/opening.py) stays small.
    from app.factory import create_app as build

    return build(config)
