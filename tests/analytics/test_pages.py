"""The dashboard and the case list: who may see them, every chart with its table, filters,
five languages, saved filters, and the small-cell rule on the page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.roles import Role
from tests.support.facts_rows import add_records, add_station
from tests.support.web import csrf_from, login

CHILD = {"tier": "refer_mdt", "flags": ["flag_child"], "elements": ["exploitation", "forced_criminality"],
         "nationality": "myanmar", "age_band": "12-14", "month": "2026-03"}
ADULT = {"tier": "no_indicators", "flags": [], "elements": [], "nationality": "thai", "age_band": "25-34",
         "month": "2026-03"}


@pytest.fixture
def with_records(central_app: Flask) -> dict[str, object]:
    with central_app.app_context():
        station = add_station("Mae Sot post")
        ids = add_records(station, [CHILD] * 6 + [ADULT] * 9 + [dict(ADULT, nationality="cambodian")] * 2)
    return {"station": station, "ids": ids}


def live(html: str) -> str:
    start = html.index('id="workspace-live"')
    return html[start:]


def test_dashboard_is_central_landing_page(as_role: Callable[..., FlaskClient], with_records: dict[str, object]) -> None:
    client = as_role(Role.COORDINATOR)
    assert client.get("/").headers["Location"].endswith("/central/")
    html = client.get("/central/").get_data(as_text=True)
    for chart in ("time", "tier", "elements", "flags", "forced_criminality_share", "nationality", "age_band",
                  "stations", "exploitation", "interpreter"):
        assert f'data-chart="{chart}"' in html
    assert html.count("<svg class=\"chart\"") == html.count("<table class=\"chart-data\"")
    assert "Counts from 1 to 4 are never shown" in html
    section = live(html).split('data-chart="nationality"')[1].split("</section>")[0]
    assert "Cambodian" in section and "hidden" in section  # 2 Cambodians: hidden
    assert re.search(r"Thai</th><td>9<", section)
    assert 'href="/central/records"' in html  # the records list stays reachable


def test_filters_apply_to_every_chart(as_role: Callable[..., FlaskClient], with_records: dict[str, object]) -> None:
    client = as_role(Role.ADMIN)
    html = client.get("/central/?f.flags=flag_child&period=all").get_data(as_text=True)
    assert "Screenings matching the filters: 6" in html
    tier = live(html).split('data-chart="tier"')[1].split("</section>")[0]
    assert re.search(r"Total</th><td>6<", tier)
    bad = client.get("/central/?f.nationality=atlantis")
    assert bad.status_code == 400
    assert "&#39;atlantis&#39; is not a value of &#39;nationality&#39;" in bad.get_data(as_text=True)
    assert client.get("/central/?period=2w").status_code == 400


@pytest.mark.parametrize("lang", ["en", "th", "my", "lo", "km"])
def test_pages_in_five_languages(as_role: Callable[..., FlaskClient], with_records: dict[str, object],
                                 lang: str) -> None:
    client = as_role(Role.COORDINATOR)
    client.set_cookie("lang", lang)
    for url in ("/central/", "/central/cases"):
        response = client.get(url)
        assert response.status_code == 200
        assert f'<html lang="{lang}"' in response.get_data(as_text=True)


def test_native_digits_when_chosen(as_role: Callable[..., FlaskClient], with_records: dict[str, object]) -> None:
    client = as_role(Role.COORDINATOR)
    client.set_cookie("lang", "th")
    page = client.get("/central/")
    assert "๙" not in live(page.get_data(as_text=True))
    client.post("/central/digits", data={"digits": "native", "next": "/central/",
                                          "csrf_token": csrf_from(page.get_data(as_text=True))})
    html = live(client.get("/central/").get_data(as_text=True))
    assert "๙" in html and "<td>9<" not in html


@pytest.mark.parametrize("role", [Role.OFFICER, Role.INTERPRETER, Role.OUTREACH])
def test_other_roles_at_central_get_nothing(central_app: Flask, central_users: Callable[..., dict[str, str]],
                                            with_records: dict[str, object], role: Role) -> None:
    creds = central_users(role)
    client = central_app.test_client()
    login(client, creds["username"], creds["passphrase"])
    for url in ("/central/", "/central/cases", "/central/cases?q=1"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Mae Sot" not in response.get_data(as_text=True)
    assert "/central/" not in client.get("/").get_data(as_text=True)


def test_nobody_logged_in_is_sent_to_login(central_app: Flask, with_records: dict[str, object]) -> None:
    response = central_app.test_client().get("/central/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_case_list_rows_sort_search_and_saved_filters(as_role: Callable[..., FlaskClient],
                                                      with_records: dict[str, object]) -> None:
    client = as_role(Role.COORDINATOR)
    ids: list[str] = with_records["ids"]  # type: ignore[assignment]
    html = client.get("/central/cases?sort=tier&order=asc").get_data(as_text=True)
    rows = re.findall(r'data-record="([0-9a-f-]+)"', html)
    assert len(rows) == 17 and set(rows[:6]) == set(ids[:6])  # refer_mdt first
    assert f'href="/central/records/{ids[0]}"' in html
    assert "Records matching the filters: 17" in html
    assert "Children flagged in the last 7 days" in html
    small = client.get("/central/cases?f.nationality=cambodian").get_data(as_text=True)
    assert "Records matching the filters: hidden" in small
    found = client.get("/central/cases?q=Mae+Sot+post+3").get_data(as_text=True)
    assert f'/central/records/{ids[2]}"' in found.split('class="search-results"')[1].split("</section>")[0]
    assert client.get("/central/cases?q=hello").status_code == 400
    # Save, list, delete.
    page = client.get("/central/cases?f.flags=flag_child")
    token = csrf_from(page.get_data(as_text=True))
    saved = client.post("/central/cases?f.flags=flag_child", data={"name": "My children", "csrf_token": token})
    assert saved.status_code == 302
    listed = client.get("/central/cases").get_data(as_text=True)
    assert "My children" in listed and "f.flags=flag_child" in listed
    again = client.post("/central/cases?f.flags=flag_child", data={"name": "My children", "csrf_token": token})
    assert again.status_code == 400 and "already have a filter with that name" in again.get_data(as_text=True)
    action = re.search(r'action="(/central/cases/saved/\d+/delete)"', listed)
    assert action is not None
    client.post(action.group(1), data={"csrf_token": token})
    assert "My children" not in client.get("/central/cases").get_data(as_text=True)


def test_a_newly_declared_fact_appears_on_the_dashboard(as_role: Callable[..., FlaskClient], central_app: Flask,
                                                        with_records: dict[str, object],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from app.questionnaire.model import FactRule
    from app.services import questionnaires

    with central_app.app_context():
        definition = questionnaires.latest()
    rule = FactRule(id="id_document", question="q_id_document", label=definition.facts[0].label, filter=True)
    changed = dataclasses.replace(definition, facts=(*definition.facts, rule))
    monkeypatch.setattr(questionnaires, "latest", lambda *a, **k: changed)
    client = as_role(Role.COORDINATOR)
    html = client.get("/central/").get_data(as_text=True)
    assert 'data-chart="id_document"' in html
    assert 'name="f.id_document"' in html


def test_case_list_when_a_list_fact_is_empty_in_every_record(as_role: Callable[..., FlaskClient],
                                                             central_app: Flask) -> None:
    # Flags and elements are [] in every row: those facts have no codes yet, and the page still shows.
    with central_app.app_context():
        station = add_station("Mae Sot post")
        ids = add_records(station, [ADULT] * 6)
    response = as_role(Role.COORDINATOR).get("/central/cases")
    assert response.status_code == 200
    assert set(re.findall(r'data-record="([0-9a-f-]+)"', response.get_data(as_text=True))) == set(ids)
