"""User-facing messages for the questionnaire engine's answer error keys."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.questionnaire import AnswerError

MESSAGES = {
    "answer.unknown_question": _l("This question is not part of the questionnaire."),
    "answer.not_answerable": _l("This item cannot be answered."),
    "answer.wrong_type": _l("This answer is not of the right kind."),
    "answer.not_an_option": _l("Choose one of the listed answers."),
    "answer.exclusive_option": _l("This choice cannot be combined with the others."),
    "answer.special_not_allowed": _l("“Not sure” or “Prefers not to say” is not possible here."),
    "answer.too_long": _l("The text is too long: at most %(max_length)s characters."),
    "answer.not_a_number": _l("Enter a number."),
    "answer.not_an_integer": _l("Enter a whole number."),
    "answer.out_of_range": _l("Enter a number from %(min)s to %(max)s."),
    "answer.bad_date": _l("Enter a date as day/month/year."),
    "answer.date_out_of_range": _l("This date is not possible here."),
    "answer.constraint": _l("This answer does not fit with the other answers."),
}


def message(error: AnswerError, language: str) -> str:
    template = MESSAGES.get(error.key, _l("This answer could not be saved."))
    params = {k: _plain(v, language) for k, v in error.params.items()}
    custom = error.params.get("message")
    if error.key == "answer.constraint" and custom is not None:
        return _plain(custom, language)
    try:
        return str(template) % params if params else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template)


def _plain(value: object, language: str) -> str:
    get = getattr(value, "get", None)
    if callable(get) and hasattr(value, "texts"):
        return str(get(language))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
