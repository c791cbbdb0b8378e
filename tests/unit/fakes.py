"""In-memory stand-ins for the storage port, so unit tests need no AWS and no sockets."""

import copy
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from palabre.store.table import ConditionFailed, to_dynamo

type Item = dict[str, Any]


class FakeTable:
    """What `palabre.store.table.Table` offers, over a dict; every write lands in `writes`."""

    def __init__(self, items: Iterable[Mapping[str, Any]] = ()) -> None:
        self.items: dict[tuple[str, str], Item] = {}
        for item in items:
            self.items[_key(item)] = _stored(item)
        self.writes: list[tuple[str, Item]] = []

    def get(self, key: Mapping[str, str], *, consistent: bool = False) -> Item | None:
        item = self.items.get(_key(key))
        return copy.deepcopy(item) if item is not None else None

    def get_many(
        self, keys: Iterable[Mapping[str, str]], *, consistent: bool = False
    ) -> list[Item]:
        return [item for key in keys if (item := self.get(key)) is not None]

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        forward: bool = True,
        limit: int | None = None,
    ) -> Iterator[Item]:
        pk, sk = (f"{index}PK", f"{index}SK") if index else ("PK", "SK")
        found = [
            i
            for i in self.items.values()
            if i.get(pk) == partition
            and sk in i
            and (prefix is None or i[sk].startswith(prefix))
            and (between is None or between[0] <= i[sk] <= between[1])
        ]
        found.sort(key=lambda i: (i[sk], i["PK"], i["SK"]), reverse=not forward)
        yield from (copy.deepcopy(i) for i in found[: limit or None])

    def put(self, item: Mapping[str, Any], **conditions: Any) -> None:
        if not _holds(self.items.get(_key(item)), conditions):
            raise ConditionFailed(
                {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}},
                "PutItem",
            )
        self.writes.append(("put", _stored(item)))
        self.items[_key(item)] = _stored(item)

    def update(
        self,
        key: Mapping[str, str],
        expression: str,
        values: Mapping[str, Any] | None = None,
        *,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
        returns: str = "NONE",
    ) -> Item:
        """`SET a = :a, b = :b` under the conditions the code under test uses."""
        values = values or {}
        existing = self.items.get(_key(key))
        if condition is not None and not _update_holds(existing or {}, condition, values):
            response = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}}
            if existing is not None:
                response["Item"] = to_dynamo(existing)
            raise ConditionFailed(response, "UpdateItem")
        if not expression.startswith("SET ") or " ADD " in expression or " REMOVE " in expression:
            raise NotImplementedError(f"FakeTable does not apply {expression!r}")
        item = copy.deepcopy(existing) if existing else {"PK": key["PK"], "SK": key["SK"]}
        for assignment in expression.removeprefix("SET ").split(","):
            name, _, value = (part.strip() for part in assignment.partition("="))
            item[(names or {}).get(name, name)] = copy.deepcopy(values[value])
        self.writes.append(("update", item))
        self.items[_key(item)] = item
        return {}

    def delete(self, key: Mapping[str, str]) -> None:
        self.writes.append(("delete", {"PK": key["PK"], "SK": key["SK"]}))
        self.items.pop(_key(key), None)

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> int:
        written = 0
        for item in items:
            self.put(item)
            written += 1
        return written

    def delete_many(self, keys: Iterable[Mapping[str, str]]) -> int:
        deleted = 0
        for key in keys:
            self.delete(key)
            deleted += 1
        return deleted

    def snapshot(self) -> dict[tuple[str, str], Item]:
        return copy.deepcopy(self.items)


def _key(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["PK"], item["SK"]


def _stored(item: Mapping[str, Any]) -> Item:
    # DynamoDB keeps no top-level None: Table.to_dynamo drops them before writing.
    return copy.deepcopy({k: v for k, v in item.items() if v is not None})


def _holds(existing: Item | None, conditions: Mapping[str, Any]) -> bool:
    """The condition expressions the code under test uses, and only those."""
    expression = conditions.get("ConditionExpression")
    if expression is None or existing is None:
        return True
    if expression == "attribute_not_exists(PK)":
        return False
    if expression == "attribute_not_exists(PK) OR expires_at < :now":
        now = int(conditions["ExpressionAttributeValues"][":now"]["N"])
        return existing.get("expires_at", 0) < now
    raise NotImplementedError(f"FakeTable does not evaluate {expression!r}")


_LOCK_FREE = "(attribute_not_exists(expires_at) OR expires_at < :now)"
_NOT_OLDER = "(attribute_not_exists(uploaded) OR uploaded <= :uploaded)"


def _update_holds(existing: Item, condition: str, values: Mapping[str, Any]) -> bool:
    """The update conditions the code under test uses, and only those."""
    free = "expires_at" not in existing or existing["expires_at"] < values.get(":now", 0)
    if condition == _LOCK_FREE:
        return free
    if condition == f"{_LOCK_FREE} AND {_NOT_OLDER}":
        return free and ("uploaded" not in existing or existing["uploaded"] <= values[":uploaded"])
    raise NotImplementedError(f"FakeTable does not evaluate {condition!r}")
