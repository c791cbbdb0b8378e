"""The single table: the port the journeys' stores write through, and its DynamoDB adapter."""

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from botocore.exceptions import _ClientErrorResponseTypeDef
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_dynamodb.literals import ReturnValuesOnConditionCheckFailureType
    from types_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

    class ConditionFailedResponse(_ClientErrorResponseTypeDef, total=False):
        """A ClientError's response (as botocore-stubs types it), plus the item DynamoDB
        returns with a failed condition when asked to (ReturnValuesOnConditionCheckFailure)."""

        Item: dict[str, AttributeValueTypeDef]


_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_BATCH_WRITE = 25
_BATCH_GET = 100
DEFAULT_RETENTION_MONTHS = 24
"""the template's RetentionMonths default: what a table built outside a function keeps"""

type Item = dict[str, Any]


class ConditionFailed(ClientError):
    """A conditional write found the item not as its condition required: nothing was
    written. Still a ClientError, with DynamoDB's response, for code that expects one."""

    response: "ConditionFailedResponse"

    @property
    def item(self) -> Item | None:
        """The item as the condition found it, when the write asked for it (updates do)."""
        found = self.response.get("Item")
        return from_dynamo(found) if found else None


def to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_plain(v)) for k, v in item.items() if v is not None}


def from_dynamo(item: Mapping[str, Any]) -> Item:
    # A string is itself: most attributes are, and the deserializer's dispatch cost a page
    # of 500 library entries 9 ms of its 13.
    return {
        k: v["S"] if "S" in v else _python(_deserializer.deserialize(v)) for k, v in item.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _python(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_python(v) for v in value]
    if isinstance(value, set):
        return {_python(v) for v in value}
    return value


@dataclass(frozen=True)
class Put:
    """A transaction's write of a whole item (with an optional condition on the old one)."""

    item: Mapping[str, Any]
    condition: str | None = None
    values: Mapping[str, Any] | None = None
    names: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Update:
    key: Mapping[str, str]
    expression: str
    values: Mapping[str, Any] | None = None
    names: Mapping[str, str] | None = None
    condition: str | None = None


@dataclass(frozen=True)
class Delete:
    key: Mapping[str, str]
    condition: str | None = None
    values: Mapping[str, Any] | None = None
    names: Mapping[str, str] | None = None


type Action = Put | Update | Delete
type Returns = Literal["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"]


class TransactionCancelled(Exception):
    """A transaction wrote nothing; `reasons` holds DynamoDB's code for each action, in
    order ("None" for an action that was not the cause)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = list(reasons)


class Table(Protocol):
    """The storage port: what the journeys' stores ask of the single table. DynamoTable
    is DynamoDB; tests and the bench run the same code over an in-memory fake, and one
    contract test holds the two to the same cases."""

    retention_months: int
    """how long personal items are kept: the stores write their TTL (core/retention.py)"""

    def get(self, key: Mapping[str, str], *, consistent: bool = False) -> Item | None: ...

    def get_many(
        self, keys: Iterable[Mapping[str, str]], *, consistent: bool = False
    ) -> list[Item]: ...

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        forward: bool = True,
        limit: int | None = None,
        attributes: Sequence[str] = (),
    ) -> Iterator[Item]:
        """The partition's items in sort key order; only `attributes` of each when given
        (those it has: a page of 1 MB is still counted on whole items)."""
        ...

    def page(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]: ...

    def update(
        self,
        key: Mapping[str, str],
        expression: str,
        values: Mapping[str, Any] | None = None,
        *,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
        returns: Returns = "NONE",
    ) -> Item: ...

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None: ...

    def delete(
        self,
        key: Mapping[str, str],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None: ...

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> int: ...

    def delete_many(self, keys: Iterable[Mapping[str, str]]) -> int: ...

    def transact(self, actions: Sequence[Action]) -> None: ...


def newest_page(table: Table, partition: str, before: str, limit: int) -> tuple[list[Item], bool]:
    """A page of a partition's items, newest first (sort keys before `before`; "": from
    the newest), and whether more follow: one Query. Its bound is inclusive, so the
    cursor's own item is read again, and dropped; one more tells of a next page."""
    found = [
        i
        for i in table.query(
            partition, between=("0", before or "~"), forward=False, limit=limit + 2
        )
        if i["SK"] != before
    ]
    return found[:limit], len(found) > limit


