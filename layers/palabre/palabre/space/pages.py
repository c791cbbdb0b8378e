"""The member's space: a personal link (purpose `space`, long-lived, renewed by each
email) to their home page — the themes open for them, their points and streak, their
circle's latest answers. No account; GET only shows."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from babel.dates import format_date

from palabre.core.links import Links
from palabre.core.local_time import deadline_day, link_expiry
from palabre.core.models import Prompt, Theme, Visibility
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.space import SpaceHome, SpaceReads
from palabre.store.table import Table
from palabre.web import Pages

ANSWER_EXCERPT = 600
"""characters of an answer shown on the home page"""


class SpacePages:
    def __init__(self, table: Table, signer: Signer, pages: Pages) -> None:
        self.reads = SpaceReads(table)
        self.signer = signer
        # Links relative to /space/{token}: the answer pages sit beside it, whatever the
        # API's base path.
        self.links = Links("..", signer)
        self.pages = pages

    def show(self, token: str, now: datetime) -> Response[str]:
        member_id = self._member(token, now)
        home = self.reads.home(member_id, now)
        if home is None:
            raise InvalidToken
        return self.pages.render(
            "space", home.locale, token=token, **self._context(member_id, home)
        )

    def history(self, token: str, now: datetime, before: str | None) -> Response[str]:
        """Every theme sent to the member and their answer, readable forever."""
        member_id = self._member(token, now)
        history = self.reads.history(member_id, before)
        if history is None:
            raise InvalidToken
        links = Links("../..", self.signer)  # from /space/{token}/history
        locale = history.locale
        return self.pages.render(
            "space_history",
            locale,
            token=token,
            first_name=history.first_name,
            older=history.older,
            entries=[
                {
                    "title": e.theme.title,
                    "sent_on": format_date(e.theme.send_on, "long", locale=locale),
                    "answer": e.answer.text if e.answer else "",
                    "organisation": e.answer is not None
                    and e.answer.visibility is Visibility.ORGANISATION,
                    "open": e.prompt.deadline is not None and now < e.prompt.deadline,
                    "answer_url": _answer_url(links, e.theme, e.prompt),
                }
                for e in history.entries
            ],
        )

    def _member(self, token: str, now: datetime) -> str:
        claims = self.signer.verify(Purpose.SPACE, token, now)
        if len(claims.ids) != 1:
            raise InvalidToken
        return claims.ids[0]

    def _context(self, member_id: str, home: SpaceHome) -> dict[str, Any]:
        return {
            "first_name": home.first_name,
            "circle": home.circle,
            "points": home.points,
            "streak": home.streak,
            "open_themes": [
                {
                    "title": o.theme.title,
                    "last_day": format_date(deadline_day(o.theme), "full", locale=home.locale),
                    "answered": o.answered,
                    "answer_url": _answer_url(self.links, o.theme, o.prompt),
                }
                for o in home.open_themes
            ],
            "answers": [
                {
                    "theme": theme.title,
                    "first_name": answer.first_name,
                    "mine": answer.member_id == member_id,
                    "organisation": answer.visibility is Visibility.ORGANISATION,
                    "text": answer.text[:ANSWER_EXCERPT],
                    "cut": len(answer.text) > ANSWER_EXCERPT,
                }
                for theme, answer in home.circle_answers
            ],
        }


def _answer_url(links: Links, theme: Theme, prompt: Prompt) -> str:
    """The email's own answer link: its expiry in the timezone the prompt was sent in."""
    expires = link_expiry(theme, ZoneInfo(prompt.timezone))
    return links.answer(theme.id, prompt.member_id, expires)
