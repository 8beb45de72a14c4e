"""Central pages through the test client: who may do what, what each page shows and records."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, EnrolmentCode, ReceivedRecord, Station
from app.roles import Role
from app.services.central import audit
from app.services.errors import AuditFailed
from app.web.access import access_rule, is_allowed
from tests.support.web import csrf_from, login

CENTRAL_ENDPOINTS = {"central.stations", "central.create_code", "central.revoke", "central.records",
                     "central.record", "central.audit_log", "central.import_bundle", "central.live",
                     "central.dashboard", "central.cases", "central.delete_saved", "central.choose_digits",
                     "central.directory_list", "central.directory_add", "central.directory_edit",
                     "central.directory_retire", "central.bundle_answer",
                     "central.export_page", "central.export_file", "central.export_progress"}
RECORD_URL = "/central/records/{}"


ACCOUNT_ACTIONS = {audit.ACCOUNT_CREATED, audit.ACCOUNT_SWITCHED_OFF, audit.ACCOUNT_SWITCHED_ON,
                   audit.PASSPHRASE_RESET, audit.LOCK_ALL}


def _audit(app):
    """The entries about records and stations (the fixtures' own account set-up is audited too:
    tests/central/test_audit_events.py looks at those)."""
    with app.app_context():
        return [(e.username, e.action, e.record_id) for e in
                db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
                if e.action not in ACCOUNT_ACTIONS]


# -- registration and access ---------------------------------------------------------


def test_central_blueprint_only_on_central(app, central_app):
    assert not CENTRAL_ENDPOINTS & set(app.view_functions)
    assert CENTRAL_ENDPOINTS <= set(central_app.view_functions)
    assert "sync.index" not in central_app.view_functions


@pytest.mark.parametrize("role", [None, *Role])
def test_every_central_route_with_every_role(central_app, central_users, role):
    client = central_app.test_client()
    if role is not None:
        creds = central_users(role)
        assert login(client, creds["username"], creds["passphrase"]).status_code == 302
    checked = 0
    for rule in central_app.url_map.iter_rules():
        if not rule.endpoint.startswith("central."):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        url = rule.rule.replace("<station_id>", "x").replace("<record_id>", "x").replace("<int:filter_id>", "1")
        url = url.replace("<org_id>", "o-00000000").replace("<run_id>", "0" * 32).replace("<int:user_id>", "1")
        url = url.replace("<referral_id>", "x").replace("<kind>", "accepted")
        response = client.open(url, method=method)
        allowed = is_allowed(access_rule(central_app, rule.endpoint), role)
        where = f"{method} {url} as {role}"
        if allowed:
            assert response.status_code not in (401, 403) or rule.endpoint == "central.record", where
            assert "/login?next=" not in response.headers.get("Location", ""), where
        elif role is None and rule.endpoint == "central.live":
            assert response.status_code == 401 and response.json["error"] == "login_required", where
        elif role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where
        checked += 1
    assert checked == 31


def test_roles_of_the_central_routes(central_app):
    def roles(endpoint):
        return set(access_rule(central_app, endpoint))

    assert roles("central.stations") == {Role.ADMIN, Role.COORDINATOR}
    assert roles("central.create_code") == {Role.ADMIN}
    assert roles("central.revoke") == {Role.ADMIN}
    assert roles("central.records") == roles("central.record") == {Role.ADMIN, Role.COORDINATOR}
    assert roles("central.audit_log") == {Role.ADMIN, Role.COORDINATOR}
    assert roles("central.import_bundle") == {Role.ADMIN}
    assert roles("central.live") == {Role.ADMIN, Role.COORDINATOR}
    assert roles("central.directory_list") == {Role.ADMIN, Role.COORDINATOR}
    assert roles("central.directory_add") == roles("central.directory_edit") == {Role.ADMIN}
    assert roles("central.directory_retire") == roles("central.bundle_answer") == {Role.ADMIN}
    assert roles("central.export_page") == roles("central.export_file") == roles("central.export_progress") \
        == {Role.ADMIN, Role.COORDINATOR}


def test_nav_links_by_role(as_role):
    admin = as_role(Role.ADMIN).get("/central/stations").get_data(as_text=True)
    coordinator = as_role(Role.COORDINATOR).get("/central/stations").get_data(as_text=True)
    for page in (admin, coordinator):
        assert 'href="/central/records"' in page and 'href="/central/audit"' in page
        assert 'href="/sync"' not in page
    assert 'href="/central/import"' in admin and 'href="/central/import"' not in coordinator


# -- stations and enrolment codes -------------------------------------------------------


def test_admin_creates_an_enrolment_code_with_qr_and_fingerprint(central_app, as_role):
    client = as_role(Role.ADMIN)
    page = client.get("/central/stations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    fingerprint = re.search(r'<code class="fingerprint">([^<]+)</code>', html).group(1)
    response = client.post("/central/stations", data={"name": "Mae Sot post", "csrf_token": csrf_from(html)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = re.search(r'<code class="code">([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})</code>', html).group(1)
    assert "Mae Sot post" in html and fingerprint in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "<script" not in svg and "style=" not in svg and "href" not in svg
    assert "<script>" not in html and "http://cdn" not in html
    assert re.search(r'<input[^>]*name="name"[^>]*value=""', html)  # the form is empty again
    with central_app.app_context():
        from app.services.central import enrolment

        stored = db.session.scalar(sa.select(EnrolmentCode))
        assert stored.station_name == "Mae Sot post"
        assert code not in stored.code_hash and stored.code_hash == enrolment._hash(code)
    assert _audit(central_app)[-1][:2] == ("admin", "enrol_code")


def test_code_for_a_blank_name_is_refused(as_role):
    client = as_role(Role.ADMIN)
    page = client.get("/central/stations").get_data(as_text=True)
    response = client.post("/central/stations", data={"name": " ", "csrf_token": csrf_from(page)})
    assert response.status_code == 400
    assert '<code class="code">' not in response.get_data(as_text=True)


def test_coordinator_sees_stations_but_cannot_create_or_revoke(central_app, as_role, fake_station):
    client = as_role(Role.COORDINATOR)
    html = client.get("/central/stations").get_data(as_text=True)
    assert "Mae Sot post" in html
    assert "Create enrolment code" not in html and "Revoke" not in html
    token = csrf_from(html)  # the Lock button's token
    assert client.post("/central/stations", data={"name": "X", "csrf_token": token}).status_code == 403
    assert client.post(f"/central/stations/{fake_station.id}/revoke",
                       data={"csrf_token": token}).status_code == 403


def test_station_list_shows_contact_pending_revoked_and_clock_warning(central_app, as_role, fake_station):
    fake_station.deliver(fake_station.envelope())
    with central_app.app_context():
        db.session.execute(sa.update(Station).values(pending=7, clock_skew_seconds=-1800))
        db.session.commit()
    html = as_role(Role.COORDINATOR).get("/central/stations").get_data(as_text=True)
    row = re.search(rf'<tr data-station="{fake_station.id}">.*?</tr>', html, re.S).group(0)
    assert '<td data-label="Waiting at the station" data-count="pending">7</td>' in row
    # One record received: linked to the filtered list, its count too small to show.
    assert f'href="/central/records?station={fake_station.id}"><span class="suppressed">fewer than 5' in row
    assert "30 minutes" in row and 'class="warning"' in row
    assert "Active" in row


def test_admin_revokes_a_station(central_app, as_role, fake_station):
    client = as_role(Role.ADMIN)
    html = client.get("/central/stations").get_data(as_text=True)
    url = f"/central/stations/{fake_station.id}/revoke"
    assert client.post(url).status_code == 400  # no CSRF token: nothing happens
    with central_app.app_context():
        assert db.session.get(Station, fake_station.id).revoked_at is None
    response = client.post(url, data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    with central_app.app_context():
        assert db.session.get(Station, fake_station.id).revoked_at is not None
    html = client.get("/central/stations").get_data(as_text=True)
    assert "Revoked" in html and "was revoked" in html
    assert ("admin", "revoke", None) == _audit(central_app)[-1]
    assert client.post("/central/stations/nope/revoke", data={"csrf_token": csrf_from(html)}).status_code == 404


# -- records -----------------------------------------------------------------------------


def test_records_list_shows_metadata_only(central_app, as_role, fake_station):
    rid, blob = fake_station.envelope({"q_respondent_name": "Secret Name"})
    fake_station.deliver((rid, blob))
    client = as_role(Role.COORDINATOR)
    html = client.get("/central/records").get_data(as_text=True)
    assert "Mae Sot post" in html and RECORD_URL.format(rid) in html and "tip-default" in html
    assert "Secret Name" not in html
    assert _audit(central_app) == []  # listing opens nothing
    filtered = client.get(f"/central/records?station={fake_station.id}").get_data(as_text=True)
    assert RECORD_URL.format(rid) in filtered
    other = client.get("/central/records?station=other").get_data(as_text=True)
    assert RECORD_URL.format(rid) not in other


def test_records_list_pages(central_app, as_role, fake_station):
    fake_station.deliver(*[fake_station.envelope() for _ in range(3)])
    from app.services.central import received as central_records

    with central_app.app_context():
        first = central_records.list_received(1, per_page=2)
        second = central_records.list_received(2, per_page=2)
        beyond = central_records.list_received(9, per_page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (3, 2, 2, 1)
    assert beyond.page == 2
    assert {i.id for i in first.items}.isdisjoint({i.id for i in second.items})


OUTCOME = {"tier": "possible_victim", "reason": "x", "reasons": [], "child": False,
           "flags": [{"id": "f1", "code": "DANGER", "level": "alert"}],
           "elements": [{"element": "exploitation", "positive": True,
                         "indicators": [{"question_id": "q_job_different", "option": None,
                                         "strength": "medium"}]}],
           "groups": {}, "unknown_share": 0.0}


def test_opening_a_record_shows_answers_and_is_audited_first(central_app, as_role, fake_station):
    rid, blob = fake_station.envelope({"q_respondent_name": "Ma Aye", "q_job_different": "yes",
                                       "q_location_type": "checkpoint"}, outcome=OUTCOME)
    fake_station.deliver((rid, blob))
    client = as_role(Role.COORDINATOR)
    response = client.get(RECORD_URL.format(rid))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ma Aye" in html
    assert "Name the person gives (optional)" in html  # labels from the questionnaire
    assert "Was the job or the place different" in html and "Yes" in html
    assert "Checkpoint" in html or "checkpoint" in html.lower()
    assert "Possible victim: further interview" in html and "DANGER" in html
    assert "Exploitation" in html and "medium" in html
    assert response.headers["Cache-Control"] == "no-store"
    entries = _audit(central_app)
    assert entries[-1][1:] == ("open", rid)
    client.get(RECORD_URL.format(rid))
    assert [e for e in _audit(central_app) if e[1] == "open"] == [entries[-1]] * 2  # every opening


def test_admin_can_open_too(central_app, as_role, fake_station):
    rid, blob = fake_station.envelope({"q_respondent_name": "Ko Min"})
    fake_station.deliver((rid, blob))
    assert "Ko Min" in as_role(Role.ADMIN).get(RECORD_URL.format(rid)).get_data(as_text=True)
    assert _audit(central_app)[-1] == ("admin", "open", rid)


def test_no_audit_entry_no_data(central_app, as_role, fake_station, monkeypatch):
    rid, blob = fake_station.envelope({"q_respondent_name": "Ma Aye"})
    fake_station.deliver((rid, blob))
    client = as_role(Role.COORDINATOR)
    opened = []
    import app.services.central.received as central_records

    real_open = central_records.open_envelope
    monkeypatch.setattr(central_records, "open_envelope", lambda *a: opened.append(1) or real_open(*a))

    def broken(*args, **kwargs):
        raise AuditFailed("disk full")

    monkeypatch.setattr(audit, "record", broken)
    response = client.get(RECORD_URL.format(rid))
    assert response.status_code == 503
    assert "Ma Aye" not in response.get_data(as_text=True)
    assert opened == []  # nothing was even decrypted


def test_coordinator_without_a_key_slot_is_told_to_unlock(central_app, as_role, fake_station):
    rid, blob = fake_station.envelope({"q_respondent_name": "Ma Aye"})
    fake_station.deliver((rid, blob))
    client = as_role(Role.COORDINATOR, slot=False)
    response = client.get(RECORD_URL.format(rid))
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Key not unlocked" in html and "no unlocked central key" in html
    assert "Ma Aye" not in html
    assert _audit(central_app) == []  # nothing was opened
    assert client.get("/central/records").status_code == 200  # the metadata stays visible


def test_unknown_and_deleted_records(central_app, as_role, fake_station):
    client = as_role(Role.COORDINATOR)
    assert client.get(RECORD_URL.format("00000000-0000-4000-8000-000000000000")).status_code == 404
    assert client.get(RECORD_URL.format("x" * 300)).status_code == 404
    rid, blob = fake_station.envelope()
    fake_station.deliver((rid, blob))
    with central_app.app_context():
        from app.services.sync import ingest

        assert ingest.delete_record(rid)
    response = client.get(RECORD_URL.format(rid))
    assert response.status_code == 409 and "deleted at central" in response.get_data(as_text=True)
    assert "deleted" in client.get("/central/records").get_data(as_text=True)
    assert _audit(central_app) == []


def test_a_record_changed_after_receipt_is_not_opened(central_app, as_role, fake_station):
    rid, blob = fake_station.envelope({"q_respondent_name": "Ma Aye"})
    fake_station.deliver((rid, blob))
    tampered = bytearray(blob)
    tampered[-100] ^= 1  # inside the body ciphertext; the stored hash is updated to match
    import hashlib

    with central_app.app_context():
        db.session.execute(sa.update(ReceivedRecord).where(ReceivedRecord.id == rid).values(
            envelope=bytes(tampered), envelope_sha256=hashlib.sha256(bytes(tampered)).hexdigest()))
        db.session.commit()
    response = as_role(Role.COORDINATOR).get(RECORD_URL.format(rid))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "signature does not verify" in html and "Ma Aye" not in html
    assert _audit(central_app) == []


def test_a_record_from_an_unknown_questionnaire_version_shows_question_ids(central_app, as_role,
                                                                           fake_station):
    rid, blob = fake_station.envelope({"q_respondent_name": "Ma Aye"})
    fake_station.deliver((rid, blob))
    from app.services import questionnaires

    with central_app.app_context():
        questionnaires._loaded().clear()  # as if this central never had that version
    html = as_role(Role.COORDINATOR).get(RECORD_URL.format(rid)).get_data(as_text=True)
    assert "q_respondent_name" in html and "Ma Aye" in html


# -- audit page ------------------------------------------------------------------------


def test_audit_page_shows_entries_and_chain_state(central_app, as_role, fake_station):
    rid, blob = fake_station.envelope()
    fake_station.deliver((rid, blob))
    coordinator = as_role(Role.COORDINATOR)
    coordinator.get(RECORD_URL.format(rid))
    html = coordinator.get("/central/audit").get_data(as_text=True)
    assert 'class="flash flash-info chain-ok"' in html and "opened a record" in html and rid in html
    with central_app.app_context():
        db.session.execute(sa.update(AuditEntry).values(username="nobody"))
        db.session.commit()
    html = as_role(Role.ADMIN).get("/central/audit").get_data(as_text=True)
    assert "chain-broken" in html and "broken at entry 1" in html


# -- USB import ------------------------------------------------------------------------


def _import(client, data, name="bundle.tipbundle", token=None):
    if token is None:
        token = csrf_from(client.get("/central/import").get_data(as_text=True))
    # The body is built here: Werkzeug's test client spools big multipart bodies to a temporary
    # file it never closes (a ResourceWarning, an error under filterwarnings = error).
    boundary = "tipscreen-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="bundle"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/central/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_admin_imports_a_bundle_twice(central_app, as_role, fake_station):
    items = [fake_station.envelope({"q_respondent_name": f"P{n}"}) for n in range(3)]
    bundle = fake_station.bundle(*items)
    client = as_role(Role.ADMIN)
    response = _import(client, bundle)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bundle from Mae Sot post" in html and "New records: 3" in html
    again = _import(client, bundle).get_data(as_text=True)
    assert "New records: 0" in again and "Already here: 3" in again
    with central_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord)) == 3
    assert [e[1] for e in _audit(central_app)][-2:] == ["import", "import"]


def test_import_refuses_garbage_and_needs_csrf(central_app, as_role, fake_station):
    client = as_role(Role.ADMIN)
    response = _import(client, b"not a bundle")
    assert response.status_code == 400
    assert "not a valid tip-screen bundle" in response.get_data(as_text=True)
    assert _import(client, fake_station.bundle(fake_station.envelope()), token="forged").status_code == 400
    no_file = client.post("/central/import", data={
        "csrf_token": csrf_from(client.get("/central/import").get_data(as_text=True))})
    assert no_file.status_code == 400
    with central_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord)) == 0
    assert _audit(central_app) == []


def test_import_takes_more_than_the_app_wide_limit_but_not_without_bound(central_app, as_role,
                                                                        monkeypatch):
    client = as_role(Role.ADMIN)
    big = b"x" * (5 * 1024 * 1024)  # over the 4 MB app-wide limit
    response = _import(client, big)
    assert response.status_code == 400  # read and refused as "not a bundle", not "too large"
    import app.central.routes as routes

    monkeypatch.setattr(routes, "MAX_BUNDLE_BYTES", 1024 * 1024)
    assert _import(client, big).status_code == 413
    # Other forms keep the app-wide limit.
    token = csrf_from(client.get("/central/stations").get_data(as_text=True))
    assert client.post("/central/stations", data={"csrf_token": token, "name": "x" * (5 * 1024 * 1024)}
                       ).status_code == 413


def test_revoked_station_bundle_is_refused(central_app, as_role, fake_station):
    bundle = fake_station.bundle(fake_station.envelope())
    with central_app.app_context():
        from app.services.central import enrolment

        enrolment.revoke(fake_station.id)
    response = _import(as_role(Role.ADMIN), bundle)
    assert response.status_code == 400 and "revoked" in response.get_data(as_text=True)


def test_import_page_refuses_a_deeply_nested_file_with_a_message(central_app, as_role):
    client = as_role(Role.ADMIN)
    for deep in (b"[" * 100_000 + b"]" * 100_000, b'{"payload": ' + b"[" * 50 + b"]" * 50 + b"}"):
        response = _import(client, deep)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "nested too deeply" in html and "Nothing was imported" in html
        assert "Traceback" not in html
    with central_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedRecord)) == 0
