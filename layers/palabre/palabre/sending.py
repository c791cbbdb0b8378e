"""Journey 2, second half: one queued job becomes at most one email, recorded once.

The send record (PROMPT#<member> in the theme's partition) is written with a condition
after SES accepted the message: a redelivered or retried job finds it and sends nothing.
If the function dies between SES accepting and the record being written, the job comes
back after the queue's visibility timeout and the email is sent again, with the same
content, link and Message-ID header: that window is the only way to get a copy twice.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from palabre.jobs import Job, JobKind
from palabre.links import Links
from palabre.models import Role, Subscription, Theme
from palabre.observability import logger
from palabre.prompt_mail import Sender, compose
from palabre.scheduling import deadline
from palabre.store import keys
from palabre.store.members import MemberStore, Recipient
from palabre.store.table import Item, Table, is_conditional_failure
from palabre.store.themes import theme_from


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already-sent"
    SKIPPED = "skipped"
    NOT_DUE = "not-due"


class Throttled(Exception):
    """SES asked us to slow down: the job goes back to the queue and is retried later."""


class QuotaExhausted(Exception):
    """SES's daily quota is spent: this job and the rest wait in the queue."""


_THROTTLING = {"TooManyRequestsException", "Throttling", "ThrottlingException"}
_QUOTA = {"LimitExceededException", "DailyQuotaExceeded"}


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reason: str = ""


class PromptSender:
    def __init__(self, table: Table, outbox: Any, links: Links, sender: Sender) -> None:
        self.table = table
        self.outbox = outbox
        self.links = links
        self.sender = sender
        self.members = MemberStore(table)
        self._themes: dict[str, Theme] = {}

    def deliver(self, job: Job, now: datetime) -> Delivery:
        if job.job is JobKind.PROMPT:
            return self._prompt(job, now)
        return self._reminder(job, now)

    # ------------------------------------------------------------------ prompts
    def _prompt(self, job: Job, now: datetime) -> Delivery:
        theme, prompt, _ = self._read(job, with_answer=False)
        if prompt is not None:
            return Delivery(Outcome.ALREADY_SENT)
        recipient = self.members.recipient(job.member)
        reason = _skip_reason(theme, recipient)
        if reason or theme is None or recipient is None:
            self._record(job, {"status": "skipped", "skip_reason": reason, "at": now.isoformat()})
            logger.info("prompt skipped", extra={"theme": job.theme, "reason": reason})
            return Delivery(Outcome.SKIPPED, reason)
        member = recipient.member
        message = compose(JobKind.PROMPT, theme, member, self.links, self.sender, now)
        ses_id = self._send(message, job)
        self._record(
            job,
            {
                "status": "sent",
                "at": now.isoformat(),
                "sent_at": now.isoformat(),
                "deadline": deadline(theme, ZoneInfo(member.timezone)).isoformat(),
                "message_id": message["Message-ID"],
                "ses_message_id": ses_id,
                # What the answer page needs, so that it reads one item, not three.
                "first_name": member.first_name,
                "locale": member.locale,
                "timezone": member.timezone,
                "circle": member.circle,
                "team": member.team,
                "GSI1PK": keys.member_partition(job.member),
                "GSI1SK": f"PROMPT#{now.isoformat()}#{job.theme}",
            },
        )
        return Delivery(Outcome.SENT)

    # ------------------------------------------------------------------ reminders
    def _reminder(self, job: Job, now: datetime) -> Delivery:
        theme, prompt, answer = self._read(job, with_answer=True)
        if prompt is None or prompt.get("status") != "sent" or theme is None:
            return Delivery(Outcome.SKIPPED, "never-sent")
        if prompt.get("reminded_at"):
            return Delivery(Outcome.ALREADY_SENT)
        if answer is not None:
            return Delivery(Outcome.SKIPPED, "answered")
        if now >= datetime.fromisoformat(prompt["deadline"]):
            return Delivery(Outcome.NOT_DUE, "deadline-passed")
        recipient = self.members.recipient(job.member)
        reason = _skip_reason(theme, recipient)
        if reason or recipient is None:
            return Delivery(Outcome.SKIPPED, reason)
        message = compose(JobKind.REMINDER, theme, recipient.member, self.links, self.sender, now)
        ses_id = self._send(message, job)
        try:
            self.table.update(
                keys.prompt(job.theme, job.member),
                "SET reminded_at = :now, reminder_ses_message_id = :ses",
                {":now": now.isoformat(), ":ses": ses_id},
                condition="attribute_not_exists(reminded_at)",
            )
        except Exception as error:
            if not is_conditional_failure(error):
                raise
            logger.warning("reminder raced with another delivery", extra=job.model_dump())
        return Delivery(Outcome.SENT)

    # ------------------------------------------------------------------ plumbing
    def _read(
        self, job: Job, *, with_answer: bool
    ) -> tuple[Theme | None, Item | None, Item | None]:
        """Theme (cached), send record and answer in one BatchGetItem."""
        wanted = [keys.prompt(job.theme, job.member)]
        if with_answer:
            wanted.append(keys.answer(job.theme, job.member))
        if job.theme not in self._themes:
            wanted.append(keys.theme(job.theme))
        found = {i["SK"]: i for i in self.table.get_many(wanted)}
        if "THEME" in found:
            self._themes[job.theme] = theme_from(found["THEME"])
        return (
            self._themes.get(job.theme),
            found.get(f"PROMPT#{job.member}"),
            found.get(f"ANSWER#{job.member}"),
        )

    def _send(self, message: Any, job: Job) -> str:
        try:
            return self.outbox.send(message, tags={"kind": job.job.value, "theme": job.theme})
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code in _THROTTLING:
                raise Throttled(code) from error
            if code in _QUOTA or "quota" in str(error).lower():
                raise QuotaExhausted(code) from error
            raise

    def _record(self, job: Job, fields: dict[str, Any]) -> None:
        item = {
            **keys.prompt(job.theme, job.member),
            "type": "prompt",
            "theme_id": job.theme,
            "member_id": job.member,
            **fields,
        }
        try:
            self.table.put(item, ConditionExpression="attribute_not_exists(PK)")
        except Exception as error:
            if not is_conditional_failure(error):
                raise
            # Two deliveries of the same job ran at once and both reached SES.
            logger.warning("send record already written", extra=job.model_dump())


def _skip_reason(theme: Theme | None, recipient: Recipient | None) -> str:
    if theme is None:
        return "theme-gone"
    if not theme.active:
        return "theme-cancelled"
    if recipient is None:
        return "not-in-roster"
    if not recipient.member.active:
        return "inactive"
    if recipient.member.role is Role.OBSERVER:
        return "observer"
    if not theme.audience.includes(recipient.member):
        return "not-in-audience"
    if recipient.suppressed:
        return "suppressed"
    if recipient.subscription is Subscription.NOTHING:
        return "unsubscribed"
    return ""
