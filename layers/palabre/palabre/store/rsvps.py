"""Responses to live sessions' invitations: one item per (theme, member) in the theme's
partition (keys.rsvp), read by the session's reminders and the animator's attendance list
with one Query of the theme's RSVP# range, never a Scan.

Seats are counted on one item beside them (keys.seats, `taken`), moved in the same
transaction as the response that takes or frees a seat, under the condition that a seat
is left: two members asking for the last seat at once never both get it. A response is
written on the condition that it is still the one its writer read (its `at`), so two tabs
never count a seat twice.

The capacity may change after members answered (a calendar upload): seats held past a
lowered one are kept, and a seat freed while as many are still taken as the capacity
allows is given back, not to the waiting list; seats a raised capacity frees go to the
waiting list from the scheduler (`promote`), one conditional transaction per member."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.core.models import Member, Response, Rsvp, Theme
from palabre.core.retention import expires_at
from palabre.store import keys
from palabre.store.dispatch import iso
from palabre.store.members import profile_member
from palabre.store.table import (
    Action,
    ConditionFailed,
    Item,
    Put,
    Table,
    TransactionCancelled,
    Update,
)
from palabre.store.themes import theme_from

CONDITION_FAILED = "ConditionalCheckFailed"


def rsvp_from(item: Item) -> Rsvp:
    return Rsvp.model_validate(item)


class ChangedMeanwhile(Exception):
    """The member's response, or the waiting member it promoted, changed between the read
    and the write: nothing was written; read again and retry."""


@dataclass(frozen=True)
class Seating:
    """One member's response to a session, with what the page needs around it."""

    theme: Theme | None
    member: Member | None
    """the member's profile (None once erased)"""
    rsvp: Rsvp | None
    taken: int
    """seats taken (yes)"""


def waiting_order(rsvp: Rsvp) -> tuple[str, str]:
    """The waiting list's order: who asked first, then (a tie) the member id."""
    return (rsvp.waiting_since.isoformat() if rsvp.waiting_since else "", rsvp.member_id)


class RsvpStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, theme_id: str, member_id: str, *, consistent: bool = False) -> Rsvp | None:
        item = self.table.get(keys.rsvp(theme_id, member_id), consistent=consistent)
        return rsvp_from(item) if item else None

    def of_member(self, member_id: str, theme_ids: list[str]) -> dict[str, Rsvp]:
        """The member's responses to these sessions, by theme id: one BatchGetItem."""
        found = self.table.get_many([keys.rsvp(t, member_id) for t in theme_ids])
        return {i["theme_id"]: rsvp_from(i) for i in found}

    def responses(self, theme_id: str) -> Iterator[Rsvp]:
        """Every response to the session, in member id order."""
        for item in self.table.query(keys.theme_partition(theme_id), prefix=keys.RSVPS):
            yield rsvp_from(item)

    def coming(self, theme_id: str) -> list[Rsvp]:
        """Those who said yes or maybe: reminded, and listed for the animator."""
        return [r for r in self.responses(theme_id) if r.response.coming]

    def waiting(self, theme_id: str) -> list[Rsvp]:
        """The waiting list, first asked first: one Query of the session's responses."""
        listed = [r for r in self.responses(theme_id) if r.response is Response.WAITING]
        return sorted(listed, key=waiting_order)

    def seating(self, theme_id: str, member_id: str, *, consistent: bool = False) -> Seating:
        """The session, the member's profile and response, and the seats taken, in one
        BatchGetItem (`consistent`: the page that follows the member's own change)."""
        wanted = [
            keys.theme(theme_id),
            keys.rsvp(theme_id, member_id),
            keys.seats(theme_id),
            keys.member(member_id),
        ]
        found = {(i["PK"], i["SK"]): i for i in self.table.get_many(wanted, consistent=consistent)}
        theme, mine, seats, profile = (found.get((k["PK"], k["SK"])) for k in wanted)
        return Seating(
            theme=theme_from(theme) if theme else None,
            member=profile_member(profile, self.table),
            rsvp=rsvp_from(mine) if mine else None,
            taken=int(seats.get("taken", 0)) if seats else 0,
        )

    def page(
        self, theme_id: str, *, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Rsvp], dict[str, Any] | None]:
        """One page of the session's responses, and where the next starts (None: the
        end): the scheduler's reminders page through them with a cursor."""
        items, position = self.table.page(
            keys.theme_partition(theme_id), prefix=keys.RSVPS, limit=limit, start=start
        )
        return [rsvp_from(i) for i in items], position

    # ------------------------------------------------------------------ writes
    def take_seat(self, theme: Theme, member: Member, before: Rsvp | None, now: datetime) -> Rsvp:
        """Yes, if a seat is left (or the session has no limit); else the waiting list.
        Raises ChangedMeanwhile when the member's response is no longer `before`."""
        mine = self._item(theme, member, before, Response.YES, now)
        seat = Update(
            keys.seats(theme.id),
            "SET theme_id = :theme ADD taken :one",
            {":theme": theme.id, ":one": 1} | ({":cap": theme.capacity} if theme.capacity else {}),
            condition="attribute_not_exists(taken) OR taken < :cap" if theme.capacity else None,
        )
        try:
            self.table.transact([seat, self._put(mine, before)])
            return rsvp_from(mine)
        except TransactionCancelled as refused:
            if refused.reasons[1:2] == [CONDITION_FAILED]:
                raise ChangedMeanwhile from None
            if refused.reasons[:1] != [CONDITION_FAILED]:
                raise
        # Full: on the waiting list, in the order members asked.
        waiting = self._item(theme, member, before, Response.WAITING, now)
        waiting["waiting_since"] = now.isoformat()
        self._write([self._put(waiting, before)])
        return rsvp_from(waiting)

    def answer(
        self, theme: Theme, member: Member, before: Rsvp | None, wanted: Response, now: datetime
    ) -> tuple[Rsvp, Rsvp | None]:
        """No or maybe (or a waiting member's "yes" kept as it is); a seat it frees goes to
        the first on the waiting list, in the same transaction, and the session is made
        due for the scheduler, which queues their email. Returns the response written and
        the member promoted, if any."""
        mine = self._item(theme, member, before, wanted, now)
        if before is not None and before.waiting_since and wanted is Response.WAITING:
            mine["waiting_since"] = before.waiting_since.isoformat()
        if before is None or before.response is not Response.YES:
            self._write([self._put(mine, before)])
            return rsvp_from(mine), None
        for candidate in self.waiting(theme.id)[:1]:
            actions: list[Action] = [
                self._put(mine, before),
                self._promotion(theme, candidate, now),
                _due(theme, now),
            ]
            if theme.capacity is not None:
                # The seat is the waiting member's only if, once freed, the count is below
                # the capacity: past a lowered one it is given back instead (below).
                actions.append(
                    Update(
                        keys.seats(theme.id),
                        "SET theme_id = :theme",
                        {":theme": theme.id, ":cap": theme.capacity},
                        condition="taken <= :cap",
                    )
                )
            try:
                self._write(actions, promotion=True)
            except _PromotionFailed:
                # The first waiting member changed meanwhile: read the list again.
                raise ChangedMeanwhile from None
            except _OverCapacity:
                break
            return rsvp_from(mine), candidate.model_copy(
                update={"response": Response.YES, "promoted_at": now, "waiting_since": None}
            )
        release = Update(keys.seats(theme.id), "ADD taken :minus", {":minus": -1})
        # Due as well: the waiting list was read without a strong read (a Query), and one
        # who joined it meanwhile is given the freed seat by the scheduler's next tick.
        self._write([self._put(mine, before), release, _due(theme, now)])
        return rsvp_from(mine), None

    def taken_of(self, theme_ids: list[str]) -> dict[str, int]:
        """The seats taken at each of these sessions, by theme id: one BatchGetItem (none
        for no session)."""
        if not theme_ids:
            return {}
        found = self.table.get_many([keys.seats(t) for t in theme_ids], consistent=True)
        return {i["theme_id"]: int(i.get("taken", 0)) for i in found}

    def full(self, theme: Theme) -> bool:
        """No seat left: as many taken as the capacity (or more, past a lowered one), read
        strongly consistent. A session without a capacity is never full."""
        if theme.capacity is None:
            return False
        item = self.table.get(keys.seats(theme.id), consistent=True)
        return (int(item.get("taken", 0)) if item else 0) >= theme.capacity

    def promote(
        self, theme: Theme, waiting: list[Rsvp], now: datetime, *, go_on: Callable[[], bool]
    ) -> tuple[list[Rsvp], bool]:
        """Gives the seats left to the waiting members, in order (`waiting`, first asked
        first), each in one transaction: a seat taken on condition that one is left, and
        their response made yes on condition that they still wait since the same instant.
        Returns those promoted, and True once no seat or no one is left (False when
        `go_on` said to stop first)."""
        if not waiting or self.full(theme):
            return [], True
        unlimited = theme.capacity is None
        seat = Update(
            keys.seats(theme.id),
            "SET theme_id = :theme ADD taken :one",
            {":theme": theme.id, ":one": 1} | ({} if unlimited else {":cap": theme.capacity}),
            condition=None if unlimited else "attribute_not_exists(taken) OR taken < :cap",
        )
        promoted: list[Rsvp] = []
        for candidate in waiting:
            if not go_on():
                return promoted, False
            try:
                self.table.transact([seat, self._promotion(theme, candidate, now)])
            except TransactionCancelled as refused:
                if refused.reasons[:1] == [CONDITION_FAILED]:
                    return promoted, True  # full
                if refused.reasons[1:2] != [CONDITION_FAILED]:
                    raise
                continue  # no longer waiting (or waiting again since later): next one
            promoted.append(
                candidate.model_copy(
                    update={"response": Response.YES, "promoted_at": now, "waiting_since": None}
                )
            )
        return promoted, True

    def promotion_queued(self, theme_id: str, member_id: str) -> None:
        """The scheduler queued the promoted member's email: it never queues it again."""
        self.table.update(
            keys.rsvp(theme_id, member_id),
            "SET promotion_queued = :true",
            {":true": True},
            condition="attribute_exists(promoted_at)",
        )

    def owed(self, theme_id: str) -> tuple[list[Rsvp], list[Rsvp]]:
        """The waiting list (first asked first), and the members promoted whose email the
        scheduler has not queued yet: one Query of the session's responses."""
        waiting: list[Rsvp] = []
        unqueued: list[Rsvp] = []
        for item in self.table.query(keys.theme_partition(theme_id), prefix=keys.RSVPS):
            if item.get("response") == Response.WAITING.value:
                waiting.append(rsvp_from(item))
            elif item.get("promoted_at") and not item.get("promotion_queued"):
                unqueued.append(rsvp_from(item))
        return sorted(waiting, key=waiting_order), unqueued

    def promotion_told(self, theme_id: str, member_id: str, now: datetime) -> bool:
        """Records the promoted member's email, once; False if another delivery did."""
        try:
            self.table.update(
                keys.rsvp(theme_id, member_id),
                "SET promotion_sent_at = :now",
                {":now": now.isoformat()},
                condition="attribute_exists(promoted_at) "
                "AND attribute_not_exists(promotion_sent_at)",
            )
        except ConditionFailed:
            return False
        return True

    # ------------------------------------------------------------------ helpers
    def _item(
        self, theme: Theme, member: Member, before: Rsvp | None, response: Response, now: datetime
    ) -> dict[str, Any]:
        return {
            **keys.rsvp(theme.id, member.id),
            "type": "rsvp",
            "theme_id": theme.id,
            "member_id": member.id,
            "response": response.value,
            "at": now.isoformat(),
            "first_name": member.first_name,
            "last_name": member.last_name,
            "locale": member.locale,
            "timezone": member.timezone,
            "attended": before.attended if before else False,
            # Names: kept as long as the send records beside them.
            "expires_at": expires_at(now, self.table.retention_months),
            # A session moved later after a tick opens responses again: the tick's
            # revision and what it earned stay, so that an untick still withdraws them.
            **(before.attendance if before else {}),
        }

    def _put(self, item: dict[str, Any], before: Rsvp | None) -> Put:
        if before is None:
            return Put(item, condition="attribute_not_exists(PK)")
        # Still the response read, and no tick since (the attendance page moves its
        # revision, never `at`): a whole-item write must not undo either.
        revision = before.attendance.get("attended_rev")
        if revision is None:
            return Put(
                item,
                condition="#at = :before AND attribute_not_exists(attended_rev)",
                values={":before": before.at.isoformat()},
                names={"#at": "at"},
            )
        return Put(
            item,
            condition="#at = :before AND attended_rev = :rev",
            values={":before": before.at.isoformat(), ":rev": revision},
            names={"#at": "at"},
        )

    def _promotion(self, theme: Theme, candidate: Rsvp, now: datetime) -> Update:
        assert candidate.waiting_since is not None
        return Update(
            keys.rsvp(theme.id, candidate.member_id),
            "SET #response = :yes, #at = :now, promoted_at = :now REMOVE waiting_since",
            {
                ":yes": Response.YES.value,
                ":now": now.isoformat(),
                ":waiting": Response.WAITING.value,
                ":since": candidate.waiting_since.isoformat(),
            },
            names={"#response": "response", "#at": "at"},
            condition="#response = :waiting AND waiting_since = :since",
        )

    def _write(self, actions: list[Action], *, promotion: bool = False) -> None:
        """One write, or one transaction; ChangedMeanwhile when the member's own response
        (the first action) is no longer the one read."""
        try:
            if len(actions) == 1 and isinstance(actions[0], Put):
                put = actions[0]
                self.table.put(
                    put.item, condition=put.condition, values=put.values, names=put.names
                )
                return
            self.table.transact(actions)
        except TransactionCancelled as refused:
            if refused.reasons[:1] == [CONDITION_FAILED]:
                raise ChangedMeanwhile from None
            if promotion and refused.reasons[1:2] == [CONDITION_FAILED]:
                raise _PromotionFailed from None
            if promotion and refused.reasons[3:4] == [CONDITION_FAILED]:
                raise _OverCapacity from None
            raise
        except ConditionFailed:
            raise ChangedMeanwhile from None


def _due(theme: Theme, now: datetime) -> Update:
    """The session made due now for the scheduler, which gives free seats to those waiting
    and queues their emails; unconditionally: now is never later than a due instant that
    matters (a tick that read an earlier one finds it changed and comes back)."""
    return Update(
        keys.dispatch(theme.id),
        "SET theme_id = :theme, GSI2PK = :open, GSI2SK = :due",
        {":theme": theme.id, ":open": keys.DISPATCH_OPEN, ":due": iso(now)},
    )


class _PromotionFailed(Exception):
    """The waiting member a freed seat was for changed meanwhile."""


class _OverCapacity(Exception):
    """As many seats are still taken as the capacity allows: the freed one is not given."""
