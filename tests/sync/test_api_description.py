"""One description of the API: the OpenAPI document, the URL map, the request checks and
station authentication agree."""

from __future__ import annotations

import json

import jsonschema
import pytest
from flask import Flask

from app.api import openapi
from app.protocol import problems, wire
from app.protocol.messages import MAX_RECORDS_PER_KNOWN, MAX_RECORDS_PER_PUSH
from app.services import setup
from app.web.access import STATION, access_rule, allow, is_station_signed
from tests.conftest import PASSPHRASE
from tests.sync.conftest import call

DOC = openapi.document()
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def central_app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    app = make_app(role="central")
    with app.app_context():
        setup.initialise("Central", "admin", PASSPHRASE)
    return app


def _api_routes(app: Flask) -> dict[str, tuple[str, set[str]]]:
    """path (OpenAPI spelling) -> (endpoint, methods), for every /api/v1 route."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            routes[path] = (rule.endpoint, {m.lower() for m in rule.methods - IGNORED_METHODS})
    return routes


def _signed(operation: dict) -> bool:
    return bool(operation.get("security", DOC["security"]))


def test_every_route_is_documented_and_every_documented_path_is_routed(central_app):
    routes = _api_routes(central_app)
    assert set(routes) == set(DOC["paths"])
    for path, (_endpoint, methods) in routes.items():
        assert methods == set(DOC["paths"][path]), path


def test_station_routes_are_exactly_the_documented_signed_operations(central_app):
    routes = _api_routes(central_app)
    unsigned = set()
    for path, (endpoint, methods) in routes.items():
        for method in methods:
            operation = DOC["paths"][path][method]
            declared = access_rule(central_app, endpoint)
            assert declared is not None, endpoint
            if _signed(operation):
                assert is_station_signed(central_app, endpoint), f"{path}: needs @station_signed"
                assert STATION in declared
                assert "401" in operation["responses"], path
            else:
                assert not is_station_signed(central_app, endpoint) and STATION not in declared
                unsigned.add(path)
    assert unsigned == {"/api/v1/enrol", "/api/v1/openapi.json"}


def test_unsigned_requests_to_every_station_route_get_the_auth_problem(central_app):
    client = central_app.test_client()
    for path, (_endpoint, methods) in _api_routes(central_app).items():
        for method in methods:
            if not _signed(DOC["paths"][path][method]):
                continue
            # Even a body the route would refuse is not read before the signature.
            for body in (b"", b"not json", b'{"records": "nope"}'):
                answer = client.open(path, method=method.upper(), data=body,
                                     content_type="application/json")
                assert answer.status_code == 401, (path, body)
                assert answer.json["code"] == problems.UNSIGNED.code, (path, body)
                assert answer.json["error"] == "unsigned" and answer.json["message"]


def test_a_station_route_cannot_be_declared_without_the_signature_check(make_app):
    with pytest.raises(TypeError):
        allow(STATION)
    app = make_app(role="central")

    def sneaky() -> str:
        return "served"

    sneaky._tip_access = frozenset({STATION})  # type: ignore[attr-defined]
    app.add_url_rule("/api/v1/sneaky", "sneaky", sneaky)
    with app.app_context():
        setup.initialise("Central", "admin", PASSPHRASE)
    assert app.test_client().get("/api/v1/sneaky").status_code == 403


def test_documented_limits_and_frame_are_the_protocols():
    content = DOC["paths"]["/api/v1/records"]["post"]["requestBody"]["content"]
    assert list(content) == [wire.CONTENT_TYPE]
    push = content[wire.CONTENT_TYPE]["schema"]
    known = openapi.request_schema("knownRecords")["properties"]["records"]
    assert push["x-max-records"] == MAX_RECORDS_PER_PUSH
    assert f"'{wire.MAGIC.decode()}'" in push["description"] and f"at most {MAX_RECORDS_PER_PUSH}" in push["description"]
    assert known["maxItems"] == MAX_RECORDS_PER_KNOWN


def test_request_checks_follow_the_document():
    with pytest.raises(problems.ProblemError) as refused:
        openapi.validate("knownRecords", [1])
    assert refused.value.problem is problems.NOT_JSON
    with pytest.raises(problems.ProblemError) as refused:
        openapi.validate("knownRecords", {"records": [{"id": "x"}]})
    assert refused.value.problem is problems.INVALID_REQUEST
    assert "records[0]" in str(refused.value.message) and "sha256" in str(refused.value.message)
    with pytest.raises(problems.ProblemError) as refused:
        openapi.validate("pullUpdates", {"questionnaires": {"tip-default": "1.0.0"}})
    assert refused.value.problem is problems.INVALID_REQUEST
    too_many = {"records": [{"id": "x", "sha256": "0" * 64}] * (MAX_RECORDS_PER_KNOWN + 1)}
    with pytest.raises(problems.ProblemError) as refused:
        openapi.validate("knownRecords", too_many)
    assert refused.value.problem is problems.TOO_MANY_RECORDS
    ok = {"pending": 3, "records": [{"id": "x", "sha256": "a" * 64}]}
    assert openapi.validate("knownRecords", ok) == ok


def test_updates_answer_what_the_document_describes(enrolled):
    central, station = enrolled
    from tests.directory.conftest import add_at_central

    add_at_central(central.app)  # central has a referral directory too
    # A station that holds nothing gets everything...
    nothing = json.dumps({"questionnaires": {}, "central_key_id": None}).encode()
    answer = call(central.url, "POST", "/api/v1/updates", nothing, station.signed("POST", "/api/v1/updates", nothing))
    assert answer.status == 200
    schema = DOC["components"]["schemas"]["SignedUpdates"]
    jsonschema.validate(answer.json, schema)
    payload = answer.json["payload"]
    # Every documented key but referral_statuses, which needs a referral of one of the station's
    # records (tests/referrals/test_loop.py checks that one against the document).
    assert set(payload) == set(schema["properties"]["payload"]["properties"]) - {"referral_statuses"}
    assert payload["questionnaires"]
    for item in payload["questionnaires"]:
        assert set(item) == {"id", "version", "yaml"}
    # ...and one that holds all of it gets 204 with no body, as documented.
    versions: dict[str, list[str]] = {}
    for q in payload["questionnaires"]:
        versions.setdefault(q["id"], []).append(q["version"])
    held = json.dumps({"questionnaires": versions,
                       "central_key_id": payload["keys"]["central_key_id"],
                       "facts_key_id": payload["facts_key_statement"]["payload"]["facts_key_id"],
                       "directory_version": payload["referral_directory"]["payload"]["version"]}).encode()
    empty = call(central.url, "POST", "/api/v1/updates", held, station.signed("POST", "/api/v1/updates", held))
    assert (empty.status, empty.raw, empty.content_type) == (204, b"", "")
    assert "content" not in DOC["paths"]["/api/v1/updates"]["post"]["responses"]["204"]
    # And the served document is this one.
    served = call(central.url, "GET", "/api/v1/openapi.json")
    assert json.loads(served.raw)["paths"] == DOC["paths"]
