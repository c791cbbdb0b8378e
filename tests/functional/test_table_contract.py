"""The storage port's contract: each case runs against the in-memory fake (tests/fakes.py)
and against DynamoTable over moto, on the table template.yaml declares, and asserts the
same outcome for both: items, orders, pages and their LastEvaluatedKey, ConditionFailed
and what it found, TransactionCancelled and its reasons, the requests DynamoDB refuses.

moto is not DynamoDB. Where the two differ and the stores cannot tell (when a page
carries a LastEvaluatedKey, what UPDATED_NEW holds, the exact item size limit), the fake
follows moto and a comment says so. Where moto accepts a request DynamoDB refuses, the
fake refuses it as DynamoDB does, and the case is an expected failure for moto only
(`moto_differs`, strict: once moto catches up, the mark must go); so too where moto
fails with an exception of its own (KeyError, ValueError...) instead of DynamoDB's answer.

One moto mock serves the module; each case gets a fresh table, made by the local stack's
provisioner from template.yaml's PalabreTable.
"""

import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

import palabre.store.members
from palabre.core.directory import Directory
from palabre.core.jobs import SkipReason
from palabre.core.models import Prompt, Visibility
from palabre.core.points import Change
from palabre.core.streaks import StreakState
from palabre.store import keys
from palabre.store.answers import WRITE_ANSWER, AnswerStore, ChangedMeanwhile, NewText
from palabre.store.dispatch import DispatchStore
from palabre.store.locks import ImportBusy, ImportLock, Superseded
from palabre.store.members import MemberStore, directory_fields
from palabre.store.scores import AlreadyCounted, ScoreStore
from palabre.store.sends import SendRecords
from palabre.store.table import (
    ConditionFailed,
    Delete,
    DynamoTable,
    Put,
    Table,
    TransactionCancelled,
    Update,
    from_dynamo,
)
from palabre.store.themes import ThemeStore
from palabre.store.votes import VoteStore
from palabre_cli.template import Translated, load_source, parameter_defaults
from sam_moto import moto_patches
from sam_moto.provision import Provisioner
from sam_moto.stack import REGION
from tests.fakes import INDEXES, FakeTable
from tests.functional.conftest import mocked_aws
from tests.unit.examples import CALENDAR, FORMER_MEMBER, ROSTER

TABLE = "PalabreTable"
VALIDATION = ("ValidationException",)
_tables = itertools.count()


# ---------------------------------------------------------------------------- the two tables
@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    # moto as the local stack runs it: with its patches (sam_moto/moto_patches.py)
    moto_patches.apply()
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        yield boto3.client("dynamodb", region_name=REGION)


@cache
def _template() -> Translated:
    """template.yaml as the local stack's provisioner reads it. PalabreTable is plain
    CloudFormation, which SAM passes through as is: no need to translate the rest."""
    source = load_source()
    return Translated(
        source=source,
        resources=source["Resources"],
        outputs={},
        parameters=parameter_defaults(source),
    )


def moto_table(client: Any) -> DynamoTable:
    """A fresh PalabreTable, created as the local stack creates it from template.yaml."""
    translated = _template()
    provisioner = Provisioner(
        translated,
        lambda _service: client,
        region=REGION,
        stack_name=f"contract{next(_tables)}",
    )
    provisioner._AWS_DynamoDB_Table(TABLE, translated.resources[TABLE]["Properties"])
    return DynamoTable(client, provisioner.out.tables[TABLE])


@pytest.fixture(params=["fake", "moto"])
def table(request: pytest.FixtureRequest) -> Iterator[Table]:
    if request.param == "fake":
        yield FakeTable()
        return
    client = request.getfixturevalue("dynamodb")
    made = moto_table(client)
    yield made
    client.delete_table(TableName=made.name)


@pytest.fixture
def moto_differs(request: pytest.FixtureRequest, table: Table) -> Callable[[str], None]:
    """For a case moto gets wrong (a request DynamoDB refuses that it lets through, or
    fails on with an exception of its own): an expected failure on moto."""

    def mark(why: str) -> None:
        if isinstance(table, DynamoTable):
            request.node.add_marker(pytest.mark.xfail(strict=True, reason=f"moto: {why}"))

    return mark


def attempt(call: Callable[[], Any]) -> Any:
    """What a call returns, or how it fails, in a form both tables give alike."""
    try:
        result = call()
        return list(result) if isinstance(result, Iterator) else result
    except ConditionFailed as failed:
        return ("ConditionFailed", failed.item)
    except TransactionCancelled as cancelled:
        return ("TransactionCancelled", cancelled.reasons)
    except AlreadyCounted:
        return "AlreadyCounted"
    except ClientError as error:
        return (error.response["Error"]["Code"],)
    except ParamValidationError:
        return ("ParamValidationError",)


def refused(call: Callable[[], Any]) -> None:
    assert attempt(call) == VALIDATION


def sort_keys(items: Any) -> list[str]:
    return [i["SK"] for i in items]


