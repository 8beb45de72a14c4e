"""Words of central's own pages; the shared ones are in app/web/labels.py."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.text.dates import format_date
from app.web.labels import template_helpers as shared_helpers
from app.web.labels import ui_lang

AUDIT_ACTIONS = {
    "open": _l("opened a record"),
    "import": _l("imported a USB bundle"),
    "enrol_code": _l("issued an enrolment code"),
    "revoke": _l("revoked a station"),
    "account_create": _l("created an account"),
    "account_off": _l("switched an account off"),
    "account_on": _l("switched an account on"),
    "passphrase_reset": _l("set a new passphrase"),
    "lock_all": _l("locked every session"),
    "audit_sealed": _l("authenticated entries from before MACs"),
    "station_rekey": _l("gave a station new keys"),
    "key_rotate": _l("made a new record key for central"),
    "key_ring": _l("moved central's keys into the key ring"),
    "host_certify": _l("certified a central server's signing key"),
    "facts_rebuild": _l("opened records to index their de-identified facts"),
    "key_ring_facts": _l("made central's facts key"),
    "directory_add": _l("added an organisation to the referral directory"),
    "directory_edit": _l("changed an organisation in the referral directory"),
    "directory_retire": _l("retired an organisation from the referral directory"),
    "export": _l("started an export"),
    "export_done": _l("finished an export (its checksum) or stopped one"),
    "organisation_key": _l("made an organisation's key for its case workers"),
    "case_assign": _l("assigned a case"),
    "case_status": _l("changed a case's status"),
    "referral": _l("referred a case to an organisation"),
    "referral_accept": _l("accepted a referral"),
    "referral_decline": _l("declined a referral"),
    "referral_service": _l("recorded a service given"),
    "referral_note": _l("added a note to a referral"),
    "referral_close": _l("closed a referral"),
    "referral_read": _l("read a referral's shared part"),
    "package_export": _l("exported a cross-border referral package"),
}

CASE_STATUSES = {
    "new": _l("New"),
    "referred": _l("Referred"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "service_given": _l("Service given"),
    "closed": _l("Closed"),
}
EVENT_KINDS = {
    "referred": _l("Referred"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "service": _l("Service given"),
    "note": _l("Note"),
    "closed": _l("Closed"),
}


def format_time(at: datetime | None) -> str:
    """A moment in UTC, with the date in the reader's calendar (Buddhist era for Thai)."""
    if at is None:
        return _("never")
    at = at.astimezone(UTC)
    return f"{format_date(at.date(), ui_lang())} {at:%H:%M} UTC"


def template_helpers() -> dict[str, object]:
    return {
        **shared_helpers(),
        "format_time": format_time,
        "ui_lang": ui_lang(),
        "audit_actions": AUDIT_ACTIONS,
        "case_statuses": CASE_STATUSES,
        "event_kinds": EVENT_KINDS,
    }
