"""What one cell of an export may hold, made safe for spreadsheets.

Formula injection: a spreadsheet reads a text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula (or as the start of one, after an edit). Every text
cell of an export goes through :func:`risky`; the CSV writer puts an apostrophe in front of
such a cell (and of one that already starts with an apostrophe, so the rule can be undone
exactly: drop one leading apostrophe), the XLSX writer stores it as text with Excel's own
"quote prefix" (the value is kept as it was and is never read as a formula).
"""

from __future__ import annotations

import re

Cell = str | int | float | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
CSV_QUOTED = frozenset((*FORMULA_STARTS, QUOTE))  # first characters that get the apostrophe in CSV
# Characters XML 1.0 cannot carry at all (an XLSX part is XML): control characters other
# than tab, line feed and carriage return, lone surrogates and the two non-characters.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def risky(text: str) -> bool:
    """A text a spreadsheet could take for a formula."""
    return text.startswith(FORMULA_STARTS)


def csv_text(text: str) -> str:
    """A text cell for CSV: an apostrophe before a risky one (and before a leading apostrophe)."""
    return QUOTE + text if risky(text) or text.startswith(QUOTE) else text


def uncsv_text(text: str) -> str:
    """The text :func:`csv_text` was given back (what a reader of the file does)."""
    return text[1:] if text.startswith(QUOTE) else text
