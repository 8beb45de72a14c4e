"""The export page in a real Chromium: from the case list's Export link (its filters carried
along), a full CSV downloaded by the browser, the progress bar filled to the end."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask

from app.roles import Role
from tests.conftest import PASSPHRASE
from tests.exports.conftest import add_user, station
from tests.support.live import serve


@pytest.mark.browser
def test_a_coordinator_downloads_a_full_export(sqlite_central: Flask, tmp_path: Path) -> None:
    from tests.screening.pages import Station as Page
    from tests.support.browser import chromium

    app = sqlite_central
    post = station(app)
    post.deliver(*(post.envelope({"q_consent_interview": "yes", "q_respondent_name": f"ບຸກຄົນ {n}",
                                  "q_citizenship": "lao" if n < 7 else "thai"}) for n in range(9)))
    name = add_user(app, Role.COORDINATOR)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with serve(app) as url, chromium(1280, 900) as driver:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        page = Page(driver, url, timeout=30)
        page.login(name, PASSPHRASE)
        page.open("/central/cases?f.nationality=lao")
        page.tap_and_load(page.find("a.export-link"))
        assert page.path().startswith("/central/export") and "f.nationality=lao" in page.path()
        assert "7" in page.find("#export-count").text
        page.find('input[name=kind][value=full]').click()
        page.find('input[name=format][value=csv]').click()
        page.find("#export-form button[type=submit]").click()

        def downloaded(_driver: object) -> Path | bool:
            files = [p for p in downloads.iterdir() if p.suffix == ".csv"]
            return files[0] if files else False

        path = page.wait(60).until(downloaded)
        page.wait(30).until(lambda d: page.find("#export-progress").get_attribute("data-state") == "done")
        bar = page.find("#export-bar")
        assert bar.get_attribute("value") == bar.get_attribute("max") == "7"
        assert "SHA-256" in page.find("#export-status").text
        assert driver.save_screenshot(str(tmp_path / "export-done.png"))
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    names = sorted(r[rows[0].index("q_respondent_name")] for r in rows[2:])
    assert names == sorted(f"ບຸກຄົນ {n}" for n in range(7))
