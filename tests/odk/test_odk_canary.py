"""No answer a phone sends reaches the disk or a log in clear: canaries in each script the
station serves go in as a name and as free text in an encrypted submission, over real HTTP,
and are then looked for (UTF-8, UTF-16, JSON and URL escapes) in the SQLite file and its
-wal and -shm, everything in the instance directory, the temp files written meanwhile and
the captured logs (every logger at DEBUG, SQL included). The same canaries sent in a plain
(refused) submission must leave no trace either."""

from __future__ import annotations

import logging
import time
import urllib.error
import uuid
from pathlib import Path

import pytest

from app.config import SQLITE_NAME
from app.roles import Role
from tests.odk.support import instance_xml, node_encrypt
from tests.odk.test_web_forms import _get, _post
from tests.records.scan import files_under, hits, labels, scan_files, temp_files_since

CANARIES = {"th": "แคนารี่โทรศัพท์", "my": "ကနရီဖုန်း", "lo": "ຄານາຣີໂທລະສັບ", "km": "កាណារីទូរស័ព្ទ",
            "en": "CanaryPhone"}


def test_canaries_from_a_phone_leave_no_trace(live_app, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    app, url = live_app
    start = time.time()
    canaries = [f"{text}{time.monotonic_ns() % 100000:05d}" for text in CANARIES.values()]
    creds = make_user(Role.OUTREACH)
    _get(f"{url}/formList", creds)
    from app.services.odk import keys as odk_keys

    with app.app_context():
        public = odk_keys.public_key()
    assert public is not None
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml("tip-default", "1.0.0", instance_id, {
        "setup": {"q_respondent_name": canaries[0]},
        "consent": {"q_consent_interview": "yes"},
        "observations": {"q_observation_notes": " ".join(canaries)},
    })
    manifest, files = node_encrypt(public, "tip-default", "1.0.0", xml, instance_id=instance_id)
    status, _ = _post(url, creds, manifest, files)
    assert status == 201
    # The same canaries in a plain submission, which the station refuses without storing it.
    with pytest.raises(urllib.error.HTTPError) as refused:
        _post(url, creds, xml.encode(), {})
    assert refused.value.code == 403
    instance = Path(app.instance_path)
    db_files = [instance / SQLITE_NAME, instance / f"{SQLITE_NAME}-wal", instance / f"{SQLITE_NAME}-shm"]
    assert db_files[0].stat().st_size > 0
    found = labels(scan_files([*db_files, *files_under(instance)], canaries), canaries)
    found += labels(scan_files(temp_files_since(start), canaries), canaries)
    found += [("caplog", canaries.index(t), e) for t, e in hits(caplog.text.encode(), canaries)]
    assert found == []
    # And the scan can find them: the submission really carried them, decrypted at the station.
    from app.extensions import db
    from app.models import Record
    from app.services import records
    from tests.conftest import admin_keys

    with app.app_context():
        (rec,) = db.session.query(Record).all()
        body = records.decrypt_record(rec, admin_keys(app))[1]
    assert body["answers"]["q_respondent_name"]["value"] == canaries[0]
    assert hits(body["answers"]["q_observation_notes"]["value"].encode(), canaries)
