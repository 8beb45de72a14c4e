"""The language chosen on the login page stays after login, over real HTTP (a browser's cookie
jar, redirects followed): neither the account's stored preference nor the fresh session
started at login puts the pages back in another language."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar

import pytest
from flask import Flask

from app.services import accounts
from tests.conftest import PASSPHRASE
from tests.support.web import csrf_from

LANG_RE = re.compile(r'<html lang="([a-z]+)"')


class Browser:
    """Just what a browser does here: keeps cookies, follows redirects, posts forms."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.page = ""
        self.path = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            self.page = response.read().decode("utf-8")
            self.path = urllib.parse.urlsplit(response.geturl()).path
        return self.page

    def post(self, path: str, **fields: str) -> str:
        data = urllib.parse.urlencode({**fields, "csrf_token": csrf_from(self.page)}).encode()
        with self.opener.open(self.base_url + path, data=data, timeout=10) as response:
            self.page = response.read().decode("utf-8")
            self.path = urllib.parse.urlsplit(response.geturl()).path
        return self.page

    def lang(self) -> str:
        match = LANG_RE.search(self.page)
        assert match, "page has no <html lang>"
        return match.group(1)

    def choose_language(self, lang: str) -> None:
        """The header's language control on the page now open (its own form)."""
        self.post("/language", lang=lang, next=self.path)

    def login(self, username: str) -> None:
        if self.path != "/login":
            self.get("/login")
        self.post("/login", username=username, passphrase=PASSPHRASE, next="")
        assert self.path == "/", f"not logged in: {self.path}"

    def lock(self) -> None:
        self.post("/lock")
        assert self.path == "/login"


@pytest.fixture
def browser(live_app: tuple[Flask, str]) -> Iterator[Browser]:
    yield Browser(live_app[1])


def stored_locale(app: Flask, username: str) -> str | None:
    with app.app_context():
        user = accounts.find_user(username)
        assert user is not None
        return user.locale


def prefer(app: Flask, username: str, lang: str) -> None:
    with app.app_context():
        user = accounts.find_user(username)
        assert user is not None
        accounts.set_locale(user, lang)


def test_the_login_page_choice_wins_over_the_stored_preference(app: Flask, browser: Browser) -> None:
    prefer(app, "admin", "en")  # chosen once on another device
    browser.get("/login")
    browser.choose_language("th")
    assert browser.path == "/login" and browser.lang() == "th"
    browser.login("admin")
    assert browser.lang() == "th", "the stored preference put the pages back in English"
    assert browser.get("/screenings/") and browser.lang() == "th"
    # It is now the account's preference too, so another device follows it.
    assert stored_locale(app, "admin") == "th"


def test_the_choice_outlives_lock_and_a_fresh_login(app: Flask, browser: Browser) -> None:
    browser.get("/login")
    browser.choose_language("km")
    browser.login("admin")
    browser.lock()  # a new session at the next login
    assert browser.lang() == "km"
    browser.login("admin")
    assert browser.lang() == "km"


def test_a_change_made_while_logged_in_stays_after_logout_and_login(app: Flask, browser: Browser) -> None:
    prefer(app, "admin", "my")
    browser.get("/login")
    browser.choose_language("lo")
    browser.login("admin")
    browser.choose_language("en")
    assert browser.lang() == "en"
    browser.post("/logout")
    assert browser.path == "/login" and browser.lang() == "en"
    browser.login("admin")
    assert browser.lang() == "en"
    assert stored_locale(app, "admin") == "en"


def test_without_a_choice_on_this_device_the_accounts_preference_applies(app: Flask,
                                                                        browser: Browser) -> None:
    """A phone that never chose: the officer's own language, and the login page after a
    lock is in it too."""
    prefer(app, "admin", "my")
    browser.get("/login")
    assert browser.lang() == "en"
    browser.login("admin")
    assert browser.lang() == "my"
    browser.lock()
    assert browser.lang() == "my"


def test_a_forged_language_cookie_changes_nothing(app: Flask, browser: Browser) -> None:
    """A language the station does not have is ignored, and is not stored on the account."""
    from http.cookiejar import Cookie

    prefer(app, "admin", "th")
    host = urllib.parse.urlsplit(browser.base_url).hostname or ""
    browser.jar.set_cookie(Cookie(0, "lang", "xx<script>", None, False, host, False, False, "/", True,
                                  False, None, False, None, None, {}))
    browser.get("/login")
    browser.login("admin")
    assert browser.lang() == "th"
    assert stored_locale(app, "admin") == "th"
