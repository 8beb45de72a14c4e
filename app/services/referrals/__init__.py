"""The referral directory on a station (docs/referrals.md):

- :mod:`.shipped`    the shipped file (or the station's own): safety advice, fallback hotlines,
                     the organisations behind the questionnaire's own "Refer to" choices
- :mod:`.stored`     the directory central signed, taken by pull or from a carried file
- :mod:`.proposals`  the person's needs and which organisations are offered and proposed
- :mod:`.interview`  the "Refer to" question with the directory's organisations
- :mod:`.slip`       what the slip prints: the chosen organisations and the hotlines
"""

from app.services.referrals.interview import offer_for, post_country, refused_choice, with_directory
from app.services.referrals.proposals import REFERRAL_QUESTION, Offer, needs
from app.services.referrals.shipped import SHIPPED, DirectoryError, ShippedDirectory, parse, shipped
from app.services.referrals.slip import SlipOrganisation, chosen_organisations, hotlines
from app.services.referrals.stored import (
    FROM_FILE,
    FROM_PULL,
    DirectoryRefused,
    SignedDirectory,
    held_version,
    newest,
    take,
    take_file,
)

__all__ = [
    "FROM_FILE",
    "FROM_PULL",
    "REFERRAL_QUESTION",
    "SHIPPED",
    "DirectoryError",
    "DirectoryRefused",
    "Offer",
    "ShippedDirectory",
    "SignedDirectory",
    "SlipOrganisation",
    "chosen_organisations",
    "held_version",
    "hotlines",
    "needs",
    "newest",
    "offer_for",
    "parse",
    "post_country",
    "refused_choice",
    "shipped",
    "take",
    "take_file",
    "with_directory",
]
