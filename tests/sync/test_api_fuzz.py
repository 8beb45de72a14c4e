"""Schema-driven fuzzing of every /api/v1 endpoint, over real HTTP, against the OpenAPI document.

Bodies and headers are drawn from the JSON schemas in openapi.json (valid shapes), then
broken (a required field dropped, a value of the wrong type, junk bytes); upload frames
(app/protocol/wire.py) are drawn whole and then cut, grown or bitten; signed requests
are tried both with drawn headers and properly signed by an enrolled station with drawn
values. Every answer must be below 500, documented for the operation, and match its
documented schema (errors: JSON with ``error`` and ``message``); nothing is stored.
"""

from __future__ import annotations

import base64
import json
import string
from typing import Any

import jsonschema
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.openapi import document
from app.extensions import db
from app.models import FailedAttempt, Station
from app.protocol.messages import b64
from tests.sync.conftest import Answer, call, frame, resign

DOC = document()
EXAMPLES = 100
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                suppress_health_check=list(HealthCheck))
HEADER_TEXT = st.text(string.ascii_letters + string.digits + string.punctuation + " ", max_size=60)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
ANY_JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = DOC
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy the (small) subset of JSON Schema the document uses."""
    schema = resolve(schema)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in props.items() if k in required},
            optional={k: from_schema(v) for k, v in props.items() if k not in required})
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=min(schema.get("maxItems", 5), 5))
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "string":
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        if "base64" in schema.get("description", ""):
            return st.binary(max_size=64).map(b64) | st.text(max_size=40)
        return st.text(max_size=40)
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    return ANY_JSON


def broken(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid shape with one thing wrong: a required field missing, or a value of another type."""
    schema = resolve(schema)
    required = list(schema.get("required", []))

    def spoil(value: dict[str, Any], data: st.DataObject) -> Any:
        if required and data.draw(st.booleans()):
            value.pop(data.draw(st.sampled_from(required)), None)
        elif value:
            value[data.draw(st.sampled_from(sorted(value)))] = data.draw(ANY_JSON)
        return value

    return st.tuples(from_schema(schema), st.data()).map(lambda pair: spoil(*pair))


def bodies(schema: dict[str, Any]) -> st.SearchStrategy[bytes]:
    as_json = st.one_of(from_schema(schema), broken(schema), ANY_JSON).map(lambda v: json.dumps(v).encode())
    return st.one_of(as_json, as_json, st.binary(max_size=200), st.text(max_size=100).map(str.encode))


