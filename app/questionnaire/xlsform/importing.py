"""An XLSForm (.xlsx) as a tip-screen definition (docs/xlsform.md).

pyxform first applies XLSForm's own rules (a form it refuses is refused with its
message); the sheets are then read with openpyxl, row by row, into the same data a YAML
definition file holds, which the definition loader checks and builds. Anything the engine
cannot do is refused with its sheet, row, column and construct; what is left out on
purpose (metadata rows, display hints) is listed as a warning.
"""

from __future__ import annotations

import io
import re
from warnings import catch_warnings, simplefilter

import yaml
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..definition import build_definition, load_definition, validate_data
from ..expr_parser import Binary, ExprError, Literal, Node, Ref, parse
from ..fields import N_
from ..model import Definition
from .expressions import Names, Untranslatable, _XCall, _XDot, engine_text, parse_xpath, to_engine
from .export import names_of, to_xpath
from .layout import (
    CHOICES,
    CODES,
    EXACT_PREFIX,
    FACTS,
    FALSE_WORDS,
    FLAGS,
    LANGUAGE_NAMES,
    OUTCOME,
    SETTINGS,
    SURVEY,
    TIP_TYPES,
    TRUE_WORDS,
)
from .problems import XLSFormError, XLSProblem
from .sheets import SheetRow, read_sheets

DEFAULT_QUESTIONNAIRE = Path(__file__).resolve().parents[2] / "questionnaires" / "tip-default-1.1.0.yaml"

#: Choice names read as the engine's special answers (a ``tip_special`` column names others).
SPECIAL_NAMES = {"unknown": "unknown", "dont_know": "unknown", "dk": "unknown",
                 "declined": "declined", "refused": "declined", "prefer_not_to_say": "declined"}
#: Rows that record how a form was filled in, not a question: left out, with a warning.
METADATA_TYPES = frozenset({"start", "end", "today", "deviceid", "phonenumber", "simserial",
                            "subscriberid", "username", "email", "audit", "start-geopoint",
                            "background-audio", "imei", "uri:deviceid"})
