"""Dates and numbers for display and input, with Buddhist-era years for Thai.

Thailand counts years in the Buddhist era (BE = CE + 543): 2026 CE is
2569 BE. Babel's ``th`` locale formats the Gregorian year, so
:func:`format_date` puts the BE year and its label "พ.ศ." in itself, in the
same place CLDR's Thai Buddhist calendar does (medium: ``d MMM G y``, for
example "5 มี.ค. พ.ศ. 2569").

Input (:func:`parse_date`) accepts ``YYYY-MM-DD``, ``DD/MM/YYYY`` (also with
``-`` or ``.`` between the parts, and one-digit day or month) and the medium
format :func:`format_date` shows for the locale, with ASCII digits or the
digits of any declared script (:func:`app.languages.normalize_digits`: Thai,
Lao, Myanmar, Shan, Khmer ...). Which locales use the Buddhist era is declared
in ``app/languages/declared.py`` (``calendar="buddhist"``).

Rule for Buddhist-era input: when ``buddhist_era`` is true, a year above
2400 is read as BE and 543 is taken off; a year of 2400 or less is read as
CE (people also type CE years). 2400 BE is 1857 CE and 2400 CE is far in the
future, so no real date is ambiguous. When ``buddhist_era`` is false every
year is CE. Either way, the resulting CE year must lie between
:data:`MIN_YEAR` and :data:`MAX_YEAR`, so a BE year typed where CE was
expected ("2569") is an error rather than a date five centuries away.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.dates import get_date_format, get_month_names
from babel.numbers import format_decimal

from app.languages import BUDDHIST_ERA, normalize_digits

__all__ = [
    "BE_OFFSET",
    "BE_THRESHOLD",
    "MAX_YEAR",
    "MIN_YEAR",
    "DateParseError",
    "format_date",
    "format_number",
    "parse_date",
    "to_buddhist_year",
]

BE_OFFSET: Final = 543
#: With ``buddhist_era=True``, typed years above this are Buddhist-era years.
BE_THRESHOLD: Final = 2400
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2200
BE_LABEL: Final = "พ.ศ."
#: Locales whose users see Buddhist-era years.
BE_LOCALES: Final = BUDDHIST_ERA


class DateParseError(ValueError):
    """The text is not a date in an accepted form, or its year is out of range."""


def to_buddhist_year(year: int) -> int:
    """The Buddhist-era year for a Gregorian (CE) year: ``to_buddhist_year(2026) == 2569``."""
    return year + BE_OFFSET


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown locale {locale!r}") from exc


def _replace_year(pattern: str, year_text: str) -> str:
    """Replace the unquoted ``y`` field of a CLDR date pattern by a quoted literal."""
    literal = "'" + year_text.replace("'", "''") + "'"
    out: list[str] = []
    in_quote = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            in_quote = not in_quote
            out.append(ch)
            i += 1
        elif ch == "y" and not in_quote:
            while i < len(pattern) and pattern[i] == "y":
                i += 1
            out.append(literal)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def format_date(d: date, locale: str) -> str:
    """``d`` in the locale's medium format; Thai shows the Buddhist-era year with "พ.ศ."."""
    loc = _locale(locale)
    if loc.language in BE_LOCALES:
        pattern = get_date_format("medium", locale=loc).pattern
        be = f"{BE_LABEL} {to_buddhist_year(d.year)}"
        return _babel_format_date(d, _replace_year(pattern, be), locale=loc)
    return _babel_format_date(d, "medium", locale=loc)


def format_number(n: int | float | Decimal, locale: str) -> str:
    """``n`` with the locale's decimal and grouping separators (Babel), ASCII digits."""
    return format_decimal(n, locale=_locale(locale))


# --- parsing ---------------------------------------------------------------

_ISO: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY: Final = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_MAX_INPUT: Final = 64


def _ce_year(year: int, buddhist_era: bool) -> int:
    if buddhist_era and year > BE_THRESHOLD:
        year -= BE_OFFSET
    if not MIN_YEAR <= year <= MAX_YEAR:
        hint = " (a Buddhist-era year?)" if not buddhist_era and year > BE_THRESHOLD else ""
        raise DateParseError(f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}{hint}")
    return year


def _make(year: int, month: int, day: int, buddhist_era: bool) -> date:
    ce = _ce_year(year, buddhist_era)
    try:
        return date(ce, month, day)
    except ValueError as exc:
        raise DateParseError(f"no such date: day {day}, month {month}, year {ce}") from exc


def _month_names(loc: Locale) -> list[tuple[str, int]]:
    names: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, context, locale=loc).items():
                names.setdefault(name.casefold(), number)
    return sorted(names.items(), key=lambda item: -len(item[0]))  # longest first


def _parse_medium(text: str, loc: Locale, buddhist_era: bool) -> date | None:
    """Parse a date written like ``format_date`` writes it: one month name, day and year."""
    rest = text.casefold().replace(BE_LABEL, " ")
    month = None
    for name, number in _month_names(loc):
        if name and name in rest:
            month = number
            rest = rest.replace(name, " ", 1)
            break
    if month is None:
        return None
    numbers = re.findall(r"\d+", rest)
    if len(numbers) != 2 or re.search(r"[^\W\d_]", rest):
        return None
    years = [n for n in numbers if len(n) >= 3]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    is_be = buddhist_era or BE_LABEL in text
    return _make(int(years[0]), month, int(days[0]), is_be)


def parse_date(text: str, locale: str, buddhist_era: bool) -> date:
    """Parse a typed date; raise :class:`DateParseError` if it is not one.

    Accepted: ``YYYY-MM-DD``, ``DD/MM/YYYY`` (``/``, ``-`` or ``.``), and the
    locale's medium format as :func:`format_date` shows it (whose "พ.ศ." label
    marks the year as Buddhist era). See the module docstring for the BE rule.
    """
    loc = _locale(locale)
    if not isinstance(text, str):
        raise DateParseError("a date must be text")
    cleaned = normalize_digits(text.strip())
    if not cleaned:
        raise DateParseError("no date given")
    if len(cleaned) > _MAX_INPUT:
        raise DateParseError("too long to be a date")
    if match := _ISO.fullmatch(cleaned):
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day, buddhist_era)
    if match := _DMY.fullmatch(cleaned):
        day, month, year = (int(g) for g in match.groups())
        return _make(year, month, day, buddhist_era)
    parsed = _parse_medium(cleaned, loc, buddhist_era)
    if parsed is None:
        raise DateParseError(f"not a date: {text!r} (use DD/MM/YYYY or YYYY-MM-DD)")
    return parsed
