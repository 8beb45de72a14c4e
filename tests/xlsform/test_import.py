"""Importing XLSForms: what maps where, the languages, and refusals at their cell."""

from __future__ import annotations

import pytest

from app.questionnaire import check_answer, score, visible_questions
from app.questionnaire.fields import AnswerError
from app.questionnaire.xlsform import XLSFormError, from_xlsform, to_xform
from tests.support.odk_validate import odk_validate
from tests.xlsform.forms import SETTINGS, Rows, xlsx

LANGS = ["label::English (en)", "label::Thai (th)", "label::Burmese (my)", "label::Lao (lo)",
         "label::Khmer (km)"]


def refusal(data: bytes, **kwargs: object) -> list[tuple[str, int, str | None, str]]:
    with pytest.raises(XLSFormError) as error:
        from_xlsform(data, **kwargs)  # type: ignore[arg-type]
    return [(p.sheet, p.row, p.column, p.message) for p in error.value.problems]


def test_a_form_in_five_languages_keeps_every_text_and_its_xform_has_them_all() -> None:
    survey: Rows = [
        ["type", "name", *LANGS, "hint::English (en)", "hint::Thai (th)", "relevant",
         "constraint", "constraint_message::English (en)"],
        ["begin_group", "work", "Work", "งาน", "အလုပ်", "ວຽກ", "ការងារ", None, None, None, None,
         None],
        ["select_one yn", "q_paid", "Were you paid?", "คุณได้รับค่าจ้างไหม", "လစာ ရခဲ့ပါသလား။",
         "ເຈົ້າໄດ້ຮັບຄ່າຈ້າງບໍ?", "តើអ្នកបានទទួលប្រាក់ឈ្នួលទេ?", "Wages", "ค่าจ้าง", None, None,
         None],
        ["integer", "q_hours", "Hours a day", "ชั่วโมงต่อวัน", "တစ်ရက် နာရီ", "ຊົ່ວໂມງຕໍ່ມື້",
         "ម៉ោងក្នុងមួយថ្ងៃ", None, None, "${q_paid} = 'no' or ${q_paid} = 'dk'",
         ". >= 0 and . <= 24", "0 to 24"],
        ["end_group", None, None, None, None, None, None, None, None, None, None, None],
    ]
    choices: Rows = [["list_name", "name", *LANGS],
                     ["yn", "yes", "Yes", "ใช่", "ဟုတ်", "ແມ່ນ", "បាទ/ចាស"],
                     ["yn", "no", "No", "ไม่", "မဟုတ်", "ບໍ່", "ទេ"],
                     ["yn", "dk", "Don't know", "ไม่ทราบ", "မသိ", "ບໍ່ຮູ້", "មិនដឹង"]]
    imported = from_xlsform(xlsx(survey, choices))
    d = imported.definition
    assert d.languages == ("en", "th", "my", "lo", "km")
    paid = d.question("q_paid")
    assert paid is not None and paid.type == "single"
    assert paid.label.texts["km"] == "តើអ្នកបានទទួលប្រាក់ឈ្នួលទេ?"
    assert paid.help is not None and paid.help.texts == {"en": "Wages", "th": "ค่าจ้าง"}
    # "dk" is the engine's "not sure", not an option.
    assert [o.value for o in paid.options] == ["yes", "no"]
    assert paid.allow_unknown and not paid.allow_declined
    hours = d.question("q_hours")
    assert hours is not None
    assert (hours.type, hours.min, hours.max, hours.constraint) == ("number", 0, 24, None)
    assert hours.relevant == "${q_paid} = 'no' or unknown(${q_paid})"
    assert d.sections[0].title.texts["lo"] == "ວຽກ"
    # The engine runs it: skip logic and the range.
    assert [q.id for q in visible_questions(d, {"q_paid": {"special": "unknown"}})] == [
        "q_paid", "q_hours"]
    assert [q.id for q in visible_questions(d, {"q_paid": "yes"})] == ["q_paid"]
    with pytest.raises(AnswerError):
        check_answer(d, "q_hours", "25")
    assert score(d, {"q_paid": "no", "q_hours": 10}).tier.value == "no_indicators"
    xform = to_xform(d)
    odk_validate(xform)
    assert xform.count("<translation ") == 5


