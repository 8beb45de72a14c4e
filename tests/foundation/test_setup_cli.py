from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Installation, User
from tests.support.web import csrf_from, login


def test_first_run_redirects_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/setup/")
    assert client.get("/login").headers["Location"].endswith("/setup/")


def test_setup_page_creates_an_admin_who_logs_in(app, client):
    page = client.get("/setup/")
    assert page.status_code == 200
    response = client.post("/setup/", data={
        "station_name": "Mae Sot checkpoint", "username": "Nok", "passphrase": "three small green boats",
        "confirm": "three small green boats", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert login(client, "nok", "three small green boats").status_code == 302
    home = client.get("/")
    assert "Mae Sot checkpoint" in home.get_data(as_text=True)
    assert client.get("/setup/").status_code == 404  # setup happens once


def test_setup_with_bad_input_changes_nothing(app, client):
    cases = [
        {"station_name": "Post", "username": "nok", "passphrase": "short", "confirm": "short"},
        {"station_name": "Post", "username": "nok", "passphrase": "three small green boats",
         "confirm": "three small green boatz"},
        {"station_name": "Post", "username": "no spaces allowed", "passphrase": "three small green boats",
         "confirm": "three small green boats"},
    ]
    for data in cases:
        page = client.get("/setup/")
        response = client.post("/setup/", data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.status_code == 400
        assert b'class="error"' in response.data or b"flash-error" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Installation)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_cli_init_and_users_create(app, runner):
    result = runner.invoke(args=["init", "--station-name", "Chong Mek", "--admin", "boss",
                                 "--password-stdin"], input="a perfectly fine phrase\n")
    assert result.exit_code == 0, result.output
    assert "Chong Mek" in result.output
    result = runner.invoke(args=["users", "create", "lek", "--role", "interpreter", "--admin", "boss",
                                 "--password-stdin"],
                           input="interpreter phrase here\na perfectly fine phrase\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        lek = db.session.scalar(sa.select(User).where(User.username == "lek"))
        assert lek is not None and lek.role.value == "interpreter"
    assert login(app.test_client(), "lek", "interpreter phrase here").status_code == 302
    result = runner.invoke(args=["users", "list"])
    assert "lek\tinterpreter\tactive" in result.output


def test_cli_refuses_bad_input_and_changes_nothing(app, runner):
    result = runner.invoke(args=["users", "create", "lek", "--role", "officer", "--password-stdin"],
                           input="interpreter phrase here\n")
    assert result.exit_code != 0 and "init" in result.output
    runner.invoke(args=["init", "--station-name", "Post", "--admin", "boss", "--password-stdin"],
                  input="a perfectly fine phrase\n")
    again = runner.invoke(args=["init", "--station-name", "Post", "--admin", "boss2",
                                "--password-stdin"], input="a perfectly fine phrase\n")
    assert again.exit_code != 0 and "already set up" in again.output
    weak = runner.invoke(args=["users", "create", "lek", "--role", "officer", "--password-stdin"],
                         input="password1234\na perfectly fine phrase\n")
    wrong_admin = runner.invoke(args=["users", "create", "lek", "--role", "officer", "--password-stdin"],
                                input="interpreter phrase here\nnot the admin phrase\n")
    assert wrong_admin.exit_code != 0 and "Wrong username or passphrase" in wrong_admin.output
    assert weak.exit_code != 0 and "commonly used" in weak.output
    bad_role = runner.invoke(args=["users", "create", "lek", "--role", "king", "--password-stdin"],
                             input="interpreter phrase here\na perfectly fine phrase\n")
    assert bad_role.exit_code != 0
    empty = runner.invoke(args=["users", "create", "lek", "--role", "officer", "--password-stdin"],
                          input="")
    assert empty.exit_code != 0
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username)))
    assert names == {"boss"}


def test_cli_init_central_role(app, runner):
    result = runner.invoke(args=["init", "--station-name", "Bangkok central", "--role", "central",
                                 "--admin", "boss", "--password-stdin"], input="a perfectly fine phrase\n")
    assert result.exit_code == 0, result.output
    assert 'role = "central"' in (app.config["TIP"].instance_path / "config.toml").read_text()
    with app.app_context():
        assert db.session.scalar(sa.select(Installation.role)) == "central"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["role"] == "station" and body["version"]
    assert body["database"]["state"] == "ok"
    assert set(body) == {"status", "role", "version", "database", "setup"}
    assert "secret" not in response.get_data(as_text=True).lower()
