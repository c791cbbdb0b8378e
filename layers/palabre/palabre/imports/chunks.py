"""A roster's changes applied in chunks, resumable, made visible all at once.

The import plans (store/roster_apply.py has the writes and the pointer): it writes each
chunk's members to the table, then queues one message per chunk. Each message is handled
alone, any number of times, in any order: staging a chunk twice writes the same items.
The handler of the last chunk staged switches the pointer and queues the settling
chunks; the last settled forgets the apply. A roster of one chunk takes the same steps,
run at once by the import itself, without the queue.
"""

from collections.abc import Sequence
from datetime import datetime
from itertools import batched
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from palabre.imports.arrivals import LateArrivals
from palabre.observability import logger
from palabre.queue import BATCH, send_batch
from palabre.store.members import MemberStore
from palabre.store.privacy import PrivacyStore
from palabre.store.roster_apply import Change, Pointer, RosterApplyStore
from palabre.store.table import ConditionFailed, Item, Table

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient

CHUNK_MEMBERS = 500
"""members a chunk changes: its writes (at most 2 a member) take a few seconds, its item
(compressed) stays far under DynamoDB's 400 KB"""


class ChunkMessage(BaseModel):
    """One chunk of a roster apply to stage or to settle: a queue message's body."""

    model_config = ConfigDict(frozen=True)

    version: int
    chunk: int
    phase: Literal["staging", "settling"]


class ChunkQueue(Protocol):
    def send(self, messages: Sequence[ChunkMessage]) -> None: ...


class SqsChunkQueue:
    def __init__(self, sqs: "SQSClient", url: str) -> None:
        self.sqs = sqs
        self.url = url

    def send(self, messages: Sequence[ChunkMessage]) -> None:
        for start in range(0, len(messages), BATCH):
            entries = {
                str(n): m.model_dump_json() for n, m in enumerate(messages[start : start + BATCH])
            }
            refused = send_batch(self.sqs, self.url, entries)
            if refused:
                raise RuntimeError(f"SQS refused {len(refused)} chunk messages")


