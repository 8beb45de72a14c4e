"""USB bundles: every sealed, unsynced envelope in one file signed by this station."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.protocol.messages import make_bundle
from app.services import installation
from app.services.errors import SyncFailed
from app.services.records import outbox


def export_bundle(path: Path | None = None) -> tuple[bytes, int]:
    """Every sealed, unsynced envelope in one file signed by this station."""
    inst = installation.get()
    if inst.api_private_key is None or inst.station_id is None:
        raise SyncFailed(_l("This station is not enrolled with a central server yet."))
    items = [(r.id, r.envelope) for r in outbox() if r.envelope is not None]
    data = make_bundle(inst.station_id, datetime.now(UTC).isoformat(timespec="seconds"),
                       [(rid, env) for rid, env in items if env is not None], inst.api_private_key)
    if path is not None:
        path.write_bytes(data)
    return data, len(items)
