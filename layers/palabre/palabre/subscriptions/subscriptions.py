"""What a member still wants to receive. The unsubscribe link shows the
choices (everything, no digests, nothing at all); a one-click POST (RFC 8058) applies the
link's own scope without any page; the same page subscribes again. The preferences page
of the member's space offers the same choices, and the member's absences."""

from dataclasses import dataclass
from datetime import datetime

from palabre.core.models import Subscription
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.members import MemberStore, Recipient
from palabre.store.table import Table

ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class SubscriptionView:
    recipient: Recipient
    scope: Subscription
    """what the email the link came from is about: a digest, or everything"""


class Subscriptions:
    def __init__(self, table: Table, signer: Signer) -> None:
        self.members = MemberStore(table)
        self.signer = signer

    def open(self, token: str, now: datetime) -> SubscriptionView:
        claims = self.signer.verify(Purpose.UNSUBSCRIBE, token, now)
        if len(claims.ids) not in (1, 2):
            raise InvalidToken
        member, *rest = claims.ids
        try:
            scope = Subscription(rest[0]) if rest else Subscription.NOTHING
        except ValueError:  # a scope this version does not know
            raise InvalidToken from None
        recipient = self.members.recipient(self.signer.member(member, Purpose.UNSUBSCRIBE))
        if recipient is None:
            raise InvalidToken
        return SubscriptionView(recipient=recipient, scope=scope)

    def open_space(self, token: str, now: datetime) -> SubscriptionView:
        """The member behind a space link (purpose `space`): every choice is theirs."""
        recipient = self.members.recipient(self.signer.member_of(token, now))
        if recipient is None:
            raise InvalidToken
        return SubscriptionView(recipient=recipient, scope=Subscription.NOTHING)

    def choose(self, view: SubscriptionView, choice: Subscription, now: datetime) -> None:
        self.members.choose(view.recipient.member.id, choice, now)


def chosen(form: dict[str, list[str]]) -> Subscription | None:
    """The choice a form sent (None: none, or not one of the choices)."""
    try:
        return Subscription((form.get("choice") or [""])[-1])
    except ValueError:
        return None
