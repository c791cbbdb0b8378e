"""Sending's health: hourly counts of sends, bounces and complaints, and the pause the
deliverability guard sets (core/deliverability.py)."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from palabre.core.deliverability import WEEK, WINDOW, Figures, hour_of
from palabre.store import keys
from palabre.store.table import ConditionFailed, Table

_FIELDS = ("sends", "bounces", "complaints")


@dataclass(frozen=True)
class Pause:
    since: str
    reason: str
    figures: Figures
    resumed_at: str | None = None
    resumed_by: str | None = None
    noticed: bool = False
    """the admins' email is sent, or being sent (SendingHealth.claim_notice)"""

    @property
    def active(self) -> bool:
        return self.resumed_at is None


class SendingHealth:
    def __init__(self, table: Table) -> None:
        self.table = table

    def count(self, now: datetime, figures: Figures) -> None:
        """Adds to the hour's counts: one update, whatever was counted."""
        added = {f: getattr(figures, f) for f in _FIELDS if getattr(figures, f)}
        if not added:
            return
        self.table.update(
            keys.sending_hour(hour_of(now)),
            "SET #type = :type, expires_at = :expires ADD " + ", ".join(f"{f} :{f}" for f in added),
            {
                ":type": "sending-hour",
                # Kept eight days: the guard reads one, the admin space's rates seven.
                ":expires": int((now + WEEK + WINDOW).timestamp()),
                **{f":{f}": n for f, n in added.items()},
            },
            names={"#type": "type"},
        )

    def last_day(self, now: datetime, since: datetime | None = None) -> Figures:
        """The last 24 hours' counts (this hour and the 23 before), or those of the hours
        after `since` (an admin resumed sending then: what came before was judged): one
        Query."""
        start = now - WINDOW + timedelta(hours=1)
        if since is not None:
            start = max(start, since + timedelta(hours=1))
            if hour_of(start) > hour_of(now):
                return Figures()  # resumed this hour: nothing to judge yet
        return self._hours(start, now)

    def last_week(self, now: datetime) -> Figures:
        """The last seven days' counts (this hour and the 167 before): one Query of 168
        small items at most."""
        return self._hours(now - WEEK + timedelta(hours=1), now)

    def _hours(self, start: datetime, end: datetime) -> Figures:
        """The hourly counts from `start`'s hour to `end`'s, added up: one Query."""
        first = keys.sending_hour(hour_of(start))
        last = keys.sending_hour(hour_of(end))
        total = Figures()
        for item in self.table.query(keys.SENDING, between=(first["SK"], last["SK"])):
            total += Figures(*(int(item.get(f, 0)) for f in _FIELDS))
        return total

    def pause(self, now: datetime, reason: str, figures: Figures) -> bool:
        """Pauses new sends; False if they were paused already (nothing written)."""
        try:
            self.table.put(
                {
                    **keys.PAUSE,
                    "type": "sending-pause",
                    "since": now.isoformat(),
                    "reason": reason,
                    **{f: getattr(figures, f) for f in _FIELDS},
                },
                # A resumed pause stays as the record of when sending resumed.
                condition="attribute_not_exists(PK) OR attribute_exists(resumed_at)",
            )
        except ConditionFailed:
            return False
        return True

    def last_pause(self, *, consistent: bool = False) -> Pause | None:
        """The latest pause, in force or resumed (None: sending never paused)."""
        item = self.table.get(keys.PAUSE, consistent=consistent)
        if item is None:
            return None
        return Pause(
            since=item["since"],
            reason=item["reason"],
            figures=Figures(*(int(item.get(f, 0)) for f in _FIELDS)),
            resumed_at=item.get("resumed_at"),
            resumed_by=item.get("resumed_by"),
            noticed="noticed_at" in item,
        )

    def claim_notice(self, since: str, now: datetime) -> bool:
        """The right to email the admins of the pause that began at `since`, while it
        lasts: True for one caller only, so that concurrent notifications never both
        email; a failed email gives it back (release_notice) for Lambda's retry."""
        try:
            self.table.update(
                keys.PAUSE,
                "SET noticed_at = :now",
                {":now": now.isoformat(), ":since": since},
                condition="since = :since AND attribute_not_exists(noticed_at) "
                "AND attribute_not_exists(resumed_at)",
            )
        except ConditionFailed:
            return False
        return True

    def release_notice(self, since: str) -> None:
        # (ConditionFailed: another pause since, whose notice is its own)
        with suppress(ConditionFailed):
            self.table.update(
                keys.PAUSE, "REMOVE noticed_at", {":since": since}, condition="since = :since"
            )

    def resume(self, now: datetime, by: str, *, since: str | None = None) -> bool:
        """Sends go again; False if they were not paused (nothing written), or, given
        `since`, if the pause in force is not the one that began then (a link resumes
        its own pause, never a later one)."""
        condition = "attribute_exists(PK) AND attribute_not_exists(resumed_at)"
        values = {":now": now.isoformat(), ":by": by}
        if since is not None:
            condition += " AND since = :since"
            values[":since"] = since
        try:
            self.table.update(
                keys.PAUSE, "SET resumed_at = :now, resumed_by = :by", values, condition=condition
            )
        except ConditionFailed:
            return False
        return True
