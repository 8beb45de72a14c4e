"""The Thai, Burmese, Lao and Khmer catalogs: complete, not fuzzy, placeholders intact, compiled, Unicode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from babel.support import Translations

from app.languages import TRANSLATED
from app.text.zawgyi import detect

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LANGS = list(TRANSLATED)  # every declared language but English

#: Strings that may legitimately read the same in every language (product names).
SAME_AS_ENGLISH = {"tip-screen"}

#: A python-format placeholder: %(name)s, %(n)d, %(x)05.2f ... and the literal %%.
PLACEHOLDER = re.compile(r"%\([^)]*\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _template() -> Catalog:
    return _read(TRANSLATIONS / "messages.pot")


def _catalog(lang: str) -> Catalog:
    return _read(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _messages(cat: Catalog) -> list[Message]:
    return [m for m in cat if m.id]


def _key(m: Message) -> tuple[object, str | None]:
    return (m.id, m.context)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _template()


def test_template_has_messages(template: Catalog) -> None:
    assert len(_messages(template)) > 100


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_message_is_translated(lang: str, template: Catalog) -> None:
    cat = _catalog(lang)
    translated = {_key(m): m for m in _messages(cat)}
    missing = [m.id for m in _messages(template) if _key(m) not in translated]
    assert not missing, f"{lang}: not in the catalog (run pybabel update): {missing}"
    empty = [m.id for m in _messages(template)
             if not all(s.strip() for s in _forms(translated[_key(m)].string) or [""])]
    assert not empty, f"{lang}: empty msgstr: {empty}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_fuzzy_entries(lang: str) -> None:
    fuzzy = [m.id for m in _messages(_catalog(lang)) if m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy entries are not compiled, translate them: {fuzzy}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match(lang: str, template: Catalog) -> None:
    bad = []
    for m in _messages(_catalog(lang)):
        ids = _forms(m.id)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for s in _forms(m.string):
            if set(PLACEHOLDER.findall(s)) != wanted:
                bad.append((m.id, s))
    assert not bad, f"{lang}: placeholders differ from the English: {bad}"
    flags = {_key(m): m.flags for m in _messages(template)}
    lost = [m.id for m in _messages(_catalog(lang))
            if "python-format" in flags.get(_key(m), set()) and "python-format" not in m.flags]
    assert not lost, f"{lang}: python-format flag missing: {lost}"


@pytest.mark.parametrize("lang", LANGS)
def test_not_copied_from_english(lang: str) -> None:
    copied = [m.id for m in _messages(_catalog(lang))
              if any(s == i for s, i in zip(_forms(m.string), _forms(m.id), strict=False))
              and _forms(m.id)[0] not in SAME_AS_ENGLISH]
    assert not copied, f"{lang}: msgstr is the English text: {copied}"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_matches_po(lang: str) -> None:
    mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file(), f"{mo} is missing: run pybabel compile -d translations"
    with mo.open("rb") as f:
        compiled = Translations(f)
    stale = []
    for m in _messages(_catalog(lang)):
        if m.pluralizable:
            singular, plural = _forms(m.id)[:2]
            for n, expected in ((1, _forms(m.string)[0]), (2, _forms(m.string)[-1])):
                got = (compiled.npgettext(m.context, singular, plural, n) if m.context
                       else compiled.ngettext(singular, plural, n))
                if got != expected:
                    stale.append((m.id, got, expected))
        else:
            assert isinstance(m.id, str) and isinstance(m.string, str)
            got = compiled.pgettext(m.context, m.id) if m.context else compiled.gettext(m.id)
            if got != m.string:
                stale.append((m.id, got, m.string))
    assert not stale, f"{lang}: the .mo is stale, run pybabel compile -d translations: {stale}"


def test_burmese_is_unicode_not_zawgyi() -> None:
    suspicious = []
    for m in _messages(_catalog("my")):
        for s in _forms(m.string):
            if len(s) >= 10 and detect(s) >= 0.5:
                suspicious.append((m.id, s, round(detect(s), 3)))
    assert not suspicious, f"my: msgstr looks like Zawgyi, retype it in Unicode: {suspicious}"
