"""What a member's space shows on its home page, in three requests whatever their history:

1. their latest prompts (GSI1 `MEMBER#<mid>`, newest first): the themes sent to them,
   their deadlines, and the circle they were sent in;
2. their circle's latest answers (GSI2 `CIRCLE#<circle>`, newest week first);
3. one BatchGetItem: their profile, score and streak, the themes of both lists, and their
   own answers to the prompts their streak has not settled yet.

Nothing is written: the streak shown is computed as the digest computes it, and settled
only by the digest.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.core.models import Answer, Member, Prompt, Theme
from palabre.core.streaks import PromptFact, StreakState, advance_streak
from palabre.store import keys
from palabre.store.members import member_from
from palabre.store.sends import streak_state
from palabre.store.table import Item, Table
from palabre.store.themes import theme_from

PROMPTS_READ = 60
"""latest prompts read: more than a year of weekly themes, a few dozen KB"""
CIRCLE_ANSWERS = 8
"""the circle's latest answers shown"""


@dataclass(frozen=True)
class OpenTheme:
    theme: Theme
    prompt: Prompt
    answered: bool


@dataclass(frozen=True)
class SpaceHome:
    member: Member | None
    """None: the member left the roster (the page says only what it still knows)"""
    first_name: str
    locale: str
    timezone: str
    circle: str
    points: int
    streak: int
    open_themes: list[OpenTheme]
    circle_answers: list[tuple[Theme, Answer]]
    """the circle's latest answers the member may read, with their themes"""


class SpaceReads:
    def __init__(self, table: Table) -> None:
        self.table = table

    def home(self, member_id: str, now: datetime) -> SpaceHome | None:
        """None when nothing was ever sent to this member and they are not in the roster."""
        prompts = [
            Prompt.model_validate(item)
            for item in self.table.query(
                keys.member_partition(member_id),
                index="GSI1",
                between=(keys.PROMPT_HISTORY, keys.PROMPT_HISTORY_END),
                forward=False,
                limit=PROMPTS_READ,
            )
        ]
        sent = [p for p in prompts if p.sent]
        latest = sent[0] if sent else None
        answers = self._circle_answers(latest.circle) if latest and latest.circle else []
        still_open = [p for p in sent if p.deadline is not None and now < p.deadline]
        found = self._batch(member_id, sent, [p.theme_id for p in still_open], answers)
        partition = keys.member_partition(member_id)
        profile = found.get((partition, "PROFILE"))
        if latest is None and profile is None:
            return None
        member = member_from(profile) if profile else None
        mine = {p.theme_id for p in sent if _pair(keys.answer(p.theme_id, member_id)) in found}
        themes = {
            pk.removeprefix("THEME#"): theme_from(item)
            for (pk, sk), item in found.items()
            if sk == "THEME"
        }
        open_themes = [
            OpenTheme(themes[p.theme_id], p, p.theme_id in mine)
            for p in reversed(still_open)  # the soonest deadline first
            if p.theme_id in themes and themes[p.theme_id].active
        ]
        waiting = {o.theme.id for o in open_themes if not o.answered}
        return SpaceHome(
            member=member,
            first_name=(member.first_name if member else "")
            or (latest.first_name if latest else ""),
            locale=member.locale if member else (latest.locale if latest else "en"),
            timezone=member.timezone if member else (latest.timezone if latest else "UTC"),
            circle=latest.circle if latest else (member.circle if member else ""),
            points=int((found.get((partition, "SCORE")) or {}).get("points", 0)),
            streak=_streak(streak_state(found.get((partition, "STREAK"))), sent, mine, now),
            open_themes=open_themes,
            circle_answers=[
                (themes[a["theme_id"]], Answer.model_validate(a))
                for a in answers
                # Give to get: an open theme's answers wait until the member has answered.
                if a["theme_id"] not in waiting and a["theme_id"] in themes
            ],
        )

    def _circle_answers(self, circle: str) -> list[Item]:
        return list(
            self.table.query(
                keys.circle_partition(circle),
                index="GSI2",
                prefix=keys.ANSWERS,
                forward=False,
                limit=CIRCLE_ANSWERS,
            )
        )

    def _batch(
        self, member_id: str, sent: list[Prompt], open_ids: list[str], answers: list[Item]
    ) -> dict[tuple[str, str], Item]:
        """Profile, score, streak; the open themes and those of the circle's answers; the
        member's answers to every prompt read (the streak's facts). Under a hundred keys:
        one BatchGetItem."""
        partition = keys.member_partition(member_id)
        wanted = [
            {"PK": partition, "SK": "PROFILE"},
            keys.score(member_id),
            keys.streak(member_id),
            *(keys.theme(t) for t in [*open_ids, *(a["theme_id"] for a in answers)]),
            *(keys.answer(p.theme_id, member_id) for p in sent),
        ]
        unique = {_pair(k): k for k in wanted}
        return {_pair(i): i for i in self.table.get_many(list(unique.values()))}


def _pair(key: Mapping[str, Any]) -> tuple[str, str]:
    return key["PK"], key["SK"]


def _streak(state: StreakState, sent: list[Prompt], answered: set[str], now: datetime) -> int:
    """The streak as the digest shows it: settled, then the prompts since."""
    facts = [
        PromptFact(p.theme_id, p.sent_at, p.deadline, p.theme_id in answered)
        for p in sent
        if p.sent_at is not None
        and p.deadline is not None
        and keys.prompt_in_history(p.sent_at.isoformat(), p.theme_id) > state.through
    ]
    shown, _ = advance_streak(state, facts, now)
    return shown
