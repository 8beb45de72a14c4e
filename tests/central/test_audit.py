"""The audit log is a hash chain: removing, editing or reordering an entry shows; appends never fork."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry
from app.services.central import audit
from app.services.errors import AuditFailed


def _fill(app, n=5):
    with app.app_context():
        for i in range(n):
            audit.record(f"user{i}", "open", record_id=f"00000000-0000-4000-8000-00000000000{i}",
                         detail=f"entry {i} ไทย")


def _chain() -> tuple[bool, int | None]:
    """(True, None) if every entry links to the one before; else (False, first entry that does not)."""
    check = audit.check_chain()
    return check.ok, check.first_bad_id


def _verify(app):
    with app.app_context():
        db.session.expire_all()
        return _chain()


def test_intact_chain_verifies_and_links(audit_app):
    with audit_app.app_context():
        assert _chain() == (True, None)  # empty log
    _fill(audit_app)
    assert _verify(audit_app) == (True, None)
    with audit_app.app_context():
        rows = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash


def test_hash_is_sha256_of_prev_hash_and_canonical_json(audit_app):
    _fill(audit_app, 1)
    with audit_app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry))
        fields = {"id": entry.id, "at": entry.at.isoformat(timespec="microseconds"),
                  "username": entry.username, "action": entry.action, "record_id": entry.record_id,
                  "detail": entry.detail}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert entry.hash == hashlib.sha256((entry.prev_hash + canonical).encode()).hexdigest()


def test_removed_entry_is_detected(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == 3))
        db.session.commit()
    assert _verify(audit_app) == (False, 4)


def test_removed_first_entry_is_detected(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == 1))
        db.session.commit()
    assert _verify(audit_app) == (False, 2)


@pytest.mark.parametrize("column, value", [
    ("username", "someone_else"), ("action", "import"), ("detail", "nothing to see"),
    ("record_id", None),
])
def test_edited_entry_is_detected(audit_app, column, value):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == 2).values({column: value}))
        db.session.commit()
    assert _verify(audit_app) == (False, 2)


def test_edited_entry_with_recomputed_hash_is_detected_at_the_next(audit_app):
    """Even with the audit key (a new MAC, as someone holding the config could make), one entry
    cannot be edited alone: the next entry no longer links to it."""
    _fill(audit_app)
    with audit_app.app_context():
        entry = db.session.get(AuditEntry, 2)
        entry.username = "forger"
        entry.hash = audit.entry_hash(entry.prev_hash, id=entry.id, at=entry.at, username=entry.username,
                                      action=entry.action, record_id=entry.record_id, detail=entry.detail)
        entry.mac = audit.entry_mac(audit.mac_key(audit_app.config["TIP"].secret_key), entry.hash)
        db.session.commit()
    assert _verify(audit_app) == (False, 3)


def test_reordered_entries_are_detected(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        two, three = db.session.get(AuditEntry, 2), db.session.get(AuditEntry, 3)
        cols = ("at", "username", "action", "record_id", "detail", "prev_hash", "hash")
        a = {c: getattr(two, c) for c in cols}
        b = {c: getattr(three, c) for c in cols}
        # Swap the contents of two rows (the hash column is unique: go through a placeholder).
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == 2).values(hash="x" * 64))
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == 3).values(**a))
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == 2).values(**b))
        db.session.commit()
    assert _verify(audit_app) == (False, 2)


def test_renumbered_entries_are_detected(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == 5).values(id=50))
        db.session.commit()
    assert _verify(audit_app) == (False, 50)


def test_appends_continue_the_chain_after_a_check(audit_app):
    _fill(audit_app, 2)
    assert _verify(audit_app) == (True, None)
    _fill(audit_app, 2)
    assert _verify(audit_app) == (True, None)


def test_detail_is_cut_to_the_column(audit_app):
    with audit_app.app_context():
        entry = audit.record("admin", "import", detail="x" * 500)
        assert len(entry.detail) == audit.MAX_DETAIL
    assert _verify(audit_app) == (True, None)


@pytest.mark.postgres
def test_concurrent_appends_do_not_fork_the_chain(make_app):
    """Many threads (each its own connection, as separate workers would be) append at once."""
    from flask_migrate import upgrade

    from tests.support.postgres import fresh_database

    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
        threads, per_thread = 8, 15
        start = threading.Barrier(threads)
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                with app.app_context():
                    start.wait()
                    for i in range(per_thread):
                        audit.record(f"worker{n}", "open", detail=f"{n}:{i}")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
        assert errors == []
        with app.app_context():
            rows = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
            assert _chain() == (True, None)
            assert len(rows) == threads * per_thread
            assert [r.id for r in rows] == list(range(1, threads * per_thread + 1))
            assert len({r.prev_hash for r in rows}) == len(rows)  # no two entries share a parent
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_concurrent_appends_without_the_lock_still_do_not_fork(make_app, monkeypatch):
    """The primary key alone (retry on the new last entry) keeps one chain."""
    from flask_migrate import upgrade

    from tests.support.postgres import fresh_database

    monkeypatch.setattr(audit, "_serialise_appends", lambda: None)
    with fresh_database() as url:
        app = make_app(role="central", database_url=url)
        with app.app_context():
            upgrade()
        threads = 6
        start = threading.Barrier(threads)
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                with app.app_context():
                    start.wait()
                    for i in range(5):
                        audit.record(f"w{n}", "open", detail=str(i))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
        with app.app_context():
            ok = _chain()
            count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
            db.session.remove()
            db.engine.dispose()
        # Under heavy contention a writer may give up (AuditFailed) rather than fork the chain.
        assert all(isinstance(e, AuditFailed) for e in errors)
        assert ok == (True, None)
        assert 0 < count <= threads * 5
