"""What an import tells the admin: every problem by row and column, or what changed."""

import gettext
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel

from palabre.core.i18n import translate

type Kind = Literal["roster", "calendar"]
KINDS: tuple[Kind, ...] = ("roster", "calendar")
_VALUE_SHOWN = 120


@dataclass(frozen=True)
class Issue:
    """One problem found in a file; `message` is a message id with %(name)s fields."""

    message: str
    row: int | None = None
    column: str | None = None
    value: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, translations: gettext.NullTranslations) -> str:
        return translate(translations, self.message, self.params)


class Rejected(Exception):
    """The file cannot be read at all (size, type, encoding, shape)."""

    def __init__(self, *issues: Issue) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = list(issues)


def shown(value: Any) -> str | None:
    if value is None or value == "":
        return None if value is None else ""
    if isinstance(value, datetime | date | time):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= _VALUE_SHOWN else text[: _VALUE_SHOWN - 1] + "…"


class ReportError(BaseModel):
    row: int | None
    column: str | None
    value: str | None
    message: str


class ImportReport(BaseModel):
    ok: bool
    kind: Kind
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[ReportError] = []
    skipped: list[ReportError] = []
    """rows of an imported file that were left out (a person erased at their request)"""
    warnings: list[ReportError] = []
    """what an imported file did that the admin should know (a capacity below the seats
    already taken)"""

    @classmethod
    def rejected(
        cls,
        kind: Kind,
        rows: int,
        issues: Iterable[Issue],
        translations: gettext.NullTranslations,
    ) -> "ImportReport":
        return cls(ok=False, kind=kind, rows=rows, errors=report_errors(issues, translations))


def report_errors(
    issues: Iterable[Issue], translations: gettext.NullTranslations
) -> list[ReportError]:
    """The issues as the report shows them: by row, translated."""
    return [
        ReportError(row=i.row, column=i.column, value=shown(i.value), message=i.text(translations))
        for i in sorted(issues, key=lambda i: i.row or 0)
    ]
