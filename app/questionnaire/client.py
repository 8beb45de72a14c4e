"""The skip-logic model the browser gets (app/static/js/screening.js reads it from the page).

Only what showing and hiding questions needs: the parameters and, per section
and question, its ``relevant`` expression. The browser evaluates the same
expressions as :mod:`.relevance` (the shared vectors in ``expr_vectors.json``
keep the two evaluators in step); the server still decides what is saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Definition


def build_client_model(definition: Definition) -> dict[str, Any]:
    """Plain JSON-ready data; :attr:`Definition.client_model` keeps one per definition."""
    from .fields import field_type_of  # here: the field types import the model, which imports this

    return {
        "params": dict(definition.parameters),
        "sections": [
            {"id": s.id, "relevant": s.relevant,
             "questions": [{"id": q.id, "relevant": q.relevant, "answerable": field_type_of(q).answerable}
                           for q in s.questions]}
            for s in definition.sections
        ],
    }
