"""Central pages: stations and enrolment codes, received records, opening one, audit log, USB import."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.central import bp
from app.central.forms import ConfirmForm, ImportForm, StationCodeForm
from app.roles import Role
from app.services.central import audit
from app.services.central import live as central_live
from app.services.central import received as central_records
from app.services.central import stations as central_stations
from app.services.errors import AuditFailed, Locked, RecordNotFound, ServiceError
from app.web.access import allow
from app.web.errors import answers_json
from app.web.qr import qr_svg

# A USB bundle carries every unsynced record of a station (about 6 KB each): more than the
# app-wide 4 MB request limit allows. Only this route accepts more; see _register_blueprints.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024


def _central_url() -> str:
    return str(current_app.config["TIP"].public_url or request.url_root).rstrip("/")


def _stations_page(form: StationCodeForm, issued: Any = None, status: int = 200) -> Any:
    return render_template("central/stations.html", stations=central_stations.overview(), form=form,
                           threshold=central_stations.small_cell_threshold(),
                           confirm=ConfirmForm(), issued=issued,
                           qr=qr_svg(issued.qr_payload) if issued else None,
                           fingerprint=central_stations.central_fingerprint()), status


@bp.get("/stations")
@allow(Role.ADMIN, Role.COORDINATOR)
def stations() -> Any:
    return _stations_page(StationCodeForm())


@bp.post("/stations")
@allow(Role.ADMIN)
def create_code() -> Any:
    form = StationCodeForm()
    if form.validate_on_submit():
        try:
            issued = central_stations.issue_code(form.name.data or "", _central_url(),
                                                 username=g.user.username)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            # Shown once, on this answer only: the code itself is never stored.
            return _stations_page(StationCodeForm(formdata=None), issued)
    return _stations_page(form, status=400)


@bp.post("/stations/<station_id>/revoke")
@allow(Role.ADMIN)
def revoke(station_id: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = central_stations.station_name(station_id) or abort(404)
    if central_stations.revoke(station_id, username=g.user.username):
        flash(_("Station %(name)s was revoked: central refuses its requests and bundles from now on.",
                name=name), "info")
    else:
        flash(_("Station %(name)s was already revoked.", name=name), "info")
    return redirect(url_for("central.stations"))


@bp.get("/live")
@allow(Role.ADMIN, Role.COORDINATOR)
@answers_json
def live() -> Any:
    """What live pages compare with the version they were drawn at (static/js/live.js)."""
    return jsonify(central_live.versions())


@bp.get("/records")
@allow(Role.ADMIN, Role.COORDINATOR)
def records() -> Any:
    page = request.args.get("page", 1, type=int) or 1
    station = request.args.get("station") or None
    result = central_records.list_received(page, station_id=station)
    return render_template("central/records.html", result=result, station=station,
                           station_name=central_stations.station_name(station) if station else None)


@bp.get("/records/<record_id>")
@allow(Role.ADMIN, Role.COORDINATOR)
def record(record_id: str) -> Any:
    try:
        opened = central_records.open_received(record_id, username=g.user.username, secret=g.secret)
    except RecordNotFound:
        abort(404)
    except Locked as exc:
        return render_template("central/unlock.html", message=str(exc)), 403
    except ServiceError as exc:
        return render_template("central/unreadable.html", record_id=record_id, message=str(exc)), 409
    except AuditFailed:
        # No audit entry, no data: say so rather than show the record unrecorded.
        return render_template("central/unreadable.html", record_id=record_id,
                               message=_("The audit log could not record this opening, so the record "
                                         "was not opened. Try again in a moment.")), 503
    return render_template("central/record.html", opened=opened)


@bp.get("/audit")
@allow(Role.ADMIN, Role.COORDINATOR)
def audit_log() -> Any:
    before = request.args.get("before", type=int)
    check = audit.check_chain()
    items = audit.entries(limit=200, before_id=before)
    return render_template("central/audit.html", check=check, items=items,
                           older=items[-1].id if len(items) == 200 else None)


@bp.route("/import", methods=["GET", "POST"])
@allow(Role.ADMIN)
def import_bundle() -> Any:
    # Set before the form is read. CSRF is checked by the form itself (this view is exempt from
    # the app-wide check only because that check would read the body under the 4 MB limit).
    request.max_content_length = MAX_BUNDLE_BYTES
    form = ImportForm()
    status = 200
    summary = None
    if request.method == "POST":
        if form.validate_on_submit():
            data = form.bundle.data.read(MAX_BUNDLE_BYTES + 1)
            try:
                summary = central_records.import_bundle(data, username=g.user.username)
            except ServiceError as exc:
                flash(str(exc), "error")
                status = 400
        else:
            if form.csrf_token.errors:
                abort(400)
            status = 400
    return render_template("central/import.html", form=form, summary=summary,
                           max_mb=MAX_BUNDLE_BYTES // (1024 * 1024)), status
