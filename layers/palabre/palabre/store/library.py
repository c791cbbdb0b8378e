"""The library ("la mallette"): answers kept as the organisation's best practices.

An entry is the answer item itself, indexed in GSI3 under `LIBRARY` by when it entered
(a sparse index: answers outside the library carry no GSI3 key). So the library always
shows the answer as it is now — its text, its "useful" count, its author's choice of
audience and signature — and costs no copy to keep in step.

An answer enters when an admin stars it, or when it reaches the `LibraryVotes` threshold
of "useful" votes from members of at least two circles (the score stream keeps the voters'
circles on the answer, `useful_circles`). Only an answer shared with the whole
organisation can enter: the author's choice is never widened, and narrowing it to the
circle takes it out (store/answers.py). An admin may remove an entry; one removed does not
come back by votes, only by a star.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from palabre.core.library import Entry
from palabre.core.models import Answer, Theme, Visibility
from palabre.core.typography import Localized
from palabre.store import keys
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.themes import ThemeStore

LIBRARY = "LIBRARY"
INDEX = "GSI3"
LATEST = {"PK": keys.ORG, "SK": "LIBRARY#LATEST"}
"""the newest entries' themes, for the space's home: read in its one BatchGetItem"""
LATEST_KEPT = 5
ATTEMPTS = 5
SHOWN = (
    "theme_id",
    "member_id",
    "text",
    "visibility",
    "attribution",
    "first_name",
    "last_initial",
    "circle",
    "useful",
    "library_at",
    "library_by",
    "created_at",
    "updated_at",
)
"""what `entries` reads of each answer: what the library shows (its byline, text, votes,
day and how it entered), what the anonymity rule and the order read, and what an Answer
requires; the rest of an entry's answer is left at its defaults. Half the attributes of
an answer item: a page of 500 entries spent 25 ms of its 70 parsing the others."""


@dataclass(frozen=True)
class NewEntry:
    theme_id: str
    author_id: str
    title: str
    at: str
    lang: str = ""
    """the title's language ("" in an entry noted before it was kept)"""
    titles: dict[str, str] = field(default_factory=dict)
    """the theme's title in its other languages: the space's home shows the reader's
    without reading each entry's theme"""

    @classmethod
    def of(cls, theme: Theme, author_id: str, at: datetime) -> "NewEntry":
        titles: dict[str, str] = {t.lang: t.title for t in theme.translations}
        return cls(theme.id, author_id, theme.title, at.isoformat(), theme.lang, titles)

    def title_for(self, locale: str) -> Localized:
        if locale in self.titles:
            return Localized(self.titles[locale], locale)
        return Localized(self.title, self.lang)


def latest_entries(item: Item | None) -> list[NewEntry]:
    """The LATEST item's entries, newest first."""
    return [NewEntry(**e) for e in (item or {}).get("entries", [])]


def entry_sort(at: str, theme_id: str, author_id: str) -> str:
    return f"{at}#{theme_id}#{author_id}"


class LibraryStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def answer(self, theme_id: str, author_id: str) -> Answer | None:
        found = self.table.get(keys.answer(theme_id, author_id), consistent=True)
        return Answer.model_validate(found) if found else None

    def entries(self) -> list[Entry]:
        """Every entry with its theme, newest first: one Query (a page per megabyte) and a
        BatchGetItem per hundred themes. An entry whose theme was cancelled is left out.
        Each answer holds only what the library shows (SHOWN)."""
        found = self.table.query(LIBRARY, index=INDEX, forward=False, attributes=SHOWN)
        answers = [a for a in map(Answer.model_validate, found) if _still_shared(a)]
        themes = ThemeStore(self.table).get_many({a.theme_id for a in answers})
        return [
            Entry(a, themes[a.theme_id])
            for a in answers
            if a.theme_id in themes and themes[a.theme_id].active
        ]

    def entered_between(self, start: datetime, end: datetime) -> list[Answer]:
        """The entries that entered in [start, end), newest first."""
        found = self.table.query(
            LIBRARY,
            index=INDEX,
            between=(start.isoformat(), end.isoformat()),
            forward=False,
        )
        return [a for a in map(Answer.model_validate, found) if _still_shared(a)]

    def star(self, theme: Theme, author_id: str, admin_id: str, at: datetime) -> bool:
        """An admin puts an answer in the library (again, if it was removed): False when
        it is not shared with the whole organisation, or already there."""
        entered = self._enter(theme.id, author_id, at, by="star", admin_id=admin_id)
        if entered:
            self._note(NewEntry.of(theme, author_id, at))
        return entered

    def remove(self, theme_id: str, author_id: str, admin_id: str, at: datetime) -> bool:
        """An admin takes an entry out: False when it was not in the library."""
        try:
            self.table.update(
                keys.answer(theme_id, author_id),
                "SET library_removed_at = :at, library_removed_by = :admin "
                "REMOVE GSI3PK, GSI3SK, library_at, library_by, starred_by",
                {":at": at.isoformat(), ":admin": admin_id, ":library": LIBRARY},
                condition="GSI3PK = :library",
            )
        except ConditionFailed:
            return False
        self._note(None, gone=(theme_id, author_id))
        return True

    def consider(
        self, voted: Iterable[tuple[str, str]], threshold: int, at: datetime
    ) -> list[tuple[str, str]]:
        """The answers (theme, author) just voted useful that now qualify, entered: one
        BatchGetItem, and a conditional write per answer entering. Returns those entered."""
        wanted = sorted(set(voted))
        if not wanted:
            return []
        # Strongly consistent: the count the batch's votes just added, not a replica's.
        found = self.table.get_many([keys.answer(t, a) for t, a in wanted], consistent=True)
        # A vote counted on an answer since removed leaves only its count: no answer there.
        written = [i for i in found if "text" in i and "member_id" in i]
        entered: list[Answer] = []
        for answer in map(Answer.model_validate, written):
            if (
                answer.visibility is Visibility.ORGANISATION
                and answer.useful >= threshold
                and len(answer.useful_circles) >= 2
                and not answer.library_at
                and self._enter(answer.theme_id, answer.member_id, at, by="votes")
            ):
                entered.append(answer)
        if entered:
            themes = ThemeStore(self.table).get_many({a.theme_id for a in entered})
            for answer in entered:
                if answer.theme_id in themes:
                    self._note(NewEntry.of(themes[answer.theme_id], answer.member_id, at))
                else:
                    self._note(NewEntry(answer.theme_id, answer.member_id, "", at.isoformat()))
        return [(a.theme_id, a.member_id) for a in entered]

    def forget_author(self, author_id: str) -> int:
        """The newest entries without those of `author_id` (an erasure): how many left."""
        mine = [e for e in latest_entries(self.table.get(LATEST)) if e.author_id == author_id]
        for entry in mine:
            self._note(None, gone=(entry.theme_id, entry.author_id))
        return len(mine)

    def _note(self, new: NewEntry | None, gone: tuple[str, str] | None = None) -> None:
        """Keeps the LATEST item: `new` first, `gone` out. A conditional write on the
        version read, retried: entries are rare, two at once are rarer."""
        for _ in range(ATTEMPTS):
            item = self.table.get(LATEST, consistent=True)
            version = int((item or {}).get("version", 0))
            kept = [
                e
                for e in latest_entries(item)
                if (e.theme_id, e.author_id) not in {gone, new and (new.theme_id, new.author_id)}
            ]
            entries = ([new] if new else []) + kept
            try:
                self.table.put(
                    {
                        **LATEST,
                        "entries": [asdict(e) for e in entries[:LATEST_KEPT]],
                        "version": version + 1,
                    },
                    condition="attribute_not_exists(PK) OR version = :version",
                    values={":version": version},
                )
            except ConditionFailed:
                continue
            return
        raise RuntimeError("the library's latest entries kept changing")

    def _enter(
        self, theme_id: str, author_id: str, at: datetime, *, by: str, admin_id: str = ""
    ) -> bool:
        when = at.isoformat()
        # By votes: never one an admin removed; by a star: whatever happened before.
        kept_out = " AND attribute_not_exists(library_removed_at)" if by == "votes" else ""
        starred = ", starred_by = :admin REMOVE library_removed_at, library_removed_by"
        try:
            self.table.update(
                keys.answer(theme_id, author_id),
                "SET GSI3PK = :library, GSI3SK = :sort, library_at = :at, library_by = :by"
                + (starred if by == "star" else ""),
                {
                    ":library": LIBRARY,
                    ":sort": entry_sort(when, theme_id, author_id),
                    ":at": when,
                    ":by": by,
                    ":org": Visibility.ORGANISATION.value,
                    **({":admin": admin_id} if by == "star" else {}),
                },
                condition="attribute_exists(PK) AND visibility = :org "
                "AND attribute_not_exists(GSI3PK)" + kept_out,
            )
        except ConditionFailed:
            return False
        return True


def _still_shared(answer: Answer) -> bool:
    # Narrowing an answer takes it out in the same write; this guards a stale index read.
    return answer.visibility is Visibility.ORGANISATION
