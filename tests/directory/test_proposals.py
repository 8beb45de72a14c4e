"""The referral step: needs from the answers, the post's province, the person's language, and
the consent gates (cross-border, multidisciplinary team), proven through the pure rules and
through the interview's real routes (a save that bypasses a gate by posting an id is refused)."""

from __future__ import annotations

import pytest

from app.questionnaire import SHIPPED_DIR, load_definition
from app.services.referrals.proposals import needs, offer
from tests.directory.conftest import organisation

DEFINITION = load_definition(SHIPPED_DIR / "tip-default-1.1.0.yaml")

SHELTER = organisation(id="o-000000a1", name="Tak shelter", services=("shelter", "children"), languages=("th",))
CLINIC = organisation(id="o-000000a2", name="Mae Sot clinic", kind="health", services=("medical",),
                      languages=("my", "th"))
CLINIC_ELSEWHERE = organisation(id="o-000000a3", name="Chiang Mai clinic", kind="health", province="Chiang Mai",
                                services=("medical",), languages=("my",))
NATIONAL_LEGAL = organisation(id="o-000000a4", name="Lawyers Council", kind="legal_aid", province="",
                              services=("legal",), languages=("th",))
MDT = organisation(id="o-000000a5", name="Tak MDT", kind="government", services=("children", "medical"),
                   mdt=True)
HOME_MM = organisation(id="o-000000a6", name="Myawaddy social welfare", kind="government", country="MM",
                       province="Kayin", services=("repatriation", "children"), languages=("my",))
HOME_KH = organisation(id="o-000000a7", name="Phnom Penh shelter", kind="shelter", country="KH",
                       province="Phnom Penh", services=("repatriation",), languages=("km",))
HOTLINE = organisation(id="o-000000a8", name="1300", kind="hotline", province="", services=("children",))
RETIRED = organisation(id="o-000000a9", name="Closed shelter", services=("children",), retired=True)
ALL = (SHELTER, CLINIC, CLINIC_ELSEWHERE, NATIONAL_LEGAL, MDT, HOME_MM, HOME_KH, HOTLINE, RETIRED)


def _offer(answers, language="my"):
    return offer(DEFINITION, answers, ALL, post_country="TH", province="Tak", language=language)


def _names(orgs):
    return [o.name.get("en") for o in orgs]


CHILD_NEEDING_A_DOCTOR = {"q_consent_interview": "yes", "q_age": {"age": 15}, "q_needs_doctor": "yes"}


@pytest.mark.parametrize(("answers", "expected"), [
    ({}, ()),
    ({"q_maybe_child": "yes"}, ("children",)),
    ({"q_needs_doctor": "yes"}, ("medical",)),
    ({"q_sexual_violence": "yes"}, ("medical",)),
    ({"q_controller_nearby": "yes"}, ("shelter",)),
    ({"q_housing": "employer_housing"}, ("shelter",)),
    ({"q_free_to_leave": "no"}, ("shelter",)),
    ({"q_paid": "not_at_all"}, ("legal",)),
    ({"q_passport_holder": "employer"}, ("legal",)),
    ({"q_work_type": ["scam_online"]}, ("legal",)),
    ({"q_citizenship": "myanmar"}, ("repatriation",)),
    ({"q_citizenship": "thai"}, ()),
    ({"q_citizenship": "stateless"}, ()),
    ({"q_needs_doctor": {"special": "unknown"}}, ()),
])
def test_needs_come_from_the_answers(answers, expected):
    # q_maybe_child "not sure" counts as a child (the questionnaire's own rule); say "no" otherwise.
    assert needs(DEFINITION, {"q_maybe_child": "no", **answers}) == expected


def test_a_child_needing_a_doctor_is_proposed_the_province_s_matching_organisations_in_their_language_first():
    found = _offer({**CHILD_NEEDING_A_DOCTOR, "q_maybe_child": "yes"}, language="my")
    assert found.needs == ("children", "medical")
    # Speaks Burmese first; the clinic in another province is not proposed, only offered.
    assert _names(found.proposed) == ["Mae Sot clinic", "Tak shelter"]
    assert "Chiang Mai clinic" in _names(found.others) and "1300" in _names(found.others)
    assert "Closed shelter" not in _names(found.proposed + found.others)


def test_an_organisation_for_the_whole_country_is_proposed_at_any_post():
    found = _offer({"q_paid": "partly", "q_maybe_child": "no"}, language="th")
    assert _names(found.proposed) == ["Lawyers Council"]


