"""A week's digest, or the admins' report, to one member: at most one email, recorded once
(see store/sends.py). The content comes from the editions the digest run stored."""

from datetime import datetime

from palabre.core.jobs import Delivery, JobKind, Outcome, SkipReason, WeeklyJob
from palabre.core.links import Links
from palabre.core.models import Subscription
from palabre.core.streaks import advance_streak
from palabre.digest.editions import Editions
from palabre.digest.mail import compose_digest, compose_report
from palabre.mail.outbox import Outbox
from palabre.mail.personal import Letterhead
from palabre.store.members import MemberStore, Recipient
from palabre.store.sends import SendRecords, streak_state
from palabre.store.table import Table


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
            edition = self.editions.edition(job.week, member.circle if member.takes_part else "")
            if not edition.worth_reading:
                return self._skip(job, now, SkipReason.NOTHING_TO_READ)
            message = compose_digest(
                edition,
                member,
                recipient.points,
                self._streak(recipient, now),
                self.links,
                self.letterhead,
                now,
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

    def _streak(self, recipient: Recipient, now: datetime) -> int:
        """The reader's streak: only the prompts since the last settled one are read."""
        member_id = recipient.member.id
        state = streak_state(recipient.streak)
        shown, settled = advance_streak(state, self.records.prompts_since(member_id, state), now)
        if settled != state:
            self.records.settle_streak(member_id, settled)
        return shown


def skip_reason(recipient: Recipient | None) -> SkipReason | None:
    if recipient is None:
        return SkipReason.NOT_IN_ROSTER
    if not recipient.member.active:
        return SkipReason.INACTIVE
    if recipient.suppressed:
        return SkipReason.SUPPRESSED
    if recipient.subscription in (Subscription.NO_DIGEST, Subscription.NOTHING):
        return SkipReason.UNSUBSCRIBED
    return None
