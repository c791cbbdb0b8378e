"""Journey 5: points, streaks and standings, from the table's stream, each award once.

Rules: a new answer earns its theme's points (+5 within 48 hours of the email; the
answer API computes it and stores it on the answer); an edit earns nothing (the stream
trigger only passes INSERTs); each "useful" vote earns the author 2. A prompt sent and an
answer given count towards participation (answers ÷ prompts sent).

Exactly once: every change is keyed by what caused it (an AWARD#<cause> item, written
with a condition) in the same transaction as the totals it moves, so an award exists if
and only if its points were counted. A batch processed three times leaves every score as
after the first. Totals are written once per distinct member, team and circle per
transaction (up to 100 items), never once per answer: no hot key.
"""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from palabre.core.models import group_key
from palabre.store import keys
from palabre.store.table import Item, Table, to_dynamo

VOTE_POINTS = 2
FAST_BONUS = 5
FAST_WINDOW = timedelta(hours=48)
TRANSACTION_LIMIT = 100


def sent_within_bonus(sent_at: datetime, answered_at: datetime) -> bool:
    """Whether an answer came soon enough after its email to earn FAST_BONUS."""
    return answered_at - sent_at <= FAST_WINDOW


class PoisonRecord(ValueError):
    """A stream record no retry can fix (a malformed item): parked, never blocking."""


@dataclass(frozen=True)
class Change:
    cause: str
    member: str
    team: str
    circle: str
    points: int = 0
    answers: int = 0
    prompts: int = 0
    useful: tuple[str, str] | None = None
    """(theme, author) of an answer voted useful"""


def _need(image: Mapping[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if not image.get(n) and image.get(n) != 0]
    if missing:
        raise PoisonRecord(f"{image.get('PK')}/{image.get('SK')} lacks {', '.join(missing)}")
    return [image[n] for n in names]


def change_of(image: Mapping[str, Any]) -> Change | None:
    """What one new item (a stream INSERT's NewImage) changes in the scores, if anything."""
    sort_key = str(image.get("SK", ""))
    if sort_key.startswith("PROMPT#"):
        if image.get("status") != "sent":
            return None  # skipped prompts were never addressed to anyone
        theme, member = _need(image, "theme_id", "member_id")
        return Change(
            f"prompt#{theme}", member, image.get("team", ""), image.get("circle", ""), prompts=1
        )
    if sort_key.startswith("ANSWER#"):
        theme, member, points = _need(image, "theme_id", "member_id", "points")
        if not isinstance(points, int) or isinstance(points, bool) or points < 0:
            raise PoisonRecord(f"answer {theme}/{member} has points {points!r}")
        return Change(
            f"answer#{theme}",
            member,
            image.get("team", ""),
            image.get("circle", ""),
            points=points,
            answers=1,
        )
    if sort_key.startswith("VOTE#"):
        theme, author, voter = _need(image, "theme_id", "author_id", "voter_id")
        return Change(
            f"vote#{theme}#{voter}",
            author,
            image.get("team", ""),
            image.get("circle", ""),
            points=VOTE_POINTS,
            useful=(theme, author),
        )
    return None


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


@dataclass
class Applied:
    applied: int = 0
    already: int = 0
    transactions: int = 0
    writes: int = 0


def _items(changes: list[Change], table: str, now: datetime) -> list[dict[str, Any]]:
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
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": to_dynamo(
                    {
                        **keys.award(c.member, c.cause),
                        "type": "award",
                        "points": c.points,
                        "at": now.isoformat(),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        for c in changes
    ]
    for member, totals in members.items():
        items.append(_add(table, keys.score(member), totals))
    for kind, entries in (("team", teams), ("circle", circles)):
        for totals in entries.values():
            items.append(_add(table, keys.board(kind, totals.name), totals, name=totals.name))
    for (theme, author), votes in useful.items():
        items.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": to_dynamo(keys.answer(theme, author)),
                    "UpdateExpression": "ADD useful :n",
                    "ExpressionAttributeValues": to_dynamo({":n": votes}),
                }
            }
        )
    return items


def _add(table: str, key: dict[str, str], totals: _Totals, name: str = "") -> dict[str, Any]:
    expression = "ADD points :points, answers :answers, prompts :prompts"
    values: dict[str, Any] = {
        ":points": totals.points,
        ":answers": totals.answers,
        ":prompts": totals.prompts,
    }
    if name:
        expression = "SET #name = :name " + expression
        values[":name"] = name
    update: dict[str, Any] = {
        "TableName": table,
        "Key": to_dynamo(key),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": to_dynamo(values),
    }
    if name:
        update["ExpressionAttributeNames"] = {"#name": "name"}
    return {"Update": update}


def _size(changes: list[Change]) -> int:
    return (
        len(changes)
        + len({c.member for c in changes})
        + len({group_key(c.team) for c in changes if c.team})
        + len({group_key(c.circle) for c in changes if c.circle})
        + len({c.useful for c in changes if c.useful})
    )


