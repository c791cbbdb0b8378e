"""Replaying a parked score batch against what real DynamoDB Streams does and moto does not:
an open shard's GetRecords may answer empty pages before the records that follow, and
records past the 24-hour retention are gone."""

import json
from typing import Any

from botocore.exceptions import ClientError

from palabre_cli.template import translate
from sam_moto.dead_letters import EMPTY_PAGES, DeadLetters

PARKED = {
    "DDBStreamBatchInfo": {
        "shardId": "shardId-1",
        "startSequenceNumber": "100",
        "endSequenceNumber": "400",
        "batchSize": 2,
        "streamArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/palabre/stream/1",
    }
}


def record(sequence: int, sort_key: str) -> dict[str, Any]:
    keys = {"PK": {"S": "THEME#demo-1"}, "SK": {"S": sort_key}}
    return {
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": keys,
            "NewImage": {**keys, "text": {"S": "…"}},
            "SequenceNumber": str(sequence),
        },
    }


class OpenShard:
    """GetRecords on an open shard: the given pages, then empty pages for ever."""

    def __init__(self, *pages: list[dict[str, Any]], trimmed: bool = False) -> None:
        self.pages = pages
        self.trimmed = trimmed
        self.reads = 0

    def get_shard_iterator(self, **_: Any) -> dict[str, str]:
        if self.trimmed:
            error = {"Code": "TrimmedDataAccessException", "Message": "trimmed"}
            raise ClientError({"Error": error}, "GetShardIterator")
        return {"ShardIterator": "0"}

    def get_records(self, *, ShardIterator: str, Limit: int) -> dict[str, Any]:
        self.reads += 1
        at = int(ShardIterator)
        page = self.pages[at] if at < len(self.pages) else []
        return {"Records": page, "NextShardIterator": str(at + 1)}


class OneParkedMessage:
    def __init__(self) -> None:
        self.waiting = [{"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": json.dumps(PARKED)}]
        self.deleted: list[str] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        messages, self.waiting = self.waiting, []
        return {"Messages": messages}

    def change_message_visibility_batch(self, **_: Any) -> None:
        pass

    def delete_message(self, *, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)


def replay(shard: OpenShard) -> tuple[dict[str, Any], list[list[str]], OneParkedMessage]:
    given: list[list[str]] = []

    def invoke(function: str, event: Any, asynchronous: bool) -> Any:
        given.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        return {"batchItemFailures": []}

    queue = OneParkedMessage()
    dead = DeadLetters(
        translate(),
        queue_url=lambda logical_id: logical_id,
        sqs=queue,
        streams=shard,
        invoke=invoke,
        function_logical_id=lambda arn: arn,
    )
    return dead.replay("ScoreFailureQueue"), given, queue


def test_empty_pages_before_the_batch_end_do_not_cut_it_short() -> None:
    shard = OpenShard(
        [record(100, "ANSWER#m1"), record(150, "CURSOR#x")],
        [],
        [],
        [record(300, "NOTE#1"), record(400, "ANSWER#m2"), record(500, "ANSWER#m3")],
    )

    result, given, queue = replay(shard)

    assert given == [["100", "400"]]  # the range's answers, and nothing past its end
    assert (result["replayed"], result["failed"], queue.deleted) == (["m-1"], [], ["r-1"])


def test_a_shard_that_never_reaches_the_batch_end_is_read_a_bounded_number_of_times() -> None:
    shard = OpenShard([record(100, "ANSWER#m1")])

    result, given, queue = replay(shard)

    assert given == []  # half a batch is not replayed: the message would go with the rest
    assert "before the batch's last record" in result["failed"][0]["error"]
    assert queue.deleted == []
    assert shard.reads == 1 + EMPTY_PAGES


def test_records_past_the_stream_retention_leave_the_batch_parked() -> None:
    result, given, queue = replay(OpenShard(trimmed=True))

    assert given == []
    assert "24-hour retention" in result["failed"][0]["error"]
    assert queue.deleted == []