class DynamoTable:
    """Table over the DynamoDB client: (de)serialisation, paging, batching, retries."""

    def __init__(
        self,
        client: "DynamoDBClient",
        name: str,
        *,
        retention_months: int = DEFAULT_RETENTION_MONTHS,
    ) -> None:
        self.client = client
        self.name = name
        self.retention_months = retention_months

    def get(self, key: Mapping[str, str], *, consistent: bool = False) -> Item | None:
        response = self.client.get_item(
            TableName=self.name, Key=to_dynamo(key), ConsistentRead=consistent
        )
        return from_dynamo(response["Item"]) if "Item" in response else None

    def get_many(
        self, keys: Iterable[Mapping[str, str]], *, consistent: bool = False
    ) -> list[Item]:
        pending = [to_dynamo(k) for k in keys]
        found: list[Item] = []
        for start in range(0, len(pending), _BATCH_GET):
            chunk = pending[start : start + _BATCH_GET]
            request: Any = {self.name: {"Keys": chunk, "ConsistentRead": consistent}}
            for attempt in range(8):
                response = self.client.batch_get_item(RequestItems=request)
                found.extend(from_dynamo(i) for i in response["Responses"].get(self.name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                _backoff(attempt)
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed after 8 attempts")
        return found

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        forward: bool = True,
        limit: int | None = None,
        attributes: Sequence[str] = (),
    ) -> Iterator[Item]:
        request = _key_condition(self.name, partition, index, prefix, between)
        request["ScanIndexForward"] = forward
        if limit:
            request["Limit"] = limit
        if attributes:
            # names, not the attributes themselves: many are reserved words (text, type)
            projected = {f"#a{n}": name for n, name in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(projected)
            request["ExpressionAttributeNames"] |= projected
        returned = 0
        while True:
            response = self.client.query(**request)
            for item in response["Items"]:
                yield from_dynamo(item)
                returned += 1
                if limit and returned >= limit:
                    return
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def page(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of a Query, and where the next one starts (None at the end).

        The position is DynamoDB's LastEvaluatedKey, as is: it can be stored in a cursor.
        """
        request = _key_condition(self.name, partition, index, prefix, None)
        request["Limit"] = limit
        if start:
            request["ExclusiveStartKey"] = start
        response = self.client.query(**request)
        return [from_dynamo(i) for i in response["Items"]], response.get("LastEvaluatedKey")

    def update(
        self,
        key: Mapping[str, str],
        expression: str,
        values: Mapping[str, Any] | None = None,
        *,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
        returns: Returns = "NONE",
    ) -> Item:
        parts = _expression(condition, values, names)
        if condition:
            # A failed condition then says what it found, with no read of its own.
            parts["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        with _conditional():
            response = self.client.update_item(
                TableName=self.name,
                Key=to_dynamo(key),
                UpdateExpression=expression,
                ReturnValues=returns,
                **parts,
            )
        return from_dynamo(response.get("Attributes", {}))

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Write the item; with a condition, raise ConditionFailed when it fails."""
        with _conditional():
            self.client.put_item(
                TableName=self.name, Item=to_dynamo(item), **_expression(condition, values, names)
            )

    def delete(
        self,
        key: Mapping[str, str],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Delete the item; with a condition, raise ConditionFailed when it fails."""
        with _conditional():
            self.client.delete_item(
                TableName=self.name, Key=to_dynamo(key), **_expression(condition, values, names)
            )

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> int:
        return self._write_many({"PutRequest": {"Item": to_dynamo(i)}} for i in items)

    def delete_many(self, keys: Iterable[Mapping[str, str]]) -> int:
        return self._write_many({"DeleteRequest": {"Key": to_dynamo(k)}} for k in keys)

    def transact(self, actions: Sequence[Action]) -> None:
        """All the writes or none. A refused transaction raises TransactionCancelled with
        DynamoDB's reason for each action (ConditionalCheckFailed, TransactionConflict...).

        No ClientRequestToken of our own: botocore adds a fresh one per call and reuses it
        across its own retries of that call; a token derived from the actions, reused
        within ten minutes with other values, would fail with
        IdempotentParameterMismatchException."""
        items = [_transact_item(self.name, action) for action in actions]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            raise TransactionCancelled(reasons) from None

    def _write_many(self, requests: Iterable[dict[str, Any]]) -> int:
        batch: list[dict[str, Any]] = []
        written = 0
        for request in requests:
            batch.append(request)
            if len(batch) == _BATCH_WRITE:
                written += self._flush(batch)
                batch = []
        if batch:
            written += self._flush(batch)
        return written

    def _flush(self, batch: list[dict[str, Any]]) -> int:
        pending: Any = {self.name: batch}
        for attempt in range(8):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return len(batch)
            _backoff(attempt)
        raise RuntimeError("DynamoDB kept writes unprocessed after 8 attempts")


def _key_condition(
    table: str,
    partition: str,
    index: str | None,
    prefix: str | None,
    between: tuple[str, str] | None,
) -> dict[str, Any]:
    pk, sk = (f"{index}PK", f"{index}SK") if index else ("PK", "SK")
    condition = "#pk = :pk"
    names = {"#pk": pk}
    values: dict[str, Any] = {":pk": partition}
    if prefix is not None:
        condition += " AND begins_with(#sk, :prefix)"
        names["#sk"] = sk
        values[":prefix"] = prefix
    elif between is not None:
        condition += " AND #sk BETWEEN :low AND :high"
        names["#sk"] = sk
        values[":low"], values[":high"] = between
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_dynamo(values),
    }
    if index:
        request["IndexName"] = index
    return request


class _Expression(TypedDict, total=False):
    """The parts of a write request that its expressions bring: the condition, the values
    and names they use, and what a failed condition returns."""

    ConditionExpression: str
    ExpressionAttributeValues: dict[str, Any]
    ExpressionAttributeNames: dict[str, str]
    ReturnValuesOnConditionCheckFailure: "ReturnValuesOnConditionCheckFailureType"


def _expression(
    condition: str | None,
    values: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> _Expression:
    request: _Expression = {}
    if condition:
        request["ConditionExpression"] = condition
    if values:
        request["ExpressionAttributeValues"] = to_dynamo(values)
    if names:
        request["ExpressionAttributeNames"] = dict(names)
    return request


def _transact_item(table: str, action: Action) -> "TransactWriteItemTypeDef":
    expression = _expression(action.condition, action.values, action.names)
    match action:
        case Put():
            return {"Put": {"TableName": table, **expression, "Item": to_dynamo(action.item)}}
        case Update():
            return {
                "Update": {
                    "TableName": table,
                    **expression,
                    "Key": to_dynamo(action.key),
                    "UpdateExpression": action.expression,
                }
            }
        case Delete():
            return {"Delete": {"TableName": table, **expression, "Key": to_dynamo(action.key)}}


@contextmanager
def _conditional() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        raise ConditionFailed(error.response, error.operation_name) from None


def _backoff(attempt: int) -> None:
    time.sleep(min(0.05 * 2**attempt, 2.0))
