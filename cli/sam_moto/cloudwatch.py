"""The metrics AWS publishes to CloudWatch by itself, published to moto's CloudWatch on the
stack's clock, with the namespaces, names and dimensions AWS uses — so that every alarm of
the template has a metric the tests see move:

- Lambda: `Errors` of each failed invocation (each attempt, as Lambda counts them), and
  `IteratorAge` of each stream batch (how long its last record waited to be read);
- SQS, as time passes (every stack minute at most): `ApproximateNumberOfMessagesVisible`
  and `ApproximateAgeOfOldestMessage` of each queue;
- API Gateway (HTTP API): `5xx` of each server error it answers.

Only what is not zero is published (AWS publishes the zeros too): the alarms treat missing
data as not breaching, and a stack where all is well pays nothing for this.
"""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sam_moto.clock import LocalClock
from sam_moto.peek import Peek
from sam_moto.provision import Function, Provisioned
from sam_moto.runtime import Invocation

QUEUE_PERIOD = timedelta(minutes=1)
"""SQS publishes its queues' metrics every minute"""
_BATCH = 1000
"""the most datums one PutMetricData takes"""


class CloudWatch:
    def __init__(
        self,
        provisioned: Provisioned,
        client: Callable[[str], Any],
        clock: LocalClock,
        peek: Peek,
    ) -> None:
        self.provisioned = provisioned
        self.client = client
        self.clock = clock
        self.peek = peek
        self._lock = threading.Lock()
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._queues_published: datetime | None = None

    def _add(
        self, namespace: str, name: str, dimensions: dict[str, str], value: float, unit: str
    ) -> None:
        datum = {
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Timestamp": self.clock(),
            "Value": value,
            "Unit": unit,
        }
        with self._lock:
            self._pending.setdefault(namespace, []).append(datum)

    # ------------------------------------------------------------------ what AWS sees
    def invoked(self, function: Function, invocation: Invocation) -> None:
        if invocation.error is not None:
            self._add("AWS/Lambda", "Errors", {"FunctionName": function.name}, 1, "Count")

    def stream_batch(self, function_id: str, records: list[dict[str, Any]]) -> None:
        """A batch read from a stream: its last record's age, in milliseconds."""
        created = records[-1]["dynamodb"].get("ApproximateCreationDateTime")
        if created is None:
            return
        age = self.clock() - self.clock.shown_at(float(created))
        milliseconds = max(0.0, age.total_seconds() * 1000)
        if milliseconds:
            name = self.provisioned.functions[function_id].name
            self._add(
                "AWS/Lambda", "IteratorAge", {"FunctionName": name}, milliseconds, "Milliseconds"
            )

    def api_response(self, api_id: str, status: int) -> None:
        if status >= 500:
            self._add("AWS/ApiGateway", "5xx", {"ApiId": api_id}, 1, "Count")

    def time_passed(self) -> None:
        """What SQS publishes every minute, if a minute of the stack's clock has passed."""
        now = self.clock()
        if self._queues_published is not None and now - self._queues_published < QUEUE_PERIOD:
            return
        self._queues_published = now
        for logical_id, queue in self.provisioned.queues.items():
            visible, oldest = self.peek.queue_state(queue.url)
            name = self.provisioned.attributes[(logical_id, "QueueName")]
            if visible:
                self._add(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": name},
                    visible,
                    "Count",
                )
            if oldest is not None:
                age = (now - self.clock.shown_at(oldest)).total_seconds()
                if age >= 1:
                    self._add(
                        "AWS/SQS",
                        "ApproximateAgeOfOldestMessage",
                        {"QueueName": name},
                        int(age),
                        "Seconds",
                    )

    # ------------------------------------------------------------------ publishing
    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for namespace, data in pending.items():
            for start in range(0, len(data), _BATCH):
                self.client("cloudwatch").put_metric_data(
                    Namespace=namespace, MetricData=data[start : start + _BATCH]
                )