def test_across_the_border_only_with_consent_and_proposed_only_in_the_person_s_home_country():
    answers = {"q_consent_interview": "yes", "q_citizenship": "myanmar", "q_maybe_child": "no"}
    without = _offer({**answers, "q_consent_cross_border": "no"})
    assert {"Myawaddy social welfare", "Phnom Penh shelter"}.isdisjoint(_names(without.proposed + without.others))
    assert without.withheld_cross_border == 2
    consented = _offer({**answers, "q_consent_cross_border": "yes"})
    assert _names(consented.proposed) == ["Myawaddy social welfare"]
    assert "Phnom Penh shelter" in _names(consented.others) and consented.withheld_cross_border == 0


def test_the_multidisciplinary_team_only_with_consent_to_share_with_it():
    answers = {**CHILD_NEEDING_A_DOCTOR, "q_maybe_child": "yes"}
    assert "Tak MDT" not in _names(_offer({**answers, "q_consent_mdt": "no"}).proposed)
    assert _offer({**answers, "q_consent_mdt": "no"}).withheld_mdt == 1
    assert _offer(answers).withheld_mdt == 1  # not asked yet: no consent
    assert "Tak MDT" in _names(_offer({**answers, "q_consent_mdt": "yes"}).proposed)


# -- through the interview's routes ------------------------------------------------------------

@pytest.fixture
def interview(publish, start):
    publish(*ALL)
    return start("my")


def test_the_referral_question_shows_the_proposals(interview):
    interview.autosave(q_consent_interview="yes", q_maybe_child="yes", q_needs_doctor="yes",
                       q_consent_mdt="no", q_consent_cross_border="no")
    page = interview.page("referral").get_data(as_text=True)
    assert page.index('data-organisation="o-000000a2" data-proposed') < page.index(
        'data-organisation="o-000000a1" data-proposed')
    assert 'data-organisation="o-000000a3" data-proposed' not in page and 'data-organisation="o-000000a3"' in page
    assert 'value="o-000000a5"' not in page and 'value="o-000000a6"' not in page  # gated: not even offered
    assert 'data-referral="withheld-cross-border"' in page and 'data-referral="withheld-mdt"' in page
    assert 'value="o-000000a9"' not in page  # retired


@pytest.mark.parametrize(("org", "consent", "why"), [
    ("o-000000a6", {"q_consent_cross_border": "no"}, "across the border"),
    ("o-000000a5", {"q_consent_mdt": "no"}, "multidisciplinary team"),
    ("o-000000a9", {}, "no longer in the referral directory"),
    ("mdt_nrm", {"q_consent_mdt": "yes"}, "from the referral directory"),
])
def test_posting_a_gated_organisation_s_id_is_refused_and_saves_nothing(interview, org, consent, why):
    from tests.support.interview import stored_answers

    interview.autosave(q_consent_interview="yes", **consent)
    answer = interview.autosave(q_referral_to=[org])
    assert answer.status_code == 400
    assert why in answer.get_json()["errors"]["q_referral_to"]
    assert "q_referral_to" not in stored_answers(interview.client.application, interview)


def test_with_consent_the_organisation_is_saved_and_the_slip_lists_it_with_its_contacts(interview):
    interview.autosave(q_consent_interview="yes", q_consent_cross_border="yes", q_consent_mdt="yes")
    assert interview.autosave(q_referral_to=["o-000000a6", "o-000000a5", "o-000000a1"]).status_code == 200
    slip = interview.client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    assert all(f'data-referral="{o}"' in slip for o in ("o-000000a6", "o-000000a5", "o-000000a1"))
    assert "LINE @tak-shelter" in slip and 'data-contact="messaging"' in slip
    # The signed directory's hotlines replace the shipped list (1191 is shipped only).
    hotlines = slip[slip.index('class="slip-hotlines"'):]
    assert "055 123 456" in hotlines and "1191" not in hotlines


def test_a_record_chosen_before_the_directory_still_reads(publish, start):
    interview = start("th")
    assert interview.autosave(q_referral_to=["police_atpd"]).status_code == 200
    publish(SHELTER)  # the directory arrives later
    slip = interview.client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    assert 'data-referral="police_atpd"' in slip and "1191" in slip
    page = interview.page("referral").get_data(as_text=True)
    assert 'value="police_atpd" checked' in page and 'value="mdt_nrm"' not in page
    # Kept as chosen, and saved again with a directory organisation added; "No referral" stays possible.
    assert interview.autosave(q_referral_to=["police_atpd", SHELTER.id]).status_code == 200
    assert interview.autosave(q_referral_to=["none"]).status_code == 200
