"""Cheap looks into moto's in-process state, so that waiting for work costs nothing.

moto runs in this process (its server is a thread). Before polling a bucket, a queue or
a stream through the AWS API — an HTTP request each, thousands of times when the clock
jumps a week — the stack asks moto directly whether anything changed. The work itself
always goes through the API, as Lambda's pollers would.
"""

from typing import Any

from sam_moto.provision import ACCOUNT


class Peek:
    def __init__(self, region: str) -> None:
        self.region = region

    def object_versions(self, bucket: str) -> int:
        from moto.s3.models import s3_backends

        store = s3_backends[ACCOUNT]["aws"].buckets[bucket].keys
        return sum(len(versions) for _, versions in store.iterlists())

    def visible_messages(self, queue_url: str) -> int:
        from moto.sqs.models import sqs_backends

        name = queue_url.rsplit("/", 1)[1]
        return sqs_backends[ACCOUNT][self.region].get_queue(name).approximate_number_of_messages

    def message_visible_at(self, queue_url: str, message_id: str) -> float | None:
        """Epoch seconds when a received message becomes visible again (None if gone)."""
        from moto.sqs.models import sqs_backends

        name = queue_url.rsplit("/", 1)[1]
        queue: Any = sqs_backends[ACCOUNT][self.region].get_queue(name)
        held = next((m for m in queue._messages if m.id == message_id), None)
        return None if held is None else held.visible_at / 1000

    def stream_records(self, table: str) -> int:
        from moto.dynamodb.models import dynamodb_backends

        shard = dynamodb_backends[ACCOUNT][self.region].tables[table].stream_shard
        return 0 if shard is None else len(shard.items)

    def sent_messages(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return ses_backends[ACCOUNT][self.region].sent_messages
