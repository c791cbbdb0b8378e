"""Scores: each member's points, the team and circle standings, and the awards that make
every change count once.

Every change is keyed by what caused it (an AWARD#<cause> item, written with a
condition) in the same transaction as the totals it moves, so an award exists if and only
if its points were counted. Totals are written once per distinct member, team and circle
per transaction, never once per change: no hot key.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from palabre.core.models import group_key
from palabre.core.points import Change, Standing, ranked
from palabre.store import keys
from palabre.store.table import Action, Item, Put, Table, TransactionCancelled, Update

TRANSACTION_LIMIT = 100


class AlreadyCounted(Exception):
    """Some of the changes were counted by an earlier run: nothing was written."""

    def __init__(self, counted: set[int]) -> None:
        super().__init__(f"{len(counted)} changes already counted")
        self.counted = counted
        """indexes, in the changes given, of those already counted"""


class Contention(Exception):
    """Another writer's transaction touched the same totals: nothing was written."""


@dataclass
class _Totals:
    points: int = 0
    answers: int = 0
    prompts: int = 0
    name: str = ""

    def add(self, change: Change) -> None:
        self.points += change.points
        self.answers += change.answers
        self.prompts += change.prompts


def transaction_size(changes: Sequence[Change]) -> int:
    """The actions `ScoreStore.count` writes for these changes."""
    return (
        len(changes)
        + len({c.member for c in changes})
        + len({group_key(c.team) for c in changes if c.team})
        + len({group_key(c.circle) for c in changes if c.circle})
        + len({c.useful for c in changes if c.useful})
    )


class ScoreStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def count(self, changes: Sequence[Change], now: datetime) -> int:
        """Counts every change in one transaction (at most TRANSACTION_LIMIT actions, see
        transaction_size); returns how many writes it took. Raises AlreadyCounted when some
        were counted before, Contention when another transaction got in the way: then
        nothing was written."""
        actions = _actions(changes, now)
        try:
            self.table.transact(actions)
        except TransactionCancelled as cancelled:
            counted = {
                i
                for i, reason in enumerate(cancelled.reasons[: len(changes)])
                if reason == "ConditionalCheckFailed"
            }
            if counted:
                raise AlreadyCounted(counted) from None
            if "TransactionConflict" in cancelled.reasons:
                raise Contention from None
            raise
        return len(actions)

    def standings(self, kind: str) -> list[Standing]:
        """A board's standings (team or circle), ranked."""
        return ranked([_standing(i) for i in self.table.query(keys.board_partition(kind))])

    def points(self, member_id: str) -> Item | None:
        return self.table.get(keys.score(member_id))


def _standing(item: Item) -> Standing:
    return Standing(
        name=item["name"] if "name" in item else item["SK"],
        points=item.get("points", 0),
        answers=item.get("answers", 0),
        prompts=item.get("prompts", 0),
    )


def _actions(changes: Sequence[Change], now: datetime) -> list[Action]:
    """One transaction: the awards, then each distinct total once."""
    members: dict[str, _Totals] = {}
    teams: dict[str, _Totals] = {}
    circles: dict[str, _Totals] = {}
    useful: dict[tuple[str, str], int] = {}
    for change in changes:
        members.setdefault(change.member, _Totals()).add(change)
        if change.team:
            teams.setdefault(group_key(change.team), _Totals(name=change.team)).add(change)
        if change.circle:
            circles.setdefault(group_key(change.circle), _Totals(name=change.circle)).add(change)
        if change.useful:
            useful[change.useful] = useful.get(change.useful, 0) + 1
    actions: list[Action] = [
        Put(
            {
                **keys.award(c.member, c.cause),
                "type": "award",
                "points": c.points,
                "at": now.isoformat(),
            },
            condition="attribute_not_exists(PK)",
        )
        for c in changes
    ]
    actions.extend(_add(keys.score(member), totals) for member, totals in members.items())
    for kind, entries in (("team", teams), ("circle", circles)):
        actions.extend(
            _add(keys.board(kind, totals.name), totals, name=totals.name)
            for totals in entries.values()
        )
    actions.extend(
        Update(keys.answer(theme, author), "ADD useful :n", {":n": votes})
        for (theme, author), votes in useful.items()
    )
    return actions


def _add(key: dict[str, str], totals: _Totals, name: str = "") -> Update:
    expression = "ADD points :points, answers :answers, prompts :prompts"
    values: dict[str, object] = {
        ":points": totals.points,
        ":answers": totals.answers,
        ":prompts": totals.prompts,
    }
    if not name:
        return Update(key, expression, values)
    return Update(
        key, "SET #name = :name " + expression, values | {":name": name}, names={"#name": "name"}
    )
