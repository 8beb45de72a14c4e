"""Errors the service layer raises; each carries a message the user can read."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: ``str(exc)`` is a translated, user-facing message (built with lazy_gettext)."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(ServiceError):
    pass


class LoginFailed(ServiceError):
    pass


class LoginThrottled(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class AlreadySetUp(ServiceError):
    pass
