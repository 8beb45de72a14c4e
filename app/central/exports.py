"""The export page: the workspace's filters, the kind and format chosen, the file streamed.

GET shows what would be exported (the filters, how many records match, through the small-cell
rule) with a run id and, for the zip, a new password, both made for this page view only (the
password is shown here once and never stored: the form posts it back with the request). POST
starts the export: everything that can refuse does so before the audit entry and the first
byte (docs/exports.md). The page's script polls the run's progress while the browser downloads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, g, jsonify, render_template, request, stream_with_context
from flask_babel import gettext as _

from app.central import bp
from app.central.forms import ConfirmForm
from app.central.routes import _query as query_args
from app.languages import CODES, NATIVE_NAMES
from app.roles import Role
from app.services.analytics import suppression
from app.services.analytics import views as analytics
from app.services.analytics.filters import FilterError, Filters
from app.services.errors import AuditFailed, ExportRefused, Locked, ServiceError
from app.services.exports import produce, runs
from app.services.exports.archive import new_password
from app.web.access import allow
from app.web.labels import ui_lang


def _today() -> Any:
    return datetime.now(UTC).date()


def _page(filters: Filters, problem: str | None = None, status: int = 200, chosen: Any = None) -> Any:
    count = None
    if problem is None:
        try:
            _snap, matching = analytics.matching(filters)
            count = int(matching.size)
        except FilterError as exc:
            problem, status = str(exc), 400
    threshold = analytics.threshold()
    shown = None if count is None or suppression.is_small(count, threshold) else count
    return render_template("central/export.html", filters=filters, problem=problem, count=shown,
                           counted=count is not None, unlocked=g.secret is not None,
                           run_id=produce.new_run_id(), password=new_password(), threshold=threshold,
                           languages=[(code, NATIVE_NAMES.get(code, code)) for code in CODES],
                           chosen=chosen or {"kind": produce.DEIDENTIFIED, "format": produce.CSV,
                                             "language": ui_lang()},
                           stations=analytics.station_names(), confirm=ConfirmForm(),
                           query=query_args), status


@bp.get("/export")
@allow(Role.ADMIN, Role.COORDINATOR)
def export_page() -> Any:
    try:
        filters = Filters.from_args(request.args, _today())
    except FilterError as exc:
        return _page(Filters(), str(exc), 400)
    return _page(filters)


@bp.post("/export")
@allow(Role.ADMIN, Role.COORDINATOR)
def export_file() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    form = request.form
    chosen = {"kind": form.get("kind", ""), "format": form.get("format", ""),
              "language": form.get("language", "en")}
    try:
        filters = Filters.from_args(form, _today())
    except FilterError as exc:
        return _page(Filters(), str(exc), 400, chosen)
    wanted = produce.ExportRequest(kind=chosen["kind"], format=chosen["format"], filters=filters,
                                   language=chosen["language"], htcds=form.get("htcds") == "1",
                                   answer_languages=form.get("answer_languages") == "1")
    run_id = form.get("run", "")
    if not runs.valid_id(run_id):
        abort(400)
    try:
        export = produce.start(wanted, username=g.user.username, user_id=g.user.id, secret=g.secret,
                               today=_today(), password=form.get("password") or None, run_id=run_id)
    except Locked as exc:
        return _page(filters, str(exc), 403, chosen)
    except (ExportRefused, FilterError) as exc:
        return _page(filters, str(exc), 400, chosen)
    except AuditFailed:
        # No audit entry, no file.
        return _page(filters, _("The audit log could not record this export, so nothing was exported. "
                                "Try again in a moment."), 503, chosen)
    except ServiceError as exc:
        return _page(filters, str(exc), 400, chosen)
    response = Response(stream_with_context(export.chunks), mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["X-Export-Records"] = str(export.records)
    return response


@bp.get("/export/progress/<run_id>")
@allow(Role.ADMIN, Role.COORDINATOR)
def export_progress(run_id: str) -> Any:
    """How far the run is: any worker answers, from the database (the page's script asks)."""
    found = runs.progress(run_id, user_id=g.user.id) if runs.valid_id(run_id) else None
    if found is None:
        return jsonify({"state": "unknown"}), 404
    return jsonify(found)
