"""Signed messages: request signatures, receipts, central's signed statements, bundles."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.crypto import BadSignature, sign, verify

# Envelopes per upload request (x ~8.7 KB each, raw in the upload frame, under central's 4 MB limit).
MAX_RECORDS_PER_PUSH = 200
MAX_RECORDS_PER_KNOWN = 1000  # ids and hashes per "known" request
# A receipt names the record, the exact bytes and the day. Version 1 (central before
# 2026-12) is followed by the receiving host's signature; version 2 is not signed on its own:
# the answer's one receipts statement vouches for it (docs/sync.md "Push and receipts").
RECEIPT_VERSION = 2
SIGNED_RECEIPT_VERSION = 1
BUNDLE_FORMAT = "tip-screen-bundle"
BUNDLE_VERSION = 1


MAX_JSON_DEPTH = 32  # our messages nest 5 levels at most; a deeper one is refused, never parsed on


class ProtocolError(ValueError):
    """A message that is malformed or whose signature does not verify."""


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ProtocolError if parsed JSON nests deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise ProtocolError(f"the JSON is nested more than {limit} levels deep")
        # Only containers go on the stack: a scalar nests nothing (a receipt is four of them,
        # a "known" request 2,000), and the walk runs for every message.
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def load_json(data: bytes | str, what: str) -> Any:
    """json.loads that answers ProtocolError for anything that is not plain, shallow JSON
    (Python's parser raises RecursionError, not ValueError, for very deep nesting)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ProtocolError(f"{what}: the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"{what} is not JSON") from None
    try:
        check_depth(value)
    except ProtocolError as exc:
        raise ProtocolError(f"{what}: {exc}") from None
    return value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str, *, max_len: int = 32 * 1024 * 1024) -> bytes:
    if not isinstance(text, str) or len(text) > max_len:
        raise ProtocolError(f"{what} must be base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ProtocolError(f"{what} is not valid base64") from None


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- requests ---------------------------------------------------------------------

def request_message(method: str, path: str, station_id: str, counter: int, timestamp: int,
                    body: bytes) -> bytes:
    """What a station signs for each API request (the counter makes replays fail)."""
    return "\n".join([
        "tip-screen-request-v1", method.upper(), path, station_id, str(counter), str(timestamp),
        hashlib.sha256(body).hexdigest(),
    ]).encode()


# -- receipts ---------------------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    record_id: str
    sha256: str
    received_at: str
    raw: bytes  # canonical JSON (version 2), or canonical JSON then the 64-byte signature (1)
    version: int

    @property
    def day(self) -> date | None:
        """The day of receipt central put into it (its clock, not the station's); None if
        ``received_at`` is no date."""
        try:
            return date.fromisoformat(self.received_at[:10])
        except ValueError:
            return None


def make_receipt(record_id: str, sha256: str, received_at: str) -> bytes:
    """A receipt, vouched for by the receipts statement of the answer that carries it."""
    return canonical({"v": RECEIPT_VERSION, "record_id": record_id, "sha256": sha256,
                      "received_at": received_at})


def read_receipt(raw: bytes) -> Receipt:
    """A receipt's fields, not checked (ProtocolError if the bytes are no receipt). Version 2
    is JSON alone; version 1 is JSON followed by 64 signature bytes, which never parse as JSON."""
    try:
        data, version = load_json(raw, "receipt"), RECEIPT_VERSION
    except ProtocolError:
        if len(raw) < 65:
            raise ProtocolError("receipt too short") from None
        data, version = load_json(raw[:-64], "receipt"), SIGNED_RECEIPT_VERSION
    if not isinstance(data, dict) or data.get("v") != version:
        raise ProtocolError("unknown receipt version")
    fields = ("record_id", "sha256", "received_at")
    if not all(isinstance(data.get(k), str) for k in fields):
        raise ProtocolError("receipt fields missing")
    return Receipt(data["record_id"], data["sha256"], data["received_at"], raw, version)


def receipt_day(raw: bytes) -> date | None:
    """The day of receipt central put into a receipt (its clock, not the station's); None
    if the bytes are not a receipt. Reads only: the receipt was checked when it arrived."""
    try:
        return read_receipt(raw).day
    except ProtocolError:
        return None


def receipt_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def receipts_statement(receipts: list[tuple[str, bytes]], signing_key: Callable[[bytes], bytes],
                       *, certificate: dict[str, Any] | None = None) -> dict[str, Any]:
    """One signature vouching for a whole answer's receipts (record id, SHA-256 of receipt):
    the station checks one signature per batch instead of one per record. ``certificate``:
    the signing host's certificate from central's identity key (protocol/identity.py)."""
    payload: dict[str, Any] = {"receipts": [[rid, receipt_digest(raw)] for rid, raw in receipts]}
    if certificate is not None:
        payload["host_certificate"] = certificate
    return {"payload": payload, "signature": b64(signing_key(canonical(payload)))}


def vouched_receipts(statement: object, central_signing_public_key: bytes) -> dict[str, str]:
    """record id -> receipt digest, from a statement whose signature verifies (else empty)."""
    try:
        payload = open_statement(statement, central_signing_public_key)
    except ProtocolError:
        return {}
    items = payload.get("receipts")
    if not isinstance(items, list):
        return {}
    return {str(i[0]): str(i[1]) for i in items if isinstance(i, list) and len(i) == 2}


def check_receipt(raw: bytes, central_signing_public_key: bytes, *, vouched: str | None = None) -> Receipt:
    """A receipt that ``vouched`` (the digest a verified receipts statement gives for this
    record) matches; without that, only a version 1 receipt whose own signature verifies
    under the key."""
    receipt = read_receipt(raw)
    if vouched is not None and hmac.compare_digest(vouched, receipt_digest(raw)):
        return receipt
    if receipt.version != SIGNED_RECEIPT_VERSION:
        raise ProtocolError("receipt not vouched for by the answer's statement")
    try:
        verify(central_signing_public_key, raw[:-64], raw[-64:])
    except BadSignature:
        raise ProtocolError("receipt signature does not verify") from None
    return receipt


# -- signed statements (enrolment answer, updates) --------------------------------

def sign_statement(payload: dict[str, Any], signing_key: bytes) -> dict[str, Any]:
    return {"payload": payload, "signature": b64(sign(signing_key, canonical(payload)))}


def open_statement(message: object, signing_public_key: bytes) -> dict[str, Any]:
    if not isinstance(message, dict) or not isinstance(message.get("payload"), dict):
        raise ProtocolError("not a signed statement")
    signature = unb64(message.get("signature"), "signature", max_len=200)
    try:
        verify(signing_public_key, canonical(message["payload"]), signature)
    except BadSignature:
        raise ProtocolError("statement signature does not verify") from None
    payload: dict[str, Any] = message["payload"]
    return payload


# -- USB bundles --------------------------------------------------------------------

def make_bundle(station_id: str, created_at: str, envelopes: list[tuple[str, bytes]],
                api_private_key: bytes) -> bytes:
    """One file: every unsynced sealed envelope, signed by the station's API key."""
    payload = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "station_id": station_id,
               "created_at": created_at,
               "records": [{"id": rid, "envelope": b64(env)} for rid, env in envelopes]}
    return canonical(sign_statement(payload, api_private_key)) + b"\n"


def read_bundle_header(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(message, unverified payload): the caller looks up the station, then verifies."""
    try:
        message = load_json(data, "bundle")
    except ProtocolError as exc:
        deep = "nested" in str(exc)
        raise ProtocolError("this file is nested too deeply to be a tip-screen bundle" if deep
                            else "this file is not a tip-screen bundle") from None
    if not isinstance(message, dict) or not isinstance(message.get("payload"), dict):
        raise ProtocolError("this file is not a tip-screen bundle")
    payload = message["payload"]
    if payload.get("format") != BUNDLE_FORMAT:
        raise ProtocolError("this file is not a tip-screen bundle")
    if payload.get("version") != BUNDLE_VERSION:
        raise ProtocolError(f"bundle version {payload.get('version')!r} is not supported")
    if not isinstance(payload.get("station_id"), str) or not isinstance(payload.get("records"), list):
        raise ProtocolError("bundle fields missing")
    return message, payload
