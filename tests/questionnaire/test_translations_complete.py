"""Every human text of the shipped default questionnaire (each shipped version) is translated.

Each text map (titles, intros, labels, help, consent and note texts, options,
units, constraint messages, flag actions, outcome explanations) must have all
five languages, none empty, none a copy of the English (except brand names),
each in its own script; Burmese must be Unicode, not Zawgyi.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping

import pytest

from app.languages import LANGUAGES as DECLARED
from app.questionnaire import SHIPPED_DIR, Definition, load_definition
from app.questionnaire.model import LANGUAGES, LocalText
from app.text.zawgyi import THRESHOLD, detect

#: Texts that stay the same in every language: brand names used as-is.
SAME_IN_ALL_LANGUAGES = frozenset({"Facebook", "LINE", "Telegram", "TikTok", "WeChat"})

#: Each translation must contain at least one letter of its own script.
SCRIPTS = {
    "th": re.compile(r"[\u0E01-\u0E5B]"),
    "my": re.compile(r"[\u1000-\u109F]"),
    "lo": re.compile(r"[\u0E81-\u0EDF]"),
    "km": re.compile(r"[\u1780-\u17FF]"),
}

#: The Zawgyi detector is unreliable on very short strings (a single word can
#: score above the threshold although it is correct Unicode).
ZAWGYI_MIN_LENGTH = 10


def local_texts(value: object, path: str = "") -> Iterator[tuple[str, LocalText]]:
    """Every LocalText reachable from ``value``, with a readable path."""
    if isinstance(value, LocalText):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from local_texts(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from local_texts(item, f"{path}.{key}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            label = getattr(item, "id", None) or getattr(item, "value", None) or index
            yield from local_texts(item, f"{path}[{label}]")


@pytest.fixture(scope="module", params=sorted(p.name for p in SHIPPED_DIR.glob("*.yaml")))
def texts(request: pytest.FixtureRequest) -> list[tuple[str, LocalText]]:
    found = list(local_texts(load_definition(SHIPPED_DIR / request.param)))
    assert len(found) > 200  # the walk really reached the options and flags
    return found


def test_every_declared_language_in_its_own_script_is_checked() -> None:
    assert set(SCRIPTS) == {language.code for language in DECLARED if language.script.key != "latin"}


def test_declares_all_languages(default_definition: Definition) -> None:
    assert set(default_definition.languages) == set(LANGUAGES)


def test_every_text_has_every_language(texts: list[tuple[str, LocalText]]) -> None:
    problems = []
    for path, text in texts:
        english = text.texts.get("en", "")
        for lang in LANGUAGES:
            value = text.texts.get(lang)
            if not value or not value.strip():
                problems.append(f"{path}: no {lang}")
            elif lang != "en" and value == english and english not in SAME_IN_ALL_LANGUAGES:
                problems.append(f"{path}: {lang} is a copy of the English")
    assert problems == []


def test_translations_are_in_their_own_script(texts: list[tuple[str, LocalText]]) -> None:
    problems = [
        f"{path}: {lang} {text.texts.get(lang)!r}"
        for path, text in texts
        if text.texts.get("en") not in SAME_IN_ALL_LANGUAGES
        for lang, script in SCRIPTS.items()
        if not script.search(text.texts.get(lang, ""))
    ]
    assert problems == []


def test_burmese_is_unicode_not_zawgyi(texts: list[tuple[str, LocalText]]) -> None:
    checked = 0
    problems = []
    for path, text in texts:
        burmese = text.texts.get("my", "")
        if len(burmese) < ZAWGYI_MIN_LENGTH:
            continue
        checked += 1
        probability = detect(burmese)
        if probability >= THRESHOLD:
            problems.append(f"{path}: {probability:.3f} {burmese!r}")
    assert checked > 100
    assert problems == []


def test_missing_language_falls_back_to_english() -> None:
    assert LocalText({"en": "Victim indicator screening"}).get("th") == ("Victim indicator screening")
