"""Which directory organisations the interview's "Refer to" question offers, and which it
proposes for this person (plain functions over answers; the rules are in docs/referrals.md).

Needs come from the answers: each need is one expression in the questionnaire's own
language (``app/questionnaire/expr.py``), and "children" is the questionnaire's own child
rule. An organisation is *offered* when it is not retired and the consents it needs were
given: one across the border (another country than the post's) only with
``q_consent_cross_border`` = yes, the multidisciplinary team only with ``q_consent_mdt`` =
yes. It is *proposed* when it is offered, offers a service the person needs, and is where
the person is: in the post's province or the whole country, or, across the border, in the
person's home country. Proposed ones come first: those speaking the person's language,
then those meeting more needs, then those in the post's own province.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from app.protocol.directory import Organisation
from app.questionnaire import Definition, Option
from app.questionnaire.expr import holds

REFERRAL_QUESTION = "q_referral_to"
CONSENT_CROSS_BORDER = "q_consent_cross_border"
CONSENT_MDT = "q_consent_mdt"

# service -> when the answers say the person needs it ("children": the child rule).
NEED_RULES: dict[str, str] = {
    "medical": "${q_needs_doctor} = 'yes' or ${q_violence} = 'yes' or ${q_sexual_violence} = 'yes'",
    "shelter": ("${q_controller_nearby} = 'yes' or ${q_family_threatened_now} = 'yes'"
                " or ${q_free_to_leave} = 'no'"
                " or ${q_housing} = 'employer_housing' or ${q_housing} = 'workplace'"),
    "legal": ("${q_paid} = 'partly' or ${q_paid} = 'not_at_all'"
              " or ${q_passport_holder} = 'employer' or ${q_passport_holder} = 'recruiter'"
              " or ${q_must_pay_to_leave} = 'yes'"
              " or selected(${q_work_type}, 'scam_online') or selected(${q_work_type}, 'fraud')"
              " or selected(${q_work_type}, 'gambling')"),
    "repatriation": "${q_citizenship} != 'thai' and ${q_citizenship} != 'stateless'",
}
# q_citizenship's answer -> the country whose organisations are "home" across the border.
HOME_COUNTRY = {"myanmar": "MM", "lao": "LA", "cambodian": "KH", "vietnamese": "VN", "thai": "TH"}


def with_organisations(definition: Definition, organisations: tuple[Organisation, ...]) -> Definition:
    """The definition whose referral question also has one option per organisation (value: its
    id, label: its name), after the questionnaire's own options and before "No referral"; the
    same definition when it has no referral question or there are no organisations."""
    question = definition.question(REFERRAL_QUESTION)
    if question is None or not organisations:
        return definition
    own = [o for o in question.options if not o.exclusive]
    last = [o for o in question.options if o.exclusive]
    added = [Option(org.id, org.name) for org in organisations]
    extended = replace(question, options=tuple(own + added + last))
    sections = tuple(replace(s, questions=tuple(extended if q.id == REFERRAL_QUESTION else q
                                                for q in s.questions)) for s in definition.sections)
    return replace(definition, sections=sections)


def needs(definition: Definition, answers: Mapping[str, object]) -> tuple[str, ...]:
    """The services the answers say the person needs, in a fixed order."""
    found = []
    child_rule = definition.outcome.child_when
    if child_rule and holds(child_rule, answers, definition.parameters):
        found.append("children")
    found.extend(service for service, rule in NEED_RULES.items()
                 if holds(rule, answers, definition.parameters))
    return tuple(found)


@dataclass(frozen=True)
class Offer:
    """What the question shows: proposed and other offered organisations, and how many were
    held back for want of each consent."""

    needs: tuple[str, ...]
    proposed: tuple[Organisation, ...]
    others: tuple[Organisation, ...]
    withheld_cross_border: int
    withheld_mdt: int

    def offered_ids(self) -> set[str]:
        return {o.id for o in self.proposed + self.others}


def why_not_offered(org: Organisation, answers: Mapping[str, object], post_country: str) -> str | None:
    """None when the organisation may be chosen for this person, else the reason: "retired",
    "cross_border" (no consent to a referral across the border) or "mdt"."""
    if org.retired:
        return "retired"
    if org.country != post_country and answers.get(CONSENT_CROSS_BORDER) != "yes":
        return "cross_border"
    if org.mdt and answers.get(CONSENT_MDT) != "yes":
        return "mdt"
    return None


def _here(org: Organisation, post_country: str, province: str, home: str | None) -> bool:
    if org.country != post_country:
        return org.country == home
    return not org.province or org.province.casefold() == province.casefold()


def offer(definition: Definition, answers: Mapping[str, object], organisations: tuple[Organisation, ...],
          *, post_country: str, province: str, language: str) -> Offer:
    wanted = needs(definition, answers)
    home = HOME_COUNTRY.get(str(answers.get("q_citizenship")))
    proposed: list[tuple[tuple[int, int, int, str], Organisation]] = []
    others: list[Organisation] = []
    withheld = {"cross_border": 0, "mdt": 0}
    for org in organisations:
        reason = why_not_offered(org, answers, post_country)
        if reason is not None:
            if reason in withheld:
                withheld[reason] += 1
            continue
        met = len(set(org.services) & set(wanted))
        if met and org.kind != "hotline" and _here(org, post_country, province, home):
            same_province = bool(province) and org.province.casefold() == province.casefold()
            speaks = 0 if language in org.languages else 1
            rank = (speaks, -met, 0 if same_province else 1, org.name.get("en"))
            proposed.append((rank, org))
        else:
            others.append(org)
    proposed.sort(key=lambda pair: pair[0])
    return Offer(wanted, tuple(o for _, o in proposed), tuple(sorted(others, key=lambda o: o.name.get("en"))),
                 withheld["cross_border"], withheld["mdt"])
