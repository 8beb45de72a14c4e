"""A real form engine fills the station's XForm: ODK Web Forms (@getodk/web-forms, from npm)
in real Chromium. What it submits is encrypted the way ODK's format says (node-forge,
tests/odk/odk_encrypt.mjs: Web Forms itself does not encrypt), sent to the station's
/submission over real HTTP, and must be scored exactly as the same answers typed on the
station's own pages."""

from __future__ import annotations

import base64
import io
import time
import urllib.request
import uuid

import pytest
from selenium.webdriver.common.by import By

from app.extensions import db
from app.models import Record
from app.questionnaire import Definition
from app.roles import Role
from app.services import questionnaires, records
from tests.conftest import admin_keys
from tests.odk.support import basic, node_encrypt
from tests.odk.webforms import web_forms
from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What the person holding the phone chooses and types, in the form's order.
CHOSEN = [
    ("q_respondent_name", "Ma Aye Web"),
    ("q_location_type", "shelter"),
    ("q_consent_interview", "yes"),
    ("q_consent_mdt", "yes"),
    ("q_needs_doctor", "no"),
    ("q_age", "24"),
    ("q_forced_or_sold", "yes"),
    ("q_false_papers", "yes"),
    ("q_hours_per_day", "14"),
    ("q_free_to_leave", "no"),
    ("q_violence", "yes"),
    ("q_threats", "yes"),
]


def _wait(driver, script: str, what: str):
    for _ in range(120):
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.25)  # polling the page until it shows something, not a timing assertion
    raise AssertionError(f"the page never showed {what}: {driver.execute_script('return window.odkErrors')}")


def _container(driver, definition: Definition, qid: str):
    question = definition.question(qid)
    assert question is not None
    label = question.label.get("en")
    xpath = ("//div[contains(@class,'question-container')]"
             f"[.//label[starts-with(normalize-space(.), {_literal(label)})]]")
    found = driver.find_elements(By.XPATH, xpath)
    assert found, f"Web Forms shows no question labelled {label!r}"
    return found[0]


def _literal(text: str) -> str:
    return f'"{text}"' if '"' not in text else "concat('" + text.replace("'", "', \"'\", '") + "')"


def _answer(driver, definition: Definition, qid: str, value: str) -> None:
    box = _container(driver, definition, qid)
    options = box.find_elements(By.CSS_SELECTOR, f"input[type=radio][value='{value}']")
    if options:
        driver.execute_script("arguments[0].click()", options[0])
        return
    field = box.find_element(By.CSS_SELECTOR, "input:not([type=radio]):not([type=checkbox]), textarea")
    field.clear()
    field.send_keys(value)
    field.send_keys("\t")


def _post(url: str, creds: dict[str, str], manifest: bytes, files: dict[str, bytes]) -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    parts = [("xml_submission_file", "submission.xml", manifest), *((n, n, b) for n, b in files.items())]
    for field, name, blob in parts:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                  "Content-Type: application/octet-stream\r\n\r\n".encode() + blob + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(f"{url}/submission", data=out.getvalue(), method="POST", headers={  # noqa: S310
        **basic(creds["username"], creds["passphrase"]), "X-OpenRosa-Version": "1.0",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the test's own server
        return response.status, response.read()


def _get(url: str, creds: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, headers=basic(creds["username"], creds["passphrase"]))  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the test's own server
        return response.read()


def test_web_forms_fills_the_station_form_and_the_station_scores_it_as_its_pages(
        live_app, make_user, start):
    app, url = live_app
    creds = make_user(Role.OFFICER)
    with app.app_context():
        definition = questionnaires.latest()
    _get(f"{url}/formList", creds)
    form_xml = _get(f"{url}/forms/{definition.id}/{definition.version}", creds)
    with web_forms(form_xml) as page, chromium(1280, 1600) as driver:
        driver.get(page)
        _wait(driver, "return document.querySelectorAll('.question-container').length > 3", "the form")
        for qid, value in CHOSEN:
            _answer(driver, definition, qid, value)
        send = driver.find_element(By.XPATH, "//button[normalize-space(.)='Send']")
        driver.execute_script("arguments[0].click()", send)
        submitted = _wait(driver, "return window.odkSubmitted", "a submission")
        driver.save_screenshot(str(app.instance_path) + "/web-forms-sent.png")
    xml: str = submitted["xml"]
    assert "Ma Aye Web" in xml
    instance_id = xml.split("<instanceID>")[1].split("</instanceID>")[0]
    with app.app_context():
        from app.services.odk import keys as odk_keys

        public = odk_keys.public_key()
    assert public is not None
    assert base64.b64encode(public).decode() in form_xml.decode()
    manifest, files = node_encrypt(public, definition.id, definition.version, xml, instance_id=instance_id)
    status, body = _post(url, creds, manifest, files)
    assert status == 201, body
    # The same answers typed on the station's pages.
    interview = start()
    for qid, value in CHOSEN:
        typed = {"age": value} if qid == "q_age" else value
        assert interview.autosave(**{qid: typed}).get_json()["ok"], qid
    assert interview.finalise().status_code == 302
    with app.app_context():
        keys = admin_keys(app)
        phone_rec = db.session.query(Record).filter(Record.id != interview.id).one()
        phone = records.decrypt_record(phone_rec, keys)[1]
        typed = records.decrypt_record(db.session.get(Record, interview.id), keys)[1]
    assert {k: v["value"] for k, v in phone["answers"].items()} == \
        {k: v["value"] for k, v in typed["answers"].items()}
    assert phone["outcome"] == typed["outcome"]
    assert phone["outcome"]["elements"]  # the answers raised indicators: a score that could differ


def test_web_forms_offers_the_five_languages_of_the_station_form(live_app, make_user):
    """The itext of the station's XForm, read by a real engine: each language is offered, and
    choosing it shows the questionnaire's own text in it."""
    app, url = live_app
    creds = make_user(Role.OUTREACH)
    with app.app_context():
        definition = questionnaires.latest()
    _get(f"{url}/formList", creds)
    form_xml = _get(f"{url}/forms/{definition.id}/{definition.version}", creds)
    first = definition.sections[0].questions[0]
    with web_forms(form_xml) as page, chromium(1280, 1600) as driver:
        driver.get(page)
        _wait(driver, "return document.querySelectorAll('.question-container').length > 3", "the form")
        shown = {}
        for code in ("th", "my", "lo", "km", "en"):
            driver.find_element(By.CSS_SELECTOR, ".language-changer").click()
            names = _wait(driver, "const o = document.querySelectorAll('[role=option]'); return o.length && "
                                  "Array.from(o, (e) => e.textContent.trim())", "the languages")
            assert sorted(n.rsplit("(", 1)[1].rstrip(")") for n in names) == sorted(definition.languages)
            option = driver.find_elements(By.CSS_SELECTOR, "[role=option]")[names.index(
                next(n for n in names if n.endswith(f"({code})")))]
            option.click()
            label = first.label.get(code)
            _wait(driver, f"return document.querySelector('.question-container label').textContent"
                          f".startsWith({label!r})", f"the {code} label")
            shown[code] = driver.find_element(By.CSS_SELECTOR, ".question-container label").text
            driver.save_screenshot(f"{app.instance_path}/web-forms-{code}.png")
    assert len(set(shown.values())) == 5  # five different texts, one per language
