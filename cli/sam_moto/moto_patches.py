"""Fixes to moto's speed, not to its behaviour, applied when the local stack starts.

moto 5.2.5 makes two DynamoDB operations cost the size of the whole table, and SQS cost
the size of the queue per message:

- `Table.query` walks `all_items()` (every item of the table, sorted) for every Query,
  of the base table as well as of a GSI, and keeps those of the partition asked for. With
  one table for everything, a Query's cost grew with the organisation's history. The fix
  keeps an index per partition — the base table's own items dict, and for each GSI a map
  from its hash key to its items — and hands the query exactly the items moto would have
  kept; everything after (sorting, ranges, paging, filters, projections) is moto's code,
  unchanged. It also remembers each queried partition in the order moto sorts it, until
  the partition is written, and moto's sort is skipped for a remembered order (a
  sublist of a sorted list is sorted): a page of a 20,000-item partition no longer
  compares 20,000 DynamoTypes to sort what was sorted.
- `transact_write_items` deep-copies each table it touches (stream records included)
  before applying a transaction, to roll back on failure. The fix keeps an undo log of
  the items the transaction touches instead: the same rollback, without the copy.
- Every DynamoDB response serialises each attribute value through moto's generic
  serializer, which looks for each of the shape's ten members under six aliases. The fix
  reads an attribute value's members straight from its dict.
- An update expression's clause counts and overlapping paths are checked at each node of
  its tree, over the node's subtree: quadratic in its actions. The fix checks the root,
  and walks the tree as moto does only to raise moto's own error.
- Each update is validated on a copy of its expression's tree made by copy.deepcopy's
  generic machinery; the fix copies the tree node by node (a node is its type, parent and
  children), the leaves still by deepcopy.
- Each processor of that tree asks at every node, through ABCMeta's slow isinstance,
  whether it is a node and whether it handles it; the fix remembers both answers per
  node class.
- An update expression is parsed twice per update, and a condition lexed with a dozen
  patterns compiled per token; the fix remembers both by the expression's text.
- An item's size is summed again for each attribute it is made with. The fix keeps the
  running sum, and refuses an item past 400 KB exactly where moto did.
- A projection converts the whole item to plain JSON once per path it names; the fix
  converts it once per item.
- A response class's methods (inspect.getmembers) are listed again for each request,
  and moto's server finds each request's backend by listing moto's package folder and
  matching a few hundred URL patterns. The fix remembers both.
- SES parses a whole raw message, every part and body, to read four of its headers; the
  fix parses its headers only.
- SQS reads `Queue.attributes`, which counts every message of the queue, for each message
  sent and received, and a receive lists every visible message to take ten. The fix reads
  the one attribute it needs, and takes the first visible messages as it walks.

Each fix rewrites a few lines of moto's own source, found by exact text: if moto's code
changes, `apply()` says so and the stack runs on moto as it is. docs/moto-query-index.md
holds the query fix as a patch against moto, with a note, ready to propose upstream;
tests/functional/test_moto_patches.py holds each patched operation to the unpatched one.
"""

import contextlib
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
            candidates = self._index_items(index, all_hash_conditions)
            for item in candidates:"""
# The candidates of a remembered order are already as the query sorts them (a sublist of
# a sorted list is sorted): sorting them again per page cost a DynamoType comparison per
# item, the most of a paged Query of a large partition.
_SORT_BEFORE = """        if index_name:
            possible_results = self.sorted_items(
                hash_attrs, range_attrs, possible_results
            )
        else:
            possible_results.sort(key=lambda item: item.range_key)  # type: ignore"""
_SORT_AFTER = """        if index_name:
            if not isinstance(candidates, _Sorted):
                possible_results = self.sorted_items(
                    hash_attrs, range_attrs, possible_results
                )
        else:
            pass  # _partition_items gives them sorted by range key"""

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

# ---------------------------------------------------------------- SQS: no count per message
# Queue.attributes counts every message of the queue (visible, delayed, in flight); moto
# reads it once per message sent (for one FIFO attribute) and once per message received
# (for the retention period), so a queue of n messages cost n² to fill and to empty.
_DEDUPLICATION_BEFORE = (
    """        if queue.attributes.get("ContentBasedDeduplication") == "true":"""
)
_DEDUPLICATION_AFTER = (
    """        if queue.fifo_queue and str(queue.content_based_deduplication).lower() == "true":"""
)
_RETENTION_BEFORE = """        retention_period = self.get_queue_attributes(
            queue_name, ["MessageRetentionPeriod"]
        )["MessageRetentionPeriod"]"""
