"""Cross-border referral packages: exported from the case's page, opened by `flask referral open`
with the receiving side's key; a tampered package, another key or a missing consent is refused."""

from __future__ import annotations

import base64
import json

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry
from app.roles import Role
from app.services.central import packages
from tests.directory.conftest import add_at_central
from tests.referrals.conftest import ANSWERS
from tests.support.web import csrf_from


def _keygen(app, tmp_path, name):
    path = tmp_path / name
    result = app.test_cli_runner().invoke(args=["referral", "keygen", str(path)])
    assert result.exit_code == 0, result.output
    public = result.output.split("public key: ")[1].split()[0]
    fp = result.output.split("fingerprint: ")[1].split()[0]
    return path, public, fp


def _export(client, record_id, org_id, fields, note=""):
    page = client.get(f"/central/cases/{record_id}/refer?organisation={org_id}")
    assert page.status_code == 200
    return client.post(f"/central/cases/{record_id}/package", data={
        "organisation": org_id, "field": fields, "note": note, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _open(app, path, key, signer):
    return app.test_cli_runner().invoke(args=["referral", "open", str(path), "--key", str(key), "--signer", signer])


def test_a_package_round_trips_and_a_tampered_one_is_refused(central_app, as_role, fake_station, tmp_path):
    key_path, public, fp = _keygen(central_app, tmp_path, "receiver.key")
    org_id, _ = add_at_central(central_app, name="Myawaddy social welfare", kind="government", country="MM",
                               province="Kayin", public_key=public, fingerprint=fp, services=("repatriation",))
    record_id, envelope = fake_station.envelope(ANSWERS)
    fake_station.deliver((record_id, envelope))
    coordinator = as_role(Role.COORDINATOR)
    answer = _export(coordinator, record_id, org_id, ["q_age", "q_citizenship"], "Family in Myawaddy.")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    package = tmp_path / "package.json"
    package.write_bytes(answer.data)
    assert b"Myawaddy." not in answer.data and b"q_citizenship" not in answer.data  # sealed
    with central_app.app_context():
        signer = packages.signer_fingerprint()
        assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "package_export"

    result = _open(central_app, package, key_path, signer)
    assert result.exit_code == 0, result.output
    opened = json.loads(result.output)
    assert opened["fields"] == {"q_age": 15, "q_citizenship": "myanmar"} and opened["note"] == "Family in Myawaddy."
    assert opened["consent"] == {"question": "q_consent_cross_border", "answer": "yes"}
    assert opened["record_id"] == record_id

    # Tampered: any signed field changed, or the sealed part changed.
    document = json.loads(package.read_text())
    for field, value in (("to", "o-ffffffff"), ("consent_cross_border", "no"),
                         ("sealed", base64.b64encode(b"x" * 80).decode())):
        changed = tmp_path / f"changed-{field}.json"
        changed.write_text(json.dumps({**document, field: value}))
        result = _open(central_app, changed, key_path, signer)
        assert result.exit_code != 0 and "signature does not verify" in result.output, result.output
    # Another receiver's key opens nothing; another signer is refused.
    other_key, _, _ = _keygen(central_app, tmp_path, "other.key")
    result = _open(central_app, package, other_key, signer)
    assert result.exit_code != 0 and "sealed to another" in result.output
    result = _open(central_app, package, key_path, "AAAA-BBBB-CCCC-DDDD")
    assert result.exit_code != 0 and "not by AAAA-BBBB-CCCC-DDDD" in result.output


def test_no_package_without_the_consent_to_cross_border_referral(central_app, as_role, fake_station, tmp_path):
    _, public, fp = _keygen(central_app, tmp_path, "receiver.key")
    org_id, _ = add_at_central(central_app, name="Myawaddy social welfare", kind="government", country="MM",
                               public_key=public, fingerprint=fp)
    record_id, envelope = fake_station.envelope({**ANSWERS, "q_consent_cross_border": "no"})
    fake_station.deliver((record_id, envelope))
    coordinator = as_role(Role.COORDINATOR)
    answer = _export(coordinator, record_id, org_id, ["q_age"])
    assert answer.status_code == 303
    page = coordinator.get(answer.headers["Location"]).get_data(as_text=True)
    assert "has not agreed to a referral across the border" in page
    with central_app.app_context():
        assert "package_export" not in set(db.session.scalars(sa.select(AuditEntry.action)))
