"""``flask demo-data --marker TEXT`` writes TEXT into 50 records, and TEXT appears nowhere on disk."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Record
from app.services import records
from tests.conftest import PASSPHRASE, admin_keys
from tests.records.scan import files_under, labels, scan_files, temp_files_since

PROJECT = Path(__file__).resolve().parents[2]


def test_demo_data_marker_is_nowhere_on_disk(app, installed):
    marker = f"DemoMark{secrets.token_hex(4)}ทดสอบ"
    start = time.time()
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "app", "demo-data", "--count", "50", "--marker", marker, "--password-stdin"],
        input=PASSPHRASE + "\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "TIP_SCREEN_INSTANCE": app.instance_path, "PYTHONPATH": str(PROJECT)},
        cwd=app.instance_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Created 50 demo screening(s)" in result.stdout
    # The marker really is in the records (encrypted): opening them shows it.
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Record)))
        assert len(rows) == 50 and all(r.state.value == "final" for r in rows)
        secret = admin_keys(app)
        names = [records.decrypt_record(r, secret)[1]["answers"].get("q_respondent_name", {}).get("value", "")
                 for r in rows]
        assert sum(marker in n for n in names) >= 40
    texts = [marker]
    instance_files = list(files_under(Path(app.instance_path)))
    assert any(p.name.endswith("-wal") for p in instance_files) or len(instance_files) >= 2
    found = scan_files([*instance_files, *temp_files_since(start)], texts)
    assert labels(found, texts) == []
    assert marker not in result.stderr  # nothing logged it either
