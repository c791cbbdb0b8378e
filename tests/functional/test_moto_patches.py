"""The local stack's speed fixes to moto change no answer: the patched Query gives what
moto's own Query gives — same items, same order, same LastEvaluatedKey — for random
tables (base table and sparse GSIs, items written, rewritten and deleted) and random
queries (every key condition, filters, projections, limits, paging, both directions); a
failed transaction leaves the table as it found it; attribute values of every type come
back as moto serialises them; an item past 400 KB and an invalid update expression are
refused with moto's own errors; SQS sends, deduplicates, delays, receives and expires
messages as moto's own code does."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import table as moto_tables

from sam_moto import moto_patches
from tests.functional.conftest import mocked_aws

TABLE = "contract"
INDEXES = ("GSI1", "GSI2")


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    assert all(moto_patches.apply().values()), moto_patches.apply()
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        client = boto3.client("dynamodb", region_name="eu-west-1")
        yield client


def _create(client: Any, name: str) -> None:
    keys = ["PK", "SK", *(f"{i}{k}" for i in INDEXES for k in ("PK", "SK"))]
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": f"{index}PK", "KeyType": "HASH"},
                    {"AttributeName": f"{index}SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in INDEXES
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


SORT = st.text(alphabet="ab#~", min_size=1, max_size=4)
ITEM = st.fixed_dictionaries(
    {"PK": st.sampled_from(["A", "B", "C"]), "SK": SORT, "n": st.integers(0, 5)},
    optional={
        "GSI1PK": st.sampled_from(["X", "Y"]),
        "GSI1SK": SORT,
        "GSI2PK": st.sampled_from(["X", "Z"]),
        "GSI2SK": SORT,
    },
)
WRITE = st.one_of(
    st.tuples(st.just("put"), ITEM),
    st.tuples(st.just("delete"), ITEM),
    st.tuples(st.just("move"), ITEM, st.sampled_from(["X", "Y", "Z"]), SORT),
)
CONDITION = st.one_of(
    st.just(None),
    st.tuples(st.sampled_from(["=", "<", "<=", ">", ">="]), SORT),
    st.tuples(st.just("BETWEEN"), SORT, SORT),
    st.tuples(st.just("begins_with"), SORT),
)
QUERY = st.fixed_dictionaries(
    {
        "index": st.sampled_from([None, *INDEXES]),
        "partition": st.sampled_from(["A", "B", "C", "X", "Y", "Z"]),
        "condition": CONDITION,
        "forward": st.booleans(),
        "limit": st.one_of(st.none(), st.integers(1, 4)),
        "filter": st.booleans(),
        "projection": st.booleans(),
    }
)


def _typed(item: dict[str, Any]) -> dict[str, Any]:
    return {k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()}


def _write(client: Any, table: str, write: tuple[Any, ...]) -> None:
    kind, item = write[0], write[1]
    key = {"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}}
    if kind == "put":
        client.put_item(TableName=table, Item=_typed(item))
    elif kind == "delete":
        client.delete_item(TableName=table, Key=key)
    else:  # an update in place that moves the item to another GSI partition
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET GSI1PK = :pk, GSI1SK = :sk ADD n :one",
            ExpressionAttributeValues={
                ":pk": {"S": write[2]},
                ":sk": {"S": write[3]},
                ":one": {"N": "1"},
            },
        )


def _request(table: str, query: dict[str, Any]) -> dict[str, Any]:
    index = query["index"]
    pk, sk = (f"{index}PK", f"{index}SK") if index else ("PK", "SK")
    condition = "#pk = :pk"
    names = {"#pk": pk}
    values: dict[str, Any] = {":pk": {"S": query["partition"]}}
    shape = query["condition"]
    if shape is not None:
        names["#sk"] = sk
        if shape[0] == "BETWEEN":
            low, high = sorted(shape[1:])
            condition += " AND #sk BETWEEN :low AND :high"
            values |= {":low": {"S": low}, ":high": {"S": high}}
        elif shape[0] == "begins_with":
            condition += " AND begins_with(#sk, :v)"
            values[":v"] = {"S": shape[1]}
        else:
            condition += f" AND #sk {shape[0]} :v"
            values[":v"] = {"S": shape[1]}
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": query["forward"],
    }
    if index:
        request["IndexName"] = index
    if query["limit"]:
        request["Limit"] = query["limit"]
    if query["filter"]:
        request["FilterExpression"] = "n >= :two"
        values[":two"] = {"N": "2"}
    if query["projection"]:
        request["ProjectionExpression"] = "PK, SK, n"
    return request


def _pages(client: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    while True:
        response = client.query(**request)
        pages.append(
            {k: response.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")}
        )
        if "LastEvaluatedKey" not in response or len(pages) > 50:
            return pages
        request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def _unpatched(client: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    patched = moto_tables.Table.query
    moto_tables.Table.query = moto_patches.originals["query"]  # type: ignore[method-assign]
    try:
        return _pages(client, request)
    finally:
        moto_tables.Table.query = patched  # type: ignore[method-assign]


_tables = iter(range(10_000))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(WRITE, max_size=40),
    steps=st.lists(st.one_of(QUERY, WRITE), min_size=1, max_size=24),
)
def test_the_patched_query_answers_as_moto_does(
    dynamodb: Any,
    writes: list[tuple[Any, ...]],
    steps: list[dict[str, Any] | tuple[Any, ...]],
) -> None:
    table = f"{TABLE}{next(_tables)}"
    _create(dynamodb, table)
    for write in writes:
        _write(dynamodb, table, write)

    # Queries between writes: what the patch remembers of a partition's order is
    # forgotten when the partition is written
    for step in steps:
        if isinstance(step, tuple):
            _write(dynamodb, table, step)
            continue
        request = _request(table, step)
        assert _pages(dynamodb, request) == _unpatched(dynamodb, request), request


def test_a_failed_transaction_leaves_items_and_stream_as_they_were(dynamodb: Any) -> None:
    table = f"{TABLE}-transaction"
    _create(dynamodb, table)
    dynamodb.put_item(
        TableName=table, Item=_typed({"PK": "A", "SK": "a", "n": 1, "GSI1PK": "X", "GSI1SK": "a"})
    )
    before = dynamodb.scan(TableName=table)["Items"]
    stream = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client(
        "dynamodbstreams",
        region_name="eu-west-1",
        config=Config(account_id_endpoint_mode="disabled"),
    )
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]

    def records() -> int:
        iterator = streams.get_shard_iterator(
            StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        return len(streams.get_records(ShardIterator=iterator)["Records"])

    recorded = records()

    # A transaction whose first actions apply, then whose last one's condition fails
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": _typed(
                            {"PK": "B", "SK": "b", "n": 2, "GSI1PK": "X", "GSI1SK": "b"}
                        ),
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": "A"}, "SK": {"S": "a"}},
                        "UpdateExpression": "SET GSI1PK = :y",
                        "ExpressionAttributeValues": {":y": {"S": "Y"}},
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": _typed({"PK": "A", "SK": "a2", "n": 3}),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )

    assert dynamodb.scan(TableName=table)["Items"] == before
    assert records() == recorded
    gsi = {"TableName": table, "IndexName": "GSI1", "KeyConditionExpression": "GSI1PK = :x"}
    for partition in ("X", "Y"):
        request = gsi | {"ExpressionAttributeValues": {":x": {"S": partition}}}
        assert _pages(dynamodb, request) == _unpatched(dynamodb, request)
    assert [
        i["SK"]["S"]
        for i in _pages(dynamodb, gsi | {"ExpressionAttributeValues": {":x": {"S": "X"}}})[0][
            "Items"
        ]
    ] == ["a"]


# ---------------------------------------------------------------------------- SQS
SQS_FIXES = ("send_message", "receive_message", "is_message_valid_based_on_retention_period")


def _sqs_story(sqs: Any, prefix: str) -> list[Any]:
    """Everything a client can see of queues used every way the fixes touch."""
    from moto.sqs.models import sqs_backends

    seen: list[Any] = []
    plain = sqs.create_queue(QueueName=f"{prefix}-plain")["QueueUrl"]
    for n in range(23):
        sqs.send_message(QueueUrl=plain, MessageBody=f"m{n}", DelaySeconds=900 if n % 7 == 3 else 0)
    while batch := sqs.receive_message(
        QueueUrl=plain, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages"):
        seen.append([m["Body"] for m in batch])
    attributes = sqs.get_queue_attributes(QueueUrl=plain, AttributeNames=["All"])["Attributes"]
    seen.append({k: v for k, v in attributes.items() if k.startswith("Approximate")})

    fifo = sqs.create_queue(
        QueueName=f"{prefix}-dedup.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    explicit = sqs.create_queue(
        QueueName=f"{prefix}-explicit.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    for url in (fifo, explicit):
        for n, body in enumerate(["a", "a", "b", "a"]):
            sqs.send_message(
                QueueUrl=url,
                MessageBody=body,
                MessageGroupId="g",
                **({} if url == fifo else {"MessageDeduplicationId": str(n)}),
            )
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        seen.append([m["Body"] for m in received.get("Messages", [])])

    short = sqs.create_queue(
        QueueName=f"{prefix}-short", Attributes={"MessageRetentionPeriod": "60"}
    )["QueueUrl"]
    for n in range(4):
        sqs.send_message(QueueUrl=short, MessageBody=f"old{n}")
    queue = sqs_backends["123456789012"]["eu-west-1"].queues[f"{prefix}-short"]
    for message in queue._messages[2:]:
        message.sent_timestamp -= 120_000  # sent two minutes ago: past its retention
    received = sqs.receive_message(QueueUrl=short, MaxNumberOfMessages=10)
    seen.append([m["Body"] for m in received.get("Messages", [])])
    return seen


def test_sqs_answers_as_moto_does() -> None:
    from moto.sqs.models import SQSBackend

    assert all(moto_patches.apply().values()), moto_patches.apply()
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        sqs = boto3.client("sqs", region_name="eu-west-1")
        patched = _sqs_story(sqs, "patched")
        with pytest.MonkeyPatch.context() as moto_as_it_is:
            for name in SQS_FIXES:
                moto_as_it_is.setattr(SQSBackend, name, moto_patches.originals[name])
            unpatched = _sqs_story(sqs, "unpatched")
    assert patched == unpatched
    assert patched[0] == [f"m{n}" for n in range(12) if n % 7 != 3]  # the story did happen
    assert patched[-1] == ["old0", "old1"]


# ------------------------------------------------- DynamoDB: serialiser, item size, updates
@contextmanager
def _moto_as_it_is() -> Iterator[None]:
    """moto's own serialiser, Item constructor and projection, update parsing, copying,
    walking and validation, and condition lexing, for one block."""
    import importlib

    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import ActionCountValidator, OverlappingPathsValidator

    ast_nodes: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes")
    with pytest.MonkeyPatch.context() as moto:
        originals = moto_patches.originals
        moto.setattr(validators, "deepcopy", originals["update_tree_copy"])
        moto.setattr(
            ast_nodes.DepthFirstTraverser, "traverse_node_recursively", originals["tree_walk"]
        )
        moto.setattr(UpdateExpressionParser, "make", classmethod(originals["parsed_expressions"]))
        moto.setattr(
            ConditionExpressionParser, "_lex_condition_expression", originals["lexed_conditions"]
        )
        moto.setattr(BaseJSONSerializer, "_serialize_type_structure", originals["attribute_values"])
        moto.setattr(Item, "__init__", originals["Item.__init__"])
        moto.setattr(Item, "project", originals["Item.project"])
        for validator in (ActionCountValidator, OverlappingPathsValidator):
            moto.setattr(validator, "traverse", originals[f"{validator.__name__}.traverse"])
        yield


SCALAR = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**12), 10**12)),
    st.builds(lambda b: {"B": b}, st.binary(min_size=1, max_size=8)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(max_size=4), min_size=1, max_size=4)),
    st.builds(
        lambda s: {"NS": sorted(map(str, s))}, st.sets(st.integers(0, 99), min_size=1, max_size=4)
    ),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)),
        st.builds(
            lambda v: {"M": v}, st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=3)
        ),
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attributes=st.dictionaries(st.sampled_from("abcdef"), VALUE, min_size=1, max_size=5))
def test_attribute_values_of_every_type_come_back_as_moto_serialises_them(
    dynamodb: Any, attributes: dict[str, Any]
) -> None:
    table = f"{TABLE}-values"
    if table not in dynamodb.list_tables()["TableNames"]:
        _create(dynamodb, table)
    key = {"PK": {"S": "A"}, "SK": {"S": "a"}}
    dynamodb.put_item(TableName=table, Item=key | attributes)
    patched = dynamodb.get_item(TableName=table, Key=key)["Item"]
    with _moto_as_it_is():
        assert dynamodb.get_item(TableName=table, Key=key)["Item"] == patched
    assert patched == key | attributes


NESTED = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)),
        st.builds(lambda v: {"M": v}, st.dictionaries(st.sampled_from("abc"), inner, max_size=3)),
    ),
    max_leaves=10,
)
PATH = st.tuples(
    st.sampled_from("abcdef"), st.lists(st.one_of(st.sampled_from("abc"), st.integers(0, 2)))
)


def _projection(paths: list[tuple[str, list[str | int]]]) -> tuple[str, dict[str, str]]:
    """ "#a.#b[1], #c": each name through a placeholder"""
    names: dict[str, str] = {}
    written = []
    for top, steps in paths:
        path = f"#{top}"
        names[f"#{top}"] = top
        for step in steps[:3]:
            if isinstance(step, int):
                path += f"[{step}]"
            else:
                path += f".#{step}"
                names[f"#{step}"] = step
        written.append(path)
    return ", ".join(written), names


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attributes=st.dictionaries(st.sampled_from("abcdef"), NESTED, min_size=1, max_size=6),
    paths=st.lists(PATH, min_size=1, max_size=5),
)
def test_projections_read_what_moto_reads(
    dynamodb: Any, attributes: dict[str, Any], paths: list[tuple[str, list[str | int]]]
) -> None:
    table = f"{TABLE}-projections"
    if table not in dynamodb.list_tables()["TableNames"]:
        _create(dynamodb, table)
    key = {"PK": {"S": "A"}, "SK": {"S": "a"}}
    dynamodb.put_item(TableName=table, Item=key | attributes)
    expression, names = _projection(paths)

    def read() -> Any:
        try:
            return dynamodb.get_item(
                TableName=table,
                Key=key,
                ProjectionExpression=expression,
                ExpressionAttributeNames=names,
            ).get("Item")
        except ClientError as error:
            return error.response["Error"]
        # moto fails with an exception of its own on a path into a scalar: alike, then
        except (TypeError, KeyError, IndexError) as error:
            return repr(error)

    patched = read()
    with _moto_as_it_is():
        assert read() == patched, expression


def _refusal(call: Callable[[], Any]) -> str | None:
    try:
        call()
    except ClientError as error:
        return str(error)
    return None


def test_an_item_past_400_kb_is_refused_where_moto_refuses_it(dynamodb: Any) -> None:
    table = f"{TABLE}-size"
    _create(dynamodb, table)

    def put(size: int, name: str) -> Callable[[], Any]:
        item = {"PK": {"S": "A"}, "SK": {"S": name}, "blob": {"S": "x" * size}}
        return lambda: dynamodb.put_item(TableName=table, Item=item)

    for size in (399_000, 404_990, 404_995, 405_000, 410_000):
        patched = _refusal(put(size, "patched"))
        with _moto_as_it_is():
            assert _refusal(put(size, "moto")) == patched, size
    assert _refusal(put(410_000, "patched")) is not None
    assert _refusal(put(399_000, "patched")) is None


@pytest.mark.parametrize(
    ("expression", "refused"),
    [
        ("SET a = :v, b = :v", False),
        ("SET a = :v ADD n :one", False),
        ("SET a = :v, a = :v", True),
        ("SET m.x = :v, m = :v", True),
        ("SET a = :v SET b = :v", True),
        ("ADD n :one ADD n :one", True),
        ("REMOVE a, b.c, b", True),
        ("SET a = :v REMOVE a", True),
    ],
)
def test_update_expressions_are_accepted_and_refused_as_moto_does(
    dynamodb: Any, expression: str, refused: bool
) -> None:
    table = f"{TABLE}-updates"
    if table not in dynamodb.list_tables()["TableNames"]:
        _create(dynamodb, table)

    def update(sort: str) -> Callable[[], Any]:
        return lambda: dynamodb.update_item(
            TableName=table,
            Key={"PK": {"S": "A"}, "SK": {"S": sort}},
            UpdateExpression=expression,
            ExpressionAttributeValues={
                k: v for k, v in {":v": {"S": "v"}, ":one": {"N": "1"}}.items() if k in expression
            },
        )

    patched = _refusal(update("patched"))
    with _moto_as_it_is():
        assert _refusal(update("moto")) == patched
    assert (patched is not None) == refused, patched


def _shape(node: Any, parent: Any = None) -> Any:
    """A tree as nested tuples; each node's parent checked on the way."""
    from moto.dynamodb.parsing.validators import Node

    if not isinstance(node, Node):
        return ("leaf", type(node).__name__, repr(node))
    assert node.parent is parent
    return (type(node).__name__, node.type, [_shape(c, node) for c in node.children or []])


