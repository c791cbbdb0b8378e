"""Fixes to moto's speed, not to its behaviour, applied when the local stack starts.

moto 5.2.5 makes two DynamoDB operations cost the size of the whole table:

- `Table.query` walks `all_items()` (every item of the table, sorted) for every Query,
  of the base table as well as of a GSI, and keeps those of the partition asked for. With
  one table for everything, a Query's cost grew with the organisation's history. The fix
  keeps an index per partition — the base table's own items dict, and for each GSI a map
  from its hash key to its items — and hands the query exactly the items moto would have
  kept; everything after (sorting, ranges, paging, filters, projections) is moto's code,
  unchanged.
- `transact_write_items` deep-copies each table it touches (stream records included)
  before applying a transaction, to roll back on failure. The fix keeps an undo log of
  the items the transaction touches instead: the same rollback, without the copy.

Each fix rewrites a few lines of moto's own source, found by exact text: if moto's code
changes, `apply()` says so and the stack runs on moto as it is. docs/moto-query-index.md
holds the query fix as a patch against moto, with a note, ready to propose upstream;
tests/unit/test_moto_patches.py holds the patched query to the unpatched one.
"""

import copy
import inspect
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

# ---------------------------------------------------------------- query: a partition index
_BASE_BEFORE = """            possible_results = [
                item
                for item in self.all_items()
                if isinstance(item, Item) and item.hash_key == hash_key
            ]"""
_BASE_AFTER = """            possible_results = [
                item
                for item in self._partition_items(hash_key)
                if isinstance(item, Item) and item.hash_key == hash_key
            ]"""
_GSI_BEFORE = """            possible_results = []
            for item in self.all_items():"""
_GSI_AFTER = """            possible_results = []
            for item in self._index_items(index, all_hash_conditions):"""

# ---------------------------------------------------------------- transactions: an undo log
_BACKUP_BEFORE = """        original_table_state: dict[str, Table] = {}
        for item in transact_items:
            _, op = next(iter(item.items()))
            table_name = op.get("TableName")
            if table_name and table_name in self.tables:
                original_table_state[table_name] = copy.deepcopy(
                    self.tables[table_name]
                )
"""
_BACKUP_AFTER = """        undo: list[Any] = []
"""
_REMEMBER_BEFORE = """                current = self.get_item(table_name, key)
"""
_REMEMBER_AFTER = """                current = self.get_item(table_name, key)
                _remember(undo, self.get_table(table_name), key, current)
"""
_ROLLBACK_BEFORE = """                for table_name in original_table_state:
                    self.tables[table_name] = original_table_state[table_name]
"""
_ROLLBACK_AFTER = """                _roll_back(undo)
"""
_ROLLBACK_END_BEFORE = """            for table_name in original_table_state:
                self.tables[table_name] = original_table_state[table_name]
"""
_ROLLBACK_END_AFTER = """            _roll_back(undo)
"""

_applied: dict[str, bool] = {}
originals: dict[str, Callable[..., Any]] = {}
"""moto's own functions, as they were before apply() (the property test compares)"""


def apply() -> dict[str, bool]:
    """Patches moto once; says which fix took (False: moto's code is no longer the one
    the fix knows, and that operation runs as moto wrote it)."""
    if _applied:
        return _applied
    from moto.dynamodb import models
    from moto.dynamodb.models import table as tables

    originals["query"] = tables.Table.query
    originals["transact_write_items"] = models.DynamoDBBackend.transact_write_items
    query = _rewritten(
        tables.Table.query, vars(tables), [(_BASE_BEFORE, _BASE_AFTER), (_GSI_BEFORE, _GSI_AFTER)]
    )
    if query is not None:
        tables.Table._partition_items = _partition_items  # type: ignore[attr-defined]
        tables.Table._index_items = _index_items  # type: ignore[attr-defined]
        tables.Table.query = query  # type: ignore[method-assign]
        _watch_writes(models, tables)
    _applied["query"] = query is not None
    transact = _rewritten(
        models.DynamoDBBackend.transact_write_items,
        {**vars(models), "_remember": _remember, "_roll_back": _roll_back, "Any": Any},
        [
            (_BACKUP_BEFORE, _BACKUP_AFTER),
            (_REMEMBER_BEFORE, _REMEMBER_AFTER),
            (_ROLLBACK_BEFORE, _ROLLBACK_AFTER),
            (_ROLLBACK_END_BEFORE, _ROLLBACK_END_AFTER),
        ],
    )
    if transact is not None:
        models.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    _applied["transact_write_items"] = transact is not None
    return _applied


def patched_source(function: Callable[..., Any], name: str) -> tuple[str, str]:
    """(moto's source, the patched source) of one function the fixes rewrite."""
    source = inspect.getsource(function)
    replacements = {
        "query": [(_BASE_BEFORE, _BASE_AFTER), (_GSI_BEFORE, _GSI_AFTER)],
        "transact_write_items": [
            (_BACKUP_BEFORE, _BACKUP_AFTER),
            (_REMEMBER_BEFORE, _REMEMBER_AFTER),
            (_ROLLBACK_BEFORE, _ROLLBACK_AFTER),
            (_ROLLBACK_END_BEFORE, _ROLLBACK_END_AFTER),
        ],
    }[name]
    patched = source
    for before, after in replacements:
        patched = patched.replace(before, after, 1)
    return textwrap.dedent(source), textwrap.dedent(patched)


