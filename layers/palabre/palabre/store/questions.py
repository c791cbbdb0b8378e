"""Members' questions ("Comment fais-tu pour … ?"). Each is a theme (kind question, an id
q_<when asked><random>, the asker's circle as audience, the asker left out) and two items
of the asker's partition:

- ASKING: their latest question and when it closes. Asking writes it on condition that
  none is open (absent, closed by now, or cancelled): one open question per member, with
  no read before the write for a second request to slip between.
- ASKED#<theme id>: each question as asked, kept once closed (their list; GSI1 QUESTIONS
  lists everyone's in the order asked, for the admins' report).

The theme, both items and the theme's dispatch state are written in one transaction: a
question refused writes nothing. The theme sits in the calendar's index with the others
(the digest, late arrivals and the dispatcher read it there); a calendar upload leaves
it alone (imports/importer.py).
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime

from palabre.core.models import Member, Theme, ThemeKind
from palabre.core.retention import expires_at
from palabre.store import keys
from palabre.store.dispatch import dispatch_item, iso
from palabre.store.members import profile_member
from palabre.store.table import ConditionFailed, Item, Put, Table, TransactionCancelled
from palabre.store.themes import theme_from, theme_item

RECENT = 3
"""questions `QuestionStore.recent` lists by default"""


@dataclass(frozen=True)
class AskedQuestion:
    theme_id: str
    asker: str
    asker_name: str
    circle: str
    title: str
    asked_at: datetime
    send_on: date
    closes_at: datetime
    """the end of its last day in the asker's timezone"""
    cancelled: bool = False
    answers: int = 0
    """answers received (counted by `recent` and `answered`; 0 where not counted)"""

    def open(self, now: datetime) -> bool:
        return not self.cancelled and now < self.closes_at


class AlreadyAsking(Exception):
    """The member's previous question is still open: nothing was written."""


def _fields(theme: Theme, circle: str, asked_at: datetime, closes_at: datetime) -> Item:
    return {
        "theme_id": theme.id,
        "asker": theme.asker,
        "asker_name": theme.asker_name,
        "circle": circle,
        "title": theme.title,
        "asked_at": asked_at.isoformat(),
        "send_on": theme.send_on.isoformat(),
        "closes_at": iso(closes_at),
    }


def question_from(item: Item, answers: int = 0) -> AskedQuestion:
    return AskedQuestion(
        theme_id=item["theme_id"],
        asker=item["asker"],
        asker_name=item.get("asker_name", ""),
        circle=item.get("circle", ""),
        title=item["title"],
        asked_at=datetime.fromisoformat(item["asked_at"]),
        send_on=date.fromisoformat(item["send_on"]),
        closes_at=datetime.fromisoformat(item["closes_at"]),
        cancelled=bool(item.get("cancelled_at")),
        answers=answers,
    )


class QuestionStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def ask(
        self, theme: Theme, circle: str, *, asked_at: datetime, closes_at: datetime, due: datetime
    ) -> AskedQuestion:
        """The question, its theme and its dispatch from `due`, all or nothing; raises
        AlreadyAsking while the asker's previous question is open."""
        if theme.kind is not ThemeKind.QUESTION or not theme.asker:
            raise ValueError("a member's question is a theme of kind question with its asker")
        fields = _fields(theme, circle, asked_at, closes_at)
        # The asker's words and name: kept as long as the answers to them.
        kept = {"expires_at": expires_at(asked_at, self.table.retention_months)}
        try:
            self.table.transact(
                [
                    Put(
                        {**keys.asking(theme.asker), "type": "asking", **fields, **kept},
                        condition="attribute_not_exists(PK) OR closes_at <= :now "
                        "OR attribute_exists(cancelled_at)",
                        values={":now": iso(asked_at)},
                    ),
                    Put(
                        {
                            **keys.asked(theme.asker, theme.id),
                            **keys.asked_listing(fields["asked_at"], theme.id),
                            "type": "question",
                            **fields,
                            **kept,
                        }
                    ),
                    Put(theme_item(theme) | kept, condition="attribute_not_exists(PK)"),
                    Put(dispatch_item(theme.id, due)),
                ]
            )
        except TransactionCancelled as refused:
            if refused.reasons[:1] == ["ConditionalCheckFailed"]:
                raise AlreadyAsking from None
            raise
        return question_from(fields)

    def asker(self, member_id: str) -> tuple[Member | None, AskedQuestion | None]:
        """The member's profile and latest question, in one BatchGetItem (consistent: the
        confirmation page follows the member's own question)."""
        found = {
            i["SK"]: i
            for i in self.table.get_many(
                [keys.member(member_id), keys.asking(member_id)], consistent=True
            )
        }
        profile, latest = found.get("PROFILE"), found.get(keys.ASKING)
        return (
            profile_member(profile, self.table),
            question_from(latest) if latest else None,
        )

    def theme_and_member(self, theme_id: str, member_id: str) -> tuple[Theme | None, Member | None]:
        """A theme and a member's profile, in one BatchGetItem (a cancel link's)."""
        found = {
            i["SK"]: i
            for i in self.table.get_many(
                [keys.theme(theme_id), keys.member(member_id)], consistent=True
            )
        }
        theme, profile = found.get("THEME"), found.get("PROFILE")
        return (theme_from(theme) if theme else None, profile_member(profile, self.table))

    def recent(self, member_id: str, limit: int = RECENT) -> list[AskedQuestion]:
        """The member's latest questions, newest first, each with its answers counted:
        one Query of their partition, and one of each question's answers."""
        items = self.table.query(
            keys.member_partition(member_id), prefix=keys.ASKED, forward=False, limit=limit
        )
        return [question_from(i, self.answered(i["theme_id"])) for i in items]

    def asked_since(self, start: datetime) -> list[AskedQuestion]:
        """Every member's questions asked from `start` on, oldest first (answers not
        counted): one Query of GSI1."""
        items = self.table.query(keys.QUESTIONS, index="GSI1", between=(start.isoformat(), "~"))
        return [question_from(i) for i in items]

    def get(self, member_id: str, theme_id: str) -> AskedQuestion | None:
        item = self.table.get(keys.asked(member_id, theme_id), consistent=True)
        return question_from(item) if item else None

    def answered(self, theme_id: str) -> int:
        """How many answers the question has received."""
        return sum(1 for _ in self.answers(theme_id))

    def answers(self, theme_id: str) -> list[Item]:
        """The question's answers, as stored (one Query of its partition)."""
        return list(self.table.query(keys.theme_partition(theme_id), prefix=keys.ANSWERS))

    def cancel(self, question: AskedQuestion, now: datetime) -> bool:
        """Stops the question: its theme inactive (the dispatcher and the sender skip it,
        reminders included), its dispatch closed, the asker free to ask again. False when
        it was cancelled already. Each step is idempotent: a retry completes one cut short."""
        cancelled = True
        try:
            self.table.update(
                keys.theme(question.theme_id),
                "SET active = :false",
                {":false": False, ":true": True},
                condition="active = :true",
            )
        except ConditionFailed:
            cancelled = False
        self.table.update(
            keys.asked(question.asker, question.theme_id),
            "SET cancelled_at = if_not_exists(cancelled_at, :now)",
            {":now": now.isoformat()},
        )
        self.table.delete(keys.dispatch(question.theme_id))
        # Only if it still names this question: the asker may have asked again since.
        with suppress(ConditionFailed):
            self.table.update(
                keys.asking(question.asker),
                "SET cancelled_at = if_not_exists(cancelled_at, :now)",
                {":now": now.isoformat(), ":theme": question.theme_id},
                condition="theme_id = :theme",
            )
        return cancelled