def operation(path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = DOC["paths"][path][method]
    return op


def request_schema(op: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = op["requestBody"]["content"]["application/json"]["schema"]
    return schema


def header_params(op: dict[str, Any]) -> st.SearchStrategy[dict[str, str]]:
    """Headers drawn from the parameter schemas, some left out, some replaced by junk text."""
    fields = {}
    for param in op.get("parameters", []):
        if param["in"] == "header":
            fields[param["name"]] = st.one_of(from_schema(param["schema"]).map(_header_safe), HEADER_TEXT)
    return st.fixed_dictionaries({}, optional=fields)


def _header_safe(value: object) -> str:
    """What HTTP can carry in a header value: Latin-1, no control characters."""
    return "".join(c for c in str(value) if 32 <= ord(c) < 127 or 160 <= ord(c) < 256)


def check(op: dict[str, Any], answer: Answer) -> None:
    assert answer.status < 500, answer.raw[:300]
    assert str(answer.status) in op["responses"], f"undocumented status {answer.status}: {answer.raw[:200]!r}"
    documented = op["responses"][str(answer.status)]
    if "content" not in documented:
        return
    assert answer.content_type.startswith("application/json"), answer.content_type
    data = json.loads(answer.raw)
    jsonschema.validate(data, resolve(documented["content"]["application/json"]["schema"]))
    if answer.status >= 400:
        assert isinstance(data["error"], str | int) and data["error"] != ""
        assert isinstance(data["message"], str) and len(data["message"]) >= 10


def test_every_endpoint_survives_schema_driven_fuzzing(enrolled):
    central, station = enrolled
    station.finalised(3, name="Fuzz Person")  # sealed, never synced: real envelopes to spoil
    envelopes = [r.envelope for r in station.records().values()]
    known_ids = list(station.records())
    assert all(envelopes)
    with central.ctx():
        spare = central.code("Spare station")  # must stay unused: nothing guesses it
    before = central.counts()
    calls = {"n": 0}

    def send(path: str, method: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        calls["n"] += 1
        answer = call(central.url, method.upper(), path, body, headers)
        check(operation(path, method), answer)
        return answer

    # -- POST /api/v1/enrol ---------------------------------------------------------------
    enrol_op = operation("/api/v1/enrol", "post")

    @FUZZ
    @given(body=bodies(request_schema(enrol_op)), reset=st.booleans())
    def fuzz_enrol(body: bytes, reset: bool) -> None:
        if reset:  # reach the checks behind the throttle, not only the throttle
            with central.ctx():
                db.session.execute(sa.delete(FailedAttempt))
                db.session.commit()
        answer = send("/api/v1/enrol", "post", body, {})
        assert answer.status != 200

    fuzz_enrol()

    # -- POST /api/v1/records: drawn headers, then signed by the station ------------------
    records_op = operation("/api/v1/records", "post")
    real = st.sampled_from(envelopes)

    def spoil_envelope(env: bytes, data: st.DataObject) -> bytes:
        how = data.draw(st.sampled_from(["flip", "cut", "grow"]))
        raw = bytearray(env)
        if how == "flip":
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] ^= data.draw(st.integers(1, 255))
        elif how == "cut":
            raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
        else:
            raw += data.draw(st.binary(min_size=1, max_size=16))
        return bytes(raw)

    def spoil_frame(body: bytes, data: st.DataObject) -> bytes:
        """A frame cut short, grown, or with a byte changed (in its head or anywhere)."""
        how = data.draw(st.sampled_from(["whole", "cut", "grow", "bite"]))
        raw = bytearray(body)
        if how == "cut":
            raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
        elif how == "grow":
            raw += data.draw(st.binary(min_size=1, max_size=16))
        elif how == "bite":
            i = data.draw(st.integers(0, min(len(raw) - 1, data.draw(st.sampled_from([10, len(raw) - 1])))))
            raw[i] ^= data.draw(st.integers(1, 255))
        return bytes(raw)

    spoiled = st.tuples(real, st.data()).map(lambda pair: spoil_envelope(*pair))
    item = st.tuples(st.uuids().map(str), st.one_of(spoiled, st.binary(max_size=64)))
    frames = st.tuples(st.lists(item, max_size=4), st.integers(min_value=0, max_value=2**40)).map(
        lambda v: frame(*v))
    signed_bodies = st.one_of(frames, st.tuples(frames, st.data()).map(lambda pair: spoil_frame(*pair)),
                              bodies({"type": "object"}))  # JSON, as older stations sent: 415

    @FUZZ
    @given(body=signed_bodies, headers=header_params(records_op))
    def fuzz_records_headers(body: bytes, headers: dict[str, str]) -> None:
        answer = send("/api/v1/records", "post", body, headers)
        assert answer.status != 200

    @FUZZ
    @given(body=signed_bodies, timestamp=st.integers(), drawn_counter=st.booleans(),
           counter=st.integers(min_value=1))
    def fuzz_records_signed(body: bytes, timestamp: int, drawn_counter: bool, counter: int) -> None:
        with central.ctx():  # a huge drawn counter must not turn every later example into a replay
            db.session.execute(sa.update(Station).values(last_counter=0, counter_window=0))
            db.session.commit()
        headers = station.signed("POST", "/api/v1/records", body)
        if drawn_counter:
            headers = resign(station, "POST", "/api/v1/records", body, counter, timestamp)
        answer = send("/api/v1/records", "post", body, headers)
        if answer.status == 200:
            assert {r["status"] for r in answer.json["results"]} <= {"refused"}

    fuzz_records_headers()
    fuzz_records_signed()

    # -- POST /api/v1/records/known: drawn headers, then signed bodies ---------------------
    known_op = operation("/api/v1/records/known", "post")
    known_item = st.fixed_dictionaries({
        "id": st.one_of(st.uuids().map(str), st.sampled_from([str(r) for r in known_ids]), st.text(max_size=40)),
        "sha256": st.one_of(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), st.text(max_size=70))})
    known_bodies = st.one_of(
        bodies(request_schema(known_op)),
        st.fixed_dictionaries({"records": st.lists(known_item, max_size=6)},
                              optional={"pending": st.integers(min_value=0)}).map(lambda v: json.dumps(v).encode()))

    @FUZZ
    @given(body=bodies(request_schema(known_op)), headers=header_params(known_op))
    def fuzz_known_headers(body: bytes, headers: dict[str, str]) -> None:
        answer = send("/api/v1/records/known", "post", body, headers)
        assert answer.status != 200

    @FUZZ
    @given(body=known_bodies)
    def fuzz_known_signed(body: bytes) -> None:
        with central.ctx():
            db.session.execute(sa.update(Station).values(last_counter=0, counter_window=0))
            db.session.commit()
        answer = send("/api/v1/records/known", "post", body, station.signed("POST", "/api/v1/records/known", body))
        if answer.status == 200:
            # Central never gives a receipt for a hash it does not hold.
            assert all(r["receipt"] is None for r in answer.json["results"] if r["status"] != "duplicate")

    fuzz_known_headers()
    fuzz_known_signed()

    # -- POST /api/v1/updates and GET /api/v1/openapi.json --------------------------------
    updates_op = operation("/api/v1/updates", "post")

    @FUZZ
    @given(headers=header_params(updates_op), body=bodies(request_schema(updates_op)))
    def fuzz_updates(headers: dict[str, str], body: bytes) -> None:
        answer = send("/api/v1/updates", "post", body, headers)
        assert answer.status not in (200, 204)

    @FUZZ
    @given(body=bodies(request_schema(updates_op)))
    def fuzz_updates_signed(body: bytes) -> None:
        send("/api/v1/updates", "post", body, station.signed("POST", "/api/v1/updates", body))

    fuzz_updates()
    fuzz_updates_signed()
    spec = send("/api/v1/openapi.json", "get", None, {})
    assert json.loads(spec.raw)["paths"].keys() == DOC["paths"].keys()

    # Nothing stored from any of it.
    assert central.counts() == before
    with central.ctx():
        from app.models import EnrolmentCode
        from app.services.central.enrolment import _hash

        row = db.session.scalar(sa.select(EnrolmentCode).where(EnrolmentCode.code_hash == _hash(spare)))
        assert row is not None and row.used_at is None
    assert calls["n"] >= 4 * EXAMPLES


def test_wrong_methods_unknown_paths_junk_and_extreme_numbers_get_json_errors(enrolled):
    central, station = enrolled
    before = central.counts()
    # Properly signed, with numbers beyond what the database columns hold: no overflow, no 500.
    path = "/api/v1/records"
    for pending, counter, timestamp, status in [(10**12, 10**6, -10**12, 200), (0, 10**6 + 1, 10**15, 200),
                                                (0, 2**63, 0, 401), (0, 10**30, 0, 401)]:
        body = frame([], pending=pending)
        answer = call(central.url, "POST", path, body, resign(station, "POST", path, body, counter, timestamp))
        assert answer.status == status, answer.raw
        check(operation(path, "post"), answer)
    with central.ctx():
        row = db.session.scalar(sa.select(Station))
        assert row is not None and row.pending == 0 and row.clock_skew_seconds < -10**9
    for method, path in [("GET", "/api/v1/records"), ("GET", "/api/v1/enrol"), ("GET", "/api/v1/updates"),
                         ("DELETE", "/api/v1/records"), ("GET", "/api/v1/nothing-here"), ("GET", "/api/v2/records")]:
        answer = call(central.url, method, path, b"{}")
        assert 400 <= answer.status < 500, (method, path)
        assert answer.content_type.startswith("application/json"), (method, path)
        data = answer.json
        assert data["error"] and data["message"]
    # Oversized: refused before it is read in full.
    big = b'{"records": [], "pad": "' + b"A" * (5 * 1024 * 1024) + b'"}'
    try:
        answer = call(central.url, "POST", "/api/v1/records", big)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close before the upload ends: also a refusal
    else:
        assert answer.status == 413 and answer.json["error"] and answer.json["message"]
    # Not JSON, or JSON of the wrong kind, with a right content type.
    for junk in [b"\xff\xfe\x00", b"[1, 2]", b'"text"', b"{", base64.b64encode(b"{}")]:
        for path in ("/api/v1/enrol", "/api/v1/records"):
            answer = call(central.url, "POST", path, junk)
            assert answer.status in (400, 401), (path, junk, answer.raw)
            assert answer.json["error"] and answer.json["message"]
    assert central.counts() == before