@pytest.mark.parametrize(
    "expression",
    [
        "SET #name = :name ADD #a0 :a0, #s0 :s0 REMOVE #r0, #r1",
        "SET a.b[2].c = if_not_exists(a.b[2].c, :zero) + :one, l = list_append(l, :l)",
        "REMOVE a[1], b.c DELETE s :s",
    ],
)
def test_an_update_tree_is_copied_as_deepcopy_copies_it(expression: str) -> None:
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    assert moto_patches.apply()["update_tree_copy"]
    tree = UpdateExpressionParser.make(expression)
    copied = validators.deepcopy(tree)
    assert copied is not tree
    assert _shape(copied) == _shape(copy.deepcopy(tree)) == _shape(tree)
    # and nothing is shared: changing the copy leaves the tree as it was
    before = _shape(tree)
    copied.children.clear()
    assert _shape(tree) == before


ACTION = st.sampled_from(
    [
        "SET a = :v",
        "SET m.x = :v",
        "SET l = list_append(if_not_exists(l, :empty), :list)",
        "SET n = if_not_exists(n, :zero) + :one",
        "ADD n :one",
        "ADD s :set",
        "DELETE s :set",
        "REMOVE a",
        "REMOVE m.x",
        "REMOVE s",
    ]
)
CONDITION_TEXT = st.sampled_from(
    [
        None,
        "attribute_not_exists(a)",
        "NOT contains(s, :c)",
        "attribute_exists(n) AND n < :ten",
        "(NOT contains(s, :c) AND attribute_not_exists(a)) OR size(l) > :one",
    ]
)
START = st.fixed_dictionaries(
    {},
    optional={
        "a": st.just({"S": "x"}),
        "m": st.just({"M": {"x": {"N": "1"}}}),
        "n": st.integers(0, 20).map(lambda n: {"N": str(n)}),
        "s": st.sets(st.sampled_from("cde"), min_size=1).map(lambda s: {"SS": sorted(s)}),
        "l": st.just({"L": [{"S": "x"}]}),
    },
)
UPDATE_VALUES = {
    ":v": {"S": "v"},
    ":one": {"N": "1"},
    ":zero": {"N": "0"},
    ":ten": {"N": "10"},
    ":set": {"SS": ["c", "z"]},
    ":c": {"S": "c"},
    ":empty": {"L": []},
    ":list": {"L": [{"S": "y"}]},
}


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.one_of(st.none(), START),
    actions=st.lists(ACTION, min_size=1, max_size=4),
    condition=CONDITION_TEXT,
)
def test_updates_write_and_refuse_as_moto_does(
    dynamodb: Any, start: dict[str, Any] | None, actions: list[str], condition: str | None
) -> None:
    table = f"{TABLE}-updates"
    if table not in dynamodb.list_tables()["TableNames"]:
        _create(dynamodb, table)
    expression = " ".join(actions)
    text = expression + " " + (condition or "")
    request: dict[str, Any] = {
        "TableName": table,
        "UpdateExpression": expression,
        "ExpressionAttributeValues": {k: v for k, v in UPDATE_VALUES.items() if k in text},
        "ReturnValues": "ALL_NEW",
    }
    if condition:
        request["ConditionExpression"] = condition

    def run() -> Any:
        key = {"PK": {"S": "U"}, "SK": {"S": "u"}}
        dynamodb.delete_item(TableName=table, Key=key)
        if start is not None:
            dynamodb.put_item(TableName=table, Item=key | start)
        try:
            return dynamodb.update_item(Key=key, **request).get("Attributes")
        except Exception as error:  # moto's refusals, and its own failures  # noqa: BLE001
            return f"{type(error).__name__}: {error}"

    patched, again = run(), run()  # the second from what the fixes remembered
    with _moto_as_it_is():
        unpatched = run()
    assert unpatched == patched == again, (request, unpatched, patched, again)


