"""Languages in the interview: Zawgyi, digits of every script, Buddhist-era dates, fallbacks."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.support.interview import Interview
from tests.support.interview import stored_answers as _answers
from tests.support.testdata import rows


def _pairs(data: Path, limit: int = 6) -> list[tuple[str, str]]:
    zawgyi = (data / "mmgov_zawgyi_src.txt").read_text(encoding="utf-8").splitlines()
    uni = (data / "mmgov_unicode_out.txt").read_text(encoding="utf-8").splitlines()
    pairs = [(z, u) for z, u in zip(zawgyi, uni, strict=True)
             if z.strip() and not z.startswith("#") and len(z) > 40 and z != u]
    return pairs[:limit]


@pytest.mark.parametrize("zawgyi, unicode_text", rows("zawgyi", _pairs, width=2))
def test_zawgyi_free_text_is_stored_as_unicode_with_the_original(app, start, testdata, zawgyi, unicode_text):
    testdata("zawgyi")
    interview: Interview = start("my")
    body = interview.autosave(q_observation_notes=zawgyi).get_json()
    assert body["ok"] and body["converted"] == {"q_observation_notes": True}
    stored = _answers(app, interview)["q_observation_notes"]
    assert unicodedata.normalize("NFC", stored["value"]) == unicodedata.normalize("NFC", unicode_text)
    assert stored["zawgyi_original"] == zawgyi


@pytest.mark.parametrize("text", [
    "မြန်မာနိုင်ငံ ရန်ကုန်မြို့တွင် အလုပ်လုပ်ခဲ့သည်",   # Unicode Burmese
    "ทำงานที่แม่สอด 3 ปี and then Bangkok",              # Thai and Latin mixed
    "ເຮັດວຽກຢູ່ ວຽງຈັນ",                                   # Lao
    "ធ្វើការនៅ ភ្នំពេញ",                                    # Khmer
])
def test_other_text_is_left_exactly_as_typed(app, start, text):
    interview: Interview = start("my")
    body = interview.autosave(q_observation_notes=text).get_json()
    assert body["ok"] and not body["converted"]
    stored = _answers(app, interview)["q_observation_notes"]
    assert stored["value"] == text and "zawgyi_original" not in stored


@pytest.mark.parametrize("typed, expected", [("12", 12), ("๑๒", 12), ("၁၂", 12), ("໑໒", 12), ("១២", 12),
                                             ("\u1091\u1092", 12),  # Shan digits (Myanmar block)
                                             ("\ua9f1\ua9f2", 12)])  # Tai Laing digits (Myanmar Extended-B)
def test_numbers_in_every_script(app, start, typed, expected):
    interview: Interview = start()
    assert interview.autosave(q_hours_per_day=typed).get_json()["ok"]
    assert _answers(app, interview)["q_hours_per_day"]["value"] == expected


def test_thai_officers_type_buddhist_era_dates(app, client, start):
    client.set_cookie("lang", "th")
    interview: Interview = start()
    next_year_be = date.today().year + 1 + 543
    assert interview.autosave(q_followup_date=f"15/03/{next_year_be}").get_json()["ok"]
    stored = _answers(app, interview)["q_followup_date"]["value"]
    assert stored["date"] == f"{date.today().year + 1}-03-15"
    page = interview.page("referral").get_data(as_text=True)
    assert f"15/03/{next_year_be}" in page  # shown back in the Buddhist era
    assert "พ.ศ." in page or "Buddhist era" in page


def test_other_officers_type_common_era_dates(app, client, start):
    client.set_cookie("lang", "en")
    interview: Interview = start()
    year = date.today().year + 1
    assert interview.autosave(q_followup_date=f"15/03/{year}").get_json()["ok"]
    assert _answers(app, interview)["q_followup_date"]["value"]["date"] == f"{year}-03-15"


def test_thai_record_list_shows_buddhist_era_years(client, start):
    client.set_cookie("lang", "th")
    interview: Interview = start()
    interview.autosave(q_respondent_name="Nok")
    listing = client.get("/screenings/").get_data(as_text=True)
    assert str(date.today().year + 543) in listing
    assert str(date.today().year) not in listing.split("<tbody>")[1]


def test_missing_questionnaire_translation_falls_back_to_english_visibly(app, client, start):
    import shutil

    source = Path(app.root_path) / "questionnaires" / "tip-default-1.1.0.yaml"  # the latest
    target = Path(app.instance_path) / "questionnaires"
    target.mkdir(exist_ok=True)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["version"] = "1.1.1"
    # A new question label with English only, as an organisation might add in a hurry.
    assert data["sections"][1]["questions"][0]["id"] == "q_consent_interview"
    data["sections"][1]["questions"][0]["label"] = {"en": "Untranslated new label"}
    (target / "default-1.1.1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app.extensions.pop("tip_questionnaires", None)
    interview: Interview = start("km")
    page = interview.page("consent").get_data(as_text=True)
    assert "Untranslated new label" in page
    assert 'class="fallback-mark"' in page
    shutil.rmtree(target)


def test_review_page_tells_the_officer_a_conversion_happened(client, start, testdata):
    zawgyi, _ = _pairs(testdata("zawgyi"), 1)[0]
    interview: Interview = start("my")
    interview.autosave(q_observation_notes=zawgyi, q_consent_interview="yes")
    page = client.get(f"/screenings/{interview.id}/review").get_data(as_text=True)
    assert "converted to Unicode" in page
