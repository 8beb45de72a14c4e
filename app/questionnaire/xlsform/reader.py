"""The XLSForm reader's shared part: the columns each sheet reads, and the helpers every
sheet's reading uses (refusals and warnings at their cell, texts per language, expressions
translated with their exact text). :mod:`.survey_rows`, :mod:`.questions` and :mod:`.tip_sheets` build on it;
:mod:`.importing` puts them together."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..expr_parser import ExprError
from ..fields import N_
from .export import to_xpath
from .expressions import (
    Names,
    Untranslatable,
    engine_text,
    parse_xpath,
    to_engine,
)
from .layout import (
    CHOICES,
    EXACT_PREFIX,
    FACTS,
    FALSE_WORDS,
    FLAGS,
    LANGUAGE_NAMES,
    OUTCOME,
    SETTINGS,
    SURVEY,
    TRUE_WORDS,
)
from .problems import XLSProblem
from .sheets import SheetRow

DEFAULT_QUESTIONNAIRE = Path(__file__).resolve().parents[2] / "questionnaires" / "tip-default-1.1.0.yaml"

#: Choice names read as the engine's special answers (a ``tip_special`` column names others).
SPECIAL_NAMES = {"unknown": "unknown", "dont_know": "unknown", "dk": "unknown",
                 "declined": "declined", "refused": "declined", "prefer_not_to_say": "declined"}
#: Rows that record how a form was filled in, not a question: left out, with a warning.
METADATA_TYPES = frozenset({"start", "end", "today", "deviceid", "phonenumber", "simserial",
                            "subscriberid", "username", "email", "audit", "start-geopoint",
                            "background-audio", "imei", "uri:deviceid"})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE = re.compile(r"^(?P<name>[^()]*?)\s*(?:\((?P<code>[^()]+)\))?$")

# Columns read on each sheet (a language column is its base name); others are refused.
TEXT_COLUMNS = {SURVEY: {"label", "hint", "guidance_hint", "constraint_message", "tip_unit",
                         "tip_flag_label", "tip_flag_action",
                         "required_message"},
                CHOICES: {"label"}, SETTINGS: {"tip_title", "tip_description"},
                OUTCOME: {"label"}, FLAGS: {"label", "action"}, FACTS: {"label"}}
PLAIN_COLUMNS = {
    SURVEY: {"type", "name", "relevant", "constraint", "required", "appearance", "calculation",
             "tip_type", "tip_audience", "tip_core", "tip_screener_only", "tip_unknown",
             "tip_declined", "htcds", "read_only", "tip_fact", "tip_fact_bands",
             "tip_fact_coarsen", "tip_fact_filter", "tip_flag", "tip_flag_level", "tip_flag_when"},
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




def _words(value: str) -> bool | None:
    word = value.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None



class Base:
    def __init__(self, sheets: dict[str, list[SheetRow]], form_id: str | None,
                 version: str | None, source: str | None) -> None:
        self.sheets = sheets
        self.form_id, self.version, self.source = form_id, version, source
        self.problems: list[XLSProblem] = []
        self.warnings: list[XLSProblem] = []
        self.where: dict[str, tuple[SheetRow, str | None]] = {}
        self.default_language = "en"
        self.flag_rows: list[tuple[int, SheetRow]] = []
        self.languages_seen: set[str] = set()

        self.lists: dict[str, list[SheetRow]] = {}
        self.names = Names()
        self.parameters: dict[str, object] = {}
        self.title: dict[str, str] = {"en": "form"}
        self.row_facts: list[tuple[SheetRow, dict[str, Any]]] = []
        self.row_flags: list[dict[str, Any]] = []
        self.data: dict[str, Any] = {}

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

    def special_of(self, row: SheetRow) -> str | None:
        marked = row.plain("tip_special").lower()
        if marked:
            return marked if marked in ("unknown", "declined") else None
        return SPECIAL_NAMES.get(row.plain("name"))
