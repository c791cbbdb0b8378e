"""The pages of members' questions: the ask page of the member's space (GET shows the
form, or their open question and its answers; POST asks and redirects, 303, to the
confirmation, a GET of the same page with `?asked=1`), and an admin's cancel page (GET
asks, POST cancels). GET never writes: a mail scanner may open any of these links."""

import gettext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.core.attribution import byline, shown
from palabre.core.dates import format_date
from palabre.core.i18n import N_, Translatable, translations
from palabre.core.markdown import prompt_html
from palabre.core.models import Answer, readable_in
from palabre.questions.asking import (
    DEADLINE_DAYS,
    QUESTION_LIMIT,
    SEND_AT,
    TITLE_LIMIT,
    AlreadyAsking,
    Asker,
    Asking,
    parse_question,
)
from palabre.questions.cancelling import Cancelling, CancelOutcome, CancelView
from palabre.store.questions import AskedQuestion
from palabre.web import Pages, form_fields, headers

MAX_BODY = 32 * 1024
"""a form at both limits, every character percent-encoded UTF-8, fits"""


class AskPages:
    def __init__(
        self, asking: Asking, pages: Pages, templates_dir: Path, *, threshold: int
    ) -> None:
        self.asking = asking
        self.pages = pages
        self.templates_dir = templates_dir
        self.threshold = threshold
        """the anonymity threshold (core.attribution): the page is one view"""

    def show(self, token: str, path: str, now: datetime, asked: bool = False) -> Response[str]:
        asker = self.asking.open(token, now)
        if asker.refusal is not None:
            return self._refused(asker, token, asker.refusal)
        return self._page(asker, token, path, now, asked=asked)

    def submit(self, token: str, path: str, body: str, now: datetime) -> Response[str]:
        # An invalid link, or a member no longer in the roster: a 404 before anything else
        asker = self.asking.open(token, now, write=True)
        if asker.refusal is not None:
            return self._refused(asker, token, asker.refusal)
        fields = form_fields(body[: MAX_BODY + 1], limit=MAX_BODY + 1)
        title = (fields.get("title") or [""])[-1][: TITLE_LIMIT * 2]
        question = (fields.get("question") or [""])[-1][: QUESTION_LIMIT * 2]
        try:
            if len(body) > MAX_BODY:
                raise Translatable(
                    N_("Your question is %(length)s characters long; the limit is %(limit)s."),
                    length=len(body),
                    limit=QUESTION_LIMIT,
                )
            self.asking.ask(asker, parse_question(fields), now)
        except Translatable as invalid:
            error = invalid.text(self._tr(asker))
            return self._page(
                asker, token, path, now, title=title, question=question, error=error, status=400
            )
        except AlreadyAsking:
            # Asked meanwhile (another window, a double click): the page shows it.
            fresh = self.asking.open(token, now)
            return self._page(fresh, token, path, now, status=409)
        return Response(
            status_code=303,
            headers={**headers(self.templates_dir), "Location": f"{path}?asked=1"},
            body="",
        )

    def _tr(self, asker: Asker) -> gettext.NullTranslations:
        return translations(self.templates_dir, asker.locale)

    def _refused(self, asker: Asker, token: str, reason: str) -> Response[str]:
        return self.pages.render(
            "ask",
            asker.locale,
            status=403,
            token=token,
            first_name=asker.member.first_name,
            refusal=self._tr(asker).gettext(reason),
        )

    def _page(
        self,
        asker: Asker,
        token: str,
        path: str,
        now: datetime,
        *,
        asked: bool = False,
        title: str = "",
        question: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        latest = asker.latest
        is_open = latest is not None and latest.open(now)
        return self.pages.render(
            "ask",
            asker.locale,
            status=status,
            token=token,
            first_name=asker.member.first_name,
            circle=asker.member.circle,
            refusal="",
            asked=asked and is_open,
            latest=self._latest(asker, latest, now) if latest else None,
            can_ask=not is_open,
            action=path,
            title=title,
            question=question,
            error=error,
            title_limit=TITLE_LIMIT,
            question_limit=QUESTION_LIMIT,
            send_at=SEND_AT.strftime("%H:%M"),
        )

    def _latest(self, asker: Asker, latest: AskedQuestion, now: datetime) -> dict[str, Any]:
        """The member's latest question, and the answers they may read of it (one Query)."""
        locale = asker.locale
        readable = [
            a
            for a in map(Answer.model_validate, self.asking.store.answers(latest.theme_id))
            if readable_in(a, asker.member.circle)
        ]
        answers = sorted(shown(readable, self.threshold), key=lambda a: a.created_at)
        return {
            "title": latest.title,
            "send_on": format_date(latest.send_on, "full", locale=locale),
            "last_day": format_date(
                latest.send_on + timedelta(days=DEADLINE_DAYS), "full", locale=locale
            ),
            "open": latest.open(now),
            "cancelled": latest.cancelled,
            "sent": now.astimezone(ZoneInfo(asker.member.timezone)).date() >= latest.send_on,
            "answers": [{"byline": byline(a), "text": a.text} for a in answers],
        }


class CancelPages:
    def __init__(self, cancelling: Cancelling, pages: Pages) -> None:
        self.cancelling = cancelling
        self.pages = pages

    def show(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.cancelling.open(token, now)
        return self._page(view, path, view.outcome(now))

    def cancel(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.cancelling.open(token, now)
        return self._page(view, path, self.cancelling.cancel(view, now))

    def _page(self, view: CancelView, path: str, outcome: CancelOutcome | None) -> Response[str]:
        question = view.question
        return self.pages.render(
            "cancel",
            view.locale,
            # in the asker's language, marked where it is not the admin's
            title=view.theme.title_for(view.locale),
            prompt_html=prompt_html(view.theme, view.locale),
            asker=question.asker_name,
            circle=question.circle,
            send_on=format_date(question.send_on, "full", locale=view.locale),
            outcome=outcome.value if outcome else "",
            action=path,
        )
