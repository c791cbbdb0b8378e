"""Journey 2, first half: who is due a theme (or its reminder) now, queued exactly once.

A theme's audience is split into groups: one per part of the audience (everyone by
role, a circle, a team) and per timezone found in it (the roster's directory counts
them). Each group becomes due at its own local time. A tick reads only the themes with a
group due (a sparse index ordered by the next due instant), claims each due group with a
conditional write (a lease, so overlapping ticks never queue the same group), and pages
through its members with a cursor it saves after every page, so a retried or timed-out
tick resumes where the last one stopped. Its cost follows the work that is due, not the
size of the roster times the number of themes.
"""

import json
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from palabre.core import clock
from palabre.core.jobs import Job, JobKind, JobQueue
from palabre.core.local_time import (
    EARLIEST_ZONE,
    deadline,
    earliest_send,
    link_expiry,
    reminder_instant,
    send_instant,
)
from palabre.core.models import Theme, group_key
from palabre.imports.roster import Directory
from palabre.observability import logger
from palabre.store import keys
from palabre.store.members import MemberStore
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.themes import ThemeStore

# Members per page, and per saved cursor position: a retried tick queues at most one page
# again, and the scheduler writes once per thousand recipients.
PAGE = 1000
LEASE = timedelta(minutes=2)


def iso(moment: datetime) -> str:
    """Sortable UTC text, as the index orders it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Group:
    job: JobKind
    part: str
    """role:member, role:admin, circle:<key> or team:<key>"""
    zone: str
    due: datetime

    @property
    def name(self) -> str:
        return f"{self.job.value}#{self.part}#{self.zone}"


def plan(theme: Theme, directory: Directory) -> list[Group]:
    """Every group of the theme's audience, with the instant it becomes due."""
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
            groups.append(Group(JobKind.PROMPT, part, zone_name, send_instant(theme, zone)))
            reminder = reminder_instant(theme, zone)
            if reminder is not None:
                groups.append(Group(JobKind.REMINDER, part, zone_name, reminder))
    return sorted(groups, key=lambda g: (g.due, g.name))


def _listing(part: str) -> tuple[str, str]:
    """The index and partition that list a part's members, by timezone."""
    kind, _, name = part.partition(":")
    if kind == "role":
        return "GSI1", keys.roster_partition(name)
    if kind == "circle":
        return "GSI2", keys.circle_partition(name)
    return "GSI3", keys.team_partition(name)


class DispatchStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def open(self, theme_id: str, next_due: datetime) -> None:
        self.table.put(
            {
                **keys.dispatch(theme_id),
                "theme_id": theme_id,
                "GSI2PK": keys.DISPATCH_OPEN,
                "GSI2SK": iso(next_due),
            }
        )

    def due_by(self, theme_id: str, due: datetime) -> None:
        """Open the theme for dispatch by `due` at the latest: an earlier next due stays."""
        self._set_due(theme_id, due)

    def close(self, theme_id: str) -> None:
        self.table.delete(keys.dispatch(theme_id))

    def due(self, now: datetime) -> list[tuple[str, str]]:
        """The themes with a group due, each with the due instant read (for `reschedule`
        and `finish`, which change it only if nobody else has since)."""
        items = self.table.query(keys.DISPATCH_OPEN, index="GSI2", between=("0", iso(now)))
        return [(i["theme_id"], i["GSI2SK"]) for i in items]

    def reschedule(self, theme_id: str, next_due: datetime, seen: str) -> None:
        """A tick's next due instant for the theme, unless someone made it due sooner
        since the tick read `seen` (a roster import's newcomer, a calendar import)."""
        self._set_due(theme_id, next_due, seen)

    def _set_due(self, theme_id: str, due: datetime, seen: str | None = None) -> None:
        """Sets the theme's next due instant, unless it is already due sooner (and not
        the instant `seen`, which the caller means to replace)."""
        values = {":theme": theme_id, ":open": keys.DISPATCH_OPEN, ":due": iso(due)}
        condition = "attribute_not_exists(GSI2SK) OR GSI2SK > :due"
        if seen is not None:
            values[":seen"] = seen
            condition += " OR GSI2SK = :seen"
        with suppress(ConditionFailed):
            self.table.update(
                keys.dispatch(theme_id),
                "SET theme_id = :theme, GSI2PK = :open, GSI2SK = :due",
                values,
                condition=condition,
            )

    def finish(self, theme_id: str, seen: str) -> None:
        """The tick found nothing left to do, unless someone made the theme due again
        since it read `seen`."""
        with suppress(ConditionFailed):
            self.table.delete(
                keys.dispatch(theme_id),
                ConditionExpression="GSI2SK = :seen",
                ExpressionAttributeValues={":seen": {"S": seen}},
            )

    def cursors(self, theme_id: str) -> dict[str, Item]:
        items = self.table.query(f"THEME#{theme_id}", prefix=keys.CURSOR_PREFIX)
        return {i["SK"].removeprefix(keys.CURSOR_PREFIX): i for i in items}

    def claim(self, key: dict[str, str], owner: str, until: datetime, now: datetime) -> bool:
        try:
            self.table.update(
                key,
                "SET #owner = :owner, lease_until = :until",
                {":owner": owner, ":until": iso(until), ":now": iso(now)},
                names={"#owner": "owner"},
                condition="attribute_not_exists(done) AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
            )
        except ConditionFailed:
            return False
        return True

    def advance(
        self,
        key: dict[str, str],
        owner: str,
        *,
        position: dict | None,
        queued: int,
        lease_until: datetime,
    ) -> None:
        """Saves where the next page starts; the last page marks the group done."""
        if position is None:
            expression = "SET done = :true, lease_until = :until ADD queued :n REMOVE #pos"
            values: dict = {":true": True}
        else:
            expression = "SET #pos = :pos, lease_until = :until ADD queued :n"
            values = {":pos": json.dumps(position)}
        self.table.update(
            key,
            expression,
            values | {":n": queued, ":owner": owner, ":until": iso(lease_until)},
            names={"#pos": "position", "#owner": "owner"},
            condition="#owner = :owner",
        )


