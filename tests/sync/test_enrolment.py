"""Enrolment codes: single use, unguessable, throttled, expiring; the CLI shows code, fingerprint, QR."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.crypto import generate_signing_key
from app.extensions import db
from app.models import EnrolmentCode, FailedAttempt, Installation
from app.models.types import utcnow
from app.protocol.messages import b64
from app.services import installation
from app.services.central import enrolment
from app.services.central import keys as central_keys
from app.services.sync import client as sync_client
from tests.sync.conftest import call, new_station


def enrol_body(code: str, station_id: str | None = None) -> bytes:
    _, signing_public = generate_signing_key()
    _, api_public = generate_signing_key()
    return json.dumps({"code": code, "station_id": station_id or str(uuid.uuid4()),
                       "signing_public_key": b64(signing_public), "api_public_key": b64(api_public)}).encode()


def attempt(central, code: str, station_id: str | None = None):  # type: ignore[no-untyped-def]
    answer = call(central.url, "POST", "/api/v1/enrol", enrol_body(code, station_id))
    assert answer.content_type.startswith("application/json")
    assert answer.json["error"] and answer.json["message"]
    return answer


def is_used(central, code: str) -> bool:
    with central.ctx():
        db.session.remove()
        row = db.session.scalar(sa.select(EnrolmentCode).where(EnrolmentCode.code_hash == enrolment._hash(code)))
        assert row is not None
        return row.used_at is not None


def test_codes_are_single_use_unguessable_expiring_and_throttled(central, station):
    code = central.code("Mae Sot post")
    empty = central.counts()

    guessed = attempt(central, "ABCD-EFGH-IJKL-MNOP")  # right shape, wrong code
    assert guessed.status == 403 and "not valid" in guessed.json["message"]
    old = central.code("Old post")
    with central.ctx():
        db.session.execute(sa.update(EnrolmentCode).where(EnrolmentCode.code_hash == enrolment._hash(old))
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    expired = attempt(central, old)
    assert expired.status == 403 and "expired" in expired.json["message"]
    # A station id in another spelling of the same UUID is not accepted (and spends no code).
    odd = attempt(central, code, "urn:uuid:" + str(uuid.uuid4()))
    assert odd.status == 400 and "station id" in odd.json["message"]
    odd = attempt(central, code, uuid.uuid4().hex)
    assert odd.status == 400
    assert central.counts() == empty and not is_used(central, code)

    with station.ctx():
        sync_client.enrol(central.url, code)
    assert central.counts()["stations"] == 1 and is_used(central, code)
    reused = attempt(central, code)  # another station with the same code
    assert reused.status == 403 and "already used" in reused.json["message"]
    assert central.counts()["stations"] == 1

    # Three wrong so far from 127.0.0.1; two more make five: then even a right code gets 429.
    for _ in range(2):
        assert attempt(central, "WXYZ-WXYZ-WXYZ-WXYZ").status == 403
    fresh = central.code("Mae Sai post")
    throttled = attempt(central, fresh)
    assert throttled.status == 429 and "Too many" in throttled.json["message"]
    assert not is_used(central, fresh) and central.counts()["stations"] == 1
    # Once the window has passed, the same right code works.
    with central.ctx():
        db.session.execute(sa.update(FailedAttempt).values(at=utcnow() - enrolment.FAILURE_WINDOW))
        db.session.commit()
    ok = call(central.url, "POST", "/api/v1/enrol", enrol_body(fresh))
    assert ok.status == 200 and set(ok.json) == {"payload", "signature"}
    assert is_used(central, fresh) and central.counts()["stations"] == 2


def test_cli_issues_code_fingerprint_and_qr_and_station_checks_fingerprint(central, make_app):
    result = central.app.test_cli_runner().invoke(args=["stations", "create", "Mae Sot post",
                                                        "--url", central.url])
    assert result.exit_code == 0, result.output
    code = re.search(r"Code:\s+(\S+)", result.output)
    shown = re.search(r"Fingerprint:\s+(\S+)", result.output)
    assert code and shown
    with central.ctx():
        assert shown.group(1) == central_keys.public_fingerprint()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code.group(1))
    qr_lines = [line for line in result.output.splitlines() if set(line) & set("█▀▄")]
    assert len(qr_lines) >= 10  # a QR code drawn in the terminal
    assert f"flask --app app enrol {central.url} {code.group(1)}" in result.output

    station = new_station(make_app)
    station.finalised(1)

    def snapshot() -> dict[str, object]:
        with station.ctx():
            db.session.remove()
            inst = installation.get()
            return {c.key: getattr(inst, c.key) for c in Installation.__table__.columns}

    before = snapshot()
    wrong = "ABCD-EFGH-JKLM-NPQR-STU"
    refused = station.app.test_cli_runner().invoke(
        args=["enrol", central.url, code.group(1), "--fingerprint", wrong])
    assert refused.exit_code != 0
    assert "fingerprint does not match" in refused.output and "Nothing was changed" in refused.output
    after = snapshot()
    assert after == before
    assert after["enrolled_at"] is None and after["central_public_key"] is None
    assert after["api_private_key"] is None and after["central_url"] is None
    assert station.seal_waiting() == 0

    # A station given the right fingerprint (and a new code) enrols.
    again = central.app.test_cli_runner().invoke(args=["stations", "create", "Mae Sai post",
                                                       "--url", central.url])
    second_code = re.search(r"Code:\s+(\S+)", again.output)
    assert second_code
    # The same station, which refused the wrong fingerprint, is not locked out: a new code works.
    ok = station.app.test_cli_runner().invoke(
        args=["enrol", central.url, second_code.group(1), "--fingerprint", shown.group(1)])
    assert ok.exit_code == 0, ok.output
    assert shown.group(1) in ok.output
