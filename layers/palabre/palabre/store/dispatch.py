"""Dispatch state: which themes have a group due (a sparse index ordered by the next due
instant), and each group's cursor and lease (see palabre.dispatch.dispatcher)."""

import json
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from palabre.core.local_time import earliest_send
from palabre.core.models import Theme
from palabre.store import keys
from palabre.store.table import ConditionFailed, Table


@dataclass(frozen=True)
class Cursor:
    done: bool = False
    position: dict[str, Any] | None = None
    """DynamoDB's LastEvaluatedKey of the group's last page queued"""


def iso(moment: datetime) -> str:
    """Sortable UTC text, as the index orders it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dispatch_item(theme_id: str, next_due: datetime) -> dict[str, str]:
    """A theme open for dispatch from `next_due` (a member's question writes it in the
    transaction that asks it)."""
    return {
        **keys.dispatch(theme_id),
        "theme_id": theme_id,
        "GSI2PK": keys.DISPATCH_OPEN,
        "GSI2SK": iso(next_due),
    }


class DispatchStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def open(self, theme_id: str, next_due: datetime) -> None:
        self.table.put(dispatch_item(theme_id, next_due))

    def open_for(self, themes: Iterable[Theme]) -> None:
        """The calendar import opens each new or changed theme for dispatch, from its
        earliest send time on Earth, and closes each cancelled one."""
        for theme in themes:
            if theme.active:
                self.open(theme.id, earliest_send(theme))
            else:
                self.close(theme.id)

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
                keys.dispatch(theme_id), condition="GSI2SK = :seen", values={":seen": seen}
            )

    def cursors(self, theme_id: str) -> dict[str, Cursor]:
        """Each group's cursor, by group name: done, or where its next page starts."""
        items = self.table.query(keys.theme_partition(theme_id), prefix=keys.CURSOR_PREFIX)
        return {
            i["SK"].removeprefix(keys.CURSOR_PREFIX): Cursor(
                done=bool(i.get("done")),
                position=json.loads(i["position"]) if i.get("position") else None,
            )
            for i in items
        }

    def claim(self, theme_id: str, group: str, owner: str, until: datetime, now: datetime) -> bool:
        """A lease on the group's cursor for `owner`, unless the group is done or another
        tick's lease still runs."""
        try:
            self.table.update(
                keys.cursor(theme_id, group),
                "SET #owner = :owner, lease_until = :until",
                {":owner": owner, ":until": iso(until), ":now": iso(now)},
                names={"#owner": "owner"},
                condition="attribute_not_exists(done) AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
            )
        except ConditionFailed:
            return False
        return True

    def release(self, theme_id: str, group: str, owner: str, now: datetime) -> None:
        """Ends `owner`'s lease on a cursor that is never done (work that may come again,
        as seats that free), so the next tick may claim it at once."""
        with suppress(ConditionFailed):  # the lease ran out and another tick holds it
            self.table.update(
                keys.cursor(theme_id, group),
                "SET lease_until = :now",
                {":now": iso(now), ":owner": owner},
                names={"#owner": "owner"},
                condition="#owner = :owner",
            )

    def advance(
        self,
        theme_id: str,
        group: str,
        owner: str,
        *,
        position: dict[str, Any] | None,
        queued: int,
        lease_until: datetime,
    ) -> None:
        """Saves where the next page starts; the last page marks the group done."""
        if position is None:
            expression = "SET done = :true, lease_until = :until ADD queued :n REMOVE #pos"
            values: dict[str, Any] = {":true": True}
        else:
            expression = "SET #pos = :pos, lease_until = :until ADD queued :n"
            values = {":pos": json.dumps(position)}
        self.table.update(
            keys.cursor(theme_id, group),
            expression,
            values | {":n": queued, ":owner": owner, ":until": iso(lease_until)},
            names={"#pos": "position", "#owner": "owner"},
            condition="#owner = :owner",
        )
