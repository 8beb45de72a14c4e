"""``flask export``: the same files and audit entries as the page, the passphrase on stdin for a
full export, progress on stderr."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from flask import Flask

from app.services.central import audit
from tests.conftest import PASSPHRASE
from tests.exports.conftest import as_dicts, audit_entries, read_csv, read_xlsx, station


@pytest.fixture
def central(sqlite_central: Flask) -> Flask:
    post = station(sqlite_central)
    post.deliver(*(post.envelope({"q_consent_interview": "yes", "q_respondent_name": f"Person {n}",
                                  "q_citizenship": "myanmar" if n % 2 else "lao"}) for n in range(6)))
    return sqlite_central


def test_full_export_to_a_file(central: Flask, tmp_path: Path) -> None:
    out = tmp_path / "full.xlsx"
    result = central.test_cli_runner().invoke(
        args=["export", "--kind", "full", "--format", "xlsx", "--fact", "nationality=myanmar",
              "--language", "my", "--password-stdin", "--output", str(out)], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "export: 3 of 3 records" in result.stderr
    rows = as_dicts(read_xlsx(out.read_bytes()))
    assert sorted(r["q_respondent_name"] for r in rows) == ["Person 1", "Person 3", "Person 5"]
    started, done = audit_entries(central, audit.EXPORT, audit.EXPORT_DONE)
    assert started.username == "admin" and "full xlsx, 3 records, my" in started.detail
    assert "filters: f.nationality=myanmar" in started.detail
    assert hashlib.sha256(out.read_bytes()).hexdigest() in done.detail


def test_full_export_needs_the_passphrase(central: Flask, tmp_path: Path) -> None:
    result = central.test_cli_runner().invoke(
        args=["export", "--kind", "full", "--password-stdin", "--output", str(tmp_path / "x.csv")],
        input="wrong passphrase\n")
    assert result.exit_code == 1
    assert not (tmp_path / "x.csv").exists()
    assert audit_entries(central, audit.EXPORT) == []


def test_de_identified_to_stdout_and_bad_filters(central: Flask) -> None:
    runner = central.test_cli_runner()
    result = runner.invoke(args=["export", "--htcds"])
    assert result.exit_code == 0, result.output
    rows = as_dicts(read_csv(result.stdout_bytes))
    assert sorted(r["prs_Citizenship"] for r in rows) == ["LA", "LA", "LA", "MM", "MM", "MM"]
    (started,) = audit_entries(central, audit.EXPORT)
    assert started.username.startswith("cli:")
    bad = runner.invoke(args=["export", "--fact", "nationality=martian"])
    assert bad.exit_code == 1 and "Nothing was exported" in bad.output
    assert len(audit_entries(central, audit.EXPORT)) == 1


def test_zip_password_printed_once_on_stderr(central: Flask, tmp_path: Path) -> None:
    import pyzipper

    out = tmp_path / "x.zip"
    result = central.test_cli_runner().invoke(args=["export", "--format", "zip", "--output", str(out)])
    assert result.exit_code == 0, result.output
    password = result.stderr.rsplit("Password of the zip: ", 1)[1].strip()
    with pyzipper.AESZipFile(out) as archive:
        inner = archive.read(archive.namelist()[0], pwd=password.encode())
    assert len(read_csv(inner)) == 2 + 6
