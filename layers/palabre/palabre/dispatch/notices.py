"""What a live session owes the members it invited after they were sent it, queued by the
scheduler so that no web request or import sends mail itself:

- its change or cancellation (the calendar import bumps the theme's `sequence` and makes
  it due): one job per send record, paged with a cursor of its own per sequence, so a
  retried or overlapping tick queues nobody twice (the sender records each notice too);
- the seats left to the waiting list: a calendar upload that raises (or removes) a
  session's capacity makes the theme due, and the tick promotes the waiting members in
  order, one conditional transaction each, under a lease (`seats`);
- the email of each member a seat went to (from the tick, or from the RSVP that freed it,
  which makes the theme due): queued, then marked queued on their response."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from palabre.core import clock
from palabre.core.jobs import JobKind, ThemeJob
from palabre.core.models import Theme, ThemeKind
from palabre.observability import logger
from palabre.queue import Outbox
from palabre.store import keys
from palabre.store.dispatch import Cursor, DispatchStore
from palabre.store.rsvps import RsvpStore
from palabre.store.table import ConditionFailed, Table

CHANGE = "live-change"
"""the cursor group of a session's change: `live-change#<sequence>`"""
SEATS = "seats"
"""the lease on a session's seats (never done: seats may free again)"""


def change_group(theme: Theme) -> str | None:
    """The cursor group of the session's latest change; None while it never changed."""
    if theme.kind is not ThemeKind.LIVE or theme.sequence < 1:
        return None
    return f"{CHANGE}#{theme.sequence}"


class LiveNotices:
    def __init__(self, table: Table, store: DispatchStore, page: int, lease: timedelta) -> None:
        self.table = table
        self.store = store
        self.rsvps = RsvpStore(table)
        self.page = page
        self.lease = lease

    def pending(self, theme: Theme, cursors: dict[str, Cursor]) -> bool:
        group = change_group(theme)
        return group is not None and not cursors.get(group, Cursor()).done

    def run(
        self,
        theme: Theme,
        cursors: dict[str, Cursor],
        outbox: Outbox,
        now: datetime,
        claim: Callable[[str], str | None],
        time_left: Callable[[], float],
    ) -> bool:
        """Queues what is due; True once nothing is left to queue for the session."""
        if theme.kind is not ThemeKind.LIVE:
            return True
        seated = True
        if theme.active and theme.starts_at is not None and now < theme.starts_at:
            seated = self._seats(theme, outbox, now, claim, time_left)
        group = change_group(theme)
        if group is None or cursors.get(group, Cursor()).done:
            return seated
        owner = claim(group)
        if owner is None:
            return False  # another tick holds it
        position = cursors[group].position if group in cursors else None
        while True:
            records, position = self.table.page(
                keys.theme_partition(theme.id),
                prefix=keys.PROMPTS,
                limit=self.page,
                start=position,
            )
            jobs = [
                ThemeJob(job=JobKind.LIVE_CHANGE, theme=theme.id, member=r["member_id"])
                for r in records
                if r.get("status") == "sent"
            ]
            outbox.put(jobs, then=self._advance(theme.id, group, owner, position, len(jobs)))
            if position is None:
                return seated
            if time_left() < 10:
                return False

    def _advance(
        self, theme_id: str, group: str, owner: str, position: dict[str, Any] | None, queued: int
    ) -> Callable[[], None]:
        """Saving the cursor past a page, once the page's jobs are queued."""
        return lambda: self.store.advance(
            theme_id,
            group,
            owner,
            position=position,
            queued=queued,
            lease_until=clock.now() + self.lease,
        )

    def _seats(
        self,
        theme: Theme,
        outbox: Outbox,
        now: datetime,
        claim: Callable[[str], str | None],
        time_left: Callable[[], float],
    ) -> bool:
        """Gives the seats left to the waiting list, first asked first, and queues the
        email of everyone promoted and not yet queued; True once nothing is left. One
        Query of the responses; the rest only when someone waits or is owed an email."""
        waiting, unqueued = self.rsvps.owed(theme.id)
        if not unqueued and (not waiting or self.rsvps.full(theme)):
            return True
        # One tick at a time: two would queue the same promoted members.
        owner = claim(SEATS)
        if owner is None:
            return False  # another tick holds it: look again at the next
        promoted, settled = self.rsvps.promote(theme, waiting, now, go_on=lambda: time_left() >= 10)
        told = [*unqueued, *promoted]
        jobs = [ThemeJob(job=JobKind.SEAT_FREED, theme=theme.id, member=r.member_id) for r in told]

        def mark() -> None:
            for rsvp in told:
                try:
                    self.rsvps.promotion_queued(theme.id, rsvp.member_id)
                except ConditionFailed:
                    # Their response changed since it was read (a new answer, an erasure):
                    # no promotion left to mark; the sender skips the job it queued.
                    logger.info(
                        "promoted member changed meanwhile",
                        extra={"theme": theme.id, "member": rsvp.member_id},
                    )
            self.store.release(theme.id, SEATS, owner, clock.now())

        outbox.put(jobs, then=mark)
        return settled
