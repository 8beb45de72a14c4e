"""Every route declares who may use it; anything undeclared is refused.

``@allow(Role.OFFICER, ...)`` names roles, ``@allow(ANY_USER)`` any logged-in
user, ``@public`` no login at all. A test walks every route with every role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _

from app.roles import Role
from app.services import installation
from app.services.accounts import keyring, sessions

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ANY_USER = "any-user"
# Machine-to-machine: no user login; the route itself checks the station's signature.
STATION = "station"
# Pages that work before first-run setup is complete.
SETUP_ENDPOINTS = {"setup.index", "static", "main.healthz", "main.language"}


def allow(*who: Role | str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        view._tip_access = frozenset(who)  # type: ignore[attr-defined]
        return view

    return mark


public = allow(PUBLIC)


def access_rule(app: Flask, endpoint: str) -> frozenset[str] | None:
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = app.view_functions.get(endpoint)
    return getattr(view, "_tip_access", None)


def is_allowed(rule: frozenset[str], role: Role | None) -> bool:
    if PUBLIC in rule:
        return True
    if role is None:
        return False
    return ANY_USER in rule or role in rule


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def load_user() -> None:
    g.user = None
    g.secret = None
    g.keys = None  # on a station: the session's key set (app.crypto.KeySet)
    token = session.get("sid")
    if not token:
        return
    resumed = sessions.resume(token, current_app.config["TIP"].idle_timeout_minutes)
    if resumed.user is None:
        session.pop("sid", None)
        if resumed.expired:
            g.session_expired = True
        return
    g.user = resumed.user
    g.secret = resumed.secret
    g.keys = keyring.key_set(resumed.secret)


def _setup_done() -> bool:
    if current_app.extensions.get("tip_setup_done"):
        return True
    done = installation.is_set_up()
    if done:
        current_app.extensions["tip_setup_done"] = True
    return done


def _enforce() -> Any:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: Flask answers 404
    if endpoint not in SETUP_ENDPOINTS and not _setup_done():
        return redirect(url_for("setup.index"))
    rule = access_rule(current_app, endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no roles; refused", endpoint)
        abort(403)
    if PUBLIC in rule or STATION in rule:
        return None
    load_user()
    if g.user is None:
        if _wants_json():
            return jsonify(error="login_required", message=_("Please log in.")), 401
        if g.get("session_expired"):
            minutes = current_app.config["TIP"].idle_timeout_minutes
            flash(_("Your session was locked after %(n)d minutes without activity, or ended. "
                    "Log in again to continue.", n=minutes), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not is_allowed(rule, g.user.role):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(_enforce)

    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        if "user" not in g:
            # Public pages still show who is logged in, if anyone.
            try:
                load_user()
            except Exception:  # noqa: BLE001 - never let the header break an error page
                g.user = None
        name = current_app.extensions.get("tip_installation_name")
        if name is None and _setup_done():
            inst = installation.find()
            name = current_app.extensions["tip_installation_name"] = inst.name if inst else ""
        return {"current_user": g.get("user"), "installation_name": name,
                "config_endpoints": current_app.view_functions}
