"""A station clock two years off: flagged, never trusted, nothing refused for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ReceivedRecord, RecordState, Station, User
from app.protocol.messages import receipt_day
from app.services import accounts, housekeeping, installation, records
from app.services.errors import SyncFailed
from app.services.records import retention
from app.services.sync import client as sync_client
from app.services.sync.client import transport
from tests.conftest import PASSPHRASE
from tests.support.browser import skip_or_fail
from tests.support.web import login
from tests.sync.conftest import call, frame

TWO_YEARS = 2 * 365 * 24 * 3600


def clock(monkeypatch, offset: int) -> None:
    """Only the station's client sees the wrong time; central (same process) keeps the real one."""
    real = time.time
    monkeypatch.setattr(transport, "time", types.SimpleNamespace(time=lambda: real() + offset))
    # ... and the station's retention reads the same wrong clock.
    monkeypatch.setattr(retention, "utcnow", lambda: datetime.now(UTC) + timedelta(seconds=offset))


def central_skew(central, station) -> int:
    with station.ctx():
        sid = installation.get().station_id
    with central.ctx():
        db.session.remove()
        station_row = db.session.get(Station, sid)
        assert station_row is not None
        return station_row.clock_skew_seconds


def test_clock_two_years_off_is_flagged_and_ordering_follows_sequence_numbers(enrolled, monkeypatch):
    central, station = enrolled
    order = []

    clock(monkeypatch, +TWO_YEARS)  # station clock two years ahead
    order += station.finalised(3)
    with station.ctx():
        ahead = sync_client.sync()
    assert ahead.marked_synced == 3 and ahead.refused == ahead.conflict == 0
    assert abs(ahead.clock_skew_seconds + TWO_YEARS) < 60
    assert abs(central_skew(central, station) + TWO_YEARS) < 60

    clock(monkeypatch, -TWO_YEARS)  # then two years behind: timestamps go back four years
    order += station.finalised(3)
    result = station.app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert "Marked synced: 3" in result.output
    assert "This laptop's clock is 730 days behind central's." in result.output
    assert "Set the right date and time on this laptop." in result.output
    assert abs(central_skew(central, station) - TWO_YEARS) < 60

    # A request signed by hand with the far-off timestamp: the answer says the skew too.
    order += station.finalised(1)
    rec = station.records()[order[-1]]
    body = frame([(rec.id, rec.envelope)])
    headers = station.signed("POST", "/api/v1/records", body, timestamp=int(time.time()) + TWO_YEARS)
    answer = call(central.url, "POST", "/api/v1/records", body, headers)
    assert answer.status == 200
    assert answer.json["results"][0]["status"] == "accepted"
    assert abs(answer.json["clock_skew_seconds"] + TWO_YEARS) < 60

    # Everything arrived; central orders by the station's sequence numbers, not by its clock.
    local = station.records()
    with central.ctx():
        rows = list(db.session.execute(sa.select(ReceivedRecord.id, ReceivedRecord.seq)
                                       .order_by(ReceivedRecord.seq)))
    assert [rid for rid, _ in rows] == order
    assert [seq for _, seq in rows] == [local[rid].seq for rid in order]
    assert [seq for _, seq in rows] == sorted({seq for _, seq in rows})
    assert all(local[rid].state is RecordState.SYNCED for rid in order[:-1])

    # A right clock clears the flag.
    clock(monkeypatch, 0)
    with station.ctx():
        assert sync_client.sync().clock_skew_seconds == 0
    assert central_skew(central, station) == 0


def _synced_with_clock(central, station, offset: int, retention_days: int = 7) -> tuple[str, datetime]:
    """One record synced while the station's clock is ``offset`` seconds off; returns it and the
    station's clock reading at that moment."""
    (rid,) = station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    return rid, datetime.now(UTC) + timedelta(seconds=offset)


@pytest.mark.parametrize("offset", [-TWO_YEARS, +TWO_YEARS], ids=["behind", "ahead"])
def test_retention_counts_from_central_s_signed_receipt_time(enrolled, monkeypatch, offset):
    """A clock two years behind does not shred at once; one two years ahead does not keep the
    record readable past the retention (7 days here, counted by central's time)."""
    central, station = enrolled
    clock(monkeypatch, offset)
    rid, station_now = _synced_with_clock(central, station, offset)
    row = station.records()[rid]
    # The day central signed into the receipt, not this laptop's day.
    assert row.receipt_at is not None and row.receipt_at.date() == datetime.now(UTC).date()
    assert receipt_day(row.receipt) == datetime.now(UTC).date()
    with station.ctx():
        assert abs(installation.get().clock_offset_seconds + offset) < 60
        # Right after the sync, and one minute before the window ends by central's time: kept.
        assert records.purge_expired(now=station_now) == 0
        assert records.purge_expired(now=station_now + timedelta(days=7) - timedelta(minutes=1)) == 0
        assert records.open_record(rid, accounts.find_user("admin"), station.secret).answers
        # Once the window (7 days after the end of the receipt day) has passed by central's time: gone.
        assert records.purge_expired(now=station_now + timedelta(days=8, seconds=1)) == 1
    assert station.records()[rid].local_wrap is None


