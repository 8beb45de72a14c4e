"""A definition as an XLSForm workbook (.xlsx) that imports back to an equal definition.

:func:`workbook_rows` lays the definition out as rows of named cells, sheet by sheet
(docs/xlsform.md describes every column); :func:`to_xlsform` writes them with openpyxl.
Each question gets its own choice list, named after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..facts import SPECIAL_WORDS, YES_NO_WORDS, translate
from ..fields import DEFAULT_MAX_LENGTH, N_, field_type_of
from ..model import Definition, Indicator, LocalText, Option, Question, Section
from .expressions import DECLINED_CHOICE, UNKNOWN_CHOICE, Names, from_xpath, to_xpath
from .layout import (
    CHOICES,
    CODES,
    EXACT_PREFIX,
    FACTS,
    FLAGS,
    OUTCOME,
    SELECTS,
    SETTINGS,
    SURVEY,
    YES,
    has_choices,
    language_header,
    natural_type,
)
from .problems import XLSFormError, XLSProblem
from .sheets import Row, Sheets, write_xlsx


def names_of(definition: Definition) -> Names:
    """The names a translation needs, as the export lays the definition out."""
    selects = {}
    for q in definition.questions():
        if _is_select(q):
            selects[q.id] = {choice: kind for kind, choice in _special_choices(q)}
    return Names(
        questions=frozenset(q.id for q in definition.questions()),
        selects=selects,
        parameters=frozenset(definition.parameters),
    )


def _is_select(question: Question) -> bool:
    return has_choices(field_type_of(question))


def _special_choices(question: Question) -> list[tuple[str, str]]:
    if not field_type_of(question).allows_specials or not _is_select(question):
        return []
    found = []
    if question.allow_unknown:
        found.append(("unknown", UNKNOWN_CHOICE))
    if question.allow_declined:
        found.append(("declined", DECLINED_CHOICE))
    return found


def _texts(row: Row, column: str, text: LocalText | None) -> None:
    if text is None:
        return
    for code in CODES:
        if text.texts.get(code):
            row[language_header(column, code)] = text.texts[code]


def _words(msgid: str) -> LocalText:
    return LocalText({code: translate(msgid, code) for code in CODES})


class _Writer:
    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.names = names_of(definition)
        self.sheets: Sheets = {SURVEY: [], CHOICES: [], SETTINGS: [], OUTCOME: [], FLAGS: [],
                               FACTS: []}

    # Expressions: the XLSForm text, and the engine's verbatim when the way back differs.
    def expression(self, row: Row, column: str, source: str | None,
                   names: Names | None = None) -> None:
        if source is None:
            return
        names = names or self.names
        row[column] = to_xpath(source, names)
        if _back(row[column], names) != source:
            row[EXACT_PREFIX + column] = source

    def run(self) -> Sheets:
        d = self.definition
        settings: Row = {"form_title": d.title.get("en"), "form_id": d.id, "version": d.version,
                         "default_language": language_header("label", "en").split("::")[1],
                         "tip_languages": " ".join(d.languages)}
        _texts(settings, "tip_title", d.title)
        _texts(settings, "tip_description", d.description)
        self.sheets[SETTINGS].append(settings)
        for name, value in d.parameters.items():
            self.sheets[SURVEY].append({"type": "calculate", "name": name,
                                        "calculation": _literal(value)})
        for section in d.sections:
            self.section(section)
        self.flags()
        self.outcome()
        self.facts()
        return self.sheets

    def section(self, section: Section) -> None:
        begin: Row = {"type": "begin_group", "name": section.id}
        _texts(begin, "label", section.title)
        _texts(begin, "hint", section.intro)
        self.expression(begin, "relevant", section.relevant)
        if section.audience != "respondent":
            begin["tip_audience"] = section.audience
        self.sheets[SURVEY].append(begin)
        for question in section.questions:
            self.question(question, section)
        self.sheets[SURVEY].append({"type": "end_group", "name": section.id})

    def question(self, q: Question, section: Section) -> None:
        kind = field_type_of(q)
        if not kind.xlsform_types:
            raise XLSFormError([XLSProblem("", 0, None, N_(
                "The question type %(type)s has no XLSForm form, so %(question)s cannot be "
                "exported."), {"type": kind.name, "question": q.id})])
        row: Row = {"type": self.xlsform_type(q), "name": q.id}
        _texts(row, "label", q.label)
        _texts(row, "hint", q.help)
        _texts(row, "guidance_hint", q.text)
        self.expression(row, "relevant", q.relevant)
        self.constraint(row, q)
        _texts(row, "constraint_message", q.constraint_message)
        if kind.xlsform_appearance:
            row["appearance"] = kind.xlsform_appearance
        if natural_type(kind.xlsform_type(q), kind.xlsform_appearance) is not kind:
            row["tip_type"] = kind.name
        if q.core:
            row["tip_core"] = YES
        if q.screener_only != (section.audience == "screener"):
            row["tip_screener_only"] = _yes_no(q.screener_only)
        if not (kind.allows_specials and _is_select(q)):
            # Outside choice lists, unknown and declined are columns (defaults as in YAML).
            if not q.allow_unknown:
                row["tip_unknown"] = "no"
            if q.allow_declined != (not q.screener_only):
                row["tip_declined"] = _yes_no(q.allow_declined)
        _texts(row, "tip_unit", q.unit)
        if q.htcds:
            row["htcds"] = q.htcds
        self.indicators(row, q.indicators, kind.default_indicator_when(q.id))
        self.sheets[SURVEY].append(row)
        if _is_select(q):
            self.choices(q)

    def xlsform_type(self, q: Question) -> str:
        base = field_type_of(q).xlsform_type(q)
        return f"{base} {q.id}" if base in SELECTS else base

    def constraint(self, row: Row, q: Question) -> None:
        ranges = _range_parts(q)
        names = Names(self.names.questions, self.names.selects, self.names.parameters, q.id)
        if not ranges:
            self.expression(row, "constraint", q.constraint, names)
            return
        parts = list(ranges)
        if q.constraint is not None:
            parts.append(f"({to_xpath(q.constraint, names)})")
            if _back(to_xpath(q.constraint, names), names) != q.constraint:
                row[EXACT_PREFIX + "constraint"] = q.constraint
        row["constraint"] = " and ".join(parts)

    def choices(self, q: Question) -> None:
        options: Iterable[Option | tuple[str, LocalText]]
        fixed = field_type_of(q).fixed_options
        if fixed:
            options = [(value, _words(YES_NO_WORDS.get(value, value))) for value in fixed]
        else:
            options = q.options
        for option in options:
            row: Row = {"list_name": q.id}
            if isinstance(option, Option):
                row["name"] = option.value
                _texts(row, "label", option.label)
                if option.exclusive:
                    row["tip_exclusive"] = YES
                if option.htcds:
                    row["htcds"] = option.htcds
                self.indicators(row, option.indicators, None)
            else:
                row["name"] = option[0]
                _texts(row, "label", option[1])
            self.sheets[CHOICES].append(row)
        for kind, choice in _special_choices(q):
            row = {"list_name": q.id, "name": choice}
            _texts(row, "label", _words(SPECIAL_WORDS["dont_know" if kind == "unknown" else kind]))
            self.sheets[CHOICES].append(row)

    def indicators(self, row: Row, indicators: tuple[Indicator, ...], default: str | None) -> None:
        for n, indicator in enumerate(indicators, start=1):
            suffix = "" if n == 1 else f"_{n}"
            row["tip_element" + suffix] = indicator.element
            row["tip_strength" + suffix] = indicator.adult
            if indicator.child != indicator.adult:
                row["tip_strength_child" + suffix] = indicator.child
            if indicator.when is not None and indicator.when != default:
                self.expression(row, "tip_when" + suffix, indicator.when)

    def flags(self) -> None:
        for flag in self.definition.flags:
            row: Row = {"id": flag.id, "code": flag.code, "level": flag.level}
            self.expression(row, "when", flag.when)
            _texts(row, "label", flag.label)
            _texts(row, "action", flag.action)
            self.sheets[FLAGS].append(row)

    def outcome(self) -> None:
        o = self.definition.outcome
        rows = self.sheets[OUTCOME]
        for group, members in o.groups.items():
            rows.append({"rule": "group", "name": group, "value": " ".join(members)})
        for combination in o.element_rule:
            rows.append({"rule": "element_rule", "value": " ".join(combination)})
        if o.child_when is not None:
            row: Row = {"rule": "child_when"}
            self.expression(row, "when", o.child_when)
            rows.append(row)
        rows.append({"rule": "refer_mdt", "name": "adult", "value": " ".join(o.refer_adult)})
        rows.append({"rule": "refer_mdt", "name": "child", "value": " ".join(o.refer_child)})
        rows.append({"rule": "strong_from", "value": " ".join(o.strong_from)})
        rows.append({"rule": "medium_from", "value": " ".join(o.medium_from)})
        rows.append({"rule": "medium_count", "value": o.medium_count})
        rows.append({"rule": "partial", "name": "adult", "value": o.partial_adult})
        rows.append({"rule": "partial", "name": "child", "value": o.partial_child})
        rows.append({"rule": "unknown_share", "value": o.unknown_share})
        for trigger in o.triggers:
            row = {"rule": "trigger", "name": trigger.reason}
            self.expression(row, "when", trigger.when)
            rows.append(row)
        rows.append({"rule": "labour_rights", "name": "groups", "value": " ".join(o.labour_groups)})
        rows.append({"rule": "labour_rights", "name": "min_indicators",
                     "value": o.labour_min_indicators})
        for tier, text in o.explanations.items():
            row = {"rule": "explanation", "name": tier}
            _texts(row, "label", text)
            rows.append(row)

    def facts(self) -> None:
        for fact in self.definition.facts:
            row: Row = {"id": fact.id}
            for column in ("question", "source", "element", "coarsen", "htcds"):
                if getattr(fact, column) is not None:
                    row[column] = getattr(fact, column)
            if fact.bands:
                row["bands"] = " ".join(str(b) for b in fact.bands)
            if fact.filter:
                row["filter"] = YES
            _texts(row, "label", fact.label)
            self.sheets[FACTS].append(row)


def _back(xpath: str, names: Names) -> str | None:
    try:
        return from_xpath(xpath, names)
    except ValueError:
        return None


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return f"'{text}'" if "'" not in text else f'"{text}"'


def _days(days: float) -> str:
    n = int(days)
    return "today()" if n == 0 else f"today() {'+' if n > 0 else '-'} {abs(n)}"


def _range_parts(q: Question) -> list[str]:
    """The question's range (``min``, ``max``, ``max_length``) as XLSForm constraint parts."""
    parts = []
    written = field_type_of(q).xlsform_range
    if written == "number":
        if q.min is not None:
            parts.append(f". >= {_num(q.min)}")
        if q.max is not None:
            parts.append(f". <= {_num(q.max)}")
    elif written == "days":
        if q.min is not None:
            parts.append(f". >= {_days(q.min)}")
        if q.max is not None:
            parts.append(f". <= {_days(q.max)}")
    elif written == "age" and q.max is not None:
        parts.append(f". <= {_num(q.max)}")
    elif written == "length" and q.max_length != DEFAULT_MAX_LENGTH:
        parts.append(f"string-length(.) <= {q.max_length}")
    return parts


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def workbook_rows(definition: Definition) -> Sheets:
    """The definition as XLSForm rows, sheet name -> rows of {column: value}."""
    return _Writer(definition).run()


def to_xlsform(definition: Definition) -> bytes:
    """The definition as an XLSForm .xlsx (docs/xlsform.md)."""
    return write_xlsx(workbook_rows(definition))
