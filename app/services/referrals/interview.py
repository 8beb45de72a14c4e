"""Station: the "Refer to" question (``q_referral_to``) with the signed directory's options.

A record's questionnaire gets one option per organisation of the newest directory taken,
retired ones included (so an old choice still reads), after the questionnaire's own
options (which records answered before a directory came still name) and before its
"No referral". The page shows only what may be chosen for this person (:func:`offer_for`),
and a save refuses anything else (:func:`refused_choice`), so a consent the person did
not give cannot be bypassed by posting an id.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.questionnaire import Definition
from app.services.referrals import stored
from app.services.referrals.proposals import (
    REFERRAL_QUESTION,
    Offer,
    offer,
    why_not_offered,
    with_organisations,
)

_CACHE = "tip_referral_definitions"
NO_REFERRAL = "none"  # the questionnaire's exclusive "No referral"


def post_country() -> str:
    """The post's country (the ``post_country`` setting): others' organisations are across the border."""
    return str(current_app.config["TIP"].post_country)


def _place() -> tuple[str, str]:
    config = current_app.config["TIP"]
    return config.post_country, config.post_province


def with_directory(definition: Definition) -> Definition:
    """The definition whose referral question also offers the directory's organisations
    (the same object when there is no such question or no signed directory)."""
    question = definition.question(REFERRAL_QUESTION)
    directory = stored.newest()
    if question is None or directory is None:
        return definition
    cache: dict[tuple[str, str, int], Definition] = current_app.extensions.setdefault(_CACHE, {})
    key = (definition.id, definition.version, directory.version)
    if key not in cache:
        for old in [k for k in cache if k[2] != directory.version]:
            del cache[old]  # only the newest directory version is ever in use
        cache[key] = with_organisations(definition, directory.organisations)
    return cache[key]


def offer_for(definition: Definition, answers: Mapping[str, object], language: str) -> Offer | None:
    """What the referral question shows this person (None: no signed directory here, the
    questionnaire's own options are shown as they are)."""
    directory = stored.newest()
    if directory is None:
        return None
    country, province = _place()
    return offer(definition, answers, directory.organisations, post_country=country, province=province,
                 language=language)


def refused_choice(chosen: object, before: object, answers: Mapping[str, object]) -> str | None:
    """Why this answer to the referral question may not be saved (None: it may). Only what is
    newly chosen is checked: an organisation chosen earlier and retired since stays."""
    directory = stored.newest()
    if directory is None or not isinstance(chosen, list):
        return None
    earlier = set(before) if isinstance(before, list) else set()
    country, _province = _place()
    for value in chosen:
        org = directory.by_id(str(value))
        if value in earlier or value == NO_REFERRAL:
            continue
        if org is None:  # one of the questionnaire's own choices: the directory replaces them
            return str(_l("Choose the organisation from the referral directory: the general choices "
                          "are kept only for records made before it came."))
        reason = why_not_offered(org, answers, country)
        if reason == "retired":
            return str(_l("%(name)s is no longer in the referral directory.", name=org.name.get("en")))
        if reason == "cross_border":
            return str(_l("%(name)s is across the border: the person has not agreed to a referral to "
                          "services in their home country.", name=org.name.get("en")))
        if reason == "mdt":
            return str(_l("%(name)s is the multidisciplinary team: the person has not agreed that the "
                          "record is shared with it.", name=org.name.get("en")))
    return None

