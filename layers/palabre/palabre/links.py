"""The personal links emails carry: signed, opaque, expiring."""

from datetime import datetime, timedelta

from palabre.tokens import Purpose, Signer

# Mail clients may act on List-Unsubscribe long after delivery: a generous lifetime.
UNSUBSCRIBE_LIFETIME = timedelta(days=400)


class Links:
    def __init__(self, base_url: str, signer: Signer) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer

    def answer(self, theme_id: str, member_id: str, expires: datetime) -> str:
        token = self.signer.sign(Purpose.ANSWER, [theme_id, member_id], expires)
        return f"{self.base_url}/answer/{token}"

    def unsubscribe(self, member_id: str, now: datetime) -> str:
        token = self.signer.sign(Purpose.UNSUBSCRIBE, [member_id], now + UNSUBSCRIBE_LIFETIME)
        return f"{self.base_url}/unsubscribe/{token}"
