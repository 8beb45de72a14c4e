"""A station that never connects after enrolment gets the directory on a file an administrator
carries: ``flask directory export`` at central, ``flask directory import`` at the station, or
the answer file of a USB bundle. Tampered, foreign and older files are refused, nothing changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.crypto import generate_signing_key
from app.extensions import db
from app.models import DirectoryVersion
from app.protocol.directory import to_json
from app.protocol.identity import make_directory_statement
from app.services import referrals
from app.services.sync import client as sync_client
from tests.directory.conftest import add_at_central, organisation


def _export(central, path: Path) -> Path:
    result = central.app.test_cli_runner().invoke(args=["directory", "export", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _import(station, path: Path):
    return station.app.test_cli_runner().invoke(args=["directory", "import", str(path)])


def _versions(station) -> list[int]:
    with station.ctx():
        db.session.remove()
        return list(db.session.scalars(sa.select(DirectoryVersion.version).order_by(DirectoryVersion.version)))


def test_export_then_import_carries_the_signed_directory(enrolled, tmp_path):
    central, station = enrolled
    add_at_central(central.app, name="Shelter A")
    path = _export(central, tmp_path / "directory.json")
    assert "Wrote referral directory version 1" in central.app.test_cli_runner().invoke(
        args=["directory", "export", str(path)]).output
    result = _import(station, path)
    assert result.exit_code == 0, result.output
    assert "Took referral directory version 1" in result.output
    with station.ctx():
        assert [o.name.get("en") for o in referrals.newest().organisations] == ["Shelter A"]


def test_an_older_or_the_same_version_is_refused(enrolled, tmp_path):
    central, station = enrolled
    add_at_central(central.app, name="Shelter A")
    old = _export(central, tmp_path / "v1.json")
    add_at_central(central.app, name="Clinic B")
    new = _export(central, tmp_path / "v2.json")
    assert _import(station, new).exit_code == 0
    for path in (old, new):
        result = _import(station, path)
        assert result.exit_code == 1
        assert "this station has version 2 already" in result.output and "Nothing was changed" in result.output
    assert _versions(station) == [2]


@pytest.mark.parametrize("attack", ["edited", "other central", "unsigned"])
def test_a_tampered_or_foreign_file_is_refused_and_changes_nothing(enrolled, tmp_path, attack):
    central, station = enrolled
    add_at_central(central.app, name="Shelter A")
    path = _export(central, tmp_path / "directory.json")
    content = json.loads(path.read_text(encoding="utf-8"))
    payload = content["statement"]["payload"]
    if attack == "edited":  # a number changed after signing
        payload["organisations"][0]["contacts"]["phone"] = "099 999 999"
    elif attack == "other central":  # signed properly, by another identity key
        other, _public = generate_signing_key()
        org = to_json(organisation(id=payload["organisations"][0]["id"], name="Fake shelter"))
        content["statement"] = make_directory_statement(other, 5, datetime.now(UTC), [org])
    else:
        content["statement"]["signature"] = ""
    path.write_text(json.dumps(content), encoding="utf-8")
    result = _import(station, path)
    assert result.exit_code == 1
    assert "not signed by this station's central" in result.output and "Nothing was changed" in result.output
    assert _versions(station) == []


def test_a_file_that_is_not_a_directory_is_refused_with_a_clear_message(enrolled, tmp_path):
    _central, station = enrolled
    path = tmp_path / "bundle.tipbundle"
    path.write_bytes(b"\x00\x01 not json")
    result = _import(station, path)
    assert result.exit_code == 1
    assert "not a referral directory file or a bundle answer file" in result.output
    assert _versions(station) == []


def test_the_answer_to_a_usb_bundle_carries_the_directory_back(enrolled, tmp_path):
    central, station = enrolled
    add_at_central(central.app, name="Shelter A")
    station.finalised(1)
    station.seal_waiting()
    bundle, answer = tmp_path / "out.tipbundle", tmp_path / "answer.tipanswer"
    with station.ctx():
        sync_client.export_bundle(bundle)
    result = central.app.test_cli_runner().invoke(args=["bundle", "import", str(bundle), "--answer", str(answer)])
    assert result.exit_code == 0, result.output
    assert "Wrote the answer file" in result.output
    taken = station.app.test_cli_runner().invoke(args=["bundle", "answer", str(answer)])
    assert taken.exit_code == 0, taken.output
    assert _versions(station) == [1]


def test_an_answer_file_for_another_station_is_refused(enrolled, tmp_path):
    central, station = enrolled
    add_at_central(central.app, name="Shelter A")
    from app.services.central import directory
    with central.ctx():
        data = directory.answer_file("00000000-0000-4000-8000-000000000000")
    path = tmp_path / "answer.tipanswer"
    path.write_bytes(data)
    result = station.app.test_cli_runner().invoke(args=["bundle", "answer", str(path)])
    assert result.exit_code == 1 and "made for another station" in result.output
    assert _versions(station) == []


def test_the_commands_refuse_the_other_role(enrolled, tmp_path):
    central, station = enrolled
    assert "for the central role" in station.app.test_cli_runner().invoke(
        args=["directory", "export", str(tmp_path / "x.json")]).output
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    assert "for the station role" in central.app.test_cli_runner().invoke(
        args=["directory", "import", str(tmp_path / "x.json")]).output
