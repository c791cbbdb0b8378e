"""The admin space's deliverability page: work waiting to be retried, in words, with a
Retry button per queue; the last seven days' bounce and complaint rates; the suppressed
addresses, each with a button that allows emails to it again. Every POST is recorded in
the activity log and answered with the page saying what happened."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from babel.numbers import format_decimal, format_percent

from palabre.admin.access import AdminView
from palabre.admin.deliverability import Deliverability, Lifted
from palabre.admin.pages import AdminPages
from palabre.admin.parked import NotRetryable, ParkedWork
from palabre.core.deliverability import MIN_SENDS
from palabre.core.i18n import N_, Translatable, translations
from palabre.core.parked import QUEUES, kind_of, waiting
from palabre.store.activity import Action

PAGE = "admin_deliverability"
NO_NOTICE: dict[str, Any] = {
    "notice": "",
    "error": "",
    "email": "",
    "reason": "",
    "queue": "",
    "moved": 0,
    "failed": 0,
    "more": False,
}
"""what the page says after a POST, when it says nothing"""
FIELD_LIMIT = 320
"""the longest value a field of these forms carries (an address is at most 254)"""


def percent(rate: float, locale: str) -> str:
    """Two decimals at most, spaced as the locale spaces a percentage ("4,03 %")."""
    return format_percent(round(rate, 4), locale=locale, decimal_quantization=False)


def one(form: Mapping[str, Sequence[str]], name: str) -> str:
    """A form's single value for `name` ("" when absent); refused when too long."""
    values = form.get(name) or [""]
    value = values[0]
    if len(values) > 1 or len(value) > FIELD_LIMIT:
        raise Translatable(N_("This form is out of date: reload the page."))
    return value


class DeliverabilityPages:
    def __init__(
        self,
        deliverability: Deliverability,
        parked: ParkedWork,
        pages: AdminPages,
        templates_dir: Path,
    ) -> None:
        self.deliverability = deliverability
        self.parked = parked
        self.pages = pages
        self.activity = pages.activity
        self.templates_dir = templates_dir

    def show(
        self, view: AdminView, now: datetime, *, status: int = 200, **notice: Any
    ) -> Response[str]:
        admin = view.admin
        locale, zone = admin.locale, ZoneInfo(admin.timezone)
        tr = translations(self.templates_dir, locale)
        rates = self.deliverability.rates(now)
        figures = rates.figures
        judged = figures.sends >= MIN_SENDS
        listed, older = self.deliverability.suppressed()
        suppressed = [
            {
                "email": s.email,
                "reason": s.reason,
                "detail": s.detail,
                "at": datetime.fromisoformat(s.at).astimezone(zone),
                "at_iso": s.at,
                "name": s.member.display_name if s.member else "",
            }
            for s in listed
            if s.at
        ]
        queues = [
            {
                "name": q.name,
                "queue": QUEUES.get(q.kind, q.name) if q.kind else q.name,
                "words": waiting(q.kind, q.count, tr),
                "retryable": q.retryable,
            }
            for q in self.parked.queues_now()
            if q.count
        ]
        return self.pages.render(
            view,
            PAGE,
            status=status,
            waiting=queues,
            suppressed=suppressed,
            older=older,
            sends=format_decimal(figures.sends, locale=locale),
            bounces=format_decimal(figures.bounces, locale=locale),
            complaints=format_decimal(figures.complaints, locale=locale),
            bounce_rate=percent(figures.bounce_rate, locale),
            complaint_rate=percent(figures.complaint_rate, locale),
            bounce_high=judged and figures.bounce_rate > rates.bounce_limit,
            complaint_high=judged and figures.complaint_rate > rates.complaint_limit,
            bounce_limit=percent(rates.bounce_limit, locale),
            complaint_limit=percent(rates.complaint_limit, locale),
            ses_bounce=percent(rates.ses_bounce, locale),
            ses_complaint=percent(rates.ses_complaint, locale),
            **(NO_NOTICE | notice),
        )

    def lift(
        self, view: AdminView, form: Mapping[str, Sequence[str]], now: datetime
    ) -> Response[str]:
        """Allows emails to an address again (see Deliverability.lift); a refused request
        shows the page with why (400), nothing changed."""
        try:
            email = one(form, "email").strip().lower()
            consented = one(form, "asked_again") == "yes"
            outcome, reason = self.deliverability.lift(email, one(form, "at"), consented)
        except Translatable as refused:
            tr = translations(self.templates_dir, view.admin.locale)
            return self.show(view, now, status=400, error=refused.text(tr))
        if outcome is Lifted.LIFTED:
            self.activity.record(view.admin, Action.UNSUPPRESS, now, address=email, reason=reason)
        return self.show(view, now, notice=outcome.value, email=email, reason=reason)

    def retry(
        self, view: AdminView, form: Mapping[str, Sequence[str]], now: datetime
    ) -> Response[str]:
        """Sends one queue's parked work back; the page says how much moved, how much
        failed again."""
        tr = translations(self.templates_dir, view.admin.locale)
        try:
            name = one(form, "queue")
            retried = self.parked.retry(name)
        except Translatable as refused:
            return self.show(view, now, status=400, error=refused.text(tr))
        except NotRetryable:
            error = Translatable(N_("This queue cannot be retried from here."))
            return self.show(view, now, status=400, error=error.text(tr))
        if retried.moved or retried.failed:
            self.activity.record(
                view.admin,
                Action.RETRY_DEAD_LETTERS,
                now,
                queue=name,
                moved=retried.moved,
                failed=retried.failed,
            )
        kind = kind_of(name)
        return self.show(
            view,
            now,
            notice="retried",
            queue=QUEUES.get(kind, name) if kind else name,
            moved=retried.moved,
            failed=retried.failed,
            more=retried.more,
        )
