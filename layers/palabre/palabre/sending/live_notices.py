"""A live session's change or cancellation, and the seat a waiting member was given: at
most one email each per member, recorded once (a change on the member's send record,
`notified_sequence`; a seat on their response, `promotion_sent_at`), as prompts are
(see prompts.py for the one crash window)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.core.jobs import Delivery, JobKind, Outcome, SkipReason, ThemeJob
from palabre.core.links import Links
from palabre.core.models import Response, Role, Theme, ThemeKind
from palabre.mail.outbox import Outbox
from palabre.mail.personal import Letterhead
from palabre.observability import logger
from palabre.sending.live_mail import compose_change, compose_seat
from palabre.store import keys
from palabre.store.members import Recipient, recipient_from, recipient_keys, unreachable
from palabre.store.rsvps import RsvpStore, rsvp_from
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.themes import theme_from


@dataclass(frozen=True)
class NoticeState:
    theme: Theme | None
    prompt: Item | None
    rsvp: Item | None
    recipient: Recipient | None


class LiveNoticeDelivery:
    def __init__(self, table: Table, outbox: Outbox, links: Links, letterhead: Letterhead) -> None:
        self.table = table
        self.rsvps = RsvpStore(table)
        self.outbox = outbox
        self.links = links
        self.letterhead = letterhead

    def deliver(self, job: ThemeJob, now: datetime) -> Delivery:
        # Read fresh, never from a container's cache: the change is what is new.
        state = self._state(job.theme, job.member)
        if job.job is JobKind.LIVE_CHANGE:
            return self._change(job, state, now)
        return self._seat(job, state, now)

    def _state(self, theme_id: str, member_id: str) -> NoticeState:
        wanted = [
            keys.theme(theme_id),
            keys.prompt(theme_id, member_id),
            keys.rsvp(theme_id, member_id),
            *recipient_keys(member_id),
        ]
        found = {(i["PK"], i["SK"]): i for i in self.table.get_many(wanted, consistent=True)}
        theme, prompt, rsvp = (found.get((k["PK"], k["SK"])) for k in wanted[:3])
        partition = keys.member_partition(member_id)
        return NoticeState(
            theme=theme_from(theme) if theme else None,
            prompt=prompt,
            rsvp=rsvp,
            recipient=recipient_from(
                {sk: i for (pk, sk), i in found.items() if pk == partition}, self.table
            ),
        )

    def _change(self, job: ThemeJob, state: NoticeState, now: datetime) -> Delivery:
        theme, prompt = state.theme, state.prompt
        if theme is None or theme.kind is not ThemeKind.LIVE:
            return self._skipped(job, SkipReason.THEME_GONE)
        if prompt is None or prompt.get("status") != "sent":
            return self._skipped(job, SkipReason.NOT_INVITED)
        if int(prompt.get("notified_sequence", 0)) >= theme.sequence:
            return Delivery(Outcome.ALREADY_SENT)
        # A calendar adds an invitation by itself (Gmail, Outlook): one who said no holds
        # the event too, and is told when it is cancelled — not when it changes.
        if theme.active and state.rsvp and rsvp_from(state.rsvp).response is Response.NO:
            return self._skipped(job, SkipReason.NOT_COMING)
        reason = _session_over(theme, now) or _unreachable(state.recipient)
        if reason is not None or state.recipient is None:
            return self._skipped(job, reason or SkipReason.NOT_IN_ROSTER)
        response = rsvp_from(state.rsvp).response if state.rsvp else None
        message = compose_change(
            theme, state.recipient.member, response, self.links, self.letterhead, now
        )
        ses_id = self.outbox.send(message, tags={"kind": job.job.value, "theme": job.theme})
        try:
            self.table.update(
                keys.prompt(job.theme, job.member),
                "SET notified_sequence = :seq, notice_ses_message_id = :ses",
                {":seq": theme.sequence, ":ses": ses_id},
                condition="attribute_not_exists(notified_sequence) OR notified_sequence < :seq",
            )
        except ConditionFailed:
            logger.warning("live change raced with another delivery", extra={"theme": job.theme})
        return Delivery(Outcome.SENT)

    def _seat(self, job: ThemeJob, state: NoticeState, now: datetime) -> Delivery:
        theme, item = state.theme, state.rsvp
        if theme is None or theme.kind is not ThemeKind.LIVE:
            return self._skipped(job, SkipReason.THEME_GONE)
        if item is None or not item.get("promoted_at"):
            return self._skipped(job, SkipReason.NOT_COMING)
        if item.get("promotion_sent_at"):
            return Delivery(Outcome.ALREADY_SENT)
        rsvp = rsvp_from(item)
        if rsvp.response is not Response.YES or rsvp.promoted_at is None:
            return self._skipped(job, SkipReason.NOT_COMING)
        if not theme.active:
            return self._skipped(job, SkipReason.THEME_CANCELLED)
        reason = _session_over(theme, now, started=True) or _unreachable(state.recipient)
        if reason is not None or state.recipient is None:
            return self._skipped(job, reason or SkipReason.NOT_IN_ROSTER)
        message = compose_seat(
            theme, state.recipient.member, rsvp.promoted_at, self.links, self.letterhead, now
        )
        self.outbox.send(message, tags={"kind": job.job.value, "theme": job.theme})
        if not self.rsvps.promotion_told(job.theme, job.member, now):
            logger.warning("seat email raced with another delivery", extra={"theme": job.theme})
        return Delivery(Outcome.SENT)

    def _skipped(self, job: ThemeJob, reason: SkipReason) -> Delivery:
        logger.info("live notice skipped", extra={"theme": job.theme, "reason": reason})
        return Delivery(Outcome.SKIPPED, reason)


def _session_over(theme: Theme, now: datetime, *, started: bool = False) -> SkipReason | None:
    """Nothing to tell once the session is over (or, for a seat, has started)."""
    moment: Any = theme.starts_at if started else theme.ends_at
    return SkipReason.SESSION_STARTED if moment is not None and now >= moment else None


def _unreachable(recipient: Recipient | None) -> SkipReason | None:
    """Who may be emailed at all (store.members.unreachable), observers left out: a
    session's notices go to those it invited, and observers are never invited."""
    if recipient is not None and recipient.member.active and recipient.member.role is Role.OBSERVER:
        return SkipReason.OBSERVER
    return unreachable(recipient)
