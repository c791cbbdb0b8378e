"""Streaks: consecutive themes answered, as settled prompt by prompt.

The rule (docs/journeys.md, "Streaks and jokers"): a theme answered adds one; a theme
whose deadline passed unanswered breaks the streak, except that one such miss per
calendar quarter (the quarter of the day it was sent, in the member's timezone) is
forgiven while there is a streak to keep — the quarter's joker; a theme sent on a day of
a declared absence never breaks it. A theme still open neither counts nor breaks it yet.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

JOKER_NEWS = timedelta(days=7)
"""how long a joker used is news (the weekly digest says so once)"""


@dataclass(frozen=True)
class PromptFact:
    """A theme addressed to a member: when it was sent, its deadline, whether answered."""

    theme_id: str
    sent_at: datetime
    deadline: datetime
    answered: bool
    sent_on: date | None = None
    """the day it was sent, in the member's timezone (default: sent_at's own date)"""
    excused: bool = False
    """sent on a day of an absence the member declared: missing it breaks nothing"""

    @property
    def quarter(self) -> str:
        return quarter(self.sent_on or self.sent_at.date())


@dataclass(frozen=True)
class StreakState:
    """The streak as of the last settled prompt (answered, or closed unanswered)."""

    streak: int = 0
    through: str = ""
    """sort key (PROMPT#<sent_at>#<theme>) of the last settled prompt"""
    best: int = 0
    """the longest streak reached"""
    joker_quarter: str = ""
    """the last quarter whose joker was used (2026-Q4)"""
    joker_at: str = ""
    """when that joker was used: the deadline of the theme it forgave (ISO 8601)"""


@dataclass(frozen=True)
class StreakFigures:
    """What the digest and the space show."""

    current: int = 0
    best: int = 0
    jokers_left: int = 1
    """this quarter's (0 or 1)"""
    joker_used: bool = False
    """a joker forgave a theme that closed in the last seven days"""


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def advance_streak(
    state: StreakState, prompts: Iterable[PromptFact], now: datetime
) -> tuple[StreakState, StreakState]:
    """(streak to show now, state to keep) after the prompts sent since `state.through`.

    The state only moves past settled prompts, so a theme still open (and every theme
    after it) is looked at again next time: the state kept never holds a joker or a
    break that a theme still open could change.
    """
    shown = settled = state
    open_before = False
    for fact in sorted(prompts, key=lambda f: (f.sent_at, f.theme_id)):
        after = _settle(shown, fact, now)
        if after is None:
            open_before = True
            continue
        shown = after
        if not open_before:
            settled = shown = replace(
                after, through=f"PROMPT#{fact.sent_at.isoformat()}#{fact.theme_id}"
            )
    return shown, settled


def _settle(state: StreakState, fact: PromptFact, now: datetime) -> StreakState | None:
    """The state after one prompt; None while it is open and unanswered."""
    if fact.answered:
        streak = state.streak + 1
        return replace(state, streak=streak, best=max(state.best, streak))
    if now < fact.deadline:
        return None
    if fact.excused:
        return state
    if state.streak > 0 and state.joker_quarter != fact.quarter:
        return replace(state, joker_quarter=fact.quarter, joker_at=fact.deadline.isoformat())
    return replace(state, streak=0)


def figures(shown: StreakState, now: datetime, today: date) -> StreakFigures:
    """The figures of a streak as shown `now`, `today` being the member's local day."""
    used = datetime.fromisoformat(shown.joker_at) if shown.joker_at else None
    return StreakFigures(
        current=shown.streak,
        best=max(shown.best, shown.streak),
        jokers_left=0 if shown.joker_quarter == quarter(today) else 1,
        joker_used=used is not None and now - JOKER_NEWS < used <= now,
    )
