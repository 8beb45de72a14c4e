from __future__ import annotations

import logging

import pytest

from tests.support.web import login, post_form


def test_404_is_a_friendly_page(client, installed):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Traceback" not in html


def test_error_pages_in_the_users_language(client, installed):
    client.set_cookie("lang", "th")
    html = client.get("/no/such/page").get_data(as_text=True)
    assert '<html lang="th">' in html
    assert "Page not found" not in html  # translated, not English


def test_403_page(client, make_user):
    creds = make_user("officer")
    login(client, creds["username"], creds["passphrase"])
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


def test_500_shows_no_stack_trace_and_logs_no_data(make_app, caplog):
    app = make_app()
    secret_name = "Somsri Secretname"

    @app.get("/boom")
    def boom():
        raise RuntimeError(f"failed while handling {secret_name}")

    boom._tip_access = frozenset({"public"})
    with app.app_context():
        from app.services import setup

        setup.initialise("Post", "admin", "long enough test phrase")
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and secret_name not in html
    assert "Error number" in html
    assert "RuntimeError" in caplog.text  # the type is logged, for the administrator
    assert secret_name not in caplog.text  # the message, which may quote data, is not


@pytest.mark.parametrize("passphrase", ["correct horse secret phrase", "ผิดรหัสผ่านแน่นอน12"])
def test_logs_never_carry_passphrases(client, installed, caplog, passphrase):
    with caplog.at_level(logging.DEBUG):
        login(client, "admin", passphrase)
        login(client, "admin", installed["passphrase"])
        post_form(client, "/admin/users", "/admin/users",
                  {"username": "newperson", "role": "officer", "passphrase": passphrase})
    assert passphrase not in caplog.text
    assert installed["passphrase"] not in caplog.text


def test_json_clients_get_json_errors(client, installed):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == 404


def test_an_explained_refusal_shows_its_own_message(make_app):
    from flask import abort

    app = make_app()

    @app.get("/refuse")
    def refuse():
        abort(409, description="Record 1234 cannot be opened: it is damaged.")

    refuse._tip_access = frozenset({"public"})
    with app.app_context():
        from app.services import setup

        setup.initialise("Post", "admin", "long enough test phrase")
    response = app.test_client().get("/refuse")
    assert response.status_code == 409
    assert "Record 1234 cannot be opened" in response.get_data(as_text=True)
