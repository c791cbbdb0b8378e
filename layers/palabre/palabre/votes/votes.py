"""Journey 7: "useful" votes. A link in an email can be opened by a mail scanner, so GET
only shows the answer and a button; the vote is cast by POST, once per (voter, answer),
never for one's own answer."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from palabre.core.local_time import iso_week
from palabre.core.models import Answer, Role, Theme, Visibility, group_key
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store import keys
from palabre.store.table import ConditionFailed, Table
from palabre.store.themes import theme_from

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
    def __init__(self, table: Table, signer: Signer, zone: Any) -> None:
        self.table = table
        self.signer = signer
        self.zone = zone

    def open(self, token: str, now: datetime) -> VoteView:
        """One read: the theme, the answer and any vote already cast."""
        claims = self.signer.verify(Purpose.VOTE, token, now)
        if len(claims.ids) != 3:
            raise InvalidToken
        theme_id, author_id, voter_id = claims.ids
        found = {
            i["SK"]: i
            for i in self.table.get_many(
                [
                    keys.theme(theme_id),
                    keys.answer(theme_id, author_id),
                    keys.vote(theme_id, author_id, voter_id),
                    keys.member(voter_id),
                ]
            )
        }
        item = found.get(f"ANSWER#{author_id}")
        if "THEME" not in found or item is None:
            raise InvalidToken
        answer = Answer.model_validate(item)
        if author_id != voter_id and not _may_read(answer, found.get("PROFILE")):
            # Its author narrowed it to their circle after this link was sent: the answer
            # is no longer the voter's to read, nor to vote for (the same plain 404).
            raise InvalidToken
        return VoteView(
            theme=theme_from(found["THEME"]),
            answer=answer,
            voter_id=voter_id,
            already=f"VOTE#{author_id}#{voter_id}" in found,
            locale=found.get("PROFILE", {}).get("locale", "en"),
        )

    def cast(self, view: VoteView, now: datetime) -> VoteOutcome:
        """One conditional write; the points follow through the stream."""
        if view.own:
            return VoteOutcome.OWN
        if view.already:
            return VoteOutcome.ALREADY
        circle = view.answer.circle
        try:
            self.table.put(
                {
                    **keys.vote(view.theme.id, view.author_id, view.voter_id),
                    **keys.vote_in_week(
                        circle,
                        iso_week(now.astimezone(self.zone)),
                        view.theme.id,
                        view.author_id,
                        view.voter_id,
                    ),
                    "type": "vote",
                    "theme_id": view.theme.id,
                    "author_id": view.author_id,
                    "voter_id": view.voter_id,
                    "circle": circle,
                    "team": view.answer.team,
                    "at": now.isoformat(),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            return VoteOutcome.ALREADY
        return VoteOutcome.COUNTED


def _may_read(answer: Answer, voter: dict[str, Any] | None) -> bool:
    """The digest's rule: answers shared with everyone, or circle answers in one's own
    circle; observers read the organisation's edition only."""
    if answer.visibility is Visibility.ORGANISATION:
        return True
    if voter is None or voter.get("role") == Role.OBSERVER.value:
        return False
    return group_key(voter.get("circle", "")) == group_key(answer.circle)