def test_the_sync_page_and_status_say_the_clock_is_off_in_plain_words(enrolled, monkeypatch):
    central, station = enrolled
    clock(monkeypatch, -TWO_YEARS)
    _synced_with_clock(central, station, -TWO_YEARS)
    client = station.app.test_client()
    assert login(client, "admin", PASSPHRASE).status_code == 302
    page = client.get("/sync").get_data(as_text=True)
    assert "This laptop&#39;s clock is 730 days behind central&#39;s." in page
    assert "Set the right date and time on this laptop." in page
    status = json.loads(station.app.test_cli_runner().invoke(args=["status", "--json"]).output)
    assert abs(status["clock_offset_seconds"] - TWO_YEARS) < 60
    assert "730 days behind" in status["clock_message"]
    # In Thai too.
    client.set_cookie("lang", "th")
    with station.ctx():
        db.session.execute(sa.update(User).values(locale=None))
        db.session.commit()
    thai = client.get("/sync").get_data(as_text=True)
    assert "730" in thai and "This laptop" not in thai
    # The clock is set right: the next sync clears the warning.
    clock(monkeypatch, 0)
    _synced_with_clock(central, station, 0)
    assert "clock-off" not in client.get("/sync").get_data(as_text=True)


def _tls_certificates(tmp_path, *, not_before: datetime, not_after: datetime):
    """A test CA and a certificate for 127.0.0.1 from it, valid only from/until the given times."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.sync.test_tls import _certificate, _key_pem, _pem

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("tip-screen clock CA", ca_key, "tip-screen clock CA", ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", server_key, "tip-screen clock CA", ca_key, ca=False,
                          not_before=not_before, not_after=not_after)
    paths = {}
    for name, data in {"ca": _pem(ca), "server": _pem(server), "key": _key_pem(server_key)}.items():
        paths[name] = tmp_path / f"{name}.pem"
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize("window", ["not_yet_valid", "expired"])
def test_a_certificate_refused_for_its_dates_names_the_clock(central, station, tmp_path, monkeypatch, window):
    """Real HTTPS with a CA the station trusts, and a certificate whose validity window excludes
    this computer's time: as a laptop two years behind (or ahead) sees every certificate."""
    from tests.sync.test_tls import https

    now = datetime.now(UTC)
    dates = ({"not_before": now + timedelta(days=2 * 365), "not_after": now + timedelta(days=3 * 365)}
             if window == "not_yet_valid" else
             {"not_before": now - timedelta(days=3 * 365), "not_after": now - timedelta(days=2 * 365)})
    paths = _tls_certificates(tmp_path, **dates)
    monkeypatch.setenv("SSL_CERT_FILE", str(paths["ca"]))
    before = central.counts()
    with https(central.app, paths["server"], paths["key"]) as url:
        expected = "not valid yet by this laptop's clock" if window == "not_yet_valid" else \
            "has expired by this laptop's clock"
        with station.ctx(), pytest.raises(SyncFailed, match=expected) as refused:
            sync_client.enrol(url, central.code())
        assert "set the right date and time on this laptop" in str(refused.value).lower()
        assert now.strftime("%Y-%m-%d") in str(refused.value)
        assert central.counts() == before
        # Enrolled (over loopback HTTP), then central moves behind that certificate:
        # flask sync says the same, plainly, with a nonzero exit, and sends nothing.
        station.enrol(central)
        (rid,) = station.finalised(1)
        with station.ctx():
            installation.get().central_url = url
            db.session.commit()
        result = station.app.test_cli_runner().invoke(args=["sync"])
        assert result.exit_code == 1 and expected in result.output and "Traceback" not in result.output
    assert rid not in central.received()


FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
ROOT = Path(__file__).resolve().parents[2]


