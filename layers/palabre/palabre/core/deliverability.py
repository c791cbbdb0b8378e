"""When new sends pause: the rolling 24-hour bounce and complaint rates, held below the
rates at which SES puts an account under review (5 % bounces, 0.1 % complaints), with a
minimum of sends so that one bounce out of three emails pauses nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BOUNCE_LIMIT = 0.04
COMPLAINT_LIMIT = 0.0008
MIN_SENDS = 200
"""emails in 24 hours before a rate counts: SES itself judges rates over a
representative volume, and below it 8 bounces would already pass 4 %"""
WINDOW = timedelta(hours=24)
WEEK = timedelta(days=7)
"""what the admin space's rates cover (the hourly counts are kept a day longer)"""


@dataclass(frozen=True)
class Figures:
    """Sends, permanent bounces and complaints over the last 24 hours."""

    sends: int = 0
    bounces: int = 0
    complaints: int = 0

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sends if self.sends else 0.0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.sends + other.sends,
            self.bounces + other.bounces,
            self.complaints + other.complaints,
        )


def too_many(figures: Figures) -> str | None:
    """Why sending must pause ("bounces" or "complaints"), or None."""
    if figures.sends < MIN_SENDS:
        return None
    if figures.bounce_rate > BOUNCE_LIMIT:
        return "bounces"
    if figures.complaint_rate > COMPLAINT_LIMIT:
        return "complaints"
    return None


def hour_of(moment: datetime) -> str:
    """The UTC hour a count is filed under: `2026-12-01T09`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")
