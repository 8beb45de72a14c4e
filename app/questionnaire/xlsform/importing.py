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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from warnings import catch_warnings, simplefilter

import yaml

from ..definition import build_definition, validate_data
from ..fields import N_
from ..model import Definition
from .layout import (
    CHOICES,
    CODES,
    FACTS,
    FLAGS,
    OUTCOME,
    SETTINGS,
    SURVEY,
)
from .problems import XLSFormError, XLSProblem
from .sheets import SheetRow, read_sheets
from .survey_rows import SurveyReader
from .tip_sheets import TipSheets


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


class _Reader(SurveyReader, TipSheets):
    """The whole workbook: settings, then the survey, then tip-screen's sheets."""

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
        data["flags"] = self.flags() + self.row_flags

        data["outcome"] = self.outcome()
        data["facts"] = self.facts()
        for n, (row, fact) in enumerate(self.row_facts, start=len(data["facts"])):
            self.where[f"facts[{n}]"] = (row, "tip_fact")
            data["facts"].append(fact)
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
                if column in ("tip_fact", "tip_flag") and rest:
                    key = f"{column}_{key}"  # a fact or flag declared by a survey row's columns
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


_COLUMN_OF = {"label": "label", "help": "hint", "text": "guidance_hint", "relevant": "relevant",
              "constraint": "constraint", "constraint_message": "constraint_message",
              "options": "type", "indicators": "tip_element", "htcds": "htcds", "id": "name",
              "type": "type", "unit": "tip_unit", "when": "when", "title": "label",
              "intro": "hint", "audience": "tip_audience", "code": "code", "level": "level",
              "action": "action", "question": "question", "source": "source", "bands": "bands",
              "value": "name", "core": "tip_core", "screener_only": "tip_screener_only"}
