from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from app import i18n
from app.main import bp
from app.services import accounts, health, installation
from app.version import __version__
from app.web.access import ANY_USER, allow, load_user, may_open, public, safe_next


@bp.get("/")
@allow(ANY_USER)
def index() -> Any:
    # Central's landing page is the coordinators' dashboard, for those who may see it.
    if current_app.config["TIP"].role == "central" and may_open("central.dashboard", g.user.role):
        return redirect(url_for("central.dashboard"))
    if current_app.config["TIP"].role == "central" and may_open("central.partner_cases", g.user.role):
        return redirect(url_for("central.partner_cases"))
    return render_template("main/index.html", installation=installation.find())


@bp.get("/favicon.ico")
@public
def favicon() -> Any:
    """Browsers and phones ask for /favicon.ico whatever the page names: the station's own icon
    (165 bytes, read whole: no file is left open behind the response)."""
    icon = Path(current_app.static_folder or "", "favicon.ico").read_bytes()
    return current_app.response_class(icon, mimetype="image/vnd.microsoft.icon",
                                      headers={"Cache-Control": "max-age=86400"})


@bp.get("/healthz")
@public
def healthz() -> Any:
    database = health.database_state()
    ok = database["state"] == "ok"
    body = {
        "status": "ok" if ok else "degraded",
        "role": current_app.config["TIP"].role,
        "version": __version__,
        "database": database,
        "setup": ("complete" if ok and installation.is_set_up() else "needed") if ok else "unknown",
    }
    return jsonify(body), 200


@bp.post("/language")
@public
def language() -> Any:
    chosen = i18n.valid_locale(request.form.get("lang"))
    target = safe_next(request.form.get("next")) or url_for("main.index")
    response = make_response(redirect(target))
    if chosen:
        i18n.remember(response, chosen)
        load_user()
        if g.user is not None:
            accounts.set_locale(g.user, chosen)
    return response
