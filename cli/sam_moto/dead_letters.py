"""Dead letters: list what is parked, and send it back where it came from.

Each dead-letter queue's source is read from template.yaml:
- a queue's redrive target (SendDeadLetterQueue) -> the messages go back to that queue;
- a function's on-failure destination (ImportFailureQueue) -> the function is invoked
  again, asynchronously, with the event it failed on;
- a schedule's dead-letter queue (ScheduleFailureQueue), which is also its functions'
  on-failure destination -> the function each message names (Lambda's record of a failed
  run, or Scheduler's of an event it could not deliver) is invoked again with its event;
- a stream trigger's on-failure destination (ScoreFailureQueue) -> the stream records of
  the parked batch are read again (while the stream keeps them, 24 hours), filtered by the
  trigger's FilterCriteria, and the function is invoked with them.
A message leaves its queue only when its source took all of it: a function that reports
failed items (batchItemFailures) or raises keeps it parked. (Imports and schedule events
are invoked asynchronously, on AWS: their message leaves once Lambda accepts the event,
and a new failure parks it again.)
The same code serves the deployed stack (through CloudFormation's resource ids and the
Lambda API) and the local stack (through its provisioned resources and runtime).
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sam_moto.events import one_insert_per_write, stream_record
from sam_moto.filters import matches
from sam_moto.template import Translated

type Invoke = Callable[[str, Any, bool], Any]
"""(function logical id, event, asynchronous) -> the function's response (for a synchronous
call); raises when the function fails"""

EMPTY_PAGES = 10
"""GetRecords on an open shard may return empty pages before later records: how many in a
row to read before giving up on reaching the batch's last record."""
_GONE = "the stream no longer holds these records (24-hour retention)"


@dataclass(frozen=True)
class Source:
    kind: str
    """queue, function, schedule or stream"""
    logical_id: str
    """the source queue, or the function to invoke again"""
    filters: tuple[Mapping[str, Any], ...] = ()
    """a stream trigger's FilterCriteria patterns: only records one matches reach the function"""


class ItemsFailed(RuntimeError):
    """The function took the event but reported some of its items as failed."""

    def __init__(self, items: list[str]) -> None:
        super().__init__(f"{len(items)} item(s) failed again: {', '.join(items)}")
        self.items = items


def _target(reference: Any) -> str | None:
    if isinstance(reference, dict) and "Fn::GetAtt" in reference:
        return str(reference["Fn::GetAtt"][0])
    return None


def sources(translated: Translated) -> dict[str, Source]:
    """Dead-letter queue logical id -> where its messages come from."""
    found: dict[str, Source] = {}
    for logical_id, resource in translated.resources.items():
        props = resource.get("Properties", {})
        match resource["Type"]:
            case "AWS::SQS::Queue":
                target = _target(props.get("RedrivePolicy", {}).get("deadLetterTargetArn"))
                if target:
                    found[target] = Source("queue", logical_id)
            case "AWS::Lambda::EventInvokeConfig":
                target = _target(
                    props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                )
                # A schedule's queue also parks its functions' failed runs: each message
                # names its function (see _async_event).
                if target and target not in found:
                    found[target] = Source("function", props["FunctionName"]["Ref"])
            case "AWS::Scheduler::Schedule":
                target = _target(props.get("Target", {}).get("DeadLetterConfig", {}).get("Arn"))
                if target:
                    found[target] = Source("schedule", props["Target"]["Arn"]["Fn::GetAtt"][0])
            case "AWS::Lambda::EventSourceMapping":
                target = _target(
                    props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                )
                if target:
                    patterns = props.get("FilterCriteria", {}).get("Filters", [])
                    found[target] = Source(
                        "stream",
                        props["FunctionName"]["Ref"],
                        tuple(json.loads(f["Pattern"]) for f in patterns),
                    )
    return found


@dataclass(frozen=True)
class Parked:
    message_id: str
    receipt: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except json.JSONDecodeError:
            body = self.body
        error = (self.message_attributes.get("ERROR_MESSAGE") or {}).get("StringValue")
        if error is None and _is_lambda_failure(body):
            error = (body.get("responsePayload") or {}).get("errorMessage")
        return {
            "id": self.message_id,
            "sent": self.attributes.get("SentTimestamp"),
            "receives": self.attributes.get("ApproximateReceiveCount"),
            "error": error,
            "body": body,
        }


def _is_lambda_failure(body: Any) -> bool:
    """What Lambda sends an on-failure destination after an asynchronous run's last retry."""
    return (
        isinstance(body, dict)
        and "requestPayload" in body
        and "functionArn" in (body.get("requestContext") or {})
    )


def _unqualified(function_arn: str) -> str:
    """arn:aws:lambda:REGION:ACCOUNT:function:NAME, without a :$LATEST or version suffix."""
    return ":".join(function_arn.split(":")[:7])


