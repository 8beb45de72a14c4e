"""Central: what a live page compares to know that it is out of date (static/js/live.js).

Each version is a short string that changes whenever what a kind of page shows may have
changed, read with a query or two that stay cheap at a million records: the highest
``record_facts`` id (its primary key) and the facts generation, which a deletion or a full
rebuild bumps (rows are only inserted or deleted); and for the Stations page, the latest
contact and error of any station (one row per station).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import RecordFacts, Station
from app.services import installation

KINDS = ("facts", "stations")


def versions() -> dict[str, str]:
    return {kind: version(kind) for kind in KINDS}


def version(kind: str) -> str:
    if kind == "facts":
        inst = installation.find()
        newest = db.session.scalar(sa.select(sa.func.max(RecordFacts.id)))
        return f"{inst.facts_generation if inst else 0}.{newest or 0}"
    if kind == "stations":
        contact, error = db.session.execute(
            sa.select(sa.func.max(Station.last_contact_at), sa.func.max(Station.last_error_at))).one()
        return f"{contact.timestamp() if contact else 0:.6f}.{error.timestamp() if error else 0:.6f}"
    raise ValueError(f"no live version for {kind!r}")