def _flask_with_clock(station, days: int, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``flask --app app ARGS`` for this station in a process of its own whose whole clock
    (Python's and OpenSSL's) is ``days`` off, through libfaketime."""
    if not FAKETIME.exists():
        skip_or_fail(f"the whole-clock tests need libfaketime at {FAKETIME} (apt-get install faketime)")
    with station.ctx():
        db.session.remove()
        db.engine.dispose()
    environment = {**os.environ, "LD_PRELOAD": str(FAKETIME), "FAKETIME": f"{days:+d}d",
                   "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TIP_SCREEN_INSTANCE": station.app.instance_path, **env}
    environment.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("days", [-730, +730], ids=["behind", "ahead"])
def test_a_station_whose_whole_clock_is_two_years_off_syncs_and_shreds_by_central_s_time(enrolled, days):
    central, station = enrolled
    ids = station.finalised(2)
    done = _flask_with_clock(station, days, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    # Receipts verify although the host certificate (a year) is expired by this clock.
    assert "Marked synced: 2" in done.stdout
    way = "behind" if days < 0 else "ahead of"
    assert f"This laptop's clock is 730 days {way} central's." in done.stdout
    assert "Set the right date and time on this laptop." in done.stdout
    rows = station.records()
    assert all(rows[rid].state is RecordState.SYNCED for rid in ids)
    assert {rows[rid].receipt_at.date() for rid in ids} == {datetime.now(UTC).date()}  # central's day
    status = json.loads(_flask_with_clock(station, days, "status", "--json").stdout)
    assert abs(status["clock_offset_seconds"] + days * 86400) < 120
    assert abs(central_skew(central, station) + days * 86400) < 120  # central keeps it per station
    # The retention window (7 days by default) by central's time, from this clock's readings.
    station_now = datetime.now(UTC) + timedelta(days=days)
    with station.ctx():
        assert records.purge_expired(now=station_now) == 0
        assert records.purge_expired(now=station_now + timedelta(days=7) - timedelta(minutes=1)) == 0
        assert records.purge_expired(now=station_now + timedelta(days=8, seconds=1)) == 2


@pytest.mark.parametrize("days", [-730, +730], ids=["behind", "ahead"])
def test_tls_refused_because_of_the_whole_clock_names_the_clock(enrolled, tmp_path, days):
    """Central behind a certificate valid now (from a CA the station trusts); the station's
    whole clock two years off: OpenSSL refuses it, and flask sync says why in plain words."""
    from tests.sync.test_tls import https

    central, station = enrolled
    (rid,) = station.finalised(1)
    now = datetime.now(UTC)
    paths = _tls_certificates(tmp_path, not_before=now - timedelta(minutes=5), not_after=now + timedelta(days=1))
    with https(central.app, paths["server"], paths["key"]) as url:
        with station.ctx():
            installation.get().central_url = url
            db.session.commit()
        done = _flask_with_clock(station, days, "sync", SSL_CERT_FILE=str(paths["ca"]))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    expected = "not valid yet by this laptop's clock" if days < 0 else "has expired by this laptop's clock"
    assert expected in done.stderr
    assert (now + timedelta(days=days)).strftime("%Y-%m-%d") in done.stderr  # the time it believes
    assert "set the right date and time on this laptop" in done.stderr.lower()
    assert rid not in central.received()


def test_a_clock_set_right_between_syncs_moves_the_offset_with_it(enrolled, monkeypatch):
    """Synced two years behind (offset +2 years), then the clock is set right before the next
    sync: the timer sees the clock move while the time since boot does not, moves the offset
    by as much, and nothing is shredded early; the warning goes with it."""
    central, station = enrolled
    booted = {"seconds": 1000.0}
    monkeypatch.setattr(retention, "_since_boot", lambda: booted["seconds"])
    clock(monkeypatch, -TWO_YEARS)
    (rid,) = station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    assert housekeeping.sweep_round(station.app).records_shredded == 0  # the timer's first look
    booted["seconds"] += 30
    clock(monkeypatch, 0)  # set right (by hand, or NTP once online)
    assert housekeeping.sweep_round(station.app).records_shredded == 0
    with station.ctx():
        assert abs(installation.get().clock_offset_seconds) < 60
        assert sync_client.status()["clock_message"] is None
        assert records.open_record(rid, accounts.find_user("admin"), station.secret).answers
    # Thirty more seconds, nothing moved: nothing changes.
    booted["seconds"] += 30
    assert housekeeping.sweep_round(station.app).records_shredded == 0
    with station.ctx():
        assert abs(installation.get().clock_offset_seconds) < 60
    # A sync in between measures the offset itself; the timer then keeps that figure.
    clock(monkeypatch, +TWO_YEARS)
    station.finalised(1)
    with station.ctx():
        assert sync_client.sync().marked_synced == 1
    booted["seconds"] += 30
    assert housekeeping.sweep_round(station.app).records_shredded == 0
    with station.ctx():
        assert abs(installation.get().clock_offset_seconds + TWO_YEARS) < 60