def test_the_fake_has_the_templates_keys_and_indexes() -> None:
    """The fake's key schema (PK/SK, and <index>PK/<index>SK for each GSI, strings, every
    attribute projected) is template.yaml's."""
    props = _template().resources[TABLE]["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert {a["AttributeType"] for a in props["AttributeDefinitions"]} == {"S"}
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert tuple(indexes) == INDEXES
    for name, index in indexes.items():
        assert index["KeySchema"] == [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ]
        assert index["Projection"] == {"ProjectionType": "ALL"}


# ---------------------------------------------------------------------------- items
def test_an_item_reads_back_as_written(table: Table) -> None:
    assert table.get({"PK": "T#1", "SK": "A"}) is None
    table.put(
        {
            "PK": "T#1",
            "SK": "A",
            "text": "Écoute — 聞く",
            "empty": "",
            "count": 3,
            "whole": 2.0,
            "half": 0.5,
            "exact": Decimal("1.10"),
            "big": 10**20,
            "negative": -7,
            "yes": True,
            "no": False,
            "left_out": None,
            "nested": {"none": None, "pair": (1, "a"), "deep": {"x": 1.5}, "flag": False},
            "tags": {"a", "b"},
            "numbers": {1, Decimal("2.5")},
            "list": [],
            "map": {},
        }
    )
    item = table.get({"PK": "T#1", "SK": "A"})
    assert item == {
        "PK": "T#1",
        "SK": "A",
        "text": "Écoute — 聞く",
        "empty": "",
        "count": 3,
        "whole": 2,
        "half": 0.5,
        "exact": 1.1,
        "big": 10**20,
        "negative": -7,
        "yes": True,
        "no": False,
        "nested": {"none": None, "pair": [1, "a"], "deep": {"x": 1.5}, "flag": False},
        "tags": {"a", "b"},
        "numbers": {1, 2.5},
        "list": [],
        "map": {},
    }
    assert item is not None
    assert type(item["whole"]) is int
    assert type(item["big"]) is int
    assert type(item["yes"]) is bool

    # A put replaces the whole item.
    table.put({"PK": "T#1", "SK": "A", "text": "again"})
    assert table.get({"PK": "T#1", "SK": "A"}) == {"PK": "T#1", "SK": "A", "text": "again"}
    table.delete({"PK": "T#1", "SK": "A"})
    table.delete({"PK": "T#1", "SK": "A"})  # deleting what is not there is no error
    assert table.get({"PK": "T#1", "SK": "A"}) is None


def test_what_dynamotable_cannot_serialise_fails_alike(table: Table) -> None:
    # DynamoTable turns floats into Decimals in maps and lists, not in sets: boto3 refuses.
    with pytest.raises(TypeError, match="Float types are not supported"):
        table.put({"PK": "T#1", "SK": "A", "ratios": {0.5, 1.5}})
    with pytest.raises(TypeError, match="NaN"):
        table.put({"PK": "T#1", "SK": "A", "ratio": float("nan")})
    assert table.get({"PK": "T#1", "SK": "A"}) is None


def test_keys_must_be_the_tables(table: Table) -> None:
    refused(lambda: table.put({"PK": "T#1"}))  # no sort key
    refused(lambda: table.put({"PK": 1, "SK": "A"}))  # not a string
    refused(lambda: table.put({"PK": "", "SK": "A"}))
    refused(lambda: table.put({"PK": "T#1", "SK": "A", "GSI1PK": "", "GSI1SK": "x"}))
    refused(lambda: table.put({"PK": "T#1", "SK": "A", "GSI2PK": "g", "GSI2SK": ""}))
    refused(lambda: table.get({"PK": "T#1"}))
    refused(lambda: table.get({"PK": "T#1", "SK": "A", "other": "x"}))
    refused(lambda: table.get({"PK": "", "SK": "A"}))
    refused(lambda: table.update({"PK": "T#1", "SK": "A", "x": "1"}, "SET a = :a", {":a": 1}))
    refused(lambda: table.delete({"PK": "T#1", "SK": "A", "x": "1"}))
    assert attempt(lambda: table.query("")) == VALIDATION
    assert attempt(lambda: table.query("T#1", prefix="")) == VALIDATION
    assert attempt(lambda: table.page("")) == VALIDATION
    assert attempt(lambda: table.query("T#1", between=("", "B"))) == VALIDATION
    # An update may not make an index key empty, or anything but a string.
    key = {"PK": "T#1", "SK": "A"}
    table.put({**key, "GSI1PK": "g", "GSI1SK": "x"})
    refused(lambda: table.update(key, "SET GSI1PK = :v", {":v": ""}))
    refused(lambda: table.update(key, "SET GSI3SK = :v", {":v": 5}))
    assert table.get(key) == {**key, "GSI1PK": "g", "GSI1SK": "x"}


def test_an_unknown_index_is_refused(table: Table, moto_differs: Callable[[str], None]) -> None:
    moto_differs("ResourceNotFoundException for an index the table does not have")
    assert attempt(lambda: table.query("x", index="GSI9")) == VALIDATION


def test_an_empty_key_value_in_an_update_or_delete_is_refused(
    table: Table, moto_differs: Callable[[str], None]
) -> None:
    moto_differs("an update or delete with an empty key value (it even writes the item)")
    refused(lambda: table.update({"PK": "", "SK": "A"}, "SET a = :a", {":a": 1}))
    refused(lambda: table.delete({"PK": "T#1", "SK": ""}))


def test_a_key_of_another_type_is_refused(
    table: Table, moto_differs: Callable[[str], None]
) -> None:
    moto_differs("a number for a string key in GetItem (it answers: no item)")
    refused(lambda: table.get({"PK": 1, "SK": "A"}))


def test_an_index_key_of_another_type_is_refused(
    table: Table, moto_differs: Callable[[str], None]
) -> None:
    moto_differs("a number for a string GSI key (it leaves the item out of the index)")
    refused(lambda: table.put({"PK": "T#1", "SK": "A", "GSI1PK": "g", "GSI1SK": 5}))


def test_an_empty_set_is_refused(table: Table) -> None:
    refused(lambda: table.put({"PK": "T#1", "SK": "A", "tags": set()}))
    refused(lambda: table.put({"PK": "T#1", "SK": "A", "deep": {"tags": set()}}))
    table.put({"PK": "T#1", "SK": "A"})
    refused(lambda: table.update({"PK": "T#1", "SK": "A"}, "ADD tags :t", {":t": set()}))


# ---------------------------------------------------------------------------- item size
def test_the_item_size_limit_counts_utf8_bytes(table: Table) -> None:
    # moto refuses an item over 405,000 bytes (names and values, UTF-8); DynamoDB's limit
    # is 400 KB with per-attribute overhead: the exact edge is moto's.
    overhead = len("PK") + len("T#1") + len("SK") + len("A") + len("t")
    table.put({"PK": "T#1", "SK": "A", "t": "x" * (405_000 - overhead)})
    refused(lambda: table.put({"PK": "T#1", "SK": "B", "t": "x" * (405_001 - overhead)}))
    # Two bytes a character: 390,000 bytes fit, however long their JSON escapes.
    table.put({"PK": "T#1", "SK": "C", "t": "é" * 195_000})
    refused(lambda: table.put({"PK": "T#1", "SK": "D", "t": "é" * 203_000}))
    # Numbers count their digits.
    refused(lambda: table.put({"PK": "T#1", "SK": "E", "t": "x" * 404_980, "n": 10**20}))
    assert sort_keys(table.query("T#1")) == ["A", "C"]


def test_an_update_that_would_grow_an_item_past_the_limit_changes_nothing(table: Table) -> None:
    key = {"PK": "T#1", "SK": "A"}
    table.put({**key, "t": "x" * 400_000})
    refused(lambda: table.update(key, "SET u = :u", {":u": "y" * 6_000}))
    assert table.get(key) == {**key, "t": "x" * 400_000}
    refused(lambda: table.transact([Update(key, "SET u = :u", {":u": "y" * 6_000})]))
    assert table.get(key) == {**key, "t": "x" * 400_000}


def test_an_update_past_the_limit_writes_none_of_its_actions(
    table: Table, moto_differs: Callable[[str], None]
) -> None:
    moto_differs("the actions of a refused update before the one too large stay written")
    key = {"PK": "T#1", "SK": "A"}
    table.put({**key, "t": "x" * 400_000})
    refused(lambda: table.update(key, "SET v = :v, u = :u", {":v": "z", ":u": "y" * 6_000}))
    assert table.get(key) == {**key, "t": "x" * 400_000}


@pytest.mark.parametrize(
    ("expression", "values"),
    [("SET u = :u", {":u": "y" * 420_000}), ("ADD n :n", {":n": [1]})],
    ids=["too-large", "wrong-type"],
)
def test_a_refused_update_creates_no_item(
    table: Table, moto_differs: Callable[[str], None], expression: str, values: dict[str, Any]
) -> None:
    moto_differs("an update refused on an item that does not exist creates it, key only")
    key = {"PK": "T#1", "SK": "A"}
    refused(lambda: table.update(key, expression, values))
    assert table.get(key) is None


# ---------------------------------------------------------------------------- queries
THEME_PARTITION = [
    "ANSWER#ana",
    "ANSWER#bob",
    "CURSOR#prompt#role:member#Europe/Paris",
    "DISPATCH",
    "PROMPT#ana",
    "PROMPT#bob",
    "PROMPT#cleo",
    "THEME",
    "VOTE#ana#bob",
]


def _theme_partition(table: Table) -> None:
    table.put_many({"PK": "THEME#t", "SK": sk} for sk in reversed(THEME_PARTITION))
    table.put({"PK": "THEME#u", "SK": "PROMPT#ana"})  # another partition


def test_a_query_reads_one_partition_in_sort_key_order(table: Table) -> None:
    _theme_partition(table)
    assert sort_keys(table.query("THEME#t")) == THEME_PARTITION
    assert sort_keys(table.query("THEME#t", prefix="PROMPT#")) == [
        "PROMPT#ana",
        "PROMPT#bob",
        "PROMPT#cleo",
    ]
    assert sort_keys(table.query("THEME#t", prefix="PROMPT#", forward=False, limit=2)) == [
        "PROMPT#cleo",
        "PROMPT#bob",
    ]
    assert sort_keys(table.query("THEME#t", between=("ANSWER#bob", "DISPATCH"))) == [
        "ANSWER#bob",
        "CURSOR#prompt#role:member#Europe/Paris",
        "DISPATCH",
    ]
    assert sort_keys(table.query("THEME#t", between=("PROMPT#", "PROMPT#~"), limit=1)) == [
        "PROMPT#ana"
    ]
    assert sort_keys(table.query("THEME#t", forward=False)) == THEME_PARTITION[::-1]
    assert sort_keys(table.query("THEME#t", limit=3)) == THEME_PARTITION[:3]
    assert sort_keys(table.query("THEME#t", limit=0)) == THEME_PARTITION  # 0: no limit
    assert sort_keys(table.query("THEME#t", limit=50)) == THEME_PARTITION
    assert list(table.query("THEME#none")) == []
    assert list(table.query("THEME#t", prefix="ZZZ")) == []
    assert attempt(lambda: table.query("THEME#t", limit=-1)) == ("ParamValidationError",)


def test_a_query_can_read_some_attributes_of_each_item(table: Table) -> None:
    table.put_many(
        [
            {
                "PK": "THEME#t",
                "SK": "ANSWER#ana",
                "text": "é",
                "type": "answer",
                "useful": 2,
                "useful_circles": {"a", "b"},
                "GSI3PK": "LIBRARY",
                "GSI3SK": "2026#t#ana",
            },
            {
                "PK": "THEME#t",
                "SK": "ANSWER#bob",
                "text": "b",
                "GSI3PK": "LIBRARY",
                "GSI3SK": "2026#t#bob",
                "other": [1, {"x": "y"}],
            },
        ]
    )
    wanted = ("text", "useful", "useful_circles", "type", "missing")  # reserved words too
    assert list(table.query("THEME#t", attributes=wanted)) == [
        {"text": "é", "useful": 2, "useful_circles": {"a", "b"}, "type": "answer"},
        {"text": "b"},
    ]
    assert list(table.query("LIBRARY", index="GSI3", forward=False, attributes=["SK"])) == [
        {"SK": "ANSWER#bob"},
        {"SK": "ANSWER#ana"},
    ]
    assert list(table.query("THEME#t", prefix="ANSWER#b", limit=1, attributes=["PK"])) == [
        {"PK": "THEME#t"}
    ]


def test_a_reversed_between_is_refused(table: Table, moto_differs: Callable[[str], None]) -> None:
    moto_differs("BETWEEN with its bounds reversed in a key condition (it finds nothing)")
    _theme_partition(table)
    assert attempt(lambda: table.query("THEME#t", between=("THEME", "ANSWER#"))) == VALIDATION


def _indexed(index: str, partition: str, sort_key: str) -> dict[str, str]:
    return {f"{index}PK": partition, f"{index}SK": sort_key}


@pytest.mark.parametrize("index", INDEXES)
def test_an_index_lists_only_the_items_with_both_its_keys(table: Table, index: str) -> None:
    table.put({"PK": "MEMBER#c", "SK": "PROFILE", **_indexed(index, "CIRCLE#x", "MEMBER#b")})
    table.put({"PK": "MEMBER#a", "SK": "PROFILE", **_indexed(index, "CIRCLE#x", "MEMBER#c")})
    table.put({"PK": "MEMBER#b", "SK": "PROFILE", **_indexed(index, "CIRCLE#x", "MEMBER#a")})
    table.put({"PK": "MEMBER#d", "SK": "PROFILE", f"{index}PK": "CIRCLE#x"})  # no sort key
    table.put({"PK": "MEMBER#e", "SK": "PROFILE", **_indexed(index, "CIRCLE#y", "MEMBER#e")})
    table.put({"PK": "MEMBER#f", "SK": "PROFILE"})
    listed = list(table.query("CIRCLE#x", index=index))
    assert [i["PK"] for i in listed] == ["MEMBER#b", "MEMBER#c", "MEMBER#a"]
    assert listed[0] == {
        "PK": "MEMBER#b",
        "SK": "PROFILE",
        **_indexed(index, "CIRCLE#x", "MEMBER#a"),
    }
    assert [i["PK"] for i in table.query("CIRCLE#x", index=index, forward=False, limit=2)] == [
        "MEMBER#a",
        "MEMBER#c",
    ]
    assert [i["PK"] for i in table.query("CIRCLE#x", index=index, prefix="MEMBER#b")] == [
        "MEMBER#c"
    ]

    # An update moves the item in the index, or out of it; a delete takes it out.
    table.update({"PK": "MEMBER#a", "SK": "PROFILE"}, f"SET {index}SK = :sk", {":sk": "MEMBER#0"})
    table.update({"PK": "MEMBER#b", "SK": "PROFILE"}, f"REMOVE {index}PK")
    table.update({"PK": "MEMBER#d", "SK": "PROFILE"}, f"SET {index}SK = :sk", {":sk": "MEMBER#d"})
    table.delete({"PK": "MEMBER#c", "SK": "PROFILE"})
    assert [i["PK"] for i in table.query("CIRCLE#x", index=index)] == ["MEMBER#a", "MEMBER#d"]
    assert [i["PK"] for i in table.query("CIRCLE#y", index=index)] == ["MEMBER#e"]


def test_equal_index_sort_keys_are_ordered_by_the_tables_key(table: Table) -> None:
    # moto orders ties by PK then SK; DynamoDB does not document the order among them.
    for pk, sk in [("M#2", "B"), ("M#1", "B"), ("M#2", "A"), ("M#1", "A")]:
        table.put({"PK": pk, "SK": sk, **_indexed("GSI1", "SUPPRESSED", "2026-12-01")})
    expected = [("M#1", "A"), ("M#1", "B"), ("M#2", "A"), ("M#2", "B")]
    assert [(i["PK"], i["SK"]) for i in table.query("SUPPRESSED", index="GSI1")] == expected
    pages, start = [], None
    while True:
        items, start = table.page("SUPPRESSED", index="GSI1", limit=1, start=start)
        pages.extend((i["PK"], i["SK"]) for i in items)
        if start is None:
            break
    assert pages == expected


ZONES = ["America/Montreal", "Asia/Tokyo", "Europe/London", "Europe/Paris"]


def _roster(table: Table) -> None:
    """Members listed by zone in ROSTER#member (GSI1), CIRCLE#x (GSI2), TEAM#x (GSI3) and
    in one partition of the table itself."""
    table.put_many(
        {
            "PK": "ROSTER#member",
            "SK": keys.member_in_zone(zone, f"{n}@example.org"),
            **{
                field: value
                for index in INDEXES
                for field, value in _indexed(
                    index, f"{index}#x", keys.member_in_zone(zone, f"{n}@example.org")
                ).items()
            },
            "n": n,
        }
        for zone in ZONES
        for n in range(3 if zone != "Europe/London" else 1)
    )


@pytest.mark.parametrize("index", [None, *INDEXES])
def test_paging_through_a_partition_gives_exactly_its_query(
    table: Table, index: str | None
) -> None:
    _roster(table)
    partition = f"{index}#x" if index else "ROSTER#member"
    for prefix in (None, keys.member_in_zone("Europe/Paris"), keys.member_in_zone("Asia/Tokyo")):
        whole = list(table.query(partition, index=index, prefix=prefix))
        assert whole, prefix
        for limit in (1, 3, 100):
            read: list[dict[str, Any]] = []
            start = None
            for _ in range(20):
                items, start = table.page(
                    partition, index=index, prefix=prefix, limit=limit, start=start
                )
                assert len(items) <= limit
                read.extend(items)
                if start is None:
                    break
                # The position is DynamoDB JSON: the dispatcher stores it as text.
                assert set(start) == (
                    {"PK", "SK", f"{index}PK", f"{index}SK"} if index else {"PK", "SK"}
                )
                assert from_dynamo(start) == {k: read[-1][k] for k in start}
                start = json.loads(json.dumps(start))
            assert start is None
            assert read == whole, (prefix, limit)


def test_a_full_page_has_a_next_position_when_the_partition_goes_on(table: Table) -> None:
    table.put_many({"PK": "L", "SK": sk} for sk in ("A1", "A2", "A3", "B1"))
    # A full page followed by an item of the partition, even one the prefix leaves out:
    # a position, and then an empty page.
    items, start = table.page("L", prefix="A", limit=3)
    assert sort_keys(items) == ["A1", "A2", "A3"]
    assert start == {"PK": {"S": "L"}, "SK": {"S": "A3"}}
    assert table.page("L", prefix="A", limit=3, start=start) == ([], None)
    # Nothing after the page in the partition: no position. (So moto; DynamoDB gives one
    # whenever the page is full, and the page after it is empty.)
    assert table.page("L", prefix="B", limit=1) == ([{"PK": "L", "SK": "B1"}], None)
    assert table.page("L", limit=4)[1] is None
    assert table.page("L", prefix="A", limit=4)[1] is None
    assert attempt(lambda: table.page("L", limit=0)) == ("ParamValidationError",)


def test_a_position_outlives_the_item_it_names(table: Table) -> None:
    table.put_many({"PK": "L", "SK": sk} for sk in ("B", "D", "F", "H"))
    items, start = table.page("L", limit=2)
    assert sort_keys(items) == ["B", "D"]
    stored = json.dumps(start)  # a dispatch cursor keeps it between ticks
    table.delete({"PK": "L", "SK": "D"})
    table.put({"PK": "L", "SK": "C"})  # before the position: not read
    table.put({"PK": "L", "SK": "E"})  # after it: read
    items, start = table.page("L", limit=10, start=json.loads(stored))
    assert sort_keys(items) == ["E", "F", "H"]
    assert start is None


# ---------------------------------------------------------------------------- batches
def test_a_batch_get_reads_what_exists_a_hundred_keys_a_request(table: Table) -> None:
    table.put_many({"PK": "B", "SK": f"{n:03d}"} for n in range(0, 150, 2))
    wanted = [{"PK": "B", "SK": f"{n:03d}"} for n in range(150)]
    found = table.get_many(wanted, consistent=True)
    assert sorted(sort_keys(found)) == [f"{n:03d}" for n in range(0, 150, 2)]
    assert table.get_many([]) == []
    # A key twice in one request is refused; in two requests (100 apart), it is not.
    refused(lambda: table.get_many([{"PK": "B", "SK": "000"}, {"PK": "B", "SK": "000"}]))
    again = [*wanted[:100], wanted[0]]
    assert sorted(sort_keys(table.get_many(again))) == sorted(
        ["000", *[f"{n:03d}" for n in range(0, 100, 2)]]
    )


def test_a_batch_write_goes_25_items_a_request(table: Table) -> None:
    assert table.put_many({"PK": "B", "SK": f"{n:02d}"} for n in range(30)) == 30
    assert table.put_many([]) == 0
    assert len(list(table.query("B"))) == 30
    # The second request holds a key twice: refused whole; the first one is written.
    items = [{"PK": "C", "SK": f"{n:02d}"} for n in range(27)]
    items[26] = items[25]
    refused(lambda: table.put_many(items))
    assert sort_keys(table.query("C")) == [f"{n:02d}" for n in range(25)]
    refused(lambda: table.delete_many([{"PK": "B", "SK": "01"}, {"PK": "B", "SK": "01"}]))
    assert len(list(table.query("B"))) == 30
    assert table.delete_many({"PK": "B", "SK": f"{n:02d}"} for n in range(0, 40, 2)) == 20
    assert sort_keys(table.query("B")) == [f"{n:02d}" for n in range(1, 30, 2)]


def test_a_batch_with_an_item_too_large_writes_none_of_it(
    table: Table, moto_differs: Callable[[str], None]
) -> None:
    moto_differs("the items of a refused batch before the one too large stay written")
    items = [{"PK": "B", "SK": str(n)} for n in range(3)]
    refused(lambda: table.put_many([*items, {"PK": "B", "SK": "9", "t": "x" * 420_000}]))
    assert list(table.query("B")) == []


# ---------------------------------------------------------------------------- conditional writes
def test_a_send_record_is_written_once(table: Table) -> None:
    record = {**keys.prompt("t", "ana"), "status": "sent"}
    table.put(record, condition="attribute_not_exists(PK)")
    again = attempt(
        lambda: table.put({**record, "status": "skipped"}, condition="attribute_not_exists(PK)")
    )
    assert again == ("ConditionFailed", None)  # a put does not ask for the old item
    assert table.get(keys.prompt("t", "ana")) == record


def test_a_reminder_is_recorded_once_and_only_on_a_send_record(table: Table) -> None:
    key = keys.prompt("t", "ana")
    skipped = "SET reminder_skipped = :reason, reminder_skipped_at = :now"
    guard = "attribute_exists(PK) AND attribute_not_exists(reminded_at)"
    values = {":reason": "suppressed", ":now": "2026-12-01T09:00:00+00:00"}
    assert attempt(lambda: table.update(key, skipped, values, condition=guard)) == (
        "ConditionFailed",
        None,
    )
    assert table.get(key) is None
    table.put({**key, "status": "sent"})
    remind = "SET reminded_at = :now, reminder_ses_message_id = :ses"
    once = "attribute_not_exists(reminded_at)"
    table.update(key, remind, {":now": "2026-12-02", ":ses": "ses-1"}, condition=once)
    failed = attempt(
        lambda: table.update(key, remind, {":now": "x", ":ses": "ses-2"}, condition=once)
    )
    reminded = {
        **key,
        "status": "sent",
        "reminded_at": "2026-12-02",
        "reminder_ses_message_id": "ses-1",
    }
    assert failed == ("ConditionFailed", reminded)  # an update's failure says what it found
    assert attempt(lambda: table.update(key, skipped, values, condition=guard)) == (
        "ConditionFailed",
        reminded,
    )


def _due(table: Table, due: str, seen: str | None = None) -> Any:
    """DispatchStore._set_due's write."""
    values = {":theme": "t", ":open": keys.DISPATCH_OPEN, ":due": due}
    condition = "attribute_not_exists(GSI2SK) OR GSI2SK > :due"
    if seen is not None:
        values[":seen"] = seen
        condition += " OR GSI2SK = :seen"
    return attempt(
        lambda: table.update(
            keys.dispatch("t"),
            "SET theme_id = :theme, GSI2PK = :open, GSI2SK = :due",
            values,
            condition=condition,
        )
    )


def test_a_theme_stays_due_at_its_earliest_unless_the_instant_seen_is_replaced(
    table: Table,
) -> None:
    def open_item(due: str) -> dict[str, str]:
        return {
            **keys.dispatch("t"),
            "theme_id": "t",
            "GSI2PK": keys.DISPATCH_OPEN,
            "GSI2SK": due,
        }

    assert _due(table, "2026-12-01T08:00:00Z") == {}
    assert _due(table, "2026-12-01T09:00:00Z") == (
        "ConditionFailed",
        open_item("2026-12-01T08:00:00Z"),
    )
    assert _due(table, "2026-12-01T07:00:00Z") == {}
    # A tick that read 07:00 moves it later; one that read an instant since replaced cannot.
    assert _due(table, "2026-12-01T10:00:00Z", seen="2026-12-01T07:00:00Z") == {}
    assert _due(table, "2026-12-01T11:00:00Z", seen="2026-12-01T07:00:00Z") == (
        "ConditionFailed",
        open_item("2026-12-01T10:00:00Z"),
    )
    assert [
        i["theme_id"]
        for i in table.query(
            keys.DISPATCH_OPEN, index="GSI2", between=("0", "2026-12-01T10:00:00Z")
        )
    ] == ["t"]
    assert (
        list(table.query(keys.DISPATCH_OPEN, index="GSI2", between=("0", "2026-12-01T09:59:59Z")))
        == []
    )

    def finish(seen: str) -> Any:  # DispatchStore.finish's delete
        return attempt(
            lambda: table.delete(
                keys.dispatch("t"), condition="GSI2SK = :seen", values={":seen": seen}
            )
        )

    assert finish("2026-12-01T07:00:00Z") == ("ConditionFailed", None)
    assert finish("2026-12-01T10:00:00Z") is None
    assert table.get(keys.dispatch("t")) is None
    assert finish("2026-12-01T10:00:00Z") == ("ConditionFailed", None)


def _claim(table: Table, owner: str, until: str, now: str) -> Any:
    """DispatchStore.claim's write."""
    return attempt(
        lambda: table.update(
            keys.cursor("t", "g"),
            "SET #owner = :owner, lease_until = :until",
            {":owner": owner, ":until": until, ":now": now},
            names={"#owner": "owner"},
            condition="attribute_not_exists(done) AND "
            "(attribute_not_exists(lease_until) OR lease_until < :now)",
        )
    )


def _advance(table: Table, owner: str, position: str | None, queued: int, until: str) -> Any:
    """DispatchStore.advance's write."""
    if position is None:
        expression = "SET done = :true, lease_until = :until ADD queued :n REMOVE #pos"
        values: dict[str, Any] = {":true": True}
    else:
        expression = "SET #pos = :pos, lease_until = :until ADD queued :n"
        values = {":pos": position}
    return attempt(
        lambda: table.update(
            keys.cursor("t", "g"),
            expression,
            values | {":n": queued, ":owner": owner, ":until": until},
            names={"#pos": "position", "#owner": "owner"},
            condition="#owner = :owner",
            returns="ALL_NEW",
        )
    )


def test_a_dispatch_cursor_is_leased_advanced_and_done(table: Table) -> None:
    cursor = keys.cursor("t", "g")
    assert _claim(table, "tick-1", "T05", "T00") == {}
    held = {**cursor, "owner": "tick-1", "lease_until": "T05"}
    assert _claim(table, "tick-2", "T06", "T01") == ("ConditionFailed", held)
    assert _advance(table, "tick-2", '{"PK": 1}', 10, "T07") == ("ConditionFailed", held)
    assert _advance(table, "tick-1", '{"PK": 1}', 10, "T07") == {
        **held,
        "lease_until": "T07",
        "position": '{"PK": 1}',
        "queued": 10,
    }
    # The lease ran out: another tick takes over, and queues the last page.
    assert _claim(table, "tick-2", "T12", "T08") == {}
    assert _advance(table, "tick-2", '{"PK": 2}', 5, "T12")["queued"] == 15
    done = {**cursor, "owner": "tick-2", "lease_until": "T13", "done": True, "queued": 16}
    assert _advance(table, "tick-2", None, 1, "T13") == done
    assert _claim(table, "tick-3", "T30", "T20") == ("ConditionFailed", done)
    assert [i["SK"] for i in table.query("THEME#t", prefix=keys.CURSOR_PREFIX)] == [cursor["SK"]]


def _lock(table: Table, now: int, uploaded: str | None) -> Any:
    """ImportLock.__enter__'s write."""
    expression = "SET lease_until = :expires"
    values: dict[str, object] = {":expires": now + 900, ":now": now}
    condition = "(attribute_not_exists(lease_until) OR lease_until < :now)"
    if uploaded:
        expression += ", uploaded = :uploaded"
        values[":uploaded"] = uploaded
        condition += " AND (attribute_not_exists(uploaded) OR uploaded <= :uploaded)"
    return attempt(
        lambda: table.update(keys.lock("import-roster"), expression, values, condition=condition)
    )


def test_the_import_lock_holds_and_refuses_an_older_file(table: Table) -> None:
    lock = keys.lock("import-roster")
    assert _lock(table, 1_000, "2026-12-01T08:00:00+00:00") == {}
    held = {**lock, "lease_until": 1_900, "uploaded": "2026-12-01T08:00:00+00:00"}
    assert _lock(table, 1_100, "2026-12-01T09:00:00+00:00") == ("ConditionFailed", held)
    table.update(lock, "SET lease_until = :released", {":released": 0})  # __exit__
    released = {**held, "lease_until": 0}
    assert _lock(table, 1_200, "2026-12-01T07:00:00+00:00") == ("ConditionFailed", released)
    assert _lock(table, 1_200, "2026-12-01T08:00:00+00:00") == {}  # the same file again
    assert _lock(table, 1_300, None) == (
        "ConditionFailed",
        {**held, "lease_until": 2_100},
    )
    assert _lock(table, 2_101, None) == {}
    assert table.get(lock) == {**held, "lease_until": 3_001}


def test_a_string_compared_with_a_number_fails_the_condition_as_dynamodb_says(
    table: Table,
) -> None:
    """Given a lease written as an ISO string, when a condition compares it with a number
    (another writer's epoch seconds), then the condition fails: DynamoDB compares across
    types as false, where moto raised a TypeError (a 500) before its patch."""
    key = keys.lock("import-roster")
    table.put({**key, "lease_until": "T1"})
    for operator in ("<", "<=", ">", ">="):
        assert attempt(
            lambda operator=operator: table.update(
                key,
                "SET uploaded = :now",
                {":now": 0},
                condition=f"lease_until {operator} :now",
            )
        ) == ("ConditionFailed", {**key, "lease_until": "T1"})


def _answer(table: Table, text: str, expected: int | None, now: str, points: int = 10) -> Any:
    """AnswerStore.write's write."""
    return attempt(
        lambda: table.update(
            keys.answer("t", "ana"),
            WRITE_ANSWER,
            {
                ":text": text,
                ":visibility": "circle",
                ":now": now,
                ":zero": 0,
                ":one": 1,
                ":week": now[:8],
                ":points": points,
                ":theme": "t",
                ":member": "ana",
                ":type": "answer",
                ":circle": "Cercle",
                ":team": "",
                ":first_name": "Ana",
                ":last_initial": "",
                ":attribution": "named",
                ":gsi1pk": f"WEEK#{now[:8]}",
                ":gsi1sk": "ANSWER#cercle#t#ana",
                ":gsi2pk": "CIRCLE#cercle",
                ":gsi2sk": f"ANSWER#{now[:8]}#t#ana",
                **({} if expected is None else {":expected": expected}),
            },
            names={"#text": "text", "#type": "type"},
            condition="attribute_not_exists(PK)" if expected is None else "version = :expected",
            returns="ALL_NEW",
        )
    )


def test_an_answer_is_written_then_edited_version_by_version(table: Table) -> None:
    first = _answer(table, "Premier jet", None, "2026-W49-mon")
    assert first == {
        **keys.answer("t", "ana"),
        "text": "Premier jet",
        "visibility": "circle",
        "updated_at": "2026-W49-mon",
        "created_at": "2026-W49-mon",
        "version": 1,
        "week": "2026-W49",
        "points": 10,
        "theme_id": "t",
        "member_id": "ana",
        "type": "answer",
        "circle": "Cercle",
        "team": "",
        "first_name": "Ana",
        "last_initial": "",
        "attribution": "named",
        "GSI1PK": "WEEK#2026-W49",
        "GSI1SK": "ANSWER#cercle#t#ana",
        "GSI2PK": "CIRCLE#cercle",
        "GSI2SK": "ANSWER#2026-W49#t#ana",
    }
    # An edit, the next week: the first version's date, week, points and index keys stay.
    edited = _answer(table, "Mieux dit", 1, "2026-W50-tue", points=99)
    assert edited == {**first, "text": "Mieux dit", "updated_at": "2026-W50-tue", "version": 2}
    assert _answer(table, "Trop tard", 1, "2026-W50-wed") == ("ConditionFailed", edited)
    assert _answer(table, "Encore", None, "2026-W50-wed") == ("ConditionFailed", edited)
    assert list(table.query("CIRCLE#cercle", index="GSI2", prefix="ANSWER#2026-W49#")) == [edited]


def test_scores_count_each_change_once_in_one_transaction(table: Table) -> None:
    """ScoreStore.count's transaction: the totals, held by the causes the circle keeps."""
    scores = ScoreStore(table)

    def change(cause: str, member: str = "ana", **moved: Any) -> Change:
        return Change(cause, member, "Lyon", "Cercle A", day="20261201", **moved)

    answer = change("answer#t#ana", points=10, answers=1)
    bob = change("vote#t#ana#bob", points=2, useful=("t", "ana"))
    cleo = change("vote#t#ana#cleo", points=2, useful=("t", "ana"))
    prompt = change("prompt#t#zoe", member="zoe", prompts=1)

    assert attempt(lambda: scores.count([answer, bob, prompt])) == 4
    # A batch holding one change counted before: refused whole, nothing written
    assert attempt(lambda: scores.count([cleo, bob])) == "AlreadyCounted"
    assert scores.counted([cleo, bob, answer]) == {1, 2}
    assert attempt(lambda: scores.count([cleo])) == 4
    assert table.get(keys.score("ana")) == {**keys.score("ana"), "points": 14, "answers": 1}
    assert table.get(keys.score("zoe")) is None  # a prompt moves the standings only
    team = table.get(keys.board("team", "Lyon"))
    assert team == {
        **keys.board("team", "Lyon"),
        "name": "Lyon",
        "points": 14,
        "answers": 1,
        "prompts": 1,
    }
    circle = table.get(keys.board("circle", "Cercle A")) or {}
    assert circle["seen_20261201"] == {
        "answer#t#ana",
        "vote#t#ana#bob",
        "vote#t#ana#cleo",
        "prompt#t#zoe",
    }
    assert table.get(keys.answer("t", "ana")) == {**keys.answer("t", "ana"), "useful": 2}


def test_a_transaction_is_all_or_nothing(table: Table) -> None:
    table.put({"PK": "X", "SK": "kept", "n": 1})
    table.put({"PK": "X", "SK": "gone"})
    actions = [
        Put({"PK": "X", "SK": "new", "n": 1}),
        Update({"PK": "X", "SK": "kept"}, "SET n = n + :one", {":one": 1}, condition="n = :one"),
        Delete({"PK": "X", "SK": "gone"}, condition="attribute_exists(PK)"),
        Delete({"PK": "X", "SK": "absent"}, condition="attribute_exists(PK)"),
    ]
    assert attempt(lambda: table.transact(actions)) == (
        "TransactionCancelled",
        ["None", "None", "None", "ConditionalCheckFailed"],
    )
    assert sort_keys(table.query("X")) == ["gone", "kept"]
    assert table.transact(actions[:3]) is None
    assert list(table.query("X")) == [
        {"PK": "X", "SK": "kept", "n": 2},
        {"PK": "X", "SK": "new", "n": 1},
    ]
    assert attempt(lambda: table.transact(actions[1:2])) == (
        "TransactionCancelled",
        ["ConditionalCheckFailed"],
    )


def test_transactions_dynamodb_refuses(table: Table) -> None:
    refused(lambda: table.transact([Put({"PK": "X", "SK": str(n)}) for n in range(101)]))
    assert table.transact([Put({"PK": "X", "SK": str(n)}) for n in range(100)]) is None
    refused(lambda: table.transact([Put({"PK": "Y", "SK": "1"}), Delete({"PK": "Y", "SK": "1"})]))
    assert attempt(lambda: table.transact([])) == ("ParamValidationError",)
    # An update that cannot apply (ADD to a string) refuses the transaction; nothing is
    # written. (moto answers ValidationException; DynamoDB cancels the transaction with
    # the reason ValidationError.)
    table.put({"PK": "Y", "SK": "s", "s": "text"})
    refused(
        lambda: table.transact(
            [Put({"PK": "Y", "SK": "2"}), Update({"PK": "Y", "SK": "s"}, "ADD s :n", {":n": 1})]
        )
    )
    assert sort_keys(table.query("Y")) == ["s"]
    assert len(list(table.query("X"))) == 100


# ---------------------------------------------------------------------------- update expressions
def test_update_expressions(table: Table) -> None:
    key = {"PK": "U", "SK": "1"}

    def update(expression: str, values: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return attempt(lambda: table.update(key, expression, values, returns="ALL_NEW", **kwargs))

    # An update creates the item (REMOVE alone too: the key is left).
    assert update("REMOVE nothing") == key
    assert update("SET n = :n, s = :s, l = :l", {":n": 1, ":s": "a", ":l": [1]}) == {
        **key,
        "n": 1,
        "s": "a",
        "l": [1],
    }
    # Every operand reads the item before the update.
    assert update("SET n = n + :d, m = n - :d", {":d": 0.5}) == {
        **key,
        "n": 1.5,
        "m": 0.5,
        "s": "a",
        "l": [1],
    }
    # Numbers add in decimal, as DynamoDB: 0.1 + 0.2 is 0.3.
    assert update("SET f = :a + :b", {":a": 0.1, ":b": 0.2})["f"] == 0.3
    assert update("SET f = f - :a", {":a": 0.3})["f"] == 0
    assert update(
        "SET l = list_append(l, :more), k = list_append(:first, l)", {":more": [2], ":first": [0]}
    )["l"] == [1, 2]
    assert (
        update(
            "SET c = if_not_exists(c, :zero) + :one, s = if_not_exists(s, :b)",
            {":zero": 0, ":one": 1, ":b": "b"},
        )["c"]
        == 1
    )
    assert update("SET c = if_not_exists(c, :zero) + :one", {":zero": 0, ":one": 1})["c"] == 2
    # ADD: numbers and sets; DELETE: from a set (the last element takes the attribute).
    assert update("ADD n :d, tags :t, ids :i", {":d": -2, ":t": {"x", "y"}, ":i": {1}})["tags"] == {
        "x",
        "y",
    }
    after = update(
        "ADD tags :t, ids :i DELETE nums :gone", {":t": {"z"}, ":i": {2, 3}, ":gone": {1}}
    )
    assert (after["n"], after["tags"], after["ids"]) == (-0.5, {"x", "y", "z"}, {1, 2, 3})
    assert "nums" not in after
    assert "tags" not in update("DELETE tags :t", {":t": {"x", "y", "z", "w"}})
    assert update("DELETE ids :i", {":i": {2}})["ids"] == {1, 3}
    assert update("REMOVE m, f, k, c, nothing") == {
        **key,
        "n": -0.5,
        "s": "a",
        "l": [1, 2],
        "ids": {1, 3},
    }
    # Keywords in any case, names and values by placeholder.
    assert update("set #n = :v remove s", {":v": 7}, names={"#n": "n"}) == {
        **key,
        "n": 7,
        "l": [1, 2],
        "ids": {1, 3},
    }
    assert table.get(key) == {**key, "n": 7, "l": [1, 2], "ids": {1, 3}}


def test_update_expressions_dynamodb_refuses(table: Table) -> None:
    key = {"PK": "U", "SK": "1"}
    item = {**key, "n": 1, "s": "a", "l": [1], "tags": {"x"}}
    table.put(item)

    def update(expression: str, values: dict[str, Any] | None = None, **kwargs: Any) -> None:
        refused(lambda: table.update(key, expression, values, **kwargs))

    update("SET PK = :v", {":v": "other"})
    update("REMOVE SK")
    update("ADD #k :n", {":n": 1}, names={"#k": "PK"})
    update("SET name = :v", {":v": "reserved"})  # a reserved word needs a #placeholder
    update("SET a = if_not_exists(data, :v)", {":v": 1})
    update("SET a = :v", {":v": 1}, condition="attribute_not_exists(status)")
    update("SET a = :v", {":v": 1, ":unused": 2})
    update("SET a = :v", {":v": 1}, names={"#unused": "b"})
    update("SET a = :v", {":v": 1, ":unused": 2}, condition="attribute_not_exists(PK)")
    update("SET a = :nowhere", {":v": 1})
    update("SET a = :v SET b = :v", {":v": 1})
    update("SET a = :v REMOVE a", {":v": 1})
    update("SET a = :v, a = :w", {":v": 1, ":w": 2})
    update("SET a = ", {":v": 1})
    update("SET a = absent + :v", {":v": 1})  # an operand that does not exist
    update("SET a = s + :v", {":v": 1})
    update("SET a = :v + :w", {":v": "a", ":w": "b"})
    update("SET l = list_append(l, :v)", {":v": 1})
    update("ADD s :v", {":v": 1})
    update("ADD n :v", {":v": "1"})
    update("ADD new :v", {":v": [1]})
    update("ADD tags :v", {":v": {1}})
    update("DELETE n :v", {":v": 1})
    update("DELETE s :v", {":v": {"a"}})
    update("DELETE tags :v", {":v": {1}})
    assert table.get(key) == item
    # A failed condition comes before what the update would do wrong.
    assert attempt(
        lambda: table.update(
            key, "SET a = absent + :v", {":v": 1}, condition="attribute_not_exists(PK)"
        )
    ) == ("ConditionFailed", item)


def test_an_undefined_name_is_refused(table: Table, moto_differs: Callable[[str], None]) -> None:
    moto_differs("an undefined #name in an update (it fails with a KeyError)")
    refused(lambda: table.update({"PK": "U", "SK": "1"}, "SET #nowhere = :v", {":v": 1}))


def test_update_return_values(table: Table) -> None:
    key = {"PK": "R", "SK": "1"}
    assert table.update(key, "SET a = :a", {":a": 1}, returns="ALL_OLD") == {}
    assert table.update(key, "SET b = :b", {":b": 2}) == {}
    assert table.update(key, "SET a = :a", {":a": 3}, returns="ALL_OLD") == {**key, "a": 1, "b": 2}
    assert table.update(key, "SET a = :a REMOVE b", {":a": 4}, returns="UPDATED_OLD") == {
        "a": 3,
        "b": 2,
    }
    assert table.update(key, "SET a = :a, c = :c", {":a": 5, ":c": 6}, returns="UPDATED_NEW") == {
        "a": 5,
        "c": 6,
    }
    # An attribute set to the value it had: moto leaves it out of UPDATED_NEW and
    # UPDATED_OLD (DynamoDB returns every attribute the expression sets).
    assert table.update(key, "SET a = :a, c = :c", {":a": 5, ":c": 7}, returns="UPDATED_NEW") == {
        "c": 7
    }
    assert table.update(key, "ADD n :n", {":n": 1}, returns="ALL_NEW") == {
        **key,
        "a": 5,
        "c": 7,
        "n": 1,
    }


# ---------------------------------------------------------------------------- conditions
CONDITION_ITEM = {
    "PK": "C",
    "SK": "1",
    "n": 5,
    "half": 2.5,
    "s": "banana",
    "blank": "",
    "yes": True,
    "tags": {"red", "green"},
    "ids": {1, 2},
    "l": ["a", 1],
    "m": {"k": "v"},
}
HOLDS = [
    "n = :five",
    "n <> :six",
    "n < :six AND n <= :five AND n > :four AND n >= :five",
    "half < :n3 AND half > :n2",
    "n BETWEEN :four AND :six",
    "s BETWEEN :a AND :c",
    "n IN (:four, :five)",
    "s IN (:banana)",
    "s > :a AND s < :c",
    "begins_with(s, :ban)",
    "contains(s, :nan)",
    "contains(tags, :red)",
    "contains(ids, :one)",
    "contains(l, :a)",
    "attribute_exists(m) AND attribute_not_exists(absent)",
    "blank = :blank",
    "yes = :true",
    "absent <> :five",
    "NOT n = :six",
    "NOT (n = :six OR s = :a)",
    "n = :six OR s = :banana AND n = :five",
    "(n = :six OR s = :banana) AND n = :five",
    "tags = :colours",
    "size(s) = :six AND size(tags) = :two AND size(l) = :two",
    "attribute_type(s, :S) AND attribute_type(ids, :NS)",
    "n = :five and NOT contains(s, :red)",
    "#s = :banana",
]
FAILS = [
    "n = :six",
    "n > :five",
    "n < :n2",
    "n = :five_text",
    "n BETWEEN :six AND :six",
    "n IN (:four, :six)",
    "begins_with(s, :nan)",
    "begins_with(n, :five_text)",
    "contains(s, :red)",
    "contains(tags, :ban)",
    "contains(n, :five)",
    "contains(m, :k)",
    "attribute_exists(absent)",
    "attribute_not_exists(n)",
    "absent = :five",
    "absent < :five",
    "absent BETWEEN :four AND :six",
    "NOT n = :five",
    "NOT (n = :five)",
    "n = :six OR s = :banana AND n = :six",
    "(n = :five OR s = :a) AND n = :six",
    "yes = :false",
    "blank = :a",
    "size(s) = :five",
    "attribute_type(n, :S)",
]
CONDITION_VALUES = {
    ":one": 1,
    ":two": 2,
    ":four": 4,
    ":five": 5,
    ":six": 6,
    ":n2": 2.4,
    ":n3": 2.6,
    ":five_text": "5",
    ":a": "a",
    ":c": "c",
    ":k": "k",
    ":ban": "ban",
    ":nan": "nan",
    ":banana": "banana",
    ":red": "red",
    ":blank": "",
    ":true": True,
    ":false": False,
    ":colours": {"green", "red"},
    ":S": "S",
    ":NS": "NS",
}


def _check(table: Table, condition: str) -> Any:
    """The condition on CONDITION_ITEM, with exactly the values it names."""
    values = {k: v for k, v in CONDITION_VALUES.items() if k in re.findall(r":\w+", condition)}
    names = {"#s": "s"} if "#s" in condition else None
    return attempt(
        lambda: table.update(
            {"PK": "C", "SK": "1"},
            "SET checked = :true",
            {**values, ":true": True},
            names=names,
            condition=condition,
        )
    )


def test_conditions(table: Table) -> None:
    table.put(CONDITION_ITEM)
    assert {c: _check(table, c) for c in HOLDS} == {key: {} for key in HOLDS}
    checked = {**CONDITION_ITEM, "checked": True}
    assert {c: _check(table, c) for c in FAILS} == dict.fromkeys(
        FAILS, ("ConditionFailed", checked)
    )
    # On no item, every attribute is missing.
    assert (
        attempt(
            lambda: table.delete(
                {"PK": "C", "SK": "2"}, condition="n <> :five", values={":five": 5}
            )
        )
        is None
    )
    assert attempt(
        lambda: table.delete({"PK": "C", "SK": "2"}, condition="attribute_exists(PK)")
    ) == ("ConditionFailed", None)


@pytest.mark.parametrize(
    ("condition", "values", "outcome", "why"),
    [
        (
            "size(absent) = :five",
            {":five": 5},
            ("ConditionFailed", None),
            "size(absent): ValueError",
        ),
        ("yes = :one", {":one": 1}, ("ConditionFailed", None), "a boolean equal to a number"),
        ("n = :nowhere", {":five": 5}, VALIDATION, "an undefined :value in a condition: KeyError"),
        ("n = :five AND", {":five": 5}, VALIDATION, "a condition cut short: ValueError"),
        ("(n = :five", {":five": 5}, VALIDATION, "an unclosed parenthesis: ValueError"),
    ],
)
def test_conditions_moto_gets_wrong(
    table: Table,
    moto_differs: Callable[[str], None],
    condition: str,
    values: dict[str, Any],
    outcome: Any,
    why: str,
) -> None:
    moto_differs(why)
    table.put(CONDITION_ITEM)
    key = {"PK": "C", "SK": "1"}
    assert attempt(lambda: table.delete(key, condition=condition, values=values)) == outcome


def test_conditions_dynamodb_refuses(table: Table) -> None:
    table.put(CONDITION_ITEM)
    key = {"PK": "C", "SK": "1"}
    refused(lambda: table.delete(key, condition="attribute_exists(status)"))
    refused(lambda: table.delete(key, condition="owner = :o", values={":o": "x"}))
    refused(lambda: table.put(CONDITION_ITEM, condition="attribute_exists(PK)", names={"#x": "x"}))
    refused(lambda: table.put(CONDITION_ITEM, names={"#x": "x"}))
    refused(
        lambda: table.transact(
            [Put(CONDITION_ITEM, condition="attribute_exists(PK)", names={"#x": "x"})]
        )
    )
    assert table.get(key) == CONDITION_ITEM


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.put({"PK": "C", "SK": "2"}, values={":x": 1}),
        lambda t: t.put(
            {"PK": "C", "SK": "2"}, condition="attribute_not_exists(PK)", values={":x": 1}
        ),
        lambda t: t.delete(
            {"PK": "C", "SK": "1"}, condition="attribute_exists(PK)", values={":x": 1}
        ),
        lambda t: t.transact(
            [Put({"PK": "C", "SK": "2"}, condition="attribute_not_exists(PK)", values={":x": 1})]
        ),
        lambda t: t.transact([Update({"PK": "C", "SK": "1"}, "SET a = :a", {":a": 1, ":x": 1})]),
    ],
    ids=["put-without-condition", "put", "delete", "transact-put", "transact-update"],
)
def test_an_unused_value_is_refused(
    table: Table, moto_differs: Callable[[str], None], call: Callable[[Table], Any]
) -> None:
    moto_differs("an unused ExpressionAttributeValue outside UpdateItem")
    table.put(CONDITION_ITEM)
    refused(lambda: call(table))
    assert table.get({"PK": "C", "SK": "1"}) == CONDITION_ITEM
    assert table.get({"PK": "C", "SK": "2"}) is None


