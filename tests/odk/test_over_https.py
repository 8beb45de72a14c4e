"""What a phone with ODK Collect does, against the real station (run.py --host) on a private
network (tests/support/private_lan.py): over HTTPS, trusting the station's certificate as a
phone would once it is installed (verified, host name included, no fingerprint shortcut),
the form list, the form, the pre-flight and an encrypted submission; the same credentials
sent over plain HTTP to the network address are turned away before the app reads them; and
the set-up page's QR code names the station's HTTPS address."""

from __future__ import annotations

import base64
import http.client
import io
import os
import re
import secrets
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import CONFIG_NAME, write_initial_config
from app.services.odk import settings as odk_settings
from tests.foundation.test_https import CSRF_RE, PROJECT, _until
from tests.odk.support import basic, instance_xml, node_encrypt
from tests.odk.test_phone_setup import _qr_payload
from tests.support.private_lan import LAN_ADDRESS, Namespace, lan_namespace

PORT = 5444
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces")]


@dataclass
class Station:
    ns: Namespace
    instance: Path
    env: dict[str, str]
    cwd: Path
    admin_passphrase: str

    def flask(self, *args: str, stdin: str) -> str:
        done = subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "app", *args],
                              input=stdin, env=self.env, cwd=self.cwd, check=True, capture_output=True,
                              text=True, timeout=120)
        return done.stdout


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    tmp_path = tmp_path_factory.mktemp("odk-lan")
    instance = tmp_path / "instance"
    write_initial_config(instance)
    config = instance / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("\n[hotlines]", 'kdf_profile = "test"\n\n[hotlines]', 1), encoding="utf-8")
    admin = f"odk lan station phrase {secrets.token_hex(6)}"
    env = dict(os.environ, TIP_SCREEN_INSTANCE=str(instance))
    found = Station(None, instance, env, tmp_path, admin)  # type: ignore[arg-type]
    found.flask("init", "--station-name", "Phone post", "--admin", "admin", "--password-stdin",
                stdin=admin + "\n")
    found.flask("users", "create", "somchai", "--role", "outreach", "--password-stdin",
                stdin=f"a phone's own long phrase\n{admin}\n")
    log = tmp_path / "station.log"
    with lan_namespace() as ns, log.open("ab") as out:
        proc = ns.popen([sys.executable, str(PROJECT / "run.py"), "--host", "0.0.0.0",  # noqa: S104
                         "--port", str(PORT)], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        found.ns = ns
        try:
            ns.run(lambda: _until("the station over HTTPS", lambda: _send(
                found, "GET", "/healthz", tls=True)[0] == 200))
            yield found
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _send(station: Station, method: str, path: str, *, tls: bool, headers: dict[str, str] | None = None,
          body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    if tls:
        # The phone trusts the station's certificate once it is installed: a verified
        # connection, host name and all, as Android's trust store would make it.
        context = ssl.create_default_context(cafile=str(station.instance / "station-tls-cert.pem"))
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(LAN_ADDRESS, PORT, timeout=30,
                                                                        context=context)
    else:
        conn = http.client.HTTPConnection(LAN_ADDRESS, PORT, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Host": f"{LAN_ADDRESS}:{PORT}", **(headers or {})})
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


def _multipart(manifest: bytes, files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for field, name, blob in [("xml_submission_file", "submission.xml", manifest),
                              *((n, n, b) for n, b in files.items())]:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                  "Content-Type: application/octet-stream\r\n\r\n".encode() + blob + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_collects_requests_over_the_stations_https(station):
    phone = basic("somchai", "a phone's own long phrase")
    head = station.ns.run(lambda: _send(station, "HEAD", "/submission", tls=True, headers=phone))
    assert head[0] == 204 and head[1]["x-openrosa-version"] == "1.0"
    listed = station.ns.run(lambda: _send(station, "GET", "/formList", tls=True, headers=phone))
    assert listed[0] == 200
    url = re.search(rb"<downloadUrl>([^<]+)</downloadUrl>", listed[2]).group(1).decode()
    assert url.startswith(f"https://{LAN_ADDRESS}:{PORT}/forms/")
    path = url.split(f":{PORT}", 1)[1]
    form = station.ns.run(lambda: _send(station, "GET", path, tls=True, headers=phone))
    assert form[0] == 200
    public = base64.b64decode(re.search(rb'base64RsaPublicKey="([^"]+)"', form[2]).group(1))
    form_id, version = path.split("/")[2:4]
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(form_id, version, instance_id, {"setup": {"q_respondent_name": "Over Wi-Fi"},
                                                       "consent": {"q_consent_interview": "yes"}})
    body, content_type = _multipart(*node_encrypt(public, form_id, version, xml, instance_id=instance_id))
    sent = station.ns.run(lambda: _send(station, "POST", "/submission", tls=True, body=body,
                                        headers={**phone, "Content-Type": content_type}))
    assert sent[0] == 201, sent[2]
    assert b"submit_success" in sent[2]


def test_credentials_in_clear_never_reach_the_app(station):
    wrong = basic("somchai", "a guess sent in clear text")

    def guesses_in_clear_then_https() -> tuple[list[int], int]:
        statuses = [_send(station, method, "/formList" if method == "GET" else "/submission",
                          tls=False, headers=wrong)[0] for method in ("GET", "POST") * 5]
        right = _send(station, "GET", "/formList", tls=True, headers=basic("somchai", "a phone's own long phrase"))
        return statuses, right[0]

    statuses, after = station.ns.run(guesses_in_clear_then_https)
    assert set(statuses) <= {301, 303}  # sent to https, unread
    assert after == 200  # ten guesses in clear locked nothing: the app never saw them


def test_the_qr_code_names_the_stations_https_address(station):
    def page() -> str:
        cookies: dict[str, str] = {}

        def call(method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
            from urllib.parse import urlencode

            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
            body = None
            if form is not None:
                body = urlencode(form).encode()
                headers |= {"Content-Type": "application/x-www-form-urlencoded",
                            "Referer": f"https://{LAN_ADDRESS}:{PORT}{path}"}
            answer = _send(station, method, path, tls=True, headers=headers, body=body)
            cookie = answer[1].get("set-cookie")
            if cookie:
                name, _, rest = cookie.partition("=")
                cookies[name] = rest.split(";", 1)[0]
            return answer

        token = CSRF_RE.search(call("GET", "/login")[2].decode()).group(1)
        assert call("POST", "/login", {"username": "admin", "passphrase": station.admin_passphrase,
                                       "csrf_token": token, "next": ""})[0] == 302
        users = call("GET", "/admin/users")[2].decode()
        link = re.search(r'href="(/admin/users/\d+/phone)"', users).group(1)
        return call("GET", link)[2].decode()

    html = station.ns.run(page)
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    settings = odk_settings.decode(_qr_payload(svg))
    assert settings["general"]["server_url"] == f"https://{LAN_ADDRESS}:{PORT}"
    assert settings["general"]["username"] == "somchai"
    assert "a phone's own long phrase" not in html
