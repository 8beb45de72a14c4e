"""The administrator's page that sets up Collect by a scan: Collect's settings format, the
station's address and the username, never a passphrase."""

from __future__ import annotations

import re

from app.roles import Role
from app.services.odk import settings as odk_settings
from tests.support.browser import skip_or_fail
from tests.support.web import login


def _user_id(app, username):
    from app.services import accounts

    with app.app_context():
        return accounts.find_user(username).id


def _qr_payload(svg: str) -> str:
    """Decode the page's QR code as a phone would: render the SVG and read it with zbar."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which("zbarimg") is None or shutil.which("rsvg-convert") is None:
        skip_or_fail("needs zbarimg (zbar-tools) and rsvg-convert (librsvg2-bin), as .ci/run installs")
    with tempfile.TemporaryDirectory() as tmp:
        svg_path, png_path = f"{tmp}/qr.svg", f"{tmp}/qr.png"
        with open(svg_path, "w") as f:
            f.write(svg)
        subprocess.run(["rsvg-convert", "-z", "4", "-o", png_path, svg_path], check=True)
        out = subprocess.run(["zbarimg", "-q", "--raw", png_path], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_settings_are_collects_format():
    payload = odk_settings.encode(odk_settings.collect_settings("https://10.0.0.5:5000/", "somchai", "Mae Sot"))
    settings = odk_settings.decode(payload)
    assert set(settings) >= {"general", "admin"}  # Collect requires both keys
    assert settings["general"]["server_url"] == "https://10.0.0.5:5000"
    assert settings["general"]["username"] == "somchai"
    assert "password" not in settings["general"] and "admin_pw" not in settings["admin"]
    assert settings["general"]["form_update_mode"] in ("manual", "previously_downloaded", "match_exactly")
    assert settings["general"]["autosend"] in ("off", "wifi_only", "cellular_only", "wifi_and_cellular")


def test_the_page_shows_a_qr_code_with_the_address_and_username_and_no_passphrase(client, app, installed,
                                                                                   make_user):
    officer = make_user(Role.OFFICER)
    login(client, installed["username"], installed["passphrase"])
    users = client.get("/admin/users").get_data(as_text=True)
    uid = _user_id(app, officer["username"])
    assert f"/admin/users/{uid}/phone" in users
    page = client.get(f"/admin/users/{uid}/phone")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert officer["username"] in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    settings = odk_settings.decode(_qr_payload(svg))
    assert settings["general"] == {**settings["general"], "server_url": "http://localhost",
                                   "username": officer["username"]}
    assert officer["passphrase"] not in _qr_payload(svg)


def test_accounts_without_phones_get_no_qr_code(client, app, installed, make_user):
    interpreter = make_user(Role.INTERPRETER)
    login(client, installed["username"], installed["passphrase"])
    uid = _user_id(app, interpreter["username"])
    assert f"/admin/users/{uid}/phone" not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{uid}/phone").status_code == 302
    admin_id = _user_id(app, installed["username"])
    assert client.get(f"/admin/users/{admin_id}/phone").status_code == 302
