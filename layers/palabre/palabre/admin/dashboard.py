"""The admins' dashboard, the admin space's home: participation over the last twelve
weeks (final for closed themes, so far for open ones), per circle and team, the
leaderboard, the themes to come with their audience and send times, and who has not
answered the open themes yet.

What a view reads does not grow with the history or the roster: the calendar of the
weeks shown (one Query), the tallies of the themes sent (one BatchGetItem,
store/tallies.py), both standings (two Queries), the directory (one Query); and the open
themes' silent prompts (one Query each, SILENT_LISTED at most: a sparse index the
score stream keeps, store/sends.py). Members' questions are their circles' own,
not the calendar's: left out.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory, Group
from palabre.core.i18n import N_, Translatable
from palabre.core.local_time import send_instant
from palabre.core.models import Member, Theme, ThemeKind, group_key
from palabre.core.points import Standing
from palabre.core.typography import Localized
from palabre.store.members import MemberStore
from palabre.store.scores import ScoreStore
from palabre.store.sends import SendRecords
from palabre.store.table import Table
from palabre.store.tallies import Count, Kind, Tally, TallyStore, closes
from palabre.store.themes import ThemeStore

WEEKS = 12
"""weeks of participation shown, this one included"""
AHEAD = 8
"""weeks of themes to come shown, this one included"""
RECENT = 6
"""themes (the latest sent) in the per-circle and per-team tables"""
GROUP_ROWS = 100
"""circles (or teams) listed in those tables; a larger organisation filters"""
BOARD_ROWS = 20
SILENT_LISTED = 50
"""non-responders listed per open theme; the others are counted"""


class UnknownGroup(Translatable):
    """A filter naming no circle or team of the roster."""


@dataclass(frozen=True)
class GroupFilter:
    kind: Kind
    key: str
    name: str


@dataclass(frozen=True)
class ThemeFigures:
    theme: Theme
    title: Localized
    count: Count
    final: bool
    """closed everywhere: its figure no longer moves"""
    counted: bool
    """False for a theme sent before tallies were kept and not yet rebuilt"""


@dataclass(frozen=True)
class WeekFigures:
    monday: date
    themes: tuple[ThemeFigures, ...] = ()


@dataclass(frozen=True)
class GroupRow:
    name: str
    cells: tuple[Count | None, ...]
    """per recent theme: its count, None where the group got no prompt"""


@dataclass(frozen=True)
class AudiencePart:
    name: str
    members: int | None
    """in the directory today (None: no longer in the roster)"""


@dataclass(frozen=True)
class SendTime:
    zone: str
    local: datetime
    """the instant in the zone's own time (the theme's send time, there)"""
    yours: datetime
    """the same instant in the admin's timezone"""


@dataclass(frozen=True)
class Upcoming:
    theme: Theme
    title: Localized
    everyone: bool
    parts: tuple[AudiencePart, ...]
    members: int | None
    """the audience's size when it is everyone"""
    sends: tuple[SendTime, ...]
    session: datetime | None
    """a live session's start, in the admin's timezone"""


@dataclass(frozen=True)
class Silent:
    first_name: str
    email: str
    circle: str
    team: str


@dataclass(frozen=True)
class OpenTheme:
    theme_id: str
    title: Localized
    closes: datetime
    """its deadline in the admin's timezone (the last audience zone's)"""
    silent: tuple[Silent, ...]
    more: int


@dataclass(frozen=True)
class Dashboard:
    today: date
    weeks: tuple[WeekFigures, ...]
    recent: tuple[ThemeFigures, ...]
    circles: tuple[GroupRow, ...]
    circles_more: int
    teams: tuple[GroupRow, ...]
    teams_more: int
    team_board: tuple[Standing, ...]
    circle_board: tuple[Standing, ...]
    circle_board_more: int
    upcoming: tuple[tuple[date, tuple[Upcoming, ...]], ...]
    """by week (its Monday), each theme in send order"""
    open_themes: tuple[OpenTheme, ...]
    chosen: GroupFilter | None
    circle_names: tuple[str, ...]
    team_names: tuple[str, ...]
    tallies_missing: int = 0
    """themes shown that were sent before tallies were kept (`palabre tally rebuild`)"""


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def chosen_group(query: Mapping[str, str], directory: Directory | None) -> GroupFilter | None:
    """The `circle` or `team` a dashboard is filtered by; UnknownGroup for a name the
    roster does not hold (folded, as everywhere)."""
    for kind in ("circle", "team"):
        name = query.get(kind, "").strip()
        if not name:
            continue
        found = _groups(directory, kind).get(group_key(name))
        if found is None:
            if kind == "circle":
                raise UnknownGroup(N_("No circle is named “%(name)s” in the roster."), name=name)
            raise UnknownGroup(N_("No team is named “%(name)s” in the roster."), name=name)
        return GroupFilter(kind, group_key(name), found.name)
    return None


