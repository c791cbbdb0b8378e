"""The local stack's clock: runs with real time from its start, and only ever moves forward."""

import bisect
import threading
import time
from datetime import datetime, timedelta


class ClockBackwards(Exception):
    def __init__(self, moment: datetime, current: datetime) -> None:
        super().__init__(f"{moment.isoformat()} is before {current.isoformat()}")
        self.moment = moment
        self.current = current


class LocalClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._base = start
        self._anchor = time.monotonic()
        self._lock = threading.Lock()
        self._shown: list[tuple[float, datetime]] = [(time.time(), start)]
        """(real epoch seconds, what the clock showed then): at its start and each jump"""

    def __call__(self) -> datetime:
        with self._lock:
            return self._base + timedelta(seconds=time.monotonic() - self._anchor)

    def move_to(self, moment: datetime) -> None:
        with self._lock:
            current = self._base + timedelta(seconds=time.monotonic() - self._anchor)
            if moment < current - timedelta(milliseconds=1):
                raise ClockBackwards(moment, current)
            self._base = max(moment, current)
            self._anchor = time.monotonic()
            if self._base > current:
                self._shown.append((time.time(), self._base))

    def shown_at(self, epoch: float) -> datetime:
        """What the clock showed at a real instant (epoch seconds). moto stamps messages
        and stream records with real time: their age on the stack's clock counts from here."""
        with self._lock:
            index = bisect.bisect_right(self._shown, epoch, key=lambda shown: shown[0])
            real, shown = self._shown[max(index - 1, 0)]
        return shown + timedelta(seconds=epoch - real)
