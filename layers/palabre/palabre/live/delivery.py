"""A live session's emails, one job each: its reminders to a member who said yes or
maybe (the day before, the hour before), its attendance list to an admin. At most one
email per (session, member, job), recorded once (store/sessions.py); a job that must
send nothing records why.

What is checked when the job is sent, not when it was queued: the session (a reminder
queued before it moved — a new sequence — goes nothing: its new time has reminders of its
own), the member's response (one who changed to "no" meanwhile gets nothing), the time
(never once the session has started; the day-before reminder not once the hour-before
one is due, nor on the session's day where the member lives), and whatever stops any
email (left the roster, suppressed, unsubscribed, away that day)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from palabre.core.absences import away_on
from palabre.core.jobs import Delivery, JobKind, Outcome, SkipReason, ThemeJob
from palabre.core.links import Links
from palabre.core.local_time import (
    ATTENDANCE_GRACE,
    session_day,
    session_end,
    session_soon,
    session_start,
)
from palabre.core.models import Role, ThemeKind
from palabre.live.mail import attendance_list, session_reminder
from palabre.mail.outbox import Outbox
from palabre.mail.personal import Letterhead
from palabre.observability import logger
from palabre.store.members import unreachable
from palabre.store.rsvps import RsvpStore
from palabre.store.sessions import SessionJobState, SessionStore
from palabre.store.table import Table


class SessionDelivery:
    def __init__(self, table: Table, outbox: Outbox, links: Links, letterhead: Letterhead) -> None:
        self.store = SessionStore(table)
        self.rsvps = RsvpStore(table)
        self.outbox = outbox
        self.links = links
        self.letterhead = letterhead

    def deliver(self, job: ThemeJob, now: datetime) -> Delivery:
        state = self.store.job_state(job.theme, job.job.value, job.member, job.sequence)
        if state.record is not None:
            if state.record.get("status") == "skipped":
                return Delivery(Outcome.SKIPPED, SkipReason(state.record["skip_reason"]))
            return Delivery(Outcome.ALREADY_SENT)
        check = _admin_reason if job.job is JobKind.ATTENDANCE else _reminder_reason
        reason = check(job, state, now)
        if reason is not None or state.theme is None or state.recipient is None:
            reason = reason or SkipReason.THEME_GONE
            self.store.skipped(job.theme, job.job.value, job.member, job.sequence, now, reason)
            logger.info(
                "live session email skipped",
                extra={"theme": job.theme, "job": job.job.value, "reason": reason},
            )
            return Delivery(Outcome.SKIPPED, reason)
        theme, member = state.theme, state.recipient.member
        if job.job is JobKind.ATTENDANCE:
            coming = self.rsvps.coming(theme.id)
            message = attendance_list(theme, member, coming, self.links, self.letterhead, now)
        else:
            message = session_reminder(job.job, theme, member, self.links, self.letterhead, now)
        ses_id = self.outbox.send(message, tags={"kind": job.job.value, "theme": job.theme})
        self.store.sent(job.theme, job.job.value, job.member, job.sequence, now, ses_id)
        return Delivery(Outcome.SENT)


def _common_reason(job: ThemeJob, state: SessionJobState) -> SkipReason | None:
    theme, recipient = state.theme, state.recipient
    if theme is None or theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
        return SkipReason.THEME_GONE
    if not theme.active:
        return SkipReason.THEME_CANCELLED
    return unreachable(recipient)


def _reminder_reason(job: ThemeJob, state: SessionJobState, now: datetime) -> SkipReason | None:
    """Why a session's reminder must not go to this member now, if it must not."""
    reason = _common_reason(job, state)
    if reason is not None or state.theme is None or state.recipient is None:
        return reason
    theme, member = state.theme, state.recipient.member
    if job.sequence != theme.sequence:
        return SkipReason.SESSION_CHANGED  # its new time has reminders of its own
    if now >= session_start(theme):
        return SkipReason.SESSION_STARTED
    if job.job is JobKind.SESSION_EVE and now >= min(
        session_soon(theme), session_day(theme, ZoneInfo(member.timezone))
    ):
        return SkipReason.TOO_LATE  # it would say "tomorrow" on the day
    if state.rsvp is None or not state.rsvp.response.coming:
        return SkipReason.NOT_COMING
    if member.role is Role.OBSERVER:
        return SkipReason.OBSERVER
    local_day = session_start(theme).astimezone(ZoneInfo(member.timezone)).date()
    if away_on(state.recipient.absences, local_day):
        return SkipReason.ABSENT
    return None


def _admin_reason(job: ThemeJob, state: SessionJobState, now: datetime) -> SkipReason | None:
    """Why a session's attendance list must not go to this admin now, if it must not."""
    reason = _common_reason(job, state)
    if reason is not None or state.theme is None or state.recipient is None:
        return reason
    if not state.recipient.member.is_admin:
        return SkipReason.NOT_ADMIN
    if now >= session_end(state.theme) + ATTENDANCE_GRACE:
        return SkipReason.DEADLINE_PASSED
    return None
