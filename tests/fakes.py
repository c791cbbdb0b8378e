"""The one in-memory stand-in for the storage port (palabre.store.table.Table).

Unit tests and the bench run the journeys' stores over it: no AWS, no sockets, and fast
enough for 100,000 members (each index is a sorted list per partition). It evaluates the
expressions the stores write — conditions, SET/ADD/REMOVE/DELETE updates, transactions —
as DynamoDB does, and refuses what DynamoDB refuses (ValidationException), so that a store
cannot pass its unit tests with a request production would reject.
tests/functional/test_table_contract.py runs the same cases against it and against
DynamoTable on moto, so it cannot drift from the real thing unnoticed.

Where moto and DynamoDB differ, the fake follows moto when the stores cannot tell (when a
page has a LastEvaluatedKey, what UPDATED_NEW returns, the item size limit), and DynamoDB
when moto accepts a request DynamoDB refuses (the contract marks those cases for moto).
"""

import bisect
import copy
import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, DecimalException
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary
from botocore.exceptions import ClientError, ParamValidationError

from palabre.store.table import (
    Action,
    ConditionFailed,
    Delete,
    Put,
    Returns,
    TransactionCancelled,
    Update,
    from_dynamo,
    to_dynamo,
)

if TYPE_CHECKING:
    from palabre.store.table import ConditionFailedResponse

type Item = dict[str, Any]
type Key = tuple[str, str]

KEY = ("PK", "SK")
INDEXES = ("GSI1", "GSI2", "GSI3")
"""template.yaml's global secondary indexes, keyed <name>PK/<name>SK (the contract test
checks this against the template)"""
ITEM_LIMIT = 405_000
"""moto's item size limit, counted as moto counts (attribute names and values, UTF-8).
DynamoDB's is 400 KB with some overhead per attribute: a little more room than this."""
_BATCH_WRITE = 25
_BATCH_GET = 100
_TRANSACTION = 100
_SETS = ("SS", "NS", "BS")


