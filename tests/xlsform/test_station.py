"""The CLI commands and the administrator's page: a real app on a real SQLite file."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.questionnaire import load_definition
from app.questionnaire.xlsform import from_xlsform
from app.services import questionnaires
from tests.support.web import csrf_from, login
from tests.xlsform.forms import Rows, xlsx

SHIPPED = Path(__file__).resolve().parents[2] / "app" / "questionnaires"
SMALL: Rows = [["type", "name", "label", "label::Thai (th)"],
               ["begin_group", "part", "Part", "ส่วน"], ["text", "q_name", "Name", "ชื่อ"],
               ["end_group", None, None, None]]
BROKEN: Rows = [["type", "name", "label"], ["geopoint", "q_where", "Where?"]]


def instance_files(app: Flask) -> list[str]:
    folder = Path(app.instance_path) / "questionnaires"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_cli_export_then_import_gives_the_same_questionnaire(app: Flask, runner: Any,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "default.xlsx"
    result = runner.invoke(args=["questionnaire", "export-xlsform", "tip-default", "1.1.0",
                                 str(out)])
    assert result.exit_code == 0, result.output
    shipped = load_definition(SHIPPED / "tip-default-1.1.0.yaml")
    assert from_xlsform(out.read_bytes()).definition == dataclasses.replace(shipped, path=None)
    # The same (id, version) again is refused: a published version never changes.
    result = runner.invoke(args=["questionnaire", "import-xlsform", str(out)])
    assert result.exit_code == 1 and "exists already" in result.output
    assert instance_files(app) == []
    result = runner.invoke(args=["questionnaire", "import-xlsform", str(out), "--version", "1.2.0"])
    assert result.exit_code == 0, result.output
    assert instance_files(app) == ["tip-default-1.2.0.yaml"]
    with app.app_context():
        imported = questionnaires.get("tip-default", "1.2.0")
        assert imported is not None and imported.sections == shipped.sections
    listed = runner.invoke(args=["questionnaire", "list"]).output
    assert "tip-default\t1.2.0\tinstance" in listed and "tip-default\t1.1.0\tshipped" in listed


def test_cli_refusal_prints_sheet_row_and_column_and_writes_nothing(app: Flask, runner: Any,
                                                                     tmp_path: Path) -> None:
    form = tmp_path / "broken.xlsx"
    form.write_bytes(xlsx(BROKEN))
    result = runner.invoke(args=["questionnaire", "import-xlsform", str(form)])
    assert result.exit_code == 1
    assert "survey sheet, row 2, column type: The type geopoint has no tip-screen question type" \
        in result.output
    assert "Traceback" not in result.output
    assert instance_files(app) == []


def test_cli_export_of_an_unknown_questionnaire_says_so(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["questionnaire", "export-xlsform", "nope", "1.0.0",
                                 str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "There is no questionnaire nope version 1.0.0" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def upload(client: FlaskClient, data: bytes, **fields: str) -> Any:
    page = client.get("/admin/questionnaires")
    assert page.status_code == 200
    return client.post("/admin/questionnaires", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "xlsform": (io.BytesIO(data), "small.xlsx"), **fields})


def test_the_admin_page_imports_a_form_and_offers_it(app: Flask, client: FlaskClient,
                                                      installed: dict[str, str]) -> None:
    login(client, installed["username"], installed["passphrase"])
    response = upload(client, xlsx(SMALL))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Questionnaire small version 1.0.0 imported." in html
    assert instance_files(app) == ["small-1.0.0.yaml"]
    assert 'data-questionnaire="small 1.0.0"' in html
    with app.app_context():
        small = questionnaires.get("small", "1.0.0")
    assert small is not None and small.question("q_name").label.texts == {"en": "Name",  # type: ignore[union-attr]
                                                                          "th": "ชื่อ"}
    # What the page downloads imports back to the same questionnaire.
    download = client.get("/admin/questionnaires/small/1.0.0.xlsx")
    assert download.status_code == 200
    assert from_xlsform(download.data).definition == dataclasses.replace(small, path=None)


def test_the_admin_page_shows_every_problem_and_changes_nothing(app: Flask, client: FlaskClient,
                                                                installed: dict[str, str]) -> None:
    login(client, installed["username"], installed["passphrase"])
    response = upload(client, xlsx(BROKEN))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form was not imported: nothing changed." in html
    assert "Sheet survey, row 2, column type:" in html and "geopoint" in html
    assert instance_files(app) == []


def test_the_page_is_for_administrators_only(app: Flask, client: FlaskClient) -> None:
    assert client.get("/admin/questionnaires").status_code in (302, 401, 403)
    assert client.get("/admin/questionnaires/tip-default/1.1.0.xlsx").status_code in (302, 401, 403)
