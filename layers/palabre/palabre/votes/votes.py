"""Votes for answers found "useful". A link in an email can be opened by a mail scanner,
so GET only shows the answer and a button; the vote is cast by POST, once per (voter,
answer), never for one's own answer."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from palabre.core.links import writer
from palabre.core.local_time import iso_week
from palabre.core.models import Answer, Member, Role, Theme, group_key, readable_in
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.table import Table
from palabre.store.votes import VoteStore

EXCERPT = 400


class VoteOutcome(StrEnum):
    COUNTED = "counted"
    ALREADY = "already"
    OWN = "own"


@dataclass(frozen=True)
class VoteView:
    theme: Theme
    answer: Answer
    voter_id: str
    already: bool
    locale: str
    voter_circle: str = ""
    """the voter's circle, folded ("" for one who takes no part)"""

    @property
    def author_id(self) -> str:
        return self.answer.member_id

    @property
    def own(self) -> bool:
        return self.author_id == self.voter_id

    @property
    def excerpt(self) -> str:
        text = self.answer.text
        return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


class Votes:
    def __init__(self, table: Table, signer: Signer, zone: ZoneInfo) -> None:
        self.store = VoteStore(table)
        self.signer = signer
        self.zone = zone

    def open(self, token: str, now: datetime, *, write: bool = False) -> VoteView:
        """One read: the theme, the answer, the voter and any vote already cast. `write`:
        to vote, which only a voter still in the roster may (core.links.writer)."""
        claims = self.signer.verify(Purpose.VOTE, token, now)
        if len(claims.ids) != 3:
            raise InvalidToken
        theme_id, sealed_author, voter = claims.ids
        voter_id = self.signer.member(voter, Purpose.VOTE, theme_id)
        author_id = self.signer.opened(sealed_author, theme_id, voter_id)
        ballot = self.store.ballot(theme_id, author_id, voter_id)
        if ballot.theme is None or ballot.answer is None:
            raise InvalidToken
        if write:
            writer(ballot.voter)
        if author_id != voter_id and not may_read(ballot.answer, ballot.voter):
            # Its author narrowed it to their circle after this link was sent: the answer
            # is no longer the voter's to read, nor to vote for (the same plain 404).
            raise InvalidToken
        return VoteView(
            theme=ballot.theme,
            answer=ballot.answer,
            voter_id=voter_id,
            already=ballot.cast,
            locale=ballot.voter.locale if ballot.voter else "en",
            voter_circle=group_key(ballot.voter.circle)
            if ballot.voter and ballot.voter.takes_part
            else "",
        )

    def cast(self, view: VoteView, now: datetime) -> VoteOutcome:
        if view.own:
            return VoteOutcome.OWN
        if view.already:
            return VoteOutcome.ALREADY
        counted = self.store.cast(
            view.theme.id,
            view.answer,
            view.voter_id,
            voter_circle=view.voter_circle,
            week=iso_week(now.astimezone(self.zone)),
            at=now,
        )
        return VoteOutcome.COUNTED if counted else VoteOutcome.ALREADY


def may_read(answer: Answer, voter: Member | None) -> bool:
    """The digest's rule: answers shared with everyone, or circle answers in one's own
    circle; observers read the organisation's edition only."""
    reads = voter is not None and voter.role is not Role.OBSERVER
    return readable_in(answer, voter.circle if voter is not None and reads else "")
