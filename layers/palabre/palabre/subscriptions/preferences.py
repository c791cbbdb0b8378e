"""The preferences page of the member's space (`/space/{token}/preferences`): what they
receive (the unsubscribe page's choices) and their absences.

GET only shows (a mail scanner following the link changes nothing). Each POST does one
thing (`action`: receive, add or remove) and answers with a redirect (303) to the page,
`?saved=` telling what was done; refused input shows the page again (400) with what to
fix, and nothing is written."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.core.absences import Absence, added, removed
from palabre.core.dates import format_date
from palabre.core.i18n import N_, Translatable, translations
from palabre.core.links import writer
from palabre.store.members import MemberStore
from palabre.subscriptions.subscriptions import Subscriptions, SubscriptionView, chosen
from palabre.web import Pages, headers

SAVED = ("receive", "added", "removed")
"""what a POST did, as its redirect says it to the page"""
ATTEMPTS = 3
"""times a change of absences is tried over a list changed meanwhile (another tab)"""


class PreferencesPages:
    def __init__(self, subscriptions: Subscriptions, pages: Pages) -> None:
        self.subscriptions = subscriptions
        self.members: MemberStore = subscriptions.members
        self.pages = pages

    def show(self, token: str, path: str, now: datetime, saved: str | None) -> Response[str]:
        view = self.subscriptions.open_space(token, now)
        return self._page(view, token, path, now, saved=saved if saved in SAVED else None)

    def submit(
        self, token: str, path: str, form: dict[str, list[str]], now: datetime
    ) -> Response[str]:
        view = self.subscriptions.open_space(token, now)  # a bad link: 404 before anything
        action = _field(form, "action")
        try:
            if action == "receive":
                choice = chosen(form)
                if choice is None:
                    raise Translatable(N_("Choose one of the options."))
                self.subscriptions.choose(view, choice, now)
                done = "receive"
            elif action in ("add", "remove"):
                # Absences are for a member still in the roster; choosing to receive less
                # (above) stays anyone's right.
                writer(view.recipient.member)
                self._change_absences(view, action, form, now)
                done = "added" if action == "add" else "removed"
            else:
                raise Translatable(N_("This form could not be read: please try again."))
        except Translatable as refused:
            return self._page(
                view,
                token,
                path,
                now,
                error=refused.text(translations(self.pages.templates_dir, _locale(view))),
                failed=action,
                start=_field(form, "from")[:10],
                end=_field(form, "to")[:10],
                status=400,
            )
        return Response(
            status_code=303,
            headers={**headers(self.pages.templates_dir), "Location": f"{path}?saved={done}"},
            body="",
        )

    def _change_absences(
        self, view: SubscriptionView, action: str, form: dict[str, list[str]], now: datetime
    ) -> None:
        recipient = view.recipient
        today = now.astimezone(ZoneInfo(recipient.member.timezone)).date()
        for _ in range(ATTEMPTS):
            if action == "add":
                absences = added(
                    recipient.absences, _field(form, "from"), _field(form, "to"), today
                )
            else:
                absences = removed(recipient.absences, _field(form, "absence"))
            if self.members.declare_absences(recipient, absences, now):
                return
            # Changed meanwhile (another tab): the change applies to the list as it is now.
            recipient = self.members.recipient(recipient.member.id) or recipient
        raise Translatable(N_("Your absences changed meanwhile: please try again."))

    def _page(
        self,
        view: SubscriptionView,
        token: str,
        path: str,
        now: datetime,
        *,
        saved: str | None = None,
        error: str = "",
        failed: str = "",
        start: str = "",
        end: str = "",
        status: int = 200,
    ) -> Response[str]:
        recipient, locale = view.recipient, _locale(view)
        member = recipient.member
        today = now.astimezone(ZoneInfo(member.timezone)).date()
        return self.pages.render(
            "preferences",
            locale,
            status=status,
            token=token,
            action=path,
            first_name=member.first_name or member.display_name,
            current=recipient.subscription.value,
            saved=saved,
            error=error,
            failed=failed,
            start=start,
            end=end,
            absences=[_shown(a, today, locale) for a in recipient.absences],
        )


def _shown(absence: Absence, today: date, locale: str) -> dict[str, Any]:
    return {
        "key": absence.key,
        "start": format_date(absence.start, "full", locale=locale),
        "end": format_date(absence.end, "full", locale=locale),
        "over": absence.end < today,
    }


def _field(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[-1]


def _locale(view: SubscriptionView) -> str:
    return view.recipient.member.locale