def test_tip_columns_carry_indicators_flags_facts_and_outcome_rules() -> None:
    header = ["type", "name", "label", "calculation", "tip_type", "tip_element",
              "tip_strength", "tip_strength_child", "tip_when", "tip_core"]
    survey: Rows = [
        header,
        ["calculate", "max_hours", None, "12", None, None, None, None, None, None],
        ["begin group", "work", "Work", None, None, None, None, None, None, None],
        ["select_one yn", "q_locked", "Were you locked in?", None, "yesno",
         "coercion_at_destination", "strong", None, None, "yes"],
        ["integer", "q_hours", "Hours a day", None, None, "exploitation", "medium", "strong",
         "${q_hours} > ${max_hours}", None],
        ["end group", None, None, None, None, None, None, None, None, None],
    ]
    choices: Rows = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    flags: Rows = [["id", "code", "level", "when", "label", "action"],
                   ["flag_locked", "DANGER", "alert", "${q_locked} = 'yes'", "Locked in",
                    "Move the person to a safe place."]]
    facts: Rows = [["id", "question", "source", "bands", "filter", "label"],
                   ["hours", "q_hours", None, "0 8 13", "yes", "Hours a day"],
                   ["tier", None, "tier", None, None, "Outcome"]]
    outcome: Rows = [["rule", "name", "value", "label"],
                     ["group", "act", "deceptive_recruitment", None],
                     ["group", "means", "coercion_at_destination", None],
                     ["group", "purpose", "exploitation", None],
                     ["element_rule", None, "strong", None],
                     ["medium_count", None, "1", None],
                     *[["explanation", tier, None, f"Because {tier}"] for tier in
                       ("refer_mdt", "possible_victim", "labour_rights", "no_indicators")]]
    d = from_xlsform(xlsx(survey, choices, tip_flags=flags, tip_facts=facts,
                          tip_outcome=outcome)).definition
    assert d.parameters == {"max_hours": 12}
    locked = d.question("q_locked")
    assert locked is not None and locked.type == "yesno" and locked.core
    assert locked.indicators[0].when == "${q_locked} = 'yes'"  # the yes/no default
    hours = d.question("q_hours")
    assert hours is not None and hours.indicators[0].when == "${q_hours} > max_hours"
    assert (hours.indicators[0].adult, hours.indicators[0].child) == ("medium", "strong")
    assert [f.code for f in d.flags] == ["DANGER"]
    assert d.facts[0].bands == (0, 8, 13) and d.facts[0].filter
    assert d.outcome.element_rule == (("strong",),) and d.outcome.medium_count == 1
    outcome_now = score(d, {"q_locked": "yes", "q_hours": 14})
    assert outcome_now.element("coercion_at_destination").positive
    exploitation = outcome_now.element("exploitation")  # a medium one: not the rule's strong
    assert [hit.strength for hit in exploitation.indicators] == ["medium"]
    assert not exploitation.positive
    assert outcome_now.reason == "possible_victim.strong_indicator"
    assert [f.code for f in outcome_now.flags] == ["DANGER"]


SIMPLE: Rows = [["type", "name", "label"], ["text", "q_name", "Name"]]


