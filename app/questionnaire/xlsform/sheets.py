"""An .xlsx workbook as rows of named cells, each cell knowing its sheet, row and column."""

from __future__ import annotations

import datetime
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..fields import N_
from .problems import XLSFormError, XLSProblem


@dataclass(frozen=True)
class Cell:
    value: str
    column: str  # the header as written, e.g. "label::Thai (th)"
    letter: str  # the spreadsheet column, e.g. "C"


@dataclass
class SheetRow:
    sheet: str
    number: int  # the spreadsheet's row number (the header is row 1 on most sheets)
    cells: dict[str, Cell] = field(default_factory=dict)  # key: normalized header

    def get(self, key: str) -> str | None:
        cell = self.cells.get(key)
        return cell.value if cell else None

    def plain(self, key: str) -> str:
        """The cell without surrounding spaces; ``""`` when empty."""
        return (self.get(key) or "").strip()

    def problem(self, key: str | None, message: str, /, **params: object) -> XLSProblem:
        cell = self.cells.get(key) if key else None
        return XLSProblem(self.sheet, self.number, cell.column if cell else key, message, params)

    def keys(self) -> Iterator[str]:
        return iter(self.cells)


def normalize_header(text: str) -> str:
    """``Label::Thai (th)`` -> ``label::Thai (th)``; ``constraint message`` -> ``constraint_message``."""
    text = text.strip()
    if "::" not in text and ":" in text and not text.lower().startswith(("jr:", "bind:", "instance:", "body:")):
        text = text.replace(":", "::", 1)  # older forms write label:English
    base, sep, language = text.partition("::")
    base = "_".join(base.strip().lower().split())
    return f"{base}::{language.strip()}" if sep else base


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def read_sheets(data: bytes) -> dict[str, list[SheetRow]]:
    """Every sheet's rows under its lower-case name; a row's cells keyed by normalized header.
    Raises :class:`XLSFormError` for a file that is not an .xlsx workbook."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise XLSFormError([XLSProblem("", 0, None, N_(
            "This is not an .xlsx workbook. Save the form in Excel's .xlsx format and try again."
        ), {})])
    with warnings.catch_warnings():
        # openpyxl warns about Excel features it drops (data validation, extensions), also
        # while it reads rows: they carry nothing a form means.
        warnings.simplefilter("ignore", UserWarning)
        return _read(data)


def _read(data: bytes) -> dict[str, list[SheetRow]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for broken files
        raise XLSFormError([XLSProblem("", 0, None, N_(
            "The workbook cannot be read: %(error)s"), {"error": str(error)})]) from error
    sheets: dict[str, list[SheetRow]] = {}
    for sheet in book.worksheets:
        name = sheet.title.strip().lower()
        header: list[tuple[str, str, str]] | None = None
        rows: list[SheetRow] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [_text(v) for v in values]
            if header is None:
                if any(t.strip() for t in texts):
                    header = [(normalize_header(t), t.strip(), get_column_letter(i + 1))
                              for i, t in enumerate(texts)]
                continue
            row = SheetRow(name, number)
            for (key, written, letter), text in zip(header, texts, strict=False):
                if text.strip() and key:
                    if key in row.cells:
                        raise XLSFormError([XLSProblem(name, 1, written, N_(
                            "The column %(column)s appears twice."), {"column": written})])
                    row.cells[key] = Cell(text, written, letter)
            if row.cells:
                rows.append(row)
        sheets[name] = rows
    book.close()
    return sheets
