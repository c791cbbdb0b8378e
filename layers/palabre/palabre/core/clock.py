"""The one clock every time-dependent decision reads.

Production reads the system clock; the local stack installs its own so that moving its
clock moves send times, deadlines, token expiry, streaks and digest weeks together.
"""

from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = system_clock


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return _clock()


def use(clock: Clock) -> None:
    global _clock
    _clock = clock


def reset() -> None:
    use(system_clock)
