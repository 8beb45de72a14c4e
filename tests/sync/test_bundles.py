"""USB bundles: exported on a station, imported on central (twice: once), tampering refused."""

from __future__ import annotations

import json
import random
import uuid

from app.crypto import generate_signing_key
from app.models import RecordState
from app.protocol.messages import make_bundle
from app.services import installation
from app.services.sync import client as sync_client

CLEAR = ("Nothing was imported", "not enrolled here", "was revoked")


def refused(central, path, what: str = "") -> str:
    result = central.app.test_cli_runner().invoke(args=["bundle", "import", str(path)])
    assert result.exit_code != 0, what
    assert any(words in result.output for words in CLEAR), (what, result.output)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a crash
    assert central.counts()["received_records"] == 0
    return result.output


def test_bundle_export_import_twice_and_tampering(enrolled, tmp_path):
    central, station = enrolled
    ids = station.finalised(4, name="Aung Aung")
    path = tmp_path / "mae-sot.tipbundle"
    exported = station.app.test_cli_runner().invoke(args=["bundle", "export", str(path)])
    assert exported.exit_code == 0, exported.output
    assert "Wrote 4 record(s)" in exported.output
    data = path.read_bytes()
    assert b"Aung" not in data

    # One byte changed anywhere in the signed part (or the envelope's meaning): refused, nothing imported.
    payload_end = data.index(b'"signature":')
    first_env = data.index(b'"envelope":"') + len(b'"envelope":"')
    targets = {"inside an envelope": first_env + 200, "the station id": data.index(b'"station_id":"') + 20,
               "a record id": data.index(b'"id":"') + 8, "the version": data.index(b'"version":') + 10,
               "the opening brace": 0, "the created_at": data.index(b'"created_at":"') + 16}
    rng = random.Random(7)
    targets |= {f"random byte {n}": rng.randrange(1, payload_end) for n in range(12)}
    messages = set()
    for where, offset in targets.items():
        bad = bytearray(data)
        bad[offset] = (bad[offset] + rng.randrange(1, 256)) % 256
        tampered = tmp_path / "tampered.tipbundle"
        tampered.write_bytes(bytes(bad))
        messages.add(refused(central, tampered, where).strip().splitlines()[-1])
    assert any("signature does not verify" in m for m in messages)
    assert any("not a tip-screen bundle" in m or "not supported" in m for m in messages)

    # From a station central never enrolled: refused.
    other_key, _ = generate_signing_key()
    envelopes = [(rid, r.envelope) for rid, r in station.records().items()]
    stranger = tmp_path / "stranger.tipbundle"
    stranger.write_bytes(make_bundle(str(uuid.uuid4()), "2024-06-01T00:00:00+00:00", envelopes, other_key))
    assert "not enrolled here" in refused(central, stranger)
    # The right station id, signed with another key: refused.
    with station.ctx():
        sid = str(installation.get().station_id)
    forged = tmp_path / "forged.tipbundle"
    forged.write_bytes(make_bundle(sid, "2024-06-01T00:00:00+00:00", envelopes, other_key))
    assert "signature does not verify" in refused(central, forged)

    # The real bundle, twice: the same set, once.
    runner = central.app.test_cli_runner()
    first = runner.invoke(args=["bundle", "import", str(path)])
    assert first.exit_code == 0 and "Bundle from Mae Sot post: 4 accepted." in first.output, first.output
    held = central.received()
    again = runner.invoke(args=["bundle", "import", str(path)])
    assert again.exit_code == 0 and "4 duplicate." in again.output, again.output
    assert set(central.received()) == set(ids) and central.counts()["received_records"] == 4
    assert {k: v.receipt for k, v in central.received().items()} == {k: v.receipt for k, v in held.items()}
    mine = station.records()
    for rid in ids:
        assert held[rid].envelope == mine[rid].envelope
        assert held[rid].envelope_sha256 == mine[rid].envelope_sha256

    # The bundle marked nothing on the station; a later sync settles with central's receipts.
    assert all(r.state is RecordState.FINAL for r in mine.values())
    with station.ctx():
        summary = sync_client.sync()
    assert summary.duplicate == 4 and summary.accepted == 0 and summary.marked_synced == 4
    assert {rid: r.receipt for rid, r in station.records().items()} == {k: v.receipt for k, v in held.items()}
    # Nothing left to export.
    with station.ctx():
        _, count = sync_client.export_bundle(None)
    assert count == 0

    # A revoked station's bundle is refused too.
    assert runner.invoke(args=["stations", "revoke", sid]).exit_code == 0
    late = station.finalised(1)
    with station.ctx():
        sync_client.export_bundle(path)
    result = runner.invoke(args=["bundle", "import", str(path)])
    assert result.exit_code != 0 and "revoked" in result.output
    assert late[0] not in central.received()
    json.loads(path.read_bytes())  # still a well-formed file: the refusal was about who sent it
