"""A whole interview in each respondent language, in a real Chromium: text in that language,
answers kept across a language switch, the bundled font doing the rendering, a screenshot each."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.languages import CODES, LANGUAGES
from tests.conftest import PASSPHRASE
from tests.support.browser import chromium

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Languages with a bundled font: the start of its Unicode block as the browser writes it
# in a font's unicodeRange, and the Noto family name.
SCRIPTS = {language.code: (f"U+{language.script.blocks[0][0]:X}", language.script.font)
           for language in LANGUAGES if language.script.font}

pytestmark = pytest.mark.browser


def _login(driver, url):
    from selenium.webdriver.common.by import By

    driver.get(url + "/login")
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "passphrase").send_keys(PASSPHRASE)
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    _wait(driver, lambda d: "/login" not in d.current_url and d.execute_script("return document.readyState") == "complete")


def _wait(driver, condition, timeout=10):
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    # Between two pages an element may be missing or stale, or Chromium may answer with an
    # inspector error: keep waiting (the condition must still hold before the timeout).
    ignored = (NoSuchElementException, StaleElementReferenceException, WebDriverException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(condition)


def _font_used(driver, selector):
    """The font Chromium really used for the glyphs of an element (DevTools CSS domain)."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return fonts


def _next(driver):
    from selenium.webdriver.common.by import By

    before = driver.current_url
    driver.find_element(By.CSS_SELECTOR, "button[name=go][value=next]").click()
    _wait(driver, lambda d: d.current_url != before and d.execute_script("return document.readyState") == "complete")


def _saved(driver):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def done(d):
        try:
            return d.find_element(By.ID, "save-status").text.strip() not in ("", "Saving…")
        except StaleElementReferenceException:
            return False

    _wait(driver, done)


@pytest.mark.parametrize("lang", CODES)
def test_whole_interview_in_each_language(live_app, lang):
    from selenium.webdriver.common.by import By

    app, url = live_app
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium(360, 740) as driver:
        _login(driver, url)
        driver.get(url + "/screenings/new")
        assert driver.execute_script("return window.innerWidth") == 360
        driver.find_element(By.CSS_SELECTOR, f"button[name=respondent_lang][value={lang}]").click()
        _wait(driver, lambda d: "/s/setup" in d.current_url)
        name = driver.find_element(By.ID, "q-q_respondent_name")
        name.send_keys("Canary-" + lang)
        _saved(driver)
        _next(driver)
        # Consent, read in the person's language.
        _wait(driver, lambda d: "/s/consent" in d.current_url)
        legend = driver.find_element(By.CSS_SELECTOR, "#q-q_consent_interview-box .resp-text")
        assert legend.get_attribute("lang") == lang
        if lang in SCRIPTS:
            block, script_name = SCRIPTS[lang]
            driver.execute_script("return document.fonts.ready")
            loaded = driver.execute_script(
                "return [...document.fonts].filter(f => f.status === 'loaded' && f.family.includes('TS Noto'))"
                ".map(f => f.unicodeRange)")
            assert any(block in r.upper() for r in loaded), loaded
            used = _font_used(driver, "#q-q_consent_interview-box .resp-text")
            # isCustomFont: a web font (ours, the only one the page declares), not the system's
            # Noto (Debian's fonts-noto-core is installed too). Punctuation and digits may come
            # from a system Latin font; no glyph of the script may.
            ours = [f for f in used if f["isCustomFont"] and script_name in f["familyName"]]
            assert ours and ours[0]["glyphCount"] > 0, used
            assert not [f for f in used if not f["isCustomFont"] and script_name in f["familyName"]], used
        driver.save_screenshot(str(SHOTS / f"consent-{lang}.png"))
        driver.find_element(By.CSS_SELECTOR, "input[name='q-q_consent_interview'][value=yes]").click()
        _saved(driver)
        for _ in range(15):
            _next(driver)
            if "/review" in driver.current_url:
                break
        assert "/review" in driver.current_url
        driver.get(driver.current_url.replace("/review", "/outcome"))
        driver.find_element(By.CSS_SELECTOR, "form.card button.primary").click()
        # Finalised: the outcome page comes back without the finish form.
        _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "form.card button.primary"))
        driver.get(url + "/screenings/?state=final")
        assert "Canary-" + lang in driver.page_source


