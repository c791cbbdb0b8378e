"""In-memory stand-ins fast enough for 100,000 members: the bench measures our code,
not a fake's linear scans (nor moto's, which re-reads the table for every page)."""

import bisect
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from palabre.dispatch.dispatcher import iso


class MemoryTable:
    """The part of palabre.store.table.Table the scheduler uses: get, query and page."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = {(i["PK"], i["SK"]): i for i in items}
        self.partitions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in sorted(items, key=lambda i: i["SK"]):
            self.partitions[item["PK"]].append(item)
        self.indexes: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for item in items:
            for index in ("GSI1", "GSI2", "GSI3"):
                if f"{index}PK" in item:
                    self.indexes[(index, item[f"{index}PK"])].append((item[f"{index}SK"], item))
        for entries in self.indexes.values():
            entries.sort(key=lambda e: e[0])

    def get(self, key: dict[str, str], **_: Any) -> dict[str, Any] | None:
        return self.items.get((key["PK"], key["SK"]))

    def query(self, partition: str, *, prefix: str = "", **_: Any) -> list[dict[str, Any]]:
        """A base-table Query by sort-key prefix (the items a partition held when built)."""
        return [i for i in self.partitions[partition] if i["SK"].startswith(prefix)]

    def page(
        self,
        partition: str,
        *,
        index: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        entries = self.indexes[(index or "", partition)]
        keys = [e[0] for e in entries]
        position = (
            bisect.bisect_right(keys, start["sk"])
            if start
            else bisect.bisect_left(keys, prefix or "")
        )
        found = []
        while position < len(entries) and len(found) < limit:
            sort_key, item = entries[position]
            if prefix and not sort_key.startswith(prefix):
                break
            found.append(item)
            position += 1
        more = position < len(entries) and (not prefix or keys[position].startswith(prefix))
        return found, ({"sk": keys[position - 1]} if more and found else None)


class MemoryDispatchStore:
    """palabre.dispatch.dispatcher.DispatchStore over dicts (leases always granted: one ticker)."""

    def __init__(self) -> None:
        self.open_themes: dict[str, str] = {}
        self.cursor_items: dict[str, dict[str, Any]] = {}

    def open(self, theme_id: str, next_due: datetime) -> None:
        self.open_themes[theme_id] = iso(next_due)

    def close(self, theme_id: str) -> None:
        self.open_themes.pop(theme_id, None)

    def due(self, now: datetime) -> list[tuple[str, str]]:
        return [(t, due) for t, due in self.open_themes.items() if due <= iso(now)]

    def reschedule(self, theme_id: str, next_due: datetime, seen: str) -> None:
        current = self.open_themes.get(theme_id)
        if current is None or current == seen or current > iso(next_due):
            self.open_themes[theme_id] = iso(next_due)

    def finish(self, theme_id: str, seen: str) -> None:
        if self.open_themes.get(theme_id) == seen:
            del self.open_themes[theme_id]

    def cursors(self, theme_id: str) -> dict[str, dict[str, Any]]:
        prefix = f"{theme_id}#"
        return {
            k.removeprefix(prefix): v for k, v in self.cursor_items.items() if k.startswith(prefix)
        }

    def claim(self, key: dict[str, str], owner: str, until: datetime, now: datetime) -> bool:
        return True

    def advance(
        self, key: dict[str, str], owner: str, *, position: Any, queued: int, lease_until: datetime
    ) -> None:
        name = f"{key['PK'].removeprefix('THEME#')}#{key['SK'].removeprefix('CURSOR#')}"
        cursor = self.cursor_items.setdefault(name, {"queued": 0})
        cursor["queued"] += queued
        if position is None:
            cursor["done"] = True
        else:
            cursor["position"] = json.dumps(position)


class CountingSqs:
    """SendMessageBatch that only counts: the bench measures the scheduler's own work."""

    def __init__(self) -> None:
        self.calls = 0
        self.messages = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        self.messages += len(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}
