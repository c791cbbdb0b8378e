"""Time travel: the stack's clock moves forward, and every schedule due on the way fires
in order, with the clock standing at its firing time while it and the work it causes
run — as if the time had passed by itself."""

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sam_moto.clock import LocalClock
from sam_moto.pollers import Pollers
from sam_moto.provision import Provisioned
from sam_moto.runtime import Invocation, Runtime
from sam_moto.schedules import Expression

type Progress = Callable[[datetime, str, list[Invocation]], None]
"""told after each firing on the way: (its time, the schedule's name, what ran)"""


class TimeTravel:
    def __init__(
        self,
        provisioned: Provisioned,
        runtime: Runtime,
        pollers: Pollers,
        clock: LocalClock,
        client: Callable[[str], Any],
        region: str,
    ) -> None:
        self.provisioned = provisioned
        self.runtime = runtime
        self.pollers = pollers
        self.clock = clock
        self.client = client
        self.region = region
        self.lock = pollers.lock
        self._last_tick = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, interval: float = 1.0) -> None:
        """Follow real time: fire due schedules and run pending work every `interval`."""

        def loop() -> None:
            while not self._stop.wait(interval):
                self.tick()

        self._thread = threading.Thread(target=loop, name="local-stack-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def fire(self, schedule_name: str, at: datetime) -> Invocation:
        schedule = next(s for s in self.provisioned.schedules if s.name == schedule_name)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = (
            schedule.input.replace("<aws.scheduler.scheduled-time>", stamp)
            .replace("<aws.scheduler.schedule-arn>", f"arn:aws:scheduler:::{schedule.name}")
            .replace("<aws.scheduler.execution-id>", stamp)
            .replace("<aws.scheduler.attempt-number>", "1")
        )
        # EventBridge Scheduler invokes a function asynchronously: Lambda accepting the
        # event is a success to it, so its retry policy and dead-letter queue cover only a
        # failure to invoke, which cannot happen here. A run that fails is Lambda's to
        # retry, then to send to the function's on-failure destination (or to drop).
        return self.pollers.invoke_async(schedule.function, json.loads(payload))

    def _due(self, after: datetime, until: datetime) -> list[tuple[datetime, str]]:
        due = [
            (moment, schedule.name)
            for schedule in self.provisioned.schedules
            if schedule.enabled
            for moment in Expression(schedule.expression, schedule.timezone).fires(after, until)
        ]
        return sorted(due)

    def advance_to(self, moment: datetime, progress: Progress | None = None) -> list[Invocation]:
        """Move the clock forward, firing every schedule due on the way, in order: the
        clock stands at each firing's time while it and the work it causes run, as it
        would have had time passed by itself. `progress` hears of each firing once its
        work has run (the console streams it)."""
        with self.lock:
            if moment < self.clock():
                self.clock.move_to(moment)  # refused (ClockBackwards) before anything runs
            return self._catch_up(moment, progress=progress)

    def tick(self) -> list[Invocation]:
        """What real time brings: due schedules, and pending work — a stream trigger's
        batching window waits, on the stack's clock, as Lambda's does."""
        with self.lock:
            return self._catch_up(self.clock(), patient=True)

    def _catch_up(
        self, until: datetime, patient: bool = False, progress: Progress | None = None
    ) -> list[Invocation]:
        ran: list[Invocation] = []
        cloudwatch = self.pollers.cloudwatch
        for at, name in self._due(self._last_tick, until):
            if at > self.clock():
                self.clock.move_to(at)
            cloudwatch.time_passed()  # the queues as they stood when the time came
            step = [self.fire(name, at), *self.pollers.drain(patient=patient)]
            ran.extend(step)
            if progress is not None:
                progress(at, name, step)
        if until > self.clock():  # the work may have run the clock past it already
            self.clock.move_to(until)
        self._last_tick = max(self._last_tick, until)
        cloudwatch.time_passed()
        ran.extend(self.pollers.drain(patient=patient))
        cloudwatch.flush()
        return ran
