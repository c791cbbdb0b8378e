"""The send queue: jobs for the sender, ten messages per SQS call, so a call per ten jobs.

A message carries one job, except that n > 10 jobs sent together go in n // 10 calls: the
last call's first messages carry two jobs each (n % 10 of them), rather than the rest
costing a part-filled call of its own."""

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from palabre.core.jobs import JOBS_PER_MESSAGE, Job, message_body

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import (
        SendMessageBatchRequestEntryTypeDef,
        SendMessageBatchResultTypeDef,
    )

BATCH = 10  # SendMessageBatch's limit: one SQS call per ten emails


class QueueError(Exception):
    pass


class BatchSender(Protocol):
    """What JobQueue asks of SQS: an SQSClient is one (the bench's counter another)."""

    def send_message_batch(
        self, *, QueueUrl: str, Entries: Sequence["SendMessageBatchRequestEntryTypeDef"]
    ) -> "SendMessageBatchResultTypeDef": ...


class JobQueue:
    def __init__(self, sqs: BatchSender, url: str, *, parallel: int = 8) -> None:
        self.sqs = sqs
        self.url = url
        self.parallel = parallel

    def send(self, jobs: Sequence[Job]) -> int:
        """Queues every job, a call per ten (see messages); returns only once all of them
        are queued."""
        packed = messages(jobs)
        batches = [packed[start : start + BATCH] for start in range(0, len(packed), BATCH)]
        if len(batches) <= 1:
            for batch in batches:
                self._batch(batch)
            return len(jobs)
        # A page of a thousand members is a hundred calls: send them side by side (boto3
        # clients are thread-safe). Any failure propagates after the others finished.
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for future in [pool.submit(self._batch, batch) for batch in batches]:
                future.result()
        return len(jobs)

    def _batch(self, batch: Sequence[Sequence[Job]]) -> None:
        entries = {str(i): message_body(jobs) for i, jobs in enumerate(batch)}
        refused = send_batch(self.sqs, self.url, entries)
        if refused:
            # Raising leaves the cursor where it was: the whole page is queued again later
            # and the sender's send record absorbs the entries that did get through.
            raise QueueError(f"SQS refused {len(refused)} messages: {json.dumps(list(refused))}")


def send_batch(sqs: BatchSender, url: str, entries: dict[str, str]) -> dict[str, str]:
    """One SendMessageBatch of up to ten bodies (by entry id), the entries SQS refused
    sent again, three times at most; returns those it still refused."""
    for _ in range(3):
        response = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": i, "MessageBody": body} for i, body in entries.items()],
        )
        failed = {f["Id"] for f in response.get("Failed", [])}
        entries = {i: body for i, body in entries.items() if i in failed}
        if not entries:
            break
    return entries


def messages(jobs: Sequence[Job]) -> list[Sequence[Job]]:
    """The jobs in messages, in order: one job each, but for more than ten jobs, the last
    len % 10 messages carry two, so that the messages fill whole calls."""
    pairs = len(jobs) % BATCH if len(jobs) > BATCH else 0  # at most 9, of at least 11 jobs
    single = len(jobs) - JOBS_PER_MESSAGE * pairs
    return [jobs[i : i + 1] for i in range(single)] + [
        jobs[i : i + JOBS_PER_MESSAGE] for i in range(single, len(jobs), JOBS_PER_MESSAGE)
    ]


class Outbox:
    """Jobs queued ten per call across pages, groups and themes, each page's bookkeeping
    done only once its jobs are all queued.

    A group's last page rarely fills its last call: its few jobs wait for the next page's
    (of any group) instead of costing a call of their own, and so do the ten before them,
    which the last few can ride with (two jobs a message) when nothing more comes. What
    depends on them having
    been queued (a group's cursor, a theme's due date) waits with them, as an action run
    once they are: if anything fails before, nothing was recorded as queued, and the
    next tick queues those pages again (the sender's send record absorbs the repeats).
    """

    def __init__(
        self,
        queue: JobQueue,
        *,
        patience: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.waiting: list[Job] = []
        self.put_count = 0
        """jobs put so far"""
        self.sent_count = 0
        """jobs queued so far (the first ones put: they go out in order)"""
        self.actions: list[tuple[int, float, Callable[[], None]]] = []
        """each action: how many jobs must have been queued before it runs, since when it
        waits, and itself"""
        self.patience = patience
        """seconds an action may wait: a cursor's save renews its group's two-minute
        lease, so held jobs go out (a part-filled call) before half of it has passed"""
        self.clock = clock

    def put(self, jobs: Sequence[Job], then: Callable[[], None]) -> None:
        """Queues the jobs in full calls; runs `then` once all of them are queued."""
        if self.held_since is not None and self.clock() - self.held_since >= self.patience:
            self.flush()
        self.waiting.extend(jobs)
        self.put_count += len(jobs)
        self._hold(then)
        kept = len(self.waiting) % BATCH
        if kept and len(self.waiting) > BATCH:
            kept += BATCH  # a last call's worth too: the rest may ride in it at the end
        self._send(len(self.waiting) - kept)

    def after(self, then: Callable[[], None]) -> None:
        """Runs `then` once every job put so far is queued."""
        self._hold(then)
        self._run_actions()

    def flush(self) -> None:
        """Queues what waits (one last call: up to 19 jobs in its ten messages) and runs
        every action left."""
        self._send(len(self.waiting))

    def _send(self, count: int) -> None:
        if count:
            self.queue.send(self.waiting[:count])
            del self.waiting[:count]
            self.sent_count += count
        self._run_actions()

    def _run_actions(self) -> None:
        while self.actions and self.actions[0][0] <= self.sent_count:
            self.actions.pop(0)[2]()

    def _hold(self, then: Callable[[], None]) -> None:
        self.actions.append((self.put_count, self.clock(), then))

    @property
    def held_since(self) -> float | None:
        """Since when the oldest action still waiting waits: the patience counts from it."""
        return self.actions[0][1] if self.actions else None


def dead_letter_counts(sqs: "SQSClient", queues: dict[str, str]) -> dict[str, int]:
    """How many messages each dead-letter queue holds (name -> count), in flight or not."""
    counts = {}
    for name, url in queues.items():
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        counts[name] = int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
    return counts
