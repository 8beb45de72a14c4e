"""Supported locales and how the active one is chosen.

Order: the logged-in user's profile, then the ``lang`` cookie (set by the
language switcher), then the browser's Accept-Language, then English.
At login the two are reconciled (:func:`keep_at_login`): a language chosen on
the device (the cookie) stays and becomes the profile's; a device that never
chose one gets the profile's, so the login page after a lock is in it too.
Anything not in LOCALES is ignored, so a bad cookie or header falls back.
The locales, their names and calendars are declared in app/languages/declared.py.
"""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

from app import languages
from app.config import PROJECT_ROOT
from app.web.headers import cookie_secure

LOCALES = languages.CODES
DEFAULT_LOCALE = languages.DEFAULT
LOCALE_NAMES = languages.NATIVE_NAMES
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
LANG_COOKIE = "lang"

log = logging.getLogger(__name__)


def valid_locale(value: object) -> str | None:
    return value if isinstance(value, str) and value in LOCALES else None


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # command line: messages in English
    user = g.get("user")
    chosen = valid_locale(getattr(user, "locale", None)) or valid_locale(
        request.cookies.get(LANG_COOKIE)
    )
    if chosen:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def device_choice() -> str | None:
    """The language chosen on this device with the language control, if any."""
    return valid_locale(request.cookies.get(LANG_COOKIE))


def remember(response: Response, code: str) -> None:
    """This device's language from now on (the cookie the language control sets)."""
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Strict", secure=cookie_secure())


def keep_at_login(profile: str | None, response: Response) -> str | None:
    """At login: the language the profile must now hold, or None to leave it.

    The device's choice (made on the login page, or earlier on this device) wins, so the
    pages after login are in the language the login page was in. Without one, the
    profile's language becomes the device's.
    """
    chosen = device_choice()
    if chosen:
        return chosen if chosen != profile else None
    if valid_locale(profile):
        remember(response, str(profile))
    return None


def missing_catalogs() -> list[str]:
    return [
        loc for loc in languages.TRANSLATED
        if not (TRANSLATIONS_DIR / loc / "LC_MESSAGES" / "messages.mo").is_file()
    ]


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    check_catalogs(app)
    # In templates: {% if ui_lang is buddhist_era %} (Thai dates are typed and shown in BE).
    app.jinja_env.tests["buddhist_era"] = languages.buddhist_era

    @app.context_processor
    def _locale_context() -> dict[str, object]:
        return {"current_locale": str(get_locale() or DEFAULT_LOCALE), "locale_names": LOCALE_NAMES}


def check_catalogs(app: Flask) -> None:
    """A missing compiled catalog is reported loudly; those users then see English."""
    missing = missing_catalogs()
    if missing:
        log.error("compiled translation catalogs missing for: %s", ", ".join(missing))
    app.extensions["tip_missing_catalogs"] = missing
