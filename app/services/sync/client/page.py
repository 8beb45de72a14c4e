"""Station: what the Sync page shows, and its actions (sync now, USB bundle, enrolment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.crypto import identity_fingerprint
from app.protocol.problems import Problem
from app.services import installation, records
from app.services.accounts import keyring
from app.services.errors import CentralBusy, SyncBusy
from app.services.sync.client import background, bundles, enrolment, push, report


@dataclass(frozen=True)
class SyncOverview:
    enrolled: bool
    central_url: str | None
    central_fingerprint: str | None  # central's identity: its identity key and record key
    central_key_id: str | None
    # When central's record key changed after enrolment (a pulled, identity-signed update): shown.
    central_key_changed_at: datetime | None
    pending: int
    waiting_for_key: int
    not_accepted: dict[Problem, int]  # central's problem -> how many records
    last_sync_at: datetime | None
    last_error: str | None
    auto_interval_seconds: int  # 0: automatic sync is off
    auto_running: bool
    auto_failures: int
    auto_next_at: datetime | None
    auto_busy_until: datetime | None  # central was busy: the next round comes then
    disk_full: str | None  # the plain message while the database's disk is full
    clock_advice: str | None  # how far this clock is from central's and what to do
    directory_version: int  # the signed referral directory in use (0: the shipped file)


def _central_fingerprint(identity: bytes | None, record: bytes | None) -> str | None:
    return identity_fingerprint(identity, record) if identity and record else None


def overview() -> SyncOverview:
    inst = installation.get()
    now = report.status()
    counts = now["counts"]
    auto = background.state()
    return SyncOverview(
        enrolled=inst.enrolled_at is not None,
        central_url=inst.central_url,
        central_fingerprint=_central_fingerprint(inst.central_signing_public_key, inst.central_public_key),
        central_key_id=inst.central_key_id,
        central_key_changed_at=inst.central_key_changed_at,
        pending=int(now["pending"]),
        waiting_for_key=int(counts["waiting_for_key"]),
        not_accepted=records.sync_problems(),
        last_sync_at=inst.last_sync_at,
        last_error=inst.last_sync_error,
        auto_interval_seconds=int(current_app.config["TIP"].sync_interval_seconds),
        auto_running=auto is not None,
        auto_failures=auto.failures if auto else 0,
        auto_next_at=auto.next_at if auto else None,
        auto_busy_until=auto.busy_until if auto else None,
        disk_full=now["disk"].get("message"),
        clock_advice=now["clock_message"],
        directory_version=int(now["directory_version"]),
    )


def automatic() -> bool:
    """Automatic sync runs in this process."""
    return background.state() is not None


PAGE_BUSY_WAIT_SECONDS = 0.0  # the officer is not kept waiting on a busy central


def sync_now() -> push.SyncSummary:
    """Sync now. CentralBusy (not an error) says when the rest goes: the automatic round's
    next time if it runs, else when central asked this station to come back."""
    try:
        summary = background.run_sync(wait=False, busy_wait=PAGE_BUSY_WAIT_SECONDS)
    except CentralBusy as exc:
        auto = background.state()
        if auto is not None and auto.next_at is not None:
            exc.at = auto.next_at if exc.at is None else max(exc.at, auto.next_at)
        raise
    if summary is None:
        raise SyncBusy(_l("A sync is already running. Wait a minute and look again."))
    return summary


def enrol(url: str, code: str, *, expected_fingerprint: str | None, tls_pin: str | None,
          station_key: bytes | None) -> tuple[str, int]:
    """Enrol; then seal the records that were waiting for central's key (if this login holds the
    station key). Returns central's fingerprint and how many records were sealed."""
    found = enrolment.enrol(url, code, expected_fingerprint=expected_fingerprint or None,
                            tls_pin=tls_pin or None)
    sealed = records.seal_waiting(keyring.station_keys(station_key)) if station_key is not None else 0
    return found, sealed


def retry_not_accepted() -> int:
    """Send again, at the next sync, what central would not take (after it was sorted out there)."""
    return records.retry_sync_problems()


def export_bundle() -> tuple[bytes, int]:
    return bundles.export_bundle()
