"""Scores: each member's points, the team and circle standings, each change counted once.

A change is counted by a transaction that moves every total it touches: the member's
score (for points: answers and votes; a prompt sent counts for participation only), the
team's and the circle's standings, and an answer's "useful" count. Exactly once, with no
item of its own: the circle's standing keeps the causes it counted lately (a string set
per day, `seen_<YYYYMMDD>`, the day the change was recorded), and its update holds only if
none of the transaction's causes is there yet. A stream batch is retried or replayed
within the stream's 24 hours, so three days of causes are enough; older days are removed
as newer ones are written. A change without a circle keeps its causes on the member's
score instead.

So a batch costs one write per distinct member with points, team and circle, and one
per theme (its tally, store/tallies.py) — not one per change: a hundred prompts of one
theme to a hundred members of ten circles and four teams are 15 writes.
"""

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from palabre.core.points import Change, Standing, ranked
from palabre.store import keys
from palabre.store.table import Item, Table, TransactionCancelled, Update
from palabre.store.tallies import tally_adds

TRANSACTION_LIMIT = 100
CAUSES_LIMIT = 80
"""causes one item's condition checks in one transaction (an expression is 4 KB at most)"""
KEPT_DAYS = 3
"""days of causes a circle keeps: the stream's retention (24 hours), and a margin"""
FORGOTTEN_DAYS = range(KEPT_DAYS, 31)
"""days removed as a newer one is written (a circle silent for longer keeps at most a
month of small sets)"""
_SEEN = "seen_"


class AlreadyCounted(Exception):
    """A cause of the transaction was counted before: nothing was written."""


class Contention(Exception):
    """Another writer's transaction touched the same totals: nothing was written."""


@dataclass
class _Totals:
    """One item's update: numbers to add, a display name, causes to remember."""

    key: dict[str, str]
    name: str = ""
    adds: Counter[str] = field(default_factory=Counter)
    circles: set[str] = field(default_factory=set)
    """voters' circles, on an answer found useful"""
    causes: dict[str, set[str]] = field(default_factory=dict)
    """day -> causes, on the item that keeps them"""


def holder(change: Change) -> dict[str, str]:
    """The item that keeps a change's cause: its circle's standing, else the member's
    score."""
    return keys.board("circle", change.circle) if change.circle else keys.score(change.member)


def transaction_size(changes: Sequence[Change]) -> int:
    """The items `ScoreStore.count` writes for these changes."""
    return len(set().union(*map(touched, changes)))


def touched(change: Change) -> set[tuple[str, str]]:
    """The items (PK, SK) one change moves, as `ScoreStore.count` writes them: a
    transaction's size is the size of its changes' union."""
    return {_pair(key) for key, _, _ in _moves(change)}


class ScoreStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def count(self, changes: Sequence[Change]) -> int:
        """Counts every change in one transaction (at most TRANSACTION_LIMIT items, see
        transaction_size); returns how many items it wrote. Raises AlreadyCounted when a
        cause was counted before (see `counted`), Contention when another transaction got
        in the way: then nothing was written."""
        # Changes that cancel out (a tick and its untick in one batch) leave an item with
        # nothing to add: no action for it (an empty update is refused).
        actions = [a for a in map(_action, _updates(changes).values()) if a.expression]
        try:
            self.table.transact(actions)
        except TransactionCancelled as cancelled:
            if "ConditionalCheckFailed" in cancelled.reasons:
                raise AlreadyCounted from None
            if "TransactionConflict" in cancelled.reasons:
                raise Contention from None
            raise
        return len(actions)

    def counted(self, changes: Sequence[Change]) -> set[int]:
        """Which of the changes (by index) were counted already: their causes are kept
        by their circle (or member). One BatchGetItem."""
        holders = {(k["PK"], k["SK"]): k for k in map(holder, changes)}
        kept = {(i["PK"], i["SK"]): i for i in self.table.get_many(holders.values())}
        return {
            n
            for n, change in enumerate(changes)
            if change.cause in _kept(kept.get(_pair(holder(change))), change.day)
        }

    def standings(self, kind: str) -> list[Standing]:
        """A board's standings (team or circle), ranked."""
        return ranked([_standing(i) for i in self.table.query(keys.board_partition(kind))])

    def rank_members(self, member_ids: Sequence[str], week: str) -> int:
        """Each member's place by points among `member_ids` (those who take part; equal
        points, equal place: 1, 2, 2, 4), kept on their SCORE item for their space and
        their digest: a BatchGetItem per hundred, and an update only where the place (or
        the count) changed. Returns the updates."""
        items = {i["PK"]: i for i in self.table.get_many([keys.score(m) for m in member_ids])}
        stored = {m: items.get(keys.member_partition(m), {}) for m in member_ids}
        points = {m: int(item.get("points", 0)) for m, item in stored.items()}
        descending = sorted(-p for p in points.values())
        updates = 0
        for member, item in stored.items():
            place = 1 + bisect_left(descending, -points[member])
            if (item.get("rank"), item.get("ranked_of")) == (place, len(stored)):
                continue
            self.table.update(
                keys.score(member),
                "SET #rank = :rank, ranked_of = :of, ranked_week = :week",
                {":rank": place, ":of": len(stored), ":week": week},
                names={"#rank": "rank"},
            )
            updates += 1
        return updates

    def record_ranks(self, kind: str, standings: Sequence[Standing], week: str) -> None:
        """Each standing's place as the week's digest ranked it, kept on its item for the
        members' spaces (which read one item, not the board): an update per team or
        circle, once a week."""
        for place, standing in enumerate(standings, start=1):
            self.table.update(
                keys.board(kind, standing.name),
                "SET #rank = :rank, ranked_of = :of, ranked_week = :week",
                {":rank": place, ":of": len(standings), ":week": week},
                names={"#rank": "rank"},
            )


