"""Change numbers are drawn in commit order on PostgreSQL: a referral step waits for the
feedback lock, so a station's pull can never see change N+1 while N is still uncommitted."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Referral
from app.services import accounts
from app.services.central import cases
from app.services.central.cases import FEEDBACK_LOCK
from tests.central.conftest import FakeStation
from tests.conftest import PASSPHRASE
from tests.directory.conftest import add_at_central, custody
from tests.exports.conftest import pg_central  # noqa: F401  (fixture)
from tests.referrals.conftest import ANSWERS
from tests.referrals.test_cases_service import _worker

WAITING = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                  " AND classid = :a AND objid = :b")


@pytest.mark.postgres
def test_a_step_waits_while_another_transaction_holds_the_feedback_lock(pg_central):  # noqa: F811
    app = pg_central
    station = FakeStation(app, "Mae Sot post")
    record_id, envelope = station.envelope(ANSWERS)
    station.deliver((record_id, envelope))
    clinic, _ = add_at_central(app, name="Mae Tao clinic", kind="health", services=("medical",))
    key = custody(app)
    from app.services.central import partners

    with app.app_context():
        partners.create_case_worker(key, clinic, "clinic.nurse", PASSPHRASE, actor="admin")
        referral_id = cases.refer(record_id, clinic, ["q_age"], "", username="admin", secret=key).id
        first_change = db.session.get(Referral, referral_id).change
    nurse_key = _worker(app, "clinic.nurse")[1]
    done: list[int] = []
    errors: list[BaseException] = []

    def accept() -> None:
        try:
            with app.app_context():
                user = accounts.find_user("clinic.nurse")
                cases.step(referral_id, "accepted", "", user=user, secret=nurse_key)
                done.append(db.session.get(Referral, referral_id).change)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    params = {"a": FEEDBACK_LOCK[0], "b": FEEDBACK_LOCK[1]}
    with app.app_context():
        holder = db.engine.connect()
        watcher = db.engine.connect()
    try:
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"), params)  # an open transaction
        worker = threading.Thread(target=accept)
        worker.start()
        for _ in range(200):  # bounded: until the step is seen waiting on the lock
            if watcher.execute(WAITING, params).scalar() == 1 or not worker.is_alive():
                break
            watcher.rollback()
            worker.join(0.05)
        assert worker.is_alive() and not done, "the step did not wait for the feedback lock"
        holder.rollback()  # the other transaction ends: the step goes on
        worker.join(30)
    finally:
        holder.close()
        watcher.close()
    assert not errors, errors
    assert done and done[0] > first_change
