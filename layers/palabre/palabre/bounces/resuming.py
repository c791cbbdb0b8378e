"""An admin resumes sending from the link of the email that told them of the pause
(bounces/pause_notice.py). A mail scanner may open that link: GET only shows the pause
and its figures with a button; POST resumes. Only an active admin of the current roster
may: anyone else's link (or one whose admin has left) is the plain 404 of any bad link."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.bounces.pause_notice import facts
from palabre.core.links import writer
from palabre.core.models import Member
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.members import MemberStore
from palabre.store.sending import Pause, SendingHealth
from palabre.web import Pages


class ResumeOutcome(StrEnum):
    RESUMED = "resumed"
    NOT_PAUSED = "not_paused"
    """the link's pause was resumed already: nothing to do"""
    LATER = "later"
    """sends paused again since: that pause's own email carries its link"""


@dataclass(frozen=True)
class ResumeView:
    admin: Member
    since: str
    """when the link's pause began"""
    pause: Pause | None
    """the latest pause"""

    def outcome(self) -> ResumeOutcome | None:
        """What a POST would find, before it acts: None while it can resume."""
        if self.pause is None or not self.pause.active:
            return ResumeOutcome.NOT_PAUSED
        if self.pause.since != self.since:
            return ResumeOutcome.LATER
        return None


class Resuming:
    def __init__(self, members: MemberStore, health: SendingHealth, signer: Signer) -> None:
        self.members = members
        self.health = health
        self.signer = signer

    def open(self, token: str, now: datetime) -> ResumeView:
        since, admin_id = self.signer.context_and_member(Purpose.RESUME, token, now)
        admin = writer(self.members.get(admin_id))
        if not admin.is_admin:
            raise InvalidToken
        return ResumeView(admin, since, self.health.last_pause())

    def resume(self, view: ResumeView, now: datetime) -> ResumeOutcome:
        found = view.outcome()
        if found is not None:
            return found
        resumed = self.health.resume(now, view.admin.id, since=view.since)
        return ResumeOutcome.RESUMED if resumed else ResumeOutcome.NOT_PAUSED


class ResumePages:
    def __init__(self, resuming: Resuming, pages: Pages) -> None:
        self.resuming = resuming
        self.pages = pages

    def show(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.resuming.open(token, now)
        return self._page(view, path, view.outcome())

    def resume(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.resuming.open(token, now)
        return self._page(view, path, self.resuming.resume(view, now))

    def _page(self, view: ResumeView, path: str, outcome: ResumeOutcome | None) -> Response[str]:
        admin, pause = view.admin, view.pause
        shown = (
            facts(pause, admin.locale, ZoneInfo(admin.timezone))
            if pause is not None and pause.since == view.since
            else {}
        )
        return self.pages.render(
            "resume",
            admin.locale,
            admin_name=admin.display_name,
            outcome=outcome.value if outcome else "",
            action=path,
            **shown,
        )
