"""Central pages of the referral directory: the list (coordinators and administrators), and
adding, editing and retiring an organisation (administrators; docs/referrals.md)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.central import bp
from app.central.directory_forms import OrganisationForm
from app.central.forms import ConfirmForm
from app.roles import Role
from app.services.central import directory
from app.services.central import stations as central_stations
from app.services.errors import Locked, NotFound, ServiceError, ValidationFailed
from app.web.access import allow

NO_KEYS = _l("Central's keys are not open in this session, so the directory cannot be signed. Log out "
             "and in again with your passphrase. Nothing was saved.")


@bp.get("/directory")
@allow(Role.ADMIN, Role.COORDINATOR)
def directory_list() -> Any:
    version = directory.current_version()
    return render_template("central/directory.html", organisations=directory.organisations(),
                           version=version, made_at=directory.made_at(version) if version else None,
                           confirm=ConfirmForm())


def _custody() -> bytes:
    if g.secret is None:
        raise Locked(NO_KEYS)
    return bytes(g.secret)


def _save(form: OrganisationForm, org_id: str | None) -> Any:
    """Validate and store; None when the form must be shown again (with its errors)."""
    if not form.validate_on_submit():
        return None
    try:
        key, fingerprint = directory.key_and_fingerprint(form.public_key.data or "",
                                                         form.fingerprint.data or "")
    except ValidationFailed as exc:
        form.public_key.errors = [*form.public_key.errors, str(exc)]
        return None
    org = form.organisation(key, fingerprint)
    try:
        if org_id is None:
            _new_id, version = directory.add(_custody(), org, username=g.user.username)
        else:
            version = directory.edit(_custody(), org_id, org, username=g.user.username)
    except Locked:
        flash(str(NO_KEYS), "error")
        return None
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(str(exc), "error")
        return None
    flash(_("Saved: the referral directory is now version %(version)d. Stations take it at their next sync.",
            version=version), "info")
    return redirect(url_for("central.directory_list"))


@bp.route("/directory/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def directory_add() -> Any:
    form = OrganisationForm()
    done = _save(form, None)
    if done is not None:
        return done
    status = 400 if form.is_submitted() else 200
    return render_template("central/directory_edit.html", form=form, org=None), status


@bp.route("/directory/<org_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def directory_edit(org_id: str) -> Any:
    try:
        org = directory.organisation(org_id)
    except NotFound:
        abort(404)
    form = OrganisationForm()
    if not form.is_submitted():
        form.fill(org)
    done = _save(form, org_id)
    if done is not None:
        return done
    status = 400 if form.is_submitted() else 200
    return render_template("central/directory_edit.html", form=form, org=org), status


@bp.post("/directory/<org_id>/retire")
@allow(Role.ADMIN)
def directory_retire(org_id: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        org = directory.organisation(org_id)
        version = directory.retire(_custody(), org_id, username=g.user.username)
    except NotFound:
        abort(404)
    except Locked:
        flash(str(NO_KEYS), "error")
        return redirect(url_for("central.directory_list"))
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("central.directory_list"))
    if version is None:
        flash(_("%(name)s was retired already.", name=org.name.get("en")), "info")
    else:
        flash(_("%(name)s is retired: stations no longer offer it (old referrals still name it). The "
                "directory is now version %(version)d.", name=org.name.get("en"), version=version), "info")
    return redirect(url_for("central.directory_list"))


@bp.get("/import/answer/<station_id>")
@allow(Role.ADMIN)
def bundle_answer(station_id: str) -> Any:
    """The answer file for a station whose bundle was imported: carry it back on the stick."""
    if central_stations.station_name(station_id) is None:
        abort(404)
    data = directory.answer_file(station_id)
    return Response(data, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="central-answer.tipanswer"'})