_RETENTION_AFTER = (
    """        retention_period = self.get_queue(queue_name).message_retention_period"""
)
# A receive walked the list of every visible message to take its first ten.
_RECEIVE_BEFORE = """            for message in queue.messages:"""
_RECEIVE_AFTER = """            for message in (
                m for m in queue._messages if m.visible and not m.delayed
            ):"""

# An item's size was summed again for each attribute it was made with: quadratic in its
# attributes (and in the members of its sets). The fix keeps the running sum.
_ITEM_SIZE_BEFORE = """        self.attrs = LimitedSizeDict()
        for key, value in attrs.items():
            self.attrs[key] = DynamoType(value)"""
_ITEM_SIZE_AFTER = """        self.attrs = LimitedSizeDict()
        size = 0
        for key, value in attrs.items():
            converted = DynamoType(value)
            size += bytesize(key) + converted.size()
            if size > 405000:
                raise ItemSizeTooLarge
            dict.__setitem__(self.attrs, key, converted)"""

# A projection converted the whole item to plain JSON again for each of its paths: 13
# paths of a 28-attribute item, 500 items a page, cost the library's Query 200 ms. The
# fix converts it once; each path still reads that conversion as moto's code does (what
# merge_dicts writes back into it is the value already there).
_PROJECT_BEFORE = """        for expr in projection_expressions:
            x = find_nested_key(expr, self.to_regular_json())"""
_PROJECT_AFTER = """        regular = self.to_regular_json()
        for expr in projection_expressions:
            x = find_nested_key(expr, regular)"""

# SES parsed the whole MIME message (every part, every body) to read four headers.
_RAW_EMAIL_BEFORE = """        message = email.message_from_string(raw_data)"""
_RAW_EMAIL_AFTER = """        message = HeaderParser().parsestr(raw_data)"""

FIXES: dict[str, list[tuple[str, str]]] = {
    "query": [(_BASE_BEFORE, _BASE_AFTER), (_GSI_BEFORE, _GSI_AFTER), (_SORT_BEFORE, _SORT_AFTER)],
    "transact_write_items": [
        (_BACKUP_BEFORE, _BACKUP_AFTER),
        (_REMEMBER_BEFORE, _REMEMBER_AFTER),
        (_ROLLBACK_BEFORE, _ROLLBACK_AFTER),
        (_ROLLBACK_END_BEFORE, _ROLLBACK_END_AFTER),
    ],
    "send_message": [(_DEDUPLICATION_BEFORE, _DEDUPLICATION_AFTER)],
    "receive_message": [(_RECEIVE_BEFORE, _RECEIVE_AFTER)],
    "is_message_valid_based_on_retention_period": [(_RETENTION_BEFORE, _RETENTION_AFTER)],
    "Item.__init__": [(_ITEM_SIZE_BEFORE, _ITEM_SIZE_AFTER)],
    "Item.project": [(_PROJECT_BEFORE, _PROJECT_AFTER)],
    "send_raw_email": [(_RAW_EMAIL_BEFORE, _RAW_EMAIL_AFTER)],
}
"""each fix: the exact lines of moto it replaces, and by what"""

_applied: dict[str, bool] = {}
originals: dict[str, Callable[..., Any]] = {}
"""moto's own functions, as they were before apply() (the property tests compare)"""


