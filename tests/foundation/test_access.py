"""Every route declares who may use it; walk them all with every role."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.protocol import problems
from app.roles import Role
from app.services.errors import ValidationFailed
from app.web.access import PHONE, PUBLIC, STATION, access_rule, is_allowed
from tests.support.web import login

DUMMY = {"int": "1", "default": "x", "string": "x", "uuid": "00000000-0000-4000-8000-000000000000",
         "path": "x"}


def _url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():  # noqa: SLF001
        kind = type(converter).__name__.replace("Converter", "").lower()
        values[name] = DUMMY.get(kind, "1")
    url = rule.rule
    for name, value in values.items():
        url = url.replace(f"<{rule._converters[name].__class__.__name__}:{name}>", value)  # noqa: SLF001
    import re

    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", url)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        yield rule, method


def test_every_route_declares_its_roles(app):
    undeclared = [r.endpoint for r, _ in _routes(app) if access_rule(app, r.endpoint) is None]
    assert undeclared == []


@pytest.fixture(params=["station", "central"])
def any_role_app(request, make_app):
    return make_app(role=request.param)


@pytest.mark.parametrize("role", [None, *Role])
def test_every_route_with_every_role(any_role_app, role):
    app = any_role_app
    from app.services import accounts, setup
    from app.services.accounts import keyring

    with app.app_context():
        setup.initialise("Walk", "admin", "long enough test phrase")
        if role is Role.PARTNER:
            admin = accounts.find_user("admin")
            secret = keyring.open_user_slot(admin, "long enough test phrase")
            if app.config["TIP"].role == "station":
                # Partner case workers exist at central only: a station refuses the role.
                with pytest.raises(ValidationFailed, match="central"):
                    accounts.create_user("walker", role, "long enough test phrase", secret=secret)
                return
            from tests.central.conftest import _case_worker
            _case_worker(app, "walker", secret)
        elif role is not None and role is not Role.ADMIN:
            admin = accounts.find_user("admin")
            secret = keyring.open_user_slot(admin, "long enough test phrase")
            accounts.create_user("walker", role, "long enough test phrase", secret=secret)
    client = app.test_client()
    if role is not None:
        name = "admin" if role is Role.ADMIN else "walker"
        assert login(client, name, "long enough test phrase").status_code == 302
    checked = 0
    for rule, method in _routes(app):
        url = _url(rule)
        response = client.open(url, method=method)
        declared = access_rule(app, rule.endpoint)
        if STATION in declared:
            # Machine routes: no user may pass; only a station's signed request does. The
            # signature is checked first, so the refusal is the auth problem, never a 400.
            assert response.status_code in (401, 403), f"{method} {url}"
            assert response.json["code"] in {p.code for p in problems.AUTH_PROBLEMS}, f"{method} {url}"
            checked += 1
            continue
        if PHONE in declared:
            # A phone's form app (ODK Collect): a web session counts for nothing; every
            # request must carry the account's own HTTP Basic credentials.
            assert response.status_code == 401, f"{method} {url}"
            assert response.headers["WWW-Authenticate"].startswith("Basic "), f"{method} {url}"
            assert response.headers["X-OpenRosa-Version"] == "1.0", f"{method} {url}"
            checked += 1
            continue
        allowed = is_allowed(declared, role)
        location = response.headers.get("Location", "")
        where = f"{method} {url} as {role}"
        if allowed:
            assert response.status_code not in (401, 403), where
            assert "/login?next=" not in location, where
        elif role is None:
            assert response.status_code in (302, 401), where
            assert response.status_code == 401 or "/login" in location, where
        else:
            assert response.status_code == 403, where
        checked += 1
    assert checked >= 8


def test_undeclared_route_is_refused(make_app, installed):
    app = make_app()
    with app.app_context():
        from app.services import setup

        setup.initialise("Post", "admin", "long enough test phrase")

    @app.get("/forgot-to-declare")
    def forgot():  # pragma: no cover - must never run
        return "secret"

    client = app.test_client()
    login(client, "admin", "long enough test phrase")
    assert client.get("/forgot-to-declare").status_code == 403


def test_public_marker_is_used_only_where_intended(app, make_app):
    public = sorted(r.endpoint for r, _ in _routes(app) if PUBLIC in access_rule(app, r.endpoint))
    assert public == ["auth.login", "main.favicon", "main.healthz", "main.language", "setup.index"]
    central = make_app(role="central")
    public = sorted(r.endpoint for r, _ in _routes(central) if PUBLIC in access_rule(central, r.endpoint))
    assert public == ["api.enrol", "api.openapi", "auth.login", "main.favicon", "main.healthz", "main.language",
                      "setup.index"]