class FakeTable:
    """Table over dicts; every write lands in `writes` (what, and the item written)."""

    retention_months = 24

    def __init__(self, items: Iterable[Mapping[str, Any]] = ()) -> None:
        self.items: dict[Key, Item] = {}
        # index name ("" for the table) -> partition -> sorted [(sort key, PK, SK)]
        self._indexes: dict[str, dict[str, list[tuple[str, str, str]]]] = {
            name: defaultdict(list) for name in ("", *INDEXES)
        }
        self.writes: list[tuple[str, Item]] = []
        # Loaded in bulk, each index sorted once: 100,000 members load in a second or two.
        # (Trusted: what a test or the bench hands here is not validated as a write is.)
        for item in map(_normal, items):
            self.items[_key(item)] = item
        for item in self.items.values():
            for name in ("", *INDEXES):
                if _indexed(name, item):
                    self._indexes[name][_partition(name, item)].append(_entry(name, item))
        for index in self._indexes.values():
            for entries in index.values():
                entries.sort()

    # ------------------------------------------------------------------ reads
    def get(self, key: Mapping[str, str], *, consistent: bool = False) -> Item | None:
        item = self.items.get(_key_of(key))
        return _clone(item) if item is not None else None

    def get_many(
        self, keys: Iterable[Mapping[str, str]], *, consistent: bool = False
    ) -> list[Item]:
        wanted = [_key_of(k) for k in keys]
        for start in range(0, len(wanted), _BATCH_GET):  # one BatchGetItem per hundred
            _no_duplicates(wanted[start : start + _BATCH_GET])
        return [_clone(self.items[k]) for k in wanted if k in self.items]

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
        if limit:  # DynamoTable sends Limit only when it is given and not 0
            _check_limit(limit)
        found = self._range(index, partition, prefix, between)
        if not forward:
            found.reverse()
        for _, pk, sk in found[: limit or None]:
            item = self.items[(pk, sk)]
            if attributes:
                item = {name: item[name] for name in attributes if name in item}
            yield _clone(item)

    def page(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        _check_limit(limit)
        name = index or ""
        found = self._range(index, partition, prefix, None)
        if start:
            after = _entry(name, {k: v["S"] for k, v in start.items()})
            found = found[bisect.bisect_right(found, after) :]
        taken = found[:limit]
        items = [_clone(self.items[(pk, sk)]) for _, pk, sk in taken]
        if len(taken) < limit:
            return items, None
        # As moto: a LastEvaluatedKey when a full page is followed by any item of the
        # partition, whether or not it matches the prefix. (DynamoDB gives one whenever
        # the page is full; either way the page after the last may be empty.)
        entries = self._indexes[name].get(partition, [])
        if bisect.bisect_right(entries, taken[-1]) == len(entries):
            return items, None
        last = self.items[(taken[-1][1], taken[-1][2])]
        fields = (*KEY, f"{index}PK", f"{index}SK") if index else KEY
        return items, {f: {"S": last[f]} for f in fields}

    def _range(
        self,
        index: str | None,
        partition: str,
        prefix: str | None,
        between: tuple[str, str] | None,
    ) -> list[tuple[str, str, str]]:
        name = index or ""
        if name not in self._indexes:
            raise _validation(f"The table does not have the specified index: {index}")
        sort_key = f"{index}SK" if index else "SK"
        if partition == "":
            raise _empty_key(f"{index}PK" if index else "PK")
        if prefix == "" or (between is not None and "" in between):
            raise _empty_key(sort_key)
        entries = self._indexes[name].get(partition, [])
        if prefix is not None:
            low = bisect.bisect_left(entries, (prefix,))
            # From low, the entries starting with the prefix come first, then the others.
            high = bisect.bisect_left(
                entries, True, lo=low, key=lambda entry: not entry[0].startswith(prefix)
            )
            return entries[low:high]
        if between is not None:
            if between[0] > between[1]:
                raise _validation(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper "
                    "bound to be greater than or equal to lower bound"
                )
            low = bisect.bisect_left(entries, (between[0],))
            high = bisect.bisect_right(entries, (between[1], "\U0010ffff"))
            return entries[low:high]
        return list(entries)

    # ------------------------------------------------------------------ writes
    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        stored = _stored(item)
        holds = _condition_only(condition, values, names)
        self._check(_key(stored), holds, "PutItem")
        self._write("put", stored)

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
        target = _key_of(key)
        apply, holds = _update_and_condition(expression, condition, values, names)
        existing = self.items.get(target)
        # DynamoTable asks for the old item when a conditional update fails.
        self._check(target, holds, "UpdateItem", with_item=True)
        item = apply(existing, target)
        self._write("update", item)
        return _returned(returns, existing, item)

    def delete(
        self,
        key: Mapping[str, str],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        target = _key_of(key)
        holds = _condition_only(condition, values, names)
        self._check(target, holds, "DeleteItem")
        self._delete(target)

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> int:
        """One BatchWriteItem per 25 items, as DynamoTable: a batch is written whole or
        refused whole; the batches before a refused one stay written."""
        written = 0
        for batch in _batches(items, _BATCH_WRITE):
            stored = [_stored(i) for i in batch]
            _no_duplicates([_key(i) for i in stored])
            for item in stored:
                self._write("put", item)
            written += len(stored)
        return written

    def delete_many(self, keys: Iterable[Mapping[str, str]]) -> int:
        deleted = 0
        for batch in _batches(keys, _BATCH_WRITE):
            wanted = [_key_of(k) for k in batch]
            _no_duplicates(wanted)
            for key in wanted:
                self._delete(key)
            deleted += len(wanted)
        return deleted

    def transact(self, actions: Sequence[Action]) -> None:
        """All or nothing; TransactionCancelled with a reason per action, as DynamoDB."""
        if not actions:  # botocore refuses it before sending anything
            raise ParamValidationError(
                report="Invalid length for parameter TransactItems, value: 0, valid min length: 1"
            )
        if len(actions) > _TRANSACTION:
            raise _validation(
                "1 validation error detected at 'transactItems' failed to satisfy constraint: "
                "Member must have length less than or equal to 100."
            )
        prepared: list[tuple[Key, Callable[[Item], bool] | None, Callable[[], Item | None]]] = []
        for action in actions:
            match action:
                case Put():
                    stored = _stored(action.item)
                    key = _key(stored)
                    holds = _condition_only(action.condition, action.values, action.names)
                    prepared.append((key, holds, _constant(stored)))
                case Update():
                    key = _key_of(action.key)
                    apply, holds = _update_and_condition(
                        action.expression, action.condition, action.values, action.names
                    )
                    prepared.append((key, holds, self._applying(apply, key)))
                case Delete():
                    key = _key_of(action.key)
                    holds = _condition_only(action.condition, action.values, action.names)
                    prepared.append((key, holds, lambda: None))
        targets = [key for key, _, _ in prepared]
        if len(set(targets)) != len(targets):
            raise _validation("Transaction request cannot include multiple operations on one item")
        reasons = [
            "None"
            if holds is None or holds(self.items.get(key) or {})
            else "ConditionalCheckFailed"
            for key, holds, _ in prepared
        ]
        if any(r != "None" for r in reasons):
            raise TransactionCancelled(reasons)
        # Every new item first: one that cannot be written (too large...) writes nothing.
        results = [(key, make()) for key, _, make in prepared]
        for (key, result), action in zip(results, actions, strict=True):
            if result is None:
                self._delete(key)
            else:
                self._write("put" if isinstance(action, Put) else "update", result)

    def snapshot(self) -> dict[Key, Item]:
        return _clone(self.items)

    def _applying(
        self, apply: Callable[[Item | None, Key], Item], key: Key
    ) -> Callable[[], Item | None]:
        """The update's new item, from the item as it is when the transaction applies."""
        return lambda: apply(self.items.get(key), key)

    # ------------------------------------------------------------------ plumbing
    def _check(
        self,
        key: Key,
        holds: Callable[[Item], bool] | None,
        operation: str,
        *,
        with_item: bool = False,
    ) -> None:
        existing = self.items.get(key)
        if holds is None or holds(existing or {}):
            return
        response: ConditionFailedResponse = {
            "Error": {
                "Code": "ConditionalCheckFailedException",
                "Message": "The conditional request failed",
            }
        }
        if with_item and existing is not None:
            response["Item"] = to_dynamo(existing)  # ReturnValuesOnConditionCheckFailure
        raise ConditionFailed(response, operation)

    def _write(self, kind: str, item: Item) -> None:
        self.writes.append((kind, _clone(item)))
        self._store(item)

    def _delete(self, key: Key) -> None:
        self._remove(key)
        self.writes.append(("delete", {"PK": key[0], "SK": key[1]}))

    def _store(self, item: Item) -> None:
        key = _key(item)
        self._remove(key)
        self.items[key] = item
        for name in ("", *INDEXES):
            if _indexed(name, item):
                bisect.insort(self._indexes[name][_partition(name, item)], _entry(name, item))

    def _remove(self, key: Key) -> None:
        old = self.items.pop(key, None)
        if old is None:
            return
        for name in ("", *INDEXES):
            if _indexed(name, old):
                entries = self._indexes[name][_partition(name, old)]
                entries.pop(bisect.bisect_left(entries, _entry(name, old)))


# ---------------------------------------------------------------------------- items and keys
def _indexed(index: str, item: Mapping[str, Any]) -> bool:
    """Whether the item is in the index: GSIs are sparse (and writes make sure that a
    key attribute, when present, is a string that is not empty)."""
    pk, sk = (f"{index}PK", f"{index}SK") if index else KEY
    return isinstance(item.get(pk), str) and isinstance(item.get(sk), str)


def _partition(index: str, item: Mapping[str, Any]) -> str:
    return str(item[f"{index}PK" if index else "PK"])


def _entry(index: str, item: Mapping[str, Any]) -> tuple[str, str, str]:
    sort_key = item[f"{index}SK"] if index else item["SK"]
    return sort_key, item["PK"], item["SK"]


def _key(item: Mapping[str, Any]) -> Key:
    return item["PK"], item["SK"]


def _key_of(key: Mapping[str, Any]) -> Key:
    """A Key parameter (GetItem, UpdateItem...): exactly PK and SK, strings, not empty."""
    if set(key) != set(KEY) or not all(isinstance(key[k], str) for k in KEY):
        raise _validation("The provided key element does not match the schema")
    for name in KEY:
        if key[name] == "":
            raise _empty_key(name)
    return key["PK"], key["SK"]


def _stored(item: Mapping[str, Any]) -> Item:
    """The item as DynamoTable sends it and reads it back (its serialisation's errors
    included), or the ValidationException DynamoDB gives for it."""
    stored = from_dynamo(to_dynamo(item))
    for name in KEY:
        if name not in stored:
            raise _validation(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        if not isinstance(stored[name], str):
            raise _validation(
                f"One or more parameter values were invalid: Type mismatch for key {name} "
                f"expected: S actual: {_kind(stored[name])}"
            )
        if stored[name] == "":
            raise _validation(
                "One or more parameter values were invalid: An AttributeValue may not "
                f"contain an empty string. Key: {name}"
            )
    _check_indexed(stored)
    if _has_empty_set(stored):
        raise _validation(
            "One or more parameter values were invalid: An number set  may not be empty"
        )
    if _size(stored) > ITEM_LIMIT:
        raise _validation("Item size has exceeded the maximum allowed size")
    return stored


def _check_indexed(item: Item) -> None:
    """A GSI key attribute must be a string, and not empty (DynamoDB; moto lets a number
    through, and then leaves the item out of the index)."""
    for index in INDEXES:
        for name in (f"{index}PK", f"{index}SK"):
            if name not in item:
                continue
            if not isinstance(item[name], str):
                raise _validation(
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{name} Expected: S Actual: {_kind(item[name])} IndexName: {index}"
                )
            if item[name] == "":
                raise _validation(
                    "One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key "
                    f"attribute cannot contain an empty string value. IndexName: {index}, "
                    f"IndexKey: {name}"
                )


def _has_empty_set(value: Any) -> bool:
    if isinstance(value, set):
        return not value
    if isinstance(value, dict):
        return any(_has_empty_set(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_empty_set(v) for v in value)
    return False


def _size(value: Any) -> int:
    """An item's size as moto counts it: names and strings in UTF-8, numbers as their
    digits, 1 for a boolean or null, containers as the sum of what they hold."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return len(_number_text(value))
    if isinstance(value, Binary):
        return len(value.__bytes__())
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(len(k.encode()) + _size(v) for k, v in value.items())
    return sum(_size(v) for v in value)  # list or set


def _number_text(value: int | float) -> str:
    number = Decimal(str(value)) if isinstance(value, float) else value
    return str(DYNAMODB_CONTEXT.create_decimal(number))


def _kind(value: Any) -> str:
    """The DynamoDB type of a value as DynamoTable reads it."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int | float):
        return "N"
    if isinstance(value, str):
        return "S"
    if isinstance(value, Binary | bytes):
        return "B"
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "L"
    if isinstance(value, dict):
        return "M"
    if isinstance(value, set):
        kinds = {_kind(v) for v in value}
        return f"{kinds.pop() if len(kinds) == 1 else 'N'}S"
    raise TypeError(f"not a DynamoDB value: {value!r}")


def _batches(things: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for thing in things:
        batch.append(thing)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _no_duplicates(keys: list[Key]) -> None:
    if len(set(keys)) != len(keys):
        raise _validation("Provided list of item keys contains duplicates")


def _check_limit(limit: int) -> None:
    if limit < 1:  # botocore's own parameter validation, before any request
        raise ParamValidationError(
            report=f"Invalid value for parameter Limit, value: {limit}, valid min value: 1"
        )


def _clone[T](value: T) -> T:
    """A deep copy of a stored value (dicts, lists and sets of strings, numbers, bytes):
    what copy.deepcopy gives, a few times faster; a store reads and writes many."""
    return cast(T, _copied(value))


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copied(v) for k, v in value.items()}
    if kind is list:
        return [_copied(v) for v in value]
    if kind is set:
        return set(value)  # of strings, numbers or bytes: immutable
    if kind in (str, int, Decimal, bool, bytes, type(None), float):
        return value
    return copy.deepcopy(value)


def _validation(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "Fake")


def _empty_key(name: str) -> ClientError:
    return _validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        f"cannot contain an empty string value. Key: {name}"
    )


def _normal(value: Any, top: bool = True) -> Any:
    """What DynamoDB gives back for what DynamoTable writes: no top-level None, lists for
    tuples, numbers as DynamoTable reads them (int when whole). For the bulk load only:
    writes go through DynamoTable's own serialisation (_stored)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # most values: as they are, at once
        return value
    if kind is dict:
        return {k: _normal(v, False) for k, v in value.items() if not (top and v is None)}
    if isinstance(value, Mapping):
        return {k: _normal(v, False) for k, v in value.items() if not (top and v is None)}
    if isinstance(value, list | tuple):
        return [_normal(v, False) for v in value]
    if isinstance(value, set | frozenset):
        return {_normal(v, False) for v in value}
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return _number(Decimal(str(value)))
    return value


def _number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _returned(returns: str, old: Item | None, new: Item) -> Item:
    """ReturnValues. UPDATED_OLD and UPDATED_NEW hold the attributes whose value changed,
    as moto gives them (DynamoDB gives every attribute the expression sets, changed or
    not). Unlike moto, a map that changed is given whole, not only its changed entries."""
    before = old or {}
    if returns == "ALL_NEW":
        return _clone(new)
    if returns == "ALL_OLD":
        return _clone(before)
    if returns == "UPDATED_OLD":
        return {k: _clone(v) for k, v in before.items() if new.get(k, _MISSING) != v}
    if returns == "UPDATED_NEW":
        return {k: _clone(v) for k, v in new.items() if before.get(k, _MISSING) != v}
    return {}


# ---------------------------------------------------------------------------- expressions
@cache
def _reserved() -> frozenset[str]:
    """DynamoDB's reserved words (an attribute named so needs a #placeholder): the list
    moto ships, read without importing moto."""
    spec = find_spec("moto")
    if spec is None or spec.origin is None:
        raise RuntimeError("tests/fakes.py reads DynamoDB's reserved words from moto")
    path = Path(spec.origin).parent / "dynamodb" / "parsing" / "reserved_keywords.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


_SYMBOLS = ("<>", "<=", ">=", "=", "<", ">", "(", ")", ",", "+", "-", ".", "[", "]")
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "ADD", "REMOVE", "DELETE"}
_CONDITION_FUNCTIONS = (
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
)
_MISSING: Any = object()
_NOT_THERE = "The provided expression refers to an attribute that does not exist in the item"
_WRONG_TYPE = "An operand in the update expression has an incorrect data type"


class _Usage:
    """The placeholders an update and its condition use: DynamoDB refuses one given and
    not used."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.names: set[str] = set()

    def check(self, values: Mapping[str, Any], names: Mapping[str, str]) -> None:
        for given, used, kind in ((values, self.values, "Values"), (names, self.names, "Names")):
            unused = sorted(set(given) - used)
            if unused:
                raise _validation(
                    f"Value provided in ExpressionAttribute{kind} unused in expressions: "
                    f"keys: {{{', '.join(unused)}}}"
                )


@lru_cache(maxsize=1024)
def _lexed(text: str, what: str) -> tuple[tuple[str, str], ...]:
    """An expression's tokens (kind, word), remembered by its text: a store writes with
    a few expressions, many times."""
    tokens: list[tuple[str, str]] = []
    at, text = 0, text.strip()
    if not text:
        raise _validation(f"Invalid {what}: The expression can not be empty;")
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, at)), None)
        if symbol is not None:
            tokens.append(("op", symbol))
            at += len(symbol)
            continue
        end = at + 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        word = text[at:end]
        if word[0] == ":":
            kind = "value"
        elif word[0] == "#" or word[0].isalpha() or word[0] == "_":
            kind = "name"
        elif word.isdigit():
            kind = "number"
        else:
            raise _validation(f'Invalid {what}: Syntax error; token: "{word}"')
        if kind == "name" and word.upper() in _KEYWORDS:
            kind, word = "keyword", word.upper()
        tokens.append((kind, word))
        at = end
    return tuple(tokens)


