"""The one in-memory stand-in for the storage port (palabre.store.table.Table).

Unit tests and the bench run the journeys' stores over it: no AWS, no sockets, and fast
enough for 100,000 members (each index is a sorted list per partition). It evaluates the
expressions the stores write — conditions, SET/ADD/REMOVE updates, transactions — as
DynamoDB does; tests/functional/test_table_contract.py runs the same cases against it and
against DynamoTable on moto, so it cannot drift from the real thing unnoticed.
"""

import bisect
import copy
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from palabre.store.table import (
    Action,
    ConditionFailed,
    Delete,
    Put,
    Returns,
    TransactionCancelled,
    Update,
    to_dynamo,
)

if TYPE_CHECKING:
    from palabre.store.table import ConditionFailedResponse

type Item = dict[str, Any]
type Key = tuple[str, str]

INDEXES = ("GSI1", "GSI2", "GSI3")
ITEM_LIMIT = 400 * 1024
_BATCH_WRITE = 25


class FakeTable:
    """Table over dicts; every write lands in `writes` (what, and the item written)."""

    def __init__(self, items: Iterable[Mapping[str, Any]] = ()) -> None:
        self.items: dict[Key, Item] = {}
        # index name ("" for the table) -> partition -> sorted [(sort key, PK, SK)]
        self._indexes: dict[str, dict[str, list[tuple[str, str, str]]]] = {
            name: defaultdict(list) for name in ("", *INDEXES)
        }
        self.writes: list[tuple[str, Item]] = []
        # Loaded in bulk, each index sorted once: 100,000 members load in a second or two.
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
        item = self.items.get(_key(key))
        return copy.deepcopy(item) if item is not None else None

    def get_many(
        self, keys: Iterable[Mapping[str, str]], *, consistent: bool = False
    ) -> list[Item]:
        wanted = [_key(k) for k in keys]
        for start in range(0, len(wanted), 100):
            if len(set(wanted[start : start + 100])) != len(wanted[start : start + 100]):
                raise _validation("Provided list of item keys contains duplicates")
        return [copy.deepcopy(self.items[k]) for k in wanted if k in self.items]

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
        found = self._range(index or "", partition, prefix, between)
        if not forward:
            found.reverse()
        for _, pk, sk in found[: limit or None]:
            yield copy.deepcopy(self.items[(pk, sk)])

    def page(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        name = index or ""
        found = self._range(name, partition, prefix, None)
        if start:
            after = _entry(name, {k: v["S"] for k, v in start.items()})
            found = found[bisect.bisect_right(found, after) :]
        taken = found[:limit]
        items = [copy.deepcopy(self.items[(pk, sk)]) for _, pk, sk in taken]
        if len(found) <= limit or not taken:
            return items, None  # as moto: a last evaluated key only when more remain
        last = self.items[(taken[-1][1], taken[-1][2])]
        fields = ("PK", "SK", f"{index}PK", f"{index}SK") if index else ("PK", "SK")
        return items, {f: {"S": last[f]} for f in fields}

    def _range(
        self, index: str, partition: str, prefix: str | None, between: tuple[str, str] | None
    ) -> list[tuple[str, str, str]]:
        entries = self._indexes[index].get(partition, [])
        if prefix is not None:
            low = bisect.bisect_left(entries, (prefix,))
            high = low
            while high < len(entries) and entries[high][0].startswith(prefix):
                high += 1
            return entries[low:high]
        if between is not None:
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
        stored = _normal(item)
        self._check(_key(stored), condition, values, names, "PutItem")
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
        existing = self.items.get(_key(key))
        self._check(_key(key), condition, values, names, "UpdateItem", with_item=True)
        item = _updated(existing, key, expression, _normal(values or {}), names or {})
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
        self._check(_key(key), condition, values, names, "DeleteItem")
        self._remove(_key(key))
        self.writes.append(("delete", {"PK": key["PK"], "SK": key["SK"]}))

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> int:
        stored = [_normal(i) for i in items]
        _no_duplicates([_key(i) for i in stored])
        for item in stored:
            self._write("put", item)
        return len(stored)

    def delete_many(self, keys: Iterable[Mapping[str, str]]) -> int:
        wanted = [_key(k) for k in keys]
        _no_duplicates(wanted)
        for key in wanted:
            self._remove(key)
            self.writes.append(("delete", {"PK": key[0], "SK": key[1]}))
        return len(wanted)

    def transact(self, actions: Sequence[Action]) -> None:
        """All or nothing; TransactionCancelled with a reason per action, as DynamoDB."""
        if len(actions) > 100:
            raise _validation("Member must have length less than or equal to 100")
        targets = [_key(a.item if isinstance(a, Put) else a.key) for a in actions]
        if len(set(targets)) != len(targets):
            raise _validation("Transaction request cannot include multiple operations on one item")
        reasons = [
            "None"
            if _holds(self.items.get(key), a.condition, a.values, a.names)
            else "ConditionalCheckFailed"
            for key, a in zip(targets, actions, strict=True)
        ]
        if any(r != "None" for r in reasons):
            raise TransactionCancelled(reasons)
        for key, action in zip(targets, actions, strict=True):
            match action:
                case Put():
                    self._write("put", _normal(action.item))
                case Update():
                    item = _updated(
                        self.items.get(key),
                        action.key,
                        action.expression,
                        _normal(action.values or {}),
                        action.names or {},
                    )
                    self._write("update", item)
                case Delete():
                    self._remove(key)
                    self.writes.append(("delete", {"PK": key[0], "SK": key[1]}))

    def snapshot(self) -> dict[Key, Item]:
        return copy.deepcopy(self.items)

    # ------------------------------------------------------------------ plumbing
    def _check(
        self,
        key: Key,
        condition: str | None,
        values: Mapping[str, Any] | None,
        names: Mapping[str, str] | None,
        operation: str,
        *,
        with_item: bool = False,
    ) -> None:
        existing = self.items.get(key)
        if _holds(existing, condition, values, names):
            return
        response: ConditionFailedResponse = {
            "Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}
        }
        if with_item and existing is not None:
            response["Item"] = to_dynamo(existing)  # as DynamoTable asks: ALL_OLD
        raise ConditionFailed(response, operation)

    def _write(self, kind: str, item: Item) -> None:
        if len(json.dumps(item, default=str)) > ITEM_LIMIT:
            raise _validation("Item size has exceeded the maximum allowed size")
        self.writes.append((kind, copy.deepcopy(item)))
        self._store(item)

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


def _indexed(index: str, item: Mapping[str, Any]) -> bool:
    """Whether the item is in the index: GSIs are sparse, keyed by string attributes."""
    pk, sk = (f"{index}PK", f"{index}SK") if index else ("PK", "SK")
    return isinstance(item.get(pk), str) and isinstance(item.get(sk), str)


def _partition(index: str, item: Mapping[str, Any]) -> str:
    return str(item[f"{index}PK" if index else "PK"])


def _entry(index: str, item: Mapping[str, Any]) -> tuple[str, str, str]:
    sort_key = item[f"{index}SK"] if index else item["SK"]
    return sort_key, item["PK"], item["SK"]


def _key(item: Mapping[str, Any]) -> Key:
    return item["PK"], item["SK"]


def _no_duplicates(keys: list[Key]) -> None:
    for start in range(0, len(keys), _BATCH_WRITE):
        chunk = keys[start : start + _BATCH_WRITE]
        if len(set(chunk)) != len(chunk):
            raise _validation("Provided list of item keys contains duplicates")


def _validation(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "Fake")


def _normal(value: Any, top: bool = True) -> Any:
    """What DynamoDB gives back for what DynamoTable writes: no top-level None, lists for
    tuples, numbers as DynamoTable reads them (int when whole)."""
    if isinstance(value, Mapping):
        return {k: _normal(v, False) for k, v in value.items() if not (top and v is None)}
    if isinstance(value, list | tuple):
        return [_normal(v, False) for v in value]
    if isinstance(value, set | frozenset):
        return {_normal(v, False) for v in value}
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def _returned(returns: str, old: Item | None, new: Item) -> Item:
    if returns == "ALL_NEW":
        return copy.deepcopy(new)
    if returns == "ALL_OLD":
        return copy.deepcopy(old or {})
    if returns in ("UPDATED_NEW", "UPDATED_OLD"):
        before = old or {}
        changed = {k for k in set(before) | set(new) if before.get(k) != new.get(k)}
        source = new if returns == "UPDATED_NEW" else before
        return {k: copy.deepcopy(source[k]) for k in changed if k in source}
    return {}


# ---------------------------------------------------------------------------- expressions
_TOKEN = re.compile(
    r"\s*(?:(?P<op><>|<=|>=|=|<|>|\(|\)|,|\+|-)|(?P<value>:[A-Za-z0-9_]+)"
    r"|(?P<name>#?[A-Za-z_][A-Za-z0-9_]*))"
)
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "ADD", "REMOVE", "DELETE"}
_MISSING = object()


