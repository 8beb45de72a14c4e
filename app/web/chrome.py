"""Parts of a page rendered once per kind of reader and filled per page: base.html's site header
(``site_header``), a section page's frame (app/screening/routes.py) and static files' addresses.

A ``{% call(a, b, ...) part(...) %} body {% endcall %}`` block names the values of the body that
differ from page to page. On the first page of its kind the body is rendered with a marker for
each, and the text between the markers is kept; every later page joins those pieces with its
own values, escaped as Jinja escapes them (a Markup value as it is), which is what rendering the
body would write. The body must only write those values, never test or compare them (a marker
would pass any test): a test of the values belongs in the key.

The site header is the same for everyone with the same role, screen language and station name:
its links follow ``can()`` (the role), its words the language. The form token, the account's
name and the path the language control comes back to are left open, so the pieces hold
nothing of a person.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

_MARK = "\x00{}\x00"
_MARK_RE = re.compile("\x00(\\d+)\x00")
HEADERS_EXTENSION = "tip_site_headers"
HEADERS_MAX = 256  # logged in or not x roles x languages x script roots: a handful in practice
STATIC_EXTENSION = "tip_static_urls"
STATIC_MAX = 256
_LOCK = threading.Lock()

Pieces = tuple[tuple[str, ...], tuple[int, ...]]  # texts, and which value goes between them
Caller = Callable[..., str]


def marker(n: int) -> Markup:
    """What stands for open value ``n`` while a part is rendered (NUL never occurs in a page)."""
    return Markup(_MARK.format(n))  # noqa: S704 - a marker, no text


def split_at_markers(html: str) -> Pieces | None:
    """The texts between the markers and each marker's number, or None if a text of the part's
    own holds what looks like a marker (then the part is rendered in full every time)."""
    parts = _MARK_RE.split(html)
    texts = tuple(parts[0::2])
    if any("\x00" in text for text in texts):
        return None
    return texts, tuple(int(n) for n in parts[1::2])


def _prepare(caller: Caller, count: int) -> Pieces | None:
    """The body's text around ``count`` open values (see :func:`split_at_markers`)."""
    return split_at_markers(str(caller(*(marker(n) for n in range(count)))))


def _join(pieces: Pieces, values: Sequence[object]) -> Markup:
    texts, slots = pieces
    escaped = [escape(v) for v in values]
    out = [texts[0]]
    for slot, text in zip(slots, texts[1:], strict=True):
        out.append(escaped[slot])
        out.append(text)
    return Markup("".join(out))  # noqa: S704 - the template's text and escaped values


def prepared(store: MutableMapping[Any, Pieces | None], key: object, values: Sequence[object],
             caller: Caller, *, limit: int = 256) -> Markup:
    """The ``{% call %}`` body ``caller`` with ``values`` in it, from pieces kept in ``store``
    under ``key`` (made on the first use; the store is emptied when it holds ``limit``)."""
    if key in store:
        pieces = store[key]
    else:
        pieces = _prepare(caller, len(values))
        with _LOCK:
            if len(store) >= limit:
                store.clear()
            store[key] = pieces
    if pieces is None:
        return Markup(caller(*values))  # noqa: S704 - the template's own output
    return _join(pieces, values)


def site_header(user: Any, locale: str, installation_name: str | None, *, caller: Caller) -> Markup:
    """base.html's header for this request, given what its body reads besides the three open
    values (form token, account name, way back): the user, the screen's language, the station's
    name. The key is all the body depends on: logged in or not and the role (``can()``), the
    language, the name, and the script root (``url_for``)."""
    values = (generate_csrf(), getattr(user, "username", ""), request.full_path.rstrip("?"))
    key = (user is not None, None if user is None else user.role, locale, installation_name,
           request.script_root)
    store = current_app.extensions.setdefault(HEADERS_EXTENSION, {})
    return prepared(store, key, values, caller, limit=HEADERS_MAX)


def static_url(filename: str) -> str:
    """``url_for('static', filename=...)``, worked out once per script root and file."""
    key = (request.script_root, filename)
    held: dict[tuple[str, str], str] = current_app.extensions.setdefault(STATIC_EXTENSION, {})
    url = held.get(key)
    if url is None:
        url = url_for("static", filename=filename)
        with _LOCK:
            if len(held) >= STATIC_MAX:
                held.clear()
            held[key] = url
    return url


def init_app(app: Flask) -> None:
    app.jinja_env.globals["site_header"] = site_header
    app.jinja_env.globals["static_url"] = static_url
