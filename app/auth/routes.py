from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app import i18n
from app.auth import bp
from app.auth.forms import LoginForm, LogoutForm
from app.services import accounts, records, unlock
from app.services.accounts import sessions
from app.services.errors import LoginBusy, LoginFailed, LoginThrottled, ServiceError
from app.web.access import ANY_USER, allow, public, safe_next


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        form.username.data = (request.args.get("user") or "")[:64]
    status = 200
    if form.validate_on_submit():
        passphrase = form.passphrase.data or ""
        try:
            checked = accounts.authenticate(form.username.data or "", passphrase,
                                            source=request.remote_addr or "unknown")
            user = checked.user
            secret = unlock.open_keys(user, passphrase, opened=checked.opened)
        except (LoginFailed, LoginThrottled, LoginBusy) as exc:
            flash(str(exc), "error")
            status = {LoginThrottled: 429, LoginBusy: 503}.get(type(exc), 401)
        except ServiceError as exc:
            flash(str(exc), "error")
            status = 403
        else:
            old = session.get("sid")
            if old:
                sessions.end(old)
            session.clear()  # a fresh session at every login: no fixation
            session["sid"] = sessions.start(user, secret)
            if secret is not None:
                records.after_unlock(secret)
                unlock.after_login(user, secret)
            response = redirect(safe_next(form.next.data) or url_for("main.index"))
            # The language the login page was in stays (not reset by the account's).
            keep = i18n.keep_at_login(user.locale, response)
            if keep:
                accounts.set_locale(user, keep)
            return response
    elif request.method == "POST":
        status = 400
    form.passphrase.data = ""
    return render_template("auth/login.html", form=form), status


@bp.post("/lock")
@allow(ANY_USER)
def lock() -> Any:
    """The Lock button: the key leaves memory now; the same person logs in again."""
    form = LogoutForm()
    if form.validate_on_submit():
        token = session.pop("sid", None)
        if token:
            sessions.end(token)
        flash(_("Locked. Log in to continue."), "info")
        return redirect(url_for("auth.login", user=g.user.username))
    return redirect(url_for("main.index"))


@bp.post("/logout")
@allow(ANY_USER)
def logout() -> Any:
    form = LogoutForm()
    if form.validate_on_submit():
        token = session.pop("sid", None)
        if token:
            sessions.end(token)
        g.user = None
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
