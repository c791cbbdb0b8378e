"""Journey 3: a member's answer to a theme, through their personal link.

On the request path: one read (theme, send record and answer in one BatchGetItem) and,
for a POST, one conditional write, which on a conflict returns what it found. One answer
per (theme, member); an edit keeps `created_at` and bumps `version`.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from palabre.core.i18n import N_
from palabre.core.local_time import iso_week
from palabre.core.models import Answer, Prompt, Theme, Visibility, group_key
from palabre.core.text import control_characters
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.scoring.awards import FAST_BONUS, sent_within_bonus
from palabre.store import keys
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.themes import theme_from

MAX_ANSWER = 5000


class AnswerInvalid(ValueError):
    """The form is wrong; `message` is a message id to show next to the field."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _normalised(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class AnswerForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    answer: str = Field(max_length=MAX_ANSWER * 4)
    visibility: Visibility = Visibility.CIRCLE
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
    def __init__(self, table: Table, signer: Signer, organisation_zone: Any) -> None:
        self.table = table
        self.signer = signer
        self.zone = organisation_zone

    def open(self, token: str, now: datetime) -> AnswerView:
        claims = self.signer.verify(Purpose.ANSWER, token, now)
        if len(claims.ids) != 2:
            raise InvalidToken
        theme_id, member_id = claims.ids
        found = {
            i["SK"]: i
            for i in self.table.get_many(
                [
                    keys.theme(theme_id),
                    keys.prompt(theme_id, member_id),
                    keys.answer(theme_id, member_id),
                ]
            )
        }
        record = found.get(f"PROMPT#{member_id}")
        if "THEME" not in found or record is None:
            raise InvalidToken
        prompt = Prompt.model_validate(record)
        if not prompt.sent or prompt.deadline is None:
            raise InvalidToken
        answer = found.get(f"ANSWER#{member_id}")
        return AnswerView(
            theme=theme_from(found["THEME"]),
            prompt=prompt,
            answer=Answer.model_validate(answer) if answer else None,
            closed=now >= prompt.deadline,
        )

    def save(self, view: AnswerView, form: AnswerForm, now: datetime) -> Saved:
        """Stores the answer of an opened link: one conditional write."""
        if view.closed:
            raise Closed(view)
        prompt = view.prompt
        week = iso_week(now.astimezone(self.zone))
        circle_key = group_key(prompt.circle)
        # Optimistic concurrency: the write holds only if the answer is still the version
        # the form showed, so an edit made meanwhile (another window) is never lost.
        version = view.answer.version if view.answer else None
        if form.version is not None and form.version != (version or 0):
            raise EditedMeanwhile(view.answer)
        condition = "attribute_not_exists(PK)" if version is None else "version = :expected"
        # First write creates; later ones keep created_at, the week and its index keys.
        points = view.theme.points
        if prompt.sent_at is not None and sent_within_bonus(prompt.sent_at, now):
            points += FAST_BONUS
        try:
            stored = self._write(view, form, now, week, circle_key, condition, version, points)
        except ConditionFailed as failed:
            found = failed.item
            raise EditedMeanwhile(Answer.model_validate(found) if found else None) from None
        answer = Answer.model_validate(stored)
        created = answer.version == 1
        return Saved(
            view=AnswerView(view.theme, prompt, answer, False),
            created=created,
            points=points if created else 0,
        )

    def _write(
        self,
        view: AnswerView,
        form: AnswerForm,
        now: datetime,
        week: str,
        circle_key: str,
        condition: str,
        version: int | None,
        points: int,
    ) -> Item:
        prompt = view.prompt
        expected = {} if version is None else {":expected": version}
        return self.table.update(
            keys.answer(view.theme.id, view.member_id),
            "SET #text = :text, visibility = :visibility, updated_at = :now, "
            "created_at = if_not_exists(created_at, :now), "
            "version = if_not_exists(version, :zero) + :one, "
            "week = if_not_exists(week, :week), points = if_not_exists(points, :points), "
            "theme_id = :theme, member_id = :member, #type = :type, "
            "circle = :circle, team = :team, first_name = :first_name, "
            "GSI1PK = if_not_exists(GSI1PK, :gsi1pk), GSI1SK = if_not_exists(GSI1SK, :gsi1sk), "
            "GSI2PK = if_not_exists(GSI2PK, :gsi2pk), GSI2SK = if_not_exists(GSI2SK, :gsi2sk)",
            {
                ":text": form.answer,
                ":visibility": form.visibility.value,
                ":now": now.isoformat(),
                ":zero": 0,
                ":one": 1,
                ":week": week,
                ":points": points,
                ":theme": view.theme.id,
                ":member": view.member_id,
                ":type": "answer",
                ":circle": prompt.circle,
                ":team": prompt.team,
                ":first_name": prompt.first_name,
                ":gsi1pk": keys.week_partition(week),
                ":gsi1sk": f"ANSWER#{circle_key}#{view.theme.id}#{view.member_id}",
                ":gsi2pk": keys.circle_partition(view.prompt.circle),
                ":gsi2sk": f"{keys.answers_of_week(week)}{view.theme.id}#{view.member_id}",
                **expected,
            },
            names={"#text": "text", "#type": "type"},
            condition=condition,
            returns="ALL_NEW",
        )


def parse_form(fields: dict[str, list[str]]) -> AnswerForm:
    """The posted form, or AnswerInvalid saying what to fix."""
    answer = (fields.get("answer") or [""])[-1]
    visibility = (fields.get("visibility") or [Visibility.CIRCLE.value])[-1]
    version = (fields.get("version") or [None])[-1]
    try:
        return AnswerForm(answer=answer, visibility=visibility, version=version or None)
    except ValidationError as error:
        problem = error.errors()[0]
        location = problem["loc"][0] if problem["loc"] else "answer"
        if location == "visibility":
            raise AnswerInvalid(N_("Choose who can read your answer.")) from None
        if location == "version":
            raise AnswerInvalid(N_("This form is out of date: reload the page.")) from None
        reason = re.sub(r"^Value error, ", "", problem.get("msg", ""))
        if reason == "control":
            raise AnswerInvalid(
                N_(
                    "Your answer contains invisible control characters (such as NUL); "
                    "remove them and send it again."
                )
            ) from None
        if reason == "empty":
            raise AnswerInvalid(N_("Write your answer before sending it.")) from None
        raise AnswerInvalid(
            N_("Your answer is %(length)s characters long; the limit is %(limit)s."),
            length=len(_normalised(answer)),  # as the limit counts: a CRLF is one
            limit=MAX_ANSWER,
        ) from None
