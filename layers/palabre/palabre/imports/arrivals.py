"""Members who join while a theme is open get its prompt (once they are in the roster)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from palabre.core.jobs import JobKind, ThemeJob
from palabre.core.local_time import deadline, reminder_instant, send_instant
from palabre.core.models import Member
from palabre.observability import logger
from palabre.queue import JobQueue
from palabre.store.dispatch import DispatchStore
from palabre.store.table import Table
from palabre.store.themes import ThemeStore


class LateArrivals:
    def __init__(
        self, table: Table, zone: ZoneInfo, work_week: frozenset[int], queue: JobQueue | None
    ) -> None:
        self.themes = ThemeStore(table)
        self.dispatch = DispatchStore(table)
        self.zone = zone
        self.work_week = work_week
        self.queue = queue
        """where their prompts go (None: nowhere)"""

    def catch_up(self, arrived: list[Member], now: datetime) -> None:
        """A member who joins (or comes back, or moves into an audience) while a theme is
        open gets its prompt: at once when their local send time has passed (the scheduler
        queued the theme's group before they were in it), else from the scheduler, whose
        theme is made due again by their send time (they may be the first of a timezone
        it has not planned). One Query of the recent calendar; the sender skips anyone
        already sent it. Called once the roster that holds them is the one readers see:
        the sender would skip a member it cannot read yet."""
        if self.queue is None or not arrived:
            return
        today = now.astimezone(self.zone).date()
        # Every theme that can still be open somewhere: deadlines are at most 90 days on.
        recent = self.themes.between(today - timedelta(days=92), today + timedelta(days=1))
        jobs: list[ThemeJob] = []
        ahead: dict[str, datetime] = {}
        for theme in recent:
            for member in arrived:
                if not (
                    theme.active and member.active and member.takes_part and theme.addresses(member)
                ):
                    continue
                zone = ZoneInfo(member.timezone)
                start = send_instant(theme, zone)
                if start <= now < deadline(theme, zone):
                    jobs.append(ThemeJob(job=JobKind.PROMPT, theme=theme.id, member=member.id))
                    # ... and their reminder, from a group the scheduler may not have
                    # planned (their timezone new to the theme), comes at its time
                    reminder = reminder_instant(theme, zone, work_week=self.work_week)
                    if reminder is not None and now < reminder:
                        ahead[theme.id] = min(reminder, ahead.get(theme.id, reminder))
                elif now < start:
                    ahead[theme.id] = min(start, ahead.get(theme.id, start))
        if jobs:
            self.queue.send(jobs)
            logger.info("late arrivals queued", extra={"prompts": len(jobs)})
        for theme_id, due in ahead.items():
            self.dispatch.due_by(theme_id, due)
