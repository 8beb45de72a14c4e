"""Which columns an export has and what each row puts in them (docs/exports.md "Columns").

Every column has a stable id (row 1 of the file), a label in the chosen language (row 2) and
a function from one record to its cell. Nothing here names a question: the columns follow the
questionnaire definitions (full export) or their declared facts (de-identified export), and a
question type is asked through the field-type registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.questionnaire import Definition, Question, htcds
from app.questionnaire.facts import ELEMENT_WORDS, TIER_WORDS, CatalogWords, FactSpec, translate
from app.questionnaire.fields import N_, field_type_of, show_answer
from app.questionnaire.fields.base import special_kind
from app.questionnaire.model import FactRule, Tier
from app.services.exports.cells import Cell
from app.text.dates import format_date

# A "not sure" or "prefers not to say" answer in a code column (the form's own raw tokens:
# no option value can be mistaken for them).
SPECIAL_CODES = {"unknown": "__unknown__", "declined": "__declined__"}
WORDS, ZAWGYI, LANG = ".label", ".zawgyi", ".lang"  # suffixes of a question's extra columns
OPTION = "/"  # a multiple-choice question's 0/1 column: question id, "/", option value
JOIN_CODES, JOIN_WORDS = " ", "; "


class ExportWords(CatalogWords):
    """Interface words from the catalogs, questionnaire texts and days in one language."""

    def day(self, iso: str) -> str:
        try:
            return format_date(date.fromisoformat(iso), self.lang)
        except ValueError:
            return iso


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    value: Callable[[Any], Cell]


@dataclass(frozen=True)
class Group:
    """Columns filled together by one function (a question's code, words and 0/1 columns)."""

    ids: tuple[str, ...]
    labels: tuple[str, ...]
    cells: Callable[[Any], Sequence[Cell]]

    @classmethod
    def of(cls, column: Column) -> Group:
        value = column.value
        return cls((column.id,), (column.label,), lambda row: (value(row),))


class FullRow:
    """One received record as the full export reads it."""

    __slots__ = ("body", "entries", "meta", "problem")

    def __init__(self, meta: Mapping[str, Any], body: Mapping[str, Any] | None = None,
                 problem: str = "") -> None:
        self.meta = meta  # record_id, station_id, station, seq, created_day, questionnaire, version
        self.body = body or {}
        self.problem = problem  # why the record could not be read ("" when it was)
        answers = self.body.get("answers")
        self.entries: Mapping[str, Any] = answers if isinstance(answers, dict) else {}


def htcds_name(item: object) -> str | None:
    """The ``htcds:`` name a question, option or fact rule declares (None: none)."""
    name = getattr(item, "htcds", None)
    return name if isinstance(name, str) and name else None


def _yes_no(question: Question) -> bool:
    return not question.options and set(field_type_of(question).option_values(question)) == {"yes", "no"}


def _number(value: object) -> Cell:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def answer_code(question: Question, stored: object, *, htcds: bool = False) -> Cell:
    """A stored answer as a code: option values (joined for several), the text as typed, the
    number, the day (ISO) or the age; specials as ``__unknown__`` / ``__declined__``."""
    if stored is None:
        return None
    special = special_kind(stored)
    if special is not None:
        return SPECIAL_CODES[special]
    if isinstance(stored, list):
        return JOIN_CODES.join(_option_code(question, str(v), htcds) for v in stored)
    if isinstance(stored, str):
        return _option_code(question, stored, htcds) if question.options else stored
    if isinstance(stored, int | float) and not isinstance(stored, bool):
        return _number(stored)
    value = field_type_of(question).expression_value(question, stored)
    if isinstance(value, list):
        return JOIN_CODES.join(value)
    return _number(value) if isinstance(value, int | float) else value


def _option_code(question: Question, value: str, htcds: bool) -> str:
    if htcds:
        option = question.option(value)
        name = htcds_name(option) if option is not None else None
        if name:
            return name
    return value


def _words(question: Question, stored: object, words: ExportWords) -> Cell:
    if stored is None:
        return None
    if isinstance(stored, list) and special_kind(stored) is None:
        labels = []
        for value in stored:
            option = question.option(str(value))
            labels.append(option.label.get(words.lang) if option else str(value))
        return JOIN_WORDS.join(labels)
    return show_answer(question, stored, words)


def _meta(key: str) -> Callable[[FullRow], Cell]:
    return lambda row: row.meta.get(key)


def _body(key: str) -> Callable[[FullRow], Cell]:
    def value(row: FullRow) -> Cell:
        found = row.body.get(key)
        return found if isinstance(found, str) else None
    return value


def _outcome(row: FullRow) -> Mapping[str, Any]:
    found = row.body.get("outcome")
    return found if isinstance(found, dict) else {}


def _override(row: FullRow) -> Mapping[str, Any]:
    found = row.body.get("override")
    return found if isinstance(found, dict) else {}


def _tier(row: FullRow) -> str | None:
    tier = _override(row).get("tier") or _outcome(row).get("tier")
    return str(tier) if tier else None


def _tier_words(code: str | None, lang: str) -> Cell:
    tier = Tier.of(code or "")
    return translate(TIER_WORDS[tier], lang) if tier is not None else code


def _flags(row: FullRow) -> list[Mapping[str, Any]]:
    return [f for f in _outcome(row).get("flags") or [] if isinstance(f, dict)]


def _positive_elements(row: FullRow) -> list[str]:
    return [str(e.get("element")) for e in _outcome(row).get("elements") or []
            if isinstance(e, dict) and e.get("positive")]


def _flag_ids(row: FullRow) -> Cell:
    return JOIN_CODES.join(str(f.get("id", "")) for f in _flags(row)) or None


def _element_codes(row: FullRow) -> Cell:
    return JOIN_CODES.join(_positive_elements(row)) or None


def _element_words(lang: str) -> Callable[[FullRow], Cell]:
    def value(row: FullRow) -> Cell:
        return JOIN_WORDS.join(translate(ELEMENT_WORDS[e], lang) if e in ELEMENT_WORDS else e
                               for e in _positive_elements(row)) or None
    return value


def _flag_words(definitions: Sequence[Definition], lang: str) -> Callable[[FullRow], Cell]:
    names: dict[str, str] = {}
    for definition in reversed(definitions):  # the newest wins
        for rule in definition.flags:
            names[rule.id] = rule.label.get(lang) if rule.label is not None else rule.code

    def value(row: FullRow) -> Cell:
        flags = _flags(row)
        return JOIN_WORDS.join(names.get(str(f.get("id")), str(f.get("code", ""))) for f in flags) or None
    return value


def _tier_column(definitions: Sequence[Definition], lang: str, named: bool) -> Column:
    """The outcome's code; with HTCDS names, under the tier fact's name and only ever as
    "possible victim" or empty (app/questionnaire/htcds.py)."""
    rule = next((r for d in definitions for r in d.facts if r.source == "tier" and r.htcds), None)
    if named and rule is not None and rule.htcds:
        return Column(rule.htcds, translate(N_("Outcome"), lang),
                      lambda row: htcds.tier_value(_tier(row) or "") or None)
    return Column("tier", translate(N_("Outcome"), lang), _tier)


def record_columns(definitions: Sequence[Definition], lang: str, *, htcds: bool = False) -> list[Column]:
    """The columns before the answers: what identifies the record and its outcome."""
    t = lambda msgid: translate(msgid, lang)  # noqa: E731 - a short alias keeps the table readable
    return [
        Column("record_id", t(N_("Record id")), _meta("record_id")),
        Column("station_id", t(N_("Station id")), _meta("station_id")),
        Column("station", t(N_("Station")), _meta("station")),
        Column("seq", t(N_("Number at the station")), _meta("seq")),
        Column("created_day", t(N_("Day")), _meta("created_day")),
        Column("questionnaire", t(N_("Questionnaire")), _meta("questionnaire")),
        Column("questionnaire_version", t(N_("Questionnaire version")), _meta("questionnaire_version")),
        Column("problem", t(N_("Could not be read")), lambda row: row.problem or None),
        Column("started_at", t(N_("Started")), _body("started_at")),
        Column("finalised_at", t(N_("Finalised")), _body("finalised_at")),
        Column("interview_language", t(N_("Interface language")), _body("interview_lang")),
        Column("respondent_language", t(N_("Respondent's language")), _body("respondent_lang")),
        _tier_column(definitions, lang, htcds),
        Column("tier" + WORDS, t(N_("Outcome (in words)")), lambda row: _tier_words(_tier(row), lang)),
        Column("computed_tier", t(N_("Outcome computed by the rules")),
               lambda row: _outcome(row).get("tier") or None),
        Column("override_reason", t(N_("Reason for changing the outcome")),
               lambda row: _override(row).get("reason") or None),
        Column("flags", t(N_("Flags")), _flag_ids),
        Column("flags" + WORDS, t(N_("Flags (in words)")), _flag_words(definitions, lang)),
        Column("elements", t(N_("Positive elements")), _element_codes),
        Column("elements" + WORDS, t(N_("Positive elements (in words)")), _element_words(lang)),
    ]


def answer_columns(definitions: Sequence[Definition], lang: str, *, htcds: bool = False,
                   answer_languages: bool = False) -> list[Group]:
    """Per answerable question, in the newest definition's order (then questions only older
    versions have): its code, its words (or, for free text, the Zawgyi original), a 0/1
    column per option of a multiple-choice question, and optionally the language on screen."""
    words = ExportWords(lang)
    return [_answer_group(question, words, htcds, answer_languages) for question in _questions(definitions)]


def _questions(definitions: Sequence[Definition]) -> Iterable[Question]:
    seen: set[str] = set()
    for definition in definitions:  # newest first
        for question in definition.questions():
            if question.id not in seen and field_type_of(question).answerable:
                seen.add(question.id)
                yield question


MEMO_LIMIT = 10_000  # answers whose cells are remembered per question (options repeat; dates less)


def _memo_key(stored: object) -> object:
    """A hashable stand-in for a stored answer, or None (not worth remembering)."""
    if isinstance(stored, str | int | float):
        return stored
    if isinstance(stored, list):
        return tuple(str(v) for v in stored)
    if isinstance(stored, dict):
        return tuple(sorted((str(k), str(v)) for k, v in stored.items()))
    return None


def _answer_group(question: Question, words: ExportWords, htcds: bool, answer_languages: bool) -> Group:
    """One question's columns, filled from one look-up of its answer: the code and words of
    an answer are worked out once per distinct answer (a full export repeats them a lot)."""
    lang = words.lang
    kind = field_type_of(question)
    qid = question.id
    named = htcds and htcds_name(question) is not None
    name = (htcds_name(question) if htcds else None) or qid
    label = question.label.get(lang)
    ids, labels = [name], [label]
    free = kind.free_text
    if free:
        ids.append(name + ZAWGYI)
        labels.append(f"{label} ({translate(N_('as typed in Zawgyi'), lang)})")
    else:
        ids.append(name + WORDS)
        labels.append(f"{label} ({translate(N_('in words'), lang)})")
    options = question.options if kind.fact == "options" else ()  # one 0/1 column each, as ODK has them
    for option in options:
        ids.append((htcds_name(option) if htcds else None) or f"{name}{OPTION}{option.value}")
        labels.append(f"{label}: {option.label.get(lang)}")
    if answer_languages:
        ids.append(name + LANG)
        labels.append(f"{label} ({translate(N_('language on screen'), lang)})")
    # An HTCDS name on a yes/no question is one picklist value's 0/1 column.
    as_01 = named and _yes_no(question)
    empty: tuple[Cell, ...] = (None,) * len(ids)
    memo: dict[object, list[Cell]] = {}

    def coded(stored: object) -> list[Cell]:
        key = stored if stored.__class__ is str else _memo_key(stored)  # (the common case first)
        found = memo.get(key) if key is not None else None
        if found is None:
            code = {"yes": 1, "no": 0}.get(str(stored)) if as_01 else \
                answer_code(question, stored, htcds=named)
            found = [code, _words(question, stored, words)]
            if options:
                chosen = stored if isinstance(stored, list) else None  # none, not sure, declined: no 0/1
                found += [None if chosen is None else int(o.value in chosen) for o in options]
            if key is not None and len(memo) < MEMO_LIMIT:
                memo[key] = found
        return found

    def cells(row: FullRow) -> Sequence[Cell]:
        entry = row.entries.get(qid)
        if not isinstance(entry, dict):
            return empty
        stored = entry.get("value")
        if free:
            original = entry.get("zawgyi_original")
            out = [stored if isinstance(stored, str) else answer_code(question, stored),
                   original if isinstance(original, str) else None]
        else:
            out = coded(stored)
        if answer_languages:
            on_screen = entry.get("lang")
            return [*out, on_screen if isinstance(on_screen, str) else None]
        return out

    return Group(tuple(ids), tuple(labels), cells)


def full_columns(definitions: Sequence[Definition], lang: str, *, htcds: bool = False,
                 answer_languages: bool = False) -> list[Group]:
    """Every column of a full export: the record's, then each question's."""
    return [Group.of(c) for c in record_columns(definitions, lang, htcds=htcds)] + \
        answer_columns(definitions, lang, htcds=htcds, answer_languages=answer_languages)


# --- de-identified: the facts ---------------------------------------------------------------

@dataclass
class FactsRow:
    station: str
    facts: Mapping[str, Any]


def facts_columns(specs: Sequence[FactSpec], definition: Definition, lang: str, *,
                  htcds: bool = False) -> list[Column]:
    """The station and each declared fact: its code(s), its words, and for a multi-valued fact
    a 0/1 column per code. With ``htcds``, a fact the definition names after an HTCDS field
    takes that name, and its codes the HTCDS values its question's options declare."""
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    rules = {rule.id: rule for rule in definition.facts}
    columns = [Column("station", t(N_("Station")), lambda row: row.station)]
    for spec in specs:
        rule = rules.get(spec.id)
        name = (htcds_name(rule) if htcds else None) or spec.id
        label = spec.label(lang)
        if name != spec.id and rule is not None:
            columns.append(Column(name, label, _fact_htcds_code(spec.id, rule, definition)))
        else:
            columns.append(Column(name, label, _fact_code(spec.id)))
        if spec.values:
            columns.append(Column(name + WORDS, f"{label} ({t(N_('in words'))})", _fact_words(spec, lang)))
        if spec.multi:
            for code in spec.values:
                columns.append(Column(f"{name}{OPTION}{code}", f"{label}: {spec.value_label(code, lang)}",
                                      _fact_has(spec.id, code)))
    return columns


def _fact_code(fact: str) -> Callable[[FactsRow], Cell]:
    def value(row: FactsRow) -> Cell:
        found = row.facts.get(fact)
        if isinstance(found, list):
            return JOIN_CODES.join(found) or None
        return found
    return value


def _fact_htcds_code(fact: str, rule: FactRule, definition: Definition) -> Callable[[FactsRow], Cell]:
    if rule.source == "tier":
        return lambda row: htcds.tier_value(str(row.facts.get(fact) or "")) or None
    question = definition.question(rule.question) if rule.question else None
    values_of: dict[str, str] = {}
    for option in question.options if question is not None else ():
        if option.htcds:
            values_of[option.value] = option.htcds

    def value(row: FactsRow) -> Cell:
        found = row.facts.get(fact)
        if isinstance(found, list):
            return JOIN_CODES.join(values_of.get(str(c), str(c)) for c in found) or None
        return values_of.get(found, found) if isinstance(found, str) else None
    return value


def _fact_words(spec: FactSpec, lang: str) -> Callable[[FactsRow], Cell]:
    def value(row: FactsRow) -> Cell:
        found = row.facts.get(spec.id)
        if isinstance(found, list):
            return JOIN_WORDS.join(spec.value_label(c, lang) for c in found) or None
        return spec.value_label(found, lang) if isinstance(found, str) else None
    return value


def _fact_has(fact: str, code: str) -> Callable[[FactsRow], Cell]:
    def value(row: FactsRow) -> Cell:
        found = row.facts.get(fact)
        return (1 if code in found else 0) if isinstance(found, list) else None
    return value
