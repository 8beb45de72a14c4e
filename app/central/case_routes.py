"""Central pages of cases and referrals: a case (status, assignee, referrals and their trail,
referring it), overdue referrals, an organisation's case workers, and the partner case
workers' own pages (docs/referrals.md, "Cases and referrals")."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.central import bp
from app.central.forms import ConfirmForm
from app.roles import Role
from app.services.central import cases, packages, partners
from app.services.central import directory as central_directory
from app.services.central import received as central_records
from app.services.errors import AuditFailed, Locked, NotFound, RecordNotFound, ServiceError
from app.web.access import allow


def _checked() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.get("/cases/<record_id>/case")
@allow(Role.ADMIN, Role.COORDINATOR)
def case(record_id: str) -> Any:
    if central_records.station_of(record_id) is None:
        abort(404)
    return render_template("central/case.html", record_id=record_id, state=cases.case_state(record_id),
                           trail=cases.trail(record_id, g.secret), coordinators=cases.coordinators(),
                           organisations=[o for o in central_directory.organisations() if not o.retired],
                           with_key={o.id for o in central_directory.organisations()
                                     if partners.key_of(o.id)},
                           confirm=ConfirmForm(), overdue_days=cases.overdue_days())


@bp.post("/cases/<record_id>/assign")
@allow(Role.ADMIN, Role.COORDINATOR)
def case_assign(record_id: str) -> Any:
    _checked()
    chosen = request.form.get("assignee", type=int)
    try:
        cases.assign(record_id, chosen, username=g.user.username)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("central.case", record_id=record_id))


@bp.post("/cases/<record_id>/close")
@allow(Role.ADMIN, Role.COORDINATOR)
def case_close(record_id: str) -> Any:
    _checked()
    try:
        cases.close_case(record_id, username=g.user.username)
    except NotFound:
        abort(404)
    flash(_("The case is closed."), "info")
    return redirect(url_for("central.case", record_id=record_id))


@bp.route("/cases/<record_id>/refer", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.COORDINATOR)
def case_refer(record_id: str) -> Any:
    """Choose the organisation, the fields to share and the handover note (the record is opened:
    audited, as on its own page)."""
    org_id = request.values.get("organisation", "")
    try:
        org = central_directory.organisation(org_id)
        opened = central_records.open_received(record_id, username=g.user.username, secret=g.secret)
    except (NotFound, RecordNotFound):
        abort(404)
    except Locked as exc:
        return render_template("central/unlock.html", message=str(exc)), 403
    except AuditFailed:
        abort(503)
    except ServiceError as exc:
        return render_template("central/unreadable.html", record_id=record_id, message=str(exc)), 409
    status = 200
    if request.method == "POST":
        _checked()
        try:
            cases.refer(record_id, org.id, request.form.getlist("field"), request.form.get("note", ""),
                        username=g.user.username, secret=g.secret)
        except ServiceError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash(_("Referred to %(name)s. Its case workers see the shared fields and the note.",
                    name=org.name.get("en")), "info")
            return redirect(url_for("central.case", record_id=record_id))
    return render_template("central/case_refer.html", record_id=record_id, org=org, opened=opened,
                           fields=cases.shareable(opened), chosen=set(request.form.getlist("field")),
                           note=request.form.get("note", ""), confirm=ConfirmForm(),
                           signer=packages.signer_fingerprint()), status


@bp.post("/cases/<record_id>/package")
@allow(Role.ADMIN, Role.COORDINATOR)
def case_package(record_id: str) -> Any:
    """A cross-border referral package for an organisation with a public key (a file)."""
    _checked()
    try:
        data, name = packages.export(record_id, request.form.get("organisation", ""),
                                     request.form.getlist("field"), request.form.get("note", ""),
                                     username=g.user.username, secret=g.secret)
    except (NotFound, RecordNotFound):
        abort(404)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("central.case", record_id=record_id)), 303
    return Response(data, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/referrals/overdue")
@allow(Role.ADMIN, Role.COORDINATOR)
def overdue_referrals() -> Any:
    return render_template("central/overdue.html", items=cases.overdue(), days=cases.overdue_days())


# -- an organisation's case workers (administrators) -----------------------------------------

@bp.route("/directory/<org_id>/workers", methods=["GET", "POST"])
@allow(Role.ADMIN)
def case_workers(org_id: str) -> Any:
    try:
        org = central_directory.organisation(org_id)
    except NotFound:
        abort(404)
    status = 200
    if request.method == "POST":
        _checked()
        try:
            partners.create_case_worker(g.secret, org.id, request.form.get("username", ""),
                                        request.form.get("passphrase", ""), actor=g.user.username)
        except ServiceError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash(_("Case worker account made. Give them the passphrase in private."), "info")
            return redirect(url_for("central.case_workers", org_id=org.id))
    return render_template("central/case_workers.html", org=org, workers=partners.case_workers(org.id),
                           confirm=ConfirmForm()), status


@bp.post("/directory/<org_id>/workers/<int:user_id>/passphrase")
@allow(Role.ADMIN)
def case_worker_passphrase(org_id: str, user_id: int) -> Any:
    _checked()
    try:
        worker = partners.case_worker(user_id, org_id)
        partners.reset_case_worker(g.secret, worker, request.form.get("passphrase", ""),
                                   actor=g.user.username)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash(_("New passphrase set."), "info")
    return redirect(url_for("central.case_workers", org_id=org_id))


# -- partner case workers --------------------------------------------------------------------

@bp.get("/partner")
@allow(Role.PARTNER)
def partner_cases() -> Any:
    org = None
    try:
        org = central_directory.organisation(g.user.organisation_id or "")
    except NotFound:
        pass
    return render_template("central/partner_cases.html", org=org,
                           referrals=cases.for_organisation(g.user.organisation_id),
                           overdue_days=cases.overdue_days())


@bp.get("/partner/<referral_id>")
@allow(Role.PARTNER)
def partner_referral(referral_id: str) -> Any:
    try:
        part = cases.read_shared(referral_id, user=g.user, secret=g.secret)
    except NotFound:
        abort(404)
    except Locked as exc:
        return render_template("central/unlock.html", message=str(exc)), 403
    return render_template("central/partner_referral.html", part=part, labels=cases.field_labels(part.share),
                           steps=cases.STEPS, confirm=ConfirmForm())


@bp.post("/partner/<referral_id>/<kind>")
@allow(Role.PARTNER)
def partner_step(referral_id: str, kind: str) -> Any:
    _checked()
    try:
        cases.step(referral_id, kind, request.form.get("text", ""), user=g.user, secret=g.secret)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("central.partner_referral", referral_id=referral_id)), 303
    flash(_("Saved."), "info")
    return redirect(url_for("central.partner_referral", referral_id=referral_id))
