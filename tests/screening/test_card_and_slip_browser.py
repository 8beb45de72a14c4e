"""The show card, the referral slip and the words on every page, in a real headless Chromium
at 360x740, in each of the five languages.

- The show card holds only what the person reads: no officer header, no alerts, no notes, no
  officer-only questions; large text in their language; no element wider than the screen, and
  no answer word broken across lines (Burmese breaks between syllables when squeezed).
- The referral slip prints to exactly one A4 page (DevTools ``Page.printToPDF``), in every
  language, with the heaviest slip the default questionnaire can make.
- No page shows a code such as BASIC_NEEDS, nor an English interface text that the
  language's catalog translates; English still untranslated is written to
  test-artifacts/untranslated-<lang>.txt for the translators.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from app.languages import CODES

from .pages import Station, logged_in

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

# Codes the data uses (flag codes, option values) look like this; the page must never show one.
CODE_TOKEN = re.compile(r"\b[A-Z][A-Z_]{3,}\b")
# Names written the same in every language: the Thai ministry's acronym and the LINE app.
ACRONYMS = {"MSDHS", "LINE"}

# Answers that raise every flag the slip can carry and refer to every organisation.
HEAVY: dict[str, object] = {
    "q_interpreter": "employer",
    "q_consent_interview": "yes",
    "q_consent_mdt": "yes",
    "q_needs_doctor": "yes",
    "q_controller_nearby": "yes",
    "q_others_held": "yes",
    "q_age": {"age": "15"},
    "q_basic_needs": ["food", "water"],
    "q_work_type": ["scam_online"],
    "q_job_different": "yes",
    "q_free_to_leave": "no",
    "q_referral_to": ["mdt_nrm", "police_atpd", "dsi", "msdhs_shelter", "ngo", "hospital", "iom", "embassy"],
    "q_followup_date": {"": "15/12/2026"},
}


@pytest.fixture
def station(live_app: tuple[Flask, str], installed: dict[str, str]) -> Iterator[Station]:
    _, base_url = live_app
    with logged_in(base_url, installed["username"], installed["passphrase"], WIDTH, HEIGHT) as page:
        yield page


def set_interface_language(page: Station, lang: str) -> None:
    page.home()
    page.driver.execute_script(
        "var s = document.getElementById('ui-lang'); s.value = arguments[0]; s.form.submit();", lang)
    page.wait(10).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && document.documentElement.lang") == lang)


def answer(page: Station, record_id: str, answers: dict[str, object]) -> None:
    """Save answers through the page's own autosave endpoint (with its CSRF token)."""
    fields: list[list[str]] = []
    for qid, value in answers.items():
        fields.append(["qid", qid])
        if isinstance(value, dict):
            fields += [[f"q-{qid}-{k}" if k else f"q-{qid}", str(v)] for k, v in value.items()]
        elif isinstance(value, list):
            fields += [[f"q-{qid}", str(v)] for v in value]
        else:
            fields.append([f"q-{qid}", str(value)])
    result = page.driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        var body = new FormData();
        arguments[1].forEach(function (f) { body.append(f[0], f[1]); });
        var token = document.querySelector("input[name=csrf_token]").value;
        fetch(arguments[0], {method: "POST", body: body, headers: {"X-CSRFToken": token}})
          .then(function (r) { return r.json(); }).then(done, function (e) { done({ok: false, error: String(e)}); });
    """, f"/screenings/{record_id}/answer", fields)
    assert result.get("ok"), result


def start(page: Station, lang: str, answers: dict[str, object]) -> str:
    page.open("/screenings/new")
    page.tap_and_load(page.find(f"button[name=respondent_lang][value='{lang}']"))
    record_id = page.record_id()
    answer(page, record_id, answers)
    return record_id


# -- the show card -------------------------------------------------------------------------

WIDTHS_JS = """
// Every rendered element that reaches past the screen's right edge, or scrolls inside.
var out = [];
document.querySelectorAll("body *").forEach(function (el) {
  if (el.closest(".skip-link, .visually-hidden")) return;  // off screen on purpose
  var r = el.getBoundingClientRect();
  if (!r.width && !r.height) return;
  if (r.right > window.innerWidth + 0.5 || r.left < -0.5) out.push(el.tagName + "." + el.className + " " + Math.round(r.left) + ".." + Math.round(r.right));
  else if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible") out.push("scrolls: " + el.tagName + "." + el.className);
});
return out;
"""

BROKEN_WORDS_JS = """
// Burmese words (runs without a space) laid out on more than one line although they would fit
// on one: each is measured unbroken beside itself. Thai, Lao and Khmer write words without
// spaces, so there a break inside a run is ordinary line breaking and is not checked.
var broken = [];
document.querySelectorAll(".choice .resp-text:lang(my), legend .resp-text:lang(my)").forEach(function (span) {
  if (!span.offsetParent) return;
  var room = span.getBoundingClientRect().width;
  var walk = document.createTreeWalker(span, NodeFilter.SHOW_TEXT), node, nodes = [];
  while ((node = walk.nextNode())) nodes.push(node);
  nodes.forEach(function (node) {
    var text = node.data, re = /\\S+/g, m;
    while ((m = re.exec(text))) {
      var range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      var tops = new Set(Array.from(range.getClientRects()).map(function (r) { return Math.round(r.top); }));
      if (tops.size < 2) continue;
      var probe = document.createElement("span");
      probe.style.whiteSpace = "nowrap"; probe.textContent = m[0];
      node.parentNode.appendChild(probe);
      var natural = probe.getBoundingClientRect().width;
      probe.remove();
      if (natural <= room) broken.push(m[0]);
    }
  });
});
return broken;
"""


def check_card(page: Station, lang: str, section: str) -> None:
    assert page.driver.execute_script("return window.innerWidth") == WIDTH
    assert not page.find_all(".site-header"), f"{section}: the officer's header is on the card"
    assert not page.find_all("#flags, .flag, .flag-action"), f"{section}: an alert is on the card"
    assert not page.find_all(".note-text, fieldset.screener-only, .help, .intro"), section
    assert not page.find_all("#save-status:not([hidden])") or not page.find("#save-status").is_displayed()
    shown_ui = [e.text for e in page.find_all(".ui-text") if e.is_displayed() and e.text.strip()]
    assert not shown_ui, f"{section}: the officer's language is on the card: {shown_ui[:3]}"
    texts = [e for e in page.find_all("fieldset.question .resp-text") if e.is_displayed()]
    assert texts, f"{section}: nothing for the person to read"
    for element in texts:
        assert element.get_attribute("lang") == lang, element.text
        assert float(element.value_of_css_property("font-size").rstrip("px")) >= 22, element.text
    too_wide = page.driver.execute_script(WIDTHS_JS)
    assert not too_wide, f"{lang}/{section}: wider than {WIDTH}px: {too_wide[:5]}"
    assert not page.scrolls_sideways(), f"{lang}/{section}: the card scrolls sideways"
    broken = page.driver.execute_script(BROKEN_WORDS_JS)
    assert not broken, f"{lang}/{section}: answer words broken across lines: {broken}"


@pytest.mark.parametrize("lang", CODES)
def test_show_card_holds_only_what_the_person_reads(station: Station, lang: str) -> None:
    page = station
    record_id = start(page, lang, HEAVY)
    for section in ("consent", "safety", "work", "control", "forced_criminality", "child"):
        page.open(f"/screenings/{record_id}/s/{section}?view=card")
        page.wait_for_script()
        check_card(page, lang, section)
        if section == "forced_criminality":
            assert not page.has_question("n_non_punishment"), "the officer's note is on the card"
        if section == "safety":
            page.screenshot(f"show-card-{lang}-safety-360x740")
    # The officer's own part has nothing for the person, and says so.
    page.open(f"/screenings/{record_id}/s/setup?view=card")
    assert page.find_all(".card-empty") and not page.find_all("fieldset.question")
    # The officer's view of the same page still has the alerts and the header.
    page.open(f"/screenings/{record_id}/s/safety")
    assert page.find_all(".site-header") and "CHILD" in page.flags()


# -- the referral slip ---------------------------------------------------------------------

def pdf_pages(pdf: bytes) -> int:
    """Pages in a PDF as Chromium (Skia) writes it: page objects, checked against /Count."""
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)
              + re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert counts and max(counts) == pages, (pages, counts)
    return pages


@pytest.mark.parametrize("lang", CODES)
def test_referral_slip_prints_on_one_a4_page(station: Station, lang: str) -> None:
    page = station
    record_id = start(page, lang, HEAVY)
    page.open(f"/screenings/{record_id}/slip")
    assert not page.scrolls_sideways(), f"{lang}: the slip scrolls sideways at {WIDTH}px"
    assert not page.driver.execute_script(WIDTHS_JS)
    slip = page.find("article.slip")
    assert page.find("[data-slip=station]").text == "Test Post"
    assert page.find("[data-slip=officer]").text == "admin"
    assert "2026" in page.find("[data-slip=followup]").text or "2569" in page.find("[data-slip=followup]").text
    assert len(page.find_all("[data-referral]")) == 8
    assert {"CHILD", "MEDICAL", "DANGER", "URGENT"} <= {e.get_attribute("data-code") for e in page.find_all(".slip-advice [data-code]")}
    assert "1300" in slip.text and "1191" in slip.text
    if lang != "en":
        resp = [e.get_attribute("lang") for e in page.find_all(".slip-orgs .resp-text")]
        assert set(resp) == {lang}
        assert {e.get_attribute("lang") for e in page.find_all(".slip-orgs .ui-text")} == {"en"}
    page.screenshot(f"slip-{lang}-360x740")
    printed = page.driver.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True, "printBackground": True})
    pdf = base64.b64decode(printed["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"slip-{lang}.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1, f"{lang}: the slip prints on more than one A4 page"


# -- no English on a translated page -------------------------------------------------------

PLACEHOLDER = re.compile(r"%\([^)]*\)[a-z]|%[a-z]")


def catalog_patterns(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    """Each English msgid the language's catalog translates, as a pattern of its rendered text
    (a placeholder matches any text). Short ones ("Date", "No") also occur inside other
    texts and are left out: what is left has at least two words and ten letters of its own."""
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    patterns = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else (message.string or [""])[0]
        literal = PLACEHOLDER.sub("", msgid)
        if not string or string == msgid or len(literal.strip()) < 10 or " " not in literal.strip():
            continue
        pieces = [re.escape(p) for p in PLACEHOLDER.split(msgid)]
        patterns.append((msgid, re.compile(r"\S[^\n]*?".join(pieces))))
    return patterns


PAGE_TEXT_JS = """
var parts = [document.title, document.body.innerText];
document.querySelectorAll("[placeholder], [aria-label], [title]").forEach(function (el) {
  ["placeholder", "aria-label", "title"].forEach(function (a) { if (el.getAttribute(a)) parts.push(el.getAttribute(a)); });
});
return parts.join("\\n");
"""
# "DD/MM/YYYY" and "YYYY-MM-DD" tell the officer how to type a date: words, not codes.
DATE_HINT = re.compile(r"\bDD/MM/YYYY\b|\bYYYY-MM-DD\b")
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+){2,}")


def pages_of(record_id: str) -> list[str]:
    sections = ("setup", "consent", "safety", "background", "recruitment", "work", "control",
                "forced_criminality", "child", "observations", "referral")
    return (["/", "/screenings/", "/screenings/new", "/admin/users", "/admin/my-name", "/sync/"]
            + [f"/screenings/{record_id}/s/{s}" for s in sections]
            + [f"/screenings/{record_id}/s/safety?view=card", f"/screenings/{record_id}/review",
               f"/screenings/{record_id}/outcome", f"/screenings/{record_id}/slip"])


@pytest.mark.parametrize("lang", CODES)
def test_pages_show_no_codes_and_no_english_the_catalog_translates(station: Station, lang: str) -> None:
    page = station
    set_interface_language(page, lang)
    record_id = start(page, lang, HEAVY)
    translated = catalog_patterns(lang) if lang != "en" else []
    codes: dict[str, set[str]] = {}
    english: dict[str, set[str]] = {}
    left: dict[str, set[str]] = {}
    for path in pages_of(record_id):
        page.open(path)
        page.wait_for_script()
        assert page.driver.execute_script("return document.documentElement.lang") == lang, path
        text = DATE_HINT.sub("", page.driver.execute_script(PAGE_TEXT_JS))
        found = set(CODE_TOKEN.findall(text)) - ACRONYMS
        if found:
            codes[path] = found
        if lang != "en":
            shown = {msgid for msgid, pattern in translated if pattern.search(text)}
            if shown:
                english[path] = shown
            runs = set(ENGLISH_RUN.findall(text))
            if runs:
                left[path] = runs
    assert not codes, f"{lang}: code-like words on the page: {codes}"
    if lang != "en":
        report = ARTIFACTS / f"untranslated-{lang}.txt"
        ARTIFACTS.mkdir(exist_ok=True)
        report.write_text("".join(f"{path}\n" + "".join(f"  {r}\n" for r in sorted(runs))
                                  for path, runs in left.items()), encoding="utf-8")
    assert not english, f"{lang}: English shown although the catalog translates it: {english}"


def test_favicon_is_served(station: Station) -> None:
    page = station
    page.home()
    href = page.find("link[rel=icon]").get_attribute("href")
    checked = page.driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        Promise.all([arguments[0], "/favicon.ico"].map(function (u) {
          return fetch(u).then(function (r) { return [r.status, r.headers.get("content-type")]; });
        })).then(done);
    """, href)
    (svg_status, svg_type), (ico_status, ico_type) = checked
    assert svg_status == 200 and svg_type.startswith("image/svg+xml")
    assert ico_status == 200 and ico_type in ("image/vnd.microsoft.icon", "image/x-icon")
    assert page.driver.execute_script(
        "var i = new Image(); i.src = '/favicon.ico'; return i.decode().then(function () { return i.naturalWidth; });"
    ) == 32