class DeadLetters:
    def __init__(
        self,
        translated: Translated,
        *,
        queue_url: Callable[[str], str],
        sqs: Any,
        streams: Any,
        invoke: Invoke,
        function_logical_id: Callable[[str], str],
    ) -> None:
        self.sources = sources(translated)
        self.queue_url = queue_url
        self.sqs = sqs
        self.streams = streams
        self.invoke = invoke
        self.function_logical_id = function_logical_id

    def names(self) -> list[str]:
        return sorted(self.sources)

    def _receive_all(self, url: str) -> list[Parked]:
        parked: list[Parked] = []
        while messages := self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=120,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages"):
            parked.extend(
                Parked(
                    m["MessageId"],
                    m["ReceiptHandle"],
                    m["Body"],
                    m.get("Attributes", {}),
                    m.get("MessageAttributes", {}),
                )
                for m in messages
            )
        return parked

    def _release(self, url: str, parked: list[Parked]) -> None:
        for start in range(0, len(parked), 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": p.receipt, "VisibilityTimeout": 0}
                    for i, p in enumerate(parked[start : start + 10])
                ],
            )

    def peek(self, name: str) -> list[dict[str, Any]]:
        url = self.queue_url(self._known(name))
        parked = self._receive_all(url)
        self._release(url, parked)  # looking changes nothing: they stay parked
        return [p.summary() for p in parked]

    def replay(self, name: str) -> dict[str, Any]:
        logical_id = self._known(name)
        source = self.sources[logical_id]
        url = self.queue_url(logical_id)
        parked = self._receive_all(url)
        replayed, failed = [], []
        for message in parked:
            try:
                self._send_back(source, message)
            except Exception as error:  # noqa: BLE001 - reported per message, others go on
                failure: dict[str, Any] = {"id": message.message_id, "error": str(error)}
                if isinstance(error, ItemsFailed):
                    failure["items"] = error.items
                failed.append(failure)
                self._release(url, [message])
                continue
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message.receipt)
            replayed.append(message.message_id)
        return {
            "queue": logical_id,
            "source": source.logical_id,
            "replayed": replayed,
            "failed": failed,
        }

    def _known(self, name: str) -> str:
        for logical_id in self.sources:
            if name.lower() in (logical_id.lower(), logical_id.lower().removesuffix("queue")):
                return logical_id
        raise KeyError(f"{name}: not a dead-letter queue; try one of {', '.join(self.names())}")

    def _send_back(self, source: Source, message: Parked) -> None:
        if source.kind == "queue":
            self.sqs.send_message(
                QueueUrl=self.queue_url(source.logical_id), MessageBody=message.body
            )
            return
        if source.kind in ("function", "schedule"):
            function, event = self._async_event(source, message)
            result = self.invoke(function, event, True)
        else:
            records = self._stream_records(message, source.filters)
            result = self.invoke(source.logical_id, {"Records": records}, False)
        # A batch handler (ReportBatchItemFailures) returns its failed items instead of
        # raising: the others are done, these are not.
        if isinstance(result, Mapping) and result.get("batchItemFailures"):
            raise ItemsFailed([f["itemIdentifier"] for f in result["batchItemFailures"]])

    def _async_event(self, source: Source, message: Parked) -> tuple[str, Any]:
        """The function and event of a parked asynchronous invocation. One queue may hold
        both kinds: Lambda's record of a run that failed (the function's on-failure
        destination) and Scheduler's dead letter of an event it could not deliver."""
        body = json.loads(message.body)
        if isinstance(body, dict) and "requestPayload" in body:
            # Lambda's record names its function; a queue of one function's needs no name
            arn = (body.get("requestContext") or {}).get("functionArn")
            function = self.function_logical_id(_unqualified(str(arn))) if arn else None
            return function or source.logical_id, body["requestPayload"]
        target = (message.message_attributes.get("TARGET_ARN") or {}).get("StringValue")
        return (self.function_logical_id(target) if target else source.logical_id), body

    def _stream_records(
        self, message: Parked, filters: tuple[Mapping[str, Any], ...]
    ) -> list[dict[str, Any]]:
        """The records of the parked batch that the trigger's filters let through.

        batchSize counts only those, while the shard range [start, end] also holds every
        other write to the table: read the whole range, then filter as Lambda does."""
        info = json.loads(message.body)["DDBStreamBatchInfo"]
        end = int(info["endSequenceNumber"])
        try:
            iterator = self.streams.get_shard_iterator(
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
                raise LookupError(_GONE) from error
            raise
        raw: list[dict[str, Any]] = []
        empty = 0
        while iterator and empty < EMPTY_PAGES:
            page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            raw.extend(r for r in page["Records"] if int(r["dynamodb"]["SequenceNumber"]) <= end)
            if any(int(r["dynamodb"]["SequenceNumber"]) >= end for r in page["Records"]):
                break
            empty = 0 if page["Records"] else empty + 1
            iterator = page.get("NextShardIterator")
        else:
            if not raw:
                raise LookupError(_GONE)
            # Replaying part of the batch would delete the message with the rest unread.
            last = raw[-1]["dynamodb"]["SequenceNumber"]
            raise LookupError(
                f"the stream ends at {last}, before the batch's last record "
                f"{info['endSequenceNumber']}: not replayed"
            )
        # moto's stream doubles an UpdateItem that creates an item; DynamoDB's never does,
        # so on AWS this keeps every record.
        real = one_insert_per_write(raw, len(raw))
        shaped = [stream_record(r, arn=info["streamArn"]) for r in real]
        wanted = [r for r in shaped if not filters or any(matches(f, r) for f in filters)]
        if not wanted:
            raise LookupError("no record in the batch's range passes the trigger's filters")
        return wanted
