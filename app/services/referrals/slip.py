"""Station: what the referral slip prints of the directory: the organisations chosen, with
their contacts, and the hotlines.

A chosen value names either an organisation of the signed directory (by its id, retired or
not) or one of the questionnaire's own choices, which the shipped file maps to an
organisation. The hotlines are the signed directory's hotline organisations in the post's
country, or the shipped file's when the station never took a signed directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.protocol.directory import CONTACTS
from app.questionnaire import LocalText
from app.services.referrals import stored
from app.services.referrals.shipped import Hotline, ShippedDirectory


@dataclass(frozen=True)
class SlipOrganisation:
    key: str  # the chosen value (directory id or questionnaire choice)
    name: LocalText
    contacts: tuple[tuple[str, str], ...]  # (phone | messaging | address | hours, as written)


def chosen_organisations(chosen: list[str], shipped: ShippedDirectory) -> list[SlipOrganisation]:
    """The chosen organisations in the answer's order (a value no source knows is left out)."""
    signed = stored.newest()
    legacy = {o.referral: o for o in shipped.organisations}
    found = []
    for value in chosen:
        org = signed.by_id(value) if signed else None
        if org is not None:
            contacts = tuple((k, org.contact(k)) for k in CONTACTS if org.contact(k))
            found.append(SlipOrganisation(value, org.name, contacts))
        elif value in legacy:
            old = legacy[value]
            found.append(SlipOrganisation(value, old.name, (("phone", old.contact),) if old.contact else ()))
    return found


def hotlines(shipped: ShippedDirectory) -> tuple[Hotline, ...]:
    signed = stored.newest()
    if signed is None:
        return shipped.hotlines
    country = current_app.config["TIP"].post_country
    return tuple(Hotline(o.contact("phone"), o.name) for o in signed.organisations
                 if o.kind == "hotline" and not o.retired and o.country == country and o.contact("phone"))
