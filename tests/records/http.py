"""A minimal browser for the real HTTP server: a cookie jar, CSRF tokens read from pages.

Only the standard library (``urllib``), so the tests exercise exactly what a
browser on the station would send: form posts, the autosave request with its
``X-CSRFToken`` header, redirects followed as a browser follows them.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SECTION_RE = re.compile(r"/screenings/(?P<record>[0-9a-f-]{36})/s/(?P<section>[^/?#]+)")


@dataclass
class Reply:
    status: int
    url: str
    text: str
    headers: Any

    def json(self) -> Any:
        return json.loads(self.text)


class Browser:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.timeout = timeout
        self.replies: list[Reply] = []

    def request(self, method: str, path: str, data: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=body, method=method,  # noqa: S310
                                     headers=headers or {})
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                reply = Reply(resp.status, resp.geturl(), resp.read().decode("utf-8"), resp.headers)
        except urllib.error.HTTPError as exc:
            reply = Reply(exc.code, exc.geturl(), exc.read().decode("utf-8"), exc.headers)
        self.replies.append(reply)
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, data, headers)

    def csrf(self, path: str = "/") -> str:
        page = self.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path} (status {page.status})"
        return match.group(1)

    def form(self, page_path: str, action: str, data: dict[str, Any]) -> Reply:
        """Open a page, take its CSRF token, post a form as a browser would."""
        return self.post(action, {**data, "csrf_token": self.csrf(page_path)})

    def login(self, username: str, passphrase: str) -> Reply:
        return self.form("/login", "/login", {"username": username, "passphrase": passphrase})

    def start_screening(self, respondent_lang: str = "en") -> str:
        """Start a screening; its id. ``self.page`` is then its first section page."""
        reply = self.form("/screenings/new", "/screenings/new", {"respondent_lang": respondent_lang})
        match = SECTION_RE.search(reply.url)
        assert reply.status == 200 and match, (reply.status, reply.url)
        self.page = reply
        return match.group("record")

    def page_csrf(self) -> str:
        """The CSRF token of the last page opened with ``start_screening``."""
        match = CSRF_RE.search(self.page.text)
        assert match
        return match.group(1)

    def autosave(self, record_id: str, token: str, answers: dict[str, Any]) -> Reply:
        data: list[tuple[str, Any]] = []
        for qid, value in answers.items():
            data.append(("qid", qid))
            data.append((f"q-{qid}", value))
        return self.post(f"/screenings/{record_id}/answer", data, headers={"X-CSRFToken": token})
