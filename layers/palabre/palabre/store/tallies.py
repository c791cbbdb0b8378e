"""Tallies: each theme's participation — prompts sent, answers given, in all and per
circle and team — so that the admins' dashboard reads twelve weeks of themes in one
BatchGetItem instead of every send record (240,000 items for a 20,000-member
organisation).

The score stream keeps them (store/scores.py): a prompt sent, an answer given or an
attendance ticked moves its theme's tally in the same transaction as the standings,
under the same condition, so each is counted exactly once. One item per theme,
`THEME#<tid>` / `TALLY`: `prompts`, `answers`, and per group `p#circle#<key>`,
`a#circle#<key>`, `p#team#<key>`, `a#team#<key>` (the folded name, as the standings'
keys). A theme sent before tallies were kept has none until `rebuild` counts it from its
partition once (`palabre tally`).
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from palabre.core.local_time import deadline, send_instant
from palabre.core.models import Theme, group_key
from palabre.store import keys
from palabre.store.members import MemberStore
from palabre.store.table import Item, Table
from palabre.store.themes import ThemeStore

type Kind = Literal["circle", "team"]
KINDS: tuple[Kind, ...] = ("circle", "team")
_PROMPTS, _ANSWERS = "p", "a"


def tally_field(what: Literal["prompts", "answers"], kind: Kind, name: str) -> str:
    """The attribute of a tally counting one group's prompts or answers."""
    short = _PROMPTS if what == "prompts" else _ANSWERS
    return f"{short}#{kind}#{group_key(name)}"


def tally_adds(prompts: int, answers: int, circle: str, team: str) -> dict[str, int]:
    """What prompts and answers of one circle and team add to their theme's tally: in
    all, and to the circle's and the team's own counts."""
    adds = {"prompts": prompts, "answers": answers}
    named: tuple[tuple[Kind, str], ...] = (("circle", circle), ("team", team))
    for kind, name in named:
        if name:
            adds[tally_field("prompts", kind, name)] = prompts
            adds[tally_field("answers", kind, name)] = answers
    return adds


@dataclass(frozen=True)
class Count:
    prompts: int = 0
    answers: int = 0

    @property
    def rate(self) -> float:
        return self.answers / self.prompts if self.prompts else 0.0

    def __add__(self, other: "Count") -> "Count":
        return Count(self.prompts + other.prompts, self.answers + other.answers)


@dataclass(frozen=True)
class Tally:
    theme_id: str
    total: Count = Count()
    groups: dict[Kind, dict[str, Count]] = field(default_factory=dict)
    """circle and team (by folded name) -> their count"""

    def of(self, kind: Kind, name: str) -> Count:
        return self.groups.get(kind, {}).get(group_key(name), Count())


def tally_from(item: Mapping[str, Any]) -> Tally:
    groups: dict[Kind, dict[str, Count]] = {kind: {} for kind in KINDS}
    for attribute, value in item.items():
        short, _, rest = attribute.partition("#")
        kind, _, name = rest.partition("#")
        if short in (_PROMPTS, _ANSWERS) and kind in KINDS and name:
            counts = groups[kind]
            n = int(value)
            counts[name] = counts.get(name, Count()) + (
                Count(n, 0) if short == _PROMPTS else Count(0, n)
            )
    return Tally(
        theme_id=item["PK"].removeprefix(keys.theme_partition("")),
        total=Count(int(item.get("prompts", 0)), int(item.get("answers", 0))),
        groups=groups,
    )


def counted(theme_id: str, partition: Iterable[Item]) -> Tally:
    """A theme's tally as its partition holds it: the prompts sent, the answers, the
    attendances ticked (what each counts, as the stream counted it)."""
    counts: Counter[str] = Counter({"prompts": 0, "answers": 0})
    for item in partition:
        sort_key = item["SK"]
        circle, team = str(item.get("circle", "")), str(item.get("team", ""))
        if sort_key.startswith(keys.PROMPTS) and item.get("status") == "sent":
            counts.update(tally_adds(1, 0, circle, team))
        elif sort_key.startswith(keys.ANSWERS):
            counts.update(tally_adds(0, 1, circle, team))
        elif sort_key.startswith(keys.RSVPS) and item.get("attended") is True:
            answers = int(item.get("attended_answers", 0))
            circle = str(item.get("attended_circle", ""))
            counts.update(tally_adds(0, answers, circle, str(item.get("attended_team", ""))))
    kept = {k: n for k, n in counts.items() if n or k in ("prompts", "answers")}
    return tally_from({**keys.tally(theme_id), **kept})


class TallyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def of(self, theme_ids: Iterable[str]) -> dict[str, Tally]:
        """The tallies kept of these themes (one BatchGetItem per hundred); a theme
        without one is missing from the result."""
        found = self.table.get_many([keys.tally(t) for t in dict.fromkeys(theme_ids)])
        return {t.theme_id: t for t in map(tally_from, found)}

    def rebuild(self, theme_id: str, now: datetime) -> Tally:
        """Counts a theme's tally from its partition (one Query) and writes it whole: for
        a theme sent before tallies were kept. A prompt or answer the stream counts while
        this runs may be counted twice or lost: run it on themes that are closed."""
        tally = counted(theme_id, self.table.query(keys.theme_partition(theme_id)))
        self.table.put(
            {
                **keys.tally(theme_id),
                "type": "tally",
                "rebuilt_at": now.isoformat(),
                "prompts": tally.total.prompts,
                "answers": tally.total.answers,
                **{
                    tally_field(what, kind, name): getattr(count, what)
                    for kind, groups in tally.groups.items()
                    for name, count in groups.items()
                    for what in ("prompts", "answers")
                },
            }
        )
        return tally


def closes(theme: Theme, zones: Iterable[str]) -> datetime:
    """When a theme's figure stops moving: its deadline in the last of the organisation's
    timezones."""
    return max(deadline(theme, ZoneInfo(zone)) for zone in zones)


def rebuild_closed(
    table: Table, now: datetime, weeks: int, organisation_zone: str
) -> tuple[list[str], list[str]]:
    """Rebuilds the tally of every theme of the calendar sent in the last `weeks` weeks
    and closed everywhere, from its partition (`palabre tally rebuild`, once, after
    deploying tallies): (themes rebuilt, themes still open, left as they are)."""
    directory = MemberStore(table).directory()
    zones = sorted(directory.zones) if directory and directory.zones else [organisation_zone]
    today = now.date()
    themes = ThemeStore(table).between(today - timedelta(weeks=weeks), today + timedelta(days=1))
    store = TallyStore(table)
    rebuilt, still_open = [], []
    for theme in themes:
        if not theme.active or min(send_instant(theme, ZoneInfo(z)) for z in zones) > now:
            continue
        if closes(theme, zones) > now:
            still_open.append(theme.id)
            continue
        store.rebuild(theme.id, now)
        rebuilt.append(theme.id)
    return rebuilt, still_open
