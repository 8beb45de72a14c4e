"""Fixtures for driving screenings through the pages with Flask's test client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tests.support.web import csrf_from


class Interview:
    """One screening driven through the real routes (page objects for the test client)."""

    def __init__(self, client: FlaskClient, record_id: str, token: str) -> None:
        self.client = client
        self.id = record_id
        self.token = token

    def autosave(self, **fields: Any) -> Any:
        """fields: question id -> raw value (str, list, or dict of suffixed fields)."""
        data: list[tuple[str, str]] = []
        for qid, value in fields.items():
            data.append(("qid", qid))
            if isinstance(value, dict):
                data += [(f"q-{qid}-{k}", str(v)) for k, v in value.items()]
            elif isinstance(value, list):
                data += [(f"q-{qid}", v) for v in value]
            else:
                data.append((f"q-{qid}", str(value)))
        return self.client.post(f"/screenings/{self.id}/answer", data=MultiDict(data),
                                headers={"X-CSRFToken": self.token})

    def page(self, section: str) -> Any:
        return self.client.get(f"/screenings/{self.id}/s/{section}")

    def finalise(self, tier: str = "", reason: str = "") -> Any:
        page = self.client.get(f"/screenings/{self.id}/outcome")
        return self.client.post(f"/screenings/{self.id}/outcome", data={
            "override_tier": tier, "override_reason": reason,
            "csrf_token": csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def start(client: FlaskClient, logged_in: Callable[..., Any]) -> Callable[..., Interview]:
    state: dict[str, Any] = {}

    def begin(lang: str = "th", role: str = "officer") -> Interview:
        if "creds" not in state:
            state["creds"] = logged_in(role)
        page = client.get("/screenings/new")
        token = csrf_from(page.get_data(as_text=True))
        response = client.post("/screenings/new", data={"respondent_lang": lang, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        record_id = response.headers["Location"].split("/")[2]
        return Interview(client, record_id, token)

    return begin
