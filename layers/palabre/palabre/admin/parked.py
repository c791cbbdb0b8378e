"""Parked work, from the admin space: how much each dead-letter queue holds, and Retry,
which sends it back where it came from as `palabre dlq replay` does (cli/sam_moto/
dead_letters.py), from a Lambda and with a role that reaches only these queues and
functions:

- an email (a send job) goes back to the send queue;
- a score update (a stream batch) is read again from the table's stream (24 hours) and
  given to the score function, synchronously: its message leaves only when every record
  was scored;
- an import or a scheduled task: its function is invoked again, asynchronously, with the
  event it failed on (a new failure parks it again).

The functions a kind may go back to are the settings' (RETRY_FUNCTIONS; the feedback and
inbound functions named by their FunctionName: a reference would be a template cycle): a
queue without any is not retried from here. A message is deleted
only once its source took it; one that fails is put back once the click is over (visible
again) and counted. Two Retries at once never send one message twice: a
received message is hidden from the other for as long as it is being sent back, and
what a sender gets twice anyway (a crash between sending back and deleting) its own
exactly-once record absorbs, as for any redelivery."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from palabre.aws import LambdaClient
from palabre.core.parked import RETRY_LIMIT, RETRY_LIMITS, ParkedKind, kind_of, listed
from palabre.observability import logger
from palabre.queue import dead_letter_counts

if TYPE_CHECKING:
    from types_boto3_dynamodbstreams import DynamoDBStreamsClient
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageTypeDef

HIDDEN_SECONDS = 120
"""how long a received message stays hidden from another Retry while it is sent back"""
EMPTY_PAGES = 10
"""GetRecords on an open shard may return empty pages before later records"""


@dataclass(frozen=True)
class Queue:
    name: str
    kind: ParkedKind | None
    count: int
    retryable: bool


@dataclass(frozen=True)
class Retried:
    """What one Retry did to one queue."""

    name: str
    kind: ParkedKind | None
    moved: int = 0
    """sent back and deleted"""
    failed: int = 0
    """tried, failed, still parked"""
    errors: tuple[str, ...] = ()
    more: bool = False
    """the click stopped at its limit (RETRY_LIMITS): more may be waiting"""


class NotRetryable(Exception):
    """The queue is not one the admin space sends back (unknown, or no source given)."""


class SendBackFailed(Exception):
    pass


@dataclass(frozen=True)
class Sources:
    """Where each kind of parked message goes back to (the admin function's settings)."""

    send_queue_url: str = ""
    roster_apply_queue_url: str = ""
    """where a roster's chunks are applied (a parked chunk goes back there: each chunk is
    idempotent, and a chunk of an apply since superseded does nothing)"""
    functions: Mapping[ParkedKind, Sequence[str]] = field(default_factory=dict)
    """the functions each kind may be given back to (a scheduled task names its own,
    the dispatch or the digest: it must be one of these); the first is the default"""


def scored(record: Mapping[str, Any]) -> bool:
    """What the score function's trigger lets through (template.yaml, FilterCriteria of
    ScoreStreamFunction; tests/infra checks both agree): new prompts, answers and votes;
    a live session's response whose attendance was ticked or unticked."""
    name = record.get("eventName")
    stream = record.get("dynamodb", {})
    sort_key = stream.get("Keys", {}).get("SK", {}).get("S", "")
    if name == "INSERT" and sort_key.startswith(("PROMPT#", "ANSWER#", "VOTE#")):
        return True
    return (
        name in ("INSERT", "MODIFY")
        and sort_key.startswith("RSVP#")
        and "N" in stream.get("NewImage", {}).get("attended_rev", {})
    )


class ParkedWork:
    def __init__(
        self,
        sqs: "SQSClient",
        queues: Mapping[str, str],
        sources: Sources,
        *,
        lambda_: Callable[[], LambdaClient] | None = None,
        streams: Callable[[], "DynamoDBStreamsClient"] | None = None,
    ) -> None:
        """`queues`: name -> URL of each dead-letter queue (DEAD_LETTER_QUEUES).
        `lambda_`, `streams`: made only when a Retry needs them."""
        self.sqs = sqs
        self.queues = dict(queues)
        self.sources = sources
        self._lambda = lambda_
        self._streams = streams

    def retryable(self, kind: ParkedKind | None) -> bool:
        if kind is ParkedKind.SEND:
            return bool(self.sources.send_queue_url)
        if kind is ParkedKind.ROSTER:
            return bool(self.sources.roster_apply_queue_url)
        return kind is not None and bool(self.sources.functions.get(kind))

    def queues_now(self) -> list[Queue]:
        """Every dead-letter queue, in the order animators read them, with its count: one
        GetQueueAttributes each."""
        counts = dead_letter_counts(self.sqs, self.queues)
        return [
            Queue(name, kind_of(name), counts[name], self.retryable(kind_of(name)))
            for name in sorted(counts, key=listed)
        ]

    def retry(self, name: str) -> Retried:
        """Sends a click's worth of the queue's messages back (RETRY_LIMITS); raises
        NotRetryable for a queue the admin space does not send back."""
        kind = kind_of(name)
        if name not in self.queues or not self.retryable(kind):
            raise NotRetryable(name)
        assert kind is not None
        url = self.queues[name]
        limit = RETRY_LIMITS.get(kind, RETRY_LIMIT)
        moved = 0
        errors: list[str] = []
        failed: list[str] = []
        """receipts of the messages that failed: hidden until the click is over, so that
        it never takes them twice"""
        received = 0
        while received < limit:
            messages = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - received),
                VisibilityTimeout=HIDDEN_SECONDS,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            received += len(messages)
            for message in messages:
                try:
                    self._send_back(kind, message)
                except (SendBackFailed, ClientError, LookupError, TypeError, ValueError) as error:
                    failed.append(message["ReceiptHandle"])
                    errors.append(str(error)[:300])
                    logger.warning(
                        "parked message not sent back",
                        extra={"queue": name, "id": message["MessageId"], "error": str(error)},
                    )
                    continue
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        # Visible again at once: the next Retry (or `palabre dlq`) sees them.
        for receipt in failed:
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
        return Retried(name, kind, moved, len(failed), tuple(errors), more=received >= limit)

    # ------------------------------------------------------------------ sending back
    def _send_back(self, kind: ParkedKind, message: "MessageTypeDef") -> None:
        body = message["Body"]
        if kind in (ParkedKind.SEND, ParkedKind.ROSTER):
            queue = (
                self.sources.send_queue_url
                if kind is ParkedKind.SEND
                else self.sources.roster_apply_queue_url
            )
            self.sqs.send_message(QueueUrl=queue, MessageBody=body)
            return
        if kind is ParkedKind.SCORE:
            records = self._stream_records(json.loads(body)["DDBStreamBatchInfo"])
            result = self._invoke(self._function(kind, None), {"Records": records}, wait=True)
            failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
            if failures:
                raise SendBackFailed(f"{len(failures)} record(s) failed again")
            return
        function, event = self._async_event(kind, message)
        self._invoke(function, event, wait=False)

    def _function(self, kind: ParkedKind, named: str | None) -> str:
        allowed = list(self.sources.functions.get(kind, ()))
        if named is None:
            return allowed[0]
        name = named.split(":function:")[-1].split(":")[0]
        if name not in allowed:
            raise SendBackFailed(f"{name} is not a function this queue's work goes back to")
        return name

    def _async_event(self, kind: ParkedKind, message: "MessageTypeDef") -> tuple[str, Any]:
        """The function and event of a parked asynchronous invocation: Lambda's record of
        a run that failed names its function; Scheduler's dead letter of an event it
        could not deliver names its target in an attribute."""
        body = json.loads(message["Body"])
        if isinstance(body, dict) and "requestPayload" in body:
            arn = (body.get("requestContext") or {}).get("functionArn")
            return self._function(kind, str(arn) if arn else None), body["requestPayload"]
        attributes = message.get("MessageAttributes") or {}
        target = attributes["TARGET_ARN"].get("StringValue") if "TARGET_ARN" in attributes else None
        return self._function(kind, target), body

    def _invoke(self, function: str, event: Any, *, wait: bool) -> Any:
        if self._lambda is None:
            raise SendBackFailed("no Lambda client to send it back with")
        response = self._lambda().invoke(
            FunctionName=function,
            InvocationType="RequestResponse" if wait else "Event",
            Payload=json.dumps(event, default=str).encode(),
        )
        if response.get("FunctionError"):
            raise SendBackFailed(f"{function} failed again: {response['Payload'].read()[:200]!r}")
        if not wait:
            return None
        return json.loads(response["Payload"].read() or b"null")

    def _stream_records(self, info: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The parked batch's records that the score trigger lets through, as Lambda
        gives them. Its shard range [start, end] holds every other write of the table
        too: read the range whole, then filter as the trigger does."""
        if self._streams is None:
            raise SendBackFailed("no stream client to read the batch with")
        streams = self._streams()
        end = int(info["endSequenceNumber"])
        try:
            iterator: str | None = streams.get_shard_iterator(
                StreamArn=info["streamArn"],
                ShardId=info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=info["startSequenceNumber"],
            )["ShardIterator"]
        except ClientError as error:
            if error.response["Error"]["Code"] in (
                "TrimmedDataAccessException",
                "ResourceNotFoundException",
            ):
                raise LookupError("the stream no longer holds these records (24 hours)") from error
            raise
        raw: list[Any] = []
        empty = 0
        reached = False
        while iterator and empty < EMPTY_PAGES and not reached:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in page["Records"]]
            raw.extend(r for r, n in zip(page["Records"], numbers, strict=True) if n <= end)
            reached = any(n >= end for n in numbers)
            empty = 0 if page["Records"] else empty + 1
            iterator = page.get("NextShardIterator")
        if not reached:
            # Replaying part of the batch would delete the message with the rest unread.
            raise LookupError("the stream does not hold the whole batch: not sent back")
        shaped = [_lambda_record(r, info["streamArn"]) for r in raw]
        # DynamoDB records an item with its attributes; moto records an UpdateItem that
        # creates one as a keys-only INSERT first (the whole item follows): not a write.
        wanted = [r for r in shaped if scored(r) and not _keys_only(r)]
        if not wanted:
            raise LookupError("no record of the batch is one the score function reads")
        return wanted


def _lambda_record(record: Any, arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda gives it: with its source ARN, times in epoch
    seconds (boto3 parses them into datetimes)."""
    shaped = {**record, "eventSourceARN": arn}
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = int(
            (created if created.tzinfo else created.replace(tzinfo=UTC)).timestamp()
        )
    shaped["dynamodb"] = stream
    return shaped


def _keys_only(record: Mapping[str, Any]) -> bool:
    stream = record["dynamodb"]
    return record["eventName"] == "INSERT" and set(stream.get("NewImage", {})) == set(
        stream["Keys"]
    )
