"""The answer form, its thank-you page and its read-only page, in the member's language.

A saved answer is answered with a redirect (303 See Other) to the thank-you page, shown by
a GET of the same link with `?saved=created|edited`: refreshing it shows it again, where
refreshing a POST's page would send the form again and find the answer changed meanwhile.
"""

import gettext
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from babel.dates import get_timezone_location

from palabre.answers.answers import (
    MAX_ANSWER,
    Answers,
    AnswerView,
    Closed,
    EditedMeanwhile,
    parse_form,
)
from palabre.core.dates import format_date
from palabre.core.i18n import N_, Translatable, translations
from palabre.core.links import Links
from palabre.core.local_time import deadline_day
from palabre.core.markdown import prompt_html
from palabre.core.models import ThemeKind
from palabre.core.points import FAST_BONUS
from palabre.live.session import live_session
from palabre.web import Pages, form_fields, headers

MAX_BODY = 64 * 1024
CREATED, EDITED = "created", "edited"
SAVED = (CREATED, EDITED)
"""the thank-you page's `saved` query parameter"""


class AnswerPages:
    def __init__(
        self, answers: Answers, pages: Pages, templates_dir: Path, *, threshold: int
    ) -> None:
        """`threshold`: the anonymity threshold, which the form tells an anonymous author."""
        self.answers = answers
        self.pages = pages
        self.templates_dir = templates_dir
        self.threshold = threshold

    def show(self, token: str, path: str, now: datetime, saved: str | None = None) -> Response[str]:
        # The thank-you page follows the member's own write: read it strongly consistent,
        # or a replica that has not seen it yet would show the empty form again.
        view = self.answers.open(token, now, consistent=saved in SAVED)
        if view.theme.kind is ThemeKind.LIVE:
            return self._form(view, path)
        answer = view.answer
        if answer is not None and saved in SAVED:
            return self._thanks(view, path, created=saved == CREATED)
        return self._form(
            view,
            path,
            text=answer.text if answer else "",
            visibility=answer.visibility.value if answer else "circle",
            attribution=answer.attribution.value if answer else "named",
        )

    def submit(self, token: str, path: str, body: str, now: datetime) -> Response[str]:
        # An invalid link, or a member no longer in the roster: a 404 before anything else
        view = self.answers.open(token, now, write=True)
        if view.theme.kind is ThemeKind.LIVE:
            # An invitation's link sent before live sessions took responses: nothing to save
            return self._form(view, path, status=409)
        fields = form_fields(body, limit=MAX_BODY + 1)
        try:
            if len(body) > MAX_BODY:
                raise Translatable(
                    N_("Your answer is %(length)s characters long; the limit is %(limit)s."),
                    length=len(body),
                    limit=MAX_ANSWER,
                )
            form = parse_form(fields)
            saved = self.answers.save(view, form, now)
        except Translatable as invalid:
            return self._form(
                view,
                path,
                text=(fields.get("answer") or [""])[-1][: MAX_ANSWER * 2],
                visibility=(fields.get("visibility") or ["circle"])[-1],
                attribution=(fields.get("attribution") or ["named"])[-1],
                error=invalid.text(self._tr(view)),
                status=400,
            )
        except Closed as closed:
            return self._form(closed.view, path, status=409)
        except EditedMeanwhile as edited:
            latest = AnswerView(view.theme, view.prompt, edited.latest, view.closed)
            return self._form(
                latest,
                path,
                text=form.answer,
                visibility=form.visibility.value,
                attribution=form.attribution.value,
                conflict=True,
                status=409,
            )
        return Response(
            status_code=303,
            headers={
                **headers(self.templates_dir),
                "Location": f"{path}?saved={CREATED if saved.created else EDITED}",
            },
            body="",
        )

    # ------------------------------------------------------------------ helpers
    def _thanks(self, view: AnswerView, path: str, *, created: bool) -> Response[str]:
        assert view.answer is not None
        # What the first answer earned (its points are kept with it); an edit earns nothing.
        points = view.answer.points if created else 0
        return self.pages.render(
            "thanks",
            _locale(view),
            created=created,
            points=points,
            bonus=FAST_BONUS if points > view.theme.points else 0,
            visibility=view.answer.visibility.value,
            attribution=view.answer.attribution.value,
            theme_url=self._in_space(view),
            **self._context(view, path),
        )

    def _tr(self, view: AnswerView) -> gettext.NullTranslations:
        return translations(self.templates_dir, _locale(view))

    def _context(self, view: AnswerView, path: str) -> dict[str, Any]:
        locale = _locale(view)
        zone = ZoneInfo(view.prompt.timezone)
        return {
            "theme": view.theme,
            "title": view.theme.title_for(locale),
            "first_name": view.prompt.first_name,
            "circle": view.prompt.circle,
            "sent_on": format_date(view.theme.send_on, "long", locale=locale),
            "last_day": format_date(deadline_day(view.theme), "full", locale=locale),
            "zone_name": get_timezone_location(zone, locale=locale),
            "action": path,
            "zone": zone,
        }

    def _form(
        self,
        view: AnswerView,
        path: str,
        *,
        text: str = "",
        visibility: str = "circle",
        attribution: str = "named",
        error: str = "",
        conflict: bool = False,
        status: int = 200,
    ) -> Response[str]:
        context = self._context(view, path)
        answer = view.answer
        live_theme = view.theme.kind is ThemeKind.LIVE
        return self.pages.render(
            "answer",
            _locale(view),
            status=status,
            prompt_html=prompt_html(view.theme, _locale(view)),
            live=live_session(view.theme, context["zone"], _locale(view)),
            # A live session takes a response, not an answer: its page says where.
            rsvp_url=self._rsvp(view) if live_theme else "",
            # A member no longer in the roster reads the page as if it were closed
            closed=view.closed or view.left,
            left=view.left,
            theme_url=self._in_space(view) if view.closed or view.left else "",
            answer=answer,
            text=text if not (view.closed or view.left) else "",
            visibility=visibility,
            attribution=attribution,
            threshold=self.threshold,
            error=error,
            conflict=conflict,
            limit=MAX_ANSWER,
            **context,
        )

    def _rsvp(self, view: AnswerView) -> str:
        ends = view.theme.ends_at or view.deadline
        return Links("..", self.answers.signer).rsvp(view.theme.id, view.member_id, ends)

    def _in_space(self, view: AnswerView) -> str:
        """The theme's page in the member's space, where a closed theme stays readable
        (its expiry counts from the deadline, as the answer link's does)."""
        issued = view.prompt.deadline or view.prompt.at
        links = Links("..", self.answers.signer)
        return links.space_theme(view.prompt.member_id, view.theme.id, issued)


def _locale(view: AnswerView) -> str:
    """The member's language, as recorded when the prompt was sent."""
    return view.prompt.locale
