"""Looks into moto's in-process state for what the AWS API does not say: when a received
message becomes visible again, and what SES was asked to send (the mailbox); and reads a
stream's records where moto keeps them. The rest of the work goes through the API, as
Lambda's pollers would.

Stream records are read from moto's shard rather than through GetRecords: a page of
GetRecords serialised every record's images and botocore parsed them again, a fifth of the
stack's time while history streamed, for records that filter criteria mostly drop (the
score stream's own updates of large standings). The records are GetRecords' own, as its
response carries them.
"""

import copy
from typing import Any

from sam_moto.provision import ACCOUNT


class Peek:
    def __init__(self, region: str) -> None:
        self.region = region

    def message_visible_at(self, queue_url: str, message_id: str) -> float | None:
        """Epoch seconds when a received message becomes visible again (None if gone)."""
        from moto.sqs.models import sqs_backends

        name = queue_url.rsplit("/", 1)[1]
        queue: Any = sqs_backends[ACCOUNT][self.region].get_queue(name)
        held = next((m for m in queue._messages if m.id == message_id), None)
        return None if held is None else held.visible_at / 1000

    def queue_state(self, queue_url: str) -> tuple[int, float | None]:
        """How many messages are visible, and when (epoch seconds) the oldest message still
        in the queue was sent (None if it is empty): what SQS publishes every minute."""
        from moto.sqs.models import sqs_backends

        name = queue_url.rsplit("/", 1)[1]
        queue: Any = sqs_backends[ACCOUNT][self.region].get_queue(name)
        messages = list(queue._messages)
        visible = sum(1 for m in messages if m.visible)
        oldest = min((m.sent_timestamp for m in messages), default=None)
        return visible, None if oldest is None else oldest / 1000

    def delayed_messages(self, queue_url: str) -> list[tuple[str, float]]:
        """The queue's messages still delayed (DelaySeconds), with the seconds left."""
        from moto.core.utils import unix_time_millis
        from moto.sqs.models import sqs_backends

        name = queue_url.rsplit("/", 1)[1]
        queue: Any = sqs_backends[ACCOUNT][self.region].get_queue(name)
        now = unix_time_millis()
        return [
            (m.id, (m.delayed_until - now) / 1000) for m in queue._messages if m.delayed_until > now
        ]

    def end_delay(self, queue_url: str, message_id: str) -> None:
        """The message shows now (its delay is over on the stack's clock)."""
        from moto.sqs.models import sqs_backends

        name = queue_url.rsplit("/", 1)[1]
        queue: Any = sqs_backends[ACCOUNT][self.region].get_queue(name)
        for message in queue._messages:
            if message.id == message_id:
                message.delayed_until = 0

    def sent_messages(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return ses_backends[ACCOUNT][self.region].sent_messages

    def stream_records(
        self, stream_arn: str, after: str | None, limit: int
    ) -> tuple[str, list[Any]]:
        """The stream's shard, and up to `limit` of its records after sequence number
        `after` (from its oldest when None), as GetRecords returns them. moto's own: read,
        never change them (see `owned`)."""
        from moto.dynamodb.models import dynamodb_backends

        table_name = stream_arn.split(":", 5)[5].split("/")[1]
        table: Any = dynamodb_backends[ACCOUNT][self.region].get_table(table_name)
        shard = table.stream_shard
        if shard is None:
            return "", []
        start = 0 if after is None else int(after) + 1 - shard.starting_sequence_number
        return shard.id, [record.to_json() for record in shard.items[start : start + limit]]


def owned(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stream record that its reader may change (moto keeps the original)."""
    return copy.deepcopy(record)
