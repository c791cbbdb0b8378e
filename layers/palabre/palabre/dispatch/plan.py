"""A theme's audience as groups: one per part of the audience (everyone by role, a
circle, a team) and per timezone found in it, each due at its own local time.

A live session has no "you have not answered" reminder: its own reminders go to those
who said yes or maybe (the part `rsvp`: the theme's responses, not the roster), the day
before in each timezone and an hour before everywhere; after it ends, its attendance
list goes to the admins."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory
from palabre.core.jobs import JobKind
from palabre.core.local_time import (
    ATTENDANCE_GRACE,
    WORK_WEEK,
    reminder_instant,
    send_instant,
    session_day,
    session_end,
    session_eve,
    session_soon,
    session_start,
)
from palabre.core.models import Role, Theme, ThemeKind, group_key

RSVPS = "rsvp"
"""the part of a live session's reminders: its responses, paged from the theme"""
EVERY_ZONE = "*"
"""the zone of a group due at the same instant everywhere (the hour-before reminder)"""


@dataclass(frozen=True)
class AudienceGroup:
    job: JobKind
    part: str
    """role:member, role:admin, circle:<key>, team:<key>, or rsvp"""
    zone: str
    due: datetime
    closes: datetime | None = None
    """after it nothing of the group is queued (None: the theme's deadline in `zone`)"""
    sequence: int = 0
    """a live session's reminders: the session's sequence. A session moved (or cancelled
    and listed again) has new ones, due at its new time, whatever the old ones sent. (Its
    attendance lists need none: planned at its end, they go once it is over.)"""

    @property
    def name(self) -> str:
        name = f"{self.job.value}#{self.part}#{self.zone}"
        return f"{name}#{self.sequence}" if self.sequence else name


def plan(
    theme: Theme, directory: Directory, *, work_week: frozenset[int] = WORK_WEEK
) -> list[AudienceGroup]:
    """Every group of the theme's audience, with the instant it becomes due (reminders on
    the organisation's working days)."""
    if theme.audience.everyone:
        # Members and admins are listed apart (GSI1 by role): each only where they live.
        parts = [(f"role:{role}", zones) for role, zones in sorted(directory.roles.items())]
    else:
        # dict.fromkeys: a circle named twice (in two spellings) is still one part.
        circles = dict.fromkeys(group_key(c) for c in theme.audience.circles)
        teams = dict.fromkeys(group_key(t) for t in theme.audience.teams)
        parts = [
            (f"circle:{k}", directory.circles[k].zones) for k in circles if k in directory.circles
        ] + [(f"team:{k}", directory.teams[k].zones) for k in teams if k in directory.teams]
    live = theme.kind is ThemeKind.LIVE and theme.starts_at is not None
    groups = []
    for part, zones in parts:
        for zone_name in sorted(zones):
            zone = ZoneInfo(zone_name)
            groups.append(AudienceGroup(JobKind.PROMPT, part, zone_name, send_instant(theme, zone)))
            reminder = None if live else reminder_instant(theme, zone, work_week=work_week)
            if reminder is not None:
                groups.append(AudienceGroup(JobKind.REMINDER, part, zone_name, reminder))
    if live and parts:
        audience_zones = sorted({z for _, zones in parts for z in zones})
        groups += _session(theme, audience_zones, sorted(directory.roles.get(Role.ADMIN, {})))
    return sorted(groups, key=lambda g: (g.due, g.name))


def _session(theme: Theme, zones: list[str], admin_zones: list[str]) -> list[AudienceGroup]:
    """A live session's reminders (the day before in each zone of its audience, unless
    that is not after its prompt there, until the session's day begins there or the hour
    before is due; the hour before) and its attendance lists."""
    soon, end, seq = session_soon(theme), session_end(theme), theme.sequence
    groups = [
        AudienceGroup(
            JobKind.SESSION_EVE,
            RSVPS,
            name,
            eve,
            closes=min(soon, session_day(theme, ZoneInfo(name))),
            sequence=seq,
        )
        for name in zones
        if send_instant(theme, ZoneInfo(name)) < (eve := session_eve(theme, ZoneInfo(name))) < soon
    ]
    groups.append(
        AudienceGroup(
            JobKind.SESSION_HOUR, RSVPS, EVERY_ZONE, soon, closes=session_start(theme), sequence=seq
        )
    )
    groups += [
        AudienceGroup(
            JobKind.ATTENDANCE,
            f"role:{Role.ADMIN}",
            name,
            end,
            closes=end + ATTENDANCE_GRACE,
        )
        for name in admin_zones
    ]
    return groups
