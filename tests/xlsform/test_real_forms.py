"""Real XLSForms written by others (tests/xlsform/data/README.md): each imports, and its
XForm passes ODK Validate, or is refused with a precise message; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.questionnaire.xlsform import XLSFormError, from_xlsform, to_xform
from tests.support.odk_validate import odk_validate

DATA = Path(__file__).parent / "data"

IMPORTS = {
    "yes_or_no_question.xlsx": ["good_day"],
    "text_and_integer.xlsx": ["your_name", "your_age"],
    "group.xlsx": ["family_name", "age"],  # and "phone number", a metadata row: a warning
    "extra_columns.xlsx": ["a"],
    "ODKValidateWarnings.xlsx": ["family_name", "age"],
}
# file -> (sheet, row, column, start of the message) of the first problem
REFUSED = {
    "choice_filter_test.xlsx": ("survey", 3, "choice_filter", "choice_filter is not supported"),
    "or_other.xlsx": ("survey", 3, "choice_filter", "choice_filter is not supported"),
    "field-list.xlsx": ("choices", 2, "label::chinese", "The language chinese is not one"),
    "pull_data.xlsx": ("survey", 2, "calculation", "Only a constant calculation"),
    "loop.xlsx": ("survey", 2, "type", "or_other is not supported"),
}


def test_every_file_in_the_folder_is_listed() -> None:
    assert sorted(p.name for p in DATA.glob("*.xlsx")) == sorted([*IMPORTS, *REFUSED])


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_real_form_imports_and_its_xform_is_valid(name: str) -> None:
    imported = from_xlsform((DATA / name).read_bytes(), source=name, version="1.0.0")
    d = imported.definition
    assert [q.id for q in d.questions()] == IMPORTS[name]
    assert all(q.label.get("en") for q in d.questions())
    assert any("tip_outcome" in w.message for w in imported.warnings)
    odk_validate(to_xform(d))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_form_is_refused_at_the_cell(name: str) -> None:
    with pytest.raises(XLSFormError) as error:
        from_xlsform((DATA / name).read_bytes(), source=name, version="1.0.0")
    first = error.value.problems[0]
    sheet, row, column, message = REFUSED[name]
    assert (first.sheet, first.row, first.column) == (sheet, row, column)
    assert first.message.startswith(message)


def test_groups_become_sections_and_metadata_rows_are_named_in_a_warning() -> None:
    imported = from_xlsform((DATA / "group.xlsx").read_bytes(), source="group.xlsx",
                            version="1.0.0")
    d = imported.definition
    assert [(s.id, [q.id for q in s.questions]) for s in d.sections] == [
        ("questions", ["family_name"]), ("father", ["age"])]
    assert d.sections[1].title.get("en") == "Father"
    assert d.id == "group"  # from the file name: the form has no form_id
    warned = [(w.sheet, w.row, w.column) for w in imported.warnings]
    assert ("survey", 4, "type") in warned
