from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AuthSession, User
from app.models.types import utcnow
from app.roles import Role
from tests.support.web import csrf_from, let_lockouts_end, login, post_form


def test_admin_logs_in_and_out(client, installed):
    response = login(client, installed["username"], installed["passphrase"])
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    page = client.get("/")
    assert b"admin" in page.data
    out = client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_passphrase_is_refused_with_a_message(client, installed):
    response = login(client, "admin", "wrong passphrase entirely")
    assert response.status_code == 401
    assert b"Wrong username or passphrase" in response.data
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client, installed):
    response = login(client, "nobody", "wrong passphrase entirely")
    assert response.status_code == 401
    assert b"Wrong username or passphrase" in response.data


def test_throttling_after_repeated_failures(app, client, installed):
    limit = app.config["TIP"].login_max_failures
    for _ in range(limit - 1):
        assert login(client, "admin", "not the passphrase at all").status_code == 401
    locked = login(client, "admin", "not the passphrase at all")
    assert locked.status_code == 429
    assert b"Too many wrong passphrases" in locked.data
    # Even the right passphrase is refused while the account is locked out.
    still = login(client, "admin", installed["passphrase"])
    assert still.status_code == 429
    let_lockouts_end(app)
    assert login(client, "admin", installed["passphrase"]).status_code == 302


def test_session_id_is_renewed_at_login(app, client, installed):
    login(client, "admin", installed["passphrase"])
    with app.app_context():
        first = set(db.session.scalars(sa.select(AuthSession.id)))
    login(client, "admin", installed["passphrase"])
    with app.app_context():
        second = set(db.session.scalars(sa.select(AuthSession.id)))
    assert len(first) == 1 and len(second) == 1
    assert first != second


def test_old_cookie_opens_nothing_after_logout(app, installed):
    client = app.test_client()
    login(client, "admin", installed["passphrase"])
    cookie = client.get_cookie("tip_session")
    assert cookie is not None
    page = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    thief = app.test_client()
    thief.set_cookie("tip_session", cookie.value)
    assert thief.get("/").status_code == 302


def test_idle_session_locks(app, client, installed):
    login(client, "admin", installed["passphrase"])
    idle = app.config["TIP"].idle_timeout_minutes
    assert idle == 15  # the documented default
    with app.app_context():
        db.session.execute(sa.update(AuthSession).values(
            last_seen_at=utcnow() - timedelta(minutes=idle + 1)))
        db.session.commit()
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert b"without activity" in page.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 0


def test_cookie_flags(client, installed):
    client.get("/login")
    response = login(client, "admin", installed["passphrase"])
    set_cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie


def test_secure_cookie_under_tls(make_app):
    app = make_app(tls=True)
    with app.app_context():
        from app.services import setup

        setup.initialise("TLS Post", "admin", "long enough test phrase")
    client = app.test_client()
    response = login(client, "admin", "long enough test phrase")
    assert "Secure" in response.headers.get("Set-Cookie", "")
    assert "Strict-Transport-Security" in response.headers


def test_missing_csrf_token_changes_nothing(app, client, installed):
    response = client.post("/login", data={"username": "admin", "passphrase": installed["passphrase"]})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    login(client, "admin", installed["passphrase"])
    response = client.post("/admin/users", data={"username": "sneaky", "role": "officer",
                                                 "passphrase": "a fine long passphrase"})
    assert response.status_code == 400
    assert b"expired or was sent from somewhere else" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "sneaky")) is None


def test_admin_creates_user_through_the_page(app, client, installed):
    login(client, "admin", installed["passphrase"])
    response = post_form(client, "/admin/users", "/admin/users",
                         {"username": "somchai", "role": "officer",
                          "passphrase": "river boat morning tea"})
    assert response.status_code == 302
    fresh = app.test_client()
    assert login(fresh, "somchai", "river boat morning tea").status_code == 302


def test_weak_passphrases_are_refused_with_reasons(app, client, installed):
    login(client, "admin", installed["passphrase"])
    for weak, reason in [("short", b"at least 12"), ("password1234", b"commonly used"),
                         ("1qaz2wsx3edc", b"commonly used"), ("Qwertyuiop12!", b"commonly used"), ("aaaaaaaaaaaaaa", b"repeats")]:
        response = post_form(client, "/admin/users", "/admin/users",
                             {"username": "weakling", "role": "officer", "passphrase": weak})
        assert response.status_code == 400
        assert reason in response.data, weak
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "weakling")) is None


def test_passphrase_is_hashed_with_argon2id(app, installed):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "admin"))
        assert user.passphrase_hash.startswith("$argon2id$")
        assert installed["passphrase"] not in user.passphrase_hash


def test_reset_passphrase_ends_sessions(app, client, installed, make_user):
    officer = make_user(Role.OFFICER)
    other = app.test_client()
    login(other, officer["username"], officer["passphrase"])
    assert other.get("/").status_code == 200
    login(client, "admin", installed["passphrase"])
    with app.app_context():
        uid = db.session.scalar(sa.select(User.id).where(User.username == officer["username"]))
    url = f"/admin/users/{uid}/passphrase"
    response = post_form(client, url, url, {"passphrase": "brand new phrase here",
                                            "confirm": "brand new phrase here"})
    assert response.status_code == 302
    assert other.get("/").status_code == 302
    assert login(app.test_client(), officer["username"], "brand new phrase here").status_code == 302


def test_lock_all_ends_every_session(app, client, installed, make_user):
    officer = make_user(Role.OFFICER)
    other = app.test_client()
    login(other, officer["username"], officer["passphrase"])
    login(client, "admin", installed["passphrase"])
    response = post_form(client, "/admin/users", "/admin/lock-all", {})
    assert response.status_code == 302
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 302


def test_next_parameter_cannot_leave_the_site(client, installed):
    page = client.get("/login?next=//evil.example/x")
    response = client.post("/login", data={
        "username": "admin", "passphrase": installed["passphrase"], "next": "//evil.example/x",
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/"
