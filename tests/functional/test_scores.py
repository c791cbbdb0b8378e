"""Scores against moto, fed with the records read back from moto's own stream."""

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from palabre.core.models import member_id
from sam_moto.events import one_insert_per_write, stream_failure, stream_record
from sam_moto.filters import matches
from sam_moto.stack import LocalStack
from tests.functional.conftest import dynamodb_item, table_items
from tests.functional.test_answers import link_of
from tests.functional.test_dispatch import LEA

HUGO = "hugo.bernard@demo.palabre.example"
MANON = "manon.petit@demo.palabre.example"  # Éclaireurs, Produit
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def answer(
    stack: LocalStack,
    address: str,
    text: str,
    visibility: str = "circle",
    attribution: str = "named",
) -> None:
    status, _, _ = stack.api(
        method="POST",
        path=link_of(stack, address),
        query="",
        headers=FORM,
        body=urlencode(
            {"answer": text, "visibility": visibility, "attribution": attribution}
        ).encode(),
    )
    assert status == 303  # to the thank-you page


def vote(stack: LocalStack, *, author: str, voter: str, theme: str = "demo-1") -> None:
    """Follow the "useful" link the voter's digest would carry for the author's answer."""
    from palabre.core.tokens import Purpose, Signer, keys_from_secret

    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    token = Signer(keys_from_secret(json.loads(secret["SecretString"]))).sign(
        Purpose.VOTE,
        [theme, member_id(author), member_id(voter)],
        datetime.fromisoformat("2026-12-30T00:00:00+01:00"),
    )
    status, _, _ = stack.api(method="POST", path=f"/vote/{token}", query="", headers={}, body=b"")
    assert status == 200


def score(stack: LocalStack, address: str) -> dict[str, Any]:
    return dynamodb_item(stack, f"MEMBER#{member_id(address)}", "SCORE")


def scores(stack: LocalStack) -> list[dict[str, Any]]:
    """Every score and standing in the table (with the causes the circles keep)."""
    return [
        i
        for i in table_items(stack)
        if i["SK"]["S"] == "SCORE" or i["PK"]["S"].startswith("BOARD#")
    ]


def kept_causes(stack: LocalStack, circle: str) -> set[str]:
    """The causes a circle's standing keeps (each counted once), whatever their day."""
    item = dynamodb_item(stack, "BOARD#circle", circle)
    return {
        cause for name, value in item.items() if name.startswith("seen_") for cause in value["SS"]
    }


