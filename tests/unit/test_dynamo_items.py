"""store.table's conversion of DynamoDB's typed items to plain Python, and back."""

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from palabre.store.table import _python, from_dynamo, to_dynamo

ITEM: dict[str, Any] = {
    "PK": "THEME#t1",
    "text": "Élodie a décidé : « rétrospective »",
    "empty": "",
    "points": 15,
    "ratio": 0.25,
    "big": Decimal("12345678901234567890"),
    "active": True,
    "nothing_kept": None,
    "circles": {"batisseurs", "eclaireurs"},
    "counts": {2, 3},
    "audience": {"everyone": False, "circles": ["Bâtisseurs"], "depth": {"n": 1}},
    "entries": [{"at": "2026-01-05", "n": 2}, "S", 3],
    "raw": b"\x00\x01",
}


def test_an_item_reads_back_as_it_was_written() -> None:
    read = from_dynamo(to_dynamo(ITEM))
    assert read == {k: v for k, v in ITEM.items() if v is not None} | {"big": int(ITEM["big"])}


def test_strings_read_straight_are_what_the_deserializer_gives() -> None:
    """from_dynamo takes a string as it is, without the deserializer: the same answer."""
    typed = to_dynamo(ITEM) | {"NULL": {"NULL": True}, "S": {"S": "a key named S"}}
    deserialized = {k: _python(TypeDeserializer().deserialize(v)) for k, v in typed.items()}
    assert from_dynamo(typed) == deserialized
