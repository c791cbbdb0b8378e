"""A roster applied in chunks behind a version pointer (docs/data-model.md#the-roster-version).

A roster of 200,000 rows takes minutes of writes, more than one invocation may have, yet
readers must see the old roster or the new one, never a mix. So an apply has three steps:

- stage: each member the file changes gets its new version beside the old one, under the
  version number M of the apply (`next`, `next_version` on its PROFILE, and a
  PROFILE#NEXT item when the member moves to other listings); chunk by chunk, each chunk
  idempotent, the chunks' members kept in the table (ORG / ROSTER#<M>#<n>);
- switch: once every chunk is staged, one write sets the pointer's `current` to M (and
  puts the directory's new head in the same transaction): every reader now sees M;
- settle: chunk by chunk, each staged member's PROFILE is written as the new version and
  its PROFILE#NEXT deleted, in one transaction; then the pointer forgets the apply.

A chunk's writes are whole items, the same each time the chunk is handled: a chunk
retried writes them again, and nothing else.
"""

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.core.models import Member
from palabre.observability import logger
from palabre.store import keys
from palabre.store.members import member_fields, member_from, member_item
from palabre.store.table import (
    ConditionFailed,
    Delete,
    Item,
    Put,
    Table,
    TransactionCancelled,
    Update,
)

STAGING = ("next", "next_version", "next_listed")
"""what an apply adds to a stored profile while it stages its new version"""
_INDEX_KEYS = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")


@dataclass(frozen=True)
class Change:
    """One member a roster changes: the new version, the stored profile it replaces (its
    own attributes; None for a new member), the TTL a deactivated member's profile takes,
    and whether they join an audience (they get the open themes' prompts once visible)."""

    member: Member
    before: Item | None = None
    expires: int | None = None
    arrives: bool = False

    @property
    def moves(self) -> bool:
        """Whether the new version is listed elsewhere than the stored one (role, circle,
        team, timezone, active): then a PROFILE#NEXT item lists it until it settles."""
        if self.before is None:
            return False
        after = keys.member_indexes(self.member)
        return {k: self.before.get(k) for k in _INDEX_KEYS} != {
            k: after.get(k) for k in _INDEX_KEYS
        }

    def dump(self) -> list[Any]:
        return [member_fields(self.member), self.before, self.expires, self.arrives]

    @classmethod
    def load(cls, data: list[Any]) -> "Change":
        fields, before, expires, arrives = data
        return cls(member_from(fields), before, expires, arrives)


@dataclass(frozen=True)
class Pointer:
    """`ORG` / `ROSTER`: the version readers see, and the apply in flight, if any."""

    current: int = 0
    applying: int | None = None
    phase: str = ""
    """staging, settling (switched), or abandoning"""
    chunks: int = 0
    staged: frozenset[int] = frozenset()
    settled: frozenset[int] = frozenset()
    highest: int = 0
    """the highest version ever begun: an abandoned one is never given again"""
    directory: Item | None = None
    """the directory's head the switch puts (None: the roster leaves it as it is)"""
    settle_queued: bool = False
    started_at: str = ""

    @property
    def next_version(self) -> int:
        return max(self.current, self.highest) + 1


def pointer_from(item: Item | None) -> Pointer:
    if not item:
        return Pointer()
    applying = item.get("applying")
    return Pointer(
        current=int(item.get("current", 0)),
        applying=int(applying) if applying is not None else None,
        phase=str(item.get("phase", "")),
        chunks=int(item.get("chunks", 0)),
        staged=frozenset(int(n) for n in item.get("staged", ())),
        settled=frozenset(int(n) for n in item.get("settled", ())),
        highest=int(item.get("highest", 0)),
        directory=item.get("directory"),
        settle_queued=bool(item.get("settle_queued", False)),
        started_at=str(item.get("started_at", "")),
    )


class RosterApplyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # ------------------------------------------------------------ the pointer
    def pointer(self) -> Pointer:
        return pointer_from(self.table.get(keys.ROSTER, consistent=True))

    def begin(self, version: int, chunks: int, directory: Item | None, now: datetime) -> None:
        """The apply of `version` is in flight: nothing else may be (ConditionFailed)."""
        self.table.update(
            keys.ROSTER,
            "SET #type = :type, applying = :v, phase = :staging, chunks = :n, highest = :v, "
            "started_at = :now, directory = :directory, settle_queued = :no "
            "REMOVE staged, settled",
            {
                ":type": "roster-pointer",
                ":v": version,
                ":staging": "staging",
                ":n": chunks,
                ":now": now.isoformat(),
                ":directory": directory or {},
                ":no": False,
            },
            names={"#type": "type"},
            condition="attribute_not_exists(applying)",
        )

    def mark(self, version: int, phase: str, chunk: int) -> Pointer:
        """Chunk `chunk` of `version` is staged (or settled): the pointer as it is now."""
        done = "staged" if phase == "staging" else "settled"
        try:
            item = self.table.update(
                keys.ROSTER,
                f"ADD {done} :chunk",
                {":chunk": {chunk}, ":v": version, ":phase": phase},
                condition="applying = :v AND phase = :phase",
                returns="ALL_NEW",
            )
        except ConditionFailed as failed:
            return pointer_from(failed.item)
        return pointer_from(item)

    def switch(self, version: int, directory: Item | None) -> bool:
        """Readers see `version` from now on, and its directory with it. False: it was
        switched already (a retried chunk), or is no longer the apply in flight."""
        update = Update(
            keys.ROSTER,
            "SET #current = :v, phase = :settling",
            {":v": version, ":settling": "settling", ":staging": "staging"},
            names={"#current": "current"},
            condition="applying = :v AND phase = :staging",
        )
        try:
            if directory:
                self.table.transact([update, Put(directory)])
            else:
                self.table.update(
                    update.key,
                    update.expression,
                    update.values,
                    names=update.names,
                    condition=update.condition,
                )
        except (ConditionFailed, TransactionCancelled):
            return False
        return True

    def settle_queued(self, version: int) -> None:
        self.table.update(
            keys.ROSTER,
            "SET settle_queued = :yes",
            {":yes": True, ":v": version},
            condition="applying = :v",
        )

    def abandoning(self, version: int) -> None:
        """No chunk of `version` is staged from now on: its staged members are undone.
        Only while it is not switched (ConditionFailed: its last chunk switched it since
        it was read, and readers see it: it is to be settled, never undone)."""
        self.table.update(
            keys.ROSTER,
            "SET phase = :abandoning",
            {":abandoning": "abandoning", ":staging": "staging", ":v": version},
            condition="applying = :v AND phase IN (:staging, :abandoning)",
        )

    def finish(self, version: int) -> None:
        """The apply of `version` is over (settled, or undone): its chunks are deleted."""
        self.table.delete_many(
            {"PK": i["PK"], "SK": i["SK"]}
            for i in self.table.query(
                keys.ORG, prefix=keys.roster_chunks(version), attributes=("PK", "SK")
            )
        )
        try:
            self.table.update(
                keys.ROSTER,
                "REMOVE applying, phase, chunks, staged, settled, directory, settle_queued, "
                "started_at",
                {":v": version},
                condition="applying = :v",
            )
        except ConditionFailed:
            logger.info("roster apply already finished", extra={"version": version})

    # ------------------------------------------------------------ chunks
    def put_chunk(self, version: int, number: int, changes: Sequence[Change]) -> None:
        payload = json.dumps([c.dump() for c in changes], separators=(",", ":")).encode()
        self.table.put(
            {
                **keys.roster_chunk(version, number),
                "type": "roster-chunk",
                "members": len(changes),
                "payload": zlib.compress(payload, 1),
            }
        )

    def chunk(self, version: int, number: int) -> list[Change] | None:
        item = self.table.get(keys.roster_chunk(version, number), consistent=True)
        if item is None:
            return None
        payload = item["payload"]
        raw = payload.value if hasattr(payload, "value") else payload
        return [Change.load(c) for c in json.loads(zlib.decompress(raw))]

    # ------------------------------------------------------------ members
    def stage(self, changes: Sequence[Change], version: int) -> int:
        return self._write(a for c in changes for a in _staged(c, version))

    def settle(self, changes: Sequence[Change]) -> int:
        return self._write(a for c in changes for a in _settled(c))

    def undo(self, changes: Sequence[Change]) -> int:
        return self._write(a for c in changes for a in _undone(c))

    def forget(self, members: Sequence[Member]) -> int:
        """Deletes whatever an apply staged of `members` (people erased meanwhile)."""
        return self._write(
            Delete(key) for m in members for key in (keys.member(m.id), keys.staged_member(m.id))
        )

    def _write(self, actions: Iterable[Put | Delete]) -> int:
        """Plain batched writes, 25 a request, each counted once: an apply costs one
        write per item it stages, settles or undoes (a transaction would cost two). The
        handlers check the pointer before each chunk; docs/data-model.md says what a
        chunk that comes late may still write, and why readers do not mind."""
        puts: list[Item] = []
        deletes: list[dict[str, str]] = []
        for action in actions:
            if isinstance(action, Put):
                puts.append(dict(action.item))
            else:
                deletes.append(dict(action.key))
        return self.table.put_many(puts) + self.table.delete_many(deletes)


def _staged(change: Change, version: int) -> list[Put | Delete]:
    new = change.member
    staging = {"next": member_fields(new), "next_version": version}
    if change.before is None:
        placeholder = {
            **keys.member(new.id),
            **keys.member_indexes(new),
            "type": "member",
            "member_id": new.id,
            **staging,
            "next_listed": True,
        }
        return [Put(placeholder)]
    moves = change.moves
    actions: list[Put | Delete] = [Put({**own(change.before), **staging, "next_listed": not moves})]
    if moves:
        actions.append(
            Put(
                {
                    **member_item(new),
                    **keys.staged_member(new.id),
                    "type": "member-next",
                    "version": version,
                }
            )
        )
    return actions


def _settled(change: Change) -> list[Put | Delete]:
    actions: list[Put | Delete] = [Put(member_item(change.member, change.expires))]
    if change.moves:
        actions.append(Delete(keys.staged_member(change.member.id)))
    return actions


def _undone(change: Change) -> list[Put | Delete]:
    if change.before is None:
        return [Delete(keys.member(change.member.id))]
    actions: list[Put | Delete] = [Put(own(change.before))]
    if change.moves:
        actions.append(Delete(keys.staged_member(change.member.id)))
    return actions


def own(item: Item) -> Item:
    """A stored profile's own attributes, without what an apply staged on it."""
    return {k: v for k, v in item.items() if k not in STAGING}
