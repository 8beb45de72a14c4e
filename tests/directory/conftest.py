"""Fixtures for the referral directory: central's pages (SQLite) and the real station and
central servers of the sync tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.central.conftest import as_role, central_app, central_users  # noqa: F401  (fixtures)
from tests.support.web import csrf_from
from tests.sync.conftest import central, enrolled, station  # noqa: F401  (fixtures)

ORGANISATION: dict[str, Any] = {
    "kind": "shelter", "country": "TH", "province": "Tak", "services": ["children", "shelter"],
    "languages": ["th", "my"], "phone": "055 123 456", "messaging": "LINE @tak-shelter",
    "address": "12 Intharakiri Rd, Mae Sot", "hours": "24 hours",
    "name_en": "Tak children's shelter", "name_th": "บ้านพักเด็กจังหวัดตาก",
    "description_en": "Shelter for children and mothers.",
}


def add_organisation(client: FlaskClient, **changes: Any) -> Any:
    """Post the add form as a browser would (fields of ORGANISATION, changed by ``changes``)."""
    page = client.get("/central/directory/new")
    data = {**ORGANISATION, **changes, "csrf_token": csrf_from(page.get_data(as_text=True))}
    return client.post("/central/directory/new", data={k: v for k, v in data.items() if v is not None})
