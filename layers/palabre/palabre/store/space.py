"""What a member's space shows on its home page, in three requests whatever their history:

1. their latest prompts (GSI1 `MEMBER#<mid>`, newest first): the themes sent to them and
   their deadlines;
2. one BatchGetItem: their profile, score, streak and preferences (the absences that
   excuse a miss), the themes of those prompts, and their own answers to them;
3. their circle's latest answers (GSI2 `CIRCLE#<circle>`, newest week first), the circle
   being the roster's, for a member who still takes part.

The circle's answers shown are those to themes sent to the member (of the prompts read):
an answer to a theme still open for them waits until they have answered it (give to
get), and an answer to a theme they were never sent (another timezone's prompt not yet
out, an audience they are not in) is not shown.

Nothing is written: the streak shown is computed as the digest computes it, and settled
only by the digest. (A member whose streak was not settled over the prompts read — no
digest for months — costs two more requests: the digest's own read of the prompts since.)
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from palabre.core.absences import Absence, absences_from
from palabre.core.models import (
    Answer,
    Member,
    Prompt,
    Response,
    Rsvp,
    Theme,
    ThemeKind,
    group_key,
    readable_in,
)
from palabre.core.streaks import StreakFigures, StreakState, advance_streak, figures
from palabre.store import keys
from palabre.store.library import LATEST, NewEntry, latest_entries
from palabre.store.members import profile_member
from palabre.store.members import ranked as member_rank
from palabre.store.rsvps import RsvpStore, waiting_order
from palabre.store.sends import SendRecords, prompt_fact, streak_state
from palabre.store.table import Item, Table
from palabre.store.themes import theme_from

PROMPTS_READ = 16
"""latest prompts read: themes shown, and their answers"""
CIRCLE_ANSWERS = 8
"""the circle's latest answers shown"""
CIRCLE_ANSWERS_READ = 24
"""the circle's latest answers read, of which those the member may see are shown"""
HISTORY_PAGE = 25
"""themes per page of the member's history"""


@dataclass(frozen=True)
class OpenTheme:
    theme: Theme
    prompt: Prompt
    answered: bool
    rsvp: Rsvp | None = None
    """a live session's response"""
    position: int = 0
    """on a live session's waiting list (1 is next)"""


@dataclass(frozen=True)
class HistoryEntry:
    theme: Theme
    prompt: Prompt
    answer: Answer | None


@dataclass(frozen=True)
class History:
    locale: str
    first_name: str
    entries: list[HistoryEntry]
    """newest first"""
    older: str | None
    """where the next page starts (the last entry's sort key), when there is one"""


@dataclass(frozen=True)
class ThemeView:
    """A theme as one member may read it: two requests (a BatchGetItem, then the theme's
    answers, one Query)."""

    member: Member | None
    theme: Theme
    prompt: Prompt | None
    """None: the theme was not sent to this member (an admin may still read it)"""
    mine: Answer | None
    others: list[Answer]
    """the answers the member may read (their circle's, and those shared with everyone),
    most useful first, then newest"""


@dataclass(frozen=True)
class SpaceHome:
    member: Member | None
    """None: no profile (the page says only what the prompts tell)"""
    first_name: str
    locale: str
    circle: str
    """the circle whose answers are shown ("" for a member who no longer takes part)"""
    points: int
    streak: StreakFigures
    open_themes: list[OpenTheme]
    """soonest deadline first"""
    circle_answers: list[tuple[Theme, Answer]]
    """the circle's latest answers the member may read, with their themes"""
    library: list[NewEntry]
    """the library's newest entries"""
    rank: int = 0
    """the circle's place in the circles' standings, as the last digest ranked them
    (0: not ranked yet)"""
    ranked_of: int = 0
    my_rank: tuple[int, int] = (0, 0)
    """the member's place by points, and among how many, as the last digest ranked them"""


