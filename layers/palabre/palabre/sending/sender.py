"""One queued job becomes at most one email, recorded once: a theme's prompt or
reminder (journey 2), or a week's digest or admin report (journey 6).

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

from palabre.core.jobs import Job, JobKind
from palabre.core.links import Links
from palabre.core.local_time import deadline
from palabre.core.models import Prompt, Role, Subscription, Theme
from palabre.digest.builder import Edition, Report, edition_key, load_edition, load_report
from palabre.digest.mail import compose_digest, compose_report
from palabre.observability import logger
from palabre.scoring.awards import PromptFact, StreakState, advance_streak
from palabre.sending.prompt_mail import Sender, compose
from palabre.store import keys
from palabre.store.members import MemberStore, Recipient
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.themes import theme_from


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already-sent"
    SKIPPED = "skipped"


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


class JobSender:
    def __init__(
        self,
        table: Table,
        outbox: Any,
        links: Links,
        sender: Sender,
        editions: "Editions | None" = None,
    ) -> None:
        self.table = table
        self.outbox = outbox
        self.links = links
        self.sender = sender
        self.editions = editions
        self.members = MemberStore(table)
        self._themes: dict[str, Theme] = {}

    def deliver(self, job: Job, now: datetime) -> Delivery:
        match job.job:
            case JobKind.PROMPT:
                return self._prompt(job, now)
            case JobKind.REMINDER:
                return self._reminder(job, now)
            case _:
                return self._weekly(job, now)

    # ------------------------------------------------------------------ prompts
    def _prompt(self, job: Job, now: datetime) -> Delivery:
        theme, prompt, _ = self._read(job, with_answer=False)
        if prompt is not None:
            return Delivery(Outcome.ALREADY_SENT)
        recipient = self.members.recipient(job.member)
        reason = _skip_reason(theme, recipient)
        # A job that comes late (a stalled scheduler, a replay from the dead-letter queue)
        # finds the theme closed in the member's timezone: nothing to answer.
        if (
            not reason
            and theme
            and recipient
            and now >= deadline(theme, ZoneInfo(recipient.member.timezone))
        ):
            reason = "deadline-passed"
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
                "email": member.email,
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
        theme, record, answer = self._read(job, with_answer=True)
        prompt = Prompt.model_validate(record) if record else None
        if prompt is None or not prompt.sent or prompt.deadline is None or theme is None:
            # Nothing to remind of: the prompt was skipped (and recorded) or never queued.
            return Delivery(Outcome.SKIPPED, "never-sent")
        if prompt.reminded_at:
            return Delivery(Outcome.ALREADY_SENT)
        if prompt.reminder_skipped:
            return Delivery(Outcome.SKIPPED, prompt.reminder_skipped)
        recipient = None
        if answer is not None:
            reason = "answered"
        elif now >= prompt.deadline:
            reason = "deadline-passed"
        else:
            recipient = self.members.recipient(job.member)
            reason = _skip_reason(theme, recipient)
        if reason or recipient is None:
            self._record_reminder_skip(job, reason, now)
            logger.info("reminder skipped", extra={"theme": job.theme, "reason": reason})
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
        except ConditionFailed:
            logger.warning("reminder raced with another delivery", extra=job.model_dump())
        return Delivery(Outcome.SENT)

    def _record_reminder_skip(self, job: Job, reason: str, now: datetime) -> None:
        """On the send record, so that the skip is visible and a redelivery stops early."""
        try:
            self.table.update(
                keys.prompt(job.theme, job.member),
                "SET reminder_skipped = :reason, reminder_skipped_at = :now",
                {":reason": reason, ":now": now.isoformat()},
                condition="attribute_exists(PK) AND attribute_not_exists(reminded_at)",
            )
        except ConditionFailed:
            logger.warning("reminder sent by another delivery", extra=job.model_dump())

    # ------------------------------------------------------------------ weekly emails
    def _weekly(self, job: Job, now: datetime) -> Delivery:
        if self.editions is None or job.week is None:
            raise ValueError("this sender has no digest editions")
        record = keys.digest_record(job.week, job.job.value, job.member)
        if self.table.get(record, consistent=True) is not None:
            return Delivery(Outcome.ALREADY_SENT)
        recipient = self.members.recipient(job.member)
        reason = _weekly_skip_reason(recipient)
        if reason or recipient is None:
            self._record_weekly(record, {"status": "skipped", "skip_reason": reason}, now)
            return Delivery(Outcome.SKIPPED, reason)
        member = recipient.member
        if job.job is JobKind.DIGEST:
            edition = self.editions.edition(job.week, member.circle if member.takes_part else "")
            shown = self._streak(recipient, now)
            message = compose_digest(
                edition, member, recipient.points, shown, self.links, self.sender, now
            )
        else:
            report = self.editions.report(job.week)
            message = compose_report(report, member, self.links, self.sender, now)
        ses_id = self._send(message, job)
        self._record_weekly(record, {"status": "sent", "ses_message_id": ses_id}, now)
        return Delivery(Outcome.SENT)

    def _streak(self, recipient: Recipient, now: datetime) -> int:
        """The reader's streak: only the prompts since the last settled one are read."""
        member_id = recipient.member.id
        saved = recipient.streak
        state = StreakState(saved["streak"], saved["through"]) if saved else StreakState()
        low = state.through or "PROMPT#"
        prompts = [
            p
            for p in self.table.query(
                keys.member_partition(member_id), index="GSI1", between=(low, "PROMPT#~")
            )
            if p["GSI1SK"] != state.through and p.get("status") == "sent"
        ]
        answered = {
            i["theme_id"]
            for i in self.table.get_many([keys.answer(p["theme_id"], member_id) for p in prompts])
        }
        facts = [
            PromptFact(
                theme_id=p["theme_id"],
                sent_at=datetime.fromisoformat(p["sent_at"]),
                deadline=datetime.fromisoformat(p["deadline"]),
                answered=p["theme_id"] in answered,
            )
            for p in prompts
        ]
        shown, settled = advance_streak(state, facts, now)
        if settled != state:
            self.table.put(
                {
                    **keys.streak(member_id),
                    "type": "streak",
                    "streak": settled.streak,
                    "through": settled.through,
                }
            )
        return shown

    def _record_weekly(self, key: dict[str, str], fields: dict[str, Any], now: datetime) -> None:
        try:
            self.table.put(
                {**key, "type": "weekly", "at": now.isoformat(), **fields},
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            logger.warning("weekly send record already written", extra=key)

    # ------------------------------------------------------------------ plumbing
    def _read(
        self, job: Job, *, with_answer: bool
    ) -> tuple[Theme | None, Item | None, Item | None]:
        """Theme (cached), send record and answer in one strongly consistent BatchGetItem:
        a send record written a moment ago by another delivery must be seen."""
        wanted = [keys.prompt(job.theme, job.member)]
        if with_answer:
            wanted.append(keys.answer(job.theme, job.member))
        if job.theme not in self._themes:
            wanted.append(keys.theme(job.theme))
        found = {i["SK"]: i for i in self.table.get_many(wanted, consistent=True)}
        if "THEME" in found:
            self._themes[job.theme] = theme_from(found["THEME"])
        return (
            self._themes.get(job.theme),
            found.get(f"PROMPT#{job.member}"),
            found.get(f"ANSWER#{job.member}"),
        )

    def _send(self, message: Any, job: Job) -> str:
        try:
            tags = {"kind": job.job.value, "theme": job.theme, "week": job.week}
            return self.outbox.send(message, tags={k: v for k, v in tags.items() if v})
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            # SES reports a spent daily quota as a throttling error ("Daily message quota
            # exceeded"): the message tells it from a rate limit, so it is read first.
            if code in _QUOTA or "quota" in str(error).lower():
                raise QuotaExhausted(code) from error
            if code in _THROTTLING:
                raise Throttled(code) from error
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
        except ConditionFailed:
            # Two deliveries of the same job ran at once and both reached SES.
            logger.warning("send record already written", extra=job.model_dump())


def _weekly_skip_reason(recipient: Recipient | None) -> str:
    if recipient is None:
        return "not-in-roster"
    if not recipient.member.active:
        return "inactive"
    if recipient.suppressed:
        return "suppressed"
    if recipient.subscription in (Subscription.NO_DIGEST, Subscription.NOTHING):
        return "unsubscribed"
    return ""


class Editions:
    """The week's digest editions and report, read once per container from the bucket
    (wiring keeps one per container); a new week's first read forgets the previous one."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self._week = ""
        self._cache: dict[str, Any] = {}

    def _of(self, week: str) -> dict[str, Any]:
        if week != self._week:
            self._week, self._cache = week, {}
        return self._cache

    def edition(self, week: str, circle: str) -> Edition:
        key = edition_key(week, circle)
        cache = self._of(week)
        if key not in cache:
            try:
                cache[key] = load_edition(self.s3, self.bucket, key)
            except self.s3.exceptions.NoSuchKey:
                if not circle:
                    raise
                # A member who changed circle since the digest was built reads the
                # organisation's edition rather than nothing.
                cache[key] = self.edition(week, "")
        return cache[key]

    def report(self, week: str) -> Report:
        cache = self._of(week)
        if "report" not in cache:
            cache["report"] = load_report(self.s3, self.bucket, week)
        return cache["report"]


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
