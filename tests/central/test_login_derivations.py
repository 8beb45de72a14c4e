"""On central too, a login derives a key from the passphrase once."""

from __future__ import annotations

from app.roles import Role
from tests.support.derivations import count_derivations
from tests.support.web import login


def test_a_central_login_derives_once(central_app, central_users, monkeypatch):
    with_slot = central_users(Role.COORDINATOR)
    without_slot = central_users(Role.COORDINATOR, slot=False)
    runs = count_derivations(monkeypatch)
    for creds, kind in ((central_users(Role.ADMIN), "derive"), (with_slot, "derive"),
                        (without_slot, "verify")):
        runs.clear()
        response = login(central_app.test_client(), creds["username"], creds["passphrase"])
        assert response.status_code == 302, response.get_data(as_text=True)
        assert runs == [kind]
