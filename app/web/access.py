"""Every route declares who may use it; anything undeclared is refused.

``@allow(Role.OFFICER, ...)`` names roles, ``@allow(ANY_USER)`` any logged-in
user, ``@public`` no login at all, ``@station_signed`` a station's signed request
(the only way to declare a machine route), ``@phone_basic`` a phone's form app with its
account's HTTP Basic credentials. A test walks every route with every role.

Pages ask the same rule: ``{% if can('admin.users') %}`` shows a link or a button
only to someone the route would let in, and only where the route exists (a
station has no central pages). Templates never compare roles themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _

from app.protocol.problems import ProblemError
from app.roles import Role
from app.services import installation
from app.services.accounts import keyring, sessions
from app.services.errors import Refused
from app.services.odk.phones import Phone
from app.services.sync import station_auth
from app.web import openrosa
from app.web.errors import wants_json

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ANY_USER = "any-user"
# Machine-to-machine: no user login; @station_signed checks the station's signature.
STATION = "station"
# A phone's form app (ODK Collect): no web session; @phone_basic checks HTTP Basic itself.
PHONE = "phone"
SIGNED_MARK = "_tip_station_signed"
# Sent by a page's script on requests the person did not make (static/js/live.js).
BACKGROUND_HEADER = "X-TS-Background"
# Pages that work before first-run setup is complete.
SETUP_ENDPOINTS = {"setup.index", "static", "main.healthz", "main.language", "main.favicon"}


def allow(*who: Role | str) -> Callable[[F], F]:
    if STATION in who:
        raise TypeError("declare a station's route with @station_signed, which checks the signature")

    if PHONE in who:
        raise TypeError("declare a phone's route with @phone_basic, which checks the credentials")

    def mark(view: F) -> F:
        view._tip_access = frozenset(who)  # type: ignore[attr-defined]
        return view

    return mark


public = allow(PUBLIC)


def station_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route for stations: the request's signature and counter are verified before
    anything reads the body (``station_auth``; a refusal is raised as StationRefused,
    which the API answers with its numbered problem), and the route receives the
    :class:`~app.services.sync.station_auth.SignedRequest` as its first argument."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        headers = {name: request.headers.get(name, "") for name in station_auth.HEADERS}
        signed = station_auth.authenticate(request.method, request.path, headers,
                                           request.get_data(cache=True))
        try:
            return view(signed, *args, **kwargs)
        except (ProblemError, Refused) as exc:
            signed.note_problem(exc.problem)  # counted for the Stations page
            raise

    checked._tip_access = frozenset({STATION})  # type: ignore[attr-defined]
    setattr(checked, SIGNED_MARK, True)
    return checked


def phone_basic(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route for a phone's form app (ODK Collect): HTTP Basic against the station's accounts
    (:mod:`app.services.odk.phones`; who may is decided there), answered with OpenRosa's
    headers; the route receives the :class:`~app.services.odk.phones.Phone` first. Web
    sessions count for nothing here: a phone sends its credentials with every request."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        phone = openrosa.authenticate()
        if not isinstance(phone, Phone):
            return phone  # the refusal, already an OpenRosa answer
        g.user = phone.user  # messages in the account's language
        return view(phone, *args, **kwargs)

    checked._tip_access = frozenset({PHONE})  # type: ignore[attr-defined]
    return checked


def is_station_signed(app: Flask, endpoint: str) -> bool:
    return bool(getattr(app.view_functions.get(endpoint), SIGNED_MARK, False))


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


def may_open(endpoint: str, role: Role | None) -> bool:
    """Whether someone with ``role`` (None: nobody logged in) gets past ``endpoint``'s rule.
    Machine-to-machine routes are never a person's to open."""
    rule = access_rule(current_app, endpoint)
    return rule is not None and STATION not in rule and PHONE not in rule and is_allowed(rule, role)


def can(endpoint: str) -> bool:
    """For templates: may the logged-in user open ``endpoint`` on this installation?"""
    user = g.get("user")
    return may_open(endpoint, user.role if user is not None else None)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def load_user() -> None:
    g.user = None
    g.secret = None
    g.keys = None  # on a station: the session's key set (app.crypto.KeySet)
    token = session.get("sid")
    if not token:
        return
    # A live page's own polling (static/js/live.js marks it) does not count as activity.
    resumed = sessions.resume(token, current_app.config["TIP"].idle_timeout_minutes,
                              touch=request.headers.get(BACKGROUND_HEADER) != "1")
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
    if STATION in rule and not is_station_signed(current_app, endpoint):
        current_app.logger.error("station route %s is not @station_signed; refused", endpoint)
        abort(403)
    if PUBLIC in rule or STATION in rule or PHONE in rule:
        return None
    load_user()
    if g.user is None:
        if wants_json():
            # A page's script (autosave, navigation, token) keeps what is not saved and says so;
            # a login page in answer would look like a success to it, or like no connection.
            message = _("Signed out: log in again; your unsaved answers are kept on this page.")
            return jsonify(ok=False, problem="signed_out", error="login_required", message=message), 401
        if g.get("session_expired"):
            minutes = current_app.config["TIP"].idle_timeout_minutes
            flash(_("Your session was locked after %(n)d minutes without activity, or ended. "
                    "Log in again to continue.", n=minutes), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not may_open(endpoint, g.user.role):
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
        return {"current_user": g.get("user"), "installation_name": name, "can": can}
