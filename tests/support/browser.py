"""A real headless Chromium for browser tests (Debian's chromium + chromedriver)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("TIP_SCREEN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TIP_SCREEN_CHROMEDRIVER", "/usr/bin/chromedriver")


def require_all() -> bool:
    """CI sets TIP_SCREEN_REQUIRE_ALL=1: a missing PostgreSQL or Chromium is then a failure."""
    return os.environ.get("TIP_SCREEN_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> None:
    if require_all():
        pytest.fail(f"{reason} (TIP_SCREEN_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


@contextmanager
def chromium(width: int = 360, height: int = 740, extra_flags: tuple[str, ...] = ()) -> Iterator[object]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        skip_or_fail(f"browser test needs {CHROMIUM} and {CHROMEDRIVER}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tip-screen-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        *extra_flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if width < 500:
        # Headless Chromium opens no window narrower than 500 px: emulate the phone's screen
        # (not "mobile" emulation, which would zoom out and hide sideways scrolling).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
