"""Synthetic screenings for demonstrations and benchmarks.

Every generated name and free-text answer carries the marker text, so demo
data is easy to find (after unlocking). Demo records are encrypted exactly
like real ones; ``demo: true`` inside the envelope is what ``purge`` looks for.
"""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa

from app.crypto import KeySet
from app.extensions import db
from app.languages import DEFAULT, TRANSLATED
from app.models import Record, User
from app.questionnaire import (
    AnswerError,
    Definition,
    DemoContext,
    Question,
    check_answer,
    field_type_of,
    visible_questions,
)
from app.services import questionnaires, records
from app.services.errors import RecordDamaged

LANGS = (*TRANSLATED, DEFAULT)  # every declared language, English last (the order seeds were made with)
NAMES = ("Aye", "Somchai", "Sokha", "Bounmy", "Mya", "Nok", "Dara", "Khamla", "Thida", "Lin")
NAME_QUESTIONS = frozenset({"q_respondent_name"})


def _raw(question: Question, demo: DemoContext) -> object:
    """A plausible raw answer (each type makes up its own); now and then "not sure"."""
    kind = field_type_of(question)
    if (demo.rng.random() < 0.06 and question.allow_unknown and kind.allows_specials
            and not kind.free_text):
        return "__unknown__"
    return kind.demo_answer(question, demo)


def _answers(definition: Definition, rng: random.Random, marker: str) -> dict[str, object]:
    # ``lean`` near 1 gives many indicator answers, near 0 few.
    demo = DemoContext(rng=rng, marker=marker, lean=rng.choice([0.05, 0.3, 0.6, 0.9]),
                       today=date.today(), names=NAMES, name_questions=NAME_QUESTIONS)
    stored: dict[str, object] = {}
    raw_given: dict[str, object] = {}
    # Answer in document order, only what is visible given the answers so far.
    for _ in range(3):
        for question in visible_questions(definition, stored):
            if question.id in stored or not field_type_of(question).answerable:
                continue
            raw = _raw(question, demo)
            try:
                value = check_answer(definition, question.id, raw, stored)
            except AnswerError:
                continue
            if value is not None:
                stored[question.id] = value
                raw_given[question.id] = raw
    return raw_given


def generate(count: int, marker: str, owner: User, keys: KeySet, seed: int | None = None,
             definition: Definition | None = None) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    definition = definition or questionnaires.latest()
    made = []
    for _ in range(count):
        lang = rng.choice(LANGS)
        rec = records.create(owner, keys, respondent_lang=lang, interview_lang="th",
                             definition=definition)
        raw = _answers(definition, rng, marker)
        records.save_answers(rec.id, owner, keys, raw, lang=lang)
        records.mark_demo(rec.id, owner, keys)
        records.finalise(rec.id, owner, keys)
        made.append(rec.id)
    return made


def purge(keys: KeySet) -> int:
    """Delete every demo record these keys open: a user's own, an administrator's every one."""
    removed = 0
    for rec in list(db.session.scalars(sa.select(Record))):
        if not records.can_open(rec, keys):
            continue
        try:
            _, body = records.decrypt_record(rec, keys)
        except RecordDamaged:
            continue
        if body.get("demo"):
            db.session.delete(rec)
            removed += 1
    db.session.commit()
    records.checkpoint()
    return removed