@pytest.mark.parametrize(("survey", "choices", "expected"), [
    # A type the engine lacks, at its cell.
    ([["type", "name", "label"], ["geopoint", "q_where", "Where?"]], None,
     ("survey", 2, "type", "The type geopoint has no tip-screen question type")),
    # A group with nothing to ask.
    ([["type", "name", "label"], ["begin_group", "a", "A"], ["note", "n", "N"],
      ["begin_group", "b", "B"], ["end_group", None, None], ["end_group", None, None]], None,
     ("survey", 5, "type", "This group has no questions.")),
    ([["type", "name", "label"], ["begin_repeat", "r", "R"], ["text", "q", "Q"],
      ["end_repeat", None, None]], None, ("survey", 2, "type", "Repeats are not supported")),
    # An expression construct, named.
    ([["type", "name", "label", "relevant"], ["text", "q_a", "A", None],
      ["text", "q_b", "B", "regex(${q_a}, '^x')"]], None,
     ("survey", 3, "relevant", "regex(): this function is not supported")),
    ([["type", "name", "label", "relevant"], ["date", "q_d", "D", None],
      ["text", "q_b", "B", "${q_d} < today()"]], None,
     ("survey", 3, "relevant", "today(): today() is supported only in a date question's")),
    ([["type", "name", "label", "constraint"], ["integer", "q_n", "N", ". mod 2 = 0"]], None,
     ("survey", 2, "constraint", "mod: the remainder of a division is not supported")),
    # A column with nowhere to go is never dropped.
    ([["type", "name", "label", "choice_filter"], ["select_one l", "q", "Q", "x = 1"]],
     [["list_name", "name", "label"], ["l", "a", "A"]],
     ("survey", 2, "choice_filter", "choice_filter is not supported")),
    ([["type", "name", "label", "comments"], ["text", "q", "Q", "note to self"]], None,
     ("survey", 2, "comments", "The column comments is not supported on the survey sheet.")),
    ([["type", "name", "label::Français (fr)"], ["text", "q", "Question"]], None,
     ("survey", 2, "label::Français (fr)", "The language Français (fr) is not one")),
    ([["type", "name", "label::Thai (th)"], ["text", "q", "คำถาม"]], None,
     ("survey", 2, "label", "The question q has no English label.")),
    ([["type", "name", "label"], ["select_one l", "q", "Q"]],
     [["list_name", "name", "label"], ["l", "Yes", "Yes"]],
     ("choices", 2, "name", "does not match")),
    ([["type", "name", "label"], ["select_one l or_other", "q", "Q"]],
     [["list_name", "name", "label"], ["l", "a", "A"]],
     ("survey", 2, "type", "or_other is not supported")),
    ([["type", "name", "label", "calculation"], ["calculate", "c", None, "${q} + 1"],
      ["integer", "q", "Q", None]], None,
     ("survey", 2, "calculation", "Only a constant calculation")),
    ([["type", "name", "label", "tip_type"], ["text", "q", "Q", "yesno"]], None,
     ("survey", 2, "tip_type", "tip_type yesno does not fit the type text (it fits: longtext, text)")),
    ([["type", "name", "label", "tip_element"], ["integer", "q", "Q", "exploitation"]], None,
     ("survey", 2, "tip_strength", "An indicator needs both tip_element and tip_strength.")),
])
def test_refusals_name_sheet_row_column_and_construct(
        survey: Rows, choices: Rows | None, expected: tuple[str, int, str, str]) -> None:
    problems = refusal(xlsx(survey, choices))
    sheet, row, column, message = expected
    assert any(p[:3] == (sheet, row, column) and message in p[3] for p in problems), problems


def test_an_edited_expression_with_a_stale_exact_column_is_refused() -> None:
    survey: Rows = [["type", "name", "label", "relevant", "tip_exact_relevant"],
                    ["integer", "q_a", "A", None, None],
                    ["text", "q_b", "B", "${q_a} > 3", "known(${q_a})"]]
    assert refusal(xlsx(survey)) == [("survey", 3, "tip_exact_relevant", (
        "The column relevant no longer matches tip_exact_relevant: it was edited. Delete the "
        "tip_exact_relevant cell or write the same condition there."))]


def test_a_version_that_is_not_semantic_is_refused_unless_one_is_given() -> None:
    settings: Rows = [["form_title", "form_id", "version"], ["Form", "form", "2017021501"]]
    assert refusal(xlsx(SIMPLE, settings=settings)) == [("settings", 2, "version", (
        "The version 2017021501 is not MAJOR.MINOR.PATCH (such as 1.0.0); give one with "
        "--version."))]
    assert from_xlsform(xlsx(SIMPLE, settings=settings), version="1.0.0").definition.version == "1.0.0"


def test_a_definition_problem_is_reported_at_the_cell_it_comes_from() -> None:
    survey: Rows = [["type", "name", "label", "relevant"],
                    ["text", "q_a", "A", "${q_b} = 'x'"], ["text", "q_b", "B", None]]
    problems = refusal(xlsx(survey))
    assert [p[:3] for p in problems] == [("survey", 2, "relevant")], problems
    assert "q_b" in problems[0][3]


def test_metadata_and_required_are_imported_with_a_warning_not_silently() -> None:
    survey: Rows = [["type", "name", "label", "required", "appearance"],
                    ["start", "start", None, None, None],
                    ["text", "q", "Q", "yes", "minimal"]]
    imported = from_xlsform(xlsx(survey, settings=SETTINGS))
    assert [q.id for q in imported.definition.questions()] == ["q"]
    found = {(w.sheet, w.row, w.column) for w in imported.warnings}
    assert {("survey", 2, "type"), ("survey", 3, "required"), ("survey", 3, "appearance")} <= found
    assert any(w.sheet == "" and "tip_outcome" in w.message for w in imported.warnings) or any(
        "tip_outcome" in w.message for w in imported.warnings)


def test_not_a_workbook_is_refused_in_words() -> None:
    assert refusal(b"type,name,label\ntext,q,Q\n") == [("", 0, None, (
        "This is not an .xlsx workbook. Save the form in Excel's .xlsx format and try again."))]


