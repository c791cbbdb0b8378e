"""The local stack's clock: runs with real time from its start, and only ever moves forward."""

import threading
import time
from datetime import datetime, timedelta


class ClockBackwards(Exception):
    pass


class LocalClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._base = start
        self._anchor = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._base + timedelta(seconds=time.monotonic() - self._anchor)

    def move_to(self, moment: datetime) -> None:
        with self._lock:
            current = self._base + timedelta(seconds=time.monotonic() - self._anchor)
            if moment < current - timedelta(milliseconds=1):
                raise ClockBackwards(f"{moment.isoformat()} is before {current.isoformat()}")
            self._base = max(moment, current)
            self._anchor = time.monotonic()
