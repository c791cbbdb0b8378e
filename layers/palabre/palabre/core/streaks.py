"""Streaks: consecutive themes answered, as settled prompt by prompt."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PromptFact:
    """A theme addressed to a member: when it was sent, its deadline, whether answered."""

    theme_id: str
    sent_at: datetime
    deadline: datetime
    answered: bool


@dataclass(frozen=True)
class StreakState:
    """The streak as of the last settled prompt (answered, or closed unanswered)."""

    streak: int = 0
    through: str = ""
    """sort key (PROMPT#<sent_at>#<theme>) of the last settled prompt"""


def advance_streak(
    state: StreakState, prompts: Iterable[PromptFact], now: datetime
) -> tuple[int, StreakState]:
    """(streak to show now, state to keep) after the prompts sent since `state.through`.

    A streak counts consecutive themes addressed to the member that they answered. An
    open theme not yet answered neither counts nor breaks it; a theme whose deadline
    passed unanswered breaks it. The state only moves past settled prompts, so a theme
    still open is looked at again next time.
    """
    shown = state.streak
    settled = state
    open_before = False
    for fact in sorted(prompts, key=lambda f: (f.sent_at, f.theme_id)):
        sort_key = f"PROMPT#{fact.sent_at.isoformat()}#{fact.theme_id}"
        if fact.answered:
            shown += 1
            if not open_before:
                settled = StreakState(settled.streak + 1, sort_key)
        elif now >= fact.deadline:
            shown = 0
            if not open_before:
                settled = StreakState(0, sort_key)
            else:
                # An older theme is still open; this one broke the streak anyway.
                settled = StreakState(0, settled.through)
        else:
            open_before = True
    return shown, settled
