"""The sync vocabulary: what central answers about each record, and numbered problems.

Modelled on ODK Central's ``lib/util/problem.js``: every problem has a stable numeric
code whose integer part is its HTTP status (``401.4``), a short name (the ``error``
field older stations read, and the ``reason`` of a per-record result) and an English
default text. The API answers a raised :class:`ProblemError` with
``{"error": name, "code": code, "message": ...}``. The texts people read are translated
in the service layer (``app/services/sync/problems.py``); this module stays pure.

Request problems refuse a whole request. Record problems are central's final "no" for
one record inside a 200 answer (``status`` conflict or refused); their status is what
the problem would mean on its own. docs/sync.md has the table; a test keeps it true.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Result(StrEnum):
    """Central's answer about one record."""

    ACCEPTED = "accepted"  # new: stored, with a receipt
    DUPLICATE = "duplicate"  # the same bytes again: the same receipt as the first time
    CONFLICT = "conflict"  # other bytes under the same id: the original is kept
    REFUSED = "refused"  # deleted at central, or an envelope central will not take
    UNKNOWN = "unknown"  # ("known" query only) central does not hold it: send the envelope

    @classmethod
    def read(cls, value: object) -> Result:
        """A result from an answer; anything not understood is central's "no" (refused)."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.REFUSED

    @property
    def has_receipt(self) -> bool:
        return self in (Result.ACCEPTED, Result.DUPLICATE)


@dataclass(frozen=True)
class Problem:
    code: float  # stable; the integer part is the HTTP status
    name: str  # the wire name: ``error`` of a refused request, ``reason`` of a record result
    text: str  # English default; people read a translation (services/sync/problems.py)
    result: Result | None = None  # for a record problem: the result it comes with

    @property
    def status(self) -> int:
        return int(self.code)

    @property
    def stored(self) -> str:
        """What a station keeps in ``records.sync_problem``."""
        return str(self.code)

    def answer(self, message: str | None = None) -> dict[str, object]:
        """The JSON body of a refused request."""
        return {"error": self.name, "code": self.code, "message": message or self.text}


class ProblemError(Exception):
    """Raised to refuse a request with ``problem``; ``message`` (already in the reader's
    language, or English detail) replaces the default text."""

    def __init__(self, problem: Problem, message: object | None = None) -> None:
        super().__init__(problem.name)
        self.problem = problem
        self.message = message

    def answer(self) -> dict[str, object]:
        return self.problem.answer(str(self.message) if self.message is not None else None)


# -- request problems ---------------------------------------------------------------------

NOT_JSON = Problem(400.1, "bad_request", "Send a JSON object.")
INVALID_REQUEST = Problem(400.2, "bad_request", "The request does not match the API description.")
INVALID_ENROLMENT = Problem(400.3, "bad_request", "The station id or keys are not valid.")
BAD_FRAME = Problem(400.4, "bad_request", "The upload frame is malformed.")
UNSIGNED = Problem(401.1, "unsigned", "The request is not signed.")
BAD_COUNTER = Problem(401.2, "bad_counter", "The request counter is out of range.")
UNKNOWN_STATION = Problem(401.3, "unknown_station", "This station is not enrolled here.")
REVOKED = Problem(401.4, "revoked", "This station's enrolment was revoked.")
BAD_REQUEST_SIGNATURE = Problem(401.5, "bad_signature", "The request signature does not verify.")
COUNTER_TOO_FAR = Problem(401.6, "bad_counter",
                          "The request counter jumped too far ahead of the last one central accepted.")
CODE_NOT_VALID = Problem(403.1, "refused", "This enrolment code is not valid, already used or expired.")
ALREADY_ENROLLED = Problem(403.2, "refused", "This station is already enrolled.")
FINGERPRINT_MISMATCH = Problem(403.3, "refused", "Central's key fingerprint does not match the one the "
                               "station was given. Nothing was registered.")
REPLAYED = Problem(409.1, "replayed", "This request was already used (replay).")
TOO_MANY_RECORDS = Problem(413.1, "too_large", "Too many records in one request.")
NOT_A_FRAME = Problem(415.1, "unsupported_media_type",
                      "Send the records as application/vnd.tip-screen.records (this central no longer "
                      "reads envelopes in JSON: update tip-screen on the station).")
THROTTLED = Problem(429.1, "throttled", "Too many wrong enrolment codes. Wait 15 minutes.")
BUSY = Problem(503.1, "busy", "Central is busy. Try again in a moment.")
UNAVAILABLE = Problem(503.2, "unavailable", "Central cannot serve updates now.")

# -- record problems (in a 200 answer's results) --------------------------------------------

SAME_ID_OTHER_CONTENT = Problem(409.2, "different_content_same_id",
                                "Central already holds a different record with the same number.",
                                Result.CONFLICT)
DELETED_AT_CENTRAL = Problem(410.1, "deleted_at_central", "Central deleted this record earlier.",
                             Result.REFUSED)
ENVELOPE_SIGNATURE = Problem(422.1, "bad_signature",
                             "Central could not confirm that this station signed it.", Result.REFUSED)
BAD_ENVELOPE = Problem(422.2, "bad_envelope", "Central could not read the sealed record.", Result.REFUSED)

REQUEST_PROBLEMS = (NOT_JSON, INVALID_REQUEST, INVALID_ENROLMENT, BAD_FRAME, UNSIGNED, BAD_COUNTER,
                    UNKNOWN_STATION, REVOKED, BAD_REQUEST_SIGNATURE, COUNTER_TOO_FAR, CODE_NOT_VALID,
                    ALREADY_ENROLLED, FINGERPRINT_MISMATCH, REPLAYED, TOO_MANY_RECORDS, NOT_A_FRAME,
                    THROTTLED, BUSY, UNAVAILABLE)
RECORD_PROBLEMS = (SAME_ID_OTHER_CONTENT, DELETED_AT_CENTRAL, ENVELOPE_SIGNATURE, BAD_ENVELOPE)
ALL = REQUEST_PROBLEMS + RECORD_PROBLEMS
AUTH_PROBLEMS = frozenset({UNSIGNED, BAD_COUNTER, UNKNOWN_STATION, REVOKED, BAD_REQUEST_SIGNATURE})

_BY_CODE = {p.code: p for p in ALL}
_RECORD_BY_NAME = {p.name: p for p in RECORD_PROBLEMS}
# What stations before numbered problems stored in records.sync_problem ("kind: reason"),
# looked up whole, never taken apart.
_LEGACY_STORED = {
    "conflict: different_content_same_id": SAME_ID_OTHER_CONTENT,
    "refused: deleted_at_central": DELETED_AT_CENTRAL,
    "refused: bad_signature": ENVELOPE_SIGNATURE,
}


def by_code(code: object) -> Problem | None:
    """The problem with this numeric code (from an answer), or None."""
    if isinstance(code, bool) or not isinstance(code, int | float):
        return None
    return _BY_CODE.get(float(code))


def record_problem(result: Result, code: object = None, name: object = None) -> Problem:
    """Central's reason for a final "no" about one record: by its code, else (an older
    central) by its name, else the general problem for that result."""
    found = by_code(code)
    if found is None or found not in RECORD_PROBLEMS:
        found = _RECORD_BY_NAME.get(str(name)) if isinstance(name, str) else None
    if found is None or found.result is not result:
        found = SAME_ID_OTHER_CONTENT if result is Result.CONFLICT else BAD_ENVELOPE
    return found


def stored_problem(stored: str) -> Problem:
    """A station's ``records.sync_problem`` read back: a code, or what older versions stored.
    Anything else is a record central could not read (as older versions showed it)."""
    try:
        found = _BY_CODE.get(float(stored))
    except ValueError:
        found = None
    if found is not None and found in RECORD_PROBLEMS:
        return found
    return _LEGACY_STORED.get(stored, BAD_ENVELOPE)
