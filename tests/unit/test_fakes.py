"""The fake table answers like DynamoDB for what the code asks of it."""

from collections.abc import Iterable

import pytest
from botocore.exceptions import ClientError

from tests.unit.fakes import FakeTable, Item

ITEMS = [
    {"PK": "MEMBER#b", "SK": "PROFILE", "GSI1PK": "ROSTER#member", "GSI1SK": "MEMBER#Z#b"},
    {"PK": "MEMBER#a", "SK": "PROFILE", "GSI1PK": "ROSTER#member", "GSI1SK": "MEMBER#A#a"},
    {"PK": "MEMBER#c", "SK": "PROFILE", "GSI1PK": "ROSTER#admin", "GSI1SK": "MEMBER#A#c"},
    {"PK": "ORG", "SK": "DIRECTORY"},
    {"PK": "ORG", "SK": "LOCK#import-roster", "expires_at": 100},
]


def _pks(items: Iterable[Item]) -> list[str]:
    return [i["PK"] for i in items]


def test_query_reads_a_partition_of_the_table_or_of_an_index_in_sort_order() -> None:
    table = FakeTable(ITEMS)

    assert [i["SK"] for i in table.query("ORG")] == ["DIRECTORY", "LOCK#import-roster"]
    assert [i["SK"] for i in table.query("ORG", prefix="LOCK#")] == ["LOCK#import-roster"]
    assert _pks(table.query("ROSTER#member", index="GSI1")) == ["MEMBER#a", "MEMBER#b"]
    assert _pks(table.query("ROSTER#member", index="GSI1", forward=False)) == [
        "MEMBER#b",
        "MEMBER#a",
    ]
    assert _pks(table.query("ROSTER#member", index="GSI1", limit=1)) == ["MEMBER#a"]
    assert _pks(table.query("ROSTER#member", index="GSI1", between=("MEMBER#B", "MEMBER#~"))) == [
        "MEMBER#b"
    ]
    assert list(table.query("ROSTER#observer", index="GSI1")) == []


def test_reads_are_copies_and_writes_are_recorded() -> None:
    table = FakeTable(ITEMS)

    read = table.get({"PK": "ORG", "SK": "DIRECTORY"})
    read["circles"] = {}
    table.put({"PK": "ORG", "SK": "DIRECTORY", "zones": {"UTC": 1}, "gone": None})
    table.delete_many([{"PK": "MEMBER#a", "SK": "PROFILE"}])

    assert table.get({"PK": "ORG", "SK": "DIRECTORY"}) == {
        "PK": "ORG",
        "SK": "DIRECTORY",
        "zones": {"UTC": 1},
    }
    assert table.get({"PK": "MEMBER#a", "SK": "PROFILE"}) is None
    assert table.writes == [
        ("put", {"PK": "ORG", "SK": "DIRECTORY", "zones": {"UTC": 1}}),
        ("delete", {"PK": "MEMBER#a", "SK": "PROFILE"}),
    ]
    assert _pks(table.get_many([{"PK": "MEMBER#b", "SK": "PROFILE"}, {"PK": "x", "SK": "y"}])) == [
        "MEMBER#b"
    ]


@pytest.mark.parametrize(("now", "taken"), [(99, False), (100, False), (101, True)])
def test_lock_condition_is_honoured(now: int, taken: bool) -> None:
    table = FakeTable(ITEMS)
    lock = {"PK": "ORG", "SK": "LOCK#import-roster", "expires_at": now + 900}
    condition = {
        "ConditionExpression": "attribute_not_exists(PK) OR expires_at < :now",
        "ExpressionAttributeValues": {":now": {"N": str(now)}},
    }

    if taken:
        table.put(lock, **condition)
        assert table.get(lock) == lock
    else:
        with pytest.raises(ClientError) as refused:
            table.put(lock, **condition)
        assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert table.writes == []
