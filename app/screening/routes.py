"""Screening pages: start, one section per page, autosave, review, outcome, slip, records list."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app import i18n, languages
from app.questionnaire import (
    AnswerError,
    active_flags,
    field_type_of,
    flags_of,
    normalize_answer,
    progress_position,
    score,
    visibility_walk,
    visible_questions,
    visible_sections,
)
from app.roles import SCREENERS
from app.screening import bp
from app.screening.answers import field_state, fingerprint, raw_answer
from app.screening.forms import ConfirmForm, FinaliseForm, StartForm
from app.screening.fragments import FieldState, Questions, Shown
from app.screening.labels import page_labels
from app.services import accounts, records, referrals
from app.services.errors import AnswersRejected, NotAllowed, RecordNotFound, ServiceError, ValidationFailed
from app.services.sync.client import feedback
from app.text.dates import parse_date
from app.web import chrome
from app.web.access import allow, safe_next
from app.web.errors import answers_json

STATE_FILTERS = tuple(records.ListState)


def _ui_lang() -> str:
    return str(get_locale() or i18n.DEFAULT_LOCALE)


def _open(record_id: str) -> records.OpenRecord:
    try:
        return records.open_record(record_id, g.user, g.keys)
    except RecordNotFound:
        abort(404)
    except NotAllowed as exc:
        return abort(403, description=str(exc))
    except ServiceError as exc:
        return abort(409, description=str(exc))


def _sections(opened: records.OpenRecord) -> list[Any]:
    shown = set(visible_sections(opened.definition, opened.answers))
    return [s for s in opened.definition.sections if s.id in shown]


def _flags(opened: records.OpenRecord) -> list[Any]:
    return active_flags(opened.definition, opened.answers)


@bp.get("/")
@allow(*SCREENERS)
def index() -> Any:
    wanted = request.args.get("state")
    state = records.ListState(wanted) if wanted in STATE_FILTERS else None
    since = _day(request.args.get("since"))
    until = _day(request.args.get("until"))
    items = records.list_for(g.user, g.keys, state=state, since=since, until=until)
    # What central's pulls said became of the referrals of these records.
    referred = feedback.for_records([str(r.id) for r in items], _ui_lang())
    return render_template("screening/list.html", items=items, state=state, since=since,
                           until=until, states=STATE_FILTERS, confirm=ConfirmForm(), referred=referred)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_date(text, _ui_lang(), buddhist_era=languages.buddhist_era(_ui_lang()))
    except ValueError:
        flash(_("Dates in the filter are written as YYYY-MM-DD."), "error")
        return None


@bp.route("/new", methods=["GET", "POST"])
@allow(*SCREENERS)
def new() -> Any:
    form = StartForm()
    if form.validate_on_submit():
        rec = records.create(g.user, g.keys, respondent_lang=form.respondent_lang.data or "en",
                             interview_lang=_ui_lang())
        first = records.open_record(rec.id, g.user, g.keys)
        return redirect(url_for("screening.section", record_id=rec.id,
                                section_id=_sections(first)[0].id))
    return render_template("screening/new.html", form=form), 400 if form.is_submitted() else 200


@bp.get("/<record_id>/")
@allow(*SCREENERS)
def resume(record_id: str) -> Any:
    opened = _open(record_id)
    if not opened.is_draft:
        return redirect(url_for("screening.outcome", record_id=record_id))
    answered = set(opened.answers)
    shown = {q.id for q in visible_questions(opened.definition, opened.answers)}
    sections = _sections(opened)
    # Resume at the first section with a shown question not yet answered (a hidden one cannot be).
    for section in sections:
        if any(q.id in shown and q.id not in answered and field_type_of(q).answerable
               for q in section.questions):
            return redirect(url_for("screening.section", record_id=record_id, section_id=section.id))
    return redirect(url_for("screening.review", record_id=record_id))


@bp.route("/<record_id>/s/<section_id>", methods=["GET", "POST"])
@allow(*SCREENERS)
def section(record_id: str, section_id: str) -> Any:
    opened = _open(record_id)
    if not opened.is_draft:
        return redirect(url_for("screening.outcome", record_id=record_id))
    definition = opened.definition
    current = definition.section(section_id) or abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        ConfirmForm().validate_on_submit() or abort(400)
        changed = {}
        for question in current.questions:
            if not field_type_of(question).answerable or f"seen-{question.id}" not in request.form:
                continue
            raw = raw_answer(question, request.form, _ui_lang())
            # Save only what this page changed, so another tab's answer is not overwritten.
            if not _unchanged(question, raw, request.form.get(f"seen-{question.id}")):
                changed[question.id] = raw
        try:
            if changed:
                records.save_answers(record_id, g.user, g.keys, changed, lang=opened.respondent_lang,
                                     officer_lang=_ui_lang())
        except AnswersRejected as exc:
            errors = exc.errors
        except ServiceError as exc:
            flash(str(exc), "error")
            return redirect(url_for("screening.section", record_id=record_id, section_id=section_id))
        if not errors:
            opened = _open(record_id)
            return redirect(_neighbour(opened, section_id, request.form.get("go", "next")))
    return _render_section(opened, current, errors, request.form if errors else None)


def _unchanged(question: Any, raw: object, seen: str | None) -> bool:
    """Whether the posted value is the one the page showed (then another tab's change stands)."""
    try:
        value = normalize_answer(question, raw)
    except AnswerError:
        return False  # let the save report the problem
    return fingerprint(value) == seen


def _neighbour(opened: records.OpenRecord, section_id: str, go: str) -> str:
    sections = _sections(opened)
    ids = [s.id for s in sections]
    rid = opened.record.id
    if go == "pause":
        flash(_("Paused. The screening is saved as a draft; resume it from the records list."), "info")
        return url_for("screening.index")
    if go == "review":
        return url_for("screening.review", record_id=rid)
    if section_id not in ids:
        return url_for("screening.section", record_id=rid, section_id=ids[0])
    pos = ids.index(section_id) + (-1 if go == "back" else 1)
    if pos < 0:
        return url_for("screening.section", record_id=rid, section_id=ids[0])
    if pos >= len(ids):
        return url_for("screening.review", record_id=rid)
    return url_for("screening.section", record_id=rid, section_id=ids[pos])


def _render_section(opened: records.OpenRecord, current: Any, errors: dict[str, str],
                    posted: Any) -> Any:
    definition, answers, ui_lang = opened.definition, opened.answers, _ui_lang()
    shown_ids, visible_list, effective = visibility_walk(definition, answers)  # one walk for all three
    shown = set(shown_ids)
    sections = [s for s in definition.sections if s.id in shown]
    visible = {q.id for q in visible_list}
    # Counted ahead: the sections an answer still to come may show count too.
    position, total = progress_position(definition, answers, current.id)
    status = 400 if errors else 200
    labels = page_labels(definition, opened.respondent_lang, ui_lang)
    offer = (referrals.offer_for(definition, answers, opened.respondent_lang)
             if any(q.id == referrals.REFERRAL_QUESTION for q in current.questions) else None)
    # What the questions' markup depends on besides the answers (the prepared pieces' key).
    words = {"card": request.args.get("view") == "card", "screener": current.audience == "screener",
             "resp_lang": opened.respondent_lang, "ui_lang": ui_lang, "t": labels.t,
             "in_both": labels.in_both, "gettext": labels.gettext,
             "referral_question": referrals.REFERRAL_QUESTION, "referral_offer": None,
             "post_country": referrals.post_country()}

    def state(q: Any) -> tuple[FieldState, Shown]:
        stored = answers.get(q.id)
        return (field_state(q, stored, posted, ui_lang),
                Shown(errors.get(q.id), errors.get(q.id, ""), q.id in visible, fingerprint(stored)))

    # With a signed directory the referral question's choices follow the answers: in full.
    in_full = {referrals.REFERRAL_QUESTION: {"referral_offer": offer}} if offer else {}
    frame_key = (current.id, words["card"], request.script_root)  # with labels: version and pair

    def section_frame(*values: object, caller: Any) -> Markup:
        """The page around its questions, prepared once per key (app/web/chrome.py)."""
        return chrome.prepared(labels.frames, frame_key, values, caller)

    return render_template(
        "screening/section.html", opened=opened, section=current, sections=sections,
        position=position, total=total, answers=answers, flags=flags_of(definition, effective),
        client_model=labels.client_model_json, languages=i18n.LOCALE_NAMES,
        unsaved_key=base64.b64encode(records.unsaved_answers_key(opened.record.id, g.keys)).decode(),
        question_html=Questions(labels.questions, dict(words), state, in_full),
        section_frame=section_frame, **words,
    ), status


@bp.get("/session")
@allow(*SCREENERS)
@answers_json
def session_check() -> Any:
    """For a section page's script: the station is there and the officer logged in (else the
    401 of the access check), with a form token for this session (a new login makes a new one)."""
    return jsonify(ok=True, csrf_token=generate_csrf())


@bp.post("/<record_id>/answer")
@allow(*SCREENERS)
@answers_json
def answer(record_id: str) -> Any:
    """Autosave: the browser posts one question's fields as soon as they change."""
    try:
        definition = records.definition_for(record_id, g.user)  # decrypts nothing
    except RecordNotFound:
        abort(404)
    except NotAllowed as exc:
        return jsonify(ok=False, errors={}, message=str(exc)), 403
    wanted = request.form.getlist("qid")
    raw: dict[str, object] = {}
    for qid in wanted:
        question = definition.question(qid)
        if question is None:
            return jsonify(ok=False, errors={qid: _("This question is not part of the questionnaire.")}), 400
        raw[qid] = raw_answer(question, request.form, _ui_lang())
    if not raw:
        return jsonify(ok=False, errors={}, message=_("Nothing to save.")), 400
    try:
        result = records.save_answers(record_id, g.user, g.keys, raw, officer_lang=_ui_lang())
    except AnswersRejected as exc:
        return jsonify(ok=False, errors=exc.errors, message=str(exc)), 400
    except NotAllowed as exc:
        return jsonify(ok=False, errors={}, message=str(exc)), 403
    except ServiceError as exc:  # final already, damaged, or busy elsewhere: nothing was saved
        return jsonify(ok=False, errors={}, message=str(exc)), 409
    stored = result.answers
    return jsonify(
        ok=True, saved=result.saved,
        answers={qid: stored.get(qid) for qid in result.saved},
        seen={qid: fingerprint(stored.get(qid)) for qid in result.saved},
        converted=result.converted and {q: True for q in result.converted},
        flags=[{"code": f.code, "level": f.level, "name": f.name(_ui_lang()),
                "action": f.action.get(_ui_lang())} for f in result.flags],
    )


@bp.post("/<record_id>/language")
@allow(*SCREENERS)
def language(record_id: str) -> Any:
    chosen = i18n.valid_locale(request.form.get("lang"))
    back = request.form.get("back") or url_for("screening.resume", record_id=record_id)
    if ConfirmForm().validate_on_submit() and chosen:
        try:
            records.set_languages(record_id, g.user, g.keys, respondent_lang=chosen)
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(safe_next(back) or url_for("screening.index"))


@bp.get("/<record_id>/review")
@allow(*SCREENERS)
def review(record_id: str) -> Any:
    opened = _open(record_id)
    visible = {q.id for q in visible_questions(opened.definition, opened.answers)}
    return render_template("screening/review.html", opened=opened, sections=_sections(opened),
                           visible=visible, answers=opened.answers, ui_lang=_ui_lang(),
                           resp_lang=opened.respondent_lang, flags=_flags(opened))


@bp.route("/<record_id>/outcome", methods=["GET", "POST"])
@allow(*SCREENERS)
def outcome(record_id: str) -> Any:
    opened = _open(record_id)
    form = FinaliseForm()
    status = 200
    if request.method == "POST" and opened.is_draft:
        if form.validate_on_submit():
            try:
                records.finalise(record_id, g.user, g.keys,
                                 override_tier=form.override_tier.data or None,
                                 override_reason=form.override_reason.data or "")
            except ValidationFailed as exc:
                form.override_reason.errors = [str(exc)]
                status = 400
            else:
                flash(_("The screening is final. It will be handed over at the next sync."), "info")
                return redirect(url_for("screening.outcome", record_id=record_id))
        else:
            status = 400
    final = not opened.is_draft
    computed = None if final else score(opened.definition, opened.answers)
    stored = opened.body.get("outcome") if final else records.outcome_dict(computed)  # type: ignore[arg-type]
    return render_template("screening/outcome.html", opened=opened, outcome=stored,
                           override=opened.body.get("override"), final=final, form=form,
                           flags=_flags(opened), ui_lang=_ui_lang(),
                           resp_lang=opened.respondent_lang), status


@bp.get("/<record_id>/slip")
@allow(*SCREENERS)
def slip(record_id: str) -> Any:
    """The handover document: who screened, where and when, whom to contact, what to mind."""
    opened = _open(record_id)
    outcome = opened.body.get("outcome") or records.outcome_dict(score(opened.definition, opened.answers))
    try:
        directory = referrals.shipped()
    except referrals.DirectoryError as exc:
        return abort(503, description=str(exc))  # a station setting to fix: say which and why
    chosen = opened.answers.get(referrals.REFERRAL_QUESTION)
    screener = accounts.get_user(opened.record.created_by) if opened.record.created_by else None
    return render_template(
        "screening/slip.html", opened=opened, outcome=outcome, override=opened.body.get("override"),
        flags=_flags(opened), directory=directory, ui_lang=_ui_lang(), resp_lang=opened.respondent_lang,
        organisations=referrals.chosen_organisations(chosen if isinstance(chosen, list) else [], directory),
        hotlines=referrals.hotlines(directory),
        screener=screener.shown_name if screener else "", answers=opened.answers)


@bp.route("/<record_id>/discard", methods=["GET", "POST"])
@allow(*SCREENERS)
def discard(record_id: str) -> Any:
    opened = _open(record_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            records.discard(record_id, g.user)
        except ValidationFailed as exc:
            flash(str(exc), "error")
        else:
            flash(_("The draft was discarded."), "info")
        return redirect(url_for("screening.index"))
    return render_template("screening/discard.html", opened=opened, form=form)
