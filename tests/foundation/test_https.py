"""run.py --host: HTTPS for the local network, plain HTTP for 127.0.0.1 only.

The real station runs inside a private network namespace (tests/support/netns.py) where
10.77.0.1 stands for the laptop's Wi-Fi address: not loopback, so the station treats it as
the local network, yet no packet can leave the machine. A client there does what a phone
would: a login over plain HTTP to the network address is turned away before the app reads
it (the account's failure count shows the app never saw the guesses); over HTTPS, with the
certificate checked by its fingerprint as an officer would, the login works and the session
cookie is Secure. The Accounts page shows the same fingerprint and a QR code.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import secrets
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.config import CONFIG_NAME, write_initial_config
from app.crypto import certificate_fingerprint
from tests.support.browser import chromium
from tests.support.private_lan import LAN_ADDRESS, Namespace, lan_namespace
from tests.support.processes import children

PROJECT = Path(__file__).resolve().parents[2]
PORT = 5443  # inside the namespace: no other program can hold it
WAIT = 60.0
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces")


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: str
    der: bytes | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


@dataclass
class Phone:
    """A client that keeps cookies and sends what a browser sends (Referer on same-site forms)."""

    host: str
    tls: bool
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # self-signed: checked by fingerprint below
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.host, PORT, timeout=20, context=context)
        else:
            conn = http.client.HTTPConnection(self.host, PORT, timeout=20)
        scheme = "https" if self.tls else "http"
        headers = {"Host": f"{self.host}:{PORT}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"{scheme}://{self.host}:{PORT}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            der = conn.sock.getpeercert(binary_form=True) if self.tls else None  # type: ignore[union-attr]
            reply = conn.getresponse()
            answer = Answer(reply.status, reply.getheaders(), reply.read().decode("utf-8", "replace"), der)
        finally:
            conn.close()
        for cookie in answer.cookies():
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return answer

    def login(self, username: str, passphrase: str) -> Answer:
        page = self.send("GET", "/login")
        token = CSRF_RE.search(page.body)
        assert token, page.body[:500]
        return self.send("POST", "/login", {"username": username, "passphrase": passphrase,
                                             "csrf_token": token.group(1), "next": ""})


def _fingerprint(der: bytes | None) -> str:
    assert der
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


@dataclass
class LanStation:
    ns: Namespace
    instance: Path
    passphrase: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _until(what: str, check, timeout: float = WAIT):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def lan_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LanStation]:
    tmp_path = tmp_path_factory.mktemp("lan")
    instance = tmp_path / "instance"
    write_initial_config(instance)
    config = instance / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("\n[hotlines]", 'kdf_profile = "test"\n\n[hotlines]', 1), encoding="utf-8")
    passphrase = f"lan station phrase {secrets.token_hex(6)}"
    env = dict(os.environ, TIP_SCREEN_INSTANCE=str(instance))
    subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "app", "init",
                    "--station-name", "Lan post", "--admin", "admin", "--password-stdin"],
                   input=passphrase + "\n", env=env, cwd=tmp_path, check=True,
                   capture_output=True, text=True, timeout=120)
    log = tmp_path / "station.log"
    with lan_namespace() as ns:
        with log.open("ab") as out:
            proc = ns.popen([sys.executable, str(PROJECT / "run.py"), "--host", "0.0.0.0",  # noqa: S104
                             "--port", str(PORT)], env=env, cwd=tmp_path, stdout=out,
                            stderr=subprocess.STDOUT)
        station = LanStation(ns, instance, passphrase, proc, log)
        try:
            ns.run(lambda: _until("the station over HTTPS", lambda: Phone(LAN_ADDRESS, True)
                                  .send("GET", "/healthz").status == 200))
            yield station
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_the_local_network_gets_https_only_and_the_fingerprint_is_the_one_shown(lan_station):
    ns, instance = lan_station.ns, lan_station.instance
    key = instance / "station-tls-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    announced = re.search(r"fingerprint: ([0-9A-F:]{95})", lan_station.output())
    assert announced, lan_station.output()
    assert f"https://{LAN_ADDRESS}:{PORT}/" in lan_station.output()

    def plain_then_https() -> dict[str, object]:
        seen: dict[str, object] = {}
        # A phone typing the address without https:// is sent to https, and shown nothing.
        plain = Phone(LAN_ADDRESS, tls=False)
        page = plain.send("GET", "/login")
        seen["plain_get"] = (page.status, page.header("Location"), page.body)
        # A passphrase sent in clear (a form some page made): refused before the app reads it,
        # as many times as a guesser likes: the account's failure count never moves.
        for _ in range(8):
            posted = plain.send("POST", "/login", {"username": "admin",
                                                   "passphrase": lan_station.passphrase})
            assert posted.status == 303 and not posted.cookies() and posted.body == ""
        seen["plain_post"] = (posted.status, posted.header("Location"))
        # Over HTTPS, after checking the certificate is the station's: the login works.
        phone = Phone(LAN_ADDRESS, tls=True)
        answer = phone.login("admin", lan_station.passphrase)
        seen["login"] = (answer.status, answer.cookies(), _fingerprint(answer.der))
        accounts = phone.send("GET", "/admin/users")
        seen["accounts"] = (accounts.status, accounts.body)
        # This computer's own browser keeps plain HTTP on 127.0.0.1.
        local = Phone("127.0.0.1", tls=False)
        seen["local"] = (local.send("GET", "/healthz").status, local.login("admin", lan_station.passphrase))
        return seen

    seen = ns.run(plain_then_https)
    assert seen["plain_get"] == (301, f"https://{LAN_ADDRESS}:{PORT}/login", "")
    assert seen["plain_post"] == (303, f"https://{LAN_ADDRESS}:{PORT}/login")
    status, cookies, fingerprint = seen["login"]  # type: ignore[misc]
    assert status == 302, cookies  # eight guesses in clear locked nothing: the app never saw them
    session = [c for c in cookies if c.startswith("tip_session=")]
    assert session and all("; Secure" in c for c in session)
    assert fingerprint == announced.group(1)
    page_status, body = seen["accounts"]  # type: ignore[misc]
    assert page_status == 200
    assert f'data-fingerprint>{fingerprint}</code>' in body
    assert f"https://{LAN_ADDRESS}:{PORT}/" in body and "<svg" in body
    local_status, local_login = seen["local"]  # type: ignore[misc]
    assert local_status == 200 and local_login.status == 302
    local_session = [c for c in local_login.cookies() if c.startswith("tip_session=")]
    assert local_session and "Secure" not in local_session[0]  # plain loopback: no Secure flag


def test_chromium_on_the_network_address_logs_in_over_https(lan_station):
    """A real browser that trusts exactly the station's key (as an officer who compared the
    fingerprint accepts it): the login form posts (CSRF over HTTPS needs a same-origin
    Referer) and the Accounts page shows the fingerprint of the certificate it was served."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from selenium.webdriver.common.by import By

    cert = x509.load_pem_x509_certificate((lan_station.instance / "station-tls-cert.pem").read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    base = f"https://{LAN_ADDRESS}:{PORT}"

    def browse() -> tuple[str, str, str]:
        with chromium(extra_flags=(f"--ignore-certificate-errors-spki-list={pin}",)) as driver:
            driver.get(base + "/login")
            driver.find_element(By.NAME, "username").send_keys("admin")
            driver.find_element(By.NAME, "passphrase").send_keys(lan_station.passphrase)
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit].primary").click()
            _until("the first page after login", lambda: "/login" not in driver.current_url, 30)
            after = driver.current_url
            driver.get(base + "/admin/users")
            shown = driver.find_element(By.CSS_SELECTOR, "code[data-fingerprint]").text
            qr = driver.find_element(By.CSS_SELECTOR, ".station-address .qr svg").tag_name
            return after, shown, qr

    after, shown, qr = lan_station.ns.run(browse)
    assert after.startswith(base + "/") and "/login" not in after
    assert shown == certificate_fingerprint(cert.public_bytes(serialization.Encoding.PEM))
    assert qr == "svg"