PLAIN_TYPES = {"text": "text", "integer": "number", "decimal": "number", "date": "date",
               "note": "note"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE = re.compile(r"^(?P<name>[^()]*?)\s*(?:\((?P<code>[^()]+)\))?$")

# Columns read on each sheet (a language column is its base name); others are refused.
TEXT_COLUMNS = {SURVEY: {"label", "hint", "guidance_hint", "constraint_message", "tip_unit",
                         "required_message"},
                CHOICES: {"label"}, SETTINGS: {"tip_title", "tip_description"},
                OUTCOME: {"label"}, FLAGS: {"label", "action"}, FACTS: {"label"}}
PLAIN_COLUMNS = {
    SURVEY: {"type", "name", "relevant", "constraint", "required", "appearance", "calculation",
             "tip_type", "tip_audience", "tip_core", "tip_screener_only", "tip_unknown",
             "tip_declined", "htcds", "read_only"},
    CHOICES: {"list_name", "name", "tip_exclusive", "htcds", "tip_special"},
    SETTINGS: {"form_title", "form_id", "version", "default_language", "tip_languages",
               "public_key", "submission_url", "instance_name", "style"},
    OUTCOME: {"rule", "name", "value", "when"},
    FLAGS: {"id", "code", "level", "when"},
    FACTS: {"id", "question", "source", "element", "bands", "coarsen", "filter", "htcds"},
}
UNSUPPORTED_COLUMNS = {
    "choice_filter": N_("choice_filter is not supported: a question's options do not depend on "
                        "earlier answers in tip-screen."),
    "default": N_("default is not supported: every question starts unanswered."),
    "repeat_count": N_("Repeats are not supported: a screening asks each question once."),
    "trigger": N_("trigger is not supported: answers are never calculated."),
    "parameters": N_("parameters is not supported by tip-screen's question types."),
    "media": N_("Images, audio and video are not supported."),
    "image": N_("Images, audio and video are not supported."),
    "audio": N_("Images, audio and video are not supported."),
    "video": N_("Images, audio and video are not supported."),
    "bind": N_("bind:: columns are not supported."),
    "instance": N_("instance:: columns are not supported."),
    "body": N_("body:: columns are not supported."),
}
INDICATOR_COLUMN = re.compile(r"^tip_(element|strength|strength_child|when)(_[0-9]+)?$")
ALIASES = {"list name": "list_name", "value": "name", "relevance": "relevant",
           "constraint_msg": "constraint_message", "jr:constraintmsg": "constraint_message",
           "caption": "label", "bind::relevant": "relevant", "bind::constraint": "constraint"}


@dataclass(frozen=True)
class Imported:
    definition: Definition
    data: dict[str, Any]  # the definition as a YAML file holds it (see :func:`definition_yaml`)
    warnings: tuple[XLSProblem, ...]


def from_xlsform(data: bytes, *, form_id: str | None = None, version: str | None = None,
                 source: str | None = None) -> Imported:
    """The definition an XLSForm describes, or :class:`XLSFormError` listing every problem.
    ``form_id`` and ``version`` replace the settings sheet's; ``source`` (a file name)
    gives an id when the sheet has none."""
    sheets = read_sheets(data)
    warnings = _pyxform_check(data)
    reader = _Reader(sheets, form_id, version, source)
    definition = reader.run()
    return Imported(definition, reader.data, tuple(warnings + reader.warnings))


def definition_yaml(imported: Imported, source: str) -> str:
    """The imported definition as a definition file (docs/questionnaire.md), which
    ``load_definition`` reads back to the same definition."""
    header = (f"# Imported from the XLSForm {source} (flask questionnaire import-xlsform).\n"
              "# Format: docs/questionnaire.md; XLSForm columns: docs/xlsform.md.\n")
    return header + yaml.safe_dump(imported.data, allow_unicode=True, sort_keys=False, width=100)


def _pyxform_check(data: bytes) -> list[XLSProblem]:
    """XLSForm's own rules, applied by pyxform: its refusal becomes ours."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    try:
        with catch_warnings():
            simplefilter("ignore", UserWarning)  # openpyxl's, about Excel features it drops
            convert(io.BytesIO(data), warnings=warnings, file_type=".xlsx")
    except PyXFormError as error:
        found = re.search(r"\[row\s*:\s*(\d+)\]", str(error))
        sheet = re.search(r"'(survey|choices|settings)'", str(error))
        raise XLSFormError([XLSProblem(sheet.group(1) if sheet else "",
                                       int(found.group(1)) if found else 0, None,
                                       N_("XLSForm rules (pyxform): %(error)s"),
                                       {"error": str(error)})]) from error
    except Exception as error:  # noqa: BLE001 - pyxform fails in many ways on odd workbooks
        raise XLSFormError([XLSProblem("", 0, None, N_("pyxform cannot read the form: %(error)s"),
                                       {"error": f"{type(error).__name__}: {error}"})]) from error
    return [XLSProblem("", 0, None, N_("pyxform: %(warning)s"), {"warning": w}) for w in warnings]


def _words(value: str) -> bool | None:
    word = value.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


class _Reader:
    def __init__(self, sheets: dict[str, list[SheetRow]], form_id: str | None,
                 version: str | None, source: str | None) -> None:
        self.sheets = sheets
        self.form_id, self.version, self.source = form_id, version, source
        self.problems: list[XLSProblem] = []
        self.warnings: list[XLSProblem] = []
        self.where: dict[str, tuple[SheetRow, str | None]] = {}
        self.default_language = "en"
        self.languages_seen: set[str] = set()

    # ------------------------------------------------------------------ helpers

    def refuse(self, row: SheetRow, column: str | None, message: str, /, **params: object) -> None:
        self.problems.append(row.problem(column, message, **params))

    def warn(self, row: SheetRow, column: str | None, message: str, /, **params: object) -> None:
        self.warnings.append(row.problem(column, message, **params))

    def language_of(self, row: SheetRow, key: str, language: str) -> str | None:
        match = _LANGUAGE.match(language)
        code = (match.group("code") or "").strip().lower() if match else ""
        name = (match.group("name") or "").strip().lower() if match else ""
        if code in LANGUAGE_NAMES:
            return code
        for known, english in LANGUAGE_NAMES.items():
            if name in (english.lower(), known) or (known == "my" and name == "myanmar"):
                return known
        self.refuse(row, key, N_("The language %(language)s is not one tip-screen speaks "
                                 "(English, Thai, Burmese, Lao, Khmer)."), language=language)
        return None

    def check_columns(self, sheet: str, row: SheetRow) -> None:
        """Refuse a filled cell in a column this sheet does not read (never dropped unseen)."""
        for key in list(row.keys()):
            base = ALIASES.get(key, key) if sheet in (SURVEY, CHOICES) else key
            if base != key:
                row.cells[base] = row.cells.pop(key)
            head = base.split("::")[0]
            if "::" in base and head in TEXT_COLUMNS[sheet]:
                continue
            if head in TEXT_COLUMNS[sheet] or head in PLAIN_COLUMNS[sheet]:
                continue
            if head.startswith(EXACT_PREFIX) or (sheet in (SURVEY, CHOICES)
                                                 and INDICATOR_COLUMN.match(head)):
                continue
            reason = UNSUPPORTED_COLUMNS.get(head) or UNSUPPORTED_COLUMNS.get(head.split(":")[0])
            if reason:
                self.refuse(row, base, reason)
            else:
                self.refuse(row, base, N_("The column %(column)s is not supported on the "
                                          "%(sheet)s sheet."),
                            column=row.cells[base].column, sheet=sheet)

    def texts(self, row: SheetRow, column: str) -> dict[str, str] | None:
        found: dict[str, str] = {}
        for key in row.keys():
            base, sep, language = key.partition("::")
            if base != column:
                continue
            code = self.language_of(row, key, language) if sep else self.default_language
            value = row.get(key)
            if code and value:
                found[code] = value
                self.languages_seen.add(code)
        return found or None

    def expression(self, row: SheetRow, column: str, names: Names,
                   text: str | None = None) -> str | None:
        """An XLSForm expression cell in the engine's language (or None, refusing it)."""
        source = row.plain(column) if text is None else text
        if not source:
            return None
        try:
            translated = engine_text(to_engine(parse_xpath(source), names))
        except Untranslatable as error:
            self.refuse(row, column, N_("%(construct)s: %(reason)s"),
                        construct=error.construct, reason=error.reason)
            return None
        return self.exact(row, column, names, translated, source)

    def exact(self, row: SheetRow, column: str, names: Names, translated: str,
              source: str) -> str:
        exact = row.plain(EXACT_PREFIX + column)
        if not exact:
            return translated
        try:
            same = to_xpath(exact, names) == source
        except ExprError:
            same = False
        if not same:
            self.refuse(row, EXACT_PREFIX + column, N_(
                "The column %(column)s no longer matches %(exact)s: it was edited. Delete the "
                "%(exact)s cell or write the same condition there."),
                column=column, exact=EXACT_PREFIX + column)
            return translated
        return exact

    def yes_no(self, row: SheetRow, column: str) -> bool | None:
        value = row.plain(column)
        if not value:
            return None
        word = _words(value)
        if word is None:
            self.refuse(row, column, N_("Write yes or no here, not %(value)s."), value=value)
        return word

    # ------------------------------------------------------------------ the whole form

    def run(self) -> Definition:
        for sheet in (SURVEY, CHOICES, SETTINGS, OUTCOME, FLAGS, FACTS):
            for row in self.sheets.get(sheet, []):
                self.check_columns(sheet, row)
        if SURVEY not in self.sheets:
            raise XLSFormError([XLSProblem("", 0, None, N_("The workbook has no survey sheet."))])
        data = self.settings()
        self.lists = self.choice_lists()
        self.collect_names()
        data["parameters"] = self.parameters
        data["sections"] = self.survey()
        data["flags"] = self.flags()
        data["outcome"] = self.outcome()
        data["facts"] = self.facts()
        if "languages" not in data:
            data["languages"] = [c for c in CODES if c in self.languages_seen] or ["en"]
        if not data["parameters"]:
            del data["parameters"]
        for key in ("flags", "facts"):
            if not data[key]:
                del data[key]
        self.data = data
        if self.problems:
            raise XLSFormError(self.problems)
        problems = validate_data(data)
        if problems:
            raise XLSFormError([self.located(p.location, p.message) for p in problems])
        return build_definition(data)

    def located(self, location: str, message: str) -> XLSProblem:
        """A definition problem (``sections[2].questions[1].relevant``) at its sheet cell."""
        path = location
        while path:
            if path in self.where:
                row, column = self.where[path]
                rest = location[len(path):].lstrip(".")
                key = _COLUMN_OF.get(rest.split(".")[0].split("[")[0], column) if rest else column
                return row.problem(key, N_("%(problem)s"), problem=message)
            path = path.rpartition(".")[0] if "." in path else ""
        return XLSProblem("", 0, None, N_("%(problem)s (%(location)s)"),
                          {"problem": message, "location": location})

    # ------------------------------------------------------------------ settings

    def settings(self) -> dict[str, Any]:
        rows = self.sheets.get(SETTINGS, [])
        row = rows[0] if rows else SheetRow(SETTINGS, 2)
        language = row.plain("default_language")
        if language:
            self.default_language = self.language_of(row, "default_language", language) or "en"
        for column in ("public_key", "submission_url", "instance_name", "style"):
            if row.plain(column):
                self.warn(row, column, N_("Not imported: the station sets %(column)s itself."),
                          column=column)
        data: dict[str, Any] = {}
        form_id = self.form_id or row.plain("form_id") or (
            Path(self.source).stem.lower().replace(" ", "_") if self.source else "")
        if not form_id:
            self.refuse(row, "form_id", N_("The form needs an id: fill in form_id."))
        data["id"] = form_id
        self.where["id"] = (row, "form_id")
        data["version"] = self.version or row.plain("version")
        self.where["version"] = (row, "version")
        if not data["version"]:
            self.refuse(row, "version", N_("The form needs a version, such as 1.0.0."))
        elif not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", data["version"]):
            self.refuse(row, "version", N_("The version %(version)s is not MAJOR.MINOR.PATCH "
                                           "(such as 1.0.0); give one with --version."),
                        version=data["version"])
        title = self.texts(row, "tip_title")
        if title is None:
            plain = row.plain("form_title") or form_id
            title = {"en": plain} if plain else None
        self.title = title or {"en": form_id or "form"}
        data["title"] = self.title
        self.where["title"] = (row, "form_title")
        description = self.texts(row, "tip_description")
        if description:
            data["description"] = description
        if row.plain("tip_languages"):
            data["languages"] = row.plain("tip_languages").split()
            self.where["languages"] = (row, "tip_languages")
        return data

    # ------------------------------------------------------------------ choices

    def choice_lists(self) -> dict[str, list[SheetRow]]:
        lists: dict[str, list[SheetRow]] = {}
        for row in self.sheets.get(CHOICES, []):
            name = row.plain("list_name")
            if not name:
                self.refuse(row, "list_name", N_("This choice has no list_name."))
                continue
            lists.setdefault(name, []).append(row)
            marked = row.plain("tip_special").lower()
            if marked and marked not in ("unknown", "declined"):
                self.refuse(row, "tip_special", N_("tip_special is unknown or declined, not "
                                                   "%(value)s."), value=marked)
        return lists

    def special_of(self, row: SheetRow) -> str | None:
        marked = row.plain("tip_special").lower()
        if marked:
            return marked if marked in ("unknown", "declined") else None
        return SPECIAL_NAMES.get(row.plain("name"))

    # ------------------------------------------------------------------ survey

    def survey_type(self, row: SheetRow) -> tuple[str, str | None]:
        """(kind, choice list): ``select one from L`` and ``select all that apply L`` are
        XLSForm's older spellings of ``select_one L`` and ``select_multiple L``."""
        text = " ".join(row.plain("type").split())
        lower = text.lower()
        if not text:
            return "", None
        if lower.endswith((" or_other", " or specify other")):
            return "or_other", None
        for prefix, kind in (("select_one ", "select_one"), ("select one from ", "select_one"),
                             ("select one ", "select_one"),
                             ("select_multiple ", "select_multiple"),
                             ("select multiple from ", "select_multiple"),
                             ("select multiple ", "select_multiple"),
                             ("select all that apply from ", "select_multiple"),
                             ("select all that apply ", "select_multiple")):
            if lower.startswith(prefix):
                rest = text[len(prefix):].split()
                return (kind, rest[0]) if len(rest) == 1 else ("bad_select", None)
        if lower in ("begin group", "end group", "begin repeat", "end repeat"):
            return lower.replace(" ", "_"), None
        if lower.replace(" ", "") in METADATA_TYPES:
            return lower.replace(" ", ""), None
        return lower, None

    def collect_names(self) -> None:
        """The question ids, the select questions' special choices, the parameters."""
        questions: set[str] = set()
        selects: dict[str, dict[str, str]] = {}
        self.parameters: dict[str, object] = {}
        for row in self.sheets[SURVEY]:
            kind, list_name = self.survey_type(row)
            name = row.plain("name")
            if kind == "calculate":
                value = _constant(row.plain("calculation"))
                if value is None:
                    self.refuse(row, "calculation", N_(
                        "Only a constant calculation (a number or a text: a parameter of the "
                        "questionnaire) is supported, not %(calculation)s."),
                        calculation=row.plain("calculation"))
                else:
                    self.parameters[name] = value
            elif kind in PLAIN_TYPES or kind in ("select_one", "select_multiple"):
                questions.add(name)
                if list_name is not None:
                    selects[name] = {c.plain("name"): s for c in self.lists.get(list_name, [])
                                     if (s := self.special_of(c))}
        self.names = Names(frozenset(questions), selects, frozenset(self.parameters))

    def survey(self) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = []
        current: dict[str, Any] | None = None
        in_group: SheetRow | None = None
        for row in self.sheets[SURVEY]:
            kind, list_name = self.survey_type(row)
            if kind == "":
                self.refuse(row, "type", N_("This row has cells but no type."))
            elif kind == "begin_group":
                if in_group is not None:
                    self.refuse(row, "type", N_("A group inside a group is not supported: "
                                                "tip-screen's sections do not nest."))
                    continue
                in_group = row
                current = self.section(row, len(sections))
                sections.append(current)
            elif kind == "end_group":
                if in_group is None:
                    self.refuse(row, "type", N_("end_group without begin_group."))
                in_group, current = None, None
            elif kind in ("begin_repeat", "end_repeat"):
                self.refuse(row, "type", N_("Repeats are not supported: a screening asks each "
                                            "question once."))
            elif kind == "calculate" or kind in METADATA_TYPES:
                if kind != "calculate":
                    self.warn(row, "type", N_("Not imported: %(type)s (the station records when "
                                              "and by whom a screening is made)."), type=kind)
            elif kind in PLAIN_TYPES or kind in ("select_one", "select_multiple"):
                if current is None:
                    current = self.loose_section(row, sections)
                    sections.append(current)
                path = f"sections[{len(sections) - 1}].questions[{len(current['questions'])}]"
                current["questions"].append(self.question(row, kind, list_name, current, path))
            elif kind == "or_other":
                self.refuse(row, "type", N_("or_other is not supported: add an option 'other' "
                                            "and a text question shown when it is chosen."))
            else:
                self.refuse(row, "type", N_("The type %(type)s has no tip-screen question type "
                                            "(supported: select_one, select_multiple, text, "
                                            "integer, decimal, date, note)."),
                            type=row.plain("type"))
        for section in sections:
            if not section["questions"]:
                begin = self.where[f"sections[{sections.index(section)}]"][0]
                self.refuse(begin, "type", N_("This group has no questions."))
        return sections

    def section(self, row: SheetRow, index: int) -> dict[str, Any]:
        section: dict[str, Any] = {"id": row.plain("name"), "questions": []}
        self.where[f"sections[{index}]"] = (row, "name")
        section["title"] = self.texts(row, "label") or {"en": row.plain("name")}
        intro = self.texts(row, "hint")
        if intro:
            section["intro"] = intro
        relevant = self.expression(row, "relevant", self.names)
        if relevant:
            section["relevant"] = relevant
        audience = row.plain("tip_audience")
        if audience:
            section["audience"] = audience
        for column in ("constraint", "required", "calculation"):
            if row.plain(column):
                self.refuse(row, column, N_("A group cannot have a %(column)s."), column=column)
        return section

    def loose_section(self, row: SheetRow, sections: list[dict[str, Any]]) -> dict[str, Any]:
        """Questions outside any group form a section of their own, named after the form."""
        number = sum(1 for s in sections if s["id"].startswith("questions")) + 1
        self.where[f"sections[{len(sections)}]"] = (row, "type")
        return {"id": "questions" if number == 1 else f"questions_{number}",
                "title": self.title, "questions": []}

    def question(self, row: SheetRow, kind: str, list_name: str | None,
                 section: dict[str, Any], path: str) -> dict[str, Any]:
        self.where[path] = (row, "name")
        name = row.plain("name")
        q: dict[str, Any] = {"id": name}
        engine_type = self.engine_type(row, kind)
        q["type"] = engine_type
        q["label"] = self.texts(row, "label") or {}
        if "en" not in q["label"]:
            self.refuse(row, "label", N_("The question %(name)s has no English label."),
                        name=name)
        help_text = self.texts(row, "hint")
        if help_text:
            q["help"] = help_text
        body = self.texts(row, "guidance_hint")
        if body:
            if engine_type in ("note", "consent"):
                q["text"] = body
            else:
                self.refuse(row, "guidance_hint", N_("guidance_hint is read only on a note (its "
                                                     "text) and a consent question (the text to "
                                                     "read aloud)."))
        relevant = self.expression(row, "relevant", self.names)
        if relevant:
            q["relevant"] = relevant
        self.constraint(row, q, engine_type)
        message = self.texts(row, "constraint_message")
        if message:
            q["constraint_message"] = message
        if row.plain("required") and _words(row.plain("required")) is not False:
            self.warn(row, "required", N_("required is not enforced: in tip-screen every question "
                                          "may be skipped, or answered not sure or prefers not "
                                          "to say."))
        if row.plain("read_only") and _words(row.plain("read_only")) is not False:
            self.refuse(row, "read_only", N_("read_only questions are not supported."))
        appearance = row.plain("appearance")
        if appearance and not (appearance == "multiline" and kind == "text"):
            self.warn(row, "appearance", N_("appearance %(appearance)s is not used: tip-screen "
                                            "lays out its own pages."), appearance=appearance)
        for column in ("tip_core", "tip_screener_only"):
            value = self.yes_no(row, column)
            if value is not None:
                q[column.removeprefix("tip_")] = value
        unit = self.texts(row, "tip_unit")
        if unit:
            q["unit"] = unit
        if row.plain("htcds"):
            q["htcds"] = row.plain("htcds")
        q["indicators"] = self.indicators(row, Names(self.names.questions, self.names.selects,
                                                     self.names.parameters))
        if not q["indicators"]:
            del q["indicators"]
        if list_name is not None:
            self.options(row, q, list_name, path)
        if list_name is None or engine_type == "consent":
            # Outside choice lists, "not sure" and "prefers not to say" are columns.
            for column in ("tip_unknown", "tip_declined"):
                value = self.yes_no(row, column)
                if value is not None:
                    q["allow_" + column.removeprefix("tip_")] = value
        return q

    def engine_type(self, row: SheetRow, kind: str) -> str:
        tip_type = row.plain("tip_type")
        if kind in ("select_one", "select_multiple"):
            base = "single" if kind == "select_one" else "multi"
        else:
            base = PLAIN_TYPES[kind]
            if kind == "text" and row.plain("appearance") == "multiline":
                base = "longtext"
        if not tip_type:
            return base
        fits = {"yesno": "select_one", "consent": "select_one", "age_or_dob": "integer"}
        if tip_type not in TIP_TYPES or fits[tip_type] != kind:
            self.refuse(row, "tip_type", N_("tip_type %(tip_type)s does not fit the type "
                                            "%(type)s (yesno and consent: select_one; age_or_dob: "
                                            "integer)."), tip_type=tip_type, type=kind)
            return base
        return tip_type

    def options(self, row: SheetRow, q: dict[str, Any], list_name: str, path: str) -> None:
        choices = self.lists.get(list_name)
        if not choices:
            self.refuse(row, "type", N_("The choice list %(list)s is not on the choices sheet."),
                        list=list_name)
            return
        specials = {s for c in choices if (s := self.special_of(c))}
        if q["type"] != "consent":
            q["allow_unknown"] = "unknown" in specials
            q["allow_declined"] = "declined" in specials
        plain = [c for c in choices if not self.special_of(c)]
        if q["type"] in ("yesno", "consent"):
            names = [c.plain("name") for c in plain]
            if sorted(names) != ["no", "yes"]:
                self.refuse(row, "type", N_("A %(tip_type)s question's list has exactly the "
                                            "choices yes and no (and not sure, declined)."),
                            tip_type=q["type"])
            if q["type"] == "consent" and specials:
                self.refuse(row, "type", N_("A consent question cannot be answered not sure or "
                                            "declined: remove those choices from its list."))
            return
        options = []
        for n, choice in enumerate(plain):
            self.where[f"{path}.options[{n}]"] = (choice, "name")
            option: dict[str, Any] = {"value": choice.plain("name"),
                                      "label": self.texts(choice, "label") or {}}
            if "en" not in option["label"]:
                self.refuse(choice, "label", N_("The choice %(name)s has no English label."),
                            name=choice.plain("name"))
            exclusive = self.yes_no(choice, "tip_exclusive")
            if exclusive:
                option["exclusive"] = True
            if choice.plain("htcds"):
                option["htcds"] = choice.plain("htcds")
            indicators = self.indicators(choice, self.names)
            if indicators:
                option["indicators"] = indicators
            options.append(option)
        q["options"] = options

    def constraint(self, row: SheetRow, q: dict[str, Any], engine_type: str) -> None:
        source = row.plain("constraint")
        if not source:
            return
        names = Names(self.names.questions, self.names.selects, self.names.parameters, q["id"])
        try:
            tree = parse_xpath(source)
            rest = _take_ranges(tree, q, engine_type)
            nodes = [to_engine(part, names) for part in rest]
        except Untranslatable as error:
            self.refuse(row, "constraint", N_("%(construct)s: %(reason)s"),
                        construct=error.construct, reason=error.reason)
            return
        if not nodes:
            return
        tree_out: Node = nodes[0]
        for node in nodes[1:]:
            tree_out = Binary("and", tree_out, node)
        translated = engine_text(tree_out)
        # The exact column holds the engine's constraint alone, without the range parts.
        exact = row.plain(EXACT_PREFIX + "constraint")
        if exact:
            try:
                same = parse(exact) == parse(translated)
            except ExprError:
                same = False
            if not same:
                self.refuse(row, EXACT_PREFIX + "constraint", N_(
                    "The column %(column)s no longer matches %(exact)s: it was edited. Delete "
                    "the %(exact)s cell or write the same condition there."),
                    column="constraint", exact=EXACT_PREFIX + "constraint")
            else:
                translated = exact
        q["constraint"] = translated

    def indicators(self, row: SheetRow, names: Names) -> list[dict[str, Any]]:
        """tip_element, tip_strength, tip_strength_child, tip_when; then the same with _2, _3."""
        numbers = sorted({int(m.group(2)[1:]) if m.group(2) else 1
                          for key in row.keys() if (m := INDICATOR_COLUMN.match(key))})
        found = []
        for n in numbers:
            suffix = "" if n == 1 else f"_{n}"
            element = row.plain("tip_element" + suffix)
            strength = row.plain("tip_strength" + suffix)
            if not element or not strength:
                self.refuse(row, "tip_element" + suffix if not element else "tip_strength" + suffix,
                            N_("An indicator needs both tip_element%(suffix)s and "
                               "tip_strength%(suffix)s."), suffix=suffix)
            indicator: dict[str, Any] = {"element": element, "adult": strength}
            child = row.plain("tip_strength_child" + suffix)
            if child:
                indicator["child"] = child
            when = self.expression(row, "tip_when" + suffix, names)
            if when:
                indicator["when"] = when
            found.append(indicator)
        return found

    # ------------------------------------------------------------------ tip sheets

    def flags(self) -> list[dict[str, Any]]:
        flags = []
        for n, row in enumerate(self.sheets.get(FLAGS, [])):
            self.where[f"flags[{n}]"] = (row, "id")
            flag: dict[str, Any] = {"id": row.plain("id"), "code": row.plain("code")}
            if row.plain("level"):
                flag["level"] = row.plain("level")
            flag["when"] = self.expression(row, "when", self.names) or ""
            label = self.texts(row, "label")
            if label:
                flag["label"] = label
            flag["action"] = self.texts(row, "action") or {}
            flags.append(flag)
        return flags

    def facts(self) -> list[dict[str, Any]]:
        facts = []
        for n, row in enumerate(self.sheets.get(FACTS, [])):
            self.where[f"facts[{n}]"] = (row, "id")
            fact: dict[str, Any] = {"id": row.plain("id"), "label": self.texts(row, "label") or {}}
            for column in ("question", "source", "element", "coarsen", "htcds"):
                if row.plain(column):
                    fact[column] = row.plain(column)
            if row.plain("bands"):
                try:
                    fact["bands"] = [int(b) for b in row.plain("bands").replace(",", " ").split()]
                except ValueError:
                    self.refuse(row, "bands", N_("bands are whole numbers separated by spaces."))
            if self.yes_no(row, "filter"):
                fact["filter"] = True
            facts.append(fact)
        return facts

    def outcome(self) -> dict[str, Any]:
        rows = self.sheets.get(OUTCOME)
        if not rows:
            placeholder = SheetRow(SURVEY, 0)
            self.warn(placeholder, None, N_("The workbook has no tip_outcome sheet: the default "
                                            "questionnaire's outcome rules are used (without its "
                                            "child rule and triggers)."))
            return _default_outcome()
        outcome: dict[str, Any] = {"groups": {}, "explanations": {}}
        possible: dict[str, Any] = {}
        self.where["outcome"] = (rows[0], "rule")
        readers: dict[str, Callable[[SheetRow, str, str], None]] = {}

        def number(row: SheetRow, value: str, cast: type) -> object:
            try:
                return cast(value)
            except ValueError:
                self.refuse(row, "value", N_("%(value)s is not a number."), value=value)
                return 0

        def group(row: SheetRow, name: str, value: str) -> None:
            outcome["groups"][name] = value.split()

        def element_rule(row: SheetRow, name: str, value: str) -> None:
            outcome.setdefault("element_rule", []).append(value.split())

        def child_when(row: SheetRow, name: str, value: str) -> None:
            when = self.expression(row, "when", self.names)
            if when:
                outcome["child_when"] = when

        def refer(row: SheetRow, name: str, value: str) -> None:
            outcome.setdefault("refer_mdt", {})[name] = value.split()

        def lists(key: str) -> Callable[[SheetRow, str, str], None]:
            return lambda row, name, value: possible.__setitem__(key, value.split())

        def medium_count(row: SheetRow, name: str, value: str) -> None:
            possible["medium_count"] = number(row, value, int)

        def partial(row: SheetRow, name: str, value: str) -> None:
            possible.setdefault("partial", {})[name] = number(row, value, int)

        def unknown_share(row: SheetRow, name: str, value: str) -> None:
            possible["unknown_share"] = number(row, value, float)

        def trigger(row: SheetRow, name: str, value: str) -> None:
            when = self.expression(row, "when", self.names) or ""
            possible.setdefault("triggers", []).append({"when": when, "reason": name})

        def labour(row: SheetRow, name: str, value: str) -> None:
            labour_rights = outcome.setdefault("labour_rights", {})
            if name == "groups":
                labour_rights["groups"] = value.split()
            elif name == "min_indicators":
                labour_rights["min_indicators"] = number(row, value, int)
            else:
                self.refuse(row, "name", N_("labour_rights takes groups or min_indicators."))

        def explanation(row: SheetRow, name: str, value: str) -> None:
            outcome["explanations"][name] = self.texts(row, "label") or {}

        readers.update(group=group, element_rule=element_rule, child_when=child_when,
                       refer_mdt=refer, strong_from=lists("strong_from"),
                       medium_from=lists("medium_from"), medium_count=medium_count,
                       partial=partial, unknown_share=unknown_share, trigger=trigger,
                       labour_rights=labour, explanation=explanation)
        for row in rows:
            rule = row.plain("rule")
            if rule not in readers:
                self.refuse(row, "rule", N_("Unknown outcome rule %(rule)s."), rule=rule)
                continue
            readers[rule](row, row.plain("name"), row.plain("value"))
        if possible:
            outcome["possible_victim"] = possible
        return outcome


_COLUMN_OF = {"label": "label", "help": "hint", "text": "guidance_hint", "relevant": "relevant",
              "constraint": "constraint", "constraint_message": "constraint_message",
              "options": "type", "indicators": "tip_element", "htcds": "htcds", "id": "name",
              "type": "type", "unit": "tip_unit", "when": "when", "title": "label",
              "intro": "hint", "audience": "tip_audience", "code": "code", "level": "level",
              "action": "action", "question": "question", "source": "source", "bands": "bands",
              "value": "name", "core": "tip_core", "screener_only": "tip_screener_only"}


def _constant(text: str) -> object:
    """A calculate row's constant: a number, a quoted text or true()/false(); else None."""
    text = text.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]*\.[0-9]+", text):
        return float(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return None


def _days(node: object) -> float | None:
    """``today()``, ``today() + N`` or ``today() - N`` as N days; else None."""
    if isinstance(node, _XCall) and node.name == "today" and not node.args:
        return 0
    if (isinstance(node, Binary) and node.op in ("+", "-") and _days(node.left) == 0
            and isinstance(node.right, Literal) and isinstance(node.right.value, float)):
        return node.right.value if node.op == "+" else -node.right.value
    return None


def _conjuncts(node: object) -> list[object]:
    if isinstance(node, Binary) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _take_ranges(tree: object, q: dict[str, Any], engine_type: str) -> list[Any]:
    """Move ``. >= N`` / ``. <= N`` (numbers, ages), ``. >= today()`` (dates) and
    ``string-length(.) <= N`` (text) from a constraint into ``min``/``max``/``max_length``;
    the other parts are returned."""
    rest = []
    for part in _conjuncts(tree):
        key, value = _range(part, engine_type)
        if key is not None and key not in q:
            q[key] = value
        else:
            if isinstance(part, _XCall) and part.name == "today":
                raise Untranslatable("today()", "today() is supported only in a date question's "
                                     "constraint, as . >= today() or . <= today() (plus or "
                                     "minus days)")
            rest.append(part)
    return rest


def _range(part: object, engine_type: str) -> tuple[str | None, object]:
    if not (isinstance(part, Binary) and part.op in (">=", "<=")):
        return None, None
    key = "min" if part.op == ">=" else "max"
    if isinstance(part.left, _XDot):
        right = part.right
        if engine_type == "number" and isinstance(right, Literal) and isinstance(right.value, float):
            return key, _plain_number(right.value)
        if engine_type == "age_or_dob" and key == "max" and isinstance(right, Literal) \
                and isinstance(right.value, float):
            return key, _plain_number(right.value)
        if engine_type == "date" and (days := _days(right)) is not None:
            return key, int(days)
    if (engine_type in ("text", "longtext") and key == "max" and isinstance(part.left, _XCall)
            and part.left.name == "string-length" and len(part.left.args) == 1
            and isinstance(part.left.args[0], _XDot) and isinstance(part.right, Literal)
            and isinstance(part.right.value, float) and part.right.value.is_integer()):
        return "max_length", int(part.right.value)
    return None, None


def _plain_number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _default_outcome() -> dict[str, Any]:
    """The shipped default questionnaire's outcome rules, minus what names its questions."""
    definition = load_definition(DEFAULT_QUESTIONNAIRE)
    o = definition.outcome
    return {
        "groups": {k: list(v) for k, v in o.groups.items()},
        "element_rule": [list(c) for c in o.element_rule],
        "refer_mdt": {"adult": list(o.refer_adult), "child": list(o.refer_child)},
        "possible_victim": {"strong_from": list(o.strong_from), "medium_from": list(o.medium_from),
                            "medium_count": o.medium_count,
                            "partial": {"adult": o.partial_adult, "child": o.partial_child},
                            "unknown_share": o.unknown_share},
        "labour_rights": {"groups": list(o.labour_groups),
                          "min_indicators": o.labour_min_indicators},
        "explanations": {k: dict(v.texts) for k, v in o.explanations.items()},
    }


