from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.services import installation, setup
from app.services.errors import AlreadySetUp, ValidationFailed
from app.setup import bp
from app.setup.forms import SetupForm
from app.web.access import public


@bp.route("/", methods=["GET", "POST"])
@public
def index() -> Any:
    if installation.is_set_up():
        abort(404)  # setup happens once; afterwards administrators manage users
    form = SetupForm()
    status = 200
    if form.validate_on_submit():
        try:
            setup.initialise(form.station_name.data or "", form.username.data or "",
                             form.passphrase.data or "")
        except (ValidationFailed, AlreadySetUp) as exc:
            flash(str(exc), "error")
            status = 400
        else:
            current_app.extensions["tip_setup_done"] = True
            flash(_("Setup is complete. Log in with the administrator account."), "info")
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 400
    form.passphrase.data = form.confirm.data = ""
    return render_template("setup/index.html", form=form,
                           central=current_app.config["TIP"].role == "central"), status