class SpaceReads:
    def __init__(self, table: Table) -> None:
        self.table = table

    def home(self, member_id: str, now: datetime, *, give_to_get: bool = True) -> SpaceHome | None:
        """None when nothing was ever sent to this member and they are not in the roster.
        `give_to_get`: answers to a theme still open for the member wait for theirs."""
        sent = [
            p for p in map(Prompt.model_validate, self._prompts(member_id, PROMPTS_READ)) if p.sent
        ]
        # The circle is the roster's; its latest prompt's is the one to read its standing
        # in the same request (a member who moved since reads no rank until their next).
        guess = sent[0].circle if sent else ""
        extra = [LATEST, keys.board("circle", guess)] if guess else [LATEST]
        found = self._batch(member_id, sent, extra)
        partition = keys.member_partition(member_id)
        profile = found.get((partition, "PROFILE"))
        if not sent and profile is None:
            return None
        member = profile_member(profile, self.table)
        mine = {p.theme_id for p in sent if _pair(keys.answer(p.theme_id, member_id)) in found}
        themes = {
            pk.removeprefix("THEME#"): theme_from(item)
            for (pk, sk), item in found.items()
            if sk == "THEME"
        }
        still_open = sorted(
            (p for p in sent if p.deadline is not None and now < p.deadline),
            key=lambda p: (p.deadline, p.theme_id),
        )
        # What the member may read of their circle: themes sent to them, closed for them
        # or answered by them (give to get), still active.
        readable = {
            p.theme_id
            for p in sent
            if p.theme_id in themes
            and themes[p.theme_id].active
            and (not give_to_get or p.theme_id in mine or p.deadline is None or now >= p.deadline)
        }
        circle = member.circle if member is not None and member.takes_part else ""
        state = streak_state(found.get((partition, "STREAK")))
        absences = absences_from((found.get((partition, "PREFS")) or {}).get("absences", ()))
        first_name, locale = _who(member, sent)
        board = found.get(_pair(keys.board("circle", guess))) if guess else None
        ranked = board is not None and bool(circle) and group_key(circle) == group_key(guess)
        return SpaceHome(
            member=member,
            first_name=first_name,
            locale=locale,
            circle=circle,
            points=int((found.get((partition, "SCORE")) or {}).get("points", 0)),
            streak=self._streak(member_id, state, absences, sent, mine, now, _zone(member, sent)),
            open_themes=self._responses(
                member_id,
                [
                    OpenTheme(themes[p.theme_id], p, p.theme_id in mine)
                    for p in still_open
                    if p.theme_id in themes and themes[p.theme_id].active
                ],
            ),
            circle_answers=[
                (themes[a.theme_id], a) for a in self._circle_answers(circle, readable)
            ],
            library=latest_entries(found.get(_pair(LATEST))),
            rank=int(board.get("rank", 0)) if board and ranked else 0,
            ranked_of=int(board.get("ranked_of", 0)) if board and ranked else 0,
            my_rank=member_rank(found.get((partition, "SCORE"))),
        )

    def _responses(self, member_id: str, open_themes: list[OpenTheme]) -> list[OpenTheme]:
        """The member's responses to the open live sessions: one more BatchGetItem, only
        when one is open; a Query of a session's responses only where they wait."""
        live = [o.theme.id for o in open_themes if o.theme.kind is ThemeKind.LIVE]
        if not live:
            return open_themes
        rsvps = RsvpStore(self.table)
        found = rsvps.of_member(member_id, live)
        shown = []
        for o in open_themes:
            rsvp = found.get(o.theme.id)
            position = 0
            if rsvp is not None and rsvp.response is Response.WAITING:
                position = 1 + sum(
                    waiting_order(r) < waiting_order(rsvp) for r in rsvps.waiting(o.theme.id)
                )
            shown.append(replace(o, rsvp=rsvp, position=position))
        return shown

    def theme(self, member_id: str, theme_id: str, now: datetime) -> ThemeView | None:
        """None when the theme is unknown or cancelled, or not the member's to read: one
        sent to them, or, for a member of the roster, one out since yesterday at least
        (an observer, an audience they are not in: what they may read of it), or any for
        an admin."""
        found = {
            _pair(i): i
            for i in self.table.get_many(
                [
                    keys.theme(theme_id),
                    keys.prompt(theme_id, member_id),
                    keys.answer(theme_id, member_id),
                    keys.member(member_id),
                ]
            )
        }
        theme_item = found.get(_pair(keys.theme(theme_id)))
        prompt_item = found.get(_pair(keys.prompt(theme_id, member_id)))
        profile = found.get(_pair(keys.member(member_id)))
        member = profile_member(profile, self.table)
        prompt = Prompt.model_validate(prompt_item) if prompt_item else None
        if theme_item is None:
            return None
        theme = theme_from(theme_item)
        in_roster = member is not None and member.active
        # A member's question is its circle's: read by those it was sent to (and admins).
        # (A calendar theme of kind `question` is the animators': as any calendar theme.)
        public = not theme.asker and theme.send_on < now.date()
        readable = (
            (prompt is not None and prompt.sent)
            or (in_roster and public)
            or (member is not None and member.is_admin)
        )
        if not theme.active or not readable:
            return None
        mine = found.get(_pair(keys.answer(theme_id, member_id)))
        # The circle the member reads: the roster's, else the one the theme was sent to.
        circle = member.circle if member is not None and member.takes_part else ""
        if member is None and prompt is not None:
            circle = prompt.circle
        others = [
            a
            for a in map(
                Answer.model_validate,
                self.table.query(keys.theme_partition(theme_id), prefix=keys.ANSWERS),
            )
            if a.member_id != member_id and readable_in(a, circle)
        ]
        others.sort(key=lambda a: a.created_at, reverse=True)
        others.sort(key=lambda a: a.useful, reverse=True)
        return ThemeView(
            member=member,
            theme=theme,
            prompt=prompt,
            mine=Answer.model_validate(mine) if mine else None,
            others=others,
        )

    def history(self, member_id: str, before: str | None) -> History | None:
        """A page of every theme sent to the member, newest first (older than `before`, a
        sort key from the previous page), with their answers: two requests a page."""
        high = before if before and before.startswith(keys.PROMPT_HISTORY) else None
        # `before` itself comes first; and one more tells that there is a next page
        read = self._prompts(member_id, HISTORY_PAGE + 2, high)
        items = [i for i in read if i["GSI1SK"] != high][: HISTORY_PAGE + 1]
        page = [Prompt.model_validate(i) for i in items[:HISTORY_PAGE]]
        found = self._batch(member_id, page)
        profile = found.get((keys.member_partition(member_id), "PROFILE"))
        if not page and profile is None:
            return None
        member = profile_member(profile, self.table)
        entries = []
        for prompt in page:
            theme = found.get(_pair(keys.theme(prompt.theme_id)))
            if theme is None:
                continue  # a theme removed from the calendar before it closed
            answer = found.get(_pair(keys.answer(prompt.theme_id, member_id)))
            entries.append(
                HistoryEntry(
                    theme_from(theme), prompt, Answer.model_validate(answer) if answer else None
                )
            )
        first_name, locale = _who(member, page)
        return History(
            locale=locale,
            first_name=first_name,
            entries=entries,
            older=items[HISTORY_PAGE - 1]["GSI1SK"] if len(items) > HISTORY_PAGE else None,
        )

    def _prompts(self, member_id: str, limit: int, before: str | None = None) -> Iterator[Item]:
        """The member's latest prompts (older than the sort key `before`), newest first."""
        return self.table.query(
            keys.member_partition(member_id),
            index="GSI1",
            between=(keys.PROMPT_HISTORY, before or keys.PROMPT_HISTORY_END),
            forward=False,
            limit=limit,
        )

    def _circle_answers(self, circle: str, readable: set[str]) -> list[Answer]:
        if not circle or not readable:
            return []
        found = self.table.query(
            keys.circle_partition(circle),
            index="GSI2",
            prefix=keys.ANSWERS,
            forward=False,
            limit=CIRCLE_ANSWERS_READ,
        )
        shown = [Answer.model_validate(a) for a in found if a["theme_id"] in readable]
        return shown[:CIRCLE_ANSWERS]

    def _batch(
        self, member_id: str, sent: list[Prompt], extra: Sequence[Mapping[str, str]] = ()
    ) -> dict[tuple[str, str], Item]:
        """Profile, score, streak, preferences (absences); the themes of these prompts and
        the member's answers to them (and `extra` keys): 4 + 2 × 16 + 2 keys for the home,
        4 + 2 × 25 for a page of history, one BatchGetItem."""
        partition = keys.member_partition(member_id)
        wanted = [
            {"PK": partition, "SK": "PROFILE"},
            keys.score(member_id),
            keys.streak(member_id),
            keys.prefs(member_id),
            *(keys.theme(p.theme_id) for p in sent),
            *(keys.answer(p.theme_id, member_id) for p in sent),
            *extra,
        ]
        unique = {_pair(k): k for k in wanted}
        return {_pair(i): i for i in self.table.get_many(list(unique.values()))}

    def _streak(
        self,
        member_id: str,
        state: StreakState,
        absences: tuple[Absence, ...],
        sent: list[Prompt],
        answered: set[str],
        now: datetime,
        zone: str,
    ) -> StreakFigures:
        """The streak as the digest shows it: settled, then the prompts since; its best,
        and this quarter's joker (the quarter of the member's own today)."""
        facts = [
            prompt_fact(
                p.theme_id,
                p.sent_at,
                p.deadline,
                p.timezone,
                answered=p.theme_id in answered,
                absences=absences,
            )
            for p in sent
            if p.sent_at is not None and p.deadline is not None and _history_key(p) > state.through
        ]
        if len(sent) == PROMPTS_READ and len(facts) == len(sent):
            # Prompts older than those read may not be settled either: read them all, as
            # the digest does.
            facts = SendRecords(self.table).prompts_since(member_id, state, absences)
        shown, _ = advance_streak(state, facts, now)
        return figures(shown, now, now.astimezone(ZoneInfo(zone)).date())


def _who(member: Member | None, prompts: list[Prompt]) -> tuple[str, str]:
    """First name and language: the roster's, else as the latest prompt was sent."""
    latest = prompts[0] if prompts else None
    first_name = (member.first_name if member else "") or (latest.first_name if latest else "")
    locale = member.locale if member else (latest.locale if latest else "en")
    return first_name, locale


def _zone(member: Member | None, prompts: list[Prompt]) -> str:
    """The member's timezone: the roster's, else as the latest prompt was sent."""
    return member.timezone if member else (prompts[0].timezone if prompts else "UTC")


def _history_key(prompt: Prompt) -> str:
    """The prompt's GSI1 sort key, as the sender wrote it (the streak's `through`)."""
    sent_at = prompt.sent_at.isoformat() if prompt.sent_at else ""
    return keys.prompt_in_history(sent_at, prompt.theme_id)


def _pair(key: Mapping[str, Any]) -> tuple[str, str]:
    return key["PK"], key["SK"]
