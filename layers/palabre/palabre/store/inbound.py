"""What the handling of replies by email keeps (palabre.inbound): which received messages
were handled, and when each sender was last told why a reply was refused."""

from datetime import datetime, timedelta

from palabre.core.models import member_id
from palabre.core.tokens import theme_ref
from palabre.store import keys
from palabre.store.table import ConditionFailed, Table

HANDLED_FOR = timedelta(days=30)
"""SES redelivers within hours, a parked event is replayed within the failure queue's 14
days: a handled message is remembered a little longer"""
NOTICE_EVERY = timedelta(hours=1)
RECENT_PROMPTS = 25
"""how many of a member's latest prompts a reply's theme is looked for in: every theme
still open for them is among them"""


class InboundStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def theme_of(self, member_id: str, reference: str) -> str | None:
        """The theme, among those recently sent to the member, that a reply address names
        by its reference (core.tokens.theme_ref): one Query of their prompts (GSI1)."""
        prompts = self.table.query(
            keys.member_partition(member_id),
            index="GSI1",
            between=(keys.PROMPT_HISTORY, keys.PROMPT_HISTORY_END),
            forward=False,
            limit=RECENT_PROMPTS,
            attributes=("theme_id",),
        )
        for prompt in prompts:
            if theme_ref(str(prompt["theme_id"])) == reference:
                return str(prompt["theme_id"])
        return None

    def handled(self, ses_message_id: str) -> str | None:
        """What became of the message, if it was handled already."""
        item = self.table.get(keys.inbound_mail(ses_message_id), consistent=True)
        return str(item["outcome"]) if item else None

    def record(self, ses_message_id: str, outcome: str, now: datetime) -> None:
        """Once handled (and its email sent): a second delivery of it does nothing more."""
        try:
            self.table.put(
                keys.inbound_mail(ses_message_id)
                | {
                    "outcome": outcome,
                    "at": now.isoformat(),
                    "expires_at": int((now + HANDLED_FOR).timestamp()),
                },
                condition="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            return  # handled by a delivery running beside this one: the same outcome

    def may_explain(self, sender: str, ses_message_id: str, now: datetime) -> bool:
        """Claims the hour's one explanation to `sender` for this message (again for the
        same message, whose first attempt may have failed before its email): one
        conditional write, which expires with the hour."""
        until = int((now + NOTICE_EVERY).timestamp())
        try:
            self.table.put(
                keys.inbound_notice(member_id(sender))
                | {"until": until, "message_id": ses_message_id, "expires_at": until},
                # DynamoDB's TTL deletes late: the condition reads the time itself.
                condition="attribute_not_exists(PK) OR #until <= :now OR #message = :message",
                values={":now": int(now.timestamp()), ":message": ses_message_id},
                names={"#until": "until", "#message": "message_id"},
            )
        except ConditionFailed:
            return False
        return True
