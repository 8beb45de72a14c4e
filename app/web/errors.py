"""Friendly error pages in the user's language; logs that carry no personal data."""

from __future__ import annotations

import secrets
import traceback
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.services.errors import DISK_FULL_TEXT, is_disk_full

# A full disk is answered 507 Insufficient Storage everywhere (pages, autosave, login);
# a script asking for JSON gets {"ok": false, "problem": "disk_full", "message": ...}.
DISK_FULL = 507

MESSAGES = {
    400: (_l("Something in the request was not right"),
          _l("Go back, check what you entered and try again.")),
    403: (_l("Not allowed"), _l("Your account cannot open this page.")),
    404: (_l("Page not found"), _l("This page does not exist. Check the address or go back.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (_l("Cannot be done now"), _l("This cannot be done in the record's present state.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many attempts"), _l("Wait a little and try again.")),
    507: (_l("The disk is full"), DISK_FULL_TEXT),
    500: (_l("Something went wrong"),
          _l("Nothing you entered before this was lost. Try again; if it happens again, "
             "tell your administrator the error number below.")),
}


JSON_MARK = "_tip_answers_json"


def answers_json(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route that always answers JSON (the autosave): its errors are JSON too, and so is
    the access check's answer before the route runs (both read the mark on the view)."""
    setattr(view, JSON_MARK, True)
    return view


def wants_json() -> bool:
    """The one test of "this request wants JSON": the API, a JSON body, a route marked
    ``answers_json``, or a script that asks for JSON first (``Accept: application/json``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return (request.path.startswith("/api/") or request.is_json or getattr(view, JSON_MARK, False)
            or request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json")


def _render(code: int, detail: object | None = None, ref: str | None = None,
            problem: str | None = None) -> Any:
    title, text = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    message = str(detail) if detail else str(text)
    if wants_json():
        if code == DISK_FULL:
            return jsonify(ok=False, problem="disk_full", message=message), code
        if problem:  # a named problem a page's script acts on (an expired form: fetch a new token)
            return jsonify(ok=False, problem=problem, error=code, message=message), code
        return jsonify(error=code, message=message, ref=ref), code
    return render_template("errors/error.html", code=code, title=title, message=message,
                           ref=ref), code


def _http_error(exc: HTTPException) -> Any:
    # A route may abort with its own, already translated, explanation.
    custom = exc.description if exc.description != type(exc).description else None
    return _render(exc.code or 500, custom)


def _csrf_error(exc: CSRFError) -> Any:
    return _render(400, _l("This form has expired or was sent from somewhere else. "
                           "Reload the page and try again; nothing was changed."), problem="form_expired")


def _server_error(exc: Exception) -> Any:
    original = getattr(exc, "original_exception", None) or exc
    if is_disk_full(original):
        return _disk_full()
    ref = secrets.token_hex(4)
    # Only the exception type and the stack frames: messages can quote data.
    frames = "".join(traceback.format_tb(original.__traceback__)) if original.__traceback__ else ""
    current_app.logger.error("error %s: %s at %s\n%s", ref, type(original).__name__,
                             request.endpoint, frames)
    return _render(500, ref=ref)


def _disk_full() -> Any:
    """The write was refused by a full disk: undo the transaction so the next request (once
    space is freed) starts clean; nothing was acknowledged, so nothing is lost."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the request's teardown closes the session anyway
        pass
    current_app.logger.error("disk full at %s: the write was rolled back", request.endpoint)
    return _render(DISK_FULL)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
