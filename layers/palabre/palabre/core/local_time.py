"""When things happen for one member: in their own timezone, safe across DST changes.

Dates and deadlines are local days. A wall-clock time the clocks skip (spring forward)
moves forward to the first instant that exists; a time that happens twice (fall back)
is taken the first time.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel

from palabre.core.models import Theme


def iso_week(day: date) -> str:
    """The ISO week a day (or a local datetime) falls in: answers and votes are filed under
    it, and the digest reads one week's worth."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class ScheduledEvent(BaseModel):
    """What EventBridge Scheduler passes: {"time": "<aws.scheduler.scheduled-time>"}."""

    time: AwareDatetime


# The earliest timezone on Earth (UTC+14): no one receives a theme before this instant.
EARLIEST_ZONE = ZoneInfo("Pacific/Kiritimati")
# After the deadline, links still open (read-only) for this long, then expire.
GRACE = timedelta(days=30)

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WORK_WEEK = frozenset(range(5))
"""the organisation's working days (date.weekday() numbers) unless it names others"""


def working_days(names: str) -> frozenset[int]:
    """`Mon,Tue,Wed,Thu,Fri` (the WorkingDays parameter) as weekday numbers."""
    days: list[int] = []
    for name in (n.strip() for n in names.split(",")):
        if name not in DAY_NAMES:
            raise ValueError(f"unknown day {name!r} in {names!r}; use {','.join(DAY_NAMES)}")
        if DAY_NAMES.index(name) in days:
            raise ValueError(f"{name} is named twice in {names!r}")
        days.append(DAY_NAMES.index(name))
    return frozenset(days)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    # Through UTC: astimezone() to the tzinfo a datetime already has returns it unchanged,
    # so a skipped wall time would read as if it existed.
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant when `zone`'s clocks read `day` `at`."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    if _wall(first, zone) == wall:
        return first.astimezone(UTC)  # fold=0: the first of two, when the time repeats
    # The time does not exist: find the first instant whose wall clock reads later.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # reads before the gap
    high = first.astimezone(UTC)  # reads after the gap
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def send_instant(theme: Theme, zone: ZoneInfo) -> datetime:
    return local_instant(theme.send_on, theme.send_at, zone)


def earliest_send(theme: Theme) -> datetime:
    return send_instant(theme, EARLIEST_ZONE)


def deadline_day(theme: Theme) -> date:
    return theme.send_on + timedelta(days=theme.deadline_days)


def deadline(theme: Theme, zone: ZoneInfo) -> datetime:
    """The end of the deadline day in `zone` (answers are open until then)."""
    return local_instant(deadline_day(theme) + timedelta(days=1), time(0), zone)


def reminder_instant(
    theme: Theme, zone: ZoneInfo, *, work_week: frozenset[int] = WORK_WEEK
) -> datetime | None:
    """`reminder_days` before the deadline day, at the theme's send time, or the last
    working day before that (a Tuesday theme's reminder would fall on a Sunday); None
    when there is none, or when it would not come after the prompt."""
    if theme.reminder_days <= 0 or not work_week:
        return None
    day = deadline_day(theme) - timedelta(days=theme.reminder_days)
    while day.weekday() not in work_week:
        day -= timedelta(days=1)
    moment = local_instant(day, theme.send_at, zone)
    return moment if moment > send_instant(theme, zone) else None


def link_expiry(theme: Theme, zone: ZoneInfo) -> datetime:
    return deadline(theme, zone) + GRACE


# ---------------------------------------------------------------- live sessions
SESSION_SOON = timedelta(hours=1)
"""the second reminder of a live session comes this long before it starts"""
ATTENDANCE_GRACE = timedelta(days=30)
"""an admin's attendance list goes out after the session ends, and its link lasts as
long; a list the scheduler reaches later than that is not sent"""


def session_start(theme: Theme) -> datetime:
    """When a live theme's session starts; a theme of another kind has none."""
    if theme.starts_at is None:
        raise ValueError(f"theme {theme.id} has no session")
    return theme.starts_at.astimezone(UTC)


def session_end(theme: Theme) -> datetime:
    ends = theme.ends_at
    if ends is None:
        raise ValueError(f"theme {theme.id} has no session")
    return ends.astimezone(UTC)


def session_eve(theme: Theme, zone: ZoneInfo) -> datetime:
    """The day-before reminder: the member's local day before the session's local date,
    at the theme's send time."""
    local_day = session_start(theme).astimezone(zone).date()
    return local_instant(local_day - timedelta(days=1), theme.send_at, zone)


def session_day(theme: Theme, zone: ZoneInfo) -> datetime:
    """When the session's own day begins in `zone`: from then, "tomorrow" is wrong."""
    return local_instant(session_start(theme).astimezone(zone).date(), time(0, 0), zone)


def session_soon(theme: Theme) -> datetime:
    """The hour-before reminder, the same instant everywhere."""
    return session_start(theme) - SESSION_SOON
