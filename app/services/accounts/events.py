"""What the account services announce, for whoever keeps an audit trail.

Accounts know nothing of central, so they do not write audit entries themselves:
each action that touches people or trust sends :data:`account_event` *before* its
commit, and central's audit log (``app/services/central/audit.py``, connected in
``create_app`` for the central role only) appends an entry in the same
transaction. A receiver that raises stops the action: nothing is committed.
A station connects nothing: it has no audit log (docs/keys.md, "Audit log").
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app

CREATED = "account_create"
SWITCHED_OFF = "account_off"
SWITCHED_ON = "account_on"
PASSPHRASE_RESET = "passphrase_reset"  # noqa: S105 - an action's name, not a passphrase
LOCK_ALL = "lock_all"

_signals = Namespace()
# Sent with the app as sender and keyword arguments action, actor, subject, detail.
account_event = _signals.signal("tip-screen.account-event")


def announce(action: str, *, actor: str | None, subject: str, detail: str = "") -> None:
    """Tell this app's receivers; ``actor`` is who did it (None: not known, e.g. first setup)."""
    account_event.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                       action=action, actor=actor, subject=subject, detail=detail)
