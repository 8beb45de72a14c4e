from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import bp
from app.admin.forms import (
    ConfirmForm,
    DisplayNameForm,
    ResetPassphraseForm,
    UserCreateForm,
    XLSFormUploadForm,
)
from app.questionnaire import SHIPPED_DIR
from app.questionnaire.xlsform import XLSFormError, XLSProblem
from app.roles import Role
from app.services import accounts, installation, lan, questionnaires
from app.services.accounts import sessions
from app.services.errors import ServiceError
from app.services.odk import settings as odk_settings
from app.web.access import ANY_USER, allow
from app.web.qr import qr_svg


@bp.context_processor
def _station_address() -> dict[str, Any]:
    def station_address() -> dict[str, Any] | None:
        """For admin/_station_address.html: the https address phones open, its QR code and the
        certificate's fingerprint; None when this station does not serve the local network."""
        found = lan.phone_address()
        if found is None:
            return None
        url, fingerprint = found
        return {"url": url, "fingerprint": fingerprint, "qr": qr_svg(url)}

    def uses_phone(user: Any) -> bool:
        """Whether the account may send screenings from ODK Collect (its role decides)."""
        return odk_settings.phone_role(user.role)

    return {"station_address": station_address, "uses_phone": uses_phone}


@bp.get("/users")
@allow(Role.ADMIN)
def users() -> Any:
    return render_template("admin/users.html", users=accounts.list_users(),
                           form=UserCreateForm(), confirm=ConfirmForm())


@bp.post("/users")
@allow(Role.ADMIN)
def create_user() -> Any:
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data or "", form.role.data or "",
                                        form.passphrase.data or "", secret=g.secret,
                                        actor=g.user.username)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Account %(name)s created.", name=user.username), "info")
            return redirect(url_for("admin.users"))
    form.passphrase.data = ""
    return render_template("admin/users.html", users=accounts.list_users(), form=form,
                           confirm=ConfirmForm()), 400


@bp.route("/users/<int:user_id>/passphrase", methods=["GET", "POST"])
@allow(Role.ADMIN)
def reset_passphrase(user_id: int) -> Any:
    user = accounts.get_user(user_id) or abort(404)
    form = ResetPassphraseForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.reset_passphrase(user, form.passphrase.data or "", secret=g.secret,
                                      actor=g.user.username)
        except ServiceError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash(_("New passphrase set for %(name)s.", name=user.username), "info")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    form.passphrase.data = form.confirm.data = ""
    return render_template("admin/reset.html", user=user, form=form), status


@bp.route("/users/<int:user_id>/name", methods=["GET", "POST"])
@allow(Role.ADMIN)
def display_name(user_id: int) -> Any:
    user = accounts.get_user(user_id) or abort(404)
    return name_page(user, url_for("admin.display_name", user_id=user.id), url_for("admin.users"))


@bp.route("/my-name", methods=["GET", "POST"])
@allow(ANY_USER)
def my_name() -> Any:
    """Every account sets its own name on slips; an administrator can set anyone's."""
    return name_page(g.user, url_for("admin.my_name"), url_for("main.index"))


def name_page(user: Any, action: str, done: str) -> Any:
    """The display-name form for ``user`` (an administrator's page and each account's own)."""
    form = DisplayNameForm()
    status = 200
    if request.method == "GET":
        form.display_name.data = user.display_name or ""
    elif form.validate_on_submit():
        try:
            accounts.set_display_name(user, form.display_name.data or "")
        except ServiceError as exc:
            form.display_name.errors = [str(exc)]
            status = 400
        else:
            flash(_("Name on referral slips for %(user)s: %(name)s", user=user.username,
                    name=user.shown_name), "info")
            return redirect(done)
    else:
        status = 400
    return render_template("admin/name.html", user=user, form=form, action=action), status