def _rewritten(
    function: Callable[..., Any],
    namespace: dict[str, Any],
    replacements: list[tuple[str, str]],
) -> Callable[..., Any] | None:
    source = inspect.getsource(function)
    for before, after in replacements:
        if source.count(before) != 1:
            return None
        source = source.replace(before, after)
    compiled: dict[str, Any] = {}
    exec(textwrap.dedent(source), namespace, compiled)
    return next(iter(compiled.values()))  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the index
class _Index:
    """For each GSI of a table: hash key values -> {item key: item}; and where each item
    is listed, so that a write moves it."""

    def __init__(self, table: Any) -> None:
        self.items_dict = table.items
        self.partitions: dict[str, dict[tuple[Any, ...], dict[Any, Any]]] = {
            index.name: {} for index in table.global_indexes or []
        }
        self.hash_attrs = {
            index.name: [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            for index in table.global_indexes or []
        }
        self.listed: dict[Any, dict[str, tuple[Any, ...]]] = {}
        for item in table.all_items():
            self.update(_item_key(item), item)

    def update(self, key: Any, item: Any) -> None:
        for name, value in self.listed.pop(key, {}).items():
            partition = self.partitions[name].get(value)
            if partition is not None:
                partition.pop(key, None)
                if not partition:
                    del self.partitions[name][value]
        if item is None:
            return
        where: dict[str, tuple[Any, ...]] = {}
        for name, attrs in self.hash_attrs.items():
            values = tuple(item.attrs.get(a) for a in attrs)
            if all(v is not None for v in values):
                self.partitions[name].setdefault(values, {})[key] = item
                where[name] = values
        if where:
            self.listed[key] = where


def _item_key(item: Any) -> tuple[Any, Any]:
    return (item.hash_key, item.range_key)


def _index_of(table: Any) -> _Index:
    index: _Index | None = table.__dict__.get("_sam_moto_index")
    # A restore or a rollback may replace the table's items wholesale: index them again.
    if index is None or index.items_dict is not table.items:
        index = _Index(table)
        table.__dict__["_sam_moto_index"] = index
    return index


def _partition_items(self: Any, hash_key: Any) -> Iterable[Any]:
    """The base table's items of one partition, in all_items() order."""
    found = self.items.get(hash_key)
    if found is None:
        return []
    if not self.range_key_attr:
        return [found]
    return sorted(found.values(), key=lambda item: item.range_key)


def _index_items(self: Any, index: Any, conditions: dict[str, Any]) -> Iterable[Any]:
    """A GSI's items under the hash key values `conditions` give, in all_items() order
    (moto then sorts them by the index's keys, stably); every item when the conditions do
    not name the index's whole hash key, or for a local index."""
    state = _index_of(self)
    attrs = state.hash_attrs.get(index.name)
    if attrs is None or any(a not in conditions for a in attrs):
        return self.all_items()  # type: ignore[no-any-return]
    found = state.partitions[index.name].get(tuple(conditions[a] for a in attrs), {})
    return sorted(
        found.values(), key=lambda i: (i.hash_key, i.range_key) if i.range_key else i.hash_key
    )


def _watch_writes(models: Any, tables: Any) -> None:
    """Every way an item is written keeps the index: put, delete, update (in place)."""
    put, delete, update = (
        tables.Table.put_item,
        tables.Table.delete_item,
        models.DynamoDBBackend.update_item,
    )

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put(self, *args, **kwargs)
        _index_of(self).update(_item_key(item), item)
        return item

    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        item = delete(self, hash_key, range_key)
        if item is not None:
            _index_of(self).update(_item_key(item), None)
        return item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = update(self, table_name, *args, **kwargs)
        _index_of(self.get_table(table_name)).update(_item_key(item), item)
        return item

    tables.Table.put_item = put_item
    tables.Table.delete_item = delete_item
    models.DynamoDBBackend.update_item = update_item


# ---------------------------------------------------------------- the undo log
def _remember(undo: list[Any], table: Any, key: dict[str, Any], current: Any) -> None:
    shard = table.stream_shard
    undo.append((table, key, copy.deepcopy(current), len(shard.items) if shard is not None else 0))


def _roll_back(undo: list[Any]) -> None:
    """Puts back every item a failed transaction touched, and forgets the stream records
    it wrote: the table is as the transaction found it."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    for table, key, before, stream_length in reversed(undo):
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        if table.range_key_attr:
            partition = table.items[hash_value]
            if before is None:
                partition.pop(range_value, None)
                if not partition:
                    del table.items[hash_value]
            else:
                partition[range_value] = before
        elif before is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = before
        if table.stream_shard is not None:
            del table.stream_shard.items[stream_length:]
        if "_sam_moto_index" in table.__dict__:
            _index_of(table).update((hash_value, range_value), before)
