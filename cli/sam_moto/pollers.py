"""What Lambda's event sources do, wired as template.yaml says: S3 notifications (with
their prefix/suffix filters; asynchronous retries, then the on-failure destination), SQS
triggers (batch size, partial batch failures, the dead-letter queue after
maxReceiveCount), DynamoDB stream triggers (records shaped as Lambda delivers them;
checkpoint, bisect, retries, on-failure destination, filter criteria) and SNS
subscriptions."""

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from sam_moto import events
from sam_moto.clock import LocalClock
from sam_moto.cloudwatch import CloudWatch
from sam_moto.filters import matches
from sam_moto.peek import Peek, owned
from sam_moto.provision import Provisioned, QueueTrigger, StreamTrigger
from sam_moto.runtime import Invocation, Runtime
from sam_moto.watch import Changes

STREAM_RETRY_CAP = 50


@dataclass
class _Shard:
    checkpoint: str | None = None


class Pollers:
    def __init__(
        self,
        provisioned: Provisioned,
        runtime: Runtime,
        client: Callable[[str], Any],
        peek: Peek,
        clock: LocalClock,
        region: str,
        cloudwatch: CloudWatch,
    ) -> None:
        self.provisioned = provisioned
        self.cloudwatch = cloudwatch
        self.runtime = runtime
        self.client = client
        self.peek = peek
        self.clock = clock
        self.region = region
        self.lock = threading.RLock()
        self._seen_objects: set[tuple[str, str, str]] = set()
        self._shards: dict[tuple[str, str], _Shard] = {}
        self._hidden: dict[str, tuple[str, str, datetime]] = {}
        self._delayed: dict[str, tuple[str, datetime]] = {}
        """messages sent with DelaySeconds: their queue, when they show on the stack's clock"""
        # Where work may be waiting: what was written since (moto tells, see watch.py),
        # and what gave work at the last look. Everything, at first.
        self.changes = Changes()
        self._queues = {q.url.rsplit("/", 1)[1] for q in provisioned.queues.values()}
        self._buckets = {t.bucket for t in provisioned.bucket_triggers}
        self._tables = {t.table for t in provisioned.stream_triggers}
        self._unread: Counter[str] = Counter()
        """stream records written since each stream trigger last read (by function)"""
        self._waiting: dict[str, datetime] = {}
        """since when each stream trigger with a batching window has waited for a batch"""

    # ------------------------------------------------------------------ invocation
    def invoke_async(self, function_id: str, event: Any) -> Invocation:
        """An asynchronous invocation (S3, Scheduler): retried, then sent to on-failure."""
        function = self.provisioned.functions[function_id]
        attempts = 0
        while True:
            attempts += 1
            invocation = self.runtime.invoke(function_id, event)
            if invocation.error is None or attempts > function.async_retries:
                break
        if invocation.error is not None and function.on_failure:
            record = events.async_failure(
                function_arn=function.arn,
                payload=event,
                error=invocation.error,
                attempts=attempts,
                at=self.clock(),
            )
            self.send_to(function.on_failure, record)
        return invocation

    def send_to(self, arn: str, body: Any) -> None:
        queue = self.provisioned.queue_by_arn(arn)
        self.client("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(body))

    # ------------------------------------------------------------------ triggers
    def _learn(self) -> None:
        written = self.changes.take()
        self._queues |= written.queues
        self._buckets |= written.buckets
        self._tables |= set(written.tables)
        for trigger in self.provisioned.stream_triggers:
            self._unread[trigger.function] += written.tables[trigger.table]

    def poll_buckets(self) -> list[Invocation]:
        """The bucket triggers' new objects (what was written is learnt first, so that a
        caller outside drain() sees its own uploads)."""
        self._learn()
        ran: list[Invocation] = []
        s3 = self.client("s3")
        watched = {t.bucket for t in self.provisioned.bucket_triggers}
        for bucket in sorted(self._buckets & watched):
            self._buckets.discard(bucket)
            created = []
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for version in page.get("Versions", []):
                    identity = (version["Key"], version["VersionId"], version["ETag"])
                    if identity not in self._seen_objects:
                        self._seen_objects.add(identity)
                        created.append(version)
            for version in sorted(created, key=lambda v: v["LastModified"]):
                for trigger in self.provisioned.bucket_triggers:
                    if trigger.bucket == bucket and trigger.matches(version["Key"]):
                        event = events.s3_created(
                            region=self.region,
                            bucket=bucket,
                            key=version["Key"],
                            size=version["Size"],
                            etag=version["ETag"],
                            version=version["VersionId"],
                            at=self.clock(),
                        )
                        ran.append(self.invoke_async(trigger.function, event))
        return ran

    def poll_queues(self) -> list[Invocation]:
        ran = []
        for trigger in self.provisioned.queue_triggers:
            invocation = self._queue_batch(trigger)
            if invocation is not None:
                ran.append(invocation)
        return ran

    def _queue_batch(self, trigger: QueueTrigger) -> Invocation | None:
        name = trigger.queue.url.rsplit("/", 1)[1]
        if name not in self._queues:
            return None  # nothing sent there, or made visible again, since it was empty
        sqs = self.client("sqs")
        received = sqs.receive_message(
            QueueUrl=trigger.queue.url,
            MaxNumberOfMessages=min(trigger.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            self._queues.discard(name)
            return None
        event = events.sqs_batch(received, arn=trigger.queue.arn, region=self.region)
        invocation = self.runtime.invoke(trigger.function, event)
        ids = {m["MessageId"] for m in received}
        if invocation.error is not None:
            failed = ids
        elif trigger.report_failures and isinstance(invocation.result, dict):
            failed = {f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])}
        else:
            failed = set()
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=trigger.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for message in received:
            if message["MessageId"] in failed:
                self._hide_until_retry(trigger.queue, message)
        self._hold_delayed(trigger.queue.url)
        return invocation

    def _hold_delayed(self, url: str) -> None:
        """Messages the handler sent with a delay (DelaySeconds) show after it on the
        stack's clock, as retries do, not after moto's real-time wait."""
        for message_id, remaining in self.peek.delayed_messages(url):
            if message_id not in self._delayed:
                self._delayed[message_id] = (url, self.clock() + timedelta(seconds=remaining))

    def _hide_until_retry(self, queue: Any, message: dict[str, Any]) -> None:
        """A failed message comes back when its visibility timeout ends, as in AWS, but on
        the stack's clock: moving the clock forward brings retries (and, after
        maxReceiveCount, the dead-letter queue) without waiting in real time. A timeout
        the handler changed itself (ChangeMessageVisibility) is kept as it set it."""
        visible_at = self.peek.message_visible_at(queue.url, message["MessageId"])
        if visible_at is None:
            return
        remaining = max(0.0, visible_at - time.time())
        self._hidden[message["MessageId"]] = (
            queue.url,
            message["ReceiptHandle"],
            self.clock() + timedelta(seconds=remaining),
        )

    def _release_due_messages(self) -> None:
        sqs = self.client("sqs")
        now = self.clock()
        for message_id, (url, shows_at) in list(self._delayed.items()):
            if shows_at <= now:
                del self._delayed[message_id]
                self.peek.end_delay(url, message_id)
                self._queues.add(url.rsplit("/", 1)[1])
        for message_id, (url, handle, visible_at) in list(self._hidden.items()):
            if visible_at <= now:
                del self._hidden[message_id]
                # Deleted, or received again meanwhile: then there is nothing to release.
                with contextlib.suppress(ClientError):
                    sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                    )

    def poll_topics(self) -> list[Invocation]:
        """SNS subscriptions: what was published reaches the function, one message per
        asynchronous invocation, as SNS delivers it."""
        ran: list[Invocation] = []
        sqs = self.client("sqs")
        for trigger in self.provisioned.topic_triggers:
            name = trigger.queue_url.rsplit("/", 1)[1]
            if name not in self._queues:
                continue
            received = sqs.receive_message(QueueUrl=trigger.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not received:
                self._queues.discard(name)
            for message in received:
                event = events.sns_notification(
                    json.loads(message["Body"]), subscription_arn=trigger.subscription_arn
                )
                ran.append(self.invoke_async(trigger.function, event))
                sqs.delete_message(
                    QueueUrl=trigger.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return ran

    def poll_streams(self, busy: bool = False, patient: bool = False) -> list[Invocation]:
        """Each stream trigger's next batch. A trigger with a batching window waits for a
        full batch, as Lambda waits up to MaximumBatchingWindowInSeconds while records
        keep coming: while `busy` (other work ran in this round), or while `patient` (the
        stack's clock runs by itself) until the window has passed on the stack's clock."""
        ran: list[Invocation] = []
        settled = set(self._tables)
        for trigger in self.provisioned.stream_triggers:
            if trigger.table not in self._tables:
                continue  # no new record, and every batch before was settled
            if self._waits(trigger, busy, patient):
                settled.discard(trigger.table)  # not read: look again
                continue
            self._waiting.pop(trigger.function, None)
            state = self._shards.setdefault((trigger.function, trigger.stream_arn), _Shard())
            shard_id, read = self.peek.stream_records(
                trigger.stream_arn, state.checkpoint, trigger.batch_size + 1
            )
            records = events.one_insert_per_write(read, trigger.batch_size)
            if len(records) < trigger.batch_size:
                self._unread[trigger.function] = 0
            else:
                self._unread[trigger.function] -= min(len(records), self._unread[trigger.function])
            if records:
                shaped = [events.stream_record(r, arn=trigger.stream_arn) for r in records]
                # FilterCriteria: records no filter matches never reach the function.
                wanted = [
                    owned(r)
                    for r in shaped
                    if not trigger.filters or any(matches(f, r) for f in trigger.filters)
                ]
                if wanted:
                    ran.extend(self._stream_batch(trigger, shard_id, wanted, state))
                state.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
                settled.discard(trigger.table)  # more may follow: look again
        self._tables -= settled
        return ran

    def _waits(self, trigger: StreamTrigger, busy: bool, patient: bool) -> bool:
        if not trigger.batching_window or self._unread[trigger.function] >= trigger.batch_size:
            return False
        if busy:
            return True
        if not patient:
            return False
        since = self._waiting.setdefault(trigger.function, self.clock())
        return self.clock() - since < timedelta(seconds=trigger.batching_window)

    def _stream_batch(
        self, trigger: StreamTrigger, shard_id: str, records: list[dict[str, Any]], state: _Shard
    ) -> list[Invocation]:
        """Lambda's rules: checkpoint before the first failure, retry from it, bisect on
        error, and after the last retry send the batch's location to on-failure."""
        ran: list[Invocation] = []
        retries = 0
        limit = trigger.max_retries if trigger.max_retries >= 0 else STREAM_RETRY_CAP
        while records:
            self.cloudwatch.stream_batch(trigger.function, records)
            invocation = self.runtime.invoke(trigger.function, {"Records": records})
            ran.append(invocation)
            sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
            if invocation.error is not None:
                first_failed = 0
            elif trigger.report_failures and isinstance(invocation.result, dict):
                failed = {
                    f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])
                }
                first_failed = min(
                    (sequence.index(f) for f in failed if f in sequence), default=len(records)
                )
            else:
                first_failed = len(records)
            if first_failed > 0:
                state.checkpoint = sequence[first_failed - 1]
            records = records[first_failed:]
            if not records:
                break
            if trigger.bisect and len(records) > 1:
                middle = len(records) // 2
                ran.extend(self._stream_batch(trigger, shard_id, records[:middle], state))
                ran.extend(self._stream_batch(trigger, shard_id, records[middle:], state))
                break
            retries += 1
            if retries > limit:
                if trigger.on_failure:
                    function = self.provisioned.functions[trigger.function]
                    self.send_to(
                        trigger.on_failure,
                        events.stream_failure(
                            function_arn=function.arn,
                            stream_arn=trigger.stream_arn,
                            shard_id=shard_id,
                            records=records,
                            attempts=retries,
                            at=self.clock(),
                        ),
                    )
                state.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
                break
        return ran

    def drain(self, patient: bool = False) -> list[Invocation]:
        """Run pending uploads, queue messages and stream records until nothing is left
        (`patient`: but the stream records a batching window still waits for)."""
        ran: list[Invocation] = []
        with self.lock:
            while True:
                self._release_due_messages()  # before learning: a release is a write
                self._learn()
                batch = [*self.poll_buckets(), *self.poll_queues(), *self.poll_topics()]
                batch.extend(self.poll_streams(busy=bool(batch), patient=patient))
                if not batch:
                    self.cloudwatch.flush()
                    return ran
                ran.extend(batch)
