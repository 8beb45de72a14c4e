"""The questionnaire engine: definitions, answers, skip logic and scoring.

Pure functions over plain data: nothing here imports Flask, SQLAlchemy or the
request. See docs/questionnaire.md for the file format and the rules, and
``fields/__init__.py`` for the question types and how to add one.
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
from .fields import (
    FIELD_TYPES,
    FREE_TEXT_TYPES,
    AnswerError,
    DemoContext,
    FieldType,
    Input,
    Words,
    check_answer,
    expression_value,
    field_type,
    field_type_of,
    normalize_answer,
    register,
    show_answer,
)
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
from .progress import expected_sections
from .progress import position as progress_position
from .relevance import effective_answers, visible_questions, visible_sections
from .relevance import walk as visibility_walk
from .scoring import ElementResult, FlagHit, IndicatorHit, Outcome, active_flags, flags_of, score, shortfall

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "questionnaires"

__all__ = [
    "ELEMENTS",
    "FIELD_TYPES",
    "FREE_TEXT_TYPES",
    "SHIPPED_DIR",
    "AnswerError",
    "Definition",
    "DefinitionError",
    "DemoContext",
    "ElementResult",
    "ExprError",
    "FieldType",
    "FlagHit",
    "FlagRule",
    "Indicator",
    "IndicatorHit",
    "Input",
    "LocalText",
    "Option",
    "Outcome",
    "OutcomeRules",
    "Problem",
    "Question",
    "Section",
    "Words",
    "TIERS",
    "Tier",
    "active_flags",
    "check_answer",
    "discover",
    "effective_answers",
    "expected_sections",
    "evaluate",
    "expression_value",
    "field_type",
    "field_type_of",
    "flags_of",
    "holds",
    "load_definition",
    "load_yaml",
    "normalize_answer",
    "progress_position",
    "normalize_digits",
    "parse",
    "register",
    "score",
    "shortfall",
    "show_answer",
    "validate_data",
    "validate_file",
    "visibility_walk",
    "visible_questions",
    "visible_sections",
]