# ---------------------------------------------------------------------------- the stores over both
def _journey(table: Table) -> list[Any]:
    """Every store's reads and writes, in the order a week would run them; what each
    returns (or raises) is logged."""
    log: list[Any] = []

    def step(call: Callable[[], Any]) -> None:
        try:
            log.append(attempt(call))
        except (ChangedMeanwhile, AlreadyCounted, ImportBusy, Superseded) as error:
            log.append((type(error).__name__, vars(error)))

    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    members, themes = MemberStore(table), ThemeStore(table)
    dispatch, sends = DispatchStore(table), SendRecords(table)
    answers, votes, scores = AnswerStore(table), VoteStore(table), ScoreStore(table)
    ana, zoe = ROSTER[0], ROSTER[1]
    theme = CALENDAR[1]

    step(lambda: members.save([*ROSTER, FORMER_MEMBER]))
    step(lambda: members.save_directory(Directory.of(ROSTER)))
    step(lambda: members.save_directory(Directory.of(ROSTER[:2])))  # replaces the first
    step(lambda: directory_fields(members.directory()))
    step(lambda: sorted(members.roster()))
    step(lambda: [m.email for m in members.with_role(ana.role)])
    start = None
    for _ in range(5):
        page, start = members.page_of("role:member", "Europe/Paris", limit=1, start=start)
        log.append((page, start))
        if start is None:
            break
    step(lambda: members.page_of(f"circle:{ana.circle}", ana.timezone, limit=5, start=None))
    step(lambda: members.page_of(f"team:{ana.team}", ana.timezone, limit=5, start=None))
    step(lambda: members.suppress(zoe.email, "bounce", "550", now))
    step(lambda: members.suppressed([ana.email, zoe.email, "nobody@example.org"]))
    step(lambda: members.suppressions())
    step(lambda: members.recipient(zoe.id))
    step(lambda: members.recipient("nobody"))

    step(lambda: themes.save(CALENDAR))
    step(lambda: sorted(themes.calendar()))
    step(lambda: [t.id for t in themes.between(date(2027, 3, 10), date(2027, 3, 31))])
    step(lambda: sorted(themes.get_many([t.id for t in CALENDAR] + ["none"])))

    due = datetime(2027, 3, 15, 8, 30, tzinfo=UTC)
    step(lambda: dispatch.open_for(CALENDAR))
    step(lambda: dispatch.due(due))
    step(lambda: dispatch.due_by(theme.id, due - timedelta(hours=1)))
    step(lambda: dispatch.due_by(theme.id, due + timedelta(hours=1)))  # later: kept
    step(lambda: dispatch.reschedule(theme.id, due + timedelta(days=1), "2000-01-01T00:00:00Z"))
    step(lambda: dispatch.due(due))
    seen = dispatch.due(due)[0][1]
    step(lambda: dispatch.reschedule(theme.id, due + timedelta(days=1), seen))
    step(lambda: dispatch.due(due + timedelta(days=2)))
    step(lambda: dispatch.claim(theme.id, "g", "tick-1", due + timedelta(minutes=5), due))
    step(lambda: dispatch.claim(theme.id, "g", "tick-2", due + timedelta(minutes=6), due))
    step(
        lambda: dispatch.advance(
            theme.id, "g", "tick-1", position={"PK": {"S": "x"}}, queued=3, lease_until=due
        )
    )
    step(lambda: dispatch.cursors(theme.id))
    step(
        lambda: dispatch.advance(theme.id, "g", "tick-1", position=None, queued=2, lease_until=due)
    )
    step(
        lambda: dispatch.advance(theme.id, "g", "tick-2", position=None, queued=2, lease_until=due)
    )
    step(lambda: dispatch.cursors(theme.id))
    step(lambda: dispatch.finish(theme.id, "2000-01-01T00:00:00Z"))
    step(lambda: dispatch.finish(theme.id, dispatch.due(due + timedelta(days=2))[0][1]))
    step(lambda: dispatch.close(CALENDAR[0].id))
    step(lambda: dispatch.due(due + timedelta(days=30)))

    sent_at = datetime(2027, 3, 15, 8, 30, tzinfo=UTC)
    for member in ROSTER[:3]:
        step(
            lambda member=member: sends.prompt_sent(
                theme.id,
                member,
                now=sent_at,
                deadline=sent_at + timedelta(days=5),
                message_id="m",
                ses_message_id="s",
            )
        )
    step(
        lambda: sends.prompt_sent(
            theme.id, ana, now=now, deadline=now, message_id="again", ses_message_id="again"
        )
    )
    step(lambda: sends.prompt_skipped(theme.id, ROSTER[3].id, SkipReason.OBSERVER, sent_at))
    step(lambda: sends.prompt_state(theme.id, ana.id, with_answer=True))
    step(lambda: sends.reminded(theme.id, ana.id, sent_at, "r1"))
    step(lambda: sends.reminded(theme.id, ana.id, sent_at, "r2"))
    step(lambda: sends.reminder_skipped(theme.id, ana.id, SkipReason.SUPPRESSED, sent_at))
    step(lambda: sends.reminder_skipped(theme.id, zoe.id, SkipReason.SUPPRESSED, sent_at))
    step(lambda: sends.reminder_skipped(theme.id, "nobody", SkipReason.SUPPRESSED, sent_at))
    step(lambda: sends.any_sent(theme.id))
    step(lambda: sends.of_theme(theme.id))
    step(lambda: sends.record_weekly("2027-W11", "digest", ana.id, now, ses_message_id="d"))
    step(
        lambda: sends.record_weekly(
            "2027-W11", "digest", ana.id, now, skipped=SkipReason.UNSUBSCRIBED
        )
    )
    step(lambda: sends.weekly_sent("2027-W11", "digest", ana.id))
    step(lambda: sends.mark_weekly_queued("2027-W11", "member", 3))
    step(lambda: sends.weekly_queued("2027-W11", "member"))

    prompt = Prompt.model_validate(table.get(keys.prompt(theme.id, ana.id)))
    text = NewText("Premier jet", Visibility.CIRCLE, 10)
    write = answers.write
    step(lambda: write(theme, prompt, text, expected_version=None, week="2027-W11", now=sent_at))
    step(lambda: write(theme, prompt, text, expected_version=None, week="2027-W11", now=sent_at))
    edit = NewText("Mieux", Visibility.ORGANISATION, 99)
    step(lambda: write(theme, prompt, edit, expected_version=1, week="2027-W12", now=due))
    step(lambda: write(theme, prompt, edit, expected_version=1, week="2027-W12", now=due))
    step(lambda: answers.slot(theme.id, ana.id))
    step(lambda: list(answers.of_week(ana.circle, "2027-W11")))
    answer = answers.slot(theme.id, ana.id).answer
    assert answer is not None
    step(lambda: votes.cast(theme.id, answer, zoe.id, voter_circle="", week="2027-W11", at=due))
    step(lambda: votes.cast(theme.id, answer, zoe.id, voter_circle="", week="2027-W11", at=due))
    step(lambda: votes.ballot(theme.id, ana.id, zoe.id))
    step(lambda: answers.voted_in_week(ana.circle, "2027-W11"))
    step(lambda: sends.prompts_since(ana.id, StreakState()))
    step(lambda: sends.settle_streak(ana.id, StreakState(1, "PROMPT#x")))

    day = now.strftime("%Y%m%d")
    changes = [
        Change(
            f"answer#{theme.id}#{ana.id}",
            ana.id,
            ana.team,
            ana.circle,
            points=10,
            answers=1,
            day=day,
        ),
        Change(
            f"vote#{theme.id}#{ana.id}#{zoe.id}",
            ana.id,
            ana.team,
            ana.circle,
            points=2,
            useful=(theme.id, ana.id),
            day=day,
        ),
        Change(f"prompt#{theme.id}#{zoe.id}", zoe.id, zoe.team, zoe.circle, prompts=1, day=day),
    ]
    step(lambda: scores.count(changes))
    step(lambda: scores.count(changes[1:]))
    step(lambda: sorted(scores.counted(changes)))
    step(lambda: scores.standings("team"))
    step(lambda: scores.standings("circle"))
    step(lambda: members.recipient(ana.id))

    def locked(at: datetime, uploaded: datetime | None, *, release: bool) -> str:
        lock = ImportLock(table, "roster", at, uploaded)
        lock.__enter__()
        if release:
            lock.applied()
            lock.__exit__(None, None, None)
        return "locked"

    step(lambda: locked(now, now, release=False))
    step(lambda: locked(now + timedelta(minutes=1), now, release=True))
    step(lambda: locked(now + timedelta(minutes=16), now + timedelta(minutes=10), release=True))
    step(lambda: locked(now + timedelta(minutes=17), now, release=True))
    return log


