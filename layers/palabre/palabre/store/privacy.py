"""What the table holds about one person, and its erasure (GDPR Art. 15, 17, 20).

Everything is found from the person's id (`member_id(address)`) through their keys and
the indexes, never a Scan: their partition (profile, preferences, score, streak,
suppression, questions), then, for every theme of the calendar (GSI1 `CALENDAR`, members'
questions included), their send record, answer, response to a live session and its
emails to them (one BatchGetItem per twenty themes)
and the theme's votes (a Query each), and the weekly send records of every week since the
calendar began. An operator's command, run rarely: it costs a request per theme, not a
read of the table. docs/privacy.md says what is kept and why.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from palabre.core.jobs import SESSION_REMINDERS, JobKind
from palabre.core.local_time import iso_week
from palabre.core.models import Response, ThemeKind
from palabre.store import keys
from palabre.store.library import LATEST, LibraryStore, latest_entries
from palabre.store.members import profile_member
from palabre.store.rsvps import ChangedMeanwhile, RsvpStore
from palabre.store.table import Item, Table
from palabre.store.themes import ThemeStore

ERASED = "erased"
"""the asker of a question whose asker was erased: no member's id, so the question stays
a member's question (kept to its circle) that nobody owns"""
ERASED_TITLE = "—"
WEEKLY_KINDS = ("DIGEST", "REPORT")
SEAT_ATTEMPTS = 5
LONGEST_OPEN = timedelta(weeks=14)


@dataclass
class Holdings:
    """Every item of the table that is about one person."""

    member_id: str
    own: list[Item] = field(default_factory=list)
    """their partition: PROFILE, PREFS, SCORE, STREAK, SUPPRESSED, ASKING, ASKED#…"""
    prompts: list[Item] = field(default_factory=list)
    sessions: list[Item] = field(default_factory=list)
    """their responses to live sessions (RSVP#) and those sessions' emails to them (LIVE#)"""
    answers: list[Item] = field(default_factory=list)
    votes_cast: list[Item] = field(default_factory=list)
    votes_received: list[Item] = field(default_factory=list)
    questions: list[Item] = field(default_factory=list)
    """the THEME items of the questions they asked"""
    weekly: list[Item] = field(default_factory=list)
    """their weekly digests' and reports' send records"""
    in_latest: int = 0
    """the library's newest entries that are theirs"""
    erasure: Item | None = None

    @property
    def profile(self) -> Item | None:
        return next((i for i in self.own if i["SK"] == "PROFILE"), None)

    @property
    def empty(self) -> bool:
        return not (
            self.own
            or self.prompts
            or self.sessions
            or self.answers
            or self.votes_cast
            or self.votes_received
            or self.questions
            or self.weekly
            or self.in_latest
        )

    def texts(self) -> set[str]:
        """What they wrote: their answers, and their questions' titles and prompts."""
        written = {str(a.get("text", "")) for a in self.answers}
        for question in self.questions:
            written |= {str(question.get("title", "")), str(question.get("prompt", ""))}
        return {t for t in written if t and t != ERASED_TITLE}

    def names(self) -> set[str]:
        profile = self.profile or {}
        first, last = str(profile.get("first_name", "")), str(profile.get("last_name", ""))
        return {n for n in (f"{first} {last}".strip(), f"{last} {first}".strip()) if " " in n}


class PrivacyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def holdings(self, member_id: str, today: date) -> Holdings:
        found = Holdings(member_id)
        found.own = list(self.table.query(keys.member_partition(member_id)))
        listed = list(
            self.table.query(
                keys.CALENDAR, index="GSI1", attributes=("PK", "send_on", "kind", "sequence")
            )
        )
        themes = [(i["PK"].removeprefix("THEME#"), i.get("send_on", "")) for i in listed]
        ids = [t for t, _ in themes]
        wanted = [k for i in listed for k in _theme_keys(i, member_id)]
        for item in self.table.get_many(wanted):
            sk = item["SK"]
            if sk.startswith(keys.PROMPTS):
                found.prompts.append(item)
            elif sk.startswith(keys.ANSWERS):
                found.answers.append(item)
            else:
                found.sessions.append(item)
        for theme_id in ids:
            for vote in self.table.query(keys.theme_partition(theme_id), prefix="VOTE#"):
                if vote.get("voter_id") == member_id:
                    found.votes_cast.append(vote)
                elif vote.get("author_id") == member_id:
                    found.votes_received.append(vote)
        asked = [
            i["SK"].removeprefix(keys.ASKED) for i in found.own if i["SK"].startswith(keys.ASKED)
        ]
        found.questions = self.table.get_many(keys.theme(t) for t in asked)
        days = [date.fromisoformat(s) for _, s in themes if s]
        # a week's digest may be about a theme sent up to LONGEST_OPEN before it
        last = max([today, *(d + LONGEST_OPEN for d in days)])
        found.weekly = self.table.get_many(
            keys.digest_record(week, kind, member_id)
            for week in _weeks(min(days, default=today), last)
            for kind in WEEKLY_KINDS
        )
        latest = latest_entries(self.table.get(LATEST))
        found.in_latest = sum(1 for e in latest if e.author_id == member_id)
        found.erasure = self.table.get(keys.erasure(member_id), consistent=True)
        return found

    def erase(self, held: Holdings, now: datetime) -> dict[str, int]:
        """Removes what `held` lists, keeps the counts (the standings, other answers'
        "useful" counts) and records the erasure. Safe to run again: the record is
        written first and completed last, the profile removed last but one."""
        mid = held.member_id
        self._record(mid, "SET requested_at = if_not_exists(requested_at, :now)", now)
        self._give_up_seats(held, now)
        removed = {
            "answers": len(held.answers),
            "prompts": len(held.prompts),
            "live_sessions": len(held.sessions),
            "votes": len(held.votes_cast) + len(held.votes_received),
            "questions": len(held.questions),
            "weekly": len(held.weekly),
            "library_latest": LibraryStore(self.table).forget_author(mid),
        }
        for question in held.questions:
            self.table.update(
                keys.theme(question["PK"].removeprefix("THEME#")),
                "SET asker = :erased, asker_name = :empty, title = :title, #prompt = :empty, "
                "prompt_html = :empty",
                {":erased": ERASED, ":empty": "", ":title": ERASED_TITLE},
                names={"#prompt": "prompt"},
            )
            # no more sends of it: its peers who had it keep it, titled ERASED_TITLE
            self.table.delete({"PK": question["PK"], "SK": "DISPATCH"})
        self.table.delete_many(
            _key(i)
            for group in (
                held.answers,
                held.votes_cast,
                held.votes_received,
                held.prompts,
                held.sessions,
            )
            for i in group
        )
        self.table.delete_many(_key(i) for i in held.weekly)
        suppression = next((i for i in held.own if i["SK"] == "SUPPRESSED"), None)
        if suppression:
            # Still refused by SES's feedback: the address is suppressed by its id alone,
            # out of the admins' list (which would show an empty address).
            self.table.put(
                {
                    **keys.suppressed(mid),
                    "type": "suppressed",
                    "reason": suppression.get("reason", ""),
                    "at": suppression.get("at", ""),
                }
            )
        self.table.delete_many(
            _key(i) for i in held.own if i["SK"] not in {"PROFILE", "SUPPRESSED"}
        )
        if held.profile:
            self.table.delete(keys.member(mid))
        self._record(
            mid,
            "SET erased_at = if_not_exists(erased_at, :now), "
            "removed = if_not_exists(removed, :removed), last_run_at = :now",
            now,
            {":removed": removed},
        )
        return removed

    def _give_up_seats(self, held: Holdings, now: datetime) -> None:
        """A seat they hold at a session still to come is given up as a "no" would give
        it up (to the first on the waiting list, who is told), before their response is
        deleted: deleting it alone would keep the seat taken by nobody."""
        profile = held.profile
        if profile is None:
            return  # a second run: the first gave the seats up before removing the profile
        rsvps, person = RsvpStore(self.table), profile_member(profile, self.table)
        if person is None:
            return  # a profile a roster apply only stages: no one who could hold a seat
        for item in held.sessions:
            if not item["SK"].startswith(keys.RSVPS) or item.get("response") != "yes":
                continue
            theme = ThemeStore(self.table).get(str(item["theme_id"]))
            if theme is None or theme.starts_at is None or now >= theme.starts_at:
                continue
            for _ in range(SEAT_ATTEMPTS):
                mine = rsvps.get(theme.id, held.member_id, consistent=True)
                if mine is None or mine.response is not Response.YES:
                    break
                try:
                    rsvps.answer(theme, person, mine, Response.NO, now)
                    break
                except ChangedMeanwhile:
                    continue  # the waiting list moved meanwhile: read it again

    def erasures(self) -> list[Item]:
        """Every erasure, oldest first (for an importer's warning, an audit)."""
        return list(self.table.query(keys.ERASURES, index="GSI1"))

    def erased(self, member_ids: Iterable[str]) -> dict[str, str]:
        """Which of `member_ids` were erased, and when (ISO instant the erasure was asked
        for): one BatchGetItem per hundred."""
        found = self.table.get_many(keys.erasure(m) for m in set(member_ids))
        return {
            str(i["member_id"]): str(i.get("erased_at") or i.get("requested_at", "")) for i in found
        }

    def lift(self, member_id: str) -> Item | None:
        """The person rejoined and agreed: their erasure record goes, so a roster may list
        them again. Returns the record removed (None: there was none), for the operator
        to keep beside the person's agreement."""
        record = self.table.get(keys.erasure(member_id), consistent=True)
        if record is not None:
            self.table.delete(keys.erasure(member_id))
        return record

    def _record(
        self, member_id: str, expression: str, now: datetime, values: dict[str, Any] | None = None
    ) -> None:
        self.table.update(
            keys.erasure(member_id),
            expression + ", #type = :type, member_id = :member, GSI1PK = :listing, "
            "GSI1SK = if_not_exists(GSI1SK, :sort)",
            {
                ":now": now.isoformat(),
                ":type": "erasure",
                ":member": member_id,
                ":listing": keys.ERASURES,
                ":sort": f"{now.isoformat()}#{member_id}",
                **(values or {}),
            },
            names={"#type": "type"},
        )


