"""The library's entries as members read them: grouped by competency and theme, and
found by a text filter that ignores case and accents. (Pure: the space's page and the
admins' printable export share it.)"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from palabre.core.attribution import byline, shown
from palabre.core.models import Answer, Theme
from palabre.core.text import strip_accents


@dataclass(frozen=True)
class Entry:
    answer: Answer
    theme: Theme


@dataclass(frozen=True)
class ThemeGroup:
    theme: Theme
    entries: list[Answer]
    """most useful first, then newest"""


@dataclass(frozen=True)
class CompetencyGroup:
    competency: str
    themes: list[ThemeGroup]
    """the theme with the newest entry first"""


def searchable(text: str) -> str:
    """Case- and accent-insensitive, for the library's filter."""
    return " ".join(strip_accents(text).casefold().split())


def matches(words: Sequence[str], entry: Entry) -> bool:
    """Every word of the filter somewhere in the entry: its theme, competency, answer or
    its author's name as they signed it."""
    if not words:
        return True
    haystack = _folded(
        entry.theme.title,
        *(t.title for t in entry.theme.translations),  # found in either language
        entry.theme.competency,
        entry.answer.text,
        byline(entry.answer),  # never an anonymous author's name or circle
    )
    return all(w in haystack for w in words)


@functools.lru_cache(maxsize=4096)
def _folded(*parts: str) -> str:
    """Remembered, by the texts themselves (an edit is another key): a warm container
    folds an entry once, not at each search — 12 ms a search for 500 entries. At most
    4,096 entries of about 1 KB each."""
    return searchable(" ".join(parts))


def grouped(entries: list[Entry]) -> list[CompetencyGroup]:
    """By competency (alphabetical, none last), then theme (newest entry first), then
    answer (most useful first, then newest)."""
    by_theme: dict[str, list[Entry]] = {}
    for entry in entries:
        by_theme.setdefault(entry.theme.id, []).append(entry)
    groups = [
        ThemeGroup(theme=found[0].theme, entries=_most_useful_then_newest(found))
        for found in by_theme.values()
    ]
    groups.sort(key=lambda g: max(a.library_at for a in g.entries), reverse=True)
    competencies: dict[str, list[ThemeGroup]] = {}
    for group in groups:
        competencies.setdefault(group.theme.competency, []).append(group)
    return [
        CompetencyGroup(name, themes)
        for name, themes in sorted(competencies.items(), key=lambda c: (not c[0], searchable(c[0])))
    ]


def _most_useful_then_newest(entries: list[Entry]) -> list[Answer]:
    answers = sorted((e.answer for e in entries), key=lambda a: a.library_at, reverse=True)
    return sorted(answers, key=lambda a: a.useful, reverse=True)  # stable: newest first


def shown_entries(entries: Sequence[Entry], threshold: int) -> list[Entry]:
    """The entries one view of the library shows: core.attribution.shown over them."""
    kept = {id(a) for a in shown([e.answer for e in entries], threshold)}
    return [e for e in entries if id(e.answer) in kept]


def library_groups(entries: list[Entry], locale: str) -> list[dict[str, Any]]:
    """The entries grouped, as the library's pages show them (the space's, and the
    admins' printable export): bylines, never an anonymous author's name."""
    return [_competency(c, locale) for c in grouped(entries)]


def _competency(group: CompetencyGroup, locale: str) -> dict[str, Any]:
    return {
        "name": group.competency,
        "themes": [
            {
                "title": t.theme.title_for(locale),
                "entries": [
                    {
                        "byline": byline(a),
                        "text": a.text,
                        "useful": a.useful,
                        "entered": _long_date(datetime.fromisoformat(a.library_at).date(), locale),
                        "starred": a.library_by == "star",
                    }
                    for a in t.entries
                ],
            }
            for t in group.themes
        ],
    }


@functools.lru_cache(maxsize=1024)
def _long_date(day: date, locale: str) -> str:
    """Remembered: a page of 500 entries formats each day they entered on once (Babel
    took 4 ms for the 500)."""
    from palabre.core.dates import format_date  # only the pages that show a day load Babel

    return format_date(day, "long", locale=locale)