def _everything(table: Table, client: Any = None) -> list[dict[str, Any]]:
    if isinstance(table, FakeTable):
        items = list(table.items.values())
    else:
        pages = client.get_paginator("scan").paginate(TableName=table.name)
        items = [from_dynamo(i) for page in pages for i in page["Items"]]
    return sorted(items, key=lambda i: (i["PK"], i["SK"]))


def test_the_stores_read_and_write_alike_over_both(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def journey(table: Table) -> list[Any]:
        versions = (uuid.UUID(int=n << 64) for n in itertools.count())  # the directory's
        fixed = SimpleNamespace(uuid4=lambda: next(versions))
        monkeypatch.setattr(palabre.store.members, "uuid", fixed)
        return _journey(table)

    fake, moto = FakeTable(), moto_table(dynamodb)
    assert journey(fake) == journey(moto)
    assert _everything(fake) == _everything(moto, dynamodb)
    dynamodb.delete_table(TableName=moto.name)


# ---------------------------------------------------------------------------- random sequences
PARTITIONS = ["P#1", "P#2"]
SORT_KEYS = ["A", "B", "C", "D"]
_keys = st.builds(
    lambda pk, sk: {"PK": pk, "SK": sk}, st.sampled_from(PARTITIONS), st.sampled_from(SORT_KEYS)
)
_numbers = st.one_of(st.integers(-50, 50), st.decimals(-50, 50, places=2).map(float))
_instants = st.sampled_from(["T1", "T2", "T3", "T4"])
_index_keys = st.fixed_dictionaries(
    {},
    optional={
        "GSI1PK": st.sampled_from(["G#1", "G#2"]),
        "GSI1SK": st.sampled_from(["a", "b", "c"]),
        "GSI2PK": st.just(keys.DISPATCH_OPEN),
        "GSI2SK": _instants,
        "GSI3PK": st.just("TEAM#x"),
        "GSI3SK": st.sampled_from(["a", "b"]),
    },
)
_attributes = st.fixed_dictionaries(
    {},
    optional={
        "n": _numbers,
        "points": st.integers(0, 20),
        "s": st.text("ab", max_size=3),
        "tags": st.sets(st.sampled_from("xyz"), min_size=1),
        "version": st.integers(1, 3),
        "expires_at": st.integers(0, 3),
        "uploaded": _instants,
        "owner": st.sampled_from(["o1", "o2"]),
        "lease_until": _instants,
        "done": st.booleans(),
    },
)
_items = st.builds(lambda key, a, i: {**key, **a, **i}, _keys, _attributes, _index_keys)

# (expression, condition, names, value strategies): the shapes the stores write.
_UPDATES: list[tuple[str, str | None, dict[str, str] | None, dict[str, Any]]] = [
    (
        "SET theme_id = :theme, GSI2PK = :open, GSI2SK = :due",
        "attribute_not_exists(GSI2SK) OR GSI2SK > :due OR GSI2SK = :seen",
        None,
        {
            ":theme": st.just("t"),
            ":open": st.just(keys.DISPATCH_OPEN),
            ":due": _instants,
            ":seen": _instants,
        },
    ),
    (
        "SET #owner = :owner, lease_until = :until",
        "attribute_not_exists(done) AND (attribute_not_exists(lease_until) OR lease_until < :now)",
        {"#owner": "owner"},
        {":owner": st.sampled_from(["o1", "o2"]), ":until": _instants, ":now": _instants},
    ),
    (
        "SET done = :true, lease_until = :until ADD queued :n REMOVE #pos",
        "#owner = :owner",
        {"#owner": "owner", "#pos": "position"},
        {
            ":true": st.just(True),
            ":until": _instants,
            ":n": st.integers(0, 5),
            ":owner": st.sampled_from(["o1", "o2"]),
        },
    ),
    (
        "SET #pos = :pos, lease_until = :until ADD queued :n",
        "#owner = :owner",
        {"#owner": "owner", "#pos": "position"},
        {
            ":pos": st.sampled_from(["p1", "p2"]),
            ":until": _instants,
            ":n": st.integers(0, 5),
            ":owner": st.sampled_from(["o1", "o2"]),
        },
    ),
    (
        "SET lease_until = :expires, uploaded = :uploaded",
        "(attribute_not_exists(lease_until) OR lease_until < :now) AND "
        "(attribute_not_exists(uploaded) OR uploaded <= :uploaded)",
        None,
        {":expires": st.integers(0, 3), ":now": st.integers(0, 3), ":uploaded": _instants},
    ),
    (
        "SET s = :s, version = if_not_exists(version, :zero) + :one, "
        "points = if_not_exists(points, :points), GSI1PK = if_not_exists(GSI1PK, :g)",
        "attribute_not_exists(PK) OR version = :expected",
        None,
        {
            ":s": st.text("ab", max_size=2),
            ":zero": st.just(0),
            ":one": st.just(1),
            ":points": st.integers(0, 20),
            ":g": st.just("G#1"),
            ":expected": st.integers(1, 3),
        },
    ),
    (
        "SET #name = :name ADD points :points, n :n",
        None,
        {"#name": "name"},
        {
            ":name": st.sampled_from(["Lyon", "Paris"]),
            ":points": st.integers(-5, 5),
            ":n": _numbers,
        },
    ),
    (
        "ADD tags :t",
        "attribute_exists(PK)",
        None,
        {":t": st.sets(st.sampled_from("xyz"), min_size=1)},
    ),
    ("DELETE tags :t", None, None, {":t": st.sets(st.sampled_from("xyz"), min_size=1)}),
    ("SET n = n + :d", "attribute_exists(n)", None, {":d": _numbers}),
    (
        "SET GSI1PK = :g, GSI1SK = :s REMOVE GSI3PK",
        "NOT contains(tags, :x)",
        None,
        {
            ":g": st.sampled_from(["G#1", "G#2"]),
            ":s": st.sampled_from(["a", "c"]),
            ":x": st.just("x"),
        },
    ),
    (
        "REMOVE GSI1PK, s",
        "attribute_exists(s) AND (s IN (:a, :b) OR size(s) > :one)",
        None,
        {":a": st.just("a"), ":b": st.just("b"), ":one": st.just(1)},
    ),
]
_RETURNS = st.sampled_from(["NONE", "ALL_NEW", "ALL_OLD"])


@st.composite
def _update(draw: st.DrawFn) -> tuple[str, Any]:
    expression, condition, names, values = draw(st.sampled_from(_UPDATES))
    drawn = {k: draw(v) for k, v in values.items()}
    if condition is not None and draw(st.booleans()):
        condition = None  # the same write, unconditional
        drawn = {k: v for k, v in drawn.items() if k in expression}
        names = {k: v for k, v in (names or {}).items() if k in expression} or None
    return ("update", (draw(_keys), expression, drawn, names, condition, draw(_RETURNS)))


_puts = st.tuples(st.just("put"), st.tuples(_items, st.booleans()))
_deletes = st.tuples(
    st.just("delete"),
    st.tuples(_keys, st.sampled_from([None, "attribute_exists(PK)", "GSI2SK = :seen"]), _instants),
)
_transactions = st.tuples(
    st.just("transact"),
    st.lists(
        st.one_of(
            st.builds(
                lambda k: Put(
                    {**k, "type": "once", "points": 1}, condition="attribute_not_exists(PK)"
                ),
                _keys,
            ),
            # The score stream's shape: causes kept in a string set, counted once
            st.builds(
                lambda k, cause: Update(
                    k,
                    "ADD #s0 :s0, points :one",
                    {":s0": {cause}, ":c0": cause, ":one": 1},
                    names={"#s0": "seen_20261201"},
                    condition="NOT contains(#s0, :c0)",
                ),
                _keys,
                st.sampled_from(["answer#t#a", "vote#t#a#b", "prompt#t#c"]),
            ),
            st.builds(
                lambda k, p: Update(k, "ADD points :p, n :p", {":p": p}), _keys, st.integers(-3, 3)
            ),
            st.builds(lambda k: Delete(k, condition="attribute_exists(PK)"), _keys),
            st.builds(lambda i: Put(i), _items),
        ),
        min_size=1,
        max_size=4,
    ),
)
_operations = st.lists(
    st.one_of(_puts, _update(), _deletes, _transactions), min_size=1, max_size=10
)


def _apply(table: Table, kind: str, argument: Any) -> Any:
    match kind:
        case "put":
            item, once = argument
            return attempt(
                lambda: table.put(item, condition="attribute_not_exists(PK)" if once else None)
            )
        case "update":
            key, expression, values, names, condition, returns = argument
            return attempt(
                lambda: table.update(
                    key, expression, values, names=names, condition=condition, returns=returns
                )
            )
        case "delete":
            key, condition, seen = argument
            values = {":seen": seen} if condition and ":seen" in condition else None
            return attempt(lambda: table.delete(key, condition=condition, values=values))
        case _:
            return attempt(lambda: table.transact(argument))


def _reads(table: Table) -> list[Any]:
    """Every item, through every read the port has."""
    reads: list[Any] = [table.get_many([{"PK": p, "SK": s} for p in PARTITIONS for s in SORT_KEYS])]
    reads[0].sort(key=lambda i: (i["PK"], i["SK"]))
    listings = [(p, None) for p in PARTITIONS]
    listings += [(p, "GSI1") for p in ("G#1", "G#2")] + [
        (keys.DISPATCH_OPEN, "GSI2"),
        ("TEAM#x", "GSI3"),
    ]
    for partition, index in listings:
        if index is None:
            reads.append(list(table.query(partition, forward=False)))
        start = None
        while True:  # pages of two, and where each ends
            page, start = table.page(partition, index=index, limit=2, start=start)
            reads.append((page, start))
            if start is None:
                break
    reads.append(list(table.query("P#1", prefix="B")))
    reads.append(list(table.query(keys.DISPATCH_OPEN, index="GSI2", between=("T2", "T3"))))
    return reads


@settings(
    max_examples=25,
    deadline=None,
)
@given(operations=_operations)
def test_random_sequences_leave_both_tables_alike(
    dynamodb: Any, operations: list[tuple[str, Any]]
) -> None:
    fake, moto = FakeTable(), moto_table(dynamodb)
    try:
        for kind, argument in operations:
            assert _apply(fake, kind, argument) == _apply(moto, kind, argument), (kind, argument)
        assert _reads(fake) == _reads(moto)
    finally:
        dynamodb.delete_table(TableName=moto.name)