def _theme_keys(theme: Item, member_id: str) -> list[dict[str, str]]:
    """The items of a theme's partition about one member (`theme`: its listing); for a
    live session, its response and emails: reminders for each sequence it went through."""
    theme_id = theme["PK"].removeprefix("THEME#")
    if theme.get("kind") != ThemeKind.LIVE.value:
        return [keys.prompt(theme_id, member_id), keys.answer(theme_id, member_id)]
    sequences = range(int(theme.get("sequence") or 0) + 1)
    return [
        keys.prompt(theme_id, member_id),
        keys.answer(theme_id, member_id),
        keys.rsvp(theme_id, member_id),
        keys.live_send(theme_id, JobKind.ATTENDANCE.value, member_id),
        *(
            keys.live_send(theme_id, job.value, member_id, sequence)
            for job in SESSION_REMINDERS
            for sequence in sequences
        ),
    ]


def _key(item: Item) -> dict[str, str]:
    return {"PK": item["PK"], "SK": item["SK"]}


def _weeks(first: date, last: date) -> list[str]:
    """Every ISO week from the one of `first` to the one after `last` (a digest run files
    its records under the week before it)."""
    start = first - timedelta(days=first.weekday())
    return [iso_week(start + timedelta(weeks=n)) for n in range((last - start).days // 7 + 2)]
