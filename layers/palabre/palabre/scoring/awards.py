"""Points, streaks and standings, from the table's stream, each change counted once.

Rules: a new answer earns its theme's points (+5 within 48 hours of the email; the
answer page computes it and stores it on the answer); an edit earns nothing (the stream
trigger only passes INSERTs); each "useful" vote earns the author 2. A prompt sent and an
answer given count towards participation (answers ÷ prompts sent). Being ticked present
at a live session earns what an answer earns, and being unticked withdraws it: each
revision of the attendance is one change (store/sessions.py).

Exactly once (see store/scores.py): a batch processed three times leaves every score as
after the first, and a batch costs one write per distinct member with points, team and
circle.
"""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from palabre.core.points import VOTE_POINTS, Change
from palabre.store.scores import (
    CAUSES_LIMIT,
    TRANSACTION_LIMIT,
    AlreadyCounted,
    Contention,
    ScoreStore,
    holder,
    touched,
    transaction_size,
)
from palabre.store.sends import SendRecords
from palabre.store.table import Table

ATTEMPTS = 6


class PoisonRecord(ValueError):
    """A stream record no retry can fix (a malformed item): parked, never blocking."""


def _need(image: Mapping[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if not image.get(n) and image.get(n) != 0]
    if missing:
        raise PoisonRecord(f"{image.get('PK')}/{image.get('SK')} lacks {', '.join(missing)}")
    return [image[n] for n in names]


def change_of(
    image: Mapping[str, Any], day: str = "", old: Mapping[str, Any] | None = None
) -> Change | None:
    """What one new item (a stream INSERT's NewImage), or a session's response whose
    attendance changed (a MODIFY: `old` is its OldImage), changes in the scores, if
    anything; `day` (YYYYMMDD) is when the stream recorded it."""
    sort_key = str(image.get("SK", ""))
    if sort_key.startswith("RSVP#"):
        return _attendance(image, old or {}, day)
    if sort_key.startswith("PROMPT#"):
        if image.get("status") != "sent":
            return None  # skipped prompts were never addressed to anyone
        theme, member = _need(image, "theme_id", "member_id")
        return Change(
            f"prompt#{theme}#{member}",
            member,
            image.get("team", ""),
            image.get("circle", ""),
            prompts=1,
            day=day,
            theme=theme,
        )
    if sort_key.startswith("ANSWER#"):
        theme, member, points = _need(image, "theme_id", "member_id", "points")
        if not isinstance(points, int) or isinstance(points, bool) or points < 0:
            raise PoisonRecord(f"answer {theme}/{member} has points {points!r}")
        return Change(
            f"answer#{theme}#{member}",
            member,
            image.get("team", ""),
            image.get("circle", ""),
            points=points,
            answers=1,
            day=day,
            theme=theme,
        )
    if sort_key.startswith("VOTE#"):
        theme, author, voter = _need(image, "theme_id", "author_id", "voter_id")
        return Change(
            f"vote#{theme}#{author}#{voter}",
            author,
            image.get("team", ""),
            image.get("circle", ""),
            points=VOTE_POINTS,
            useful=(theme, author),
            voter_circle=str(image.get("voter_circle", "")),
            day=day,
        )
    return None


def _attendance(image: Mapping[str, Any], old: Mapping[str, Any], day: str) -> Change | None:
    """A tick earns the theme's points and counts as an answer; an untick takes back
    what the tick before it gave. Each revision is its own cause, counted once; a change
    of the response alone (the same revision) changes nothing."""
    if "attended_rev" not in image or image.get("attended_rev") == old.get("attended_rev"):
        return None
    theme, member, revision = _need(image, "theme_id", "member_id", "attended_rev")
    points, answers = image.get("attended_points", 0), image.get("attended_answers", 0)
    if not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (points, answers)
    ):
        raise PoisonRecord(f"attendance {theme}/{member} counts {points!r}, {answers!r}")
    sign = 1 if image.get("attended") is True else -1
    return Change(
        f"attended#{theme}#{member}#{revision}",
        member,
        str(image.get("attended_team", "")),
        str(image.get("attended_circle", "")),
        points=sign * points,
        answers=sign * answers,
        day=day,
        theme=theme,
    )


@dataclass
class Applied:
    applied: int = 0
    already: int = 0
    transactions: int = 0
    writes: int = 0


def chunks(changes: list[Change]) -> list[list[Change]]:
    """Transactions of at most TRANSACTION_LIMIT items, the changes a circle (or member)
    keeps the causes of kept together, CAUSES_LIMIT at most."""
    by_holder: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        item = holder(change)
        by_holder.setdefault((item["PK"], item["SK"]), []).append(change)
    groups = [
        (key, group[start : start + CAUSES_LIMIT])
        for key, group in by_holder.items()
        for start in range(0, len(group), CAUSES_LIMIT)
    ]
    result: list[list[Change]] = []
    current: list[Change] = []
    holders: set[tuple[str, str]] = set()
    items: set[tuple[str, str]] = set()  # what `current` writes
    for key, group in groups:
        moved = set().union(*map(touched, group))
        if current and (key in holders or len(items | moved) > TRANSACTION_LIMIT):
            result.append(current)
            current, holders, items = [], set(), set()
        current = current + group
        holders.add(key)
        items |= moved
        while len(items) > TRANSACTION_LIMIT:  # a group touching very much
            cut = len(current) // 2
            while transaction_size(current[:cut]) > TRANSACTION_LIMIT:
                cut //= 2
            result.append(current[:cut])
            current = current[cut:]
            items = set().union(*map(touched, current))
    if current:
        result.append(current)
    return result


class ScoreKeeper:
    def __init__(self, table: Table) -> None:
        self.scores = ScoreStore(table)
        self.records = SendRecords(table)

    def apply(self, changes: Iterable[Change]) -> Applied:
        unique = list({c.cause: c for c in changes}.values())
        outcome = Applied()
        for chunk in chunks(unique):
            self._count(chunk, outcome)
        self._follow_silence(unique, outcome)
        return outcome

    def _follow_silence(self, changes: list[Change], outcome: Applied) -> None:
        """Once counted, a member who answered (or was ticked present) leaves their
        theme's silent prompts, and one unticked without an answer comes back (store/
        sends.py), each from what is there now, after the counts: the dashboard's list
        never runs ahead of its tally, and a batch replayed late changes nothing."""
        outcome.writes += self.records.settle_silence(
            (c.theme, c.member) for c in changes if c.theme and c.answers
        )

    def _count(self, chunk: list[Change], outcome: Applied) -> None:
        for attempt in range(ATTEMPTS):
            if not chunk:
                return
            try:
                writes = self.scores.count(chunk)
            except AlreadyCounted:
                # Some causes were counted by an earlier run: count the others.
                counted = self.scores.counted(chunk)
                outcome.already += len(counted)
                chunk = [c for n, c in enumerate(chunk) if n not in counted]
                continue
            except Contention:
                time.sleep(0.05 * 2**attempt)  # another shard's batch on a shared total
                continue
            outcome.applied += len(chunk)
            outcome.transactions += 1
            outcome.writes += writes
            return
        raise RuntimeError("score transaction kept conflicting")
