"""The sync API (central): enrol, push sealed envelopes, pull signed updates.

Envelopes arrive as raw bytes in an upload frame (``app/protocol/wire.py``); every other
body is JSON, checked against the schema its operation documents (``openapi.validate``);
a station's route is ``@station_signed``, which verifies the signature before the body is
read; every refusal is a numbered problem (``app/protocol/problems.py``), answered by one
error handler.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, jsonify, request

from app.api import bp
from app.api.openapi import document, validate
from app.protocol import problems, wire
from app.protocol.messages import MAX_RECORDS_PER_PUSH, ProtocolError, b64, check_depth, unb64
from app.protocol.problems import Problem, ProblemError
from app.services.central import enrolment
from app.services.errors import Refused, ServiceError, ValidationFailed
from app.services.sync import admission, ingest, updates
from app.services.sync.station_auth import SignedRequest
from app.web.access import public, station_signed

T = TypeVar("T")


def _problem(problem: Problem, message: object | None) -> Any:
    return jsonify(problem.answer(str(message) if message is not None else None)), problem.status


@bp.errorhandler(ProblemError)
@bp.errorhandler(Refused)
def refused(exc: ProblemError | Refused) -> Any:
    """The one place a refusal becomes an answer: the problem's status, name, code, message
    (and when to come back, for a central too busy to take an upload now)."""
    body, status = _problem(exc.problem, exc.message)
    if isinstance(exc, admission.Overloaded):
        return body, status, {"Retry-After": str(exc.retry_after)}
    return body, status


def _json_body() -> Any:
    """The request's JSON (None if there is none); nesting deeper than any of our messages,
    or than the parser goes, is INVALID_REQUEST with its own message."""
    try:
        data = request.get_json(silent=True)
        check_depth(data)
    except (RecursionError, ProtocolError):
        raise ProblemError(problems.INVALID_REQUEST,
                           "The JSON is nested too deeply. Nothing was stored.") from None
    return data


@bp.get("/openapi.json")
@public
def openapi() -> Any:
    return jsonify(document())


@bp.post("/enrol")
@public
def enrol() -> Any:
    data = validate("enrol", _json_body())
    try:
        statement = enrolment.redeem(
            str(data["code"])[:64],
            station_id=str(data["station_id"])[:64],
            signing_public_key=unb64(data["signing_public_key"], "signing_public_key", max_len=100),
            api_public_key=unb64(data["api_public_key"], "api_public_key", max_len=100),
            source=request.remote_addr or "unknown",
            expected_fingerprint=(str(data["expected_fingerprint"])[:64]
                                  if data.get("expected_fingerprint") is not None else None))
    except (ProtocolError, ValidationFailed) as exc:
        raise ProblemError(problems.INVALID_ENROLMENT, exc) from None
    return jsonify(statement)


def _batch(operation_id: str, parse: Callable[[int, dict[str, Any]], T]) -> tuple[int, list[T]]:
    """A station's batch as documented for the operation: (pending, each record read by
    ``parse``; a ValueError or ProtocolError there is INVALID_REQUEST)."""
    data = validate(operation_id, _json_body())
    parsed: list[T] = []
    for n, item in enumerate(data["records"]):
        try:
            parsed.append(parse(n, item))
        except (ValueError, ProtocolError) as exc:
            raise ProblemError(problems.INVALID_REQUEST, f"records[{n}]: {exc}") from None
    return int(data.get("pending", 0)), parsed


def _record_id(item: dict[str, Any]) -> str:
    return str(uuid.UUID(item["id"]))


def _hash_item(n: int, item: dict[str, Any]) -> tuple[str, str]:
    return _record_id(item), str(item["sha256"]).lower()


@bp.post("/records")
@admission.admitted  # the bound comes first: a refused upload costs no signature check
@station_signed
def push(signed: SignedRequest) -> Any:
    if request.mimetype != wire.CONTENT_TYPE:
        raise ProblemError(problems.NOT_A_FRAME)
    try:  # the body was read (within the 4 MB limit) and its signature checked already
        pending, items = wire.decode_records(request.get_data(cache=True), MAX_RECORDS_PER_PUSH)
    except wire.TooManyRecords as exc:
        raise ProblemError(problems.TOO_MANY_RECORDS, exc) from None
    except wire.FrameError as exc:
        raise ProblemError(problems.BAD_FRAME, f"{exc}. Nothing was stored.") from None
    signed.note_pending(pending)
    return _answer(signed, ingest.ingest(signed.station, items))


@bp.post("/records/known")
@station_signed
def known(signed: SignedRequest) -> Any:
    pending, pairs = _batch("knownRecords", _hash_item)
    signed.note_pending(pending)
    return _answer(signed, ingest.known(signed.station, pairs))


def _answer(signed: SignedRequest, results: list[ingest.ItemResult]) -> Any:
    return jsonify(
        results=[{"id": r.id, "status": r.status.value,
                  "reason": r.problem.name if r.problem else None,
                  "problem": r.problem.code if r.problem else None,
                  "detail": r.detail,
                  "receipt": b64(r.receipt) if r.receipt else None} for r in results],
        receipts_statement=ingest.receipts_statement(results),
        clock_skew_seconds=signed.station.clock_skew_seconds,
    )


def _utf8_json(data: object) -> Response:
    """JSON as UTF-8, not \\u escapes: a definition's Thai, Burmese, Lao and Khmer text
    takes half the bytes (the signature is over canonical JSON, which decodes the same)."""
    return Response(json.dumps(data, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


def _nothing_new() -> Response:
    """204 with no body and no Content-Type: the bytes of an empty sync's answer."""
    response = Response(status=204)
    response.headers.pop("Content-Type", None)
    return response


@bp.post("/updates")
@station_signed
def pull(signed: SignedRequest) -> Any:
    held = validate("pullUpdates", _json_body())
    try:
        answer = updates.signed_updates(held["questionnaires"], held.get("central_key_id"),
                                        held.get("facts_key_id"), int(held.get("directory_version") or 0),
                                        station_id=signed.station.id,
                                        referrals_seen=int(held.get("referrals_seen") or 0))
        return _utf8_json(answer) if answer is not None else _nothing_new()
    except ServiceError as exc:
        current_app.logger.error("updates unavailable: %s", type(exc).__name__)
        raise ProblemError(problems.UNAVAILABLE, exc) from None
