"""Every error the service layer raises, in one place.

A :class:`ServiceError` carries a message the user can read (built with
lazy_gettext, so it is translated when shown); routes and the CLI show it as
it is. The domain packages raise these and never define their own.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


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


# -- sync and enrolment --------------------------------------------------------------


class SyncFailed(ServiceError):
    """Sync could not complete; the message says why in plain words. Nothing was lost."""


class SyncBusy(ServiceError):
    pass


class StationRefused(ServiceError):
    """Central will not serve this signed request; ``code`` names why, for the API answer."""

    def __init__(self, message: object, code: str) -> None:
        super().__init__(message)
        self.code = code


class HostNotCertified(ServiceError):
    """Central: this host has no service key certified by central's identity key."""


class EnrolmentRefused(ServiceError):
    pass


class EnrolmentThrottled(ServiceError):
    pass


# -- audit ---------------------------------------------------------------------------


class AuditFailed(RuntimeError):
    """The entry could not be written; whatever it was to record must not happen."""
