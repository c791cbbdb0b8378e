"""Dates in words, as each reader writes them: every date the product shows goes through
here (the templates' `date` and `datetime` filters, the pages, the emails' subjects, the
reports), so a rule of a language is kept in one place.

Babel writes the CLDR's patterns, which have no ordinals: French writes the first day
of a month "1er" (« lundi 1er février 2027 », « 1er déc. »), Babel "1". The pattern is
rewritten before Babel formats with it — its day field, on the first of the month, where
the month is in words — so nothing else of the date (another day, the year, a time such
as 1:00, a date in figures like 01/02/2027) can be touched.
"""

from datetime import UTC, date, datetime, tzinfo
from typing import Literal, TypeGuard, get_args

from babel.core import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import (
    get_date_format,
    get_datetime_format,
    get_time_format,
    match_skeleton,
    tokenize_pattern,
    untokenize_pattern,
)

Named = Literal["full", "long", "medium", "short"]
"""the formats a locale names; any other format is a pattern ("EEEE d MMMM")"""
NAMED: tuple[Named, ...] = get_args(Named)
FIRST_OF_MONTH = {"fr": "1er"}
"""how a language writes the first day of a month beside the month's name, where it
does not write 1"""


def format_date(day: date, format: str = "medium", locale: str | Locale = "en") -> str:
    """`day` in `format` (a named format or a pattern), as Babel's format_date writes it
    but for the first of the month."""
    if isinstance(day, datetime):
        day = day.date()
    known = Locale.parse(locale)
    pattern = get_date_format(format, locale=known).pattern if _named(format) else format
    return _babel_date(day, _dated(pattern, day.day, known), locale=known)


def format_datetime(
    moment: date,
    format: str = "medium",
    tzinfo: tzinfo | None = None,
    locale: str | Locale = "en",
) -> str:
    """`moment` (a date alone: its midnight) in `format` (a named format or a pattern) on the
    clocks of `tzinfo`, as Babel's format_datetime writes it but for the first of the
    month."""
    known = Locale.parse(locale)
    if _named(format):
        # the locale's pattern for the whole, its date and time patterns put in its
        # placeholders (Babel puts them in formatted, then drops every quote)
        format = (
            str(get_datetime_format(format, locale=known))
            .replace("{0}", get_time_format(format, locale=known).pattern)
            .replace("{1}", get_date_format(format, locale=known).pattern)
        )
    if tzinfo is not None and isinstance(moment, datetime):
        # Babel's reading of a moment: one without a timezone is in UTC
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tzinfo)
    return _babel_datetime(moment, _dated(format, moment.day, known), locale=known)


def format_skeleton(
    skeleton: str, moment: date, tzinfo: tzinfo | None = None, locale: str | Locale = "en"
) -> str:
    """`moment` in the locale's pattern closest to `skeleton` ("Md": 1/12, 12/1)."""
    known = Locale.parse(locale)
    patterns = known.datetime_skeletons
    found = patterns[skeleton if skeleton in patterns else match_skeleton(skeleton, patterns)]
    return format_datetime(moment, found.pattern, tzinfo, known)


def _named(format: str) -> TypeGuard[Named]:
    return format in NAMED


def _dated(pattern: str, day: int, locale: Locale) -> str:
    """`pattern` with its day field written as `locale`'s language writes the first of a
    month, when `day` is the first and the pattern names the month in words."""
    first = FIRST_OF_MONTH.get(locale.language)
    if day != 1 or first is None:
        return pattern
    tokens = tokenize_pattern(pattern)
    fields = [value for kind, value in tokens if isinstance(value, tuple)]
    if not any(letter in "ML" and width >= 3 for letter, width in fields):
        return pattern  # 01/12/2026: a date in figures has no ordinal
    return untokenize_pattern(
        ("chars", first) if isinstance(value, tuple) and value[0] == "d" else (kind, value)
        for kind, value in tokens
    )
