"""The station's RSA key for phones is kept like its other private keys: wrapped, opened only
by a screener's unlocked key set, never in clear on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from app.config import SQLITE_NAME
from app.crypto import KeySet, generate_signing_key, generate_x25519
from app.roles import Role
from app.services.accounts import keyring
from app.services.errors import Locked
from app.services.odk import keys as odk_keys
from tests.conftest import PASSPHRASE, admin_keys


def _keys_of(app, username):
    from app.services import accounts

    with app.app_context():
        return keyring.station_keys(keyring.open_user_slot(accounts.find_user(username), PASSPHRASE))


def test_made_once_opened_by_every_screener_and_never_in_clear_on_disk(app, make_user):
    officer = _keys_of(app, make_user(Role.OFFICER)["username"])
    outreach = _keys_of(app, make_user(Role.OUTREACH)["username"])
    with app.app_context():
        public = odk_keys.ensure_key_pair(officer)
        assert odk_keys.ensure_key_pair(outreach) == public  # one key pair per station
        private = odk_keys.private_key(officer)
        assert odk_keys.private_key(outreach) == private == odk_keys.private_key(admin_keys(app))
    stored = b"".join(p.read_bytes() for p in Path(app.instance_path).iterdir()
                      if p.name.startswith(SQLITE_NAME))
    assert public in stored  # the scan can find what is stored as it is
    numbers = serialization.load_der_private_key(private, password=None).private_numbers()
    for secret in (numbers.d, numbers.p, numbers.q):  # no 32-byte piece of any secret number
        raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
        for start in range(0, len(raw) - 32, 16):
            assert raw[start:start + 32] not in stored


def test_a_key_set_from_elsewhere_opens_nothing(app, make_user):
    officer = _keys_of(app, make_user(Role.OFFICER)["username"])
    stranger = KeySet(own=generate_x25519()[0], signing=generate_signing_key()[0])
    with app.app_context():
        odk_keys.ensure_key_pair(officer)
        with pytest.raises(Locked):
            odk_keys.private_key(stranger)
