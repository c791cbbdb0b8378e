"""Learning of work instead of polling for it: moto runs in this process, so the stack
sees each write that can trigger a function — a message sent to a queue (or made visible
again), an object put in a bucket, a record added to a table's stream — and the pollers
look only where something was written.

The hooks wrap moto's backend methods once per process; every stack's `Changes` hears of
every write (the stacks of a test run share moto's backends, as they share its state).
"""

import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_installed = False
_listeners: "weakref.WeakSet[Changes]" = weakref.WeakSet()


@dataclass
class Written:
    queues: set[str] = field(default_factory=set)
    """queue names"""
    buckets: set[str] = field(default_factory=set)
    tables: Counter[str] = field(default_factory=Counter)
    """tables whose stream has new records: how many"""


class Changes:
    """What was written since the pollers last took it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written = Written()
        install()
        _listeners.add(self)

    def take(self) -> Written:
        with self._lock:
            written, self._written = self._written, Written()
        return written

    def _note(self, kind: str, name: str) -> None:
        with self._lock:
            if kind == "tables":
                self._written.tables[name] += 1
            else:
                getattr(self._written, kind).add(name)


def _tell(kind: str, name: str) -> None:
    for listener in list(_listeners):
        listener._note(kind, name)


def install() -> None:
    """Wraps moto's writes once per process."""
    global _installed
    if _installed:
        return
    from sam_moto import moto_patches, s3_checks

    moto_patches.apply()  # first: a fix replaces SQSBackend.send_message, wrapped below
    s3_checks.install()  # what S3 checks and moto does not: POST policies, copy conditions
    from moto.dynamodb.models.table import StreamShard
    from moto.s3.models import S3Backend
    from moto.sqs.models import SQSBackend

    send, visibility = SQSBackend.send_message, SQSBackend.change_message_visibility
    put_object, add = S3Backend.put_object, StreamShard.add

    def send_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        message = send(self, queue_name, *args, **kwargs)
        _tell("queues", queue_name)
        return message

    def change_message_visibility(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        result = visibility(self, queue_name, *args, **kwargs)
        _tell("queues", queue_name)
        return result

    def put(self: Any, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        stored = put_object(self, bucket_name, *args, **kwargs)
        _tell("buckets", bucket_name)
        return stored

    def add_record(self: Any, old: Any, new: Any) -> None:
        add(self, old, new)
        _tell("tables", self.table.name)

    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign]
    S3Backend.put_object = put  # type: ignore[method-assign]
    StreamShard.add = add_record  # type: ignore[method-assign]
    _installed = True
