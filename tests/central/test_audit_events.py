"""Every action at central that touches people or trust leaves an entry, from the page and from
the command line; an entry that cannot be written stops the action; a station keeps no audit log."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, User
from app.roles import Role
from app.services import accounts
from app.services.accounts import keyring, sessions
from app.services.central import audit
from app.services.errors import AuditFailed
from tests.conftest import PASSPHRASE
from tests.support.web import login, post_form


def _entries(app, after=0):
    with app.app_context():
        return [(e.username, e.action, e.detail) for e in
                db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))]


def _last_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def _user_id(app, name):
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == name))


def test_setup_records_the_first_administrator(central_app):
    assert _entries(central_app) == [("(system)", "account_create", "admin: role admin")]
    with central_app.app_context():
        assert audit.check_chain().ok


def test_account_pages_are_audited(central_app):
    client = central_app.test_client()
    login(client, "admin", PASSPHRASE)
    start = _last_id(central_app)
    response = post_form(client, "/admin/users", "/admin/users",
                         {"username": "somchai", "role": "coordinator", "passphrase": "river boat morning tea"})
    assert response.status_code == 302
    uid = _user_id(central_app, "somchai")
    assert post_form(client, "/admin/users", f"/admin/users/{uid}/active", {}).status_code == 302
    assert post_form(client, "/admin/users", f"/admin/users/{uid}/active", {}).status_code == 302
    url = f"/admin/users/{uid}/passphrase"
    assert post_form(client, url, url, {"passphrase": "brand new phrase here",
                                        "confirm": "brand new phrase here"}).status_code == 302
    assert post_form(client, "/admin/users", "/admin/lock-all", {}).status_code == 302
    assert _entries(central_app, start) == [
        ("admin", "account_create", "somchai: role coordinator"),
        ("admin", "account_off", "somchai"),
        ("admin", "account_on", "somchai"),
        ("admin", "passphrase_reset", "somchai"),
        ("admin", "lock_all", "1 session(s)"),
    ]
    with central_app.app_context():
        assert audit.check_chain().ok
    html = login(client, "admin", PASSPHRASE) and client.get("/central/audit").get_data(as_text=True)
    for label in ("created an account", "switched an account off", "switched an account on",
                  "set a new passphrase", "locked every session"):
        assert label in html


def test_refused_account_changes_leave_no_entry(central_app):
    client = central_app.test_client()
    login(client, "admin", PASSPHRASE)
    start = _last_id(central_app)
    response = post_form(client, "/admin/users", "/admin/users",
                         {"username": "weakling", "role": "officer", "passphrase": "short"})
    assert response.status_code == 400
    assert _entries(central_app, start) == []


def test_no_entry_no_account(central_app, monkeypatch):
    def broken(*args, **kwargs):
        raise AuditFailed("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with central_app.app_context():
        secret = keyring.open_user_slot(accounts.find_user("admin"), PASSPHRASE)
        try:
            accounts.create_user("somchai", Role.OFFICER, PASSPHRASE, secret=secret, actor="admin")
        except AuditFailed:
            pass
        else:  # pragma: no cover - the point of the test
            raise AssertionError("created without an audit entry")
        db.session.rollback()
        assert accounts.find_user("somchai") is None


def test_lock_all_locks_even_when_the_log_cannot_record_it(central_app, monkeypatch):
    client = central_app.test_client()
    login(client, "admin", PASSPHRASE)
    monkeypatch.setattr(audit, "record", lambda *a, **k: (_ for _ in ()).throw(AuditFailed("disk full")))
    with central_app.app_context():
        try:
            sessions.end_all(actor="admin")
        except AuditFailed:
            pass
    assert client.get("/central/audit").status_code == 302  # logged out


def test_cli_account_commands_are_audited(central_app):
    runner = central_app.test_cli_runner()
    start = _last_id(central_app)
    result = runner.invoke(args=["users", "create", "lek", "--role", "coordinator", "--password-stdin"],
                           input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "reset-passphrase", "lek", "--password-stdin"],
                           input=f"another long phrase here\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert _entries(central_app, start) == [("admin", "account_create", "lek: role coordinator"),
                                            ("admin", "passphrase_reset", "lek")]


def test_cli_station_commands_and_bundle_import_are_audited(central_app, fake_station, tmp_path):
    runner = central_app.test_cli_runner()
    start = _last_id(central_app)
    result = runner.invoke(args=["stations", "create", "Chong Mek", "--url", "https://central.example"])
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "b.tipbundle"
    bundle.write_bytes(fake_station.bundle(fake_station.envelope()))
    result = runner.invoke(args=["bundle", "import", str(bundle)])
    assert result.exit_code == 0 and "Bundle from Mae Sot post: 1 accepted" in result.output, result.output
    result = runner.invoke(args=["stations", "revoke", fake_station.id])
    assert result.exit_code == 0, result.output
    entries = _entries(central_app, start)
    assert [e[1] for e in entries] == ["enrol_code", "import", "revoke"]
    assert all(e[0].startswith("cli:") for e in entries)
    assert entries[0][2] == "for station Chong Mek"
    assert entries[1][2] == f"station {fake_station.id}: 1 accepted"
    assert entries[2][2] == f"station {fake_station.id}"


def test_a_station_keeps_no_audit_log(app, installed, make_user):
    make_user(Role.OFFICER)
    with app.app_context():
        user = accounts.find_user("admin")
        accounts.set_active(user, True, actor="admin")
        sessions.end_all(actor="admin")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
