"""What the console says about time: instants on the application's wall clock (never UTC
arithmetic), a clock move told step by step as it runs, and each mistake as one sentence."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sam_moto.runtime import Invocation

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NOTABLE_KEPT = 200
"""the steps a move keeps to show once it is over (the stream has them all)"""


class ConsoleError(Exception):
    """Something the console cannot do, said as one sentence; `status` is its HTTP code."""

    status = 400

    def __init__(self, sentence: str, **detail: Any) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.detail = detail


class BadRequest(ConsoleError):
    status = 400


class ForeignPage(ConsoleError):
    """A POST to the console from another site's page (its Origin): refused, nothing done."""

    status = 403


class Conflict(ConsoleError):
    status = 409


class NotFound(ConsoleError):
    status = 404


class Unprocessable(ConsoleError):
    status = 422


class NotReady(ConsoleError):
    status = 503


class Failed(ConsoleError):
    status = 502


def wall_clock(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """'Tuesday 1 December 2026, 09:05' as the zone's clocks showed it (English names
    whatever the process's locale)."""
    local = moment.astimezone(zone) if zone is not None and moment.tzinfo else moment
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M}"
    )


def local_instant(text: str, zone: ZoneInfo) -> datetime:
    """A date and time as a person types it (the form's datetime-local field, no offset)
    read on the zone's clocks; one sentence when it cannot be."""
    if not text.strip():
        raise BadRequest("Give the date and time to move the clock to.")
    try:
        typed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(
            f"“{text.strip()}” is not a date and time: pick one, e.g. 2026-12-01 at 09:00."
        ) from None
    if typed.tzinfo is not None:
        return typed
    moment = typed.replace(tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != typed:
        raise BadRequest(
            f"{wall_clock(typed)} does not exist in {zone.key}: the clocks go forward that "
            "night; pick a time an hour later."
        )
    # In UTC: a time the clocks repeat in autumn (its first pass) then compares as it reads.
    return moment.astimezone(UTC)


def backwards(moment: datetime, current: datetime, zone: ZoneInfo) -> Conflict:
    return Conflict(
        f"The clock only moves forward: {wall_clock(moment, zone)} is before the clock, "
        f"which shows {wall_clock(current, zone)} ({zone.key}).",
        now=current.astimezone(UTC).isoformat(),
    )


def busy(current: datetime, zone: ZoneInfo) -> Conflict:
    return Conflict(
        f"The clock is already moving (it shows {wall_clock(current, zone)}): wait for that "
        "move to end, then try again.",
        now=current.astimezone(UTC).isoformat(),
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@dataclass
class Step:
    """One firing on the way and the work it caused."""

    at: datetime
    function: str
    ran: list[Invocation]
    emails: int

    @property
    def failed(self) -> list[Invocation]:
        return [i for i in self.ran if i.error is not None]

    @property
    def notable(self) -> bool:
        return bool(self.emails or self.failed)

    def text(self, zone: ZoneInfo, names: Mapping[str, str]) -> str:
        what = names.get(self.function, self.function)
        said = [_plural(self.emails, "email sent", "emails sent")] if self.emails else []
        if self.failed:
            failing = sorted({names.get(i.function, i.function) for i in self.failed})
            said.append(
                _plural(len(self.failed), "run failed", "runs failed")
                + f" ({', '.join(failing)}: retried, then parked in a dead-letter queue)"
            )
        return f"{wall_clock(self.at, zone)} — {what}: {', '.join(said) or 'nothing to do'}"


@dataclass
class Move:
    """A clock move as it runs: each step told to `tell` (the stream), the notable ones
    kept, and its summary once over."""

    zone: ZoneInfo
    names: Mapping[str, str]
    emails_sent: Callable[[], int]
    """how many emails the stack holds now (a step's emails are the difference)"""
    function_of: Mapping[str, str]
    """a schedule's name -> the function it invokes"""
    tell: Callable[[dict[str, Any]], None] = lambda _: None
    steps: int = 0
    emails: int = 0
    failures: int = 0
    kept: list[str] = field(default_factory=list)
    _seen: int = 0

    def __post_init__(self) -> None:
        self._seen = self.emails_sent()

    def step(self, at: datetime, schedule: str, ran: list[Invocation]) -> None:
        seen = self.emails_sent()
        step = Step(at, self.function_of.get(schedule, schedule), ran, max(0, seen - self._seen))
        self._seen = seen
        self.steps += 1
        self.emails += step.emails
        self.failures += len(step.failed)
        text = step.text(self.zone, self.names)
        if step.notable and len(self.kept) < NOTABLE_KEPT:
            self.kept.append(text)
        self.tell(
            {
                "event": "step",
                "at": at.astimezone(self.zone).isoformat(),
                "when": wall_clock(at, self.zone),
                "text": text,
                "emails": step.emails,
                "failed": len(step.failed),
                "notable": step.notable,
            }
        )

    def summary(self, now: datetime, ran: list[Invocation]) -> dict[str, Any]:
        """What the move did, once over; `ran` is all of it (the last drain included)."""
        seen = self.emails_sent()
        self.emails += max(0, seen - self._seen)  # the work after the last firing
        self._seen = seen
        self.failures = sum(1 for i in ran if i.error is not None)
        failed = (
            _plural(self.failures, "run failed", "runs failed")
            + " (see the dead-letter queues and recent invocations)"
            if self.failures
            else "nothing failed"
        )
        return {
            "event": "done",
            "now": now.astimezone(self.zone).isoformat(),
            "when": wall_clock(now, self.zone),
            "text": f"The clock shows {wall_clock(now, self.zone)}: "
            f"{_plural(self.steps, 'scheduled run', 'scheduled runs')}, "
            f"{_plural(self.emails, 'email sent', 'emails sent')}, {failed}.",
            "steps": self.kept,
        }
