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
from palabre.core.models import Visibility
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
        claims = self.signer.verify(Purpose.SPACE, token, now)
        if len(claims.ids) != 1:
            raise InvalidToken
        [member_id] = claims.ids
        home = self.reads.home(member_id, now)
        if home is None:
            raise InvalidToken
        return self.pages.render("space", home.locale, **self._context(member_id, home))

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
                    # the email's own link: its expiry in the timezone it was sent in
                    "answer_url": self.links.answer(
                        o.theme.id, member_id, link_expiry(o.theme, ZoneInfo(o.prompt.timezone))
                    ),
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
