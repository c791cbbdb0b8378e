"""Answers: one per (theme, member), in the theme's partition; listed by circle and week
(GSI2) for the digest, and by week (GSI1)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from palabre.core.attribution import initial
from palabre.core.models import (
    Answer,
    Attribution,
    Member,
    Prompt,
    Theme,
    Visibility,
    group_key,
)
from palabre.core.retention import expires_at
from palabre.store import keys
from palabre.store.members import profile_member
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.themes import theme_from


@dataclass(frozen=True)
class AnswerSlot:
    """What an answer link opens: the theme, the send record, the answer if any, and the
    initial of the author's last name in the roster (what a named answer keeps)."""

    theme: Theme | None
    prompt: Prompt | None
    answer: Answer | None
    last_initial: str = ""
    member: Member | None = None
    """the author's profile (None once erased)"""


@dataclass(frozen=True)
class NewText:
    """What a member writes: the rest of the answer is kept from its first version."""

    text: str
    visibility: Visibility
    points: int
    """what a first version earns (kept, never recomputed by an edit)"""
    attribution: Attribution = Attribution.NAMED
    last_initial: str = ""


class ChangedMeanwhile(Exception):
    """The answer was not the version expected; `found` is the one stored now."""

    def __init__(self, found: Answer | None) -> None:
        super().__init__("the answer changed meanwhile")
        self.found = found


WRITE_ANSWER = (
    "SET #text = :text, visibility = :visibility, updated_at = :now, "
    "created_at = if_not_exists(created_at, :now), "
    "version = if_not_exists(version, :zero) + :one, "
    "week = if_not_exists(week, :week), points = if_not_exists(points, :points), "
    "theme_id = :theme, member_id = :member, #type = :type, "
    "circle = :circle, team = :team, first_name = :first_name, "
    "last_initial = :last_initial, attribution = :attribution, "
    "GSI1PK = if_not_exists(GSI1PK, :gsi1pk), "
    "GSI1SK = if_not_exists(GSI1SK, :gsi1sk), "
    "GSI2PK = if_not_exists(GSI2PK, :gsi2pk), "
    "GSI2SK = if_not_exists(GSI2SK, :gsi2sk)"
)
"""AnswerStore.write's update: the first write creates, later ones keep created_at, the
week, the points and the index keys (the table contract test runs it as it is)"""
KEPT_UNTIL = ", expires_at = if_not_exists(expires_at, :expires)"
"""the retention of an answer runs from its first version (core/retention.py)"""
NARROWED = " REMOVE GSI3PK, GSI3SK, library_at, library_by, starred_by"
"""added to an answer kept for the circle: out of the library (store/library.py), whose
index is GSI3 — the author's choice of audience is never widened"""


class AnswerStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def slot(self, theme_id: str, member_id: str, *, consistent: bool = False) -> AnswerSlot:
        """Theme, send record, answer and the author's profile in one BatchGetItem
        (`consistent`: as of every write acknowledged before it, such as the answer the
        thank-you page follows)."""
        found = {
            i["SK"]: i
            for i in self.table.get_many(
                [
                    keys.theme(theme_id),
                    keys.prompt(theme_id, member_id),
                    keys.answer(theme_id, member_id),
                    keys.member(member_id),
                ],
                consistent=consistent,
            )
        }
        record = found.get(f"PROMPT#{member_id}")
        answer = found.get(f"ANSWER#{member_id}")
        member = profile_member(found.get("PROFILE"), self.table)
        return AnswerSlot(
            theme=theme_from(found["THEME"]) if "THEME" in found else None,
            prompt=Prompt.model_validate(record) if record else None,
            answer=Answer.model_validate(answer) if answer else None,
            last_initial=initial(member.last_name if member else ""),
            member=member,
        )

    def write(
        self,
        theme: Theme,
        prompt: Prompt,
        new: NewText,
        *,
        expected_version: int | None,
        week: str,
        now: datetime,
    ) -> Answer:
        """One conditional write: the first version when `expected_version` is None, else
        an edit of that version. The first write creates; later ones keep created_at, the
        week, the points and the index keys. Raises ChangedMeanwhile, with no read of its
        own, when the answer is not as expected.

        An anonymous answer keeps no name of its author (the digest, the report and the
        exports read names from the answer); its circle stays, for who may read it."""
        member_id = prompt.member_id
        named = new.attribution is Attribution.NAMED
        expected = {} if expected_version is None else {":expected": expected_version}
        try:
            stored = self.table.update(
                keys.answer(theme.id, member_id),
                WRITE_ANSWER
                + KEPT_UNTIL
                + (NARROWED if new.visibility is Visibility.CIRCLE else ""),
                {
                    ":text": new.text,
                    ":visibility": new.visibility.value,
                    ":now": now.isoformat(),
                    ":zero": 0,
                    ":one": 1,
                    ":week": week,
                    ":points": new.points,
                    ":theme": theme.id,
                    ":member": member_id,
                    ":type": "answer",
                    ":circle": prompt.circle,
                    ":team": prompt.team,
                    ":first_name": prompt.first_name if named else "",
                    ":last_initial": new.last_initial if named else "",
                    ":attribution": new.attribution.value,
                    ":gsi1pk": keys.week_partition(week),
                    ":gsi1sk": f"ANSWER#{group_key(prompt.circle)}#{theme.id}#{member_id}",
                    ":gsi2pk": keys.circle_partition(prompt.circle),
                    ":gsi2sk": f"{keys.answers_of_week(week)}{theme.id}#{member_id}",
                    ":expires": expires_at(now, self.table.retention_months),
                    **expected,
                },
                names={"#text": "text", "#type": "type"},
                condition="attribute_not_exists(PK)"
                if expected_version is None
                else "version = :expected",
                returns="ALL_NEW",
            )
        except ConditionFailed as failed:
            found = failed.item
            raise ChangedMeanwhile(Answer.model_validate(found) if found else None) from None
        return Answer.model_validate(stored)

    # ------------------------------------------------------------------ the digest's reads
    def of_week(self, circle: str, week: str) -> Iterator[Item]:
        """A circle's answers written during `week`."""
        return self.table.query(
            keys.circle_partition(circle), index="GSI2", prefix=keys.answers_of_week(week)
        )

    def voted_in_week(self, circle: str, week: str) -> set[tuple[str, str]]:
        """(theme, author) of the circle's answers voted useful during `week`, whenever
        they were written."""
        return {
            (i["theme_id"], i["author_id"])
            for i in self.table.query(
                keys.circle_partition(circle), index="GSI2", prefix=keys.votes_of_week(week)
            )
        }

    def get_many(self, answers: Iterable[tuple[str, str]]) -> list[Item]:
        """The answers named by (theme, author), in one BatchGetItem per hundred."""
        return self.table.get_many([keys.answer(t, a) for t, a in answers])

    def of_theme(self, theme_id: str) -> list[Answer]:
        """Every answer to a theme: one Query of its partition's answers (a page per MB)."""
        items = self.table.query(keys.theme_partition(theme_id), prefix=keys.ANSWERS)
        return [Answer.model_validate(i) for i in items]
