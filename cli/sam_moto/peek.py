"""Looks into moto's in-process state for what the AWS API does not say: when a received
message becomes visible again, and what SES was asked to send (the mailbox). The work
itself always goes through the API, as Lambda's pollers would.
"""

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

    def sent_messages(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return ses_backends[ACCOUNT][self.region].sent_messages
