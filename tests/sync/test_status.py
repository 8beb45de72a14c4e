"""`flask status --json` on both roles: counts by state, last sync, and no personal data."""

from __future__ import annotations

import json

from app.services import accounts, records
from app.services.sync import client as sync_client

NAME = "Nang Hseng Kham"


def test_status_json_on_station_and_central(enrolled):
    central, station = enrolled
    station_runner = station.app.test_cli_runner()
    before = json.loads(station_runner.invoke(args=["status", "--json"]).output)
    assert before["last_sync"] is None and before["pending"] == 0

    synced = station.finalised(2, name=NAME)
    with station.ctx():
        sync_client.sync()
    pending = station.finalised(1, name=NAME)
    with station.ctx():
        admin = accounts.find_user("admin")
        draft = records.create(admin, station.secret, respondent_lang="my", interview_lang="th")
        draft_id = draft.id
        records.save_answers(draft_id, admin, station.secret, {"q_respondent_name": f"{NAME} draft"}, lang="th")

    result = station_runner.invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["role"] == "station" and data["enrolled"] is True
    assert data["counts"] == {"draft": 1, "final": 1, "synced": 2, "waiting_for_key": 0, "not_accepted": 0}
    assert data["pending"] == 1
    assert data["last_sync"] and data["last_error"] is None
    text = station_runner.invoke(args=["status"]).output

    central_runner = central.app.test_cli_runner()
    result = central_runner.invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["role"] == "central" and summary["records_received"] == 2
    assert summary["last_sync"]
    [row] = summary["by_station"]
    assert row["name"] == "Mae Sot post" and row["records"] == 2 and row["revoked"] is False
    assert row["pending"] == 0 and row["last_contact"]  # as the station said after its last batch
    central_text = central_runner.invoke(args=["status"]).output

    for output in (json.dumps(data), text, json.dumps(summary), central_text):
        assert NAME not in output and "Hseng" not in output
        for rid in synced + pending + [draft_id]:
            assert rid not in output  # not even record ids
