"""Central's numbered problems as the station shows them: errors, the Sync page, the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Record, RecordState
from app.protocol import problems
from app.services import installation, records
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from tests.conftest import PASSPHRASE
from tests.support.web import login


def test_a_refused_request_carries_centrals_problem(enrolled):
    central, station = enrolled
    station.finalised(1)
    with station.ctx():
        sid = str(installation.get().station_id)
    assert central.app.test_cli_runner().invoke(args=["stations", "revoke", sid]).exit_code == 0
    with station.ctx(), pytest.raises(SyncFailed, match="revoked") as failed:
        sync_client.sync()
    assert failed.value.problem is problems.REVOKED


def test_rows_stored_by_older_versions_show_as_the_same_problems(enrolled):
    _central, station = enrolled
    old, new, other = station.finalised(3)
    with station.ctx():
        stored = {old: "refused: deleted_at_central", new: problems.DELETED_AT_CENTRAL.stored,
                  other: "conflict: different_content_same_id"}
        for rid, value in stored.items():
            db.session.execute(sa.update(Record).where(Record.id == rid).values(sync_problem=value))
        db.session.commit()
        assert records.sync_problems() == {problems.DELETED_AT_CENTRAL: 2, problems.SAME_ID_OTHER_CONTENT: 1}
        assert sync_client.status()["counts"]["not_accepted"] == 3
    client = station.app.test_client()
    assert login(client, "admin", PASSPHRASE).status_code == 302
    html = client.get("/sync").get_data(as_text=True)
    assert "Not accepted by central" in html
    assert "Central deleted this record earlier." in html
    assert "Central already holds a different record with the same number." in html
    assert html.count('data-problem="410.1"') == 1 and html.count('data-problem="409.2"') == 1


def test_the_cli_names_each_record_central_did_not_take(enrolled):
    central, station = enrolled
    [gone] = station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
        db.session.execute(sa.update(Record).where(Record.id == gone)
                           .values(receipt=None, state=RecordState.FINAL, receipt_at=None))
        db.session.commit()
    with central.ctx():
        from app.services.sync import ingest

        assert ingest.delete_record(gone)
    result = station.app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert "1 refused" in result.output
    assert f"{gone}: Central deleted this record earlier. (problem 410.1)" in result.stderr
