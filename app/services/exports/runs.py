"""The progress of an export run, as the export page polls it (any worker answers)."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import ExportRun

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def valid_id(run_id: str) -> bool:
    return bool(_RUN_ID.match(run_id))


def progress(run_id: str, *, user_id: int) -> dict[str, object] | None:
    """A run's counts and state, to the user who started it only (None otherwise)."""
    run = db.session.get(ExportRun, run_id)
    if run is None or run.user_id != user_id:
        return None
    return {"state": run.state, "done": run.done, "total": run.total, "sha256": run.sha256}
