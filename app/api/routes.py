"""The sync API (central): enrol, push sealed envelopes, pull signed updates. JSON only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, jsonify, make_response, request

from app.api import bp
from app.api.openapi import document
from app.protocol.messages import ProtocolError, b64, check_depth, unb64
from app.services.central import enrolment
from app.services.errors import (
    EnrolmentRefused,
    EnrolmentThrottled,
    ServiceError,
    StationRefused,
    ValidationFailed,
)
from app.services.sync import ingest, station_auth, updates
from app.web.access import STATION, allow, public

T = TypeVar("T")


def _error(status: int, code: str, message: object) -> Any:
    return jsonify(error=code, message=str(message)), status


def _json_object() -> dict[str, Any] | None:
    try:
        data = request.get_json(silent=True)
        check_depth(data)
    except (RecursionError, ProtocolError):  # deeper than the parser goes, or than any message of ours
        abort(make_response(_error(400, "bad_request", "The JSON is nested too deeply. Nothing was stored.")))
    return data if isinstance(data, dict) else None


@bp.get("/openapi.json")
@public
def openapi() -> Any:
    return jsonify(document())


@bp.post("/enrol")
@public
def enrol() -> Any:
    data = _json_object()
    if data is None:
        return _error(400, "bad_request", "Send a JSON object.")
    try:
        statement = enrolment.redeem(
            str(data.get("code", ""))[:64],
            station_id=str(data.get("station_id", ""))[:64],
            signing_public_key=unb64(data.get("signing_public_key"), "signing_public_key", max_len=100),
            api_public_key=unb64(data.get("api_public_key"), "api_public_key", max_len=100),
            source=request.remote_addr or "unknown",
            expected_fingerprint=(str(data["expected_fingerprint"])[:64]
                                  if data.get("expected_fingerprint") is not None else None))
    except ProtocolError as exc:
        return _error(400, "bad_request", exc)
    except EnrolmentThrottled as exc:
        return _error(429, "throttled", exc)
    except EnrolmentRefused as exc:
        return _error(403, "refused", exc)
    except ValidationFailed as exc:
        return _error(400, "bad_request", exc)
    return jsonify(statement)


def _station(pending: int | None = None) -> Any:
    names = ("X-TS-Station", "X-TS-Counter", "X-TS-Timestamp", "X-TS-Signature")
    headers = {name: request.headers.get(name, "") for name in names}
    return station_auth.authenticate(request.method, request.path, headers,
                                     request.get_data(cache=True), pending)


def _refusal(exc: StationRefused) -> Any:
    status = {"replayed": 409, "busy": 503}.get(exc.code, 401)
    return _error(status, exc.code, exc)


class _Refused(Exception):
    def __init__(self, response: Any) -> None:
        self.response = response


def _signed_batch(limit: int, parse: Callable[[int, dict[str, Any]], T], shape: str) -> tuple[Any, list[T]]:
    """Check a station's batch request: a JSON object with at most ``limit`` records, each
    read by ``parse`` (ValueError: a clear message), then the station's signature.
    Returns (station, parsed items); raises _Refused with the error response to send."""
    data = _json_object()
    items = data.get("records") if data is not None else None
    pending = data.get("pending", 0) if data is not None else 0
    if not isinstance(items, list) or not isinstance(pending, int) or isinstance(pending, bool):
        raise _Refused(_error(400, "bad_request", f"Send a JSON object with a list of records ({shape})."))
    if len(items) > limit:
        raise _Refused(_error(413, "too_large", f"At most {limit} records per request."))
    parsed: list[T] = []
    for n, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ValueError(f"needs {shape}")
            parsed.append(parse(n, item))
        except ValueError as exc:
            raise _Refused(_error(400, "bad_request", f"records[{n}]: {exc}")) from None
    try:
        return _station(pending), parsed
    except StationRefused as exc:
        raise _Refused(_refusal(exc)) from None


def _record_id(item: dict[str, Any]) -> str:
    if not isinstance(item.get("id"), str):
        raise ValueError("needs an 'id'")
    return str(uuid.UUID(item["id"]))


def _envelope_item(n: int, item: dict[str, Any]) -> tuple[str, bytes]:
    return _record_id(item), unb64(item.get("envelope"), f"records[{n}].envelope")


def _hash_item(n: int, item: dict[str, Any]) -> tuple[str, str]:
    sha = item.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        raise ValueError("needs a 64-character 'sha256'")
    return _record_id(item), sha.lower()


@bp.post("/records")
@allow(STATION)
def push() -> Any:
    try:
        station, items = _signed_batch(ingest.MAX_BATCH, _envelope_item, "id and envelope")
    except _Refused as refused:
        return refused.response
    return _answer(station, ingest.ingest(station, items))


@bp.post("/records/known")
@allow(STATION)
def known() -> Any:
    try:
        station, pairs = _signed_batch(ingest.MAX_KNOWN, _hash_item, "id and sha256")
    except _Refused as refused:
        return refused.response
    return _answer(station, ingest.known(station, pairs))


def _answer(station: Any, results: list[ingest.ItemResult]) -> Any:
    return jsonify(
        results=[{"id": r.id, "status": r.status, "reason": r.reason,
                  "receipt": b64(r.receipt) if r.receipt else None} for r in results],
        receipts_statement=ingest.receipts_statement(results),
        clock_skew_seconds=station.clock_skew_seconds,
    )


@bp.get("/updates")
@allow(STATION)
def pull() -> Any:
    try:
        _station()
    except StationRefused as exc:
        return _refusal(exc)
    try:
        return jsonify(updates.signed_updates())
    except ServiceError as exc:
        current_app.logger.error("updates unavailable: %s", type(exc).__name__)
        return _error(503, "unavailable", exc)
