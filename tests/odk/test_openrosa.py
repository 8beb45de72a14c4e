"""OpenRosa against the station through Flask's client on a real SQLite file: the form list
and forms, authentication and roles, the HEAD pre-flight, encrypted submissions (made by
node-forge) stored as final records, re-sends, conflicts, tampering and plain submissions."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid

import pytest
import sqlalchemy as sa
from defusedxml import ElementTree

from app.extensions import db
from app.models import Installation, OdkSubmission, Record, RecordState
from app.roles import Role
from app.services import records
from tests.conftest import admin_keys
from tests.odk.support import basic, instance_xml, node_encrypt

ANSWERS = {
    "setup": {"q_respondent_name": "Ma Aye", "q_location_type": "shelter"},
    "consent": {"q_consent_interview": "yes", "q_consent_mdt": "yes"},
    "safety": {"q_needs_doctor": "no", "q_age": "24", "q_maybe_child": "no"},
    "recruitment": {"q_forced_or_sold": "yes", "q_false_papers": "yes"},
    "work": {"q_hours_per_day": "14"},
    "control": {"q_free_to_leave": "no", "q_violence": "yes", "q_threats": "yes"},
    "observations": {"q_observation_notes": "bruises on both arms"},
}
NS = {"x": "http://openrosa.org/xforms/xformsList"}


@pytest.fixture
def officer(make_user):
    return make_user(Role.OFFICER)


def _list(client, creds):
    response = client.get("/formList", headers=basic(creds["username"], creds["passphrase"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _public_key(app) -> bytes:
    with app.app_context():
        key = db.session.scalar(sa.select(Installation.odk_public_key))
    assert key is not None
    return key


def _send(client, creds, manifest: bytes, files: dict[str, bytes]):
    data = {"xml_submission_file": (io.BytesIO(manifest), "submission.xml", "text/xml")}
    for name, blob in files.items():
        data[name] = (io.BytesIO(blob), name, "application/octet-stream")
    return client.post("/submission", data=data, content_type="multipart/form-data",
                       headers=basic(creds["username"], creds["passphrase"]))


def _filled(app, client, creds, answers=ANSWERS, instance_id=None):
    _list(client, creds)
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    xml = instance_xml("tip-default", "1.0.0", instance_id, answers)
    return node_encrypt(_public_key(app), "tip-default", "1.0.0", xml, instance_id=instance_id)


def _records(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Record)))


def test_every_answer_carries_the_openrosa_header_and_asks_for_basic(client, officer):
    for method, url in (("GET", "/formList"), ("GET", "/forms/tip-default/1.0.0"), ("HEAD", "/submission"),
                        ("POST", "/submission")):
        response = client.open(url, method=method)
        assert response.status_code == 401, url
        assert response.headers["X-OpenRosa-Version"] == "1.0"
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="tip-screen"')
        assert "Date" in response.headers


def test_form_list_names_each_form_with_the_hash_of_what_it_serves(app, client, officer):
    response = _list(client, officer)
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    forms = ElementTree.fromstring(response.data).findall("x:xform", NS)
    assert {f.findtext("x:formID", namespaces=NS) for f in forms} == {"tip-default"}
    listed = forms[0]
    url = listed.findtext("x:downloadUrl", namespaces=NS)
    assert url.endswith(f"/forms/tip-default/{listed.findtext('x:version', namespaces=NS)}")
    form = client.get(url, headers=basic(officer["username"], officer["passphrase"]))
    assert form.status_code == 200
    assert listed.findtext("x:hash", namespaces=NS) == "md5:" + hashlib.md5(form.data, usedforsecurity=False).hexdigest()
    key = re.search(rb'base64RsaPublicKey="([^"]+)"', form.data).group(1)
    assert base64.b64decode(key) == _public_key(app)
    # Every language of the questionnaire is in the form, as itext.
    assert set(re.findall(rb'<translation[^>]*lang="([^"]+)"', form.data)) >= {
        b"English (en)", b"Thai (th)", b"Burmese (my)", b"Lao (lo)", b"Khmer (km)"}


def test_head_preflight(client, officer):
    response = client.head("/submission", headers=basic(officer["username"], officer["passphrase"]))
    assert response.status_code == 204
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) > 100_000
    assert response.headers["X-OpenRosa-Version"] == "1.0"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.INTERPRETER])
def test_roles_without_phones_are_refused(client, make_user, role):
    creds = make_user(role)
    response = client.get("/formList", headers=basic(creds["username"], creds["passphrase"]))
    assert response.status_code == 403
    assert b"officer" in response.data


def test_outreach_workers_use_phones(client, make_user):
    _list(client, make_user(Role.OUTREACH))


def test_wrong_passphrase_is_refused_and_counted_like_a_login(app, client, officer):
    from tests.support.web import account_guesses

    before = account_guesses(app)
    response = client.get("/formList", headers=basic(officer["username"], "not the passphrase at all"))
    assert response.status_code == 401
    assert account_guesses(app) == before + 1
    for _ in range(app.config["TIP"].login_max_failures):
        client.get("/formList", headers=basic(officer["username"], "not the passphrase at all"))
    locked = client.get("/formList", headers=basic(officer["username"], officer["passphrase"]))
    assert locked.status_code == 429


def test_the_passphrase_is_derived_once_then_recognised(client, officer, monkeypatch):
    from tests.support.derivations import count_derivations

    runs = count_derivations(monkeypatch)
    _list(client, officer)
    first = len(runs)
    assert first >= 1
    for _ in range(3):
        _list(client, officer)
    client.head("/submission", headers=basic(officer["username"], officer["passphrase"]))
    assert len(runs) == first  # no derivation for the requests after the first
    wrong = client.get("/formList", headers=basic(officer["username"], officer["passphrase"] + "x"))
    assert wrong.status_code == 401 and len(runs) == first + 1


def test_a_switched_off_account_is_refused_at_once_though_cached(app, client, officer):
    from app.services import accounts
    from app.services.accounts import keyring

    _list(client, officer)
    with app.app_context():
        held = len(keyring.unlocked())
        accounts.set_active(accounts.find_user(officer["username"]), False)
        assert len(keyring.unlocked()) == held - 1  # the phone's keys are gone from memory
    response = client.get("/formList", headers=basic(officer["username"], officer["passphrase"]))
    assert response.status_code == 401


def test_lock_all_forgets_the_phones_keys(app, client, officer, monkeypatch):
    from app.services.accounts import sessions
    from tests.support.derivations import count_derivations

    _list(client, officer)
    with app.test_request_context():
        sessions.end_all(actor="admin")
    runs = count_derivations(monkeypatch)
    _list(client, officer)
    assert runs  # the passphrase was checked again: nothing was left in memory


def test_an_encrypted_submission_becomes_a_final_record_scored_as_on_the_pages(app, client, officer,
                                                                              start):
    manifest, files = _filled(app, client, officer)
    response = _send(client, officer, manifest, files)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert b"submit_success" in response.data and response.headers["X-OpenRosa-Version"] == "1.0"
    (rec,) = _records(app)
    assert rec.state is RecordState.FINAL
    # The same answers typed on the pages, by another officer, finalised there.
    interview = start()
    for leaves in ANSWERS.values():
        typed = {k: ({"age": v} if k == "q_age" else v) for k, v in leaves.items()}
        assert interview.autosave(**typed).get_json()["ok"]
    assert interview.finalise().status_code == 302
    with app.app_context():
        keys = admin_keys(app)
        phone_body = records.decrypt_record(db.session.get(Record, rec.id), keys)[1]
        page_body = records.decrypt_record(db.session.get(Record, interview.id), keys)[1]
    assert phone_body["outcome"] == page_body["outcome"]
    assert phone_body["outcome"]["tier"] not in (None, "")
    assert {k: v["value"] for k, v in phone_body["answers"].items()} == \
        {k: v["value"] for k, v in page_body["answers"].items()}


def test_sealed_to_central_and_signed_when_central_is_known(app, client, officer, central):
    with app.app_context():
        records.set_central_key(central.public, central.key_id)
    manifest, files = _filled(app, client, officer)
    assert _send(client, officer, manifest, files).status_code == 201
    (rec,) = _records(app)
    assert rec.envelope is not None and rec.body is None
    with app.app_context():
        assert [r.id for r in records.outbox()] == [rec.id]
        signing = db.session.scalar(sa.select(Installation.signing_public_key))
        opened = central.open(rec.envelope, signing)
    assert opened["answers"]["q_respondent_name"]["value"] == "Ma Aye"


def test_the_same_submission_again_is_received_once(app, client, officer):
    manifest, files = _filled(app, client, officer)
    assert _send(client, officer, manifest, files).status_code == 201
    again = _send(client, officer, manifest, files)
    assert again.status_code == 201 and b"already received" in again.data
    assert len(_records(app)) == 1


def test_the_same_instance_encrypted_again_is_the_same_submission(app, client, officer):
    instance_id = f"uuid:{uuid.uuid4()}"
    first = _filled(app, client, officer, instance_id=instance_id)
    second = _filled(app, client, officer, instance_id=instance_id)  # a new AES key, same answers
    assert first[1] != second[1]
    assert _send(client, officer, *first).status_code == 201
    assert _send(client, officer, *second).status_code == 201
    assert len(_records(app)) == 1


def test_other_answers_under_the_same_instance_id_are_a_conflict(app, client, officer):
    instance_id = f"uuid:{uuid.uuid4()}"
    assert _send(client, officer, *_filled(app, client, officer, instance_id=instance_id)).status_code == 201
    (kept,) = _records(app)
    changed = {**ANSWERS, "setup": {"q_respondent_name": "Someone else"}}
    response = _send(client, officer, *_filled(app, client, officer, changed, instance_id=instance_id))
    assert response.status_code == 409
    (still,) = _records(app)
    assert (still.id, still.body, still.local_wrap) == (kept.id, kept.body, kept.local_wrap)


def _snapshot(app):
    with app.app_context():
        rows = [tuple(r) for r in db.session.execute(sa.select(Record.id, Record.body, Record.seq))]
        odk = db.session.scalar(sa.select(sa.func.count()).select_from(OdkSubmission))
        seq = db.session.scalar(sa.select(Installation.next_seq))
    return rows, odk, seq


def test_a_tampered_submission_is_refused_and_changes_nothing(app, client, officer):
    assert _send(client, officer, *_filled(app, client, officer)).status_code == 201
    before = _snapshot(app)
    manifest, files = _filled(app, client, officer)
    blob = bytearray(files["submission.xml.enc"])
    blob[len(blob) // 2] ^= 0x40
    response = _send(client, officer, manifest, {"submission.xml.enc": bytes(blob)})
    assert response.status_code == 400
    assert b"changed" in response.data
    assert _snapshot(app) == before


def test_a_plain_submission_is_refused_and_changes_nothing(app, client, officer):
    _list(client, officer)
    before = _snapshot(app)
    plain = instance_xml("tip-default", "1.0.0", f"uuid:{uuid.uuid4()}", ANSWERS).encode()
    response = _send(client, officer, plain, {})
    assert response.status_code == 403
    assert b"encrypted" in response.data
    assert _snapshot(app) == before


def test_a_refused_answer_is_named_and_nothing_is_stored(app, client, officer):
    bad = {**ANSWERS, "work": {"q_hours_per_day": "99"}}
    before = _snapshot(app)
    response = _send(client, officer, *_filled(app, client, officer, bad))
    assert response.status_code == 400
    assert b"q_hours_per_day" in response.data
    assert _snapshot(app)[:2] == before[:2]


def test_a_form_the_station_does_not_have_is_refused(app, client, officer):
    _list(client, officer)
    xml = instance_xml("other-form", "1", "uuid:x", {})
    manifest, files = node_encrypt(_public_key(app), "other-form", "1", xml, instance_id="uuid:x")
    assert _send(client, officer, manifest, files).status_code == 404
    assert _records(app) == []


def test_the_officer_finds_the_phone_screening_on_the_station_pages(app, client, officer):
    from tests.support.web import login

    assert _send(client, officer, *_filled(app, client, officer)).status_code == 201
    (rec,) = _records(app)
    assert login(client, officer["username"], officer["passphrase"]).status_code == 302
    listing = client.get("/screenings/")
    assert listing.status_code == 200 and "Ma Aye" in listing.get_data(as_text=True)
    review = client.get(f"/screenings/{rec.id}/review")
    assert review.status_code == 200 and "Ma Aye" in review.get_data(as_text=True)
    assert client.get(f"/screenings/{rec.id}/slip").status_code == 200


def test_the_served_form_passes_odk_validate(app, client, officer, tmp_path):
    """JavaRosa (the engine inside Collect), through the ODK Validate pyxform ships, takes the
    exact bytes the station serves, encryption key included."""
    import shutil
    import subprocess
    from pathlib import Path

    import pyxform

    jar = Path(pyxform.__file__).parent / "validators" / "odk_validate" / "bin" / "ODK_Validate.jar"
    if shutil.which("java") is None or not jar.is_file():
        from tests.support.browser import skip_or_fail

        skip_or_fail("ODK Validate needs java and pyxform's ODK_Validate.jar")
    _list(client, officer)
    form = client.get("/forms/tip-default/1.0.0", headers=basic(officer["username"], officer["passphrase"]))
    path = tmp_path / "station-form.xml"
    path.write_bytes(form.data)
    done = subprocess.run(["java", "-Djava.awt.headless=true", "-jar", str(jar), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Xform is valid" in done.stdout + done.stderr


def test_the_same_submission_sent_at_once_by_four_connections_is_one_record(live_app, make_user):
    """Collect retrying while the first request is still being answered: real HTTP, four
    threads, one record, every answer a success."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.odk.test_web_forms import _get, _post

    app, url = live_app
    creds = make_user(Role.OFFICER)
    _get(f"{url}/formList", creds)
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml("tip-default", "1.0.0", instance_id, ANSWERS)
    manifest, files = node_encrypt(_public_key(app), "tip-default", "1.0.0", xml, instance_id=instance_id)
    with ThreadPoolExecutor(4) as pool:
        statuses = [f.result()[0] for f in [pool.submit(_post, url, creds, manifest, files) for _ in range(4)]]
    assert statuses == [201] * 4
    assert len(_records(app)) == 1


def test_a_request_over_the_limit_is_refused_in_openrosa_terms(app, client, officer):
    _list(client, officer)
    before = _snapshot(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    # Refused from the announced length, before any of it is read (nothing spooled to disk).
    response = client.post("/submission", data=b"\0" * (limit + 1),
                           content_type="multipart/form-data; boundary=x",
                           headers=basic(officer["username"], officer["passphrase"]))
    assert response.status_code == 413
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert _snapshot(app) == before
