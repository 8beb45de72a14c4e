"""Tables written row by row to a binary stream: CSV (the standard library) and XLSX.

The XLSX writer is this module's own, on the standard library's ``zipfile``: XlsxWriter (even
in constant-memory mode) and openpyxl's write-only mode both keep a worksheet in a plain
temporary file on disk until the workbook is closed, and a full export's rows are decrypted
answers, which never touch a disk in clear (docs/exports.md "Why not XlsxWriter"). This one
writes each row's XML straight into the deflated zip member, so nothing but the compressor's
window and the current row is held: a workbook of inline strings and numbers, one style for
the header rows and one ("quote prefix") for texts a spreadsheet could read as a formula.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Sequence
from typing import IO

from app.services.exports.cells import CSV_QUOTED, XML_ILLEGAL, Cell, csv_text, risky

XLSX_MAX_TEXT = 32767  # characters in one cell: what Excel holds
XLSX_MAX_ROWS = 1_048_576
TEXT_MEMO = 5_000  # distinct short texts whose cell XML a sheet keeps


def _csv_inert(text: str) -> str:
    return csv_text(text.replace("\x00", ""))


class CsvRows:
    """Rows as CSV bytes (UTF-8, CRLF), a cell that could be read as a formula made inert.
    Pure: the export's worker process encodes its rows with one of these too (opening.py)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def encode(self, cells: Sequence[Cell], n: int = 0, *, header: bool = False) -> bytes:
        # (csv writes None as an empty field; most cells are None, numbers or plain codes)
        out = [_csv_inert(cell) if isinstance(cell, str) and (cell[:1] in CSV_QUOTED or "\x00" in cell)
               else cell for cell in cells]
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(out)
        return self._buffer.getvalue().encode("utf-8")


class CsvTable:
    """UTF-8 with a byte-order mark (so Excel reads Thai, Burmese, Lao and Khmer right), CRLF rows."""

    def __init__(self, out: IO[bytes]) -> None:
        out.write("\ufeff".encode())
        self._out = out
        self._rows = CsvRows()
        self.written = 0

    def row(self, cells: Sequence[Cell], *, header: bool = False) -> None:
        self.encoded(self._rows.encode(cells))

    def encoded(self, data: bytes) -> None:
        """A row :class:`CsvRows` encoded (here or in the worker)."""
        self.written += 1
        self._out.write(data)

    def close(self) -> None:
        pass


# --- XLSX ---------------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>")
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>")
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{sheets}"
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
_SHEET_REL = ('<Relationship Id="rId{n}" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet{n}.xml"/>')
# Style 0: normal; 1: text with a quote prefix (never a formula); 2: bold (the header rows).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "{views}<sheetData>")
_FROZEN = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="{n}" topLeftCell="A{top}" '
           'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
_SHEET_END = "</sheetData></worksheet>"


def column_letters(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_SHEET_NAME_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(name: str) -> str:
    """A worksheet's name as Excel allows it: at most 31 characters, none of []:*?/\\."""
    return name.translate(_SHEET_NAME_BAD).strip()[:31] or "Sheet"


def _escape(text: str) -> str:
    if not text.isprintable():  # the rare text with control characters (line feeds are fine)
        text = XML_ILLEGAL.sub("", text)
    text = text[:XLSX_MAX_TEXT]
    # A carriage return as a reference: an XML reader would turn a literal one into a line feed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


class XlsxBook:
    """A workbook written sheet after sheet; ``sheets`` names them all up front."""

    def __init__(self, out: IO[bytes], sheets: Sequence[str], *, compresslevel: int = 1) -> None:
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._names = list(sheets)
        self._next = 0
        n = len(self._names)
        self._part("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(n))))
        self._part("_rels/.rels", _ROOT_RELS)
        self._part("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{_escape(sheet_name(name))}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, name in enumerate(self._names))))
        self._part("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(
            sheets="".join(_SHEET_REL.format(n=i + 1) for i in range(n))))
        self._part("xl/styles.xml", _STYLES)

    def _part(self, name: str, text: str) -> None:
        self._zip.writestr(name, text.encode("utf-8"))

    def sheet(self, *, frozen_rows: int = 0) -> XlsxSheet:
        """The next sheet, open for rows; close it before asking for another."""
        self._next += 1
        if self._next > len(self._names):
            raise ValueError("more sheets than were named")
        member = self._zip.open(f"xl/worksheets/sheet{self._next}.xml", "w", force_zip64=True)
        return XlsxSheet(member, frozen_rows)

    def close(self) -> None:
        self._zip.close()


class XlsxRows:
    """Rows as a worksheet's ``<row>`` XML (UTF-8): row ``n`` of the sheet, empty cells left
    out, a text a spreadsheet could read as a formula given the quote-prefix style. Pure (its
    memo changes only the speed): the export's worker process encodes its rows with one too."""

    def __init__(self) -> None:
        self._letters: list[str] = []
        # The XML of text cells seen before, after their reference (labels and codes repeat).
        self._texts: dict[str, str] = {}

    def encode(self, cells: Sequence[Cell], n: int, *, header: bool = False) -> bytes:
        letters = self._letters
        while len(letters) < len(cells):
            letters.append(column_letters(len(letters)))
        r = str(n)
        parts = [f'<row r="{r}">']
        texts = self._texts
        for i, cell in enumerate(cells):
            if cell is None or cell == "":
                continue  # an empty cell is simply not written
            if isinstance(cell, str):
                rest = None if header else texts.get(cell)
                if rest is None:
                    rest = self._text(cell, header)
                    if not header and len(cell) <= 200 and len(texts) < TEXT_MEMO:
                        texts[cell] = rest
                parts.append(f'<c r="{letters[i]}{r}"{rest}')
            elif isinstance(cell, bool) or not math.isfinite(cell):
                parts.append(f'<c r="{letters[i]}{r}" t="inlineStr"><is><t>{cell}</t></is></c>')
            else:
                parts.append(f'<c r="{letters[i]}{r}"><v>{cell}</v></c>')
        parts.append("</row>")
        return "".join(parts).encode("utf-8")

    @staticmethod
    def _text(cell: str, header: bool) -> str:
        """A text cell's XML after its reference: its type, style and escaped text."""
        style = ' s="2"' if header else ' s="1"' if risky(cell) else ""
        return f' t="inlineStr"{style}><is><t xml:space="preserve">{_escape(cell)}</t></is></c>'


class XlsxSheet:
    def __init__(self, member: IO[bytes], frozen_rows: int) -> None:
        self._member = member
        self._rows = XlsxRows()
        self.written = 0
        views = _FROZEN.format(n=frozen_rows, top=frozen_rows + 1) if frozen_rows else ""
        member.write(_SHEET_START.format(views=views).encode())

    def row(self, cells: Sequence[Cell], *, header: bool = False) -> None:
        if self.written >= XLSX_MAX_ROWS:
            raise ValueError("more rows than a worksheet holds")
        self.encoded(self._rows.encode(cells, self.written + 1, header=header))

    def encoded(self, data: bytes) -> None:
        """Row ``written + 1`` as :class:`XlsxRows` encoded it (here or in the worker)."""
        if self.written >= XLSX_MAX_ROWS:
            raise ValueError("more rows than a worksheet holds")
        self.written += 1
        self._member.write(data)

    def close(self) -> None:
        self._member.write(_SHEET_END.encode())
        self._member.close()
