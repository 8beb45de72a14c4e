"""Central pages: dashboard and case list, stations and enrolment codes, received records,
opening one, audit log, USB import."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.central import bp, workspace
from app.central.forms import ConfirmForm, ImportForm, SavedFilterForm, StationCodeForm
from app.roles import Role
from app.services.analytics import saved
from app.services.analytics import views as analytics
from app.services.analytics.filters import FilterError, Filters
from app.services.central import audit
from app.services.central import cases as central_cases
from app.services.central import live as central_live
from app.services.central import received as central_records
from app.services.central import stations as central_stations
from app.services.errors import AuditFailed, Locked, RecordNotFound, ServiceError
from app.web.access import allow, safe_next
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


# --- the coordinator workspace: dashboard and case list (docs/analytics.md) -------------------

def _today() -> date:
    return datetime.now(UTC).date()


def _filters_or_problem() -> tuple[Filters, str | None]:
    try:
        return Filters.from_args(request.args, _today()), None
    except FilterError as exc:
        return Filters(), str(exc)


def _filter_choices(declared: tuple[Any, ...]) -> list[Any]:
    return [spec for spec in declared if spec.filter and spec.values]


@bp.get("/")
@allow(Role.ADMIN, Role.COORDINATOR)
def dashboard() -> Any:
    filters, problem = _filters_or_problem()
    unit = request.args.get("unit", "month")
    board = loading = None
    if problem is None:
        try:
            board = analytics.dashboard(filters, today=_today(), unit=unit, wait=False)
        except FilterError as exc:
            problem = str(exc)
        except analytics.IndexLoading as exc:
            loading = exc
    declared = analytics.specs()
    return render_template("central/dashboard.html", board=board, filters=filters, problem=problem, unit=unit,
                           loading=loading, coverage=analytics.coverage(),
                           choices=_filter_choices(declared), stations=analytics.station_names(),
                           threshold=analytics.threshold(), query=_query), 400 if problem else 200


@bp.post("/digits")
@allow(Role.ADMIN, Role.COORDINATOR)
def choose_digits() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("digits") == "native":
        session[workspace.DIGITS_KEY] = "native"
    else:
        session.pop(workspace.DIGITS_KEY, None)
    return redirect(safe_next(request.form.get("next")) or url_for("central.dashboard"))


@bp.route("/cases", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.COORDINATOR)
def cases() -> Any:
    filters, problem = _filters_or_problem()
    status = 400 if problem else 200
    form = SavedFilterForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            status = 400
        elif problem is None:
            try:
                saved.save(g.user.id, form.name.data or "", filters)
            except ServiceError as exc:
                flash(str(exc), "error")
                status = 400
            else:
                flash(_("Filter saved."), "info")
                return redirect(url_for("central.cases", **_query(filters)))
    sort = request.args.get("sort", "day")
    descending = request.args.get("order", "desc") != "asc"
    page = request.args.get("page", 1, type=int) or 1
    found = listing = loading = None
    declared = analytics.specs()
    try:
        if problem is None:
            try:
                listing = analytics.cases(filters, sort=sort, descending=descending, page=page, wait=False)
            except analytics.IndexLoading as exc:
                loading = exc
        text = request.args.get("q", "").strip()
        if text:
            found = analytics.search(text)
    except FilterError as exc:
        problem, status = str(exc), 400
    codes = {(s.id, c) for s in declared if s.filter for c in s.values}
    # Status and assignee of the cases on this page (the facts index does not hold them).
    case_states = central_cases.states([c.record_id for c in listing.cases]) if listing else {}
    return render_template("central/cases.html", listing=listing, found=found, filters=filters,
                           problem=problem, loading=loading, coverage=analytics.coverage(),
                           choices=_filter_choices(declared), stations=analytics.station_names(),
                           saved_filters=saved.listed(g.user.id, codes), form=form, confirm=ConfirmForm(),
                           columns=_case_columns(declared), sort_keys=analytics.sort_keys(declared),
                           threshold=analytics.threshold(), query=_query, case_states=case_states,
                           overdue_days=central_cases.overdue_days()), status


# The facts a case-list row shows, when the questionnaire declares them.
CASE_COLUMNS = ("tier", "flags", "nationality", "age_band")


def _case_columns(declared: tuple[Any, ...]) -> list[Any]:
    by_id = {s.id: s for s in declared}
    return [by_id[c] for c in CASE_COLUMNS if c in by_id]


def _query(filters: Filters, **extra: Any) -> dict[str, Any]:
    """url_for arguments for these filters (a repeated fact key as a list)."""
    args: dict[str, Any] = {}
    for key, value in filters.to_query():
        args.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in args.items()} | {k: v for k, v in extra.items() if v}


@bp.post("/cases/saved/<int:filter_id>/delete")
@allow(Role.ADMIN, Role.COORDINATOR)
def delete_saved(filter_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if saved.delete(g.user.id, filter_id):
        flash(_("Saved filter deleted."), "info")
    return redirect(url_for("central.cases"))
