"""Votes for answers found "useful": one per (answer, voter), in the theme's partition,
and listed by the answer's circle and the week it was cast (GSI2) for the digest's most
useful practices."""

from dataclasses import dataclass
from datetime import datetime

from palabre.core.models import Answer, Member, Theme
from palabre.core.retention import expires_at
from palabre.store import keys
from palabre.store.members import profile_member
from palabre.store.table import ConditionFailed, Table
from palabre.store.themes import theme_from


@dataclass(frozen=True)
class Ballot:
    """What a vote link opens: the theme, the answer, the voter, any vote already cast."""

    theme: Theme | None
    answer: Answer | None
    voter: Member | None
    cast: bool


class VoteStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def ballot(self, theme_id: str, author_id: str, voter_id: str) -> Ballot:
        """One BatchGetItem: the theme, the answer, the vote and the voter's profile."""
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
        answer = found.get(f"ANSWER#{author_id}")
        return Ballot(
            theme=theme_from(found["THEME"]) if "THEME" in found else None,
            answer=Answer.model_validate(answer) if answer else None,
            voter=profile_member(found.get("PROFILE"), self.table),
            cast=f"VOTE#{author_id}#{voter_id}" in found,
        )

    def cast(
        self,
        theme_id: str,
        answer: Answer,
        voter_id: str,
        *,
        voter_circle: str,
        week: str,
        at: datetime,
    ) -> bool:
        """One conditional write; False if this voter had voted for this answer already.
        The author's points follow through the stream."""
        author_id = answer.member_id
        try:
            self.table.put(
                {
                    **keys.vote(theme_id, author_id, voter_id),
                    **keys.vote_in_week(answer.circle, week, theme_id, author_id, voter_id),
                    "type": "vote",
                    "theme_id": theme_id,
                    "author_id": author_id,
                    "voter_id": voter_id,
                    "voter_circle": voter_circle,
                    "circle": answer.circle,
                    "team": answer.team,
                    "at": at.isoformat(),
                    "expires_at": expires_at(at, self.table.retention_months),
                },
                condition="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            return False
        return True
