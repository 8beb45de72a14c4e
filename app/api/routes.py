"""The sync API (central): enrol, push sealed envelopes, pull signed updates. JSON only."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, jsonify, request

from app.api import bp
from app.api.openapi import document
from app.protocol.messages import ProtocolError, b64, unb64
from app.services import enrolment, ingest, station_auth, updates
from app.services.errors import ServiceError, ValidationFailed
from app.web.access import STATION, allow, public


def _error(status: int, code: str, message: object) -> Any:
    return jsonify(error=code, message=str(message)), status


def _json_object() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
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
            source=request.remote_addr or "unknown")
    except ProtocolError as exc:
        return _error(400, "bad_request", exc)
    except enrolment.EnrolmentThrottled as exc:
        return _error(429, "throttled", exc)
    except enrolment.EnrolmentRefused as exc:
        return _error(403, "refused", exc)
    except ValidationFailed as exc:
        return _error(400, "bad_request", exc)
    return jsonify(statement)


def _station(pending: int | None = None) -> Any:
    names = ("X-TS-Station", "X-TS-Counter", "X-TS-Timestamp", "X-TS-Signature")
    headers = {name: request.headers.get(name, "") for name in names}
    return station_auth.authenticate(request.method, request.path, headers,
                                     request.get_data(cache=True), pending)


@bp.post("/records")
@allow(STATION)
def push() -> Any:
    data = _json_object()
    if data is None:
        return _error(400, "bad_request", "Send a JSON object with a list of records.")
    items = data.get("records")
    pending = data.get("pending", 0)
    if not isinstance(items, list) or not isinstance(pending, int) or isinstance(pending, bool):
        return _error(400, "bad_request", "'records' must be a list and 'pending' a number.")
    if len(items) > ingest.MAX_BATCH:
        return _error(413, "too_large", f"At most {ingest.MAX_BATCH} records per request.")
    parsed: list[tuple[str, bytes]] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return _error(400, "bad_request", f"records[{n}] needs an 'id' and an 'envelope'.")
        try:
            record_id = str(uuid.UUID(item["id"]))
            parsed.append((record_id, unb64(item.get("envelope"), f"records[{n}].envelope")))
        except ValueError as exc:
            return _error(400, "bad_request", f"records[{n}]: {exc}")
    try:
        station = _station(pending)
    except station_auth.StationRefused as exc:
        return _error(401 if exc.code != "replayed" else 409, exc.code, exc)
    return _answer(station, ingest.ingest(station, parsed))


def _answer(station: Any, results: list[ingest.ItemResult]) -> Any:
    return jsonify(
        results=[{"id": r.id, "status": r.status, "reason": r.reason,
                  "receipt": b64(r.receipt) if r.receipt else None} for r in results],
        receipts_statement=ingest.receipts_statement(results),
        clock_skew_seconds=station.clock_skew_seconds,
    )


@bp.post("/records/known")
@allow(STATION)
def known() -> Any:
    data = _json_object()
    items = data.get("records") if data is not None else None
    pending = data.get("pending", 0) if data is not None else 0
    if not isinstance(items, list) or not isinstance(pending, int) or isinstance(pending, bool):
        return _error(400, "bad_request", "Send a JSON object with a list of records (id and sha256).")
    if len(items) > ingest.MAX_KNOWN:
        return _error(413, "too_large", f"At most {ingest.MAX_KNOWN} records per request.")
    pairs: list[tuple[str, str]] = []
    for n, item in enumerate(items):
        sha = item.get("sha256") if isinstance(item, dict) else None
        if not isinstance(sha, str) or len(sha) != 64 or not isinstance(item.get("id"), str):
            return _error(400, "bad_request", f"records[{n}] needs an 'id' and a 64-character 'sha256'.")
        try:
            pairs.append((str(uuid.UUID(item["id"])), sha.lower()))
        except ValueError:
            return _error(400, "bad_request", f"records[{n}]: the id is not a UUID.")
    try:
        station = _station(pending)
    except station_auth.StationRefused as exc:
        return _error(401 if exc.code != "replayed" else 409, exc.code, exc)
    return _answer(station, ingest.known(station, pairs))


@bp.get("/updates")
@allow(STATION)
def pull() -> Any:
    try:
        _station()
    except station_auth.StationRefused as exc:
        return _error(401 if exc.code != "replayed" else 409, exc.code, exc)
    try:
        return jsonify(updates.signed_updates())
    except ServiceError as exc:
        current_app.logger.error("updates unavailable: %s", type(exc).__name__)
        return _error(503, "unavailable", exc)
