"""A theme's prompt, and its one reminder, to one member: at most one email each, recorded
once (see store/sends.py).

If the function dies between SES accepting and the record being written, the job comes
back after the queue's visibility timeout and the email is sent again, with the same
content, link and Message-ID header: that window is the only way to get a copy twice.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from palabre.core.absences import away_on
from palabre.core.jobs import LIVE_JOBS, Delivery, JobKind, Outcome, SkipReason, ThemeJob
from palabre.core.links import Links
from palabre.core.local_time import deadline
from palabre.core.models import Role, Theme, ThemeKind
from palabre.live.delivery import SessionDelivery
from palabre.mail.outbox import Outbox
from palabre.mail.personal import Letterhead
from palabre.observability import logger
from palabre.sending.live_notices import LiveNoticeDelivery
from palabre.sending.prompt_mail import compose
from palabre.store.members import Recipient, unreachable
from palabre.store.sends import SendRecords
from palabre.store.table import Table


class PromptDelivery:
    def __init__(
        self,
        table: Table,
        outbox: Outbox,
        links: Links,
        letterhead: Letterhead,
    ) -> None:
        self.records = SendRecords(table)
        self.outbox = outbox
        self.links = links
        self.letterhead = letterhead
        self.live = LiveNoticeDelivery(table, outbox, links, letterhead)
        self.sessions = SessionDelivery(table, outbox, links, letterhead)

    def deliver(self, job: ThemeJob, now: datetime) -> Delivery:
        if job.job in LIVE_JOBS:
            return self.sessions.deliver(job, now)
        if job.job is JobKind.PROMPT:
            return self._prompt(job, now)
        if job.job in (JobKind.LIVE_CHANGE, JobKind.SEAT_FREED):
            return self.live.deliver(job, now)
        return self._reminder(job, now)

    def _prompt(self, job: ThemeJob, now: datetime) -> Delivery:
        state = self.records.prompt_state(job.theme, job.member, with_answer=False)
        if state.prompt is not None:
            return Delivery(Outcome.ALREADY_SENT)
        theme, recipient = state.theme, state.recipient
        reason = skip_reason(theme, recipient)
        # A job that comes late (a stalled scheduler, a replay from the dead-letter queue)
        # finds the theme closed in the member's timezone: nothing to answer.
        if (
            reason is None
            and theme
            and recipient
            and now >= deadline(theme, ZoneInfo(recipient.member.timezone))
        ):
            reason = SkipReason.DEADLINE_PASSED
        if reason is not None or theme is None or recipient is None:
            reason = reason or SkipReason.THEME_GONE
            self.records.prompt_skipped(job.theme, job.member, reason, now)
            logger.info("prompt skipped", extra={"theme": job.theme, "reason": reason})
            return Delivery(Outcome.SKIPPED, reason)
        member = recipient.member
        message = compose(JobKind.PROMPT, theme, member, self.links, self.letterhead, now)
        ses_id = self.outbox.send(message, tags={"kind": job.job.value, "theme": job.theme})
        self.records.prompt_sent(
            job.theme,
            member,
            now=now,
            deadline=deadline(theme, ZoneInfo(member.timezone)),
            message_id=message.message_id,
            ses_message_id=ses_id,
            # the .ics SEQUENCE it carried: a later change's notice is owed only above it
            sequence=theme.sequence,
        )
        return Delivery(Outcome.SENT)

    def _reminder(self, job: ThemeJob, now: datetime) -> Delivery:
        state = self.records.prompt_state(job.theme, job.member, with_answer=True)
        prompt, theme = state.prompt, state.theme
        if prompt is None or not prompt.sent or prompt.deadline is None or theme is None:
            # Nothing to remind of: the prompt was skipped (and recorded) or never queued.
            return Delivery(Outcome.SKIPPED, SkipReason.NEVER_SENT)
        if prompt.reminded_at:
            return Delivery(Outcome.ALREADY_SENT)
        if prompt.reminder_skipped:
            return Delivery(Outcome.SKIPPED, SkipReason(prompt.reminder_skipped))
        recipient = None
        if theme.kind is ThemeKind.LIVE:
            # A live session reminds those coming, before it (palabre.live.delivery); a
            # reminder queued for it before (an older plan) is not the right one.
            reason: SkipReason | None = SkipReason.LIVE_SESSION
        elif state.answered:
            reason = SkipReason.ANSWERED
        elif now >= prompt.deadline:
            reason = SkipReason.DEADLINE_PASSED
        else:
            recipient = state.recipient
            reason = skip_reason(theme, recipient)
        if reason is not None or recipient is None:
            reason = reason or SkipReason.NOT_IN_ROSTER
            self.records.reminder_skipped(job.theme, job.member, reason, now)
            logger.info("reminder skipped", extra={"theme": job.theme, "reason": reason})
            return Delivery(Outcome.SKIPPED, reason)
        message = compose(
            JobKind.REMINDER, theme, recipient.member, self.links, self.letterhead, now
        )
        ses_id = self.outbox.send(message, tags={"kind": job.job.value, "theme": job.theme})
        self.records.reminded(job.theme, job.member, now, ses_id)
        return Delivery(Outcome.SENT)


def skip_reason(theme: Theme | None, recipient: Recipient | None) -> SkipReason | None:
    """Why a theme's email must not go to this recipient, if it must not."""
    if theme is None:
        return SkipReason.THEME_GONE
    if not theme.active:
        return SkipReason.THEME_CANCELLED
    if recipient is None:
        return SkipReason.NOT_IN_ROSTER
    if not recipient.member.active:
        return SkipReason.INACTIVE
    if recipient.member.role is Role.OBSERVER:
        return SkipReason.OBSERVER
    if not theme.addresses(recipient.member):
        return SkipReason.NOT_IN_AUDIENCE
    if reason := unreachable(recipient):  # suppressed, or unsubscribed from everything
        return reason
    if away_on(recipient.absences, theme.send_on):
        # The calendar's send date is the member's local day of sending, whatever their
        # timezone; a reminder follows its theme (an absence declared after it was sent).
        return SkipReason.ABSENT
    return None