# ---------------------------------------------------------------------------- SES
def _raw(sender: str, **headers: str) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = sender
    for name, value in headers.items():
        message[name] = value
    message.set_content("Bonjour Léa,\nvoici le thème.")
    message.add_alternative("<p>Bonjour Léa</p>", subtype="html")
    return bytes(message)


SES_CASES: list[tuple[str, dict[str, str], list[str] | None]] = [
    ("palabre@example.com", {}, ["lea@example.com"]),
    (
        "palabre@example.com",
        {"To": "Léa <lea@example.com>, hugo@example.com", "Cc": "c@example.com"},
        None,
    ),
    ("x@nowhere.test", {"To": "lea@example.com", "Bcc": "b@example.com"}, None),
    ("palabre@example.com", {"To": "not an address"}, None),
    ("palabre@example.com", {"To": ", ".join(f"m{n}@example.com" for n in range(60))}, None),
    ("palabre@example.com", {"Subject": "=?utf-8?q?Th=C3=A8me?=", "To": "lea@example.com"}, None),
]
"""sender, headers, explicit destinations: accepted, read from headers, refused (an
unverified sender, a bad address, too many recipients), non-ASCII headers"""


def _ses_story(ses: Any, messages: list[bytes]) -> list[Any]:
    from moto.ses.models import ses_backends

    backend = ses_backends["123456789012"]["eu-west-1"]
    seen: list[Any] = []
    for (_, _, destinations), data in zip(SES_CASES, messages, strict=True):
        request: dict[str, Any] = {"Content": {"Raw": {"Data": data}}}
        if destinations:
            request["Destination"] = {"ToAddresses": destinations}
        before = len(backend.sent_messages)
        try:
            ses.send_email(**request)
            seen.append(
                [(m.source, m.destinations, m.raw_data) for m in backend.sent_messages[before:]]
            )
        except ClientError as error:
            seen.append(str(error))
    return seen


