"""A login derives a key from the passphrase once: the key slot is the passphrase check."""

from __future__ import annotations

import sqlalchemy as sa

from app.crypto import TEST_KDF, KdfParams, make_slot, open_slot, slot_params
from app.extensions import db
from app.models import KeySlot
from app.roles import Role
from app.services import accounts
from app.services.accounts import keyring
from tests.conftest import PASSPHRASE
from tests.support.derivations import count_derivations
from tests.support.web import login


def _slot(app, username: str) -> bytes:
    with app.app_context():
        user = accounts.find_user(username)
        return db.session.scalar(sa.select(KeySlot.slot).where(KeySlot.user_id == user.id))


def test_a_web_login_derives_once(app, client, installed, make_user, monkeypatch):
    officer = make_user(Role.OFFICER)
    runs = count_derivations(monkeypatch)
    for creds in (installed, officer):
        runs.clear()
        response = login(app.test_client(), creds["username"], creds["passphrase"])
        assert response.status_code == 302
        assert runs == ["derive"]  # the slot opened; no login hash checked besides
    assert len(app.extensions["tip_keys"]) == 2
    # A wrong passphrase and an unknown account cost the same single derivation.
    for name in ("admin", "nobody-at-all"):
        runs.clear()
        assert login(client, name, "a wrong passphrase here").status_code == 401
        assert len(runs) == 1


def test_a_command_line_login_derives_once(app, runner, installed, monkeypatch):
    runs = count_derivations(monkeypatch)
    result = runner.invoke(args=["users", "create", "somchai", "--role", "officer",
                                 "--password-stdin"],
                           input=f"a new long passphrase 77\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    # The administrator's passphrase: one derivation; the new account: its hash and its slot.
    assert runs.count("verify") == 0
    assert runs == ["derive", "hash", "derive"]


def test_a_slot_with_older_parameters_opens_and_is_rewrapped_at_login(app, installed, monkeypatch):
    older = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
    with app.app_context():
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASSPHRASE)
        row = keyring.slot_of(admin)
        row.slot = make_slot(PASSPHRASE, secret, older)
        db.session.commit()
    assert slot_params(_slot(app, "admin")) == older
    runs = count_derivations(monkeypatch)
    assert login(app.test_client(), "admin", PASSPHRASE).status_code == 302
    assert runs == ["derive", "derive"]  # opened with its own parameters, re-made with today's
    slot = _slot(app, "admin")
    assert slot_params(slot) == TEST_KDF
    assert open_slot(slot, PASSPHRASE) == secret
    runs.clear()
    assert login(app.test_client(), "admin", PASSPHRASE).status_code == 302
    assert runs == ["derive"]  # once re-made, a login is one derivation again
