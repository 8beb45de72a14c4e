"""Drive a screening through the real routes with Flask's test client."""

from __future__ import annotations

from typing import Any

from flask import Flask
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


def stored_answers(app: Flask, interview: Interview) -> dict[str, Any]:
    """The decrypted answers of a record, opened with its owner's account and the station key."""
    from app.extensions import db
    from app.models import Record
    from app.services import accounts, records
    from tests.conftest import admin_keys

    with app.app_context():
        rec = db.session.get(Record, interview.id)
        owner = accounts.get_user(rec.created_by)
        answers: dict[str, Any] = records.open_record(interview.id, owner, admin_keys(app)).body["answers"]
        return answers
