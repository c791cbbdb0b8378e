"""Responses to live sessions' invitations: one item per (theme, member) in the theme's
partition (keys.rsvp), read by the session's reminders and the animator's attendance list
with one Query of the theme's RSVP# range, never a Scan."""

from collections.abc import Iterator
from typing import Any

from palabre.core.models import Rsvp
from palabre.store import keys
from palabre.store.table import Item, Table


def rsvp_from(item: Item) -> Rsvp:
    return Rsvp.model_validate(item)


class RsvpStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, theme_id: str, member_id: str, *, consistent: bool = False) -> Rsvp | None:
        item = self.table.get(keys.rsvp(theme_id, member_id), consistent=consistent)
        return rsvp_from(item) if item else None

    def responses(self, theme_id: str) -> Iterator[Rsvp]:
        """Every response to the session, in member id order."""
        for item in self.table.query(keys.theme_partition(theme_id), prefix=keys.RSVPS):
            yield rsvp_from(item)

    def coming(self, theme_id: str) -> list[Rsvp]:
        """Those who said yes or maybe: reminded, and listed for the animator."""
        return [r for r in self.responses(theme_id) if r.response.coming]

    def page(
        self, theme_id: str, *, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Rsvp], dict[str, Any] | None]:
        """One page of the session's responses, and where the next starts (None: the
        end): the scheduler's reminders page through them with a cursor."""
        items, position = self.table.page(
            keys.theme_partition(theme_id), prefix=keys.RSVPS, limit=limit, start=start
        )
        return [rsvp_from(i) for i in items], position