def _pair(key: dict[str, str]) -> tuple[str, str]:
    return key["PK"], key["SK"]


def _kept(item: Item | None, day: str) -> set[str]:
    return set((item or {}).get(_SEEN + day, set()))


def _standing(item: Item) -> Standing:
    return Standing(
        name=item["name"] if "name" in item else item["SK"],
        points=item.get("points", 0),
        answers=item.get("answers", 0),
        prompts=item.get("prompts", 0),
    )


def _moves(change: Change) -> Iterator[tuple[dict[str, str], str, dict[str, int]]]:
    """Each item one change moves — its key, its display name, what it adds — the
    holder of its cause first: the member with points, the team and circle, the answer
    found useful, the theme's tally."""
    yield holder(change), "", {}
    if change.points or change.answers:
        yield keys.score(change.member), "", {"points": change.points, "answers": change.answers}
    moved = {"points": change.points, "answers": change.answers, "prompts": change.prompts}
    for kind, group in (("team", change.team), ("circle", change.circle)):
        if group:
            yield keys.board(kind, group), group, moved
    if change.useful:
        yield keys.answer(*change.useful), "", {"useful": 1}
    if change.theme and (change.prompts or change.answers):
        adds = tally_adds(change.prompts, change.answers, change.circle, change.team)
        yield keys.tally(change.theme), "", adds


def _updates(changes: Sequence[Change]) -> dict[tuple[str, str], _Totals]:
    """Each item the changes move, once, with all they add to it."""
    updates: dict[tuple[str, str], _Totals] = {}
    for change in changes:
        for n, (key, name, adds) in enumerate(_moves(change)):
            found = updates.setdefault(_pair(key), _Totals(key, name))
            found.name = found.name or name
            found.adds.update(adds)
            if change.useful and change.voter_circle and key == keys.answer(*change.useful):
                found.circles.add(change.voter_circle)
            if n == 0:  # the holder keeps the cause
                found.causes.setdefault(change.day, set()).add(change.cause)
    return updates


def _action(totals: _Totals) -> Update:
    """One item's update: ADD the numbers and the causes, SET the name, REMOVE days of
    causes past keeping; held by a condition that none of the causes is kept yet."""
    names: dict[str, str] = {}
    values: dict[str, object] = {}
    adds: list[str] = []
    moved = sorted((a, amount) for a, amount in totals.adds.items() if amount)
    for n, (attribute, amount) in enumerate(moved):
        names[f"#a{n}"] = attribute
        values[f":a{n}"] = amount
        adds.append(f"#a{n} :a{n}")
    if totals.circles:
        names["#uc"] = "useful_circles"
        values[":uc"] = totals.circles
        adds.append("#uc :uc")
    conditions: list[str] = []
    for d, (day, causes) in enumerate(sorted(totals.causes.items())):
        names[f"#s{d}"] = _SEEN + day
        values[f":s{d}"] = causes
        adds.append(f"#s{d} :s{d}")
        for c, cause in enumerate(sorted(causes)):
            values[f":c{d}_{c}"] = cause
            conditions.append(f"NOT contains(#s{d}, :c{d}_{c})")
    expression = "ADD " + ", ".join(adds) if adds else ""
    if totals.name:
        names["#name"] = "name"
        values[":name"] = totals.name
        expression = f"SET #name = :name {expression}"
    forgotten = _forgotten(set(totals.causes))
    if forgotten:
        removed = []
        for r, day in enumerate(forgotten):
            names[f"#r{r}"] = _SEEN + day
            removed.append(f"#r{r}")
        expression += " REMOVE " + ", ".join(removed)
    return Update(
        totals.key,
        expression.strip(),
        values,
        names=names,
        condition=" AND ".join(conditions) or None,
    )


def _forgotten(days: set[str]) -> list[str]:
    """The days of causes to remove beside those written: a month before the newest,
    but never one being written."""
    dated = [d for d in days if d]
    if not dated:
        return []
    newest = datetime.strptime(max(dated), "%Y%m%d").date()
    old = (_day(newest - timedelta(days=n)) for n in FORGOTTEN_DAYS)
    return sorted(d for d in old if d not in days)


def _day(moment: date) -> str:
    return moment.strftime("%Y%m%d")
