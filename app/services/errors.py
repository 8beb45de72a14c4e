"""Every error the service layer raises, in one place.

A :class:`ServiceError` carries a message the user can read (built with
lazy_gettext, so it is translated when shown); routes and the CLI show it as
it is. The domain packages raise these and never define their own.
"""

from __future__ import annotations

import errno
import sqlite3
from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.protocol import problems
from app.protocol.problems import Problem


class ServiceError(Exception):
    """Base: ``str(exc)`` is a translated, user-facing message (built with lazy_gettext)."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


# -- installation and accounts -------------------------------------------------------


class AlreadySetUp(ServiceError):
    pass


class NotSetUp(ServiceError):
    pass


class LoginFailed(ServiceError):
    pass


class LoginThrottled(ServiceError):
    pass


class LoginBusy(ServiceError):
    """Too many key derivations at once in this process; nothing was counted or changed."""


class Locked(ServiceError):
    """The key is not unlocked in this session."""


class NotFound(ServiceError):
    """Something asked for by its id is not there (not a record: see RecordNotFound)."""


# -- records -------------------------------------------------------------------------


class RecordNotFound(ServiceError):
    pass


class RecordDamaged(ServiceError):
    """A station record that cannot be opened here (damaged, or handed over to central)."""


class RecordUnreadable(ServiceError):
    """A record central holds but cannot open (deleted, damaged, foreign key)."""


class AnswersRejected(ValidationFailed):
    """Some answers could not be stored; nothing from this request was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_l("Some answers could not be saved. Nothing was changed."))
        self.errors = errors


# -- phones (ODK Collect) -------------------------------------------------------------


class SubmissionRefused(ServiceError):
    """A phone's submission that was not stored (nothing changed); ``status`` is the HTTP
    answer Collect gets: 400 bad or tampered, 403 not encrypted, 404 no such form, 409 a
    different submission under the same instance id."""

    def __init__(self, message: object, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# -- sync and enrolment --------------------------------------------------------------


class SyncFailed(ServiceError):
    """Sync could not complete; the message says why in plain words. Nothing was lost.
    ``problem``: central's numbered refusal, when central refused the request."""

    def __init__(self, message: object, problem: Problem | None = None) -> None:
        super().__init__(message)
        self.problem = problem


class LinkTimedOut(SyncFailed):
    """An exchange ran out of the time its bytes were given: the link is slower than
    measured. Push sends again in smaller requests (app/services/sync/client/sizing.py)."""


class CentralBusy(SyncFailed):
    """Central took no more uploads for now (503 with Retry-After): not an error, nothing
    lost. ``retry_after``: the seconds central asked for; ``at``: when this station tries
    again (retry_after plus jitter), set by the push once it has given up waiting."""

    def __init__(self, message: object, problem: Problem | None, retry_after: float, *,
                 stated: bool = True) -> None:
        super().__init__(message, problem)
        self.retry_after = retry_after
        self.stated = stated  # False: the answer gave no Retry-After; retry_after is a guess
        self.at: datetime | None = None


class SyncBusy(ServiceError):
    pass


class Refused(ServiceError):
    """Central refuses a request with a numbered problem (``app/protocol/problems.py``);
    the API answers it as JSON with the problem's status, name and code."""

    def __init__(self, problem: Problem, message: object | None = None) -> None:
        super().__init__(message if message is not None else problem.text)
        self.problem = problem


class StationRefused(Refused):
    """A station's signed request is not accepted (unsigned, unknown, revoked, replayed...)."""


class HostNotCertified(Refused):
    """Central: this host has no service key certified by central's identity key, so it
    cannot sign an answer; stations hear 503.2 (unavailable) and try again later."""

    def __init__(self, message: object) -> None:
        super().__init__(problems.UNAVAILABLE, message)


class EnrolmentRefused(Refused):
    pass


class EnrolmentThrottled(Refused):
    pass


# -- audit ---------------------------------------------------------------------------


class AuditFailed(RuntimeError):
    """The entry could not be written; whatever it was to record must not happen."""


class AuditCheckpointRefused(ServiceError):
    """No checkpoint can be signed: the log is empty, or does not verify as it stands."""


class AuditCheckpointInvalid(ServiceError):
    """A checkpoint file that is not well-formed, or not signed by this central's signing key."""


# -- the machine ---------------------------------------------------------------------


DISK_FULL_TEXT = _l("The disk is full: nothing was changed. Free space on this laptop, then try again.")
# SQLite's result code when a write finds no room (SQLITE_FULL), and PostgreSQL's SQLSTATE.
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is a write that found the disk full: SQLite's
    "database or disk is full", PostgreSQL's disk_full, or an OSError ENOSPC/EDQUOT."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL
                                               or "database or disk is full" in str(exc)):
            return True
        if getattr(exc, "sqlstate", None) == _PG_DISK_FULL or getattr(exc, "pgcode", None) == _PG_DISK_FULL:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        seen += 1
    return False


class ExportRefused(ServiceError):
    """An export that is not produced (bad options, too few records, a run id reused)."""


class ExportFailed(ServiceError):
    """An export that stopped while its file was being written (it is not delivered whole)."""
