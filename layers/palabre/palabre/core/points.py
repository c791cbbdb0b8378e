"""What taking part is worth: points per answer and vote, the fast bonus, and a change of
score as the score stream applies it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

VOTE_POINTS = 2
FAST_BONUS = 5
FAST_WINDOW = timedelta(hours=48)


def sent_within_bonus(sent_at: datetime, answered_at: datetime) -> bool:
    """Whether an answer came soon enough after its email to earn FAST_BONUS."""
    return answered_at - sent_at <= FAST_WINDOW


@dataclass(frozen=True)
class Change:
    """What one event (a prompt sent, an answer given, a vote received) changes in a
    member's score and their team's and circle's standings; `cause` names the event, so
    that it is counted once, and `day` (YYYYMMDD, UTC) is when it was recorded."""

    cause: str
    member: str
    team: str
    circle: str
    points: int = 0
    answers: int = 0
    prompts: int = 0
    useful: tuple[str, str] | None = None
    """(theme, author) of an answer voted useful"""
    voter_circle: str = ""
    """the voter's circle (folded), kept on the answer voted useful: the library counts
    votes from two circles at least"""
    day: str = ""
    theme: str = ""
    """the theme a prompt, an answer or an attendance is about: its tally (store/tallies.py)
    counts it; "" for a vote, which no tally counts"""


@dataclass(frozen=True)
class Standing:
    name: str
    points: int
    answers: int
    prompts: int

    @property
    def participation(self) -> float:
        return self.answers / self.prompts if self.prompts else 0.0


def ranked(standings: "list[Standing]") -> list[Standing]:
    """By participation rate first, so a small team that answers everything can win;
    points then break ties."""
    return sorted(standings, key=lambda s: (-s.participation, -s.points, s.name))
