"""An .xlsx workbook as rows of named cells: read (each cell knowing its sheet, row and
column) and written (a header row, then one row per item)."""

from __future__ import annotations

import datetime
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from ..fields import N_
from .layout import CHOICES, EXACT_PREFIX, SETTINGS, SURVEY
from .problems import XLSFormError, XLSProblem

Row = dict[str, Any]
Sheets = dict[str, list[Row]]

#: Columns in the order a person reads them; any other column follows.
SURVEY_ORDER = ("type", "name", "label", "hint", "guidance_hint", "relevant", "constraint",
                "constraint_message", "appearance", "calculation")


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
    namespaced = text.lower().startswith(("jr:", "bind:", "instance:", "body:"))
    if "::" not in text and ":" in text and not namespaced:
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


#: An .xlsx is a zip; a form's sheets unpack to far less than this. A "zip bomb" (a few
#: kilobytes that unpack to gigabytes) is refused before anything unpacks it.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def read_sheets(data: bytes) -> dict[str, list[SheetRow]]:
    """Every sheet's rows under its lower-case name; a row's cells keyed by normalized header.
    Raises :class:`XLSFormError` for a file that is not an .xlsx workbook."""
    check_workbook(data)
    with warnings.catch_warnings():
        # openpyxl warns about Excel features it drops (data validation, extensions), also
        # while it reads rows: they carry nothing a form means.
        warnings.simplefilter("ignore", UserWarning)
        return _read(data)


def check_workbook(data: bytes) -> None:
    """Refuse what is not a zip, and a zip that would unpack to more than
    :data:`MAX_UNPACKED_BYTES` (zipfile never unpacks past a member's declared size)."""
    not_xlsx = XLSFormError([XLSProblem("", 0, None, N_(
        "This is not an .xlsx workbook. Save the form in Excel's .xlsx format and try again."))])
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_xlsx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_xlsx from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise XLSFormError([XLSProblem("", 0, None, N_(
            "The workbook would unpack to %(mb)d MB; a form is at most %(limit)d MB."),
            {"mb": unpacked // (1024 * 1024), "limit": MAX_UNPACKED_BYTES // (1024 * 1024)})])


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


def write_xlsx(sheets: Sheets) -> bytes:
    """Rows of named cells as an .xlsx (a header row, then one row per item)."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        if not rows and name not in (SURVEY, CHOICES, SETTINGS):
            continue
        sheet = book.create_sheet(name)
        header = _header(rows, SURVEY_ORDER if name == SURVEY else ())
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column) for column in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(rows: list[Row], order: tuple[str, ...]) -> list[str]:
    seen: list[str] = []
    for row in rows:
        seen += [column for column in row if column not in seen]

    def rank(column: str) -> tuple[int, float]:
        # An exact expression column follows the column it belongs to.
        plain = column.removeprefix(EXACT_PREFIX)
        base = plain.split("::")[0]
        place = order.index(base) if base in order else len(order)
        at = seen.index(plain) if plain in seen else seen.index(column)
        return (place, at + (0.5 if plain != column else 0))

    return sorted(seen, key=rank)
