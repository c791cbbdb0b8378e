"""The one clock every time-dependent decision reads, and the one way code waits.

Production reads the system clock and sleeps for real; the local stack installs its own
clock (and a sleep that moves it) so that moving its clock moves send times, deadlines,
token expiry, streaks and digest weeks together.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], datetime]
type Sleep = Callable[[float], None]


def system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = system_clock
_sleep: Sleep = time.sleep


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return _clock()


def sleep(seconds: float) -> None:
    """Waits `seconds` on this clock (the sender's pace is the one caller)."""
    _sleep(seconds)


def use(clock: Clock, sleep: Sleep | None = None) -> None:
    global _clock, _sleep
    _clock = clock
    _sleep = sleep or time.sleep


def reset() -> None:
    use(system_clock)
