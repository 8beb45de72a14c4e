"""The site header is prepared once per kind of reader (logged in or not, role, screen language,
station name, script root) and filled per page (app/web/chrome.py): each page still shows its
reader's own name, links, form token and way back, exactly as rendering it in full did, and the
prepared pieces hold nothing of a person."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.roles import Role
from tests.support.web import csrf_from, login

HEADER = re.compile(r'<header class="site-header">.*?</header>', re.S)
NAV_LINKS = re.compile(r'<nav aria-label="[^"]*">(.*?)<form', re.S)


def _header(client, path: str = "/screenings/") -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    match = HEADER.search(response.get_data(as_text=True))
    assert match, path
    return match.group(0)


def _rendered_in_full(app, client, path: str = "/screenings/") -> str:
    """The header of the same page with nothing prepared (as if every word looked like a marker)."""
    from app.web import chrome

    held = app.extensions.pop(chrome.HEADERS_EXTENSION, None)
    prepare, chrome._prepare = chrome._prepare, lambda caller, count: None
    try:
        return _header(client, path)
    finally:
        chrome._prepare = prepare
        app.extensions.pop(chrome.HEADERS_EXTENSION, None)
        if held is not None:
            app.extensions[chrome.HEADERS_EXTENSION] = held


def _masked(header: str) -> str:
    return re.sub(r'(name="csrf_token" value=")[^"]+"', r'\1CSRF"', header)


def test_a_prepared_header_is_what_rendering_it_in_full_writes(app, client, make_user):
    creds = make_user("officer", username="o.b-1")
    login(client, creds["username"], creds["passphrase"])
    for path in ("/screenings/", "/screenings/?state=draft&x=%22a%22", "/sync"):
        full = _rendered_in_full(app, client, path)
        prepared = _header(client, path)  # prepared on the first page, reused on the next
        assert _masked(prepared) == _masked(_header(client, path)) == _masked(full)
        assert "(o.b-1)" in prepared  # the path, below, is escaped as the template escapes it
        assert f'name="next" value="{path.replace("&", "&amp;")}"' in prepared


def test_each_reader_gets_their_own_name_links_and_token(app, make_user):
    officer, admin = make_user("officer", username="olga"), make_user(Role.ADMIN)
    first, second = app.test_client(), app.test_client()
    login(first, officer["username"], officer["passphrase"])
    login(second, admin["username"], admin["passphrase"])
    seen_officer, seen_admin = _header(first), _header(second)
    assert "(olga)" in seen_officer and "(admin)" in seen_admin
    assert "/admin/users" in seen_admin and "/admin/users" not in seen_officer
    # Each page's token is its own session's: the header's forms work for their reader only.
    assert csrf_from(seen_officer) != csrf_from(seen_admin)
    response = first.post("/language", data={"lang": "th", "next": "/screenings/",
                                              "csrf_token": csrf_from(seen_officer)})
    assert response.status_code == 302
    refused = first.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_from(seen_admin)})
    assert refused.status_code == 400


def test_the_header_follows_a_change_of_language_and_of_role(app, client, make_user):
    from app.extensions import db
    from app.models import User

    creds = make_user("officer", username="pim")
    login(client, creds["username"], creds["passphrase"])
    english = _header(client)
    assert "Log out" in english and "/admin/users" not in english
    token = csrf_from(english)
    assert client.post("/language", data={"lang": "th", "next": "/", "csrf_token": token}).status_code == 302
    thai = _header(client)
    assert "Log out" not in thai and _masked(thai) == _masked(_rendered_in_full(app, client))
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "pim").values(role=Role.ADMIN))
        db.session.commit()
    promoted = _header(client)
    assert "/admin/users" in promoted and _masked(promoted) == _masked(_rendered_in_full(app, client))


def test_the_prepared_pieces_hold_no_name_and_no_token(app, client, make_user):
    from app.web import chrome

    creds = make_user("officer", username="secretive")
    login(client, creds["username"], creds["passphrase"])
    header = _header(client)
    held = app.extensions[chrome.HEADERS_EXTENSION]
    assert held and all(pieces is not None for pieces in held.values())
    kept = repr(held)
    assert "secretive" not in kept and csrf_from(header) not in kept
    assert "secretive" in header


def test_logged_out_pages_have_a_header_of_their_own(app, client, make_user):
    login_page = _header(client, "/login")
    assert "Log out" not in login_page and 'name="lang"' in login_page
    creds = make_user("officer", username="kham")
    login(client, creds["username"], creds["passphrase"])
    assert "(kham)" in _header(client)
    client.post("/logout", data={"csrf_token": csrf_from(_header(client))})
    assert "(kham)" not in _header(client, "/login")


def test_static_addresses_are_those_url_for_gives(app):
    from flask import url_for

    from app.web.chrome import static_url

    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/station"}):
        assert static_url("css/app.css") == url_for("static", filename="css/app.css")
        assert static_url("css/app.css").startswith("/station/")
    with app.test_request_context("/"):
        assert static_url("css/app.css") == url_for("static", filename="css/app.css") == "/static/css/app.css"
