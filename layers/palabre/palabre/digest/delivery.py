"""A week's digest, or the admins' report, to one member: at most one email, recorded once
(see store/sends.py). The content comes from the editions the digest run stored."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from palabre.core.absences import away_for_week
from palabre.core.jobs import Delivery, JobKind, Outcome, SkipReason, WeeklyJob
from palabre.core.links import Links
from palabre.core.models import Subscription, Theme
from palabre.core.streaks import PromptFact, StreakFigures, advance_streak, figures
from palabre.digest.editions import Editions
from palabre.digest.mail import compose_digest, compose_report
from palabre.mail.outbox import Outbox
from palabre.mail.personal import Letterhead
from palabre.store.members import MemberStore, Recipient, unreachable
from palabre.store.sends import SendRecords, streak_state
from palabre.store.table import Table
from palabre.store.themes import ThemeStore


class WeeklyDelivery:
    def __init__(
        self,
        table: Table,
        editions: Editions,
        outbox: Outbox,
        links: Links,
        letterhead: Letterhead,
    ) -> None:
        self.records = SendRecords(table)
        self.members = MemberStore(table)
        self.themes = ThemeStore(table)
        self.editions = editions
        self.outbox = outbox
        self.links = links
        self.letterhead = letterhead

    def deliver(self, job: WeeklyJob, now: datetime) -> Delivery:
        kind = job.job.value
        if self.records.weekly_sent(job.week, kind, job.member):
            return Delivery(Outcome.ALREADY_SENT)
        recipient = self.members.recipient(job.member)
        reason = skip_reason(recipient)
        if reason is not None or recipient is None:
            return self._skip(job, now, reason or SkipReason.NOT_IN_ROSTER)
        member = recipient.member
        if job.job is JobKind.DIGEST:
            if away_for_week(recipient.absences, digest_week(job.week)):
                return self._skip(job, now, SkipReason.ABSENT)
            edition = self.editions.edition(job.week, member.circle if member.takes_part else "")
            streak, unanswered = self._streak(recipient, now)
            waiting = self._still_open(unanswered)
            if not edition.worth_reading and not waiting:
                return self._skip(job, now, SkipReason.NOTHING_TO_READ)
            message = compose_digest(
                edition,
                member,
                recipient.points,
                streak,
                self.links,
                self.letterhead,
                now,
                waiting=waiting,
                rank=recipient.rank,
            )
        else:
            report = self.editions.report(job.week)
            if not report.worth_reading:
                return self._skip(job, now, SkipReason.NOTHING_TO_READ)
            message = compose_report(report, member, self.links, self.letterhead, now)
        ses_id = self.outbox.send(message, tags={"kind": kind, "week": job.week})
        self.records.record_weekly(job.week, kind, job.member, now, ses_message_id=ses_id)
        return Delivery(Outcome.SENT)

    def _skip(self, job: WeeklyJob, now: datetime, reason: SkipReason) -> Delivery:
        self.records.record_weekly(job.week, job.job.value, job.member, now, skipped=reason)
        return Delivery(Outcome.SKIPPED, reason)

    def _streak(
        self, recipient: Recipient, now: datetime
    ) -> tuple[StreakFigures, list[PromptFact]]:
        """The reader's streak, and the themes still open that they have not answered: only
        the prompts since the last settled one are read (an open one is never settled)."""
        member = recipient.member
        state = streak_state(recipient.streak)
        facts = self.records.prompts_since(member.id, state, recipient.absences)
        shown, settled = advance_streak(state, facts, now)
        if settled != state:
            self.records.settle_streak(member.id, settled)
        today = now.astimezone(ZoneInfo(member.timezone)).date()
        return figures(shown, now, today), [f for f in facts if not f.answered and now < f.deadline]

    def _still_open(self, waiting: list[PromptFact]) -> list[Theme]:
        """The themes of those prompts, soonest deadline first (one read, when any)."""
        if not waiting:
            return []
        themes = self.themes.get_many(f.theme_id for f in waiting)
        order = {f.theme_id: (f.deadline, f.theme_id) for f in waiting}
        return sorted((t for t in themes.values() if t.active), key=lambda t: order[t.id])


DIGEST_STOPPED = frozenset({Subscription.NO_DIGEST, Subscription.NOTHING})


def skip_reason(recipient: Recipient | None) -> SkipReason | None:
    return unreachable(recipient, DIGEST_STOPPED)


def digest_week(week: str) -> date:
    """The first day of the week a digest goes out in: the Monday after the ISO week
    (2026-W49) it tells of."""
    year, _, number = week.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1) + timedelta(days=7)
