"""A member asks their circle ("Comment fais-tu pour … ?"), from their space.

The question becomes a theme of kind question for the asker's circle, the asker left out,
sent through the same dispatch at the next working day's send time in each peer's
timezone, open seven days, worth QuestionPoints per answer. One open question per member
(store/questions.py). Asking is refused, with a reason shown on the page, to whoever does
not take part: an observer, a member who left the roster, one without a circle.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from palabre.core.i18n import N_, Translatable
from palabre.core.links import writer
from palabre.core.local_time import WORK_WEEK, deadline, earliest_send
from palabre.core.markdown import to_html
from palabre.core.models import QUESTION_PREFIX, Audience, Member, Theme, ThemeKind
from palabre.core.text import control_characters, without_spoofing
from palabre.core.tokens import InvalidToken, Signer
from palabre.store.questions import AlreadyAsking, AskedQuestion, QuestionStore
from palabre.store.table import Table

TITLE_LIMIT = 120
QUESTION_LIMIT = 2000
DEADLINE_DAYS = 7
REMINDER_DAYS = 2
SEND_AT = time(9, 0)
"""the calendar's default send time"""
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _normalised(value: str) -> str:
    return without_spoofing(value.replace("\r\n", "\n").replace("\r", "\n")).strip()


class QuestionForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    # The limits checked by the validators, on the text as normalised; these only bound
    # what is normalised at all.
    title: str = Field(max_length=TITLE_LIMIT * 4)
    question: str = Field(max_length=QUESTION_LIMIT * 4)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return _checked(" ".join(value.split()), TITLE_LIMIT, multiline=False)

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _checked(_normalised(value), QUESTION_LIMIT, multiline=True)


def _checked(value: str, limit: int, *, multiline: bool) -> str:
    if control_characters(value, multiline=multiline):
        raise ValueError("control")
    if not value:
        raise ValueError("empty")
    if len(value) > limit:
        raise ValueError("long")
    return value


_MESSAGES = {
    ("title", "empty"): N_("Give your question a title."),
    ("title", "long"): N_("The title is %(length)s characters long; the limit is %(limit)s."),
    ("question", "empty"): N_("Write your question before sending it."),
    ("question", "long"): N_(
        "Your question is %(length)s characters long; the limit is %(limit)s."
    ),
}


def parse_question(fields: dict[str, list[str]]) -> QuestionForm:
    """The posted form, or Translatable saying what to fix (the first problem found)."""
    title = (fields.get("title") or [""])[-1]
    question = (fields.get("question") or [""])[-1]
    try:
        return QuestionForm(title=title, question=question)
    except ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "question"
        reason = re.sub(r"^Value error, ", "", problem.get("msg", ""))
        if reason == "control":
            raise Translatable(
                N_(
                    "Your text contains invisible control characters (such as NUL); "
                    "remove them and send it again."
                )
            ) from None
        if reason == "empty":
            raise Translatable(_MESSAGES[(field, reason)]) from None
        # "long", or past the bound before normalising: far too long
        text = title if field == "title" else question
        limit = TITLE_LIMIT if field == "title" else QUESTION_LIMIT
        length = len(" ".join(text.split()) if field == "title" else _normalised(text))
        raise Translatable(_MESSAGES[(field, "long")], length=length, limit=limit) from None


def next_working_day(day: date, work_week: frozenset[int] = WORK_WEEK) -> date:
    """The first of the organisation's working days (weekday numbers, Monday 0) after
    `day`: with Monday to Friday, a question asked on Friday, or over the weekend, goes
    out on Monday."""
    if not work_week:
        raise ValueError("no working day to send on")
    following = day + timedelta(days=1)
    while following.weekday() not in work_week:
        following += timedelta(days=1)
    return following


def question_id(now: datetime) -> str:
    """q_ + the instant (UTC) + 8 random characters: a member's questions sort in the
    order asked, and never meet a calendar id (those hold no "_")."""
    stamp = now.astimezone(ZoneInfo("UTC")).strftime("%Y%m%d%H%M%S")
    return QUESTION_PREFIX + stamp + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


class CannotAsk(Exception):
    """The member may not ask (`reason`, a message id): they do not take part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Asker:
    member_id: str
    member: Member
    latest: AskedQuestion | None
    """their latest question, open or closed"""

    @property
    def locale(self) -> str:
        return self.member.locale

    @property
    def refusal(self) -> str | None:
        """Why this member may not ask (a message id), if they may not."""
        if not self.member.active:
            return N_("You are no longer in the roster: you can no longer ask your circle.")
        if not self.member.takes_part:
            return N_("Observers read the digests but do not take part: they cannot ask.")
        if not self.member.circle:
            return N_("You are in no circle yet: there is nobody to ask.")
        return None


class Asking:
    def __init__(
        self,
        table: Table,
        signer: Signer,
        question_points: int,
        *,
        work_week: frozenset[int] = WORK_WEEK,
    ) -> None:
        self.store = QuestionStore(table)
        self.table = table
        self.signer = signer
        self.question_points = question_points
        self.work_week = work_week

    def open(self, token: str, now: datetime, *, write: bool = False) -> Asker:
        """The member of a space link, their profile and latest question: one BatchGetItem.
        Not in the roster at all (or, to `write`, no longer in it: core.links.writer): the
        plain 404 of any bad link."""
        member_id = self.signer.member_of(token, now)
        member, latest = self.store.asker(member_id)
        if member is None:
            raise InvalidToken
        if write:
            writer(member)
        return Asker(member_id, member, latest)

    def ask(self, asker: Asker, form: QuestionForm, now: datetime) -> AskedQuestion:
        """One transaction; AlreadyAsking while their previous question is open."""
        if asker.refusal is not None:
            raise CannotAsk(asker.refusal)
        member = asker.member
        zone = ZoneInfo(member.timezone)
        theme = Theme(
            id=question_id(now),
            send_on=next_working_day(now.astimezone(zone).date(), self.work_week),
            send_at=SEND_AT,
            title=form.title,
            prompt=form.question,
            prompt_html=str(to_html(form.question)),
            deadline_days=DEADLINE_DAYS,
            reminder_days=REMINDER_DAYS,
            audience=Audience(circles=(member.circle,)),
            kind=ThemeKind.QUESTION,
            points=self.question_points,
            asker=member.id,
            asker_name=member.first_name,
            # written in the asker's language: readers in another get it marked
            lang=member.locale,
        )
        return self.store.ask(
            theme,
            member.circle,
            asked_at=now,
            closes_at=deadline(theme, zone),
            due=earliest_send(theme),
        )


__all__ = ["AlreadyAsking", "Asker", "Asking", "CannotAsk", "QuestionForm", "parse_question"]
