"""Who may export what, and the audit entries: written before the first byte, the file's
checksum after the last, and no file at all when the audit log cannot be written."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.roles import Role
from app.services import accounts, unlock
from app.services.analytics.filters import Filters
from app.services.central import audit
from app.services.errors import AuditFailed
from app.services.exports import produce, sink
from tests.conftest import PASSPHRASE
from tests.exports.conftest import audit_entries, client_as, post_export, read_csv, station

RECORDS = 6


@pytest.fixture
def central(sqlite_central: Flask) -> Flask:
    post = station(sqlite_central)
    post.deliver(*(post.envelope({"q_consent_interview": "yes", "q_respondent_name": f"Person {n}", "q_citizenship": "lao"},
                                 outcome={"tier": "refer_mdt", "flags": [], "elements": []})
                   for n in range(RECORDS)))
    return sqlite_central


@pytest.mark.parametrize("role", [Role.OFFICER, Role.INTERPRETER, Role.OUTREACH])
def test_other_roles_at_central_get_nothing(central: Flask, role: Role) -> None:
    client, _ = client_as(central, role)
    assert client.get("/central/export").status_code == 403
    response = client.post("/central/export", data={"kind": "deidentified", "format": "csv"})
    assert response.status_code in (400, 403)
    assert b"Person" not in response.get_data() and b"lao" not in response.get_data()
    assert client.get(f"/central/export/progress/{'0' * 32}").status_code == 403
    assert audit_entries(central, audit.EXPORT, audit.EXPORT_DONE) == []


def test_full_export_refused_without_an_unlocked_key(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR, slot=False)
    page = client.get("/central/export").get_data(as_text=True)
    assert 'value="full"' in page and "disabled" in page
    posted = post_export(client, kind="full", format="csv")
    assert posted.response.status_code == 403
    assert "attachment" not in posted.response.headers.get("Content-Disposition", "")
    assert b"Person" not in posted.body
    assert audit_entries(central, audit.EXPORT, audit.EXPORT_DONE) == []
    # The same coordinator may still export the de-identified facts.
    assert post_export(client, kind="deidentified", format="csv").response.status_code == 200


def test_audit_entries_name_who_what_and_the_files_checksum(central: Flask) -> None:
    client, name = client_as(central, Role.COORDINATOR)
    posted = post_export(client, "?f.nationality=lao", kind="full", format="csv", language="th")
    assert posted.response.status_code == 200, posted.response.get_data(as_text=True)[-3000:]
    body = posted.body
    started, done = audit_entries(central, audit.EXPORT, audit.EXPORT_DONE)
    assert started.action == audit.EXPORT and started.username == name
    assert f"run {posted.run}: full csv, {RECORDS} records, th" in started.detail
    assert "filters: f.nationality=lao" in started.detail
    assert started.id < done.id
    assert done.detail == (f"run {posted.run}: {RECORDS} records, {len(body)} bytes, "
                           f"sha256 {hashlib.sha256(body).hexdigest()}")
    with central.app_context():
        assert audit.check_chain().ok
    progress = client.get(f"/central/export/progress/{posted.run}").get_json()
    assert progress == {"state": "done", "done": RECORDS, "total": RECORDS,
                        "sha256": hashlib.sha256(body).hexdigest()}
    # Another coordinator cannot see that run, and a run id is used once.
    other, _ = client_as(central, Role.COORDINATOR)
    assert other.get(f"/central/export/progress/{posted.run}").status_code == 404


def _break_the_audit_log() -> None:
    """A real write failure: the database refuses every new audit entry."""
    db.session.execute(sa.text("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
                               "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"))
    db.session.commit()


def test_no_audit_entry_no_file(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR)
    with central.app_context():
        _break_the_audit_log()
    posted = post_export(client, kind="full", format="csv")
    assert posted.response.status_code == 503
    assert "attachment" not in posted.response.headers.get("Content-Disposition", "")
    assert b"Person" not in posted.body
    assert audit_entries(central, audit.EXPORT, audit.EXPORT_DONE) == []


def test_a_checksum_that_cannot_be_recorded_keeps_the_file_incomplete(central: Flask,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink, "CHUNK", 1)  # a chunk after every row: a small file in many chunks
    with central.app_context():
        user = accounts.find_user("admin")
        secret = unlock.open_keys(user, PASSPHRASE)
        request = produce.ExportRequest(kind=produce.FULL, format=produce.XLSX, filters=Filters())
        export = produce.start(request, username="admin", user_id=user.id, secret=secret,
                               today=datetime.now(UTC).date())
        received = bytearray()
        with pytest.raises(AuditFailed):
            for n, chunk in enumerate(export.chunks):
                received += chunk
                if n == 0:
                    _break_the_audit_log()
        assert received, "the rows were streamed"
        with pytest.raises(zipfile.BadZipFile):  # no central directory: nothing opens it
            zipfile.ZipFile(io.BytesIO(bytes(received)))
    (started,) = audit_entries(central, audit.EXPORT, audit.EXPORT_DONE)
    assert "full xlsx" in started.detail


def test_cut_short_is_recorded(central: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink, "CHUNK", 1)
    with central.app_context():
        request = produce.ExportRequest(kind=produce.DEIDENTIFIED, format=produce.CSV, filters=Filters())
        export = produce.start(request, username="admin", user_id=None, secret=None,
                               today=datetime.now(UTC).date())
        chunks = iter(export.chunks)
        first = next(chunks)
        assert first
        chunks.close()  # the browser went away after the first chunk
    started, stopped = audit_entries(central, audit.EXPORT, audit.EXPORT_DONE)
    assert "not delivered whole" in stopped.detail


def test_a_de_identified_export_of_a_few_records_is_refused(central: Flask) -> None:
    client, _ = client_as(central, Role.COORDINATOR)
    other = station(central, "Ranong post")
    other.deliver(*(other.envelope({"q_citizenship": "thai"}) for _ in range(3)))
    with central.app_context():
        from app.models import Station

        ranong = db.session.scalar(sa.select(Station.id).where(Station.name == "Ranong post"))
    posted = post_export(client, f"?station={ranong}", kind="deidentified", format="csv")
    assert posted.response.status_code == 400
    assert "fewer than 5" in posted.response.get_data(as_text=True)
    assert audit_entries(central, audit.EXPORT) == []
    # The full export of the same three records is the records themselves: allowed, audited.
    posted = post_export(client, f"?station={ranong}", kind="full", format="csv")
    assert posted.response.status_code == 200
    assert len(read_csv(posted.body)) == 2 + 3


def test_a_long_filter_is_audited_whole_before_the_file(central: Flask) -> None:
    flags = ["flag_child", "flag_medical", "flag_danger", "flag_urgent", "flag_interpreter",
             "flag_basic_needs", "flag_non_punishment", "flag_no_mdt_consent"]
    query = "?period=365d&" + "&".join(f"f.flags={f}" for f in flags)
    client, _ = client_as(central, Role.COORDINATOR)
    posted = post_export(client, query, kind="full", format="csv")
    assert posted.response.status_code == 400  # no record has every flag: refused, not audited
    assert audit_entries(central, audit.EXPORT) == []
    with central.app_context():
        request = produce.ExportRequest(kind=produce.DEIDENTIFIED, format=produce.CSV,
                                        filters=Filters(facts=tuple(("flags", f) for f in flags)))
        produce._audit_start("admin", request, 7, "0" * 32)
    entries = audit_entries(central, audit.EXPORT)
    assert len(entries) >= 2 and all(len(e.detail) <= audit.MAX_DETAIL for e in entries)
    whole = entries[0].detail + "".join(e.detail.split(") ", 1)[1] for e in entries[1:])
    assert whole.endswith("filters: " + "&".join(f"f.flags={f}" for f in flags))