@dataclass
class TickReport:
    themes: int = 0
    groups: int = 0
    queued: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    """groups whose deadline passed before a tick reached them (the scheduler stalled)"""

    def count(self, job: JobKind, n: int) -> None:
        self.queued[job.value] = self.queued.get(job.value, 0) + n


class Dispatcher:
    def __init__(
        self,
        table: Table,
        queue: JobQueue,
        *,
        time_left: Callable[[], float] = lambda: float("inf"),
        store: "DispatchStore | None" = None,
    ) -> None:
        self.table = table
        self.queue = queue
        self.store = store or DispatchStore(table)
        self.themes = ThemeStore(table)
        self.members = MemberStore(table)
        self.time_left = time_left
        """seconds the invocation has left; a tick stops early and the next one resumes"""

    def tick(self, now: datetime) -> TickReport:
        report = TickReport()
        due = self.store.due(now)
        if not due:
            return report
        directory = self.members.directory() or Directory()
        for theme_id, seen in due:
            report.themes += 1
            theme = self.themes.get(theme_id)
            if theme is None or not theme.active:
                self.store.finish(theme_id, seen)
                continue
            self._dispatch(theme, seen, directory, now, report)
        return report

    def _dispatch(
        self, theme: Theme, seen: str, directory: Directory, now: datetime, report: TickReport
    ) -> None:
        groups = plan(theme, directory)
        if not groups and now < link_expiry(theme, EARLIEST_ZONE):
            # No one in the audience yet (a calendar before its roster): look again later.
            self.store.reschedule(theme.id, now + timedelta(hours=1), seen)
            return
        cursors = self.store.cursors(theme.id)
        remaining = []
        for group in groups:
            if cursors.get(group.name, {}).get("done"):
                continue
            if group.due <= now and now >= deadline(theme, ZoneInfo(group.zone)):
                # Reached only after the theme closed there: nothing left to answer, so
                # nothing is queued (the sender would skip each job, one write apiece).
                if self._close(theme, group):
                    report.closed += 1
                    continue
            elif group.due <= now and self.time_left() > 10:
                finished, queued = self._run(theme, group, cursors.get(group.name))
                report.groups += 1
                report.count(group.job, queued)
                if finished:
                    continue
            remaining.append(group)
        if remaining:
            self.store.reschedule(theme.id, min(g.due for g in remaining), seen)
        else:
            self.store.finish(theme.id, seen)
            logger.info("theme fully dispatched", extra={"theme": theme.id})

    def _claim(self, theme: Theme, group: Group) -> tuple[dict[str, str], str] | None:
        """The group's cursor and this tick's lease on it; None if another tick holds it."""
        key = keys.cursor(theme.id, group.job.value, group.part, group.zone)
        owner = uuid.uuid4().hex
        if not self.store.claim(key, owner, clock.now() + LEASE, clock.now()):
            return None
        return key, owner

    def _close(self, theme: Theme, group: Group) -> bool:
        """Marks the group done without queueing anyone; False if another tick holds it."""
        claimed = self._claim(theme, group)
        if claimed is None:
            return False
        key, owner = claimed
        self.store.advance(key, owner, position=None, queued=0, lease_until=clock.now())
        logger.warning(
            "group closed unsent: its deadline passed first",
            extra={"theme": theme.id, "group": group.name},
        )
        return True

    def _run(self, theme: Theme, group: Group, cursor: Item | None) -> tuple[bool, int]:
        """Queues the group's members page by page; (finished, how many queued)."""
        claimed = self._claim(theme, group)
        if claimed is None:
            return False, 0  # another tick holds it
        key, owner = claimed
        index, partition = _listing(group.part)
        position = json.loads(cursor["position"]) if cursor and cursor.get("position") else None
        queued = 0
        while True:
            members, position = self.table.page(
                partition,
                index=index,
                prefix=keys.member_in_zone(group.zone),
                limit=PAGE,
                start=position,
            )
            jobs = [
                Job(job=group.job, theme=theme.id, member=m["member_id"])
                for m in self._belonging(theme, group, members)
            ]
            self.queue.send(jobs)
            queued += len(jobs)
            self.store.advance(
                key, owner, position=position, queued=len(jobs), lease_until=clock.now() + LEASE
            )
            if position is None:
                return True, queued
            if self.time_left() < 10:
                return False, queued

    @staticmethod
    def _belonging(theme: Theme, group: Group, members: Iterable[Item]) -> Iterable[Item]:
        if not group.part.startswith("team:"):
            return members
        # A member both in an audience circle and an audience team is that circle's.
        circles = {group_key(c) for c in theme.audience.circles}
        return [m for m in members if group_key(m.get("circle", "")) not in circles]


def open_new_themes(store: DispatchStore, themes: Iterable[Theme]) -> None:
    """The calendar import opens each new or changed theme for dispatch."""
    for theme in themes:
        if theme.active:
            store.open(theme.id, earliest_send(theme))
        else:
            store.close(theme.id)
