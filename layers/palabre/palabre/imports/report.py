"""What an import tells the admin: every problem by row and column, or what changed."""

import gettext
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, Field

from palabre.core.i18n import translate

type Kind = Literal["roster", "calendar"]
KINDS: tuple[Kind, ...] = ("roster", "calendar")
_VALUE_SHOWN = 120

type Status = Literal["applied", "rejected", "refused", "previewed", "needs_confirmation"]
"""applied: written; rejected: errors, nothing written; refused: not an active admin's
file, not read; previewed: a preview, nothing written (awaiting Apply); needs_confirmation:
a guard tripped, nothing written (awaiting Apply or `palabre upload --confirm`)"""
CHANGES_KEPT = 500
"""names kept per list of changes in a report: its counts say how many more"""


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


class Change(BaseModel):
    """One member or theme an import creates, updates, deactivates or cancels."""

    name: str
    """a member's name, or a theme's title"""
    detail: str = ""
    """a member's address, or a theme's send date (ISO)"""
    fields: list[str] = []
    """what an update changes (the file's column names)"""
    live: bool = False
    """a live session"""
    sent: bool = False
    """a theme already sent to someone (a live session cancelled after its invitation)"""


class Changes(BaseModel):
    """What an import changes, or would change, by name (at most CHANGES_KEPT of each:
    the report's counts say how many in all)."""

    created: list[Change] = []
    updated: list[Change] = []
    removed: list[Change] = []
    """members deactivated, or themes cancelled"""


class ImportReport(BaseModel):
    ok: bool
    kind: Kind
    rows: int
    status: Status = "applied"
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
    changes: Changes = Changes()
    """what was (or, previewed, would be) created, updated, deactivated or cancelled"""
    guard: list[str] = []
    """why the file waits for a confirmation: too many deactivated or cancelled"""
    confirms: str = Field(default="", exclude=True)
    """what the guards weigh, as a digest of the members deactivated or themes cancelled:
    an Apply of this preview confirms exactly these (imports/importer.py). Kept in the
    history, never published: a report stored in the bucket is not what Apply trusts."""

    @classmethod
    def rejected(
        cls,
        kind: Kind,
        rows: int,
        issues: Iterable[Issue],
        translations: gettext.NullTranslations,
    ) -> "ImportReport":
        return cls(
            ok=False,
            kind=kind,
            rows=rows,
            status="rejected",
            errors=report_errors(issues, translations),
        )


def report_errors(
    issues: Iterable[Issue], translations: gettext.NullTranslations
) -> list[ReportError]:
    """The issues as the report shows them: by row, translated."""
    return [
        ReportError(row=i.row, column=i.column, value=shown(i.value), message=i.text(translations))
        for i in sorted(issues, key=lambda i: i.row or 0)
    ]