def _serving_child(pid: int) -> int | None:
    kids = children(pid)
    return kids[0] if len(kids) == 1 else None


def test_lock_all_over_https_replaces_the_serving_process(lan_station):
    """The HTTPS child lives as the waitress one does: once every key is locked it finishes,
    and a fresh process, which never saw a passphrase, serves HTTPS on the same socket."""
    # run.py under nsenter: nsenter execs it, so the supervisor is the process we started.
    supervisor = lan_station.proc.pid
    old = _until("the serving process", lambda: _serving_child(supervisor))

    def lock_all() -> tuple[int, int]:
        phone = Phone(LAN_ADDRESS, tls=True)
        assert phone.login("admin", lan_station.passphrase).status == 302
        page = phone.send("GET", "/admin/users")
        token = CSRF_RE.search(page.body)
        assert token
        locked = phone.send("POST", "/admin/lock-all", {"csrf_token": token.group(1)})
        new = _until("a fresh serving process",
                     lambda: (pid := _serving_child(supervisor)) not in (None, old) and pid)
        again = Phone(LAN_ADDRESS, tls=True).send("GET", "/login")
        assert _fingerprint(again.der) == _fingerprint(page.der)  # the same certificate
        return locked.status, again.status if new else 0

    locked, served = lan_station.ns.run(lock_all)
    assert locked == 302 and served == 200
    assert not Path(f"/proc/{old}").exists()
    assert "a fresh server process takes over" in lan_station.output()
