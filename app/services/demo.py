"""Synthetic screenings for demonstrations and benchmarks.

Every generated name and free-text answer carries the marker text, so demo
data is easy to find (after unlocking). Demo records are encrypted exactly
like real ones; ``demo: true`` inside the envelope is what ``purge`` looks for.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from app.crypto import KeySet
from app.extensions import db
from app.languages import DEFAULT, TRANSLATED
from app.models import Record, User
from app.questionnaire import AnswerError, Definition, Question, check_answer, visible_questions
from app.services import questionnaires, records
from app.services.errors import RecordDamaged

LANGS = (*TRANSLATED, DEFAULT)  # every declared language, English last (the order seeds were made with)
NAMES = ("Aye", "Somchai", "Sokha", "Bounmy", "Mya", "Nok", "Dara", "Khamla", "Thida", "Lin")


def _raw(question: Question, rng: random.Random, marker: str, lean: float) -> object:
    """A plausible raw answer; ``lean`` near 1 gives many indicator answers, near 0 few."""
    free_text = question.type in ("consent", "text", "longtext")
    if rng.random() < 0.06 and question.allow_unknown and not free_text:
        return "__unknown__"
    if question.type == "consent":
        return "yes" if rng.random() < 0.92 else "no"
    if question.type == "yesno":
        return "yes" if rng.random() < lean else "no"
    if question.type == "single":
        return rng.choice(question.options).value
    if question.type == "multi":
        plain = [o.value for o in question.options if not o.exclusive]
        return rng.sample(plain, k=min(len(plain), rng.randint(1, 2)))
    if question.type in ("text", "longtext"):
        if question.id == "q_respondent_name":
            return f"{marker} {rng.choice(NAMES)}"
        return f"{marker} note {rng.randint(1, 999)}"
    if question.type == "number":
        low = int(question.min if question.min is not None else 0)
        high = int(question.max if question.max is not None else low + 20)
        return str(rng.randint(low, min(high, low + 20)))
    if question.type == "age_or_dob":
        return {"age": str(rng.choice([14, 16, 17, 19, 23, 28, 34, 41])), "dob": None}
    if question.type == "date":
        return {"date": (date.today() + timedelta(days=rng.randint(1, 30))).isoformat()}
    return None


def _answers(definition: Definition, rng: random.Random, marker: str) -> dict[str, object]:
    lean = rng.choice([0.05, 0.3, 0.6, 0.9])
    stored: dict[str, object] = {}
    raw_given: dict[str, object] = {}
    # Answer in document order, only what is visible given the answers so far.
    for _ in range(3):
        for question in visible_questions(definition, stored):
            if question.id in stored or question.type == "note":
                continue
            raw = _raw(question, rng, marker, lean)
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
