"""A questionnaire pulled from central is read exactly as a file on disk: the same strict YAML
(a repeated key refused, ``no`` a string), the same validation."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import current_app

from app.questionnaire import SHIPPED_DIR, validate_file
from app.services import installation, questionnaires
from app.services.sync import client as sync_client

DEFAULT = (SHIPPED_DIR / "default.yaml").read_text(encoding="utf-8")
NEW = DEFAULT.replace("version: 1.0.0\n", "version: 9.9.1\n", 1)
assert NEW != DEFAULT
# "version" twice: plain yaml.safe_load would silently keep the second.
DUPLICATE = NEW.replace("version: 9.9.1\n", "version: 9.9.1\nversion: 9.9.2\n", 1)


@pytest.fixture
def central_offers(enrolled, monkeypatch, tmp_path):
    """Central publishes the shipped definitions plus one file with the given text."""
    central, station = enrolled

    def offer(text: str, version: str) -> Path:
        path = tmp_path / f"offered-{version}.yaml"
        path.write_text(text, encoding="utf-8")
        extra = SimpleNamespace(id="tip-default", version=version, path=path)
        shipped = questionnaires.all_definitions
        # Only central offers it (station and central share this process and this module).
        monkeypatch.setattr(questionnaires, "all_definitions", lambda: [*shipped(), extra] if (
            current_app._get_current_object() is central.app) else shipped())
        return path

    return central, station, offer


@pytest.mark.parametrize("case", ["clean", "duplicate key"])
def test_a_pulled_definition_is_refused_exactly_when_the_file_on_disk_would_be(central_offers, case):
    central, station, offer = central_offers
    text = NEW if case == "clean" else DUPLICATE
    path = offer(text, "9.9.1")
    on_disk = validate_file(path)
    if case == "duplicate key":
        assert len(on_disk) == 1 and "duplicate key 'version'" in on_disk[0].message
    else:
        assert on_disk == []

    with station.ctx():
        added = sync_client.pull_updates(installation.get())
        pulled = questionnaires.get("tip-default", "9.9.1")
        written = sorted((Path(station.app.instance_path) / "questionnaires").glob("*.yaml"))
    if on_disk:
        assert added == 0 and pulled is None and written == []
    else:
        assert added == 1 and pulled is not None and [p.name for p in written] == ["tip-default-9.9.1.yaml"]


def test_a_pulled_definition_reads_no_as_a_string_like_the_file_on_disk(central_offers):
    """Plain safe_load turns an unquoted ``no`` into False, which the schema refuses."""
    central, station, offer = central_offers
    text = NEW.replace("title: {en: \"Victim indicator screening\",",
                       "title: {en: no,", 1)
    assert text != NEW
    path = offer(text, "9.9.1")
    assert validate_file(path) == []
    with station.ctx():
        assert sync_client.pull_updates(installation.get()) == 1
        assert str(questionnaires.get("tip-default", "9.9.1").title) == "no"