class _Tokens:
    def __init__(self, text: str, values: Mapping[str, Any], names: Mapping[str, str]) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise _validation(f"Invalid expression near {text[position:]!r}")
            kind = match.lastgroup or ""
            word = match.group(kind)
            if kind == "name" and word.upper() in _KEYWORDS:
                kind, word = "keyword", word.upper()
            self.tokens.append((kind, word))
            position = match.end()
        self.values = values
        self.names = names
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, word: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if word is not None and token[1] != word:
            raise _validation(f"Expected {word!r}, found {token[1]!r}")
        self.at += 1
        return token

    def attribute(self) -> str:
        kind, word = self.take()
        if kind != "name":
            raise _validation(f"Expected an attribute name, found {word!r}")
        if word.startswith("#"):
            if word not in self.names:
                raise _validation(f"An expression attribute name is not defined: {word}")
            return self.names[word]
        if self.peek()[1] in (".", "["):
            raise NotImplementedError("nested paths")
        return word

    def value(self) -> Any:
        _, word = self.take()
        if word not in self.values:
            raise _validation(f"An expression attribute value is not defined: {word}")
        return self.values[word]


type _Operand = Callable[[Item], Any]


def _operand(tokens: _Tokens) -> _Operand:
    kind, word = tokens.peek()
    if kind == "value":
        value = tokens.value()
        return lambda _: value
    if kind == "name" and word == "size" and tokens.tokens[tokens.at + 1][1] == "(":
        tokens.take()
        tokens.take("(")
        name = tokens.attribute()
        tokens.take(")")
        return lambda item: len(item[name]) if name in item else _MISSING
    name = tokens.attribute()
    return lambda item: item.get(name, _MISSING)


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return op == "<>" and not (left is _MISSING and right is _MISSING)
    numbers = (int, float)
    same = (isinstance(left, numbers) and isinstance(right, numbers)) or type(left) is type(right)
    if op == "=":
        return same and left == right
    if op == "<>":
        return not same or left != right
    if not same or not isinstance(left, (*numbers, str, bytes)):
        return False
    # Attribute values are Any to the checker: bool() says what their comparisons give.
    return bool(
        {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    )


def _function(tokens: _Tokens, name: str) -> Callable[[Item], bool]:
    tokens.take("(")
    attribute = tokens.attribute()
    if name == "attribute_exists":
        tokens.take(")")
        return lambda item: attribute in item
    if name == "attribute_not_exists":
        tokens.take(")")
        return lambda item: attribute not in item
    tokens.take(",")
    argument = _operand(tokens)
    tokens.take(")")
    if name == "begins_with":
        return lambda item: (
            isinstance(item.get(attribute), str)
            and isinstance(argument(item), str)
            and item[attribute].startswith(argument(item))
        )
    if name == "contains":
        return lambda item: attribute in item and _contains(item[attribute], argument(item))
    raise NotImplementedError(name)


def _contains(container: Any, value: Any) -> bool:
    if isinstance(container, str):
        return isinstance(value, str) and value in container
    if isinstance(container, set | list):
        return value in container
    return False


def _primary(tokens: _Tokens) -> Callable[[Item], bool]:
    kind, word = tokens.peek()
    if word == "(":
        tokens.take()
        inner = _or(tokens)
        tokens.take(")")
        return inner
    if word == "NOT":
        tokens.take()
        negated = _primary(tokens)
        return lambda item: not negated(item)
    if kind == "name" and word in (
        "attribute_exists",
        "attribute_not_exists",
        "begins_with",
        "contains",
    ):
        tokens.take()
        return _function(tokens, word)
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


def _holds(
    existing: Item | None,
    condition: str | None,
    values: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> bool:
    if not condition:
        return True
    tokens = _Tokens(condition, _normal(values or {}), names or {})
    test = _or(tokens)
    if tokens.peek()[0] != "end":
        raise _validation(f"Unexpected {tokens.peek()[1]!r} in the condition")
    return test(existing or {})


def _set_value(tokens: _Tokens, item: Item) -> Any:
    """One side of a SET: a value, an attribute, if_not_exists(...), list_append(...)."""
    kind, word = tokens.peek()
    if kind == "name" and word in ("if_not_exists", "list_append"):
        tokens.take()
        tokens.take("(")
        if word == "if_not_exists":
            attribute = tokens.attribute()
            tokens.take(",")
            fallback = _set_value(tokens, item)
            tokens.take(")")
            return item.get(attribute, fallback)
        first = _set_value(tokens, item)
        tokens.take(",")
        second = _set_value(tokens, item)
        tokens.take(")")
        return [*first, *second]
    value = _operand(tokens)(item)
    if value is _MISSING:
        raise _validation(
            "The provided expression refers to an attribute that does not exist in the item"
        )
    return value


def _updated(
    existing: Item | None,
    key: Mapping[str, str],
    expression: str,
    values: Mapping[str, Any],
    names: Mapping[str, str],
) -> Item:
    """The item after an update expression, evaluated against the item before it (as
    DynamoDB does: every operand reads the old item)."""
    before = existing or {"PK": key["PK"], "SK": key["SK"]}
    after = copy.deepcopy(before)
    tokens = _Tokens(expression, values, names)
    while tokens.peek()[0] != "end":
        _, clause = tokens.take()
        while True:
            target = tokens.attribute()
            if target in ("PK", "SK"):
                raise _validation("Cannot update attribute PK: it is part of the key")
            if clause == "SET":
                tokens.take("=")
                value = _set_value(tokens, before)
                while tokens.peek()[1] in ("+", "-"):
                    _, sign = tokens.take()
                    other = _set_value(tokens, before)
                    value = value + other if sign == "+" else value - other
                after[target] = copy.deepcopy(value)
            elif clause == "ADD":
                value = tokens.value()
                current = before.get(target)
                if isinstance(value, set):
                    after[target] = set(current or set()) | value
                else:
                    after[target] = (current or 0) + value
            elif clause == "REMOVE":
                after.pop(target, None)
            elif clause == "DELETE":
                value = tokens.value()
                remaining = set(before.get(target) or set()) - value
                if remaining:
                    after[target] = remaining
                else:
                    after.pop(target, None)
            else:
                raise _validation(f"Unknown clause {clause!r}")
            if tokens.peek()[1] != ",":
                break
            tokens.take()
    return after