@bp.get("/users/<int:user_id>/phone")
@allow(Role.ADMIN)
def phone_setup(user_id: int) -> Any:
    """A QR code that sets up ODK Collect for this account (docs/odk.md): the station's
    address and the username, never the passphrase."""
    user = accounts.get_user(user_id) or abort(404)
    if not odk_settings.phone_role(user.role):
        flash(_("Only officers' and outreach workers' accounts send screenings from a phone."), "error")
        return redirect(url_for("admin.users"))
    found = lan.phone_address()
    server_url = found[0] if found else request.url_root
    payload = odk_settings.encode(odk_settings.collect_settings(
        server_url, user.username, installation.get().name))
    return render_template("admin/phone.html", user=user, server_url=server_url.rstrip("/"),
                           qr=qr_svg(payload), on_network=found is not None,
                           fingerprint=found[1] if found else None)


@bp.post("/users/<int:user_id>/active")
@allow(Role.ADMIN)
def toggle_active(user_id: int) -> Any:
    user = accounts.get_user(user_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        if user.id == g.user.id:
            flash(_("You cannot switch off your own account."), "error")
        else:
            accounts.set_active(user, not user.active, actor=g.user.username)
    return redirect(url_for("admin.users"))


@bp.post("/lock-all")
@allow(Role.ADMIN)
def lock_all() -> Any:
    if ConfirmForm().validate_on_submit():
        count = sessions.end_all(actor=g.user.username)
        flash(_("%(n)d session(s) locked. Everyone must log in again.", n=count), "info")
    return redirect(url_for("auth.login"))


# --- questionnaires: XLSForm in and out (docs/xlsform.md) -------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _problem_words(problem: XLSProblem) -> dict[str, Any]:
    """An import problem for the page: where (sheet, row, column) and what, translated."""
    return {"sheet": problem.sheet, "row": problem.row, "column": problem.column,
            "message": _(problem.msgid, **problem.params)}


def _questionnaire_page(form: XLSFormUploadForm, status: int = 200,
                        problems: list[dict[str, Any]] | None = None,
                        warnings: list[dict[str, Any]] | None = None) -> Any:
    listed = [{"id": d.id, "version": d.version,
               "shipped": d.path is not None and d.path.parent == SHIPPED_DIR}
              for d in questionnaires.all_definitions()]
    return render_template("admin/questionnaires.html", form=form, definitions=listed,
                           problems=problems or [], warnings=warnings or []), status


@bp.get("/questionnaires")
@allow(Role.ADMIN)
def questionnaires_page() -> Any:
    return _questionnaire_page(XLSFormUploadForm())


@bp.post("/questionnaires")
@allow(Role.ADMIN)
def import_xlsform() -> Any:
    form = XLSFormUploadForm()
    if not form.validate_on_submit():
        return _questionnaire_page(form, 400)
    upload = form.xlsform.data
    try:
        imported, _path = questionnaires.import_xlsform(
            upload.read(), source=upload.filename or "form.xlsx",
            form_id=(form.form_id.data or "").strip() or None,
            version=(form.version.data or "").strip() or None)
    except XLSFormError as error:
        flash(_("The form was not imported: nothing changed."), "error")
        return _questionnaire_page(form, 400, [_problem_words(p) for p in error.problems])
    except ServiceError as exc:
        flash(str(exc), "error")
        return _questionnaire_page(form, 400)
    d = imported.definition
    flash(_("Questionnaire %(id)s version %(version)s imported.", id=d.id, version=d.version),
          "info")
    return _questionnaire_page(XLSFormUploadForm(), 200, None,
                               [_problem_words(w) for w in imported.warnings])


@bp.get("/questionnaires/<questionnaire_id>/<version>.xlsx")
@allow(Role.ADMIN)
def export_xlsform(questionnaire_id: str, version: str) -> Any:
    try:
        data = questionnaires.export_xlsform(questionnaire_id, version)
    except ServiceError:
        abort(404)
    return Response(data, mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{questionnaire_id}-{version}.xlsx"'})
