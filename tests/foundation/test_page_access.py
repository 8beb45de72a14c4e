"""Pages show a link or a button only to whom its route lets in: templates ask ``can(endpoint)``,
the rule the access check itself uses, and never compare roles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.roles import Role
from tests.support.web import login

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
PASS = "long enough test phrase"
ROLE_COMPARISON = re.compile(r"role\s*(==|!=|\bin\b|\bis\b)|role\.value|\bRole\.")
CAN = re.compile(r"""can\(\s*['"]([\w.]+)['"]\s*\)""")
NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')

SCREENERS = {Role.OFFICER, Role.INTERPRETER, Role.OUTREACH, Role.ADMIN}
MANAGERS = {Role.ADMIN, Role.COORDINATOR}
# What each menu showed before the templates asked can(): (installation, link) -> roles.
EXPECTED_NAV = {
    ("station", "/screenings/"): SCREENERS,
    ("station", "/sync"): set(Role) - {Role.PARTNER},  # partners exist at central only
    ("station", "/admin/users"): {Role.ADMIN},
    ("station", "/admin/questionnaires"): {Role.ADMIN},
    ("central", "/central/"): MANAGERS,
    ("central", "/central/cases"): MANAGERS,
    ("central", "/central/records"): MANAGERS,
    ("central", "/central/stations"): MANAGERS,
    ("central", "/central/directory"): MANAGERS,
    ("central", "/central/import"): {Role.ADMIN},
    ("central", "/central/audit"): MANAGERS,
    ("central", "/central/referrals/overdue"): MANAGERS,
    ("central", "/central/partner"): {Role.PARTNER},
    ("central", "/admin/users"): {Role.ADMIN},
    ("central", "/admin/questionnaires"): {Role.ADMIN},
}


def _templates() -> list[Path]:
    return sorted(TEMPLATES.glob("**/*.html"))


def test_no_template_compares_roles():
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()}"
             for path in _templates()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if ROLE_COMPARISON.search(line)]
    assert found == []


def test_every_endpoint_a_template_asks_about_exists(make_app):
    asked = {name for path in _templates() for name in CAN.findall(path.read_text(encoding="utf-8"))}
    assert len(asked) >= 10
    known = set(make_app(role="station").view_functions) | set(make_app(role="central").view_functions)
    assert asked - known == set()  # a misspelt endpoint would hide its link from everyone


@pytest.fixture(params=["station", "central"])
def installed_as(request, make_app):
    from app.services import accounts, setup
    from app.services.accounts import keyring

    app = make_app(role=request.param)
    with app.app_context():
        setup.initialise("Menus", "admin", PASS)
        admin = accounts.find_user("admin")
        secret = keyring.open_user_slot(admin, PASS)
        for role in Role:
            if role is Role.PARTNER:
                if request.param == "central":  # made on an organisation's page (its key in the slot)
                    from tests.central.conftest import _case_worker
                    _case_worker(app, role.value, secret)
            elif role is not Role.ADMIN:
                accounts.create_user(role.value, role, PASS, secret=secret)
    return request.param, app


@pytest.mark.parametrize("role", list(Role))
def test_menus_and_buttons_show_what_the_routes_allow(installed_as, role):
    kind, app = installed_as
    if kind == "station" and role is Role.PARTNER:
        return  # no such account on a station (tests/foundation/test_access.py checks the refusal)
    client = app.test_client()
    assert login(client, "admin" if role is Role.ADMIN else role.value, PASS).status_code == 302
    home = client.get("/", follow_redirects=True).get_data(as_text=True)  # central: the dashboard
    menu = NAV.search(home)
    assert menu is not None
    shown = {href for href in HREF.findall(menu.group(1))}
    expected = {link for (where, link), roles in EXPECTED_NAV.items() if where == kind and role in roles}
    assert shown - {"/"} == expected
    for link in shown:
        assert client.get(link).status_code == 200, link  # every link shown opens
    for (where, link), _roles in EXPECTED_NAV.items():
        if where == kind and link not in shown:
            assert client.get(link).status_code == 403, link  # and every one hidden is refused
    new_screening = 'href="/screenings/new"' in home
    assert new_screening == (kind == "station" and role in SCREENERS)

    if kind == "central":
        stations = client.get("/central/stations")
        if role in MANAGERS:
            page = stations.get_data(as_text=True)
            assert ('action="/central/stations"' in page) == (role is Role.ADMIN)
    else:
        page = client.get("/sync").get_data(as_text=True)
        assert ('action="/sync/enrol"' in page) == (role is Role.ADMIN)
