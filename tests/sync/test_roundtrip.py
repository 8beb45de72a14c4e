from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import ReceivedRecord, Record
from app.services.sync import client as sync_client


def test_enrol_sync_and_receipts(central, station):
    waiting = station.finalised(2)
    with station.ctx():
        found = sync_client.enrol(central.url, central.code())
    assert len(found) == 19
    assert station.seal_waiting() == 2
    more = station.finalised(3)
    with station.ctx():
        summary = sync_client.sync()
    assert summary.marked_synced == 5 and summary.pending_after == 0
    with central.app.app_context():
        ids = set(db.session.scalars(sa.select(ReceivedRecord.id)))
    assert ids == set(waiting + more)
    with station.ctx():
        states = {r.state.value for r in db.session.scalars(sa.select(Record))}
    assert states == {"synced"}
