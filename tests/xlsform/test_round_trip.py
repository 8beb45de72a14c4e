"""The shipped definitions through XLSForm and back: an equal definition, a valid XForm."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from openpyxl import load_workbook

from app.questionnaire import load_definition
from app.questionnaire.definition import load_yaml, validate_data
from app.questionnaire.xlsform import definition_yaml, from_xlsform, to_xform, to_xlsform
from tests.support.odk_validate import odk_validate

SHIPPED = Path(__file__).resolve().parents[2] / "app" / "questionnaires"
DEFAULTS = ["default.yaml", "tip-default-1.1.0.yaml"]


@pytest.fixture(scope="module", params=DEFAULTS)
def shipped(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return load_definition(SHIPPED / request.param)


def test_the_default_comes_back_equal(shipped) -> None:  # type: ignore[no-untyped-def]
    imported = from_xlsform(to_xlsform(shipped))
    assert imported.definition == dataclasses.replace(shipped, path=None)
    assert imported.warnings == ()


def test_the_yaml_written_for_an_import_loads_to_the_same_definition(shipped, tmp_path) -> None:  # type: ignore[no-untyped-def]
    imported = from_xlsform(to_xlsform(shipped))
    path = tmp_path / "imported.yaml"
    path.write_text(definition_yaml(imported, "x.xlsx"), encoding="utf-8")
    assert validate_data(load_yaml(path.read_text(encoding="utf-8"))) == []
    assert dataclasses.replace(load_definition(path), path=None) == dataclasses.replace(
        shipped, path=None)


def test_the_xlsform_is_what_docs_xlsform_md_describes(shipped) -> None:  # type: ignore[no-untyped-def]
    book = load_workbook(io.BytesIO(to_xlsform(shipped)))
    assert book.sheetnames == ["survey", "choices", "settings", "tip_outcome", "tip_flags",
                               "tip_facts"]
    survey = list(book["survey"].iter_rows(values_only=True))
    header = survey[0]
    assert header[:3] == ("type", "name", "label::English (en)")
    assert "label::Thai (th)" in header and "label::Khmer (km)" in header
    rows = [dict(zip(header, r, strict=True)) for r in survey[1:]]
    # Parameters are constant calculations; sections are groups; yes/no has a tip_type.
    assert {"type": "calculate", "name": "child_age", "calculation": "18"}.items() <= {
        k: v for k, v in rows[0].items() if v is not None}.items()
    age = next(r for r in rows if r["name"] == "q_age")
    assert age["tip_type"] == "age_or_dob" and age["type"] == "integer"
    hours = next(r for r in rows if r["name"] == "q_hours_per_day")
    assert hours["constraint"] == ". >= 0 and . <= 24"
    assert hours["tip_when"] == "${q_hours_per_day} > ${max_hours_per_day}"
    # The one expression whose translation back is written differently keeps its text.
    child = next(r for r in rows if r["name"] == "q_maybe_child")
    assert child["relevant"] == "not(${q_age} != '') or ${q_age} >= ${child_age}"
    assert child["tip_exact_relevant"] == "not known(${q_age}) or ${q_age} >= child_age"


def test_the_xform_passes_odk_validate_with_every_language(shipped) -> None:  # type: ignore[no-untyped-def]
    xform = to_xform(shipped)
    odk_validate(xform)
    assert re.findall(r'<translation lang="([^"]+)"', xform) == [
        "English (en)", "Thai (th)", "Burmese (my)", "Lao (lo)", "Khmer (km)"]
    assert f'id="{shipped.id}" version="{shipped.version}"' in xform
    # Thai text of the first section's title is in the Thai translation.
    thai = xform.split('<translation lang="Thai (th)">')[1].split("</translation>")[0]
    assert shipped.sections[0].title.get("th") in thai


def test_an_encrypted_form_names_the_key_and_the_submission_address(shipped) -> None:  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    public = base64.b64encode(der).decode()
    xform = to_xform(shipped, public_key=public, submission_url="https://station.local/submission")
    odk_validate(xform)
    assert f'base64RsaPublicKey="{public}"' in xform
    assert 'action="https://station.local/submission"' in xform


def test_a_type_xlsform_cannot_write_is_refused_by_name(shipped) -> None:  # type: ignore[no-untyped-def]
    from app.questionnaire.fields import FIELD_TYPES, FieldType, register
    from app.questionnaire.xlsform import XLSFormError

    class Sketch(FieldType):
        """A type with no XLSForm form (no xlsform_types)."""

        name = "sketch_for_xlsform_test"

    saved = dict(FIELD_TYPES)
    register(Sketch)
    try:
        first = shipped.sections[0]
        odd = dataclasses.replace(first.questions[0], type=Sketch.name)
        section = dataclasses.replace(first, questions=(odd, *first.questions[1:]))
        definition = dataclasses.replace(shipped, sections=(section, *shipped.sections[1:]))
        with pytest.raises(XLSFormError) as error:
            to_xlsform(definition)
        assert error.value.problems[0].message == (
            f"The question type sketch_for_xlsform_test has no XLSForm form, so {odd.id} "
            "cannot be exported.")
    finally:
        FIELD_TYPES.clear()
        FIELD_TYPES.update(saved)
