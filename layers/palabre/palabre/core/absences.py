"""Absences a member declares in their space: local days, from and to inclusive.

A theme whose send date falls inside one is not sent (nor reminded of) and never breaks
the streak; a digest whose week the member is away for every working day is not sent.
They are kept as a short list on the member's preferences (PREFS), which the sender and
the digest already read for every member: an absence costs them no request.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from palabre.core.i18n import N_, Translatable

LONGEST = 366
"""days one absence may last"""
EARLIEST = 7
"""days back an absence may start: one forgotten last week is still declared"""
FURTHEST = 730
"""days ahead an absence may start"""
UPCOMING = 12
"""absences not over yet that a member may hold at once"""
KEPT = 400
"""days an absence is kept once over (a streak not yet settled may still need it)"""
WORKING_WEEK = 5
"""days from a digest's day that the member must be away for the digest to pause"""


@dataclass(frozen=True, order=True)
class Absence:
    start: date
    end: date

    @property
    def key(self) -> str:
        """How it is stored and named in a form: an ISO 8601 interval of days."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @classmethod
    def from_key(cls, key: str) -> "Absence":
        start, _, end = key.partition("/")
        return cls(date.fromisoformat(start), date.fromisoformat(end))

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def absences_from(keys: Iterable[str]) -> tuple[Absence, ...]:
    """The stored list; an entry that does not read as one (never written so) is ignored."""
    found = []
    for key in keys:
        try:
            found.append(Absence.from_key(key))
        except ValueError:
            continue
    return tuple(sorted(found))


def away_on(absences: Iterable[Absence], day: date) -> bool:
    return any(a.covers(day) for a in absences)


def away_for_week(absences: Sequence[Absence], first_day: date) -> bool:
    """Away every working day of the week a digest opens: `first_day` (the digest's day,
    a Monday by default) and the four days after it."""
    return all(away_on(absences, first_day + timedelta(days=n)) for n in range(WORKING_WEEK))


def parse_day(text: str) -> date:
    """A day as a date field sends it (YYYY-MM-DD)."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Translatable(
            N_("“%(value)s” is not a date: use the format YYYY-MM-DD."), value=text[:20]
        ) from None


def added(
    current: Sequence[Absence], start_text: str, end_text: str, today: date
) -> tuple[Absence, ...]:
    """The list with a new absence, checked against the rules (Translatable when refused);
    absences over for long are dropped."""
    start, end = parse_day(start_text.strip()), parse_day(end_text.strip())
    if end < start:
        raise Translatable(N_("The last day of an absence cannot come before its first day."))
    if (end - start).days + 1 > LONGEST:
        raise Translatable(N_("An absence lasts at most %(days)s days."), days=LONGEST)
    if start < today - timedelta(days=EARLIEST):
        raise Translatable(N_("An absence can start at most %(days)s days ago."), days=EARLIEST)
    if start > today + timedelta(days=FURTHEST):
        raise Translatable(
            N_("An absence can start at most %(days)s days from today."), days=FURTHEST
        )
    new = Absence(start, end)
    for other in current:
        if other.start <= new.end and new.start <= other.end:
            raise Translatable(
                N_("It overlaps your absence from %(start)s to %(end)s: remove that one first."),
                start=other.start.isoformat(),
                end=other.end.isoformat(),
            )
    kept = [a for a in current if a.end >= today - timedelta(days=KEPT)]
    if sum(1 for a in kept if a.end >= today) >= UPCOMING:
        raise Translatable(
            N_("You already have %(count)s absences to come: remove one first."), count=UPCOMING
        )
    return tuple(sorted([*kept, new]))


def removed(current: Sequence[Absence], key: str) -> tuple[Absence, ...]:
    """The list without the absence named `key` (Translatable when there is no such one)."""
    remaining = tuple(a for a in current if a.key != key)
    if len(remaining) == len(current):
        raise Translatable(N_("This absence is no longer in your list."))
    return remaining
