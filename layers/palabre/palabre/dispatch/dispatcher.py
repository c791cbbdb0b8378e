"""Who is due a theme (or its reminder) now, queued exactly once.

A theme's audience is split into groups (see plan.py), each due at its own local time.
A tick reads only the themes with a group due (a sparse index ordered by the next due
instant), claims each due group with a conditional write (a lease, so overlapping ticks
never queue the same group), and pages through its members with a cursor it saves after
every page, so a retried or timed-out tick resumes where the last one stopped. Its cost
follows the work that is due, not the size of the roster times the number of themes.

Jobs go out ten per SQS call across groups and themes (an Outbox): a group's last few jobs
share the next group's call, and its cursor (or its theme's due date) is saved only once
they are queued.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from palabre.core import clock
from palabre.core.directory import Directory
from palabre.core.jobs import JobKind, ThemeJob
from palabre.core.local_time import EARLIEST_ZONE, WORK_WEEK, deadline, link_expiry
from palabre.core.models import Theme, group_key
from palabre.dispatch.notices import LiveNotices, change_group
from palabre.dispatch.plan import EVERY_ZONE, RSVPS, AudienceGroup, plan
from palabre.observability import logger
from palabre.queue import JobQueue, Outbox
from palabre.store.dispatch import Cursor, DispatchStore
from palabre.store.members import MemberStore
from palabre.store.rsvps import RsvpStore
from palabre.store.table import Table
from palabre.store.themes import ThemeStore

# Members per page, and per saved cursor position: a retried tick queues at most one page
# again, and the scheduler writes once per thousand recipients.
PAGE = 1000
LEASE = timedelta(minutes=2)


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
        page: int | None = None,
        work_week: frozenset[int] = WORK_WEEK,
    ) -> None:
        self.store = DispatchStore(table)
        self.themes = ThemeStore(table)
        self.members = MemberStore(table)
        self.rsvps = RsvpStore(table)
        self.queue = queue
        self.time_left = time_left
        """seconds the invocation has left; a tick stops early and the next one resumes"""
        self.page = page or PAGE
        self.notices = LiveNotices(table, self.store, self.page, LEASE)
        self.work_week = work_week

    def tick(self, now: datetime) -> TickReport:
        report = TickReport()
        due = self.store.due(now)
        if not due:
            return report
        directory = self.members.directory() or Directory()
        outbox = Outbox(self.queue)
        for theme_id, seen in due:
            report.themes += 1
            theme = self.themes.get(theme_id)
            # A cancelled live session still owes its invitees the cancellation.
            if theme is None or not (theme.active or change_group(theme)):
                self.store.finish(theme_id, seen)
                continue
            self._dispatch(theme, seen, directory, now, report, outbox)
        outbox.flush()
        return report

    def _dispatch(
        self,
        theme: Theme,
        seen: str,
        directory: Directory,
        now: datetime,
        report: TickReport,
        outbox: Outbox,
    ) -> None:
        groups = plan(theme, directory, work_week=self.work_week) if theme.active else []
        if theme.active and not groups and now < link_expiry(theme, EARLIEST_ZONE):
            # No one in the audience yet (a calendar before its roster): look again later.
            self.store.reschedule(theme.id, now + timedelta(hours=1), seen)
            return
        cursors = self.store.cursors(theme.id)
        remaining = [
            group
            for group in groups
            if not cursors.get(group.name, Cursor()).done
            and not self._settled(theme, group, cursors.get(group.name), now, report, outbox)
        ]
        # A live session's change, cancellation or freed seats, owed to those invited.
        noticed = self.notices.run(
            theme,
            cursors,
            outbox,
            now,
            claim=lambda name: self._claim_group(theme.id, name),
            time_left=self.time_left,
        )
        if remaining or not noticed:
            later = min([g.due for g in remaining] + ([] if noticed else [now]))
            outbox.after(lambda: self.store.reschedule(theme.id, later, seen))
        else:
            outbox.after(lambda: self._finish(theme.id, seen))

    def _finish(self, theme_id: str, seen: str) -> None:
        self.store.finish(theme_id, seen)
        logger.info("theme fully dispatched", extra={"theme": theme_id})

    def _settled(
        self,
        theme: Theme,
        group: AudienceGroup,
        cursor: Cursor | None,
        now: datetime,
        report: TickReport,
        outbox: Outbox,
    ) -> bool:
        """Runs the group if it is due; True once nothing is left to do for it."""
        if group.due > now:
            return False
        if now >= (group.closes or deadline(theme, ZoneInfo(group.zone))):
            # Reached only after the theme closed there (or its session started):
            # nothing is queued (the sender would skip each job, one write apiece).
            if self._close(theme, group):
                report.closed += 1
                return True
            return False
        if self.time_left() <= 10:
            return False
        finished, queued = self._run(theme, group, cursor, outbox)
        report.groups += 1
        report.count(group.job, queued)
        return finished

    def _claim(self, theme: Theme, group: AudienceGroup) -> str | None:
        """This tick's lease on the group's cursor (its owner id); None if another tick
        holds it."""
        return self._claim_group(theme.id, group.name)

    def _claim_group(self, theme_id: str, name: str) -> str | None:
        owner = uuid.uuid4().hex
        if not self.store.claim(theme_id, name, owner, clock.now() + LEASE, clock.now()):
            return None
        return owner

    def _close(self, theme: Theme, group: AudienceGroup) -> bool:
        """Marks the group done without queueing anyone; False if another tick holds it."""
        owner = self._claim(theme, group)
        if owner is None:
            return False
        self.store.advance(
            theme.id, group.name, owner, position=None, queued=0, lease_until=clock.now()
        )
        logger.warning(
            "group closed unsent: its deadline passed first",
            extra={"theme": theme.id, "group": group.name},
        )
        return True

    def _run(
        self, theme: Theme, group: AudienceGroup, cursor: Cursor | None, outbox: Outbox
    ) -> tuple[bool, int]:
        """Queues the group's members page by page; (finished, how many queued)."""
        owner = self._claim(theme, group)
        if owner is None:
            return False, 0  # another tick holds it
        position = cursor.position if cursor else None
        queued = 0
        while True:
            if group.part == RSVPS:
                ids, position = self._coming(theme, group, position)
            else:
                members, position = self.members.page_of(
                    group.part, group.zone, limit=self.page, start=position
                )
                ids = [m["member_id"] for m in _belonging(theme, group, members)]
            jobs = [
                ThemeJob(job=group.job, theme=theme.id, member=m, sequence=group.sequence)
                for m in ids
            ]
            queued += len(jobs)
            outbox.put(jobs, then=self._advance(theme, group, owner, position, len(jobs)))
            if position is None:
                return True, queued
            if self.time_left() < 10:
                return False, queued

    def _coming(
        self, theme: Theme, group: AudienceGroup, start: dict[str, Any] | None
    ) -> tuple[list[str], dict[str, Any] | None]:
        """One page of the session's responses: those coming (in the group's zone, for
        the day before). The cost follows the responses, not the roster."""
        rsvps, position = self.rsvps.page(theme.id, limit=self.page, start=start)
        ids = [
            r.member_id
            for r in rsvps
            if r.response.coming and group.zone in (EVERY_ZONE, r.timezone)
        ]
        return ids, position

    def _advance(
        self,
        theme: Theme,
        group: AudienceGroup,
        owner: str,
        position: dict[str, Any] | None,
        queued: int,
    ) -> Callable[[], None]:
        """Saving the cursor past a page, once the page's jobs are queued."""
        return lambda: self.store.advance(
            theme.id,
            group.name,
            owner,
            position=position,
            queued=queued,
            lease_until=clock.now() + LEASE,
        )


def _belonging(
    theme: Theme, group: AudienceGroup, members: Iterable[dict[str, Any]]
) -> Iterable[dict[str, Any]]:
    if theme.asker:  # a member's question goes to their circle, not back to them
        members = [m for m in members if m["member_id"] != theme.asker]
    if not group.part.startswith("team:"):
        return members
    # A member both in an audience circle and an audience team is that circle's.
    circles = {group_key(c) for c in theme.audience.circles}
    return [m for m in members if group_key(m.get("circle", "")) not in circles]
