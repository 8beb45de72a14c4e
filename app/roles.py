"""The people who use tip-screen. A plain enum so every layer can name them."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    OFFICER = "officer"
    INTERPRETER = "interpreter"
    OUTREACH = "outreach"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    # Staff of an organisation of the referral directory, at central: they read only the cases
    # referred to their organisation, and only what each referral shares (docs/referrals.md).
    PARTNER = "partner"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.OFFICER: _l("Officer"),
    Role.INTERPRETER: _l("Interpreter"),
    Role.OUTREACH: _l("Outreach worker"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
    Role.PARTNER: _l("Partner case worker"),
}

# Roles that run screenings at a station.
SCREENERS = frozenset({Role.OFFICER, Role.INTERPRETER, Role.OUTREACH, Role.ADMIN})
