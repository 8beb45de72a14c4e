"""The languages are declared once (app/languages/declared.py); everything else agrees with it.

The catalogs on disk, the committed schema and CSS, the fonts, the digits
accepted in typed numbers and dates, Buddhist-era years, and the steps in
docs/translations.md for adding a language.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from babel import Locale
from flask import Flask

from app import i18n, languages
from app.languages import CODES, DEFAULT, LANGUAGES, TRANSLATED, normalize_digits
from app.languages.declared import MYANMAR
from app.languages.fonts import CSS_MARKER, font_faces, generated_css
from app.questionnaire import check_answer
from app.questionnaire.definition import SCHEMA_PATH, load_definition, schema, schema_text
from app.text.dates import format_date, parse_date

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
FONTS_CSS = ROOT / "app" / "static" / "css" / "fonts.css"
GUIDE = ROOT / "docs" / "translations.md"
STALE = "stale: run .venv/bin/python .ci/sync_languages.py"


# --------------------------------------------------------------- the declaration


def test_declaration_is_well_formed() -> None:
    assert DEFAULT == "en"
    assert len(set(CODES)) == len(CODES)
    for language in LANGUAGES:
        assert re.fullmatch(r"[a-z]{2,3}", language.code), language
        assert language.native_name and language.english_name
        assert language.calendar in ("gregorian", "buddhist")
        assert all(low <= high for low, high in language.script.blocks)


@pytest.mark.parametrize("code", CODES)
def test_babel_knows_every_locale(code: str) -> None:
    """Dates, numbers and Flask-Babel's catalogs need CLDR data for the locale."""
    assert Locale.parse(code).language == code


def test_declaration_imports_only_the_standard_library() -> None:
    for path in sorted((ROOT / "app" / "languages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            assert all(name.split(".")[0] in sys.stdlib_module_names for name in names), (path, names)


def test_locale_selection_and_menus_follow_the_declaration() -> None:
    assert i18n.LOCALES == CODES
    assert i18n.DEFAULT_LOCALE == DEFAULT
    assert list(i18n.LOCALE_NAMES) == list(CODES)
    assert i18n.LOCALE_NAMES["my"] == "မြန်မာ"


# ------------------------------------------------------------------- catalogs


def test_one_catalog_folder_per_translated_language() -> None:
    folders = {p.name for p in TRANSLATIONS.iterdir() if p.is_dir()}
    assert folders == set(TRANSLATED), "translations/ and app/languages/declared.py disagree"
    assert i18n.missing_catalogs() == []


# -------------------------------------------------------- derived, committed files


def test_questionnaire_schema_takes_its_languages_from_the_declaration() -> None:
    defs = schema()["$defs"]
    assert defs["language"]["enum"] == list(CODES)
    assert list(defs["localText"]["properties"]) == list(CODES)
    assert defs["localText"]["required"] == [DEFAULT]


def test_committed_schema_matches_the_declaration() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), STALE
    published = ROOT / "docs" / "questionnaire.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == schema(), STALE


def test_committed_font_css_matches_the_declaration() -> None:
    css = FONTS_CSS.read_text(encoding="utf-8")
    assert css.count(CSS_MARKER) == 1
    assert css[css.index(CSS_MARKER):] == generated_css(), STALE


def test_every_declared_font_is_bundled() -> None:
    fonts = ROOT / "app" / "static" / "fonts"
    missing = [face.file for face in font_faces() if not (fonts / face.file).is_file()]
    assert not missing, f"run .venv/bin/python .ci/build_fonts.py (docs/fonts.md): {missing}"


# --------------------------------------------------------------------- digits

SHAN = "\u1090\u1091\u1092\u1093\u1094\u1095\u1096\u1097\u1098\u1099"


def test_shan_digits_are_digits() -> None:
    assert all(unicodedata.name(ch).startswith("MYANMAR SHAN DIGIT") for ch in SHAN)
    assert normalize_digits(SHAN) == "0123456789"
    assert normalize_digits("\u1091\u1092.\u1095 kg") == "12.5 kg"


@pytest.mark.parametrize(("text", "expected"), [
    ("๐๑๒๓๔๕๖๗๘๙", "0123456789"),  # Thai
    ("໐໑໒໓໔໕໖໗໘໙", "0123456789"),  # Lao
    ("၀၁၂၃၄၅၆၇၈၉", "0123456789"),  # Myanmar
    ("\ua9f0\ua9f9", "09"),  # Tai Laing (Myanmar Extended-B)
    ("០១២៣៤៥៦៧៨៩", "0123456789"),  # Khmer
    ("١٢ ١٢", "١٢ ١٢"),  # Arabic-Indic: no declared script, left as typed
    ("\uff11\uff12", "\uff11\uff12"),  # fullwidth: left as typed
])
def test_digits_of_declared_scripts_only(text: str, expected: str) -> None:
    assert normalize_digits(text) == expected


def test_every_digit_of_every_declared_script_is_normalised() -> None:
    digits = [ch for language in LANGUAGES for ch in language.script.digits]
    assert len(MYANMAR.digits) == 30  # Myanmar, Shan and Tai Laing
    for ch in digits:
        assert normalize_digits(ch) == str(unicodedata.decimal(ch)), hex(ord(ch))


def test_shan_digits_in_questionnaire_numbers_and_dates() -> None:
    definition = load_definition(ROOT / "app" / "questionnaires" / "default.yaml")
    assert check_answer(definition, "q_hours_per_day", "\u1091\u1096", {}) == 16
    iso = "\u1092\u1090\u1092\u1096-\u1090\u1093-\u1091\u1095"  # 2026-03-15
    assert parse_date(iso, "my", buddhist_era=False) == date(2026, 3, 15)


# ------------------------------------------------------------------ calendars


def test_buddhist_era_is_declared_for_thai_only() -> None:
    assert languages.BUDDHIST_ERA == {"th"}
    assert languages.buddhist_era("th") and not languages.buddhist_era("my")
    assert format_date(date(2026, 3, 5), "th").endswith("2569")


def test_templates_ask_the_declaration_about_buddhist_era(app: Flask) -> None:
    template = app.jinja_env.from_string("{{ 'yes' if lang is buddhist_era else 'no' }}")
    assert [template.render(lang=code) for code in ("th", "en", "km")] == ["yes", "no", "no"]


# ---------------------------------------------------------- the guide for a new language


def _guide_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## Adding a sixth language")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_guide_names_only_files_that_exist() -> None:
    section = _guide_section()
    paths = {
        p for p in re.findall(r"`([^`\s]+)`", section)
        if "/" in p and not p.startswith(("http", "-")) and "<" not in p and "{" not in p
    }
    assert len(paths) >= 10, paths
    missing = sorted(p for p in paths if not (ROOT / p.split(":")[0]).exists())
    assert not missing, f"docs/translations.md names files that do not exist: {missing}"


def test_guide_names_every_place_a_language_is_listed() -> None:
    """Each file that still needs a hand edit for a new language is named in the guide."""
    section = _guide_section()
    for place in (
        "app/languages/declared.py",
        ".ci/sync_languages.py",
        ".ci/build_fonts.py",
        "app/questionnaires/default.yaml",
        "tests/questionnaire/test_translations_complete.py",
        "tests/questionnaire/test_default.py",
        "tests/text/test_fonts.py",
        "app/static/fonts/README.md",
        "docs/fonts.md",
        "pybabel init",
    ):
        assert place in section, place
