"""Buddhist-era years, locale date and number formatting, date parsing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.languages import CODES, buddhist_era
from app.text.dates import (
    BE_THRESHOLD,
    MAX_YEAR,
    MIN_YEAR,
    DateParseError,
    format_date,
    format_number,
    parse_date,
    to_buddhist_year,
)

LOCALES = list(CODES)
D = date(2026, 3, 5)


def test_to_buddhist_year() -> None:
    assert to_buddhist_year(2026) == 2569
    assert to_buddhist_year(1990) == 2533


def test_thai_shows_buddhist_era_with_label() -> None:
    text = format_date(D, "th")
    assert text == "5 มี.ค. พ.ศ. 2569"
    assert "2026" not in text
    assert format_date(D, "th_TH") == text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Mar 5, 2026"), ("my", "2026 မတ် 5"), ("lo", "5 ມ.ນ. 2026"), ("km", "5 មីនា 2026")],
)
def test_other_locales_show_gregorian(locale: str, expected: str) -> None:
    assert format_date(D, locale) == expected


def test_unknown_locale_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown locale"):
        format_date(D, "xx_NOPE")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("th", "1,234,567.5"), ("en", "1,234,567.5"), ("lo", "1.234.567,5"), ("my", "1,234,567.5")],
)
def test_format_number(locale: str, expected: str) -> None:
    assert format_number(1234567.5, locale) == expected


def test_format_number_accepts_int_and_decimal() -> None:
    assert format_number(1000, "th") == "1,000"
    assert format_number(Decimal("0.25"), "en") == "0.25"


@pytest.mark.parametrize(
    ("text", "buddhist_era", "expected"),
    [
        ("2026-03-05", False, D),
        ("05/03/2026", False, D),
        ("5/3/2026", False, D),
        ("5.3.2026", False, D),
        ("2569-03-05", True, D),
        ("05/03/2569", True, D),
        ("05/03/2026", True, D),  # CE year typed on a BE form: accepted as CE
        ("๐๕/๐๓/๒๕๖๙", True, D),  # Thai digits
        ("໒໐໒໖-໐໓-໐໕", False, D),  # Lao digits
        ("၀၅/၀၃/၂၀၂၆", False, D),  # Myanmar digits
        ("១៥/០៣/២០២៦", False, date(2026, 3, 15)),  # Khmer digits
        ("  2026-03-05 ", False, D),
    ],
)
def test_parse_numeric(text: str, buddhist_era: bool, expected: date) -> None:
    assert parse_date(text, "th", buddhist_era) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_parse_round_trips_format(locale: str) -> None:
    for d in (D, date(1985, 12, 31), date(2000, 1, 1)):
        assert parse_date(format_date(d, locale), locale, buddhist_era(locale)) == d


def test_be_label_marks_the_year_even_without_the_flag() -> None:
    assert parse_date("5 มี.ค. พ.ศ. 2569", "th", False) == D


def test_be_threshold_rule() -> None:
    # Above the threshold: Buddhist era, 543 taken off.
    assert parse_date(f"01/01/{BE_THRESHOLD + 43}", "th", True) == date(1900, 1, 1)
    # At or below it: Common Era, as typed.
    assert parse_date(f"01/01/{MAX_YEAR}", "th", True) == date(MAX_YEAR, 1, 1)
    with pytest.raises(DateParseError, match="outside"):
        parse_date(f"01/01/{BE_THRESHOLD}", "th", True)  # CE 2400: out of range
    with pytest.raises(DateParseError, match="outside"):
        parse_date(f"01/01/{BE_THRESHOLD + 1}", "th", True)  # BE 2401 = CE 1858


@pytest.mark.parametrize(
    ("text", "buddhist_era", "message"),
    [
        ("", False, "no date"),
        ("   ", True, "no date"),
        ("tomorrow", False, "not a date"),
        ("2026/03/05", False, "not a date"),
        ("31/02/2026", False, "no such date"),
        ("05/13/2026", False, "no such date"),
        ("05/03/2569", False, "Buddhist-era year"),
        ("05/03/1850", False, "outside"),
        ("05/03/99999", False, "not a date"),
        ("1" * 100, False, "too long"),
    ],
)
def test_parse_errors(text: str, buddhist_era: bool, message: str) -> None:
    with pytest.raises(DateParseError, match=message):
        parse_date(text, "th", buddhist_era)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(DateParseError, ValueError)


@given(st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)))
def test_round_trip_any_date(d: date) -> None:
    assert parse_date(d.isoformat(), "en", False) == d
    assert parse_date(d.strftime("%d/%m/") + str(to_buddhist_year(d.year)), "th", True) == d
    assert parse_date(format_date(d, "th"), "th", True) == d


@given(st.text(max_size=80), st.booleans())
def test_parse_only_raises_date_parse_error(text: str, buddhist_era: bool) -> None:
    try:
        result = parse_date(text, "th", buddhist_era)
    except DateParseError:
        return
    assert MIN_YEAR <= result.year <= MAX_YEAR
