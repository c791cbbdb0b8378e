"""The "useful" link's pages: GET asks, POST votes (a mail scanner only ever GETs). Each
leads to the theme in the voter's space, where the other answers are."""

from datetime import datetime

from aws_lambda_powertools.event_handler import Response

from palabre.core.attribution import byline
from palabre.core.links import Links
from palabre.votes.votes import VoteOutcome, Votes, VoteView
from palabre.web import Pages


class VotePages:
    def __init__(self, votes: Votes, pages: Pages) -> None:
        self.votes = votes
        self.pages = pages
        self.links = Links("..", votes.signer)  # from /vote/{token}

    def show(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.votes.open(token, now)
        outcome = VoteOutcome.OWN if view.own else (VoteOutcome.ALREADY if view.already else None)
        return self._page(view, path, outcome, now)

    def cast(self, token: str, path: str, now: datetime) -> Response[str]:
        view = self.votes.open(token, now, write=True)
        return self._page(view, path, self.votes.cast(view, now), now)

    def _page(
        self, view: VoteView, path: str, outcome: VoteOutcome | None, now: datetime
    ) -> Response[str]:
        return self.pages.render(
            "vote",
            view.locale,
            title=view.theme.title_for(view.locale),
            author=byline(view.answer),
            anonymous=view.answer.anonymous,
            excerpt=view.excerpt,
            outcome=outcome.value if outcome else "",
            action=path,
            theme_url=self.links.space_theme(view.voter_id, view.theme.id, now),
        )