class RosterApply:
    def __init__(
        self,
        table: Table,
        arrivals: LateArrivals,
        queue: ChunkQueue | None = None,
    ) -> None:
        self.store = RosterApplyStore(table)
        self.members = MemberStore(table)
        self.privacy = PrivacyStore(table)
        self.arrivals = arrivals
        self.queue = queue
        """where the chunks of a roster of more than one go (None: applied at once)"""

    # ------------------------------------------------------------ the import's side
    def resolve(self, now: datetime) -> str | None:
        """An apply still in flight when a newer roster comes (the import lock is held):
        switched, it is settled here (readers already see it, the newer file is compared
        with it); not switched, it is abandoned and its staged members undone (the newer
        file replaces it). Says which, or None when none was in flight."""
        pointer = self.store.pointer()
        if pointer.applying is None:
            return None
        version = pointer.applying
        if pointer.phase == "settling":
            logger.warning(
                "a newer roster settles the apply in flight first",
                extra={"version": version, "settled": len(pointer.settled)},
            )
            for chunk in range(pointer.chunks):
                if chunk not in pointer.settled:
                    self.handle(ChunkMessage(version=version, chunk=chunk, phase="settling"), now)
            return "settled"
        logger.warning(
            "a newer roster abandons the apply in flight: its staged members are undone",
            extra={"version": version, "staged": len(pointer.staged), "chunks": pointer.chunks},
        )
        try:
            self.store.abandoning(version)
        except ConditionFailed:  # switched since it was read: readers see it, settle it
            return self.resolve(now)
        for chunk in range(pointer.chunks):
            changes = self.store.chunk(version, chunk)
            if changes is not None:
                # A person erased while the roster was staged (GDPR Art. 17) is not put
                # back as they were: whatever was staged of them goes.
                erased = self.privacy.erased(c.member.id for c in changes)
                self.store.undo([c for c in changes if c.member.id not in erased])
                self.store.forget([c.member for c in changes if c.member.id in erased])
        if pointer.directory:
            self.members.delete_directory_pages(of=str(pointer.directory["version"]))
        self.store.finish(version)
        return "abandoned"

    def start(self, changes: Sequence[Change], directory: Item | None, now: datetime) -> int:
        """Plans the apply of `changes` (and the directory's new head): the chunks are
        written, then queued, or, for one chunk, applied at once. The number of chunks
        queued (0: applied at once, or no member changes: nothing is staged)."""
        if not changes:
            if directory:  # a directory stored in an older shape, its members unchanged
                self.members.switch_directory(directory)
            return 0
        version = self.store.pointer().next_version
        chunks = list(batched(changes, CHUNK_MEMBERS))
        self.store.begin(version, len(chunks), directory, now)
        for number, chunk in enumerate(chunks):
            self.store.put_chunk(version, number, chunk)
        messages = [
            ChunkMessage(version=version, chunk=n, phase="staging") for n in range(len(chunks))
        ]
        logger.info(
            "roster apply begun",
            extra={"version": version, "members": len(changes), "chunks": len(chunks)},
        )
        if self.queue is None or len(chunks) == 1:
            self.drive(messages, now)
            return 0
        self.queue.send(messages)
        return len(chunks)

    def drive(self, messages: list[ChunkMessage], now: datetime) -> None:
        """Handles the messages and what they lead to, here and now."""
        while messages:
            messages.extend(self.handle(messages.pop(0), now))

    # ------------------------------------------------------------ a chunk's handler
    def handle(self, message: ChunkMessage, now: datetime) -> list[ChunkMessage]:
        """Stages or settles one chunk; the messages it leads to (the settling chunks,
        once the last staged has switched the pointer), for the caller to queue."""
        pointer = self.store.pointer()
        version = message.version
        if pointer.applying != version:
            logger.info("a chunk of an apply no longer in flight", extra=message.model_dump())
            return []
        if message.phase == "staging":
            if pointer.phase == "settling" and not pointer.settle_queued:
                # The switch happened, but its handler stopped before queueing the
                # settling chunks: this retry of one of its chunks queues them.
                return self._settling(pointer)
            if pointer.phase != "staging":
                return []
            return self._stage(message, pointer)
        if pointer.phase != "settling":
            return []
        self._settle(message, now)
        return []

    def settling_queued(self, version: int) -> None:
        """The settling chunks are queued (the switch's follow-up is done)."""
        self.store.settle_queued(version)

    def _stage(self, message: ChunkMessage, pointer: Pointer) -> list[ChunkMessage]:
        version = message.version
        changes = self.store.chunk(version, message.chunk)
        if changes is None:
            raise LookupError(f"chunk {message.chunk} of roster version {version} is missing")
        # A person erased since the roster was planned is not staged: readers would see
        # them from the switch to the settling.
        erased = self.privacy.erased(c.member.id for c in changes)
        written = self.store.stage([c for c in changes if c.member.id not in erased], version)
        logger.info("roster chunk staged", extra={**message.model_dump(), "written": written})
        after = self.store.mark(version, "staging", message.chunk)
        if after.applying != version or len(after.staged) < after.chunks:
            return []
        if not self.store.switch(version, after.directory or None):
            return []
        logger.info("roster version switched", extra={"version": version})
        return self._settling(after)

    def _settling(self, pointer: Pointer) -> list[ChunkMessage]:
        version = pointer.applying
        assert version is not None
        return [
            ChunkMessage(version=version, chunk=n, phase="settling")
            for n in range(pointer.chunks)
            if n not in pointer.settled
        ]

    def _settle(self, message: ChunkMessage, now: datetime) -> None:
        version = message.version
        changes = self.store.chunk(version, message.chunk) or []
        written = self.store.settle(changes)
        # A person erased while the roster was applied (GDPR Art. 17) is not written back.
        erased = self.privacy.erased(c.member.id for c in changes)
        if erased:
            self.store.undo([Change(c.member) for c in changes if c.member.id in erased])
        logger.info(
            "roster chunk settled",
            extra={**message.model_dump(), "written": written, "erased": len(erased)},
        )
        # Now that readers see them (the sender would skip a member it cannot read yet);
        # again if the chunk is retried: the sender sends a prompt once.
        self.arrivals.catch_up(
            [c.member for c in changes if c.arrives and c.member.id not in erased], now
        )
        after = self.store.mark(version, "settling", message.chunk)
        if after.applying == version and len(after.settled) >= after.chunks:
            if after.directory:
                self.members.delete_directory_pages(but=str(after.directory["version"]))
            self.store.finish(version)
            logger.info("roster apply settled", extra={"version": version})