def chunks(changes: list[Change]) -> list[list[Change]]:
    """Transactions of at most 100 items, a member's changes kept together."""
    by_member: dict[str, list[Change]] = {}
    for change in changes:
        by_member.setdefault(change.member, []).append(change)
    result: list[list[Change]] = []
    current: list[Change] = []
    for group in by_member.values():
        if current and _size(current + group) > TRANSACTION_LIMIT:
            result.append(current)
            current = []
        current = current + group
        while _size(current) > TRANSACTION_LIMIT:  # one member with very many changes
            cut = len(current) // 2
            while _size(current[:cut]) > TRANSACTION_LIMIT:
                cut //= 2
            result.append(current[:cut])
            current = current[cut:]
    if current:
        result.append(current)
    return result


class ScoreKeeper:
    def __init__(self, table: Table) -> None:
        self.table = table

    def apply(self, changes: Iterable[Change], now: datetime) -> Applied:
        unique = list({(c.member, c.cause): c for c in changes}.values())
        outcome = Applied()
        for chunk in chunks(unique):
            self._transact(chunk, now, outcome)
        return outcome

    def _transact(self, chunk: list[Change], now: datetime, outcome: Applied) -> None:
        for attempt in range(6):
            if not chunk:
                return
            items = _items(chunk, self.table.name, now)
            # No ClientRequestToken of our own: the conditional awards already make a replay a
            # no-op, whereas a token derived from the changes, reused within ten minutes by a
            # retried batch (whose awards carry another `at`), fails with
            # IdempotentParameterMismatchException. botocore adds a fresh token per call and
            # reuses it across its own retries of that call.
            try:
                self.table.client.transact_write_items(TransactItems=items)
            except self.table.client.exceptions.TransactionCanceledException as error:
                reasons = error.response.get("CancellationReasons", [])
                done = {
                    (chunk[i].member, chunk[i].cause)
                    for i, reason in enumerate(reasons[: len(chunk)])
                    if reason.get("Code") == "ConditionalCheckFailed"
                }
                if done:
                    # Those awards exist: their points were counted by an earlier run.
                    outcome.already += len(done)
                    chunk = [c for c in chunk if (c.member, c.cause) not in done]
                    continue
                if any(r.get("Code") == "TransactionConflict" for r in reasons):
                    time.sleep(0.05 * 2**attempt)  # another shard's batch on a shared total
                    continue
                raise
            outcome.applied += len(chunk)
            outcome.transactions += 1
            outcome.writes += len(items)
            return
        raise RuntimeError("score transaction kept conflicting")


# ---------------------------------------------------------------------------- streaks
@dataclass(frozen=True)
class PromptFact:
    """A theme addressed to a member: when it was sent, its deadline, whether answered."""

    theme_id: str
    sent_at: datetime
    deadline: datetime
    answered: bool


@dataclass(frozen=True)
class StreakState:
    """The streak as of the last settled prompt (answered, or closed unanswered)."""

    streak: int = 0
    through: str = ""
    """sort key (PROMPT#<sent_at>#<theme>) of the last settled prompt"""


def advance_streak(
    state: StreakState, prompts: Iterable[PromptFact], now: datetime
) -> tuple[int, StreakState]:
    """(streak to show now, state to keep) after the prompts sent since `state.through`.

    A streak counts consecutive themes addressed to the member that they answered. An
    open theme not yet answered neither counts nor breaks it; a theme whose deadline
    passed unanswered breaks it. The state only moves past settled prompts, so a theme
    still open is looked at again next time.
    """
    shown = state.streak
    settled = state
    open_before = False
    for fact in sorted(prompts, key=lambda f: (f.sent_at, f.theme_id)):
        sort_key = f"PROMPT#{fact.sent_at.isoformat()}#{fact.theme_id}"
        if fact.answered:
            shown += 1
            if not open_before:
                settled = StreakState(settled.streak + 1, sort_key)
        elif now >= fact.deadline:
            shown = 0
            if not open_before:
                settled = StreakState(0, sort_key)
            else:
                # An older theme is still open; this one broke the streak anyway.
                settled = StreakState(0, settled.through)
        else:
            open_before = True
    return shown, settled


# ---------------------------------------------------------------------------- standings
@dataclass(frozen=True)
class Standing:
    name: str
    points: int
    answers: int
    prompts: int

    @property
    def participation(self) -> float:
        return self.answers / self.prompts if self.prompts else 0.0


def standing_from(item: Item) -> Standing:
    return Standing(
        name=item.get("name", item["SK"]),
        points=item.get("points", 0),
        answers=item.get("answers", 0),
        prompts=item.get("prompts", 0),
    )


def ranked(standings: Iterable[Standing]) -> list[Standing]:
    """By participation rate first, so a small team that answers everything can win;
    points then break ties."""
    return sorted(standings, key=lambda s: (-s.participation, -s.points, s.name))


def standings(table: Table, kind: str) -> list[Standing]:
    return ranked(standing_from(i) for i in table.query(f"BOARD#{kind}"))