def test_switching_language_mid_interview_keeps_every_answer(live_app):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    app, url = live_app
    with chromium(1280, 900) as driver:
        _login(driver, url)
        driver.get(url + "/screenings/new")
        driver.find_element(By.CSS_SELECTOR, "button[name=respondent_lang][value=my]").click()
        _wait(driver, lambda d: "/s/setup" in d.current_url)
        driver.find_element(By.ID, "q-q_respondent_name").send_keys("Ma Hla")
        driver.find_element(By.CSS_SELECTOR, "input[name='q-q_location_type'][value=shelter]").click()
        _saved(driver)
        _next(driver)
        driver.find_element(By.CSS_SELECTOR, "input[name='q-q_consent_interview'][value=yes]").click()
        _saved(driver)
        for lang in ("km", "lo", "th"):
            Select(driver.find_element(By.ID, "resp-lang")).select_by_value(lang)  # submits itself
            # The select shows the new language at once; the new page comes once the answers are saved.
            _wait(driver, lambda d, lang=lang: d.execute_script("return document.readyState") == "complete"
                  and d.find_element(By.ID, "resp-lang").get_attribute("value") == lang
                  and d.find_element(By.CSS_SELECTOR, "#q-q_consent_interview-box .resp-text")
                  .get_attribute("lang") == lang)
            label = driver.find_element(By.CSS_SELECTOR, "#q-q_consent_interview-box .resp-text")
            assert label.get_attribute("lang") == lang
            assert driver.find_element(
                By.CSS_SELECTOR, "input[name='q-q_consent_interview'][value=yes]").is_selected()
        # Side by side on a laptop: the person's language next to the officer's.
        both = driver.find_elements(By.CSS_SELECTOR, "#q-q_consent_interview-label .bi.two > span")
        assert len(both) == 2
        left, right = (e.rect for e in both)
        assert right["x"] > left["x"] and abs(right["y"] - left["y"]) < 5
        driver.save_screenshot(str(SHOTS / "interpreter-view-laptop.png"))
        driver.get(driver.current_url.split("?")[0] + "?view=card")
        big = driver.find_element(By.CSS_SELECTOR, "#q-q_consent_interview-box .choice")
        assert float(big.value_of_css_property("font-size").rstrip("px")) >= 22
        assert not driver.find_element(By.CSS_SELECTOR, "#q-q_consent_interview-label .ui-text").is_displayed()
        driver.save_screenshot(str(SHOTS / "show-card.png"))
        # Back on the first page every answer is still there.
        driver.get(driver.current_url.split("/s/")[0] + "/s/setup")
        assert driver.find_element(By.ID, "q-q_respondent_name").get_attribute("value") == "Ma Hla"
        assert driver.find_element(By.CSS_SELECTOR, "input[name='q-q_location_type'][value=shelter]").is_selected()


def test_an_age_typed_in_shan_digits_raises_the_child_flag(live_app):
    """Shan digits (U+1090-1099, Myanmar block) typed in the browser are read as a number."""
    from selenium.webdriver.common.by import By

    app, url = live_app
    with chromium(360, 740) as driver:
        _login(driver, url)
        driver.get(url + "/screenings/new")
        driver.find_element(By.CSS_SELECTOR, "button[name=respondent_lang][value=my]").click()
        _wait(driver, lambda d: "/s/setup" in d.current_url)
        driver.find_element(By.ID, "q-q_respondent_name").send_keys("Sai Shan digits")
        _saved(driver)
        _next(driver)
        _wait(driver, lambda d: "/s/consent" in d.current_url)
        driver.find_element(By.CSS_SELECTOR, "input[name='q-q_consent_interview'][value=yes]").click()
        _saved(driver)
        _next(driver)
        _wait(driver, lambda d: "/s/safety" in d.current_url)
        assert not driver.find_elements(By.CSS_SELECTOR, "#flags [data-code='CHILD']")
        driver.find_element(By.ID, "q-q_age-age").send_keys("\u1091\u1096")  # 16 in Shan digits
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#flags [data-code='CHILD']"))
        _saved(driver)
        driver.refresh()
        _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
        assert driver.find_element(By.ID, "q-q_age-age").get_attribute("value") == "16"
