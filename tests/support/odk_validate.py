"""ODK Validate (JavaRosa, the form engine inside ODK Collect), as pyxform ships it, run with
the machine's Java. Without Java the test is skipped saying so (a failure in CI)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from pyxform.validators.odk_validate import ODK_VALIDATE_PATH

from tests.support.browser import skip_or_fail

JAVA = os.environ.get("TIP_SCREEN_JAVA", "/usr/bin/java")


def odk_validate(xform: str) -> str:
    """Run ODK Validate on the XForm text; return its report (the form is valid) or fail."""
    if not Path(JAVA).exists():
        skip_or_fail(f"ODK Validate needs Java at {JAVA}")
    if not Path(ODK_VALIDATE_PATH).exists():
        skip_or_fail(f"pyxform's ODK Validate is missing at {ODK_VALIDATE_PATH}")
    with tempfile.TemporaryDirectory(prefix="tip-screen-xform-") as folder:
        path = Path(folder) / "form.xml"
        path.write_text(xform, encoding="utf-8")
        result = subprocess.run(  # noqa: S603 - fixed program, our own file
            [JAVA, "-Djava.awt.headless=true", "-jar", ODK_VALIDATE_PATH, str(path)],
            capture_output=True, text=True, timeout=300, check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "Xform is valid" in report, report
    return report
