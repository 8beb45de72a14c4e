"""Facts at central: indexed at ingest with no one logged in, sealed on the way (no fact in
clear in a bundle or on the wire), refused when tampered with, rebuilt for records without."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.crypto import generate_x25519, parse_envelope
from app.extensions import db
from app.models import AuditEntry, Installation, RecordFacts
from app.protocol import problems
from app.protocol.problems import Result
from app.questionnaire.facts import fact_specs
from app.roles import Role
from app.services import installation, questionnaires
from app.services.central import facts as central_facts
from app.services.central import host as central_host
from app.services.sync import client as sync_client
from app.services.sync import ingest
from app.services.sync.client import bundles
from tests.central.conftest import FakeStation
from tests.conftest import PASSPHRASE
from tests.support.counting_proxy import counting_proxy
from tests.sync.conftest import enrolled  # noqa: F401, F811  (fixture: a real station enrolled at a live central)

ANSWERS = {"q_consent_interview": "yes", "q_citizenship": "cambodian", "q_work_type": ["scam_online"],
           "q_deceive_online": "yes", "q_respondent_name": "Sok Dara"}
OUTCOME = {"tier": "possible_victim", "elements": [{"element": "forced_criminality", "positive": True}],
           "flags": [{"id": "flag_danger", "code": "DANGER", "level": "alert"}]}


def _facts_rows(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(RecordFacts)).all()
        return {r.record_id: {"facts": json.loads(r.facts), "source": r.source, "station": r.station_id,
                              "day": r.created_day} for r in rows}


def _audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return [a for a, in db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id))]


def test_facts_are_indexed_at_ingest_with_no_one_logged_in(central_app: Flask, fake_station: FakeStation) -> None:
    rid, blob = fake_station.envelope(ANSWERS, outcome=OUTCOME)
    assert parse_envelope(blob).header.version == 2
    [result] = fake_station.deliver((rid, blob))
    assert result.status is Result.ACCEPTED
    row = _facts_rows(central_app)[rid]
    assert row["source"] == "ingest" and row["station"] == fake_station.id and row["day"] == "2026-03-01"
    facts = row["facts"]
    assert (facts["nationality"], facts["exploitation"], facts["tier"]) == \
        ("cambodian", ["scam_online"], "possible_victim")
    assert facts["flags"] == ["flag_danger"] and facts["elements"] == ["forced_criminality"]
    assert "Sok Dara" not in json.dumps(facts)
    assert {"open", "facts_rebuild"}.isdisjoint(_audit_actions(central_app))  # nothing was opened
    # A re-send is a duplicate and adds nothing.
    assert fake_station.deliver((rid, blob))[0].status is Result.DUPLICATE
    assert len(_facts_rows(central_app)) == 1


def test_no_fact_in_clear_in_the_envelope(central_app: Flask, fake_station: FakeStation) -> None:
    rid, blob = fake_station.envelope(ANSWERS, outcome=OUTCOME)
    for canary in (b"cambodian", b"scam_online", b"possible_victim", b"flag_danger", b"forced_criminality",
                   b"nationality", b'"tier"'):
        assert canary not in blob


def test_a_tampered_facts_section_is_refused(central_app: Flask, fake_station: FakeStation) -> None:
    rid, blob = fake_station.envelope(ANSWERS, outcome=OUTCOME)
    at = len(blob) - 64 - 100  # inside the sealed facts
    changed = blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1:]
    [result] = fake_station.deliver((rid, changed))
    assert (result.status, result.problem) == (Result.REFUSED, problems.ENVELOPE_SIGNATURE)
    assert _facts_rows(central_app) == {}


def test_facts_sealed_to_another_key_are_not_indexed(central_app: Flask, fake_station: FakeStation) -> None:
    """A station misled about the facts key: its records still arrive, their facts stay sealed."""
    with central_app.app_context():
        inst = db.session.scalar(sa.select(Installation))
        real = inst.facts_public_key, inst.facts_key_id
        inst.facts_public_key = generate_x25519()[1]
        db.session.commit()
    rid, blob = fake_station.envelope(ANSWERS, outcome=OUTCOME)
    with central_app.app_context():
        inst = db.session.scalar(sa.select(Installation))
        inst.facts_public_key, inst.facts_key_id = real
        db.session.commit()
    assert parse_envelope(blob).facts_key_id != real[1]
    assert fake_station.deliver((rid, blob))[0].status is Result.ACCEPTED
    assert _facts_rows(central_app) == {}


def test_facts_that_do_not_check_are_not_indexed(central_app: Flask, fake_station: FakeStation) -> None:
    for facts in ({"tier": "Sok Dara <script>"}, {"respondent_name": "Sok Dara"}, {"flags": "flag_child"}):
        rid, blob = fake_station.envelope(ANSWERS, outcome=OUTCOME, facts=facts)
        assert fake_station.deliver((rid, blob))[0].status is Result.ACCEPTED  # the record is fine
    assert _facts_rows(central_app) == {}


def test_records_without_facts_get_them_from_the_rebuild(central_app: Flask, as_role: Any) -> None:
    old = FakeStation(central_app, "Old post", with_facts=False)
    rid, blob = old.envelope(ANSWERS, outcome=OUTCOME)
    assert parse_envelope(blob).header.version == 1
    old.deliver((rid, blob))
    with central_app.app_context():
        assert central_facts.progress() == (0, 1)
    runner = central_app.test_cli_runner()
    result = runner.invoke(args=["facts", "rebuild", "--password-stdin"], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "Added the facts of 1 records; 1 of 1 records have facts." in result.output
    row = _facts_rows(central_app)[rid]
    assert row["source"] == "rebuild" and row["facts"]["nationality"] == "cambodian"
    assert _audit_actions(central_app)[-1] == "facts_rebuild"  # audited, before the opening
    # Run again: nothing to do, nothing audited.
    assert "Added the facts of 0 records" in runner.invoke(
        args=["facts", "rebuild", "--password-stdin"], input=PASSPHRASE + "\n").output
    assert _audit_actions(central_app).count("facts_rebuild") == 1


def test_a_host_lacking_the_facts_key_gets_it_at_a_custodians_login(central_app: Flask, as_role: Any) -> None:
    with central_app.app_context():
        path = central_host._path()
        data = json.loads(path.read_text())
        held = data.pop("facts_keys")
        path.write_text(json.dumps(data))
    station = FakeStation(central_app, "Border post")
    rid, blob = station.envelope(ANSWERS, outcome=OUTCOME)
    assert station.deliver((rid, blob))[0].status is Result.ACCEPTED
    assert _facts_rows(central_app) == {}  # accepted, facts left for later
    as_role(Role.COORDINATOR)  # a custodian logs in on this host: it holds the key again
    with central_app.app_context():
        assert json.loads(central_host._path().read_text())["facts_keys"] == held
    rid2, blob2 = station.envelope(ANSWERS, outcome=OUTCOME)
    station.deliver((rid2, blob2))
    assert _facts_rows(central_app)[rid2]["source"] == "ingest"


def test_a_deleted_record_loses_its_facts(central_app: Flask, fake_station: FakeStation) -> None:
    rid, blob = fake_station.envelope(ANSWERS, outcome=OUTCOME)
    fake_station.deliver((rid, blob))
    with central_app.app_context():
        generation = db.session.scalar(sa.select(Installation.facts_generation))
        assert ingest.delete_record(rid)
        assert db.session.scalar(sa.select(Installation.facts_generation)) == generation + 1
    assert _facts_rows(central_app) == {}


def test_facts_key_statement_needs_the_identity_key(central_app: Flask, fake_station: FakeStation) -> None:
    """What stations take: only a facts key the identity key named (a host key cannot)."""
    from app.protocol.identity import make_facts_key_statement, open_facts_key_statement
    from app.protocol.messages import ProtocolError
    from app.services.central import keys as central_keys

    with central_app.app_context():
        inst = db.session.scalar(sa.select(Installation))
        statement = central_keys.facts_key_statement()
        assert open_facts_key_statement(statement, inst.signing_public_key) == \
            (inst.facts_public_key, inst.facts_key_id)
        forged = make_facts_key_statement(central_host.current().private_key or b"", generate_x25519()[1],
                                          inst.created_at)
    try:
        open_facts_key_statement(forged, inst.signing_public_key)
    except ProtocolError:
        pass
    else:
        raise AssertionError("a host-signed facts key was taken")


def test_a_real_station_sync_lands_facts_and_a_bundle_carries_none_in_clear(enrolled: Any) -> None:  # noqa: F811
    central, station = enrolled
    with station.ctx():
        facts_key = db.session.scalar(sa.select(Installation.facts_key_id))
    assert facts_key is not None  # learned at enrolment, under the identity key's statement
    [rid] = station.finalised(1, name="Canary Thida")
    envelope = station.records()[rid].envelope
    assert envelope is not None and parse_envelope(envelope).facts_key_id == facts_key
    with station.ctx():
        bundle, _ = bundles.export_bundle()
        definition = questionnaires.latest()
    with counting_proxy(central.url, keep=True) as (url, wire), station.ctx():
        installation.get().central_url = url  # the sync goes through a forwarder that keeps every byte
        db.session.commit()
        assert sync_client.sync(pull=False).accepted == 1
        installation.get().central_url = central.url
        db.session.commit()
    with central.ctx():
        row = db.session.scalar(sa.select(RecordFacts).where(RecordFacts.record_id == rid))
        assert row is not None and row.source == "ingest"
        facts = json.loads(row.facts)
    assert set(facts) == {spec.id for spec in fact_specs(definition)}
    assert facts["tier"] and facts["month"]
    # None of the codes central now holds is in clear in the bundle the station exported
    # (months are left out: the bundle's own clear metadata names its day).
    codes = [c for v in facts.values() for c in (v if isinstance(v, list) else [v])
             if c and len(c) >= 6 and c != facts["month"]]
    assert codes
    assert bytes(envelope) in wire.sent  # the capture sees the upload (as raw bytes in its frame)
    for code in codes:
        assert code.encode() not in bundle, code
        assert code.encode() not in wire.sent and code.encode() not in wire.answered, code
    assert b"Canary Thida" not in bundle and b"Canary Thida" not in wire.sent


def test_a_custodians_web_login_starts_the_rebuild(central_app: Flask, as_role: Any) -> None:
    old = FakeStation(central_app, "Old post", with_facts=False)
    ids = [old.envelope(ANSWERS, outcome=OUTCOME) for _ in range(3)]
    old.deliver(*ids)
    as_role(Role.COORDINATOR)
    # The job runs in the background: wait for its result (bounded), never a fixed sleep.
    deadline = time.monotonic() + 30
    while len(_facts_rows(central_app)) < 3 and time.monotonic() < deadline:
        threading.Event().wait(0.05)
    rows = _facts_rows(central_app)
    assert set(rows) == {rid for rid, _ in ids}
    assert {r["source"] for r in rows.values()} == {"rebuild"}
    assert _audit_actions(central_app).count("facts_rebuild") == 1