class DashboardReader:
    def __init__(self, table: Table, organisation_zone: ZoneInfo) -> None:
        self.zone = organisation_zone
        self.themes = ThemeStore(table)
        self.tallies = TallyStore(table)
        self.scores = ScoreStore(table)
        self.members = MemberStore(table)
        self.records = SendRecords(table)

    def directory(self) -> Directory | None:
        return self.members.directory()

    def read(
        self,
        admin: Member,
        now: datetime,
        directory: Directory | None,
        chosen: GroupFilter | None = None,
    ) -> Dashboard:
        today = now.astimezone(self.zone).date()
        first = monday_of(today) - timedelta(weeks=WEEKS - 1)
        last = monday_of(today) + timedelta(weeks=AHEAD, days=-1)
        calendar = [
            t for t in self.themes.between(first, last) if t.active and not t.asker
        ]  # a member's question is their circle's, not the calendar's
        sent = [t for t in calendar if t.send_on <= today]
        tallies = self.tallies.of(t.id for t in sent)
        zones = sorted(directory.zones) if directory and directory.zones else [str(self.zone)]
        mine = ZoneInfo(admin.timezone)

        def figures(theme: Theme) -> ThemeFigures:
            tally = tallies.get(theme.id)
            count = _count(tally, chosen)
            return ThemeFigures(
                theme=theme,
                title=theme.title_for(admin.locale),
                count=count,
                final=now >= closes(theme, zones),
                counted=tally is not None,
            )

        shown = [figures(t) for t in sent]
        weeks = tuple(
            WeekFigures(
                monday=first + timedelta(weeks=n),
                themes=tuple(
                    f for f in shown if monday_of(f.theme.send_on) == first + timedelta(weeks=n)
                ),
            )
            for n in range(WEEKS)
        )
        recent = tuple(shown[-RECENT:])
        circles, circles_more = _rows("circle", directory, recent, tallies)
        teams, teams_more = _rows("team", directory, recent, tallies)
        circle_board = self.scores.standings("circle")
        open_themes = [f for f in shown if not f.final]
        return Dashboard(
            today=today,
            weeks=weeks,
            recent=recent,
            circles=circles,
            circles_more=circles_more,
            teams=teams,
            teams_more=teams_more,
            team_board=tuple(self.scores.standings("team")),
            circle_board=tuple(circle_board[:BOARD_ROWS]),
            circle_board_more=max(0, len(circle_board) - BOARD_ROWS),
            upcoming=_by_week(
                [
                    _upcoming(t, admin, directory, zones, mine)
                    for t in calendar
                    if t.send_on >= today
                ]
            ),
            open_themes=tuple(
                self._silent(f, admin, chosen, closes(f.theme, zones).astimezone(mine))
                for f in open_themes
            ),
            chosen=chosen,
            circle_names=_names(_groups(directory, "circle")),
            team_names=_names(_groups(directory, "team")),
            tallies_missing=sum(1 for f in shown if not f.counted),
        )

    def _silent(
        self, figures: ThemeFigures, admin: Member, chosen: GroupFilter | None, closes: datetime
    ) -> OpenTheme:
        """The first SILENT_LISTED who have not answered, and how many others: a Query
        of the theme's silent prompts (store/sends.py) — who is silent is the index's
        word, how many more its tally's. A theme without a tally, or whose index is
        empty while its tally says some are silent (sent before the index was kept and
        not placed yet, or the stream a moment behind), is read whole."""
        theme = figures.theme
        waiting = figures.count.prompts - figures.count.answers
        within = (chosen.kind, chosen.key) if chosen else None
        found = self.records.silent(theme.id, SILENT_LISTED, within) if figures.counted else []
        if figures.counted and (found or waiting <= 0):
            silent = sorted(map(_silent_one, found), key=_silent_order)
            # fewer than asked: they are all (the tally may count some erased since)
            total = max(waiting, len(found)) if len(found) == SILENT_LISTED else len(found)
        else:
            prompts, answered = self.records.of_theme(theme.id)
            silent = sorted(
                (
                    _silent_one(p)
                    for p in prompts
                    if p["member_id"] not in answered
                    and (chosen is None or group_key(str(p.get(chosen.kind, ""))) == chosen.key)
                ),
                key=_silent_order,
            )
            total = len(silent)
        return OpenTheme(
            theme_id=theme.id,
            title=theme.title_for(admin.locale),
            closes=closes,
            silent=tuple(silent[:SILENT_LISTED]),
            more=max(0, total - min(len(silent), SILENT_LISTED)),
        )


