"""The directory: circles and teams of the active roster, and the timezones in each."""

from collections import Counter
from dataclasses import dataclass, field

from palabre.core.models import Member, group_key


@dataclass
class Group:
    name: str
    zones: Counter[str] = field(default_factory=Counter)


@dataclass
class Directory:
    """Circles and teams of the active roster, and the timezones found in each.

    Calendar imports check audiences against it; the scheduler reads from it which
    timezones an audience spans, so a tick never lists the whole roster.
    """

    circles: dict[str, Group] = field(default_factory=dict)
    teams: dict[str, Group] = field(default_factory=dict)
    zones: Counter[str] = field(default_factory=Counter)
    roles: dict[str, Counter[str]] = field(default_factory=dict)
    """timezones of the members and of the admins, who are listed apart"""

    @classmethod
    def of(cls, members: list[Member]) -> "Directory":
        directory = cls()
        for member in members:
            if not member.takes_part:
                continue
            directory.zones[member.timezone] += 1
            directory.roles.setdefault(member.role.value, Counter())[member.timezone] += 1
            for groups, name in (
                (directory.circles, member.circle),
                (directory.teams, member.team),
            ):
                group = groups.setdefault(group_key(name), Group(name))
                group.zones[member.timezone] += 1
        return directory
