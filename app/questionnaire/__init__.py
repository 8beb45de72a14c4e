"""The questionnaire engine: definitions, answers, skip logic and scoring.

Pure functions over plain data: nothing here imports Flask, SQLAlchemy or the
request. See docs/questionnaire.md for the file format and the rules.
"""

from pathlib import Path

from .definition import (
    DefinitionError,
    Problem,
    discover,
    load_definition,
    load_yaml,
    validate_data,
    validate_file,
)
from .digits import normalize_digits
from .expr import ExprError, evaluate, holds, parse
from .fields import FIELD_TYPES, AnswerError, FieldType, check_answer, normalize_answer, register
from .model import (
    ELEMENTS,
    TIERS,
    Definition,
    FlagRule,
    Indicator,
    LocalText,
    Option,
    OutcomeRules,
    Question,
    Section,
    Tier,
)
from .relevance import effective_answers, visible_questions, visible_sections
from .scoring import ElementResult, FlagHit, IndicatorHit, Outcome, active_flags, score

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "questionnaires"

__all__ = [
    "ELEMENTS",
    "FIELD_TYPES",
    "SHIPPED_DIR",
    "AnswerError",
    "Definition",
    "DefinitionError",
    "ElementResult",
    "ExprError",
    "FieldType",
    "FlagHit",
    "FlagRule",
    "Indicator",
    "IndicatorHit",
    "LocalText",
    "Option",
    "Outcome",
    "OutcomeRules",
    "Problem",
    "Question",
    "Section",
    "TIERS",
    "Tier",
    "active_flags",
    "check_answer",
    "discover",
    "effective_answers",
    "evaluate",
    "holds",
    "load_definition",
    "load_yaml",
    "normalize_answer",
    "normalize_digits",
    "parse",
    "register",
    "score",
    "validate_data",
    "validate_file",
    "visible_questions",
    "visible_sections",
]
