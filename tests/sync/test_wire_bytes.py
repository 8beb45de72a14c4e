"""Bytes on the wire, counted at a real socket between the station and a real central: an empty
sync costs a few hundred bytes, a pull after a questionnaire change still brings it, an
envelope travels as its own bytes, and a malformed upload frame gets a clear 4xx."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import current_app

from app.crypto import parse_envelope
from app.extensions import db
from app.protocol import problems, wire
from app.questionnaire import SHIPPED_DIR
from app.services import installation, questionnaires
from app.services.sync import client as sync_client
from app.services.sync.client.pull import _held
from tests.support.counting_proxy import Counts, counting_proxy
from tests.sync.conftest import Central, StationSide, call, frame

EMPTY_SYNC_BOUND = 1024  # bytes each way
PATH = "/api/v1/records"


@pytest.fixture
def counted(enrolled) -> Iterator[tuple[Central, StationSide, Counts]]:  # type: ignore[no-untyped-def]
    """The station syncs through a counting forwarder in front of central."""
    central, station = enrolled
    with counting_proxy(central.url) as (url, counts):
        _point(station, url)
        yield central, station, counts
    _point(station, central.url)


def _point(station: StationSide, url: str) -> None:
    with station.ctx():
        installation.get().central_url = url
        db.session.commit()


def _sync(station: StationSide, counts: Counts) -> tuple[sync_client.SyncSummary, int, int]:
    counts.reset()
    with station.ctx():
        summary = sync_client.sync()
    return summary, counts.up, counts.down


def test_an_empty_sync_costs_a_few_hundred_bytes_each_way(counted):
    central, station, counts = counted
    summary, up, down = _sync(station, counts)
    print(f"\nempty sync: {up} B up, {down} B down, {counts.connections} connection(s)")
    assert summary.sent == 0 and counts.connections == 1  # only the pull went out
    assert 0 < up < EMPTY_SYNC_BOUND and 0 < down < EMPTY_SYNC_BOUND
    # Nothing to send, nothing new: the same again, one byte more or less (the counter's digits).
    _, up_again, down_again = _sync(station, counts)
    assert abs(up_again - up) <= 2 and abs(down_again - down) <= 2


def test_a_pull_after_a_questionnaire_change_still_brings_it(counted, monkeypatch, tmp_path):
    central, station, counts = counted
    text = (SHIPPED_DIR / "default.yaml").read_text(encoding="utf-8").replace("version: 1.0.0\n",
                                                                             "version: 9.9.1\n", 1)
    path = tmp_path / "published.yaml"
    path.write_text(text, encoding="utf-8")
    published = SimpleNamespace(id="tip-default", version="9.9.1", path=path)
    shipped = questionnaires.all_definitions
    # Only central publishes it (station and central share this process and this module).
    monkeypatch.setattr(questionnaires, "all_definitions", lambda: [*shipped(), published] if (
        current_app._get_current_object() is central.app) else shipped())

    _, up, down = _sync(station, counts)
    with station.ctx():
        assert questionnaires.get("tip-default", "9.9.1") is not None
        written = (Path(station.app.instance_path) / "questionnaires" / "tip-default-9.9.1.yaml")
        assert written.read_text(encoding="utf-8") == text
    assert down > len(text.encode()) > EMPTY_SYNC_BOUND  # the new version came, and only it:
    assert down < len(text.encode()) + 16 * 1024  # not the shipped one the station holds too
    # The next sync knows it has it: empty again.
    _, up, down = _sync(station, counts)
    assert up < EMPTY_SYNC_BOUND and down < EMPTY_SYNC_BOUND


def test_the_station_says_exactly_what_it_holds(enrolled):
    _, station = enrolled
    with station.ctx():
        held = json.loads(_held(installation.get()))
        expected: dict[str, list[str]] = {}
        for d in questionnaires.all_definitions():
            expected.setdefault(d.id, []).append(d.version)
        inst = installation.get()
        assert held == {"questionnaires": expected, "central_key_id": inst.central_key_id,
                        "facts_key_id": inst.facts_key_id, "directory_version": 0,
                        "referrals_seen": 0}


def test_an_envelope_travels_as_its_own_bytes(counted):
    central, station, counts = counted
    station.finalised(1)
    envelope = next(iter(station.records().values())).envelope
    assert envelope is not None
    counts.reset()
    with station.ctx():
        summary = sync_client.sync(pull=False)
    assert summary.accepted == 1
    as_base64 = len(base64.b64encode(envelope))
    print(f"\none short screening: envelope {len(envelope)} B, {counts.up} B up (base64 alone was {as_base64} B)")
    # The "known" question, then the frame: the envelope once, raw, and under 1.5 KB of the rest
    # (two requests' headers, ids and hashes); less in all than the envelope's base64 alone.
    assert len(envelope) < counts.up < len(envelope) + 1536
    assert counts.up < as_base64


def test_an_envelope_costs_what_docs_envelope_md_says(enrolled):
    """docs/envelope.md, "What the buckets cost on the wire": h + 178 + P bytes, with h = 128
    for the shipped questionnaire, 1,093 more for the facts, and 20 bytes more in the frame."""
    _, station = enrolled
    station.finalised(1)
    record = next(iter(station.records().values()))
    assert record.envelope is not None
    parsed = parse_envelope(record.envelope)
    padded = len(parsed.body_ciphertext) - 28
    assert (len(parsed.header_bytes), padded) == (128, 4096)
    assert parsed.header.version == 2 and len(parsed.sealed_facts or b"") == 1024 + 48
    assert len(record.envelope) == len(parsed.header_bytes) + 178 + padded + 1093 == 5495
    assert len(frame([(record.id, record.envelope)])) == wire.HEAD_SIZE + 20 + 5495


def _refused(answer, problem: problems.Problem, words: str) -> None:  # type: ignore[no-untyped-def]
    assert answer.status == problem.status, answer.raw[:300]
    assert answer.content_type.startswith("application/json")
    assert answer.json["code"] == problem.code and words in answer.json["message"]


def test_malformed_frames_get_a_clear_4xx_and_change_nothing(enrolled):
    central, station = enrolled
    station.finalised(2)
    recs = station.records()
    good = frame([(rid, r.envelope) for rid, r in recs.items() if r.envelope], pending=1)
    before = central.counts()

    def send(body: bytes, kind: str | None = None) -> object:
        headers = station.signed("POST", PATH, body)
        if kind is not None:
            headers["Content-Type"] = kind
        return call(central.url, "POST", PATH, body, headers)

    _refused(send(good[:-1]), problems.BAD_FRAME, "ends 1 bytes before the envelope does")
    _refused(send(good + b"\0"), problems.BAD_FRAME, "1 bytes follow the last record")
    _refused(send(good[:wire.HEAD_SIZE + 7]), problems.BAD_FRAME, "before the record's id and length")
    _refused(send(b"TSRB\x02" + good[5:]), problems.BAD_FRAME, "version 2 is not supported")
    _refused(send(b"XXXX" + good[4:], wire.CONTENT_TYPE), problems.BAD_FRAME, "not a tip-screen upload frame")
    # The count is read first: 201 announced, none sent, refused before any record is read.
    _refused(send(struct.pack(">4sBIH", wire.MAGIC, 1, 0, 201)), problems.TOO_MANY_RECORDS, "At most 200")
    # JSON as stations sent it before the frame: told plainly, whatever it holds.
    old = json.dumps({"records": [{"id": rid, "envelope": base64.b64encode(r.envelope or b"").decode()}
                                  for rid, r in recs.items()]}).encode()
    _refused(send(old, "application/json"), problems.NOT_A_FRAME, "update tip-screen on the station")
    _refused(send(good, "application/octet-stream"), problems.NOT_A_FRAME, "application/vnd.tip-screen.records")
    assert central.counts() == before
    # A frame whose bytes changed after signing is refused by the signature, before it is read.
    headers = station.signed("POST", PATH, good)
    bitten = good[:-5] + bytes([good[-5] ^ 1]) + good[-4:]
    _refused(call(central.url, "POST", PATH, bitten, headers), problems.BAD_REQUEST_SIGNATURE, "does not verify")
    assert central.counts() == before
    # The well-formed frame is taken.
    answer = send(good)
    assert answer.status == 200 and [r["status"] for r in answer.json["results"]] == ["accepted"] * 2


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(enrolled):
    central, station = enrolled
    big = frame([("00000000-0000-4000-8000-000000000000", b"\0" * (4 * 1024 * 1024))])
    try:
        answer = call(central.url, "POST", PATH, big, station.signed("POST", PATH, big))
    except (BrokenPipeError, ConnectionResetError):
        return  # the server may close before the upload ends: also a refusal
    assert answer.status == 413 and answer.json["message"]
    assert central.counts()["received_records"] == 0