class _Tokens:
    def __init__(
        self,
        text: str,
        values: Mapping[str, Any],
        names: Mapping[str, str],
        usage: _Usage,
        what: str,
    ) -> None:
        self.what = what  # ConditionExpression or UpdateExpression, for the messages
        self.tokens = _lexed(text, what)
        self.values, self.names, self.usage = values, names, usage
        self.at = 0

    def invalid(self, message: str) -> ClientError:
        return _validation(f"Invalid {self.what}: {message}")

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        at = self.at + ahead
        return self.tokens[at] if at < len(self.tokens) else ("end", "")

    def take(self, word: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (word is not None and token[1] != word):
            near = token[1] or "end of input"
            raise self.invalid(f'Syntax error; token: "{near}", expected {word or "more"}')
        self.at += 1
        return token

    def end(self) -> None:
        if self.peek()[0] != "end":
            raise self.invalid(f'Syntax error; token: "{self.peek()[1]}"')

    def is_function(self, names: Iterable[str]) -> bool:
        kind, word = self.peek()
        return kind == "name" and word in names and self.peek(1)[1] == "("

    def attribute(self) -> str:
        kind, word = self.take()
        if kind != "name":
            raise self.invalid(f'Syntax error; token: "{word}", expected an attribute')
        if self.peek()[1] in (".", "["):
            raise NotImplementedError("the fake table has no nested document paths")
        if word.startswith("#"):
            if word not in self.names:
                raise self.invalid(
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {word}"
                )
            self.usage.names.add(word)
            return self.names[word]
        if word.upper() in _reserved():
            raise self.invalid(f"Attribute name is a reserved keyword; reserved keyword: {word}")
        return word

    def value(self) -> Any:
        kind, word = self.take()
        if kind != "value":
            raise self.invalid(f'Syntax error; token: "{word}", expected a value')
        if word not in self.values:
            raise self.invalid(
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {word}"
            )
        self.usage.values.add(word)
        return self.values[word]


def _placeholders(
    values: Mapping[str, Any] | None, names: Mapping[str, str] | None
) -> tuple[Item, dict[str, str]]:
    """The values as DynamoTable sends them (None left out, numbers read back as it reads
    them), and the names."""
    given = from_dynamo(to_dynamo(values)) if values else {}
    if _has_empty_set(given):
        raise _validation(
            "One or more parameter values were invalid: An number set  may not be empty"
        )
    return given, dict(names or {})


def _condition_only(
    condition: str | None,
    values: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> Callable[[Item], bool] | None:
    """A put's or delete's condition, checked as DynamoDB checks the request."""
    given, aliases = _placeholders(values, names)
    if not condition:
        if given or aliases:
            which = "Values" if given else "Names"
            raise _validation(
                f"ExpressionAttribute{which} can only be specified when using expressions: "
                "ConditionExpression is null"
            )
        return None
    usage = _Usage()
    holds = _condition(condition, given, aliases, usage)
    usage.check(given, aliases)
    return holds


def _constant(item: Item) -> Callable[[], Item | None]:
    return lambda: item


def _update_and_condition(
    expression: str,
    condition: str | None,
    values: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> tuple[Callable[[Item | None, Key], Item], Callable[[Item], bool] | None]:
    """An update, checked whole before anything is read or written, as DynamoDB does."""
    given, aliases = _placeholders(values, names)
    usage = _Usage()
    apply = _update(expression, given, aliases, usage)
    holds = _condition(condition, given, aliases, usage) if condition else None
    usage.check(given, aliases)
    return apply, holds


# ---------------------------------------------------------------------------- conditions
type _Operand = Callable[[Item], Any]


def _condition(
    text: str, values: Mapping[str, Any], names: Mapping[str, str], usage: _Usage
) -> Callable[[Item], bool]:
    tokens = _Tokens(text, values, names, usage, "ConditionExpression")
    test = _or(tokens)
    tokens.end()
    return test


def _operand(tokens: _Tokens) -> _Operand:
    if tokens.peek()[0] == "value":
        value = tokens.value()
        return lambda _: value
    if tokens.is_function(("size",)):
        tokens.take()
        tokens.take("(")
        name = tokens.attribute()
        tokens.take(")")
        return lambda item: _size_function(item.get(name, _MISSING))
    name = tokens.attribute()
    return lambda item: item.get(name, _MISSING)


def _size_function(value: Any) -> Any:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Binary):
        return len(value.__bytes__())
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, list | dict | set):
        return len(value)
    return _MISSING  # no size: every comparison with it is false


def _compare(op: str, left: Any, right: Any) -> bool:
    """DynamoDB's comparisons: values of different types are never equal and never
    ordered (a boolean is not a number); a missing attribute compares false, except that
    it is <> to anything."""
    if left is _MISSING or right is _MISSING:
        return op == "<>" and not (left is _MISSING and right is _MISSING)
    same = _kind(left) == _kind(right)
    if op == "=":
        return same and left == right
    if op == "<>":
        return not same or left != right
    if not same or _kind(left) not in ("N", "S", "B"):
        return False
    if _kind(left) == "B":
        left, right = bytes(left), bytes(right)
    # Attribute values are Any to the checker: bool() says what their comparisons give.
    return bool(
        {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    )


def _function(tokens: _Tokens, name: str) -> Callable[[Item], bool]:
    tokens.take("(")
    attribute = tokens.attribute()
    if name in ("attribute_exists", "attribute_not_exists"):
        tokens.take(")")
        exists = name == "attribute_exists"
        return lambda item: (attribute in item) == exists
    tokens.take(",")
    argument = _operand(tokens)
    tokens.take(")")
    if name == "attribute_type":
        return lambda item: attribute in item and _kind(item[attribute]) == argument(item)
    if name == "begins_with":
        return lambda item: (
            isinstance(item.get(attribute), str)
            and isinstance(argument(item), str)
            and item[attribute].startswith(argument(item))
        )
    return lambda item: attribute in item and _contains(item[attribute], argument(item))


def _contains(container: Any, value: Any) -> bool:
    if value is _MISSING:
        return False
    if isinstance(container, str):
        return isinstance(value, str) and value in container
    if isinstance(container, set | list):
        return any(_compare("=", element, value) for element in container)
    return False


def _primary(tokens: _Tokens) -> Callable[[Item], bool]:
    if tokens.peek()[1] == "(":
        tokens.take()
        inner = _or(tokens)
        tokens.take(")")
        return inner
    if tokens.peek()[1] == "NOT":
        tokens.take()
        negated = _primary(tokens)
        return lambda item: not negated(item)
    if tokens.is_function(_CONDITION_FUNCTIONS):
        return _function(tokens, tokens.take()[1])
    left = _operand(tokens)
    _, op = tokens.take()
    if op == "BETWEEN":
        low = _operand(tokens)
        tokens.take("AND")
        high = _operand(tokens)
        return lambda item: (
            _compare(">=", left(item), low(item)) and _compare("<=", left(item), high(item))
        )
    if op == "IN":
        tokens.take("(")
        options = [_operand(tokens)]
        while tokens.peek()[1] == ",":
            tokens.take()
            options.append(_operand(tokens))
        tokens.take(")")
        return lambda item: any(_compare("=", left(item), o(item)) for o in options)
    if op not in ("=", "<>", "<", "<=", ">", ">="):
        raise tokens.invalid(f'Syntax error; token: "{op}"')
    right = _operand(tokens)
    return lambda item: _compare(op, left(item), right(item))


def _and(tokens: _Tokens) -> Callable[[Item], bool]:
    terms = [_primary(tokens)]
    while tokens.peek()[1] == "AND":
        tokens.take()
        terms.append(_primary(tokens))
    return lambda item: all(t(item) for t in terms)


def _or(tokens: _Tokens) -> Callable[[Item], bool]:
    terms = [_and(tokens)]
    while tokens.peek()[1] == "OR":
        tokens.take()
        terms.append(_and(tokens))
    return lambda item: any(t(item) for t in terms)


# ---------------------------------------------------------------------------- updates
type _Value = Callable[[Item], Any]


def _update(
    text: str, values: Mapping[str, Any], names: Mapping[str, str], usage: _Usage
) -> Callable[[Item | None, Key], Item]:
    """An update expression, parsed and checked now; applied to the item later. Every
    operand reads the item as it was before the update, as in DynamoDB."""
    tokens = _Tokens(text, values, names, usage, "UpdateExpression")
    actions = _update_actions(tokens)
    _check_targets(tokens, [target for _, target, _ in actions])

    def apply(existing: Item | None, key: Key) -> Item:
        before = existing or {"PK": key[0], "SK": key[1]}
        after = dict(before)
        for clause, target, argument in actions:
            _apply_action(clause, target, argument, before, after)
        after = _clone(after)
        _check_indexed(after)
        if _size(after) > ITEM_LIMIT:
            raise _validation("Item size to update has exceeded the maximum allowed size")
        return after

    return apply


def _update_actions(tokens: _Tokens) -> list[tuple[str, str, Any]]:
    """(clause, target, argument) for each action of the expression, in order."""
    actions: list[tuple[str, str, Any]] = []
    clauses: set[str] = set()
    while tokens.peek()[0] != "end":
        kind, clause = tokens.take()
        if kind != "keyword" or clause not in ("SET", "REMOVE", "ADD", "DELETE"):
            raise tokens.invalid(f'Syntax error; token: "{clause}"')
        if clause in clauses:
            raise tokens.invalid(
                f'The "{clause}" section can only be used once in an update expression;'
            )
        clauses.add(clause)
        while True:
            target = tokens.attribute()
            if clause == "SET":
                tokens.take("=")
                argument: Any = _set_value(tokens)
            elif clause == "REMOVE":
                argument = None
            else:
                argument = tokens.value()
            actions.append((clause, target, argument))
            if tokens.peek()[1] != ",":
                break
            tokens.take()
    return actions


def _check_targets(tokens: _Tokens, targets: list[str]) -> None:
    seen: list[str] = []
    for target in targets:
        if target in KEY:
            raise _validation(
                "One or more parameter values were invalid: Cannot update attribute "
                f"{target}. This attribute is part of the key"
            )
        if target in seen:
            raise tokens.invalid(
                "Two document paths overlap with each other; must remove or rewrite one of "
                f"these paths; path one: [{target}], path two: [{target}]"
            )
        seen.append(target)


def _apply_action(clause: str, target: str, argument: Any, before: Item, after: Item) -> None:
    if clause == "SET":
        after[target] = _clone(argument(before))
    elif clause == "REMOVE":
        after.pop(target, None)
    elif clause == "ADD":
        after[target] = _add(before.get(target, _MISSING), argument)
    else:
        remaining = _delete_from(before.get(target, _MISSING), argument)
        if remaining:
            after[target] = remaining
        else:
            after.pop(target, None)


def _set_value(tokens: _Tokens) -> _Value:
    """The right side of a SET: an operand, or two joined by + or -."""
    value = _set_operand(tokens)
    while tokens.peek()[1] in ("+", "-"):  # moto takes a chain; so does the fake
        _, sign = tokens.take()
        value = _joined(value, sign, _set_operand(tokens))
    return value


def _joined(left: _Value, sign: str, right: _Value) -> _Value:
    return lambda item: _arithmetic(left(item), sign, right(item))


def _set_operand(tokens: _Tokens) -> _Value:
    """A value, an attribute, if_not_exists(attribute, operand), list_append(a, b)."""
    if tokens.is_function(("if_not_exists",)):
        tokens.take()
        tokens.take("(")
        attribute = tokens.attribute()
        tokens.take(",")
        fallback = _set_operand(tokens)
        tokens.take(")")
        return lambda item: item[attribute] if attribute in item else fallback(item)
    if tokens.is_function(("list_append",)):
        tokens.take()
        tokens.take("(")
        first = _set_operand(tokens)
        tokens.take(",")
        second = _set_operand(tokens)
        tokens.take(")")
        return lambda item: _appended(first(item), second(item))
    if tokens.peek()[0] == "value":
        value = tokens.value()
        return lambda _: value
    name = tokens.attribute()

    def read(item: Item) -> Any:
        if name not in item:
            raise _validation(_NOT_THERE)
        return item[name]

    return read


def _appended(first: Any, second: Any) -> list[Any]:
    if not isinstance(first, list) or not isinstance(second, list):
        raise _validation(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator or function: list_append"
        )
    return [*first, *second]


def _arithmetic(left: Any, sign: str, right: Any) -> int | float:
    if _kind(left) != "N" or _kind(right) != "N":
        raise _validation(_WRONG_TYPE)
    a, b = (Decimal(str(v)) for v in (left, right))
    try:  # in decimal, as DynamoDB: 0.1 + 0.2 is 0.3
        result = DYNAMODB_CONTEXT.add(a, b) if sign == "+" else DYNAMODB_CONTEXT.subtract(a, b)
    except DecimalException:
        raise _validation(
            "Number overflow. Attempting to store a number with magnitude "
            "larger than supported range"
        ) from None
    return _number(result)


def _add(current: Any, value: Any) -> Any:
    kind = _kind(value)
    if kind != "N" and kind not in _SETS:
        raise _validation(_WRONG_TYPE)
    if current is _MISSING:
        return _clone(value)
    if _kind(current) != kind:
        raise _validation(_WRONG_TYPE)
    if kind == "N":
        return _arithmetic(current, "+", value)
    return current | value


def _delete_from(current: Any, value: Any) -> Any:
    if _kind(value) not in _SETS:
        raise _validation(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            f"operator: DELETE, operand type: {_kind(value)}"
        )
    if current is _MISSING:
        return None
    if _kind(current) != _kind(value):
        raise _validation(_WRONG_TYPE)
    return current - value


class FakeQueue:
    """An SQS queue with a redrive policy, on a clock a test moves: what a message goes
    through between the sender's invocations. Each receive counts (ReceiveCount); a
    message received past `max_receives` is parked instead (`parked`), as SQS moves it to
    its dead-letter queue; a received message shows again after the visibility timeout
    unless deleted; DelaySeconds holds a new message back. Messages show in the order
    they become visible (a heap of (visible at, order, id), stale entries skipped)."""

    def __init__(
        self, clock: Callable[[], float], *, visibility: float = 180, max_receives: int = 5
    ) -> None:
        self.clock = clock
        self.visibility = visibility
        self.max_receives = max_receives
        self.messages: dict[str, dict[str, Any]] = {}
        self.parked: list[dict[str, Any]] = []
        self.sent = 0
        self._heap: list[tuple[float, int, str]] = []
        self._order = itertools.count()

    def send_message(
        self,
        *,
        QueueUrl: str,
        MessageBody: str,
        DelaySeconds: int = 0,
        MessageAttributes: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not 0 <= DelaySeconds <= 900:
            raise _validation(f"DelaySeconds {DelaySeconds} is not within 0 and 900")
        message_id = f"m{next(self._order)}"
        visible_at = self.clock() + DelaySeconds
        self.messages[message_id] = {
            "id": message_id,
            "body": MessageBody,
            "attributes": dict(MessageAttributes or {}),
            "receives": 0,
            "visible_at": visible_at,
            "receipt": None,
        }
        heapq.heappush(self._heap, (visible_at, next(self._order), message_id))
        self.sent += 1
        return {"MessageId": message_id}

    def receive(self, count: int = 10) -> list[dict[str, Any]]:
        """Up to `count` visible messages, as Lambda's SQS records (messageId, body,
        receiptHandle, messageAttributes, ApproximateReceiveCount)."""
        now = self.clock()
        received: list[dict[str, Any]] = []
        while self._heap and self._heap[0][0] <= now and len(received) < count:
            visible_at, _, message_id = heapq.heappop(self._heap)
            message = self.messages.get(message_id)
            if message is None or message["visible_at"] != visible_at:
                continue  # deleted, or received again since this entry
            message["receives"] += 1
            if message["receives"] > self.max_receives:
                self.parked.append(self.messages.pop(message_id))
                continue
            message["visible_at"] = now + self.visibility
            message["receipt"] = f"{message_id}/{message['receives']}"
            heapq.heappush(self._heap, (message["visible_at"], next(self._order), message_id))
            received.append(
                {
                    "messageId": message_id,
                    "receiptHandle": message["receipt"],
                    "body": message["body"],
                    "attributes": {"ApproximateReceiveCount": str(message["receives"])},
                    "messageAttributes": {
                        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
                        for name, value in message["attributes"].items()
                    },
                }
            )
        return received

    def delete(self, receipt: str) -> None:
        message_id = receipt.split("/", 1)[0]
        message = self.messages.get(message_id)
        if message is not None and message["receipt"] == receipt:
            del self.messages[message_id]

    @property
    def empty(self) -> bool:
        """Nothing left: neither visible, nor delayed, nor in flight."""
        return not self.messages
