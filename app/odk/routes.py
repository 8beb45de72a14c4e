"""The OpenRosa endpoints Collect uses: the form list, each form, the submission.

Thin: parse the request, call :mod:`app.services.odk`, answer in OpenRosa's words.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext as _

from app.odk import bp
from app.protocol.openrosa import OPENROSA_VERSION, ListedForm, form_list
from app.services.errors import Locked, SubmissionRefused
from app.services.odk import forms, submissions
from app.services.odk import keys as odk_keys
from app.services.odk.phones import Phone
from app.web.access import phone_basic
from app.web.openrosa import answer, message

MANIFEST_PART = "xml_submission_file"


@bp.after_request
def _openrosa_version(response: Any) -> Any:
    """Every answer here says it speaks OpenRosa 1.0, the app's own error pages included
    (a request over the size limit, a fault)."""
    response.headers.setdefault("X-OpenRosa-Version", OPENROSA_VERSION)
    return response


def _public_key(phone: Phone) -> bytes | None:
    """The station's RSA key for phones (made at the first phone request); None if this
    account's key set cannot reach the signing key that wraps it (after a re-key it has not
    caught up with: its next web login takes the new key)."""
    try:
        return odk_keys.ensure_key_pair(phone.keys)
    except Locked:
        return None


def _locked() -> Any:
    return message(_("Your key could not be unlocked. Log in once on the station's own pages, "
                     "then try again."), 403)


@bp.get("/formList")
@phone_basic
def form_list_view(phone: Phone) -> Any:
    public = _public_key(phone)
    if public is None:
        return _locked()
    listed = []
    for definition in forms.listed():
        served = forms.xform(definition, public)
        listed.append(ListedForm(
            form_id=definition.id, name=definition.title.get(phone.user.locale or "en"),
            version=definition.version, md5_hex=served.md5_hex,
            download_url=url_for("odk.form", questionnaire_id=definition.id,
                                 version=definition.version, _external=True)))
    return answer(form_list(listed))


@bp.get("/forms/<questionnaire_id>/<version>")
@phone_basic
def form(phone: Phone, questionnaire_id: str, version: str) -> Any:
    definition = forms.find(questionnaire_id, version)
    if definition is None:
        return message(_("This form is not on this station."), 404)
    public = _public_key(phone)
    if public is None:
        return _locked()
    return answer(forms.xform(definition, public).xml)


@bp.route("/submission", methods=["HEAD", "POST"])
@phone_basic
def submission(phone: Phone) -> Any:
    if request.method == "HEAD":
        # Collect's pre-flight: credentials are right, and how large a request may be.
        out = answer(b"", 204)
        out.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_CONTENT_LENGTH"])
        return out
    manifest = request.files.get(MANIFEST_PART)
    if manifest is None:
        return message(_("The submission has no form in it. Nothing was stored."), 400)
    files = {f.filename: f.read() for name, f in request.files.items(multi=True)
             if name != MANIFEST_PART and f.filename}
    try:
        received = submissions.receive(phone, manifest.read(), files)
    except SubmissionRefused as exc:
        return message(str(exc), exc.status)
    except Locked as exc:
        return message(str(exc), 403)
    if received.result is submissions.Received.DUPLICATE:
        return message(_("This screening was already received by the station."), 201,
                       nature="submit_success")
    return message(_("Received by the station: the screening is final and waits to be sent to central."),
                   201, nature="submit_success")
