"""Received records with their facts rows, inserted straight into central's tables (as ingest
leaves them), for the analytics tests."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Installation, ReceivedRecord, RecordFacts, Station


def add_station(name: str) -> str:
    station_id = str(uuid.uuid4())
    db.session.add(Station(id=station_id, name=name, signing_public_key=os.urandom(32),
                           api_public_key=os.urandom(32)))
    db.session.commit()
    return station_id


def add_records(station_id: str, facts: list[dict[str, Any]], *, day: str = "2026-03-02") -> list[str]:
    """One received record and its facts row per dict; ``_day`` in a dict overrides ``day``."""
    start = int(db.session.scalar(sa.select(sa.func.max(ReceivedRecord.seq))
                                  .where(ReceivedRecord.station_id == station_id)) or 0)
    ids = []
    for n, item in enumerate(facts, start=start + 1):
        item = dict(item)
        created = item.pop("_day", day)
        record_id = str(uuid.uuid4())
        db.session.add(ReceivedRecord(id=record_id, station_id=station_id, seq=n, questionnaire_id="tip-default",
                                      questionnaire_version="1", central_key_id="0" * 16, created_day=created,
                                      envelope=b"", envelope_sha256="0" * 64, receipt=b""))
        db.session.flush()
        db.session.add(RecordFacts(record_id=record_id, station_id=station_id, created_day=created,
                                   questionnaire_id="tip-default", questionnaire_version="1",
                                   facts=json.dumps(item, sort_keys=True), source="ingest"))
        ids.append(record_id)
    db.session.commit()
    return ids


def bump_generation() -> None:
    db.session.execute(sa.update(Installation).values(facts_generation=Installation.facts_generation + 1))
    db.session.commit()
