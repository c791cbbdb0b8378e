"""A theme's audience as groups: one per part of the audience (everyone by role, a
circle, a team) and per timezone found in it, each due at its own local time."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory
from palabre.core.jobs import JobKind
from palabre.core.local_time import WORK_WEEK, reminder_instant, send_instant
from palabre.core.models import Theme, group_key


@dataclass(frozen=True)
class AudienceGroup:
    job: JobKind
    part: str
    """role:member, role:admin, circle:<key> or team:<key>"""
    zone: str
    due: datetime

    @property
    def name(self) -> str:
        return f"{self.job.value}#{self.part}#{self.zone}"


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
    groups = []
    for part, zones in parts:
        for zone_name in sorted(zones):
            zone = ZoneInfo(zone_name)
            groups.append(AudienceGroup(JobKind.PROMPT, part, zone_name, send_instant(theme, zone)))
            reminder = reminder_instant(theme, zone, work_week=work_week)
            if reminder is not None:
                groups.append(AudienceGroup(JobKind.REMINDER, part, zone_name, reminder))
    return sorted(groups, key=lambda g: (g.due, g.name))