def _silent_one(prompt: Mapping[str, object]) -> Silent:
    return Silent(
        first_name=str(prompt.get("first_name", "")),
        email=str(prompt.get("email", "")),
        circle=str(prompt.get("circle", "")),
        team=str(prompt.get("team", "")),
    )


def _silent_order(s: Silent) -> tuple[str, str, str]:
    return group_key(s.circle), group_key(s.first_name), s.email


def _count(tally: Tally | None, chosen: GroupFilter | None) -> Count:
    if tally is None:
        return Count()
    if chosen is None:
        return tally.total
    return tally.of(chosen.kind, chosen.key)


def _groups(directory: Directory | None, kind: str) -> Mapping[str, Group]:
    """The roster's circles or teams, by folded name (none without a directory)."""
    if directory is None:
        return {}
    return directory.circles if kind == "circle" else directory.teams


def _names(groups: Mapping[str, Group]) -> tuple[str, ...]:
    return tuple(sorted((g.name for g in groups.values()), key=group_key))


def _rows(
    kind: Literal["circle", "team"],
    directory: Directory | None,
    recent: tuple[ThemeFigures, ...],
    tallies: Mapping[str, Tally],
) -> tuple[tuple[GroupRow, ...], int]:
    groups = _groups(directory, kind)
    rows = []
    for key, group in sorted(groups.items()):
        cells = []
        for f in recent:
            tally = tallies.get(f.theme.id)
            count = tally.of(kind, key) if tally else Count()
            cells.append(count if count.prompts else None)
        rows.append(GroupRow(group.name, tuple(cells)))
    return tuple(rows[:GROUP_ROWS]), max(0, len(rows) - GROUP_ROWS)


def _upcoming(
    theme: Theme, admin: Member, directory: Directory | None, zones: list[str], mine: ZoneInfo
) -> Upcoming:
    audience = theme.audience
    parts: list[AudiencePart] = []
    if audience.everyone:
        reached = sorted(directory.zones) if directory else zones
    else:
        reached_set: set[str] = set()
        for kind, names in (("circle", audience.circles), ("team", audience.teams)):
            groups = _groups(directory, kind)
            for name in names:
                group = groups.get(group_key(name))
                parts.append(
                    AudiencePart(
                        group.name if group else name,
                        sum(group.zones.values()) if group else None,
                    )
                )
                if group:
                    reached_set |= set(group.zones)
        reached = sorted(reached_set)
    sends = sorted(
        (
            SendTime(zone=z, local=at.astimezone(ZoneInfo(z)), yours=at.astimezone(mine))
            for z in reached
            for at in (send_instant(theme, ZoneInfo(z)),)
        ),
        key=lambda s: (s.yours, s.zone),
    )
    live = theme.kind is ThemeKind.LIVE and theme.starts_at is not None
    return Upcoming(
        theme=theme,
        title=theme.title_for(admin.locale),
        everyone=audience.everyone,
        parts=tuple(parts),
        members=sum(directory.zones.values()) if audience.everyone and directory else None,
        sends=tuple(sends),
        session=theme.starts_at.astimezone(mine) if live and theme.starts_at else None,
    )


def _by_week(themes: list[Upcoming]) -> tuple[tuple[date, tuple[Upcoming, ...]], ...]:
    weeks: dict[date, list[Upcoming]] = {}
    for u in sorted(themes, key=lambda u: (u.theme.send_on, u.theme.send_at, u.theme.id)):
        weeks.setdefault(monday_of(u.theme.send_on), []).append(u)
    return tuple((monday, tuple(found)) for monday, found in weeks.items())
