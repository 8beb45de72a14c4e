"""The sync problems (``app/protocol/problems.py``) in the reader's language, for both ends:
central's API answers, the station's Sync page, its CLI and its error messages.

Only problems whose text people read are here; the others (a malformed request, which only
a broken client sends) keep the English default or the detail central gave.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.protocol import problems as p
from app.protocol.problems import Problem
from app.services.errors import StationRefused

TEXTS = {
    p.UNSIGNED: _l("The request is not signed."),
    p.BAD_COUNTER: _l("The request counter is out of range."),
    p.COUNTER_TOO_FAR: _l("The request counter jumped too far ahead of the last one central accepted."),
    p.UNKNOWN_STATION: _l("This station is not enrolled here."),
    p.REVOKED: _l("This station's enrolment was revoked."),
    p.BAD_REQUEST_SIGNATURE: _l("The request signature does not verify."),
    p.CODE_NOT_VALID: _l("This enrolment code is not valid, already used or expired."),
    p.ALREADY_ENROLLED: _l("This station is already enrolled."),
    p.FINGERPRINT_MISMATCH: _l("Central's key fingerprint does not match the one you were given. "
                               "Nothing was changed."),
    p.REPLAYED: _l("This request was already used (replay)."),
    p.THROTTLED: _l("Too many wrong enrolment codes. Wait 15 minutes."),
    p.BUSY: _l("Central is busy. Try again in a moment."),
    p.SAME_ID_OTHER_CONTENT: _l("Central already holds a different record with the same number."),
    p.DELETED_AT_CENTRAL: _l("Central deleted this record earlier."),
    p.ENVELOPE_SIGNATURE: _l("Central could not confirm that this station signed it."),
    p.BAD_ENVELOPE: _l("Central could not read the sealed record."),
}


def describe(problem: Problem) -> str:
    """The problem in plain words, in the current language."""
    text = TEXTS.get(problem)
    return str(text) if text is not None else problem.text


def refused(problem: Problem) -> StationRefused:
    """Central refuses a station's request with ``problem`` (raise what this returns)."""
    return StationRefused(problem, TEXTS.get(problem, problem.text))
