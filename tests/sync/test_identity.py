"""Central's whole identity: a man in the middle who swaps central's identity (signing) key or
its record key in the enrolment answer is caught, through real HTTP servers and a proxy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.crypto import generate_signing_key, generate_x25519, identity_fingerprint, key_id
from app.extensions import db
from app.models import Installation
from app.protocol.identity import make_host_certificate, make_record_key_statement, sign_as_host
from app.protocol.messages import b64, unb64
from app.services import installation
from app.services.central import keys as central_keys
from app.services.errors import SyncFailed
from app.services.sync import client as sync_client
from tests.support.rewriting_proxy import rewriting_proxy
from tests.sync.conftest import call, frame, new_station


def swap_identity_key(answer: dict[str, Any]) -> dict[str, Any]:
    """The attacker's own identity key in place of central's, everything re-signed with it
    (a host certificate and a record-key statement of its own); the record key is central's."""
    payload = dict(answer["payload"])
    identity_private, identity_public = generate_signing_key()
    host_private, host_public = generate_signing_key()
    now = datetime.now(UTC)
    record_public = unb64(payload["central_public_key"], "key")
    payload["central_signing_public_key"] = b64(identity_public)
    payload["record_key_statement"] = make_record_key_statement(identity_private, record_public, now)
    payload.pop("host_certificate")
    certificate = make_host_certificate(identity_private, "mitm", host_public, now, now + timedelta(days=1))
    return sign_as_host(payload, host_private, certificate)


def swap_record_key(answer: dict[str, Any]) -> dict[str, Any]:
    """The attacker's record key in place of central's (and its id); it cannot sign as central."""
    _, record_public = generate_x25519()
    payload = dict(answer["payload"])
    payload["central_public_key"] = b64(record_public)
    payload["central_key_id"] = key_id(record_public)
    return {"payload": payload, "signature": answer["signature"]}


def swap_record_key_and_statement(answer: dict[str, Any]) -> dict[str, Any]:
    """As above, with a record-key statement signed by a key of the attacker's."""
    forger, _ = generate_signing_key()
    _, record_public = generate_x25519()
    payload = dict(answer["payload"])
    payload["central_public_key"] = b64(record_public)
    payload["central_key_id"] = key_id(record_public)
    payload["record_key_statement"] = make_record_key_statement(forger, record_public, datetime.now(UTC))
    return {"payload": payload, "signature": answer["signature"]}


def _snapshot(station) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with station.ctx():
        db.session.remove()
        inst = installation.get()
        return {c.key: getattr(inst, c.key) for c in Installation.__table__.columns}


def _issue(central) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    issued = central.app.test_cli_runner().invoke(args=["stations", "create", "Mae Sot post", "--url", central.url])
    assert issued.exit_code == 0, issued.output
    code = re.search(r"Code:\s+(\S+)", issued.output)
    shown = re.search(r"Fingerprint:\s+(\S+)", issued.output)
    assert code and shown
    return code.group(1), shown.group(1)


def test_the_fingerprint_covers_the_identity_key_and_the_record_key(central):
    with central.ctx():
        inst = installation.get_central()
        shown = central_keys.public_fingerprint()
        assert inst.signing_public_key is not None and inst.central_public_key is not None
        assert shown == identity_fingerprint(inst.signing_public_key, inst.central_public_key)
        other_signing = generate_signing_key()[1]
        other_record = generate_x25519()[1]
        assert identity_fingerprint(other_signing, inst.central_public_key) != shown
        assert identity_fingerprint(inst.signing_public_key, other_record) != shown
        # Nothing of central's keys is wrapped with a key from the config file any more.
        assert inst.signing_key_wrapped is None


def test_a_swapped_identity_key_fails_enrolment_with_the_fingerprint(central, make_app):
    station = new_station(make_app)
    code, shown = _issue(central)
    before = _snapshot(station)
    with rewriting_proxy(central.url, swap_identity_key) as proxy:
        refused = station.app.test_cli_runner().invoke(args=["enrol", proxy, code, "--fingerprint", shown])
    assert refused.exit_code != 0
    assert "fingerprint does not match" in refused.output and "Nothing was changed" in refused.output
    assert _snapshot(station) == before

    # Without --fingerprint the station enrols, but shows the officer another fingerprint than
    # central's screen: comparing them catches the attack. (Another station: central registered
    # the first one, whose own check refused the answer; only a re-key code enrols that id now.)
    station = new_station(make_app)
    second, shown_again = _issue(central)
    assert shown_again == shown
    with rewriting_proxy(central.url, swap_identity_key) as proxy:
        fooled = station.app.test_cli_runner().invoke(args=["enrol", proxy, second])
    assert fooled.exit_code == 0, fooled.output
    found = re.search(r"fingerprint:\s+(\S+)", fooled.output)
    assert found and found.group(1) != shown
    with station.ctx():
        db.session.remove()
        with central.ctx():
            real_identity = installation.get_central().signing_public_key
        assert installation.get().central_signing_public_key != real_identity


def test_a_swapped_record_key_fails_enrolment_and_changes_nothing(central, make_app):
    for rewrite in (swap_record_key, swap_record_key_and_statement):
        for with_fingerprint in (True, False):
            # A new station each time: central registers the id before the station's own check
            # refuses the answer, and a code for a new station never enrols a known id again.
            station = new_station(make_app)
            before = _snapshot(station)
            code, shown = _issue(central)
            args = ["enrol", "PROXY", code] + (["--fingerprint", shown] if with_fingerprint else [])
            with rewriting_proxy(central.url, rewrite) as proxy:
                args[1] = proxy
                refused = station.app.test_cli_runner().invoke(args=args)
            assert refused.exit_code != 0, (rewrite.__name__, refused.output)
            assert "not valid" in refused.output and "Nothing was changed" in refused.output
            assert _snapshot(station) == before

    # Through no proxy, with central's fingerprint: enrolled, and the same fingerprint is shown.
    station = new_station(make_app)
    code, shown = _issue(central)
    ok = station.app.test_cli_runner().invoke(args=["enrol", central.url, code, "--fingerprint", shown])
    assert ok.exit_code == 0, ok.output
    assert shown in ok.output
    with central.ctx():
        central_inst = installation.get_central()
        identity, record = central_inst.signing_public_key, central_inst.central_public_key
    with station.ctx():
        db.session.remove()
        inst = installation.get()
        assert (inst.central_signing_public_key, inst.central_public_key) == (identity, record)


def test_a_host_without_a_certified_key_answers_unavailable_and_registers_nothing(enrolled, make_app):
    """A host that lost its key file cannot sign: stations hear 503.2, never a 500, and an
    enrolment code is not used up by an answer that could not be signed."""
    from app.services.central import host as central_host

    central, station = enrolled
    with central.ctx():
        path = central_host._path()
    path.rename(path.with_suffix(".moved"))
    try:
        before = central.counts()
        newcomer = new_station(make_app)
        with newcomer.ctx(), pytest.raises(SyncFailed):
            sync_client.enrol(central.url, central.code("Chiang Khong post"))
        assert central.counts() == before  # no station registered, no code used
        (rid,) = station.finalised(1)
        with station.ctx(), pytest.raises(SyncFailed):
            sync_client.sync()
        envelope = station.records()[rid].envelope
        body = frame([(rid, envelope)])
        answer = call(central.url, "POST", "/api/v1/records", body,
                      station.signed("POST", "/api/v1/records", body))
        assert answer.status == 503 and answer.json["code"] == 503.2
        assert central.counts() == before
    finally:
        path.with_suffix(".moved").rename(path)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1  # the key is back: nothing was lost
