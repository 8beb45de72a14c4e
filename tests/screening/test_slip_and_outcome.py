"""The referral slip's contents, the referral directory, names on slips, near misses on the
outcome page, and flags by name (test client; the browser side is in
test_card_and_slip_browser.py)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from app.config import ConfigError, load_config, write_initial_config
from app.languages import CODES
from app.questionnaire import load_definition, shortfall
from app.questionnaire.model import STRENGTHS
from app.questionnaire.scoring import element_positive
from app.services import accounts, referrals
from tests.support.web import csrf_from, post_form

DEFAULT_RULE = [["strong", "strong"], ["strong", "weak"], ["medium", "medium", "medium"],
                ["medium", "medium", "weak"]]


def test_shortfall_is_the_fewest_more_indicators_that_make_an_element_positive() -> None:
    for n in range(5):
        for have in itertools.combinations_with_replacement(STRENGTHS, n):
            missing = shortfall(list(have), DEFAULT_RULE)
            assert (missing == ()) == element_positive(list(have), DEFAULT_RULE), have
            assert element_positive(list(have) + list(missing), DEFAULT_RULE), (have, missing)
            for fewer in range(len(missing)):  # nothing shorter would do
                for extra in itertools.combinations_with_replacement(STRENGTHS, fewer):
                    assert not element_positive(list(have) + list(extra), DEFAULT_RULE), (have, extra)
    assert shortfall(["strong"], DEFAULT_RULE) == ("weak",)
    assert shortfall(["medium"], DEFAULT_RULE) == ("strong",)
    assert shortfall(["strong"], [["strong", "strong", "strong"]]) == ("strong", "strong")


def test_outcome_says_what_a_near_miss_lacks(client, start) -> None:
    interview = start("en")
    # "Forced, threatened, sold or handed over": one strong coercive-recruitment indicator.
    interview.autosave(q_consent_interview="yes", q_forced_or_sold="yes")
    page = client.get(f"/screenings/{interview.id}/outcome").get_data(as_text=True)
    element = page[page.index('data-element="coercive_recruitment"'):]
    element = element[:element.index("</li>")]
    assert "not positive" in element
    assert "1 strong indicator; to be positive it needs 1 more indicator of any strength." in element
    assert "No indicator for: Deceptive recruitment" in page


def test_near_miss_follows_the_definitions_rule_not_code(app, client, start) -> None:
    """A stricter element rule in the definition changes what the page says is missing."""
    from app.services import questionnaires

    interview = start("en")
    interview.autosave(q_consent_interview="yes", q_forced_or_sold="yes")
    with app.app_context():
        definition = questionnaires.latest()
        object.__setattr__(definition.outcome, "element_rule", (("strong", "strong", "strong"),))
    page = client.get(f"/screenings/{interview.id}/outcome").get_data(as_text=True)
    assert "to be positive it needs 2 more strong indicators." in page


def test_slip_is_a_handover_document_in_both_languages(app, client, start, installed) -> None:
    interview = start("th")
    interview.autosave(q_consent_interview="yes", q_needs_doctor="yes",
                       q_referral_to=["police_atpd", "ngo", "iom"],
                       q_followup_date="20/12/2026")
    slip = client.get(f"/screenings/{interview.id}/slip")
    assert slip.status_code == 200
    html = slip.get_data(as_text=True)
    assert 'data-slip="station">Test Post<' in html
    # Dates in the person's language (Thai, Buddhist era) and the officer's (English).
    followup = html[html.index('data-slip="followup"'):]
    followup = followup[:followup.index("</dd>")]
    assert "2569" in followup and "2026" in followup
    orgs = html[html.index('class="slip-orgs"'):]
    orgs = orgs[:orgs.index("</ul>")]
    assert re.findall(r'data-referral="(\w+)"', orgs) == ["police_atpd", "ngo", "iom"]
    assert "กองบังคับการปราบปรามการกระทำความผิดเกี่ยวกับการค้ามนุษย์" in orgs
    assert "Anti-Trafficking in Persons Division, Royal Thai Police" in orgs
    assert "1191" in orgs and "+66 2 343 9300" in orgs
    advice = html[html.index('class="slip-advice"'):]
    assert 'data-code="MEDICAL"' in advice and "ต้องได้รับการรักษาพยาบาล" in advice
    assert "Needs medical care" in advice and "MEDICAL<" not in advice
    assert "ห้ามติดต่อนายจ้าง" in advice  # the directory's handover advice, in Thai too


def test_slip_names_the_screener_by_the_chosen_display_name(app, client, start) -> None:
    interview = start("en")
    slip = client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    officer = re.search(r'data-slip="officer">([^<]*)<', slip).group(1)
    assert officer.startswith("officer")  # the username until a name is chosen
    changed = post_form(client, "/admin/my-name", "/admin/my-name", {"display_name": "  Sgt.  Somchai   K. "})
    assert changed.status_code == 302
    slip = client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    assert 'data-slip="officer">Sgt. Somchai K.<' in slip
    refused = post_form(client, "/admin/my-name", "/admin/my-name", {"display_name": "x" * 81})
    assert refused.status_code == 400
    slip = client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    assert 'data-slip="officer">Sgt. Somchai K.<' in slip  # nothing changed


def test_an_officer_cannot_set_another_accounts_name(app, client, logged_in, make_user) -> None:
    other = make_user("officer")
    logged_in("officer")
    with app.app_context():
        target = accounts.find_user(other["username"])
    page = client.get(f"/admin/users/{target.id}/name")
    assert page.status_code == 403
    token = csrf_from(client.get("/admin/my-name").get_data(as_text=True))
    client.post(f"/admin/users/{target.id}/name", data={"display_name": "Impostor", "csrf_token": token})
    with app.app_context():
        assert accounts.find_user(other["username"]).display_name is None


def test_admin_sets_a_name_and_the_cli_too(app, client, runner, logged_in, make_user) -> None:
    other = make_user("officer")
    logged_in("admin")
    with app.app_context():
        target = accounts.find_user(other["username"])
    done = post_form(client, f"/admin/users/{target.id}/name", f"/admin/users/{target.id}/name",
                     {"display_name": "Officer Nok"})
    assert done.status_code == 302
    assert "Officer Nok" in client.get("/admin/users").get_data(as_text=True)
    result = runner.invoke(args=["users", "set-name", other["username"], "Lt. Nok S."])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["users", "list"])
    assert f"{other['username']}\tofficer\tactive\tLt. Nok S." in listed.output
    bad = runner.invoke(args=["users", "set-name", other["username"], "bad\x07name"])
    assert bad.exit_code != 0 and "Nothing was changed" in bad.output
    missing = runner.invoke(args=["users", "set-name", "nobody", "X"])
    assert missing.exit_code != 0 and "No account named" in missing.output
    with app.app_context():
        assert accounts.find_user(other["username"]).display_name == "Lt. Nok S."


def test_shipped_directory_names_everything_in_five_languages(app) -> None:
    directory = referrals.parse(referrals.SHIPPED.read_text(encoding="utf-8"), referrals.SHIPPED)
    definition = load_definition(Path(app.root_path) / "questionnaires" / "default.yaml")
    choices = {o.value for o in definition.question("q_referral_to").options} - {"none"}
    assert {o.referral for o in directory.organisations} == choices
    texts = ([h.name for h in directory.hotlines] + [o.name for o in directory.organisations]
             + list(directory.handover_advice))
    for text in texts:
        assert set(text.texts) == set(CODES) and all(text.texts.values())
        assert len(set(text.texts.values())) == len(CODES), text  # no language copies another
    assert {h.number for h in directory.hotlines} >= {"1300", "1191"}


@pytest.mark.parametrize(("text", "problem"), [
    ("hotlines:\n  - number: '1300'\n    name: {en: Only English}\n", "no text in th, my, lo, km"),
    ("organisations:\n  - name: {en: a, th: b, my: c, lo: d, km: e}\n", "referral"),
    ("hotline: []\n", "unknown section"),
    ("- just a list\n", "not a mapping"),
])
def test_a_stations_own_directory_that_does_not_fit_is_refused_clearly(app, client, start, text, problem) -> None:
    interview = start("en")
    (Path(app.instance_path) / "directory.yaml").write_text(text, encoding="utf-8")
    slip = client.get(f"/screenings/{interview.id}/slip")
    assert slip.status_code == 503
    body = slip.get_data(as_text=True)
    assert "directory.yaml cannot be used" in body and problem in body


def test_a_stations_own_directory_replaces_the_shipped_one(app, client, start) -> None:
    interview = start("en")
    own = referrals.SHIPPED.read_text(encoding="utf-8").replace(
        "Partner NGO of this station", "Mae Sot Migrant Assistance").replace('"1669"', '"055 123 456"')
    own = own.replace("  - referral: ngo\n", "  - referral: ngo\n    contact: \"055 999 000\"\n")
    (Path(app.instance_path) / "directory.yaml").write_text(own, encoding="utf-8")
    interview.autosave(q_referral_to=["ngo", "hospital"])
    slip = client.get(f"/screenings/{interview.id}/slip").get_data(as_text=True)
    assert "Mae Sot Migrant Assistance" in slip and "055 999 000" in slip and "055 123 456" in slip


def test_a_config_with_the_old_hotlines_table_says_where_they_went(tmp_path: Path) -> None:
    write_initial_config(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[hotlines]\n"1300" = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="referral directory"):
        load_config(tmp_path)


def test_flags_come_by_name_in_the_interface_language(client, start) -> None:
    interview = start("my")
    saved = interview.autosave(q_needs_doctor="yes").get_json()
    medical = next(f for f in saved["flags"] if f["code"] == "MEDICAL")
    assert medical["name"] == "Needs medical care"
    page = interview.page("safety").get_data(as_text=True)
    assert '<strong class="flag-code">Needs medical care</strong>' in page


def test_show_card_leaves_out_what_is_for_the_officer(client, start) -> None:
    interview = start("my")
    interview.autosave(q_consent_interview="yes", q_needs_doctor="yes", q_work_type=["scam_online"])
    card = interview.client.get(f"/screenings/{interview.id}/s/forced_criminality?view=card").get_data(as_text=True)
    assert 'class="site-header"' not in card and 'id="flags"' not in card
    assert 'id="q-n_non_punishment-box"' not in card and 'class="help"' not in card
    officer = interview.page("forced_criminality").get_data(as_text=True)
    assert 'class="site-header"' in officer and 'data-code="NON_PUNISHMENT"' in officer
    assert 'id="q-n_non_punishment-box"' in officer


@pytest.mark.parametrize("set_up", [False, True])
def test_favicon_is_an_icon(app, client, set_up) -> None:
    if set_up:  # before setup every other page sends the browser to the setup page
        from app.services import setup

        with app.app_context():
            setup.initialise("Test Post", "admin", "long enough test phrase")
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and b"<svg" in svg.data
