"""Small XLSForms written here with openpyxl: a list of rows per sheet, the first the header."""

from __future__ import annotations

import io

from openpyxl import Workbook

Rows = list[list[object]]

SETTINGS: Rows = [["form_title", "form_id", "version"], ["Small form", "small", "1.0.0"]]


def xlsx(survey: Rows, choices: Rows | None = None, settings: Rows | None = None,
         **sheets: Rows) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in {"survey": survey, "choices": choices, "settings": settings or SETTINGS,
                       **sheets}.items():
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
