"""Security headers on every response, and cookies marked Secure whenever the request is."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


def _add_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Never to another site; to this one yes, since CSRF protection over HTTPS checks that a
    # form was posted from a page of the same origin (Flask-WTF's WTF_CSRF_SSL_STRICT).
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["TIP"].tls:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "static":
        # Any page may show record data: never keep a copy in a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def cookie_secure() -> bool:
    """Secure cookies on central with ``tls = true`` and on any request that came over TLS
    (a phone on the station's network), so a cookie set there never travels in clear."""
    return bool(current_app.config["TIP"].tls or request.is_secure)


class _SessionCookies(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return cookie_secure()


def init_app(app: Flask) -> None:
    app.session_interface = _SessionCookies()
    app.after_request(_add_headers)