def test_pyxforms_own_rules_come_first() -> None:
    survey: Rows = [["type", "name", "label"], ["begin_group", "g", "G"], ["text", "q", "Q"]]
    problems = refusal(xlsx(survey))
    assert len(problems) == 1 and problems[0][3].startswith("XLSForm rules (pyxform): ")


def test_tip_fact_and_tip_flag_columns_declare_a_fact_and_a_flag_from_their_row() -> None:
    survey: Rows = [
        ["type", "name", "label", "tip_type", "tip_fact", "tip_fact_bands", "tip_fact_filter",
         "tip_flag", "tip_flag_level", "tip_flag_label::English (en)",
         "tip_flag_action::English (en)", "tip_flag_action::Thai (th)"],
        ["integer", "q_age", "Age", None, "age_band", "0 18", "yes", None, None, None, None,
         None],
        ["select_one yn", "q_hurt", "Are you hurt?", "yesno", None, None, None, "MEDICAL",
         "alert", "Needs care", "Call a doctor.", "เรียกแพทย์"],
        ["select_one yn", "q_bad", "Badly?", "yesno", None, None, None, "BAD", None, None,
         None, None],
    ]
    choices: Rows = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    facts: Rows = [["id", "source", "label"], ["tier", "tier", "Outcome"]]
    problems = refusal(xlsx(survey, choices, tip_facts=facts))
    # The third row's flag has no action: refused at that row.
    assert [(p[0], p[1], p[2]) for p in problems] == [("survey", 4, "tip_flag_action")], problems
    survey[3][8:] = [None, None, "Ask again.", None]
    survey[3][-2] = "Ask again."
    d = from_xlsform(xlsx(survey, choices, tip_facts=facts)).definition
    assert [(f.id, f.question, f.bands, f.filter) for f in d.facts] == [
        ("tier", None, (), False), ("age_band", "q_age", (0, 18), True)]
    assert [(f.id, f.code, f.when, f.action.texts) for f in d.flags] == [
        ("flag_q_hurt", "MEDICAL", "${q_hurt} = 'yes'", {"en": "Call a doctor.", "th": "เรียกแพทย์"}),
        ("flag_q_bad", "BAD", "${q_bad} = 'yes'", {"en": "Ask again."})]
    assert d.flags[0].label is not None and d.flags[0].label.get("en") == "Needs care"
    assert [f.code for f in score(d, {"q_hurt": "yes"}).flags] == ["MEDICAL"]


def test_a_zip_bomb_is_refused_before_anything_unpacks_it() -> None:
    import io
    import zipfile

    from app.questionnaire.xlsform.sheets import MAX_UNPACKED_BYTES

    # A real form, plus one member of zeros that deflates to about 0.1% of its size.
    form = io.BytesIO(xlsx(SIMPLE))
    bomb = io.BytesIO()
    with zipfile.ZipFile(form) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            out.writestr(member, source.read(member))
        out.writestr("xl/media/padding.bin", bytes(MAX_UNPACKED_BYTES + 1))
    data = bomb.getvalue()
    assert len(data) < 1024 * 1024  # small enough to upload
    problems = refusal(data)
    assert len(problems) == 1 and problems[0][3].startswith("The workbook would unpack to 64 MB")


def test_a_group_inside_a_group_becomes_sections_shown_when_both_groups_are() -> None:
    survey: Rows = [["type", "name", "label", "relevant"],
                    ["integer", "q_age", "Age", None],
                    ["begin_group", "work", "Work", "${q_age} >= 15"],
                    ["text", "q_job", "Job", None],
                    ["begin_group", "pay", "Pay", "${q_job} != ''"],
                    ["integer", "q_wage", "Wage", None],
                    ["end_group", None, None, None],
                    ["text", "q_boss", "Boss", None],
                    ["end_group", None, None, None]]
    d = from_xlsform(xlsx(survey)).definition
    assert [(s.id, s.relevant, [q.id for q in s.questions]) for s in d.sections] == [
        ("questions", None, ["q_age"]),
        ("work", "${q_age} >= 15", ["q_job"]),
        ("pay", "${q_age} >= 15 and answered(${q_job})", ["q_wage"]),
        ("work_2", "${q_age} >= 15", ["q_boss"])]
    assert d.sections[3].title.get("en") == "Work"
    assert [q.id for q in visible_questions(d, {"q_age": 20, "q_job": "farm"})] == [
        "q_age", "q_job", "q_wage", "q_boss"]
    assert [q.id for q in visible_questions(d, {"q_age": 12})] == ["q_age"]
