"""A member's answer to a theme, through their personal link.

On the request path: one read (theme, send record and answer in one BatchGetItem) and,
for a POST, one conditional write, which on a conflict returns what it found. One answer
per (theme, member); an edit keeps `created_at` and bumps `version`.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from palabre.core.i18n import N_, Translatable
from palabre.core.links import in_roster, writer
from palabre.core.local_time import iso_week
from palabre.core.models import Answer, Attribution, Member, Prompt, Theme, Visibility
from palabre.core.points import FAST_BONUS, sent_within_bonus
from palabre.core.text import control_characters, without_spoofing
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.answers import AnswerStore, ChangedMeanwhile, NewText
from palabre.store.table import Table

MAX_ANSWER = 5000


def _normalised(value: str) -> str:
    return without_spoofing(value.replace("\r\n", "\n").replace("\r", "\n")).strip()


class AnswerForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    answer: str = Field(max_length=MAX_ANSWER * 4)
    visibility: Visibility = Visibility.CIRCLE
    attribution: Attribution = Attribution.NAMED
    version: int | None = Field(default=None, ge=0)
    """the answer's version the form showed (0: none yet); None when the form sent none"""

    @field_validator("answer")
    @classmethod
    def _clean(cls, value: str) -> str:
        value = _normalised(value)
        if control_characters(value, multiline=True):
            raise ValueError("control")
        if not value:
            raise ValueError("empty")
        if len(value) > MAX_ANSWER:
            raise ValueError("long")
        return value


@dataclass(frozen=True)
class AnswerView:
    theme: Theme
    prompt: Prompt
    answer: Answer | None
    closed: bool
    last_initial: str = ""
    """of the author's last name in the roster now: what a named answer keeps"""
    left: bool = False
    """the member is no longer in the roster: the page only reads (core.links.writer)"""
    member: Member | None = None
    """the author's profile in the roster now (None once erased)"""

    @property
    def member_id(self) -> str:
        return self.prompt.member_id

    @property
    def deadline(self) -> datetime:
        if self.prompt.deadline is None:
            raise ValueError("a prompt that was sent has a deadline")
        return self.prompt.deadline


@dataclass(frozen=True)
class Saved:
    view: AnswerView
    created: bool
    points: int
    """what this answer will earn: the theme's points (+ bonus) when new, 0 for an edit"""


class EditedMeanwhile(Exception):
    """The answer changed between the form being shown and this write; `latest` is the
    version now saved (what the failed write found: no read of its own)."""

    def __init__(self, latest: "Answer | None") -> None:
        super().__init__("the answer was edited meanwhile")
        self.latest = latest


class Closed(Exception):
    def __init__(self, view: AnswerView) -> None:
        super().__init__("the deadline has passed")
        self.view = view


class Answers:
    def __init__(self, table: Table, signer: Signer, organisation_zone: ZoneInfo) -> None:
        self.store = AnswerStore(table)
        self.signer = signer
        self.zone = organisation_zone

    def open(
        self, token: str, now: datetime, *, consistent: bool = False, write: bool = False
    ) -> AnswerView:
        """`consistent`: read after the member's own write (the thank-you page it led to);
        `write`: to write, which only a member still in the roster may (core.links.writer)."""
        theme_id, member_id = self.signer.context_and_member(Purpose.ANSWER, token, now)
        return self.open_slot(theme_id, member_id, now, consistent=consistent, write=write)

    def open_slot(
        self,
        theme_id: str,
        member_id: str,
        now: datetime,
        *,
        consistent: bool = False,
        write: bool = False,
    ) -> AnswerView:
        """What `open` opens, for a member and theme known otherwise (a reply by email,
        whose address named them: palabre.inbound)."""
        slot = self.store.slot(theme_id, member_id, consistent=consistent)
        prompt = slot.prompt
        if slot.theme is None or prompt is None or not prompt.sent or prompt.deadline is None:
            raise InvalidToken
        if write:
            writer(slot.member)
        return AnswerView(
            theme=slot.theme,
            prompt=prompt,
            answer=slot.answer,
            closed=now >= prompt.deadline,
            last_initial=slot.last_initial,
            left=not in_roster(slot.member),
            member=slot.member,
        )

    def save(self, view: AnswerView, form: AnswerForm, now: datetime) -> Saved:
        """Stores the answer of an opened link: one conditional write."""
        if view.closed:
            raise Closed(view)
        prompt = view.prompt
        # Optimistic concurrency: the write holds only if the answer is still the version
        # the form showed, so an edit made meanwhile (another window) is never lost.
        version = view.answer.version if view.answer else None
        if form.version is not None and form.version != (version or 0):
            raise EditedMeanwhile(view.answer)
        points = view.theme.points
        if prompt.sent_at is not None and sent_within_bonus(prompt.sent_at, now):
            points += FAST_BONUS
        try:
            answer = self.store.write(
                view.theme,
                prompt,
                NewText(form.answer, form.visibility, points, form.attribution, view.last_initial),
                expected_version=version,
                week=iso_week(now.astimezone(self.zone)),
                now=now,
            )
        except ChangedMeanwhile as changed:
            raise EditedMeanwhile(changed.found) from None
        created = answer.version == 1
        return Saved(
            view=AnswerView(view.theme, prompt, answer, False, view.last_initial),
            created=created,
            points=points if created else 0,
        )


def parse_form(fields: dict[str, list[str]]) -> AnswerForm:
    """The posted form, or Translatable saying what to fix."""
    answer = (fields.get("answer") or [""])[-1]
    visibility = (fields.get("visibility") or [Visibility.CIRCLE.value])[-1]
    attribution = (fields.get("attribution") or [Attribution.NAMED.value])[-1]
    version = (fields.get("version") or [""])[-1]
    try:
        return AnswerForm(
            answer=answer, visibility=visibility, attribution=attribution, version=version or None
        )
    except ValidationError as error:
        problem = error.errors()[0]
        location = problem["loc"][0] if problem["loc"] else "answer"
        if location == "visibility":
            raise Translatable(N_("Choose who can read your answer.")) from None
        if location == "attribution":
            raise Translatable(
                N_("Choose whether to sign your answer with your name or to stay anonymous.")
            ) from None
        if location == "version":
            raise Translatable(N_("This form is out of date: reload the page.")) from None
        reason = re.sub(r"^Value error, ", "", problem.get("msg", ""))
        if reason == "control":
            raise Translatable(
                N_(
                    "Your answer contains invisible control characters (such as NUL); "
                    "remove them and send it again."
                )
            ) from None
        if reason == "empty":
            raise Translatable(N_("Write your answer before sending it.")) from None
        raise Translatable(
            N_("Your answer is %(length)s characters long; the limit is %(limit)s."),
            length=len(_normalised(answer)),  # as the limit counts: a CRLF is one
            limit=MAX_ANSWER,
        ) from None
