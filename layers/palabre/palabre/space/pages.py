"""The member's space: a personal link (purpose `space`, long-lived, renewed by each
email) to their home page — the themes open for them, their points and streak, their
circle's latest answers —, each theme's page with the answers they may read, and their
history. No account; GET only shows: a vote or a star is a POST to its own link's page."""

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.core import models
from palabre.core.attribution import byline, shown
from palabre.core.dates import format_date
from palabre.core.links import Links
from palabre.core.local_time import deadline_day, link_expiry
from palabre.core.markdown import prompt_html
from palabre.core.models import Prompt, Theme, ThemeKind, Visibility
from palabre.core.tokens import InvalidToken, Signer
from palabre.store.space import SpaceHome, SpaceReads
from palabre.store.table import Table
from palabre.web import Pages

THEME_ID = re.compile(models.THEME_ID)
"""a theme's id, as the calendar allows it: anything else is no theme"""
ANSWER_EXCERPT = 600
"""characters of an answer shown on the home page"""
THEME_PAGE = 30
"""answers per page of a theme"""


class SpacePages:
    def __init__(
        self, table: Table, signer: Signer, pages: Pages, *, give_to_get: bool, threshold: int
    ) -> None:
        self.reads = SpaceReads(table)
        self.signer = signer
        self.give_to_get = give_to_get
        self.threshold = threshold
        """the anonymity threshold (core.attribution)"""
        # Links relative to /space/{token}: the answer pages sit beside it, whatever the
        # API's base path.
        self.links = Links("..", signer)
        self.pages = pages

    def show(self, token: str, now: datetime) -> Response[str]:
        member_id = self._member(token, now)
        home = self.reads.home(member_id, now, give_to_get=self.give_to_get)
        if home is None:
            raise InvalidToken
        return self.pages.render(
            "space", home.locale, token=token, **self._context(member_id, home, now)
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
                    "id": e.theme.id,
                    "title": e.theme.title_for(locale),
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

    def theme(self, token: str, theme_id: str, now: datetime, page: int) -> Response[str]:
        """A theme: its question, the member's answer, and the answers they may read, each
        with its "useful" button (and, for an admin, its library star)."""
        member_id = self._member(token, now)
        view = self.reads.theme(member_id, theme_id, now) if THEME_ID.fullmatch(theme_id) else None
        if view is None:
            raise InvalidToken
        prompt, member = view.prompt, view.member
        locale = member.locale if member else (prompt.locale if prompt else "en")
        still_open = prompt is not None and prompt.deadline is not None and now < prompt.deadline
        # Give to get: while the theme is open for them, peers' answers wait for theirs.
        waiting = self.give_to_get and still_open and view.mine is None
        links = Links("../../..", self.signer)  # from /space/{token}/themes/{id}
        admin = member is not None and member.is_admin
        # The page is one view of the theme's answers, mine included (core.attribution).
        mine = [view.mine] if view.mine else []
        readable = shown([*mine, *view.others], self.threshold)
        others = [a for a in readable if a.member_id != member_id]
        pages = max(1, -(-len(others) // THEME_PAGE))
        page = min(max(page, 1), pages)
        listed = [] if waiting else others[(page - 1) * THEME_PAGE : page * THEME_PAGE]
        return self.pages.render(
            "space_theme",
            locale,
            token=token,
            title=view.theme.title_for(locale),
            competency=view.theme.competency,
            prompt_html=prompt_html(view.theme, locale),
            last_day=format_date(deadline_day(view.theme), "full", locale=locale)
            if still_open
            else "",
            answer_url=_answer_url(links, view.theme, prompt) if prompt and still_open else "",
            mine=view.mine.text if view.mine else "",
            mine_shared=view.mine is not None and view.mine.visibility is Visibility.ORGANISATION,
            waiting=len(view.others) if waiting else 0,
            page=page,
            pages=pages,
            answers=[
                {
                    "byline": byline(a),
                    "text": a.text,
                    "useful": a.useful,
                    "organisation": a.visibility is Visibility.ORGANISATION,
                    "in_library": bool(a.library_at),
                    "vote_url": links.vote(view.theme.id, a.member_id, member_id, now),
                    "star_url": links.star(view.theme.id, a.member_id, member_id, now)
                    if admin and a.visibility is Visibility.ORGANISATION
                    else "",
                }
                for a in listed
            ],
        )

    def _member(self, token: str, now: datetime) -> str:
        return self.signer.member_of(token, now)

    def _context(self, member_id: str, home: SpaceHome, now: datetime) -> dict[str, Any]:
        # The home's answers are one view (core.attribution).
        visible = shown([a for _, a in home.circle_answers], self.threshold)
        return {
            "first_name": home.first_name,
            "circle": home.circle,
            "points": home.points,
            "streak": home.streak,
            "rank": home.rank,
            "ranked_of": home.ranked_of,
            "my_rank": home.my_rank[0],
            "my_ranked_of": home.my_rank[1],
            "library": [
                {
                    "title": e.title_for(home.locale),
                    "entered": format_date(
                        datetime.fromisoformat(e.at), "long", locale=home.locale
                    ),
                }
                for e in home.library
            ],
            "open_themes": [
                {
                    "id": o.theme.id,
                    "title": o.theme.title_for(home.locale),
                    "last_day": format_date(deadline_day(o.theme), "full", locale=home.locale),
                    "answered": o.answered,
                    "answer_url": _answer_url(self.links, o.theme, o.prompt),
                    # a live session: the member's response, changeable until it starts
                    "live": o.theme.kind is ThemeKind.LIVE and o.theme.ends_at is not None,
                    "response": o.rsvp.response.value if o.rsvp else "",
                    "position": o.position,
                    "rsvp_url": self.links.rsvp(o.theme.id, member_id, o.theme.ends_at)
                    if o.theme.ends_at is not None and now < (o.theme.starts_at or now)
                    else "",
                }
                for o in home.open_themes
            ],
            "answers": [
                {
                    "theme": theme.title,
                    "theme_id": theme.id,
                    "byline": byline(answer),
                    "mine": answer.member_id == member_id,
                    "organisation": answer.visibility is Visibility.ORGANISATION,
                    "text": answer.text[:ANSWER_EXCERPT],
                    "cut": len(answer.text) > ANSWER_EXCERPT,
                }
                for theme, answer in home.circle_answers
                if answer in visible
            ],
        }


def _answer_url(links: Links, theme: Theme, prompt: Prompt) -> str:
    """The email's own answer link: its expiry in the timezone the prompt was sent in."""
    expires = link_expiry(theme, ZoneInfo(prompt.timezone))
    return links.answer(theme.id, prompt.member_id, expires)
