"""Logins cannot be used to lock people out or to burn the CPU (the attacks, over real HTTP).

Each "device" below connects to a real waitress server from its own loopback
address (127.0.0.x), so the server sees a different client address for each,
as it would on a station's Wi-Fi.
"""

from __future__ import annotations

import http.client
import re
import threading
from urllib.parse import urlencode, urlsplit

import pytest

from app.services.accounts import kdf, users
from tests.support.derivations import count_derivations
from tests.support.live import serve
from tests.support.web import account_guesses, csrf_from, login

WRONG = "not the passphrase at all"
COOKIE_RE = re.compile(r"(tip_session=[^;]*)")


class Device:
    """A browser on one address: keeps its session cookie, logs in through the real page."""

    def __init__(self, url: str, address: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.address = address
        self.headers = headers or {}
        self.cookie = ""

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(self.address, 0))
        headers = dict(self.headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            found = COOKIE_RE.search(response.getheader("Set-Cookie") or "")
            if found:
                self.cookie = found.group(1)
            return response.status, text
        finally:
            conn.close()

    def login(self, username: str, passphrase: str) -> tuple[int, str]:
        _, page = self._send("GET", "/login")
        return self._send("POST", "/login", urlencode({"username": username, "passphrase": passphrase,
                                                        "csrf_token": csrf_from(page)}))


@pytest.fixture
def station(app, installed):
    with serve(app) as url:
        yield app, url


def test_a_stranger_guessing_cannot_lock_the_administrator_out(station, installed):
    app, url = station
    stranger = Device(url, "127.0.0.7")
    limit = app.config["TIP"].login_max_failures
    for _ in range(limit - 1):
        assert stranger.login("admin", WRONG)[0] == 401
    status, text = stranger.login("admin", WRONG)
    assert status == 429 and "Too many wrong passphrases" in text
    # The stranger is locked out, even with the right passphrase ...
    assert stranger.login("admin", installed["passphrase"])[0] == 429
    # ... while the administrator, on her own laptop, logs in as usual.
    assert Device(url, "127.0.0.1").login("admin", installed["passphrase"])[0] == 302


def test_one_address_guessing_at_many_accounts_is_slowed_as_a_whole(station, installed):
    app, url = station
    sprayer = Device(url, "127.0.0.8")
    limit = app.config["TIP"].login_max_failures
    names = [f"user{i}" for i in range(users.ADDRESS_FACTOR * limit)]
    for name in names[:-1]:
        assert sprayer.login(name, WRONG)[0] == 401  # one guess per account: no account lock
    status, text = sprayer.login(names[-1], WRONG)
    assert status == 429 and "from this device" in text
    assert sprayer.login("admin", installed["passphrase"])[0] == 429
    assert Device(url, "127.0.0.1").login("admin", installed["passphrase"])[0] == 302


def test_unknown_and_known_usernames_get_the_same_answers_and_the_same_work(station, monkeypatch):
    app, url = station
    runs = count_derivations(monkeypatch)
    limit = app.config["TIP"].login_max_failures
    answers = {}
    for name, address in (("admin", "127.0.0.9"), ("nobody-here", "127.0.0.10")):
        device = Device(url, address)
        runs.clear()
        seen = [device.login(name, WRONG) for _ in range(limit + 1)]
        # Messages without the per-request CSRF token and the minutes left.
        answers[name] = ([s for s, _ in seen], [_flash(t) for _, t in seen], len(runs))
    assert answers["admin"] == answers["nobody-here"]
    assert answers["admin"][0] == [401] * (limit - 1) + [429, 429]
    assert answers["admin"][2] == limit  # one key derivation per guess, none once locked


def _flash(page: str) -> str:
    found = re.search(r'class="[^"]*flash[^"]*error[^"]*"[^>]*>(.*?)<', page, re.S)
    assert found, "no error message on the page"
    return re.sub(r"\d+", "N", found.group(1).strip())


def test_web_failures_never_lock_the_operator_at_the_command_line(app, installed, runner):
    client = app.test_client()
    limit = app.config["TIP"].login_max_failures
    for _ in range(limit):
        login(client, "admin", WRONG)
    assert login(client, "admin", installed["passphrase"]).status_code == 429
    result = runner.invoke(args=["users", "create", "lek", "--role", "officer", "--admin", "admin",
                                 "--password-stdin"],
                           input=f"a perfectly fine phrase\n{installed['passphrase']}\n")
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "lek", "a perfectly fine phrase").status_code == 302


def test_key_derivations_are_bounded_and_the_rest_hear_busy(station, installed, monkeypatch):
    app, url = station
    turns = threading.BoundedSemaphore(1)
    monkeypatch.setattr(kdf, "_TURNS", turns)
    monkeypatch.setattr(kdf, "WAIT_SECONDS", 0.0)
    device = Device(url, "127.0.0.11")
    assert turns.acquire(blocking=False)  # another login holds the only turn
    try:
        status, text = device.login("admin", installed["passphrase"])
    finally:
        turns.release()
    assert status == 503 and "Many people are logging in at once" in text
    assert account_guesses(app) == 0  # a busy answer is not a wrong guess
    assert device.login("admin", installed["passphrase"])[0] == 302


def test_a_forwarded_address_is_believed_only_behind_a_configured_proxy(make_app):
    from tests.conftest import PASSPHRASE

    def locked_for_all(app, url) -> bool:
        """Guesses sent with a new X-Forwarded-For each time, from one real address."""
        limit = app.config["TIP"].login_max_failures
        for i in range(limit):
            Device(url, "127.0.0.12", {"X-Forwarded-For": f"203.0.113.{i}"}).login("admin", WRONG)
        fresh = Device(url, "127.0.0.12", {"X-Forwarded-For": "198.51.100.1"})
        return fresh.login("admin", PASSPHRASE)[0] == 429

    from app.services import setup

    for proxies, spoofable in ((0, False), (1, True)):
        app = make_app(trusted_proxies=proxies)
        with app.app_context():
            setup.initialise("Proxy Post", "admin", PASSPHRASE)
        with serve(app, pass_proxy_headers=True) as url:
            # No proxy configured: the header is ignored, every guess counts against one address.
            # Behind one trusted proxy: each forwarded address is its own client.
            assert locked_for_all(app, url) is not spoofable
