"""The unsubscribe link's page, and RFC 8058's one-click POST."""

from datetime import datetime

from aws_lambda_powertools.event_handler import Response

from palabre.core.models import Subscription
from palabre.subscriptions.subscriptions import (
    ONE_CLICK,
    Subscriptions,
    SubscriptionView,
    chosen,
)
from palabre.web import Pages


class SubscriptionPages:
    def __init__(self, subscriptions: Subscriptions, pages: Pages) -> None:
        self.subscriptions = subscriptions
        self.pages = pages

    def show(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.subscriptions.open(token, now)
        return self._page(view, path, view.recipient.subscription, saved=False)

    def submit(
        self, token: str, path: str, form: dict[str, list[str]], now: datetime
    ) -> Response[str]:
        view = self.subscriptions.open(token, now)
        if (form.get("List-Unsubscribe") or [""])[-1] == ONE_CLICK.split("=", 1)[1]:
            # A mailbox provider's button: no page, the link's own scope applies, and
            # an older email's button never turns back on what the member stopped.
            self.subscriptions.choose(view, view.recipient.subscription.at_least(view.scope), now)
            return Response(
                status_code=200, content_type="text/plain; charset=utf-8", body="unsubscribed"
            )
        if (choice := chosen(form)) is None:
            return self._page(view, path, view.recipient.subscription, saved=False, status=400)
        self.subscriptions.choose(view, choice, now)
        return self._page(view, path, choice, saved=True)

    def _page(
        self,
        view: SubscriptionView,
        path: str,
        current: Subscription,
        *,
        saved: bool,
        status: int = 200,
    ) -> Response[str]:
        member = view.recipient.member
        return self.pages.render(
            "unsubscribe",
            member.locale,
            status=status,
            first_name=member.first_name or member.display_name,
            current=current.value,
            saved=saved,
            action=path,
        )
