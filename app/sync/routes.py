"""Station Sync page: what is waiting, sync now, USB bundle, enrolment with central."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from app.roles import Role
from app.services.errors import CentralBusy, ServiceError
from app.services.sync import problems
from app.services.sync.client import page as station_sync
from app.sync import bp
from app.sync.forms import ConfirmForm, EnrolForm
from app.text.dates import format_date
from app.web.access import ANY_USER, allow


def _format_time(at: datetime | None) -> str:
    if at is None:
        return _("never")
    at = at.astimezone(UTC)
    return f"{format_date(at.date(), str(get_locale() or 'en'))} {at:%H:%M} UTC"


def _page(form: EnrolForm | None = None, status: int = 200) -> Any:
    info = station_sync.overview()
    return render_template("sync/index.html", info=info, confirm=ConfirmForm(), format_time=_format_time,
                           problem_text=problems.describe, form=form or EnrolForm(formdata=None)), status


@bp.get("")
@allow(ANY_USER)
def index() -> Any:
    return _page()


@bp.post("/now")
@allow(ANY_USER)
def sync_now() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        summary = station_sync.sync_now()
    except CentralBusy as exc:  # not an error: nothing was lost and the rest goes later
        if station_sync.automatic():
            flash(_("Central is busy right now. Nothing was lost: this station sends the rest by itself "
                    "at %(time)s.", time=_format_time(exc.at)), "info")
        else:
            flash(_("Central is busy right now. Nothing was lost. Sync again after %(time)s.",
                    time=_format_time(exc.at)), "info")
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Sync done: %(sent)d sent, %(synced)d confirmed by central, %(left)d still waiting.",
                sent=summary.sent, synced=summary.marked_synced, left=summary.pending_after), "info")
        if summary.conflict or summary.refused:
            flash(_("Central did not accept %(n)d record(s). They stay on this station; tell your "
                    "coordinator.", n=summary.conflict + summary.refused), "warning")
    return redirect(url_for("sync.index"))


@bp.post("/retry")
@allow(Role.ADMIN, Role.COORDINATOR)
def retry() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = station_sync.retry_not_accepted()
    flash(ngettext("%(num)d record will be sent again at the next sync.",
                   "%(num)d records will be sent again at the next sync.", count), "info")
    return redirect(url_for("sync.index"))


@bp.post("/export")
@allow(ANY_USER)
def export() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        data, count = station_sync.export_bundle()
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("sync.index"))
    if count == 0:
        flash(_("Nothing to export: every finalised screening is already with central."), "info")
        return redirect(url_for("sync.index"))
    name = f"tip-screen-{datetime.now(UTC):%Y%m%d-%H%M%S}-{count}.tipbundle"
    return Response(data, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/enrol")
@allow(Role.ADMIN)
def enrol() -> Any:
    form = EnrolForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        found, sealed = station_sync.enrol(form.url.data or "", form.code.data or "",
                                           expected_fingerprint=form.fingerprint.data,
                                           tls_pin=form.tls_pin.data, station_key=g.secret)
    except ServiceError as exc:
        flash(str(exc), "error")
        form.code.data = ""
        return _page(form, 400)
    flash(_("Enrolled. Central's key fingerprint is %(fp)s: compare it with the one central shows.",
            fp=found), "info")
    if sealed:
        flash(ngettext("%(num)d finalised screening is now sealed for central.",
                       "%(num)d finalised screenings are now sealed for central.", sealed), "info")
    return redirect(url_for("sync.index"))