def test_ses_sends_and_refuses_raw_emails_as_moto_does() -> None:
    from moto.ses.models import SESBackend

    assert all(moto_patches.apply().values()), moto_patches.apply()
    messages = [_raw(sender, **headers) for sender, headers, _ in SES_CASES]
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        ses = boto3.client("sesv2", region_name="eu-west-1")
        ses.create_email_identity(EmailIdentity="palabre@example.com")
        patched = _ses_story(ses, messages)
        with pytest.MonkeyPatch.context() as moto_as_it_is:
            moto_as_it_is.setattr(
                SESBackend, "send_raw_email", moto_patches.originals["send_raw_email"]
            )
            unpatched = _ses_story(ses, messages)
    assert patched == unpatched
    # the story did happen: recipients read from the headers, three refusals
    assert len(patched[1][0][1]) == 3
    assert [isinstance(outcome, str) for outcome in patched] == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "host",
    [
        None,
        "moto_api",
        "dynamodb",
        "dynamodb.eu-west-1.amazonaws.com",
        "streams.dynamodb.eu-west-1.amazonaws.com",
        "sqs.eu-west-1.amazonaws.com",
        "email.eu-west-1.amazonaws.com",
        "s3.amazonaws.com",
        "bucket.s3.eu-west-1.amazonaws.com",
        "scheduler.eu-west-1.amazonaws.com",
        "nothing.example",
    ],
)
def test_the_servers_backend_for_a_host_is_moto_s_own_and_the_same_when_asked_again(
    host: str | None,
) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    assert moto_patches.apply()["lookups"]
    dispatcher = DomainDispatcherApplication(create_app=lambda backend: backend)
    expected = moto_patches.originals["get_backend_for_host"](dispatcher, host)
    assert dispatcher.get_backend_for_host(host) == expected
    assert dispatcher.get_backend_for_host(host) == expected  # remembered
