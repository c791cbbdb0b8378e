"""An admin cancels a member's question from the link beside it in their weekly report.
A mail scanner may open that link: GET only shows the question and a button; POST
cancels. Only an active admin of the current roster may: anyone else's link (or one
whose admin has left) is the plain 404 of any bad link."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from palabre.core.models import Member, Theme
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.questions import AskedQuestion, QuestionStore
from palabre.store.table import Table


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    ALREADY = "already"
    CLOSED = "closed"


@dataclass(frozen=True)
class CancelView:
    question: AskedQuestion
    theme: Theme
    admin: Member

    @property
    def locale(self) -> str:
        return self.admin.locale

    def outcome(self, now: datetime) -> CancelOutcome | None:
        """What a POST would find, before it acts: None while it can still cancel."""
        if self.question.cancelled or not self.theme.active:
            return CancelOutcome.ALREADY
        if not self.question.open(now):
            return CancelOutcome.CLOSED
        return None


class Cancelling:
    def __init__(self, table: Table, signer: Signer) -> None:
        self.store = QuestionStore(table)
        self.signer = signer

    def open(self, token: str, now: datetime) -> CancelView:
        theme_id, admin_id = self.signer.context_and_member(Purpose.CANCEL, token, now)
        theme, admin = self.store.theme_and_member(theme_id, admin_id)
        if theme is None or not theme.asker or admin is None or not admin.is_admin:
            raise InvalidToken
        question = self.store.get(theme.asker, theme_id)
        if question is None:
            raise InvalidToken
        return CancelView(question, theme, admin)

    def cancel(self, view: CancelView, now: datetime) -> CancelOutcome:
        found = view.outcome(now)
        if found is not None:
            return found
        cancelled = self.store.cancel(view.question, now)
        return CancelOutcome.CANCELLED if cancelled else CancelOutcome.ALREADY
