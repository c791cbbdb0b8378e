"""Send jobs: what the scheduler, the importer and the digest queue for the sender, one
per email, and what became of each."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter


class JobKind(StrEnum):
    PROMPT = "prompt"
    REMINDER = "reminder"
    DIGEST = "digest"
    REPORT = "report"
    LIVE_CHANGE = "live-change"
    """a live session changed (or cancelled) after its invitation: its new .ics"""
    SEAT_FREED = "seat-freed"
    """a seat freed for a member on a live session's waiting list: they are coming"""
    SESSION_EVE = "session-eve"
    """a live session's reminder, the day before, to those who said yes or maybe"""
    SESSION_HOUR = "session-hour"
    """a live session's reminder, an hour before it starts"""
    ATTENDANCE = "attendance"
    """after a live session, its attendance list to an admin"""


SESSION_REMINDERS = (JobKind.SESSION_EVE, JobKind.SESSION_HOUR)
LIVE_JOBS = (*SESSION_REMINDERS, JobKind.ATTENDANCE)


class _Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    member: str = Field(min_length=1)

    def body(self) -> str:
        return self.model_dump_json()


class ThemeJob(_Job):
    """A theme's prompt, or its reminder, to one member; for a live session, its change
    (or cancellation), the seat a waiting member was given, its reminders, or its
    attendance list to an admin."""

    job: Literal[
        JobKind.PROMPT,
        JobKind.REMINDER,
        JobKind.LIVE_CHANGE,
        JobKind.SEAT_FREED,
        JobKind.SESSION_EVE,
        JobKind.SESSION_HOUR,
        JobKind.ATTENDANCE,
    ]
    theme: str = Field(min_length=1)
    sequence: int = Field(default=0, ge=0)
    """a live session's reminders (SESSION_REMINDERS): the session's sequence when queued;
    once it changed (moved, cancelled), the job sends nothing, its new time's are queued"""

    def body(self) -> str:
        # Only a live session's reminders carry a sequence, and only once it changed.
        return self.model_dump_json(exclude_defaults=True)


class WeeklyJob(_Job):
    """A week's digest, or the admins' report, to one member."""

    job: Literal[JobKind.DIGEST, JobKind.REPORT]
    week: str = Field(pattern=r"^\d{4}-W\d{2}$")


type Job = Annotated[ThemeJob | WeeklyJob, Field(discriminator="job")]
JOB: TypeAdapter[ThemeJob | WeeklyJob] = TypeAdapter(Job)

JOBS_PER_MESSAGE = 2
"""jobs one send-queue message carries at most: a call of ten messages whose last ones
carry two jobs spares the part-filled call that would follow it"""
type Pair = Annotated[list[Job], Field(min_length=2, max_length=JOBS_PER_MESSAGE)]


class JobMessage(RootModel[Job | Pair]):
    """A send-queue message's body: one job (a JSON object), or two (a JSON array)."""

    @property
    def jobs(self) -> list[ThemeJob | WeeklyJob]:
        return self.root if isinstance(self.root, list) else [self.root]


def message_body(jobs: "Sequence[ThemeJob | WeeklyJob]") -> str:
    """The body of a send-queue message carrying these jobs (one, or two)."""
    if not 1 <= len(jobs) <= JOBS_PER_MESSAGE:
        raise ValueError(f"a message carries 1 to {JOBS_PER_MESSAGE} jobs, not {len(jobs)}")
    return jobs[0].body() if len(jobs) == 1 else "[" + ",".join(j.body() for j in jobs) + "]"


def jobs_in(body: str) -> int:
    """How many jobs a send-queue message carries, without reading them: a list is
    two (message_body)."""
    return JOBS_PER_MESSAGE if body.lstrip().startswith("[") else 1


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already-sent"
    SKIPPED = "skipped"


class SkipReason(StrEnum):
    """Why a job sent nothing; recorded on the send record and counted in the metrics."""

    THEME_GONE = "theme-gone"
    THEME_CANCELLED = "theme-cancelled"
    NOT_IN_ROSTER = "not-in-roster"
    INACTIVE = "inactive"
    OBSERVER = "observer"
    NOT_IN_AUDIENCE = "not-in-audience"
    SUPPRESSED = "suppressed"
    UNSUBSCRIBED = "unsubscribed"
    DEADLINE_PASSED = "deadline-passed"
    NEVER_SENT = "never-sent"
    ANSWERED = "answered"
    NOTHING_TO_READ = "nothing-to-read"
    """a digest without an answer or a theme of the week, a report of a week with no theme"""
    NOT_INVITED = "not-invited"
    """a live session's change to a member never sent its invitation"""
    ABSENT = "absent"
    """a theme sent (or a digest's week) during an absence the member declared"""
    LIVE_SESSION = "live-session"
    """the "you have not answered" reminder of a live session, which has its own"""
    NOT_COMING = "not-coming"
    """a live session's reminder or change to a member whose response is no longer yes or
    maybe (a change goes to everyone invited who did not say no), or a seat no longer
    theirs"""
    SESSION_STARTED = "session-started"
    """a live session's reminder, change or freed seat reaching the sender once the
    session has started"""
    TOO_LATE = "too-late"
    """a live session's day-before reminder once the hour-before one is due, or once it
    is the session's day where the member lives (it says "tomorrow")"""
    SESSION_CHANGED = "session-changed"
    """a live session's reminder queued before the session changed (moved, listed again):
    those of its new time are queued apart"""
    NOT_ADMIN = "not-admin"
    """a session's attendance list to someone no longer an active admin"""


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reason: SkipReason | None = None


class Deliverer[J](Protocol):
    """Turns one job of its kinds into at most one email, recorded once."""

    def deliver(self, job: J, now: datetime) -> Delivery: ...