def stream_batch(stack: LocalStack) -> list[dict[str, Any]]:
    """Every record of the table's stream, read from moto, shaped as Lambda delivers them."""
    streams = stack.client("dynamodbstreams")
    [trigger] = stack.provisioned.stream_triggers
    shard = streams.describe_stream(StreamArn=trigger.stream_arn)["StreamDescription"]["Shards"][0][
        "ShardId"
    ]
    iterator = streams.get_shard_iterator(
        StreamArn=trigger.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while True:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            return records
        # moto writes an extra key-only INSERT for an UpdateItem that creates an item
        real = one_insert_per_write(page["Records"], len(page["Records"]))
        records.extend(stream_record(r, arn=trigger.stream_arn) for r in real)
        iterator = page["NextShardIterator"]


def test_answers_earn_their_points_once_and_feed_the_standings(org: LocalStack) -> None:
    answer(org, LEA, "Un tour de table chaque lundi.")
    org.drain()

    lea = score(org, LEA)
    assert (lea["points"], lea["answers"]) == ({"N": "15"}, {"N": "1"})
    assert "prompts" not in lea  # a prompt counts for the standings only: no write per member
    produit = dynamodb_item(org, "BOARD#team", "produit")
    assert produit["name"] == {"S": "Produit"}
    assert produit["points"] == {"N": "15"}
    assert produit["answers"] == {"N": "1"}
    assert produit["prompts"] == {"N": "9"}  # prompts sent at 09:00 Paris to the team

    # An edit earns nothing more
    answer(org, LEA, "Un tour de table chaque lundi, et un mot le vendredi.")
    org.drain()
    assert score(org, LEA)["points"] == {"N": "15"}


def test_a_batch_processed_three_times_gives_identical_scores(org: LocalStack) -> None:
    answer(org, LEA, "Tour de table.")
    answer(org, HUGO, "Café du vendredi.")
    answer(org, MANON, "Rétro mensuelle.", visibility="organisation")
    org.drain()
    after_first = scores(org)
    batch = stream_batch(org)
    assert sum(r["eventName"] == "INSERT" for r in batch) > 20

    # The same records, delivered twice more (Lambda retries, a replayed batch…)
    for _ in range(2):
        invocation = org.runtime.invoke("ScoreStreamFunction", {"Records": batch})
        assert invocation.error is None, invocation.error
        assert invocation.result == {"batchItemFailures": []}

    assert scores(org) == after_first


def put_orphan_answer(stack: LocalStack) -> None:
    """An answer item written without its author (a bug elsewhere, say): a poison record."""
    stack.client("dynamodb").put_item(
        TableName=stack.provisioned.tables["PalabreTable"],
        Item={
            "PK": {"S": "THEME#demo-1"},
            "SK": {"S": "ANSWER#mbroken"},
            "theme_id": {"S": "demo-1"},
            "text": {"S": "orphan"},
        },
    )


def test_a_poison_record_is_parked_and_the_others_are_scored(org: LocalStack) -> None:
    # Given an answer item written without its author
    put_orphan_answer(org)
    # and real answers around it
    answer(org, LEA, "Tour de table.")
    answer(org, HUGO, "Café du vendredi.")

    org.drain()

    # Then the others are scored…
    assert score(org, LEA)["points"] == {"N": "15"}
    assert score(org, HUGO)["points"] == {"N": "15"}
    # …and the poison record alone is parked, with where to find it in the stream
    dlq = org.provisioned.queues["ScoreFailureQueue"].url
    [parked] = org.client("sqs").receive_message(QueueUrl=dlq)["Messages"]
    info = json.loads(parked["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    [record] = [
        r
        for r in stream_batch(org)
        if r["dynamodb"]["SequenceNumber"] == info["startSequenceNumber"]
    ]
    assert record["dynamodb"]["Keys"]["SK"] == {"S": "ANSWER#mbroken"}


def test_replaying_a_poison_record_fails_again_and_it_stays_parked(org: LocalStack) -> None:
    put_orphan_answer(org)
    org.drain()

    result = org.dead_letters().replay("ScoreFailureQueue")

    assert result["replayed"] == []
    assert "lacks member_id" in result["failed"][0]["error"]
    assert len(org.dead_letters().peek("ScoreFailureQueue")) == 1


def passing_filters(stack: LocalStack, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the score trigger's FilterCriteria (from template.yaml) let through."""
    [trigger] = stack.provisioned.stream_triggers
    return [r for r in records if any(matches(f, r) for f in trigger.filters)]


def park(stack: LocalStack, batch: list[dict[str, Any]]) -> None:
    """Park a batch in ScoreFailureQueue as Lambda does after its last retry: where it was."""
    [trigger] = stack.provisioned.stream_triggers
    streams = stack.client("dynamodbstreams")
    [shard] = streams.describe_stream(StreamArn=trigger.stream_arn)["StreamDescription"]["Shards"]
    stack.client("sqs").send_message(
        QueueUrl=stack.provisioned.queues["ScoreFailureQueue"].url,
        MessageBody=json.dumps(
            stream_failure(
                function_arn=stack.provisioned.functions[trigger.function].arn,
                stream_arn=trigger.stream_arn,
                shard_id=shard["ShardId"],
                records=batch,
                attempts=4,
                at=stack.clock(),
            )
        ),
    )


def sequence(records: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["SequenceNumber"] for r in records]


def test_replaying_a_batch_with_a_poison_record_scores_the_rest_and_keeps_it_parked(
    org: LocalStack,
) -> None:
    # Given a parked batch, never scored: two answers around a poison record
    before = len(stream_batch(org))
    answer(org, LEA, "Tour de table.")
    put_orphan_answer(org)
    answer(org, HUGO, "Café du vendredi.")
    batch = passing_filters(org, stream_batch(org)[before:])
    [poison] = [r for r in batch if r["dynamodb"]["Keys"]["SK"] == {"S": "ANSWER#mbroken"}]
    assert len(batch) == 3
    park(org, batch)
    dead = org.dead_letters()
    [parked] = dead.peek("ScoreFailureQueue")

    result = dead.replay("ScoreFailureQueue")

    # Then the good records are scored…
    assert score(org, LEA)["points"] == {"N": "15"}
    assert score(org, HUGO)["points"] == {"N": "15"}
    # …and the batch is reported failed, with the record that failed again, and stays parked
    assert result["replayed"] == []
    [failed] = result["failed"]
    assert (failed["id"], failed["items"]) == (parked["id"], sequence([poison]))
    assert [p["id"] for p in dead.peek("ScoreFailureQueue")] == [parked["id"]]


def test_replaying_a_batch_reads_its_whole_range_through_the_trigger_filters(
    org: LocalStack,
) -> None:
    # Given a parked batch of three answers, with far more than a page of other writes
    # between them in the stream: unrelated items, and an answer's edit (a MODIFY)
    before = len(stream_batch(org))
    answer(org, LEA, "Tour de table.")
    for n in range(120):
        org.client("dynamodb").put_item(
            TableName=org.provisioned.tables["PalabreTable"],
            Item={"PK": {"S": f"NOTE#{n}"}, "SK": {"S": "NOTE"}},
        )
    answer(org, LEA, "Tour de table, et un mot le vendredi.")
    answer(org, HUGO, "Café du vendredi.")
    answer(org, MANON, "Rétro mensuelle.", visibility="organisation")
    written = stream_batch(org)[before:]
    batch = passing_filters(org, written)
    assert (len(written) > 100, len(batch)) == (True, 3)
    park(org, batch)
    dead = org.dead_letters()
    given: list[dict[str, Any]] = []
    invoke = dead.invoke

    def recording(function: str, event: Any, asynchronous: bool) -> Any:
        given.append(event)
        return invoke(function, event, asynchronous)

    dead.invoke = recording

    result = dead.replay("ScoreFailureQueue")

    # Then every answer of the batch, and nothing else, reached the score function
    assert (len(result["replayed"]), result["failed"]) == (1, [])
    assert [sequence(e["Records"]) for e in given] == [sequence(batch)]
    for address in (LEA, HUGO, MANON):
        assert score(org, address)["points"] == {"N": "15"}
    assert dead.peek("ScoreFailureQueue") == []


def test_useful_votes_earn_the_author_two_points_each(org: LocalStack) -> None:
    answer(org, LEA, "Tour de table.", visibility="organisation")
    org.drain()
    for voter in (HUGO, MANON, HUGO):  # Hugo twice: counted once
        vote(org, author=LEA, voter=voter)
    org.drain()

    assert score(org, LEA)["points"] == {"N": str(15 + 2 * 2)}
    assert dynamodb_item(org, "THEME#demo-1", f"ANSWER#{member_id(LEA)}")["useful"] == {"N": "2"}
    assert "points" not in score(org, HUGO) or score(org, HUGO)["points"] == {"N": "0"}


def test_the_moto_speed_fixes_still_apply_to_the_pinned_moto() -> None:
    from sam_moto import moto_patches

    # When moto changes the code a fix rewrites, this fails: drop or adapt the fix.
    applied = moto_patches.apply()
    assert set(moto_patches.FIXES) <= set(applied)
    assert [name for name, took in applied.items() if not took] == []
