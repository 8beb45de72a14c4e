"""The slip with the signed directory's organisations, each with every contact (phone,
messaging, address, hours), still prints on one A4 page in all five languages (Chromium's
Page.printToPDF; the PDFs are left in test-artifacts/)."""

from __future__ import annotations

import base64

import pytest

from app.languages import CODES
from app.questionnaire import LocalText
from tests.directory.conftest import organisation
from tests.screening.test_card_and_slip_browser import ARTIFACTS, HEAVY, WIDTH, pdf_pages, start
from tests.screening.test_card_and_slip_browser import station as station  # noqa: F401  (a fixture)

# The fullest realistic referral: six organisations with long names and every contact.
ORGANISATIONS = [organisation(
    id=f"o-0000000{n}", kind=kind, province="Tak", services=("children", "medical", "shelter"),
    name=LocalText({"en": f"{name} of Tak province, Mae Sot district office",
                    "th": f"{name} จังหวัดตาก สำนักงานอำเภอแม่สอด",
                    "my": f"{name} တာ့ခ်ပြည်နယ် မဲဆောက်ခရိုင် ရုံး",
                    "lo": f"{name} ແຂວງຕາກ ຫ້ອງການເມືອງແມ່ສອດ",
                    "km": f"{name} ខេត្តតាក ការិយាល័យស្រុកម៉ែសត"}),
    contacts={"phone": "+66 55 123 456", "messaging": "LINE @tak-help-desk",
              "address": "123/4 Intharakiri Road, Tambon Mae Sot, Amphoe Mae Sot, Tak 63110",
              "hours": "Mon-Fri 08:30-16:30; hotline 24 hours"})
    for n, (kind, name) in enumerate([("shelter", "Children's shelter"), ("health", "Hospital"),
                                      ("legal_aid", "Legal aid"), ("ngo", "Migrant assistance NGO"),
                                      ("child_protection", "Child protection"), ("labour", "Labour office")], 1)]
HOTLINES = [organisation(id=f"o-0000010{n}", kind="hotline", province="", name=name, contacts={"phone": number})
            for n, (number, name) in enumerate([("1300", "Prachabodi Center"), ("1191", "Police hotline")])]


@pytest.mark.browser
@pytest.mark.parametrize("lang", CODES)
def test_a_slip_with_the_directory_s_contacts_prints_on_one_a4_page(station, publish, lang):  # noqa: F811
    publish(*ORGANISATIONS, *HOTLINES)
    page = station
    answers = {**HEAVY, "q_referral_to": [o.id for o in ORGANISATIONS]}
    record_id = start(page, lang, answers)
    page.open(f"/screenings/{record_id}/slip")
    assert not page.scrolls_sideways(), f"{lang}: the slip scrolls sideways at {WIDTH}px"
    assert len(page.find_all("[data-referral]")) == len(ORGANISATIONS)
    assert len(page.find_all("[data-contact=hours]")) == len(ORGANISATIONS)
    hotlines = page.find(".slip-hotlines").text
    assert "1300" in hotlines and "1191" in hotlines
    page.screenshot(f"slip-directory-{lang}-360x740")
    printed = page.driver.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True, "printBackground": True})
    pdf = base64.b64decode(printed["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"slip-directory-{lang}.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1, f"{lang}: the slip with the directory prints on more than one A4 page"
