"""What an XLSForm import reports: refusals (with sheet, row and column) and warnings.

Messages are gettext message ids (marked with ``N_``) and their parameters, so the CLI and
the administrator page show them in the reader's language; ``str()`` is the English text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class XLSProblem:
    sheet: str  # "" when the whole file is at fault
    row: int  # 0 when no row is
    column: str | None
    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.msgid % dict(self.params) if self.params else self.msgid

    @property
    def where(self) -> str:
        parts = [self.sheet] if self.sheet else []
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class XLSFormError(ValueError):
    """An XLSForm that cannot become a definition; ``problems`` says every reason found."""

    def __init__(self, problems: Sequence[XLSProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)
