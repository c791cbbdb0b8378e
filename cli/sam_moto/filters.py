"""Lambda event filtering (FilterCriteria on an event source mapping), for the patterns
the template uses: exact values, prefix, anything-but, exists, numeric equality."""

from collections.abc import Mapping
from typing import Any


class UnsupportedPattern(ValueError):
    pass


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether `event` (a record, as the function would receive it) passes `pattern`."""
    for key, expected in pattern.items():
        present = isinstance(event, Mapping) and key in event
        value = event.get(key) if isinstance(event, Mapping) else None
        if isinstance(expected, Mapping):
            if not present or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not any(_rule(rule, present, value) for rule in expected):
                return False
        else:
            raise UnsupportedPattern(f"{key}: a pattern's leaves are lists")
    return True


def _rule(rule: Any, present: bool, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return present and (value == rule or (isinstance(value, list) and rule in value))
    ((operator, argument),) = rule.items()
    if operator == "exists":
        return present is bool(argument)
    if not present:
        return False
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if operator == "anything-but":
        if isinstance(argument, Mapping):  # anything-but {prefix: ...}: not emulated
            raise UnsupportedPattern(f"filter operator anything-but {argument!r} is not emulated")
        excluded = argument if isinstance(argument, list) else [argument]
        return value not in excluded
    if operator == "numeric" and argument[0] == "=":
        return float(value) == float(argument[1])
    raise UnsupportedPattern(f"filter operator {operator!r} is not emulated locally")