def _targets() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Each fix's class in moto, and the namespace its rewritten source runs in (a fix
    named Class.method names its method after the dot)."""
    from email.parser import HeaderParser

    from moto.dynamodb import models
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models import table as tables
    from moto.ses import models as ses
    from moto.sqs import models as sqs

    return {
        "Item.__init__": (dynamo_type.Item, vars(dynamo_type)),
        "Item.project": (dynamo_type.Item, vars(dynamo_type)),
        "query": (tables.Table, {**vars(tables), "_Sorted": _Sorted}),
        "transact_write_items": (
            models.DynamoDBBackend,
            {**vars(models), "_remember": _remember, "_roll_back": _roll_back, "Any": Any},
        ),
        "send_message": (sqs.SQSBackend, vars(sqs)),
        "receive_message": (sqs.SQSBackend, vars(sqs)),
        "is_message_valid_based_on_retention_period": (sqs.SQSBackend, vars(sqs)),
        "send_raw_email": (ses.SESBackend, {**vars(ses), "HeaderParser": HeaderParser}),
    }


def apply() -> dict[str, bool]:
    """Patches moto once; says which fix took (False: moto's code is no longer the one
    the fix knows, and that operation runs as moto wrote it)."""
    if _applied:
        return _applied
    from moto.dynamodb import models
    from moto.dynamodb.models import table as tables

    for name, (owner, namespace) in _targets().items():
        attribute = name.rpartition(".")[2]
        originals[name] = getattr(owner, attribute)
        rewritten = _rewritten(originals[name], namespace, FIXES[name])
        if rewritten is not None:
            setattr(owner, attribute, rewritten)
        _applied[name] = rewritten is not None
    if _applied["query"]:
        tables.Table._partition_items = _partition_items  # type: ignore[attr-defined]
        tables.Table._index_items = _index_items  # type: ignore[attr-defined]
        _watch_writes(models, tables)
    _applied["attribute_values"] = _serialize_attribute_values_directly()
    _applied["update_validation"] = _validate_whole_update_expressions_once()
    _applied["lookups"] = _remember_lookups()
    _applied["update_tree_copy"] = _copy_update_trees_structurally()
    _applied["tree_walk"] = _walk_trees_knowing_node_types()
    _applied["parsed_expressions"] = _remember_parsed_expressions()
    _applied["mixed_comparisons"] = _compare_mixed_types_as_false()
    return _applied


def _compare_mixed_types_as_false() -> bool:
    """DynamoDB compares a string with a number (`<`, `<=`, `>`, `>=` in a condition) as
    false: the condition fails. moto compares the Python values and raises TypeError, a
    500 to the caller (found by the table contract's random sequences, where one item's
    lease is an ISO string and another's epoch seconds)."""
    import importlib

    comparisons: Any = importlib.import_module("moto.dynamodb.comparisons")
    names = ("OpLessThan", "OpGreaterThan", "OpLessThanOrEqual", "OpGreaterThanOrEqual")
    if not all(hasattr(getattr(comparisons, n, None), "expr") for n in names):
        return False
    classes: list[Any] = [getattr(comparisons, n) for n in names]
    for cls in classes:
        compared = cls.expr

        def expr(self: Any, item: Any, _compared: Callable[..., bool] = compared) -> bool:
            try:
                return _compared(self, item)
            except TypeError:
                return False

        cls.expr = expr
    return True


def _serialize_attribute_values_directly() -> bool:
    """moto serialises each DynamoDB attribute value (`{"S": "..."}`) by asking, for each
    of the ten members of the AttributeValue shape, six alias providers where its value
    might be; 85% of a GetItem's time. An attribute value is a dict of member names:
    when it is nothing else, its members are read from it directly and each is
    serialised by moto's own code, as before."""
    from moto.core.serialize import BaseJSONSerializer

    structure = BaseJSONSerializer._serialize_type_structure
    originals["attribute_values"] = structure

    def _serialize_type_structure(
        self: Any, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        if (
            shape.name != "AttributeValue"
            or type(value) is not dict
            or not value.keys() <= shape.members.keys()
            or self._value_picker.response_transformers
        ):
            structure(self, serialized, value, shape, key)
            return
        wrapper: Any = self.MAP_TYPE() if key else serialized
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape
            member_value = value.get(member_key)
            if member_value is not None:
                self._serialize(wrapper, member_value, member_shape, member_key)
        if key:
            self._default_serialize(serialized, wrapper, shape, key)

    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
    return True


def _validate_whole_update_expressions_once() -> bool:
    """moto checks an update expression's clause counts and overlapping paths at every
    node of its tree, each time over the node's whole subtree: quadratic in the number of
    actions. Every subtree's actions are among the root's, so when the root passes, every
    node passes: check the root; when it fails, walk as moto does, for moto's own error."""
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.parsing.validators import ActionCountValidator, OverlappingPathsValidator

    for validator in (ActionCountValidator, OverlappingPathsValidator):
        walk = validator.traverse
        originals[f"{validator.__name__}.traverse"] = walk

        def traverse(self: Any, node: Any, walk: Callable[..., Any] = walk) -> Any:
            try:
                self.process(node)
            except MockValidationException:
                return walk(self, node)
            return node

        validator.traverse = traverse
    return True


def _copy_update_trees_structurally() -> bool:
    """Each update is validated on a deep copy of its expression's tree, made by
    copy.deepcopy's generic machinery (a third of a score transaction's time). A tree's
    nodes hold only their type, parent and children: the copy is made node by node, the
    leaves' values still deep-copied by copy.deepcopy."""
    import importlib

    validators: Any = importlib.import_module("moto.dynamodb.parsing.validators")
    generic = validators.deepcopy
    originals["update_tree_copy"] = generic
    node_type: Any = validators.Node

    def clone(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if not isinstance(value, node_type) or set(vars(value)) != {"type", "children", "parent"}:
            return generic(value, memo)
        copied: Any = object.__new__(type(value))
        vars(copied).update(type=value.type, parent=value.parent, children=None)
        if value.children is not None:
            copied.children = [clone(child) for child in value.children]
            for child in copied.children:
                if isinstance(child, node_type):
                    child.parent = copied
        return copied

    validators.deepcopy = clone
    return True


def _walk_trees_knowing_node_types() -> bool:
    """Ten processors walk each update's tree, and at every node moto asks twice whether
    it is an instance of an abstract class (a slow isinstance through ABCMeta): is it a
    node, and does this processor handle it. The answers depend only on the node's class:
    each processor remembers them. The walk is moto's otherwise, step for step."""
    import importlib

    ast_nodes: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes")
    traverser, node_type = ast_nodes.DepthFirstTraverser, ast_nodes.Node
    originals["tree_walk"] = traverser.traverse_node_recursively
    is_node: dict[type, bool] = {}

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        kind = type(node)
        known = is_node.get(kind)
        if known is None:
            known = is_node[kind] = isinstance(node, node_type)
        if not known:
            return node
        parent_node = node.parent
        if node.children is not None:
            for i, child_node in enumerate(node.children):
                self.pre_processing_of_child(node, i)
                self.traverse_node_recursively(child_node, i)
        handled: dict[type, bool] | None = self.__dict__.get("_sam_moto_handled")
        if handled is None:
            handled = self.__dict__["_sam_moto_handled"] = {}
        hit = handled.get(kind)
        if hit is None:
            hit = handled[kind] = isinstance(node, self.nodes_to_be_processed())
        if hit:
            node = self.process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    traverser.traverse_node_recursively = traverse_node_recursively
    return True


_PARSED_KEPT = 4096
"""expressions remembered, of each kind (the score stream writes a few hundred shapes)"""


def _remember_parsed_expressions() -> bool:
    """moto parses an update expression twice per update (once to check its names, once
    to run it) and lexes a condition token by token, compiling a dozen patterns per
    token. Both depend on the expression's text alone: each is remembered by its text.
    The parsed update tree is only read (each validation works on its own copy, see
    update_tree_copy), and the lexed tokens are immutable tuples, handed out in a fresh
    deque each time; an expression moto refuses raises each time, as before."""
    import importlib
    from collections import deque

    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")
    comparisons: Any = importlib.import_module("moto.dynamodb.comparisons")
    parser, conditions = expressions.UpdateExpressionParser, comparisons.ConditionExpressionParser
    make, lex = parser.make.__func__, conditions._lex_condition_expression
    originals["parsed_expressions"] = make
    originals["lexed_conditions"] = lex
    trees: dict[str, Any] = {}
    tokens: dict[str, tuple[Any, ...]] = {}

    def parsed(cls: Any, expression_str: str) -> Any:
        tree = trees.get(expression_str)
        if tree is None or cls is not parser:
            tree = make(cls, expression_str)
            if cls is parser:
                if len(trees) >= _PARSED_KEPT:
                    trees.clear()
                trees[expression_str] = tree
        return tree

    def lexed(self: Any) -> Any:
        text = self.condition_expression
        found = tokens.get(text)
        if found is None:
            found = tuple(lex(self))
            if len(tokens) >= _PARSED_KEPT:
                tokens.clear()
            tokens[text] = found
        return deque(found)

    parser.make = classmethod(parsed)
    conditions._lex_condition_expression = lexed
    return True


def _remember_lookups() -> bool:
    """The methods of a response class (inspect.getmembers), which moto lists again for
    each request although they never change. (The node types each expression processor
    handles are remembered by tree_walk, per node class.)"""
    import functools

    from moto.core import responses, utils

    originals["method_names_from_class"] = utils.method_names_from_class
    responses.method_names_from_class = functools.cache(utils.method_names_from_class)  # type: ignore[attr-defined]
    _remember_backends_by_host()
    return True


_HOSTS_KEPT = 256


def _remember_backends_by_host() -> None:
    """moto's server finds the backend of each request's host by listing moto's package
    folder (a listdir and an isdir per service) and then matching a few hundred URL
    patterns, for every request. Neither changes while it runs: the answer is remembered
    per host (a tenth of the stack's time while it streams history)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    find = DomainDispatcherApplication.get_backend_for_host
    originals["get_backend_for_host"] = find
    known: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in known:
            if len(known) >= _HOSTS_KEPT:  # hosts come from requests: keep a bounded few
                known.clear()
            known[host] = find(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


def _replaced(source: str, replacements: list[tuple[str, str]]) -> str | None:
    """`source` with each `before` replaced by its `after`; None unless each `before` is
    there exactly once (moto's code is no longer the one the fix knows)."""
    for before, after in replacements:
        if source.count(before) != 1:
            return None
        source = source.replace(before, after)
    return source


def _rewritten(
    function: Callable[..., Any],
    namespace: dict[str, Any],
    replacements: list[tuple[str, str]],
) -> Callable[..., Any] | None:
    source = _replaced(inspect.getsource(function), replacements)
    if source is None:
        return None
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
        self.ordered: dict[tuple[str | None, Any], list[Any]] = {}
        """each queried partition's items in the order the query sorts them, until a write
        to the partition (None: the base table's)"""
        for item in table.all_items():
            self.update(_item_key(item), item)

    def update(self, key: Any, item: Any) -> None:
        self.ordered.pop((None, key[0]), None)
        for name, value in self.listed.pop(key, {}).items():
            self.ordered.pop((name, value), None)
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
                self.ordered.pop((name, values), None)
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
    """The base table's items of one partition, in all_items() order (remembered until
    the partition is written: moto's query sorts them again, in linear time when sorted)."""
    found = self.items.get(hash_key)
    if found is None:
        return []
    if not self.range_key_attr:
        return [found]
    ordered = _index_of(self).ordered
    cached = ordered.get((None, hash_key))
    if cached is None:
        cached = ordered[None, hash_key] = sorted(found.values(), key=lambda i: i.range_key)
    return list(cached)  # the query reverses its list in place


def _index_items(self: Any, index: Any, conditions: dict[str, Any]) -> Iterable[Any]:
    """A GSI's items under the hash key values `conditions` give, sorted as moto's query
    then sorts them from all_items() order (so its stable sort finds them in order and
    leaves them so); every item when the conditions do not name the index's whole hash
    key, or for a local index. The order is remembered until the partition is written."""
    state = _index_of(self)
    attrs = state.hash_attrs.get(index.name)
    if attrs is None or any(a not in conditions for a in attrs):
        return self.all_items()  # type: ignore[no-any-return]
    values = tuple(conditions[a] for a in attrs)
    cached = state.ordered.get((index.name, values))
    if cached is None:
        found = state.partitions[index.name].get(values, {})
        cached = sorted(
            found.values(), key=lambda i: (i.hash_key, i.range_key) if i.range_key else i.hash_key
        )
        # An item without a key of the index raises before any move: moto's query sorts
        # (and raises) as it did.
        with contextlib.suppress(KeyError, TypeError):
            cached = _Sorted(self.sorted_items(*_sort_attrs(self, index), cached))
        state.ordered[index.name, values] = cached
    # A copy: the query reverses its list in place. Sorted, its order is the query's own.
    return _Sorted(cached) if isinstance(cached, _Sorted) else list(cached)


class _Sorted(list[Any]):
    """A GSI partition's items in the order moto's query sorts them (it need not again)."""


def _sort_attrs(table: Any, index: Any) -> tuple[list[str], list[str | None]]:
    """The attributes moto's query sorts a GSI's items by (its hash_attrs, range_attrs)."""
    hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if range_keys:
        range_attrs: list[str | None] = [*range_keys, table.range_key_attr]
    elif table.range_key_attr:
        range_attrs = [table.range_key_attr, table.range_key_attr]
    else:
        range_attrs = [table.hash_key_attr, table.range_key_attr]
    return [*hash_keys, table.hash_key_attr], range_attrs


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
